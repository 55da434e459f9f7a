//! Command-line parsing, by hand, with getopt(3) semantics as in FreeBSD's
//! utilities: grouped flags (`-Bq`), attached values (`-b4096`, `-ipipe`),
//! `--` ends the options, and the first operand ends them too.
//!
//! The grammar is data: a table of option letters, each with what it sets
//! and the message for a bad value (config.rs holds what they set, usage.rs
//! the text that explains them).

mod config;
#[cfg(test)]
mod tests;
mod usage;

pub use config::{
    Affinity, Command, Config, CounterSet, IpcType, Mode, DEFAULT_BUFFER_SIZE, DEFAULT_PORT, DEFAULT_TOTAL_SIZE, MAX_CPU,
};
pub use usage::render_usage;

use crate::output::{parse_decimal, DecimalError, Sink};

/// Linux can resize a pipe (F_SETPIPE_SZ, fcntl(2), in ipc/pipe.rs); other
/// systems cannot, so there -s needs a socket.
pub const PIPES_CAN_BE_SIZED: bool = cfg!(any(target_os = "linux", target_os = "android"));

/// The grammar: every option letter, what it does, and the message that
/// names a bad value for it. A letter not here is an unknown option.
const OPTIONS: &[Opt] = &[
    value(b'a', Setting::Affinity, "invalid CPU list (cpu or receiver_cpu,sender_cpu; 0..1023)"),
    flag(b'B', Switch::Bare),
    value(b'b', Setting::BufferSize, "buffer size"),
    flag(b'F', Switch::Prefault),
    flag(b'g', Switch::Rusage),
    Opt { letter: b'h', action: Action::Help, message: "" },
    value(b'i', Setting::Ipc, "unknown IPC type (pipe, local, tcp or shmem)"),
    flag(b'j', Switch::Json),
    flag(b'l', Switch::Latency),
    value(b'n', Setting::Iterations, "invalid iteration count (a positive decimal number)"),
    value(b'P', Setting::Counters, "unknown counter set (arch, dcache, instr, tlbmem or sw)"),
    value(b'p', Setting::Port, "invalid TCP port (1..65535, or 0 for any free port)"),
    flag(b'q', Switch::Quiet),
    flag(b's', Switch::SizeKernelBuffers),
    value(b't', Setting::TotalSize, "total size"),
    flag(b'v', Switch::Verbose),
];

/// The values -i, -P and the operand take, by name.
const IPC_TYPES: &[(&[u8], IpcType)] =
    &[(b"pipe", IpcType::Pipe), (b"local", IpcType::Local), (b"tcp", IpcType::Tcp), (b"shmem", IpcType::Shmem)];
const COUNTER_SETS: &[(&[u8], CounterSet)] = &[
    (b"arch", CounterSet::Arch),
    (b"dcache", CounterSet::Dcache),
    (b"instr", CounterSet::Instr),
    (b"tlbmem", CounterSet::Tlbmem),
    (b"sw", CounterSet::Sw),
];
const MODES: &[(&[u8], Mode)] =
    &[(b"1thread", Mode::OneThread), (b"2thread", Mode::TwoThread), (b"2proc", Mode::TwoProc)];

/// The size options' messages: the option's noun (`buffer size`) then one
/// of these.
const SIZE_NOT_DECIMAL: &str = " is not a positive decimal number";
const SIZE_TOO_LARGE: &str = " is too large";
const SIZE_ZERO: &str = " must be positive";

/// One option of the grammar.
struct Opt {
    letter: u8,
    action: Action,
    /// A value option's message for a bad value (a size option's noun, which
    /// its three messages begin with); empty for the others.
    message: &'static str,
}

const fn flag(letter: u8, switch: Switch) -> Opt {
    Opt { letter, action: Action::Flag(switch), message: "" }
}

const fn value(letter: u8, setting: Setting, message: &'static str) -> Opt {
    Opt { letter, action: Action::Value(setting), message }
}

#[derive(Clone, Copy)]
enum Action {
    /// A flag: turns a switch on.
    Flag(Switch),
    /// -h: the usage on stdout at once; the rest is not read.
    Help,
    /// Takes a value: the rest of its argument, or the next argument.
    Value(Setting),
}

