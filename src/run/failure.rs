//! When both sides fail, which failure is the cause: the side that failed
//! first closed its end, and the other side's end of file, EPIPE or reset
//! is only the echo of it.

use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use crate::error::{Cause, Error, EX_CONFIG, EX_IOERR, EX_USAGE};
use crate::sys::process::ChildEnd;

/// The two sides of a 2thread or 2proc run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    Sender,
    Receiver,
}

/// Which side of a 2thread run failed first. Each side records itself
/// before closing its end, so the cause always precedes its echo.
pub struct FirstFailure(AtomicU8);

impl FirstFailure {
    pub fn new() -> Self {
        Self(AtomicU8::new(NONE))
    }

    pub fn record(&self, side: Side) {
        let _ = self.0.compare_exchange(NONE, code_of(side), Ordering::AcqRel, Ordering::Acquire);
    }

    pub fn side(&self) -> Option<Side> {
        side_of(u64::from(self.0.load(Ordering::Acquire)))
    }
}

/// The same for a 2proc run, in a word of the page that the two processes
/// share: the child asks it before saying anything, so that its EPIPE or
/// reset after the parent failed stays silent.
pub struct SharedFirstFailure<'page>(pub &'page AtomicU64);

impl SharedFirstFailure<'_> {
    /// Records `side` unless the other side came first; true if it was first.
    pub fn record(&self, side: Side) -> bool {
        let mine = u64::from(code_of(side));
        match self.0.compare_exchange(u64::from(NONE), mine, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => true,
            Err(first) => first == mine,
        }
    }

    pub fn side(&self) -> Option<Side> {
        side_of(self.0.load(Ordering::Acquire))
    }
}

const NONE: u8 = 0;

fn code_of(side: Side) -> u8 {
    match side {
        Side::Sender => 1,
        Side::Receiver => 2,
    }
}

fn side_of(code: u64) -> Option<Side> {
    match code {
        1 => Some(Side::Sender),
        2 => Some(Side::Receiver),
        _ => None,
    }
}

/// A 2thread run's outcome from its two sides' results: both stamps, or
/// the failure that caused the others.
pub fn of_two_threads<S, F>(
    sent: Result<S, Error>,
    received: Result<F, Error>,
    first: Option<Side>,
) -> Result<(S, F), Error> {
    match (sent, received) {
        (Ok(start), Ok(finish)) => Ok((start, finish)),
        // Both failed: byte counts cannot tell the cause from the echo (an
        // injected EPIPE and an early end of file both leave sent ==
        // received), the order of failure can.
        (Err(send_error), Err(receive_error)) => match first {
            Some(Side::Receiver) => Err(receive_error),
            _ => Err(send_error),
        },
        (_, Err(receive_error)) => Err(receive_error),
        (Err(send_error), Ok(_)) => Err(send_error),
    }
}

