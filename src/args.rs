//! Command-line parsing, by hand, with getopt(3) semantics as in FreeBSD's
//! utilities: grouped flags (`-Bq`), attached values (`-b4096`, `-ipipe`),
//! `--` ends the options, and the first operand ends them too.

use crate::output::Sink;

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
}

impl IpcType {
    pub fn name(self) -> &'static str {
        match self {
            IpcType::Pipe => "pipe",
            IpcType::Local => "local",
            IpcType::Tcp => "tcp",
        }
    }
}

/// A hardware or software counter set for -P (see counters.rs).
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
}

impl Config {
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

/// What is wrong with the command line: a fixed message, and the part of the
/// command line it is about.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError<'a> {
    pub message: &'static str,
    pub subject: Subject<'a>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Subject<'a> {
    Nothing,
    Option(u8),
    Argument(&'a [u8]),
    /// The total and buffer sizes that do not divide.
    Sizes(u64, u64),
}

impl UsageError<'_> {
    /// Puts the one-line message (without "ipc-static: " and newline).
    pub fn render(&self, out: &mut impl Sink) {
        match self.subject {
            Subject::Nothing => out.put_str(self.message),
            Subject::Option(letter) => {
                out.put_str(self.message);
                out.put(b" -- ");
                out.put_escaped(&[letter]);
            }
            Subject::Argument(arg) => {
                out.put_str(self.message);
                out.put(b": '");
                out.put_escaped(arg);
                out.put(b"'");
            }
            Subject::Sizes(total, buffer) => {
                out.put(b"total size ");
                out.put_u64(total);
                out.put(b" is not a multiple of buffer size ");
                out.put_u64(buffer);
            }
        }
    }
}

fn error<'a>(message: &'static str, subject: Subject<'a>) -> UsageError<'a> {
    UsageError { message, subject }
}

/// Parses the arguments after argv[0].
pub fn parse<'a, I>(args: I) -> Result<Command, UsageError<'a>>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut args = args.into_iter().peekable();
    if args.peek().is_none() {
        return Ok(Command::Usage);
    }
    let mut buffer_size = DEFAULT_BUFFER_SIZE as u64;
    let mut total_size = DEFAULT_TOTAL_SIZE;
    let mut port = DEFAULT_PORT;
    let mut ipc = IpcType::Pipe;
    let (mut bare, mut quiet, mut size_kernel_buffers, mut verbose) = (false, false, false, false);
    let (mut json, mut rusage, mut prefault) = (false, false, false);
    let mut iterations = 1u64;
    let mut counters = None;
    let mut affinity = None;
    let mut operand = None;

    while let Some(arg) = args.next() {
        // The one long option: what users of other tools type first.
        if arg == b"--help" {
            return Ok(Command::Help);
        }
        if arg == b"--" {
            operand = args.next();
            break;
        }
        if arg.len() < 2 || arg[0] != b'-' {
            operand = Some(arg);
            break;
        }
        let mut at = 1;
        while at < arg.len() {
            let letter = arg[at];
            at += 1;
            match letter {
                b'B' => bare = true,
                b'q' => quiet = true,
                b's' => size_kernel_buffers = true,
                b'v' => verbose = true,
                b'j' => json = true,
                b'g' => rusage = true,
                b'F' => prefault = true,
                b'h' => return Ok(Command::Help),
                b'a' | b'b' | b'i' | b'n' | b'P' | b'p' | b't' => {
                    // The value is the rest of this argument, or the next one.
                    let value = if at < arg.len() {
                        &arg[at..]
                    } else {
                        args.next().ok_or(error("option requires an argument", Subject::Option(letter)))?
                    };
                    at = arg.len();
                    match letter {
                        b'b' => buffer_size = parse_size(value, "buffer size")?,
                        b't' => total_size = parse_size(value, "total size")?,
                        b'p' => port = parse_port(value)?,
                        b'n' => iterations = parse_iterations(value)?,
                        b'P' => counters = Some(parse_counter_set(value)?),
                        b'a' => affinity = Some(parse_affinity(value)?),
                        _ => ipc = parse_ipc(value)?,
                    }
                }
                _ => return Err(error("unknown option", Subject::Option(letter))),
            }
        }
    }

