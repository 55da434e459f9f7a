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
    /// The sender process failed first, said why on stderr, and exited with
    /// this status: [`Error::report`] prints nothing more.
    SenderSaid(i32),
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
            Cause::ExitStatus(status) | Cause::SenderSaid(status) => {
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
        if let Cause::SenderSaid(_) = self.cause {
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
    fn odd_answers_and_the_senders_own_report_are_named() {
        let said = Error { exit_code: 74, ..Error::io("sender process", Cause::SenderSaid(74), 8, 16) };
        assert_eq!(text(said), "sender process: exited with status 74 after 8 of 16 bytes");
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
