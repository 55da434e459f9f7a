//! 2proc: a sender child process and a receiving parent (the lab's
//! `ipc_2proc`). The child takes the start stamp before its first write and
//! hands it back through a page shared across fork(); the parent takes the
//! finish stamp after its last read. Inside the window, besides the loop,
//! only the child's exit_group and (if the child starts first) the parent's
//! close of its copy of the writer.

use core::sync::atomic::{AtomicU64, Ordering};

use rustix::time::Timespec;

use crate::args::Config;
use crate::error::{Cause, Error, Odd};
use crate::ipc::Ends;
use crate::measure::clock;
use crate::measure::probe::{Mark, Probe, Window};
use crate::sys::memory::Mapping;
use crate::sys::process::{self, Forked};

use super::failure::{self, SharedFirstFailure, Side};
use super::setup::{pin_sender, raise_flag, release, sleep_one_second, wait_for_flag};
use super::transfer;

/// The shared page's 64-bit words: the start stamp (seconds, nanoseconds),
/// the errno of starting -P's counters in the child (0: started), 1 once
/// the child has written those three, which side failed first, and the
/// child's failure if it was first (five words). Then,
/// with -g, a 32-bit flag (a futex word) the parent raises once it has
/// taken its first snapshot: the child waits for it before its start stamp,
/// so that the snapshot is after the fork yet outside the window. The page
/// is zero-filled: no stamp, no failure, no flag. Nothing touches it before
/// the fork.
const STAMP_SECONDS: usize = 0;
const STAMP_NANOS: usize = 1;
const COUNTING_ERRNO: usize = 2;
const STAMPED: usize = 3;
const FIRST_FAILURE: usize = 4;
const CHILD_FAILURE: usize = 5;
const SNAPSHOT_TAKEN_BYTE: usize = 10 * 8;
const SHARED_BYTES: usize = 11 * 8;

/// The words the child leaves for the parent once it has sent everything.
struct StampWords<'page> {
    seconds: &'page AtomicU64,
    nanos: &'page AtomicU64,
    counting_errno: &'page AtomicU64,
    stamped: &'page AtomicU64,
}

/// Forks the sender; returns the stamps and what `probe` saw around them.
pub fn run(
    ends: Ends,
    receive_buffer: &mut [u8],
    send_buffer: &[u8],
    config: &Config,
    probe: &Probe,
    leave_to_exit: bool,
) -> Result<Window, Error> {
    let total = config.total_size;
    let shared = Mapping::shared(SHARED_BYTES).map_err(|e| Error::os("mmap", e))?;
    let words = shared.words();
    let word = |index: usize| words.get(index).ok_or(Error::os("mmap", rustix::io::Errno::NOMEM));
    let stamp = StampWords {
        seconds: word(STAMP_SECONDS)?,
        nanos: word(STAMP_NANOS)?,
        counting_errno: word(COUNTING_ERRNO)?,
        stamped: word(STAMPED)?,
    };
    let first = SharedFirstFailure {
        first: word(FIRST_FAILURE)?,
        said: [
            word(CHILD_FAILURE)?,
            word(CHILD_FAILURE + 1)?,
            word(CHILD_FAILURE + 2)?,
            word(CHILD_FAILURE + 3)?,
            word(CHILD_FAILURE + 4)?,
        ],
    };
    let snapshot_taken = shared.atomic_u32(SNAPSHOT_TAKEN_BYTE).filter(|_| config.rusage);
    let Ends { sender, receiver, .. } = ends;
    match process::fork().map_err(|e| Error::os("fork", e))? {
        Forked::Child => {
            // Without the reader here, the sender's writes fail with EPIPE
            // if the parent dies, so the child never lingers.
            drop(receiver);
            if !config.bare {
                sleep_one_second();
            }
            if let Some(flag) = snapshot_taken {
                wait_for_flag(flag);
            }
            // The writer stays open until _exit closes it: one call fewer.
            // Whatever happens, _exit closes it, so the parent never waits
            // for bytes that cannot come.
            let sent = pin_sender(config).and_then(|()| {
                let counting = probe.start_counting();
                // BEGIN TIMED REGION
                let start = clock::stamp()?;
                transfer::send(&sender, send_buffer, total).map(|()| (start, counting))
            });
            let code = match sent {
                Ok((start, counting)) => {
                    let errno = counting.and_then(|c| c.errno).map_or(0, |e| e.raw_os_error());
                    put_stamp(&stamp, start, errno);
                    if !config.bare {
                        sleep_one_second();
                    }
                    0
                }
                // Said (and kept for the parent) only if this side failed
                // first: an EPIPE or a reset after the parent failed is the
                // echo of the parent's failure, which the parent reports.
                Err(e) => {
                    if first.record(Side::Sender) {
                        first.keep(&e);
                        e.report();
                    }
                    e.exit_code
                }
            };
            process::exit(code)
        }
        Forked::Parent(child) => {
            // Without the writer here, the receiver sees end of file if the
            // child dies.
            drop(sender);
            // -g's first snapshot after the fork, and RUSAGE_CHILDREN added
            // to the second after wait4, when it holds the child.
            let usage_before = probe.usage();
            if let Some(flag) = snapshot_taken {
                raise_flag(flag);
            }
            let received = transfer::receive(&receiver, receive_buffer, total).and_then(|()| {
                // END TIMED REGION
                clock::stamp()
            });
            let mut closed = probe.loop_ends();
            match received {
                Ok(_) => release(receiver, leave_to_exit),
                // Recorded, then closed now, so that a child still writing
                // gets SIGPIPE (or EPIPE, and stays silent) instead of
                // blocking while this process waits for it.
                Err(_) => {
                    first.record(Side::Receiver);
                    drop(receiver)
                }
            }
            let end = process::wait_for(child).map_err(|e| Error::os("waitpid", e))?;
            probe.add_waited_child(&mut closed);
            // The page is read only once the child has ended well or said why
            // (if its mapping were bad, the child would have died of it).
            let finish = failure::of_two_processes(received, end, &first, total)?;
            let (start, errno) =
                stamp_in(&stamp).ok_or(Error::io("sender process", Cause::Odd(Odd::NoStartStamp), total, total))?;
            release(shared, leave_to_exit);
            let opened = Mark { usage: usage_before, counting: Probe::started_elsewhere(errno) };
            Ok(Window { start, finish, opened, closed })
        }
    }
}

fn put_stamp(words: &StampWords<'_>, start: Timespec, counting_errno: i32) {
    words.seconds.store(start.tv_sec as u64, Ordering::Relaxed);
    #[allow(clippy::useless_conversion)] // tv_nsec is narrower on some targets
    words.nanos.store(i64::from(start.tv_nsec) as u64, Ordering::Relaxed);
    words.counting_errno.store(counting_errno as u64, Ordering::Relaxed);
    words.stamped.store(1, Ordering::Release);
}

/// The start stamp and the counters' errno the child left in the shared
/// page, if it left them.
fn stamp_in(words: &StampWords<'_>) -> Option<(Timespec, i32)> {
    if words.stamped.load(Ordering::Acquire) != 1 {
        return None;
    }
    let start = Timespec { tv_sec: words.seconds.load(Ordering::Relaxed) as i64, tv_nsec: words.nanos.load(Ordering::Relaxed) as _ };
    Some((start, words.counting_errno.load(Ordering::Relaxed) as i32))
}