    let mode = match operand {
        None => return Err(error("missing mode (1thread, 2thread, 2proc or describe)", Subject::Nothing)),
        Some(b"1thread") => Mode::OneThread,
        Some(b"2thread") => Mode::TwoThread,
        Some(b"2proc") => Mode::TwoProc,
        Some(b"describe") => {
            return match args.next() {
                Some(extra) => Err(error("unexpected argument after the mode", Subject::Argument(extra))),
                None => Ok(Command::Describe { json }),
            }
        }
        Some(other) => return Err(error("unknown mode (1thread, 2thread, 2proc or describe)", Subject::Argument(other))),
    };
    if let Some(extra) = args.next() {
        return Err(error("unexpected argument after the mode", Subject::Argument(extra)));
    }
    if !total_size.is_multiple_of(buffer_size) {
        return Err(error("", Subject::Sizes(total_size, buffer_size)));
    }
    // Both buffers are mapped at once, so twice the size must fit.
    let buffer_size = match usize::try_from(buffer_size) {
        Ok(size) if size.checked_mul(2).is_some() => size,
        _ => return Err(error("buffer size too large for this machine", Subject::Nothing)),
    };
    if size_kernel_buffers && ipc == IpcType::Pipe && !crate::ipc::PIPES_CAN_BE_SIZED {
        return Err(error("-s needs a socket (-i local or -i tcp): this OS cannot size pipes", Subject::Nothing));
    }
    if let Some(Affinity { sender: Some(_), .. }) = affinity {
        if mode == Mode::OneThread {
            return Err(error("-a with two CPUs needs two sides (2thread or 2proc)", Subject::Nothing));
        }
    }
    if quiet && json {
        return Err(error("-q and -j contradict each other (nothing, or JSON, on stdout)", Subject::Nothing));
    }
    Ok(Command::Run(Config {
        mode,
        ipc,
        buffer_size,
        total_size,
        port,
        bare,
        quiet,
        size_kernel_buffers,
        verbose,
        json,
        iterations,
        rusage,
        counters,
        affinity,
        prefault,
    }))
}

fn parse_iterations(text: &[u8]) -> Result<u64, UsageError<'_>> {
    match parse_decimal(text) {
        Some(Some(n)) if n > 0 => Ok(n),
        _ => Err(error("invalid iteration count (a positive decimal number)", Subject::Argument(text))),
    }
}

fn parse_counter_set(text: &[u8]) -> Result<CounterSet, UsageError<'_>> {
    match text {
        b"arch" => Ok(CounterSet::Arch),
        b"dcache" => Ok(CounterSet::Dcache),
        b"instr" => Ok(CounterSet::Instr),
        b"tlbmem" => Ok(CounterSet::Tlbmem),
        b"sw" => Ok(CounterSet::Sw),
        _ => Err(error("unknown counter set (arch, dcache, instr, tlbmem or sw)", Subject::Argument(text))),
    }
}

/// `cpu` or `receiver,sender`.
fn parse_affinity(text: &[u8]) -> Result<Affinity, UsageError<'_>> {
    let bad = || error("invalid CPU list (cpu or receiver_cpu,sender_cpu; 0..1023)", Subject::Argument(text));
    let cpu = |part: &[u8]| match parse_decimal(part) {
        Some(Some(n)) if n <= MAX_CPU as u64 => Ok(n as usize),
        _ => Err(bad()),
    };
    let mut parts = text.split(|&b| b == b',');
    let receiver = cpu(parts.next().unwrap_or(b""))?;
    let sender = parts.next().map(cpu).transpose()?;
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(Affinity { receiver, sender })
}

/// A positive decimal size, optionally followed by k, m or g (powers of
/// 1024). Overflow is an error, never a wrap.
fn parse_size<'a>(text: &'a [u8], what: &'static str) -> Result<u64, UsageError<'a>> {
    let (digits, multiplier) = match text.last() {
        Some(b'k' | b'K') => (&text[..text.len() - 1], 1u64 << 10),
        Some(b'm' | b'M') => (&text[..text.len() - 1], 1 << 20),
        Some(b'g' | b'G') => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    let bad = || {
        error(
            if what == "buffer size" {
                "buffer size is not a positive decimal number"
            } else {
                "total size is not a positive decimal number"
            },
            Subject::Argument(text),
        )
    };
    let too_large = || {
        error(
            if what == "buffer size" { "buffer size is too large" } else { "total size is too large" },
            Subject::Argument(text),
        )
    };
    let value = parse_decimal(digits).ok_or_else(bad)?.ok_or_else(too_large)?;
    let value = value.checked_mul(multiplier).ok_or_else(too_large)?;
    if value == 0 {
        return Err(error(
            if what == "buffer size" { "buffer size must be positive" } else { "total size must be positive" },
            Subject::Argument(text),
        ));
    }
    Ok(value)
}

/// Digits only: None if not a decimal number, Some(None) if it overflows.
fn parse_decimal(digits: &[u8]) -> Option<Option<u64>> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().try_fold(0u64, |acc, &d| acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))))
}