#[derive(Clone, Copy)]
enum Switch {
    Bare,
    Quiet,
    SizeKernelBuffers,
    Verbose,
    Json,
    Rusage,
    Prefault,
    Latency,
}

#[derive(Clone, Copy)]
enum Setting {
    Affinity,
    BufferSize,
    Counters,
    Ipc,
    Iterations,
    Port,
    TotalSize,
}

/// What is wrong with the command line: a fixed message (and a fixed
/// detail after it), and the part of the command line it is about.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError<'a> {
    pub message: &'static str,
    pub detail: &'static str,
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
    #[inline(never)] // out of line: a smaller binary
    pub fn render(&self, out: &mut impl Sink) {
        if let Subject::Sizes(total, buffer) = self.subject {
            out.put(b"total size ");
            out.put_u64(total);
            out.put(b" is not a multiple of buffer size ");
            out.put_u64(buffer);
            return;
        }
        out.put_str(self.message);
        out.put_str(self.detail);
        match self.subject {
            Subject::Option(letter) => {
                out.put(b" -- ");
                out.put_escaped(&[letter]);
            }
            Subject::Argument(arg) => {
                out.put(b": '");
                out.put_escaped(arg);
                out.put(b"'");
            }
            Subject::Nothing | Subject::Sizes(..) => {}
        }
    }
}

fn error<'a>(message: &'static str, subject: Subject<'a>) -> UsageError<'a> {
    UsageError { message, detail: "", subject }
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
    let mut config = Config {
        mode: Mode::OneThread,
        ipc: IpcType::Pipe,
        buffer_size: DEFAULT_BUFFER_SIZE,
        total_size: DEFAULT_TOTAL_SIZE,
        port: DEFAULT_PORT,
        bare: false,
        quiet: false,
        size_kernel_buffers: false,
        verbose: false,
        json: false,
        iterations: 1,
        rusage: false,
        counters: None,
        affinity: None,
        prefault: false,
        latency: false,
    };
    // Kept as given until the sizes are checked against each other.
    let mut buffer_size = DEFAULT_BUFFER_SIZE as u64;
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
            let Some(option) = OPTIONS.iter().find(|option| option.letter == letter) else {
                return Err(error("unknown option", Subject::Option(letter)));
            };
            let setting = match option.action {
                Action::Flag(switch) => {
                    *switch_of(&mut config, switch) = true;
                    continue;
                }
                Action::Help => return Ok(Command::Help),
                Action::Value(setting) => setting,
            };
            // The value is the rest of this argument, or the next one.
            let value = match arg.get(at..) {
                Some(rest) if !rest.is_empty() => rest,
                _ => args.next().ok_or(error("option requires an argument", Subject::Option(letter)))?,
            };
            at = arg.len();
            let bad = || error(option.message, Subject::Argument(value));
            match setting {
                Setting::BufferSize => buffer_size = parse_size(value, option.message)?,
                Setting::TotalSize => config.total_size = parse_size(value, option.message)?,
                Setting::Port => {
                    config.port = parse_decimal(value).ok().and_then(|p| u16::try_from(p).ok()).ok_or_else(bad)?
                }
                Setting::Iterations => {
                    config.iterations = parse_decimal(value).ok().filter(|&n| n > 0).ok_or_else(bad)?
                }
                Setting::Counters => config.counters = Some(lookup(COUNTER_SETS, value).ok_or_else(bad)?),
                Setting::Affinity => config.affinity = Some(parse_affinity(value).ok_or_else(bad)?),
                Setting::Ipc => config.ipc = lookup(IPC_TYPES, value).ok_or_else(bad)?,
            }
        }
    }

    let modes = "(1thread, 2thread, 2proc or describe)";
    config.mode = match operand {
        None => return Err(UsageError { message: "missing mode ", detail: modes, subject: Subject::Nothing }),
        Some(b"describe") => {
            return match args.next() {
                Some(extra) => Err(error("unexpected argument after the mode", Subject::Argument(extra))),
                None => Ok(Command::Describe { json: config.json }),
            }
        }
        Some(name) => match lookup(MODES, name) {
            Some(mode) => mode,
            None => {
                return Err(UsageError { message: "unknown mode ", detail: modes, subject: Subject::Argument(name) })
            }
        },
    };
    if let Some(extra) = args.next() {
        return Err(error("unexpected argument after the mode", Subject::Argument(extra)));
    }
    if !config.total_size.is_multiple_of(buffer_size) {
        return Err(error("", Subject::Sizes(config.total_size, buffer_size)));
    }
    // Both buffers are mapped at once, so twice the size must fit.
    config.buffer_size = match usize::try_from(buffer_size) {
        Ok(size) if size.checked_mul(2).is_some() => size,
        _ => return Err(error("buffer size too large for this machine", Subject::Nothing)),
    };
    // -l counts each round trip's time in a 32-bit bucket.
    if config.latency && config.block_count() > u64::from(u32::MAX) {
        return Err(error("-l: more than 4294967295 round trips (totalsize / buffersize)", Subject::Nothing));
    }
    if config.size_kernel_buffers && config.ipc == IpcType::Shmem {
        return Err(error("-s sizes kernel buffers: shmem has none", Subject::Nothing));
    }
    if config.size_kernel_buffers && config.ipc == IpcType::Pipe && !PIPES_CAN_BE_SIZED {
        return Err(error("-s needs a socket (-i local or -i tcp): this OS cannot size pipes", Subject::Nothing));
    }
    if let Some(Affinity { sender: Some(_), .. }) = config.affinity {
        if config.mode == Mode::OneThread {
            return Err(error("-a with two CPUs needs two sides (2thread or 2proc)", Subject::Nothing));
        }
    }
    if config.quiet && config.json {
        return Err(error("-q and -j contradict each other (nothing, or JSON, on stdout)", Subject::Nothing));
    }
    Ok(Command::Run(config))
}

