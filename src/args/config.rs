//! What a command line asks for: a [`Config`] for a run, or another
//! [`Command`].

pub const DEFAULT_BUFFER_SIZE: usize = 131072;
pub const DEFAULT_TOTAL_SIZE: u64 = 16777216;
pub const DEFAULT_PORT: u16 = 10141;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    OneThread,
    TwoThread,
    TwoProc,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::OneThread => "1thread",
            Mode::TwoThread => "2thread",
            Mode::TwoProc => "2proc",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpcType {
    Pipe,
    Local,
    Tcp,
    Shmem,
}

impl IpcType {
    pub fn name(self) -> &'static str {
        match self {
            IpcType::Pipe => "pipe",
            IpcType::Local => "local",
            IpcType::Tcp => "tcp",
            IpcType::Shmem => "shmem",
        }
    }
}

/// A hardware or software counter set for -P (see measure/counters.rs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterSet {
    Arch,
    Dcache,
    Instr,
    Tlbmem,
    Sw,
}

impl CounterSet {
    pub fn name(self) -> &'static str {
        match self {
            CounterSet::Arch => "arch",
            CounterSet::Dcache => "dcache",
            CounterSet::Instr => "instr",
            CounterSet::Tlbmem => "tlbmem",
            CounterSet::Sw => "sw",
        }
    }
}

/// -a: the receiver's CPU, and the sender's if it differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Affinity {
    pub receiver: usize,
    pub sender: Option<usize>,
}

/// The largest CPU number -a accepts (CPU_SETSIZE - 1).
pub const MAX_CPU: usize = 1023;

/// A benchmark run, fully checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub mode: Mode,
    pub ipc: IpcType,
    pub buffer_size: usize,
    pub total_size: u64,
    /// 0 asks the kernel for any free port.
    pub port: u16,
    /// -B: no quiescing (sync, sleeps) around the loop.
    pub bare: bool,
    /// -q: nothing on stdout.
    pub quiet: bool,
    /// -s: size the kernel's buffers to the user buffer.
    pub size_kernel_buffers: bool,
    /// -v: the configuration before the bandwidth.
    pub verbose: bool,
    /// -j: one JSON document on stdout instead of text.
    pub json: bool,
    /// -n: how many times the whole benchmark runs.
    pub iterations: u64,
    /// -g: getrusage(2) around each loop.
    pub rusage: bool,
    /// -P: performance counters around each loop.
    pub counters: Option<CounterSet>,
    /// -a: pin the receiver and sender to CPUs.
    pub affinity: Option<Affinity>,
    /// -F: touch every page of both buffers before the start stamp.
    pub prefault: bool,
    /// -l: round trips of buffer_size bytes each way (total_size /
    /// buffer_size of them) instead of bandwidth.
    pub latency: bool,
}

impl Config {
    /// How many buffers the total is: with -l, the round trips.
    pub fn block_count(&self) -> u64 {
        self.total_size / self.buffer_size as u64
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Config),
    /// `describe`: the host, in text or (-j) JSON.
    Describe { json: bool },
    /// -h or --help: the usage on stdout.
    Help,
    /// No arguments at all: the usage on stderr, as the lab's binary does.
    Usage,
}