fn parse_port(text: &[u8]) -> Result<u16, UsageError<'_>> {
    match parse_decimal(text) {
        Some(Some(port)) if port <= 65535 => Ok(port as u16),
        _ => Err(error("invalid TCP port (1..65535, or 0 for any free port)", Subject::Argument(text))),
    }
}

fn parse_ipc(text: &[u8]) -> Result<IpcType, UsageError<'_>> {
    match text {
        b"pipe" => Ok(IpcType::Pipe),
        b"local" => Ok(IpcType::Local),
        b"tcp" => Ok(IpcType::Tcp),
        _ => Err(error("unknown IPC type (pipe, local or tcp)", Subject::Argument(text))),
    }
}

/// The usage, with the defaults, as printed for errors and -h.
pub fn render_usage(out: &mut impl Sink) {
    out.put_str(
        "usage: ipc-static [-BFghjqsv] [-a cpu[,cpu]] [-b buffersize] [-i pipe|local|tcp]\n\
         \x20                 [-n iterations] [-P arch|dcache|instr|tlbmem|sw] [-p tcp_port]\n\
         \x20                 [-t totalsize] mode\n\
         \n\
         Modes (pick one):\n\
         \x20   1thread            IPC within a single thread\n\
         \x20   2thread            IPC between two threads in one process\n\
         \x20   2proc              IPC between two processes\n\
         \x20   describe           print the host's configuration that shapes results\n\
         \n\
         Options:\n\
         \x20   -a cpu[,cpu]       pin both sides to one CPU, or the receiver to the first\n\
         \x20                      and the sender to the second\n\
         \x20   -B                 bare mode: no quiescing (sync, sleeps) around the loop\n\
         \x20   -b buffersize      user buffer size in bytes (default: 131072)\n\
         \x20   -F                 pre-fault: touch every page of both buffers before the\n\
         \x20                      start stamp (default: untouched, first touch in the loop)\n\
         \x20   -g                 getrusage: CPU time, faults, context switches per loop\n\
         \x20   -h, --help         print this help on stdout\n\
         \x20   -i pipe|local|tcp  IPC object: pipe, UNIX socket pair or loopback TCP\n\
         \x20                      (default: pipe)\n\
         \x20   -j                 JSON on stdout instead of text\n\
         \x20   -n iterations      run the benchmark this many times (default: 1)\n\
         \x20   -P set             performance counters: arch, dcache, instr, tlbmem, sw\n\
         \x20   -p tcp_port        TCP port on 127.0.0.1; 0 picks a free one (default: 10141)\n\
         \x20   -q                 quiet: print nothing on stdout\n\
         \x20   -s                 set the kernel's buffer sizes to buffersize\n\
         \x20                      (socket buffers; a pipe's capacity on Linux)\n\
         \x20   -t totalsize       total bytes to move (default: 16777216)\n\
         \x20   -v                 verbose: print the configuration first\n\
         \n\
         Sizes are decimal bytes, optionally with k, m or g (powers of 1024);\n\
         totalsize must be a multiple of buffersize.\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(|a| a.as_bytes())).map_err(|e| {
            let mut out = Vec::new();
            e.render(&mut out);
            String::from_utf8(out).unwrap()
        })
    }

    fn config(args: &[&str]) -> Config {
        match parse_str(args) {
            Ok(Command::Run(config)) => config,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    #[test]
    fn defaults_match_the_lab() {
        let c = config(&["2thread"]);
        assert_eq!(c.buffer_size, 131072);
        assert_eq!(c.total_size, 16777216);
        assert_eq!(c.block_count(), 128);
        assert_eq!(c.port, 10141);
        assert_eq!(c.ipc, IpcType::Pipe);
        assert_eq!(c.mode, Mode::TwoThread);
        assert!(!c.bare && !c.quiet && !c.size_kernel_buffers && !c.verbose);
        assert!(!c.prefault, "buffers stay untouched unless -F");
    }

    #[test]
    fn prefault_is_a_flag_that_groups() {
        assert!(config(&["-F", "2proc"]).prefault);
        let c = config(&["-BFq", "-b4096", "1thread"]);
        assert!(c.prefault && c.bare && c.quiet);
    }

    #[test]
    fn long_help_is_help_only_among_the_options() {
        assert_eq!(parse_str(&["--help"]), Ok(Command::Help));
        assert_eq!(parse_str(&["-B", "--help", "2thread"]), Ok(Command::Help));
        // After --, or as the mode, it is an operand like any other word.
        assert!(parse_str(&["--", "--help"]).is_err());
        assert!(parse_str(&["2thread", "--help"]).is_err());
        // Other long options stay unknown.
        assert!(parse_str(&["--helpme", "2thread"]).is_err());
    }

    #[test]
    fn no_arguments_is_the_usage() {
        assert_eq!(parse_str(&[]), Ok(Command::Usage));
        assert_eq!(parse_str(&["-h"]), Ok(Command::Help));
    }

    #[test]
    fn grouped_flags_and_attached_values() {
        let c = config(&["-Bqv", "-b4096", "-ilocal", "-t", "8192", "-p10200", "1thread"]);
        assert!(c.bare && c.quiet && c.verbose);
        assert_eq!((c.buffer_size, c.total_size, c.port), (4096, 8192, 10200));
        assert_eq!(c.ipc, IpcType::Local);
        // A value-taking option ends its group: the rest is its value.
        let c = config(&["-Bb", "1024", "-sitcp", "2proc"]);
        assert!(c.bare && c.size_kernel_buffers);
        assert_eq!((c.buffer_size, c.ipc, c.mode), (1024, IpcType::Tcp, Mode::TwoProc));
    }

    #[test]
    fn double_dash_ends_options() {
        assert_eq!(config(&["-B", "--", "2proc"]).mode, Mode::TwoProc);
        assert_eq!(parse_str(&["--", "-B"]).unwrap_err(), "unknown mode (1thread, 2thread, 2proc or describe): '-B'");
        assert_eq!(parse_str(&["-B", "--"]).unwrap_err(), "missing mode (1thread, 2thread, 2proc or describe)");
    }

    #[test]
    fn repeated_options_take_the_last() {
        assert_eq!(config(&["-b", "1", "-b", "2", "-t", "4", "1thread"]).buffer_size, 2);
        assert_eq!(config(&["-i", "tcp", "-i", "local", "1thread"]).ipc, IpcType::Local);
    }

    #[test]
    fn size_suffixes_are_powers_of_1024() {
        let c = config(&["-b", "4k", "-t", "1M", "1thread"]);
        assert_eq!((c.buffer_size, c.total_size), (4096, 1 << 20));
        assert_eq!(config(&["-b", "1g", "-t", "2G", "1thread"]).total_size, 2 << 30);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases: &[(&[&str], &str)] = &[
            (&["-x", "2thread"], "unknown option -- x"),
            (&["-Bz", "2thread"], "unknown option -- z"),
            (&["2thread", "-b"], "unexpected argument after the mode: '-b'"),
            (&["-b"], "option requires an argument -- b"),
            (&["-B"], "missing mode (1thread, 2thread, 2proc or describe)"),
            (&["3thread"], "unknown mode (1thread, 2thread, 2proc or describe): '3thread'"),
            (&["2thread", "extra"], "unexpected argument after the mode: 'extra'"),
            (&["-b", "abc", "2thread"], "buffer size is not a positive decimal number: 'abc'"),
            (&["-b", "-5", "2thread"], "buffer size is not a positive decimal number: '-5'"),
            (&["-b", "+5", "2thread"], "buffer size is not a positive decimal number: '+5'"),
            (&["-b", "", "2thread"], "buffer size is not a positive decimal number: ''"),
            (&["-b", "k", "2thread"], "buffer size is not a positive decimal number: 'k'"),
            (&["-b", "0", "2thread"], "buffer size must be positive: '0'"),
            (&["-t", "0", "2thread"], "total size must be positive: '0'"),
            (&["-t", "1.5", "2thread"], "total size is not a positive decimal number: '1.5'"),
            (&["-t", "18446744073709551616", "2thread"], "total size is too large: '18446744073709551616'"),
            (&["-t", "18014398509481984k", "2thread"], "total size is too large: '18014398509481984k'"),
            (&["-b", "300", "-t", "1000", "2thread"], "total size 1000 is not a multiple of buffer size 300"),
            (&["-b", "2048", "-t", "1024", "2thread"], "total size 1024 is not a multiple of buffer size 2048"),
            (&["-i", "shmem", "2thread"], "unknown IPC type (pipe, local or tcp): 'shmem'"),
            (&["-p", "65536", "2thread"], "invalid TCP port (1..65535, or 0 for any free port): '65536'"),
            (&["-p", "-1", "2thread"], "invalid TCP port (1..65535, or 0 for any free port): '-1'"),
            (&["-p", "http", "2thread"], "invalid TCP port (1..65535, or 0 for any free port): 'http'"),
        ];
        for (args, message) in cases {
            assert_eq!(parse_str(args).unwrap_err(), *message, "for {args:?}");
        }
    }

    #[test]
    fn huge_sizes_that_still_divide_are_refused_only_if_unmappable() {
        // u64::MAX-sized buffers cannot be mapped twice over.
        let max = u64::MAX.to_string();
        assert_eq!(
            parse_str(&["-b", &max, "-t", &max, "1thread"]).unwrap_err(),
            "buffer size too large for this machine"
        );
        let c = config(&["-b", "1", "-t", &max, "1thread"]);
        assert_eq!(c.block_count(), u64::MAX);
    }

    #[test]
    fn non_utf8_arguments_are_escaped() {
        let args: [&[u8]; 2] = [b"-i", b"p\xffpe\n"];
        let err = parse(args.iter().copied()).unwrap_err();
        let mut out = Vec::new();
        err.render(&mut out);
        assert_eq!(out, b"unknown IPC type (pipe, local or tcp): 'p\\xffpe\\x0a'");
    }

    #[test]
    fn sizing_pipes_depends_on_the_os() {
        let result = parse_str(&["-s", "2thread"]);
        if crate::ipc::PIPES_CAN_BE_SIZED {
            assert!(config(&["-s", "2thread"]).size_kernel_buffers);
        } else {
            assert!(result.unwrap_err().starts_with("-s needs a socket"));
        }
        assert!(config(&["-s", "-i", "local", "2thread"]).size_kernel_buffers);
    }

    #[test]
    fn port_zero_means_any() {
        assert_eq!(config(&["-p", "0", "-i", "tcp", "2thread"]).port, 0);
        assert_eq!(config(&["-p", "65535", "2thread"]).port, 65535);
    }

    #[test]
    fn instrumentation_flags() {
        let c = config(&["-jg", "-n", "200", "-P", "dcache", "-a", "0,1", "2proc"]);
        assert!(c.json && c.rusage);
        assert_eq!(c.iterations, 200);
        assert_eq!(c.counters, Some(CounterSet::Dcache));
        assert_eq!(c.affinity, Some(Affinity { receiver: 0, sender: Some(1) }));
        let c = config(&["-a1", "-Psw", "-n1", "1thread"]);
        assert_eq!(c.affinity, Some(Affinity { receiver: 1, sender: None }));
        assert_eq!(c.counters, Some(CounterSet::Sw));
        assert_eq!(config(&["2thread"]).iterations, 1);
        assert_eq!(parse_str(&["describe"]), Ok(Command::Describe { json: false }));
        assert_eq!(parse_str(&["-v", "-j", "describe"]), Ok(Command::Describe { json: true }));
    }

    #[test]
    fn instrumentation_errors() {
        let cases: &[(&[&str], &str)] = &[
            (&["-n", "0", "2thread"], "invalid iteration count (a positive decimal number): '0'"),
            (&["-n", "x", "2thread"], "invalid iteration count (a positive decimal number): 'x'"),
            (&["-P", "l2", "2thread"], "unknown counter set (arch, dcache, instr, tlbmem or sw): 'l2'"),
            (&["-a", "", "2thread"], "invalid CPU list (cpu or receiver_cpu,sender_cpu; 0..1023): ''"),
            (&["-a", "0,1,2", "2thread"], "invalid CPU list (cpu or receiver_cpu,sender_cpu; 0..1023): '0,1,2'"),
            (&["-a", "1024", "2thread"], "invalid CPU list (cpu or receiver_cpu,sender_cpu; 0..1023): '1024'"),
            (&["-a", "0,", "2thread"], "invalid CPU list (cpu or receiver_cpu,sender_cpu; 0..1023): '0,'"),
            (&["-a", "0,1", "1thread"], "-a with two CPUs needs two sides (2thread or 2proc)"),
            (&["-q", "-j", "2thread"], "-q and -j contradict each other (nothing, or JSON, on stdout)"),
            (&["describe", "x"], "unexpected argument after the mode: 'x'"),
        ];
        for (args, message) in cases {
            assert_eq!(parse_str(args).unwrap_err(), *message, "for {args:?}");
        }
    }

    #[test]
    fn usage_lists_the_defaults() {
        let mut out = Vec::new();
        render_usage(&mut out);
        let usage = String::from_utf8(out).unwrap();
        for default in ["131072", "16777216", "10141", "(default: pipe)"] {
            assert!(usage.contains(default), "usage lacks {default}");
        }
    }
}
