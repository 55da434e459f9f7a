//! When both sides fail, which failure is the cause: the side that failed
//! first closed its end, and the other side's end of file, EPIPE or reset
//! is only the echo of it.

use core::sync::atomic::{AtomicU8, Ordering};

use rustix::process::WaitStatus;

use crate::error::{Cause, Error, EX_CONFIG, EX_USAGE};

/// The two sides of a 2thread run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    Sender,
    Receiver,
}

/// Which side of a 2thread run failed first. Each side records itself
/// before closing its end, so the cause always precedes its echo.
pub struct FirstFailure(AtomicU8);

impl FirstFailure {
    const NONE: u8 = 0;

    pub fn new() -> Self {
        Self(AtomicU8::new(Self::NONE))
    }

    pub fn record(&self, side: Side) {
        let code = match side {
            Side::Sender => 1,
            Side::Receiver => 2,
        };
        let _ = self.0.compare_exchange(Self::NONE, code, Ordering::AcqRel, Ordering::Acquire);
    }

    pub fn side(&self) -> Option<Side> {
        match self.0.load(Ordering::Acquire) {
            1 => Some(Side::Sender),
            2 => Some(Side::Receiver),
            _ => None,
        }
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

/// A 2proc run's outcome from the receiver's result and how the sender
/// child ended (its wait status): the finish stamp, or the failure that
/// caused the others.
pub fn of_two_processes<F>(received: Result<F, Error>, child: WaitStatus, total: u64) -> Result<F, Error> {
    of_child(received, child.terminating_signal(), child.exit_status(), total)
}

/// [`of_two_processes`] with the child's end as its terminating signal or
/// exit status.
fn of_child<F>(received: Result<F, Error>, signal: Option<i32>, status: Option<i32>, total: u64) -> Result<F, Error> {
    let progress = match &received {
        Err(e) => e.progress.map_or(0, |(moved, _)| moved),
        Ok(_) => total,
    };
    let child_error = |cause| Error::io("sender process", cause, progress, total);
    match (received, signal, status) {
        (Ok(finish), None, Some(0)) => Ok(finish),
        // Killed from outside (SIGPIPE is only the echo of the receiver
        // closing its end): that is the cause.
        (_, Some(signal), _) if signal != libc::SIGPIPE => Err(child_error(Cause::KilledBySignal(signal))),
        // The child has named its own failure; this side says what it saw,
        // with the child's exit code (71 for a set-up error).
        (Err(mut e), _, Some(code)) if code != 0 => {
            if (EX_USAGE..=EX_CONFIG).contains(&code) {
                e.exit_code = code;
            }
            Err(e)
        }
        (Err(e), _, _) => Err(e),
        (Ok(_), Some(signal), _) => Err(child_error(Cause::KilledBySignal(signal))),
        (Ok(_), None, code) => Err(child_error(Cause::ExitStatus(code.unwrap_or(-1)))),
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
        assert_eq!(of_child(Ok(7), None, Some(0), 100), Ok(7));
        // Killed from outside: the cause, whatever the receiver saw.
        let killed = Error::io("sender process", Cause::KilledBySignal(9), 40, 100);
        assert_eq!(of_child::<u8>(Err(eof(40)), Some(9), None, 100), Err(killed));
        // SIGPIPE after the receiver closed is its echo: the receiver's error.
        assert_eq!(of_child::<u8>(Err(eof(40)), Some(libc::SIGPIPE), None, 100), Err(eof(40)));
        // The child failed setting up (71): the receiver's view, with 71.
        let e = of_child::<u8>(Err(eof(0)), None, Some(71), 100).unwrap_err();
        assert_eq!((e.exit_code, e.cause), (71, Cause::EndOfFile));
        // All data in, yet the child did not exit cleanly.
        let e = of_child(Ok(7), None, Some(3), 100).unwrap_err();
        assert_eq!((e.cause, e.progress), (Cause::ExitStatus(3), Some((100, 100))));
    }
}
