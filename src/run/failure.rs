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

/// The same for a 2proc run, in words of the page that the two processes
/// share: which side failed first, and, if it is the child, its failure as
/// it said it. The child asks before saying anything, so that its EPIPE or
/// reset after the parent failed stays silent; the parent hands on what the
/// child said (to -j's document), without saying it again.
pub struct SharedFirstFailure<'page> {
    pub first: &'page AtomicU64,
    /// The child's failure: its operation (an index into
    /// CHILD_OPERATIONS, 0 for none), cause (Cause::code), bytes moved and
    /// total (u64::MAX: none), CPU (u64::MAX: none).
    pub said: [&'page AtomicU64; 5],
}

/// What the 2proc child can fail at: the affinity of -a, its start stamp,
/// its writes, with -l its reads (it echoes), and shmem's futex calls.
const CHILD_OPERATIONS: [&str; 5] = ["sched_setaffinity", "clock_gettime", "write", "read", "futex"];

const NOTHING: u64 = u64::MAX;

impl SharedFirstFailure<'_> {
    /// Records `side` unless the other side came first; true if it was first.
    pub fn record(&self, side: Side) -> bool {
        let mine = u64::from(code_of(side));
        match self.first.compare_exchange(u64::from(NONE), mine, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => true,
            Err(first) => first == mine,
        }
    }

    pub fn side(&self) -> Option<Side> {
        side_of(self.first.load(Ordering::Acquire))
    }

    /// The child, first to fail: keeps `failure` for the parent.
    pub fn keep(&self, failure: &Error) {
        let [operation, cause, moved, total, cpu] = self.said;
        let index = CHILD_OPERATIONS.iter().position(|&o| o == failure.operation).map_or(0, |i| i as u64 + 1);
        let (m, t) = failure.progress.unwrap_or((NOTHING, NOTHING));
        cause.store(failure.cause.code(), Ordering::Relaxed);
        moved.store(m, Ordering::Relaxed);
        total.store(t, Ordering::Relaxed);
        cpu.store(failure.cpu.map_or(NOTHING, |c| c as u64), Ordering::Relaxed);
        operation.store(index, Ordering::Release);
    }

    /// The parent, once the child has ended: the failure the child kept,
    /// if it kept one that makes sense (exit code still to be set).
    pub fn kept(&self) -> Option<Error> {
        let [operation, cause, moved, total, cpu] = self.said;
        let index = usize::try_from(operation.load(Ordering::Acquire)).ok()?.checked_sub(1)?;
        let mut failure = Error::os(CHILD_OPERATIONS.get(index).copied()?, rustix::io::Errno::IO);
        failure.cause = Cause::from_code(cause.load(Ordering::Relaxed))?;
        failure.progress = match (moved.load(Ordering::Relaxed), total.load(Ordering::Relaxed)) {
            (NOTHING, NOTHING) => None,
            (m, t) if m <= t => Some((m, t)),
            _ => return None,
        };
        failure.cpu = match cpu.load(Ordering::Relaxed) {
            NOTHING => None,
            c => Some(usize::try_from(c).ok()?),
        };
        Some(failure)
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
#[inline(never)] // out of line: a smaller binary
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
/// ended, and the shared record of the first failure: the finish stamp, or
/// the failure that caused the others.
pub fn of_two_processes<F>(
    received: Result<F, Error>,
    child: ChildEnd,
    record: &SharedFirstFailure<'_>,
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
        // The child failed first and has said why: its failure, as it kept
        // it, is the run's (for -j), not said again; what this side saw is
        // its echo.
        (_, ChildEnd::Exited(code)) if code != 0 && record.side() == Some(Side::Sender) => {
            let exit_code = if sysexits(code) { code } else { EX_IOERR };
            let said = record.kept().unwrap_or_else(|| child_error(Cause::ExitStatus(code)));
            Err(Error { exit_code, said: true, ..said })
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

    /// A shared record on the stack, zero-filled as the page is.
    struct Page([AtomicU64; 6]);

    impl Page {
        fn new() -> Page {
            Page(core::array::from_fn(|_| AtomicU64::new(0)))
        }

        fn record(&self) -> SharedFirstFailure<'_> {
            let [first, said @ ..] = &self.0;
            SharedFirstFailure { first, said: said.each_ref() }
        }
    }

    #[test]
    fn two_processes_name_the_cause_not_its_echo() {
        use ChildEnd::{Exited, Killed};
        let (none, page) = (Page::new(), Page::new());
        let nobody = none.record();
        assert_eq!(of_two_processes(Ok(7), Exited(0), &nobody, 100), Ok(7));
        // Killed from outside: the cause, whatever the receiver saw.
        let killed = Error::io("sender process", Cause::KilledBySignal(9), 40, 100);
        assert_eq!(of_two_processes::<u8>(Err(eof(40)), Killed(9), &nobody, 100), Err(killed));
        // SIGPIPE after the receiver closed is its echo: the receiver's error.
        assert_eq!(of_two_processes::<u8>(Err(eof(40)), Killed(libc::SIGPIPE), &nobody, 100), Err(eof(40)));
        // The receiver failed first; the child's 74 is the echo.
        let receiver_first = page.record();
        assert!(receiver_first.record(Side::Receiver));
        assert_eq!(of_two_processes::<u8>(Err(eof(40)), Exited(74), &receiver_first, 100), Err(eof(40)));
        let io = Error::io("read", Cause::Errno(Errno::IO), 40, 100);
        assert_eq!(of_two_processes::<u8>(Err(io), Exited(74), &receiver_first, 100), Err(io));
        // The child failed first (its stamp, 71) and said so: its failure
        // is the run's, not said again, with its code.
        let (page, stamp) = (Page::new(), Error { cause: Cause::Returned(1), ..Error::os("clock_gettime", Errno::INVAL) });
        let sender_first = page.record();
        assert!(sender_first.record(Side::Sender));
        sender_first.keep(&stamp);
        let e = of_two_processes::<u8>(Err(eof(0)), Exited(71), &sender_first, 100).unwrap_err();
        assert_eq!(e, Error { said: true, ..stamp });
        // A write that failed half-way, with the bytes the child moved.
        let (page, write) = (Page::new(), Error::io("write", Cause::Errno(Errno::IO), 60, 100));
        let sender_first = page.record();
        sender_first.record(Side::Sender);
        sender_first.keep(&write);
        let e = of_two_processes::<u8>(Err(eof(40)), Exited(74), &sender_first, 100).unwrap_err();
        assert_eq!(e, Error { said: true, ..write });
        // First, but nothing sensible kept: what the parent knows.
        let page = Page::new();
        page.record().record(Side::Sender);
        let e = of_two_processes::<u8>(Err(eof(0)), Exited(71), &page.record(), 100).unwrap_err();
        assert_eq!((e.operation, e.exit_code, e.cause, e.said), ("sender process", 71, Cause::ExitStatus(71), true));
        // A child that ended badly without recording (a panic, 70).
        let e = of_two_processes::<u8>(Err(eof(0)), Exited(70), &nobody, 100).unwrap_err();
        assert_eq!((e.exit_code, e.cause), (70, Cause::EndOfFile));
        // All data in, yet the child did not exit cleanly.
        let e = of_two_processes(Ok(7), Exited(3), &nobody, 100).unwrap_err();
        assert_eq!((e.cause, e.progress), (Cause::ExitStatus(3), Some((100, 100))));
    }

    #[test]
    fn the_shared_record_keeps_the_first_side_and_only_sensible_failures() {
        let page = Page::new();
        let first = page.record();
        assert_eq!(first.side(), None);
        assert!(first.record(Side::Receiver));
        assert!(!first.record(Side::Sender), "the sender came second");
        assert!(first.record(Side::Receiver), "recording again keeps it first");
        assert_eq!(first.side(), Some(Side::Receiver));
        assert_eq!(first.kept(), None, "nothing kept");
        let pinned = Error::os("sched_setaffinity", Errno::INVAL).at_cpu(3);
        first.keep(&pinned);
        assert_eq!(first.kept(), Some(pinned));
        // -l's echoing child fails reading; shmem's child in a futex call.
        for operation in ["read", "futex"] {
            let failed = Error { progress: Some((4096, 8192)), ..Error::os(operation, Errno::INVAL) };
            first.keep(&failed);
            assert_eq!(first.kept(), Some(failed));
        }
        // An operation the parent does not know, or bytes that do not add up.
        first.keep(&Error::os("mmap", Errno::NOMEM));
        assert_eq!(first.kept(), None);
        first.keep(&Error::io("write", Cause::EndOfFile, 101, 100));
        assert_eq!(first.kept(), None);
    }
}