fn switch_of(config: &mut Config, switch: Switch) -> &mut bool {
    match switch {
        Switch::Bare => &mut config.bare,
        Switch::Quiet => &mut config.quiet,
        Switch::SizeKernelBuffers => &mut config.size_kernel_buffers,
        Switch::Verbose => &mut config.verbose,
        Switch::Json => &mut config.json,
        Switch::Rusage => &mut config.rusage,
        Switch::Prefault => &mut config.prefault,
        Switch::Latency => &mut config.latency,
    }
}

/// The value a table gives a name.
fn lookup<T: Copy>(table: &[(&[u8], T)], name: &[u8]) -> Option<T> {
    table.iter().find(|(known, _)| *known == name).map(|&(_, value)| value)
}

/// `cpu` or `receiver,sender`.
fn parse_affinity(text: &[u8]) -> Option<Affinity> {
    let cpu = |part: &[u8]| parse_decimal(part).ok().filter(|&n| n <= MAX_CPU as u64).map(|n| n as usize);
    let mut parts = text.split(|&b| b == b',');
    let receiver = cpu(parts.next()?)?;
    let sender = match parts.next() {
        Some(part) => Some(cpu(part)?),
        None => None,
    };
    match parts.next() {
        Some(_) => None,
        None => Some(Affinity { receiver, sender }),
    }
}

/// A positive decimal size, optionally followed by k, m or g (powers of
/// 1024). Overflow is an error, never a wrap. `noun` begins the messages.
fn parse_size<'a>(text: &'a [u8], noun: &'static str) -> Result<u64, UsageError<'a>> {
    let (digits, multiplier) = match text.split_last() {
        Some((b'k' | b'K', digits)) => (digits, 1u64 << 10),
        Some((b'm' | b'M', digits)) => (digits, 1 << 20),
        Some((b'g' | b'G', digits)) => (digits, 1 << 30),
        _ => (text, 1),
    };
    let problem = |detail| UsageError { message: noun, detail, subject: Subject::Argument(text) };
    let value = parse_decimal(digits).map_err(|e| match e {
        DecimalError::NotDecimal => problem(SIZE_NOT_DECIMAL),
        DecimalError::TooLarge => problem(SIZE_TOO_LARGE),
    })?;
    match value.checked_mul(multiplier) {
        None => Err(problem(SIZE_TOO_LARGE)),
        Some(0) => Err(problem(SIZE_ZERO)),
        Some(size) => Ok(size),
    }
}
