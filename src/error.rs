//! Failures, what they print, and the program's exit statuses: the
//! sysexits(3) codes.

use rustix::io::Errno;

use crate::output::{FdWriter, Sink};
use crate::sys;

/// A command-line usage error.
pub const EX_USAGE: i32 = 64;
/// A service is unavailable (-P where the OS has no counters).
pub const EX_UNAVAILABLE: i32 = 69;
/// An internal error: a bug, which no input may reach (the panic handler).
pub const EX_SOFTWARE: i32 = 70;
/// Setting up failed: a system call outside the loop.
pub const EX_OSERR: i32 = 71;
/// Moving the data, or writing the results, failed.
pub const EX_IOERR: i32 = 74;
/// The highest sysexits code (a configuration error).
pub const EX_CONFIG: i32 = 78;

/// Why something failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    Errno(Errno),
    /// The other side closed before the total arrived.
    EndOfFile,
    /// The sender process was killed by this signal.
    KilledBySignal(i32),
    /// The sender process exited with this non-zero status.
    ExitStatus(i32),
    /// A call returned this, which it never returns (the clock: not 0).
    Returned(i32),
    /// An answer that makes no sense, or a wait that cannot end.
    Odd(Odd),
}

/// Answers from the kernel (or the other side) that make no sense.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Odd {
    /// A read or write returned more bytes than it was asked for.
    MoreThanAsked,
    /// 1thread read more bytes than it had written.
    MoreThanWritten,
    /// 1thread had written every byte, and nothing more arrived.
    NothingInFlight,
    /// The clock returned 0 without writing the time.
    ClockNotWritten,
    /// The clock wrote a time no clock shows.
    ClockImpossible,
    /// The finish stamp is not after the start stamp.
    ClockNotMonotonic,
    /// The 2proc child exited 0 without leaving its start stamp.
    NoStartStamp,
    /// Only other programs' connections arrived on the TCP port.
    OnlyStrangers,
}

impl Odd {
    /// Every kind, in the order of their codes (see [`Cause::code`]).
    const ALL: [Odd; 8] = [
        Odd::MoreThanAsked,
        Odd::MoreThanWritten,
        Odd::NothingInFlight,
        Odd::ClockNotWritten,
        Odd::ClockImpossible,
        Odd::ClockNotMonotonic,
        Odd::NoStartStamp,
        Odd::OnlyStrangers,
    ];

    pub fn text(self) -> &'static str {
        match self {
            Odd::MoreThanAsked => "returned more bytes than it was asked for",
            Odd::MoreThanWritten => "returned more bytes than were written",
            Odd::NothingInFlight => "nothing more arrived once every byte was written",
            Odd::ClockNotWritten => "returned 0 without writing the time",
            Odd::ClockImpossible => "wrote an impossible time",
            Odd::ClockNotMonotonic => "CLOCK_MONOTONIC did not advance",
            Odd::NoStartStamp => "exited without leaving its start stamp",
            Odd::OnlyStrangers => "only other programs connected",
        }
    }
}

impl Cause {
    /// The cause as one number (its kind in the high half, its value in the
    /// low), for a failure handed from the 2proc child to its parent.
    pub fn code(self) -> u64 {
        let (kind, value): (u32, i32) = match self {
            Cause::Errno(errno) => (1, errno.raw_os_error()),
            Cause::EndOfFile => (2, 0),
            Cause::KilledBySignal(signal) => (3, signal),
            Cause::ExitStatus(status) => (4, status),
            Cause::Returned(value) => (5, value),
            Cause::Odd(odd) => (6, Odd::ALL.iter().position(|&o| o == odd).map_or(-1, |i| i as i32)),
        };
        u64::from(kind) << 32 | u64::from(value as u32)
    }

    /// The cause [`Cause::code`] made `code` from, if it is one.
    pub fn from_code(code: u64) -> Option<Cause> {
        let value = code as u32 as i32;
        Some(match code >> 32 {
            1 if (1..4096).contains(&value) => Cause::Errno(Errno::from_raw_os_error(value)),
            2 => Cause::EndOfFile,
            3 => Cause::KilledBySignal(value),
            4 => Cause::ExitStatus(value),
            5 => Cause::Returned(value),
            6 => Cause::Odd(*Odd::ALL.get(usize::try_from(value).ok()?)?),
            _ => return None,
        })
    }
}

/// A failure: what was being done, why it failed and, for the IPC loop, how
/// many bytes had moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    pub exit_code: i32,
    pub operation: &'static str,
    pub cause: Cause,
    /// The loopback port, for bind/listen/connect/accept.
    pub port: Option<u16>,
    /// The CPU, for sched_setaffinity.
    pub cpu: Option<usize>,
    /// (bytes moved, bytes expected), for failures inside the loop.
    pub progress: Option<(u64, u64)>,
    /// Said on stderr already, by the 2proc child that failed first:
    /// [`Error::report`] prints nothing.
    pub said: bool,
}

impl Error {
    /// Setting up failed: EX_OSERR (71).
    pub fn os(operation: &'static str, errno: Errno) -> Error {
        Error {
            exit_code: EX_OSERR,
            operation,
            cause: Cause::Errno(errno),
            port: None,
            cpu: None,
            progress: None,
            said: false,
        }
    }

    /// Moving the data failed: EX_IOERR (74).
    pub fn io(operation: &'static str, cause: Cause, moved: u64, total: u64) -> Error {
        Error { exit_code: EX_IOERR, cause, progress: Some((moved, total)), ..Error::os(operation, Errno::IO) }
    }