/// A 2proc run's outcome from the receiver's result, how the sender child
/// ended, and whether the sender failed first (and so has said why on
/// stderr): the finish stamp, or the failure that caused the others.
pub fn of_two_processes<F>(
    received: Result<F, Error>,
    child: ChildEnd,
    sender_failed_first: bool,
    total: u64,
) -> Result<F, Error> {
    let progress = match &received {
        Err(e) => e.progress.map_or(0, |(moved, _)| moved),
        Ok(_) => total,
    };
    let child_error = |cause| Error::io("sender process", cause, progress, total);
    let sysexits = |code: i32| (EX_USAGE..=EX_CONFIG).contains(&code);
    match (received, child) {
        (Ok(finish), ChildEnd::Exited(0)) => Ok(finish),
        // Killed from outside (SIGPIPE is only the echo of the receiver
        // closing its end): that is the cause.
        (_, ChildEnd::Killed(signal)) if signal != libc::SIGPIPE => Err(child_error(Cause::KilledBySignal(signal))),
        // The child failed first and has said why: what this side saw is its
        // echo, kept (with the child's exit code) for -j but not printed.
        (_, ChildEnd::Exited(code)) if code != 0 && sender_failed_first => {
            let exit_code = if sysexits(code) { code } else { EX_IOERR };
            Err(Error { exit_code, ..child_error(Cause::SenderSaid(code)) })
        }
        // The child ended badly without recording it (a panic): this side
        // says what it saw, with the child's exit code.
        (Err(mut e), ChildEnd::Exited(code)) if code != 0 && e.is_peer_gone() => {
            if sysexits(code) {
                e.exit_code = code;
            }
            Err(e)
        }
        (Err(e), _) => Err(e),
        (Ok(_), ChildEnd::Killed(signal)) => Err(child_error(Cause::KilledBySignal(signal))),
        (Ok(_), ChildEnd::Exited(code)) => Err(child_error(Cause::ExitStatus(code))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::io::Errno;

    fn eof(moved: u64) -> Error {
        Error::io("read", Cause::EndOfFile, moved, 100)
    }

    fn epipe(moved: u64) -> Error {
        Error::io("write", Cause::Errno(Errno::PIPE), moved, 100)
    }

    #[test]
    fn two_threads_name_the_side_that_failed_first() {
        assert_eq!(of_two_threads::<u8, u8>(Ok(1), Ok(2), None), Ok((1, 2)));
        assert_eq!(of_two_threads::<u8, u8>(Err(epipe(5)), Err(eof(5)), Some(Side::Receiver)), Err(eof(5)));
        assert_eq!(of_two_threads::<u8, u8>(Err(epipe(5)), Err(eof(5)), Some(Side::Sender)), Err(epipe(5)));
        assert_eq!(of_two_threads::<u8, u8>(Ok(1), Err(eof(5)), None), Err(eof(5)));
        assert_eq!(of_two_threads::<u8, u8>(Err(epipe(5)), Ok(2), None), Err(epipe(5)));
        let first = FirstFailure::new();
        assert_eq!(first.side(), None);
        first.record(Side::Receiver);
        first.record(Side::Sender);
        assert_eq!(first.side(), Some(Side::Receiver), "the first record stands");
    }

    #[test]
    fn two_processes_name_the_cause_not_its_echo() {
        use ChildEnd::{Exited, Killed};
        assert_eq!(of_two_processes(Ok(7), Exited(0), false, 100), Ok(7));
        // Killed from outside: the cause, whatever the receiver saw.
        let killed = Error::io("sender process", Cause::KilledBySignal(9), 40, 100);
        assert_eq!(of_two_processes::<u8>(Err(eof(40)), Killed(9), false, 100), Err(killed));
        // SIGPIPE after the receiver closed is its echo: the receiver's error.
        assert_eq!(of_two_processes::<u8>(Err(eof(40)), Killed(libc::SIGPIPE), false, 100), Err(eof(40)));
        // The receiver failed first; the child's 74 is the echo.
        assert_eq!(of_two_processes::<u8>(Err(eof(40)), Exited(74), false, 100), Err(eof(40)));
        let io = Error::io("read", Cause::Errno(Errno::IO), 40, 100);
        assert_eq!(of_two_processes::<u8>(Err(io), Exited(74), false, 100), Err(io));
        // The child failed first (set-up, 71) and said so: this side's end of
        // file is kept for -j, not printed, with the child's code.
        let e = of_two_processes::<u8>(Err(eof(0)), Exited(71), true, 100).unwrap_err();
        assert_eq!((e.exit_code, e.cause), (71, Cause::SenderSaid(71)));
        // A child that ended badly without recording (a panic, 70).
        let e = of_two_processes::<u8>(Err(eof(0)), Exited(70), false, 100).unwrap_err();
        assert_eq!((e.exit_code, e.cause), (70, Cause::EndOfFile));
        // All data in, yet the child did not exit cleanly.
        let e = of_two_processes(Ok(7), Exited(3), false, 100).unwrap_err();
        assert_eq!((e.cause, e.progress), (Cause::ExitStatus(3), Some((100, 100))));
    }

    #[test]
    fn the_shared_record_keeps_the_first_side() {
        let word = AtomicU64::new(0);
        let first = SharedFirstFailure(&word);
        assert_eq!(first.side(), None);
        assert!(first.record(Side::Receiver));
        assert!(!first.record(Side::Sender), "the sender came second");
        assert!(first.record(Side::Receiver), "recording again keeps it first");
        assert_eq!(first.side(), Some(Side::Receiver));
    }
}