    pub fn at_port(mut self, port: u16) -> Error {
        self.port = Some(port);
        self
    }

    pub fn at_cpu(mut self, cpu: usize) -> Error {
        self.cpu = Some(cpu);
        self
    }

    /// True when this failure is only the echo of the other side going away
    /// (EPIPE, ECONNRESET, end of file), not a cause of its own.
    pub fn is_peer_gone(&self) -> bool {
        matches!(self.cause, Cause::EndOfFile | Cause::Errno(Errno::PIPE) | Cause::Errno(Errno::CONNRESET))
    }

    /// Puts `operation[ 127.0.0.1:port]: cause[ after N of M bytes]`.
    pub fn render(&self, out: &mut impl Sink) {
        out.put_str(self.operation);
        if let Some(port) = self.port {
            out.put(b" 127.0.0.1:");
            out.put_u64(u64::from(port));
        }
        if let Some(cpu) = self.cpu {
            out.put(b" CPU ");
            out.put_u64(cpu as u64);
        }
        out.put(b": ");
        self.render_cause(out);
        if let Some((moved, total)) = self.progress {
            out.put(b" after ");
            out.put_u64(moved);
            out.put(b" of ");
            out.put_u64(total);
            out.put(b" bytes");
        }
    }

    /// Puts why it failed: the errno's text, or what happened instead.
    pub fn render_cause(&self, out: &mut impl Sink) {
        match self.cause {
            Cause::Errno(errno) => out.put(sys::errno::text(errno)),
            Cause::EndOfFile => out.put(b"connection closed by the sender"),
            Cause::KilledBySignal(signal) => {
                out.put(b"killed by signal ");
                out.put_u64(signal as u64);
            }
            Cause::ExitStatus(status) => {
                out.put(b"exited with status ");
                out.put_u64(status as u64);
            }
            Cause::Returned(value) => {
                out.put(b"returned ");
                if value < 0 {
                    out.put(b"-");
                }
                out.put_u64(u64::from(value.unsigned_abs()));
            }
            Cause::Odd(odd) => out.put_str(odd.text()),
        }
    }

    /// `ipc-static: <what failed>: <why>` on stderr, unless the process that
    /// failed has said it already.
    pub fn report(&self) {
        if self.said {
            return;
        }
        let mut err = FdWriter::new(sys::start::stderr());
        err.put(b"ipc-static: ");
        self.render(&mut err);
        err.put(b"\n");
        let _ = err.flush();
    }
}

/// Flushes what was written to stdout; a closed or full stdout is an I/O
/// error (exit 74), reported here.
pub fn finish_stdout(out: &mut FdWriter) -> Result<(), Error> {
    out.flush().map_err(|errno| {
        let e = Error { exit_code: EX_IOERR, ..Error::os("write to standard output", errno) };
        e.report();
        e
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(e: Error) -> String {
        let mut out = Vec::new();
        e.render(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn messages_name_the_call_the_cause_and_the_progress() {
        assert_eq!(text(Error::os("bind", Errno::ADDRINUSE).at_port(10141)).split(':').next(), Some("bind 127.0.0.1"));
        assert!(text(Error::os("bind", Errno::ADDRINUSE).at_port(10141)).starts_with("bind 127.0.0.1:10141: "));
        assert_eq!(
            text(Error::io("read", Cause::EndOfFile, 4096, 8192)),
            "read: connection closed by the sender after 4096 of 8192 bytes"
        );
        assert_eq!(
            text(Error::io("sender process", Cause::KilledBySignal(9), 0, 8)),
            "sender process: killed by signal 9 after 0 of 8 bytes"
        );
    }

    #[test]
    fn causes_cross_to_the_parent_as_numbers() {
        let causes = [
            Cause::Errno(Errno::PIPE),
            Cause::EndOfFile,
            Cause::KilledBySignal(9),
            Cause::ExitStatus(3),
            Cause::Returned(-7),
            Cause::Odd(Odd::MoreThanAsked),
            Cause::Odd(Odd::OnlyStrangers),
        ];
        for cause in causes {
            assert_eq!(Cause::from_code(cause.code()), Some(cause));
        }
        // Nothing that is not a cause becomes one (nor an errno rustix refuses).
        for code in [0, 1 << 32, (1 << 32) | 4096, (6 << 32) | 8, (6 << 32) | u64::from(u32::MAX), 7 << 32] {
            assert_eq!(Cause::from_code(code), None, "{code:#x}");
        }
    }

    #[test]
    fn odd_answers_are_named() {
        assert_eq!(text(Error { cause: Cause::Returned(-7), ..Error::os("clock_gettime", Errno::INVAL) }), "clock_gettime: returned -7");
        assert_eq!(
            text(Error::io("read", Cause::Odd(Odd::MoreThanAsked), 4096, 65536)),
            "read: returned more bytes than it was asked for after 4096 of 65536 bytes"
        );
    }

    #[test]
    fn peer_gone_is_an_echo() {
        assert!(Error::io("write", Cause::Errno(Errno::PIPE), 0, 1).is_peer_gone());
        assert!(Error::io("read", Cause::EndOfFile, 0, 1).is_peer_gone());
        assert!(!Error::io("read", Cause::Errno(Errno::IO), 0, 1).is_peer_gone());
    }

    #[test]
    fn exit_codes_follow_sysexits() {
        assert_eq!(Error::os("mmap", Errno::NOMEM).exit_code, 71);
        assert_eq!(Error::io("write", Cause::Errno(Errno::IO), 0, 1).exit_code, 74);
    }
}
