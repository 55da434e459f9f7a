//! 2proc: a sender child process and a receiving parent (the lab's
//! `ipc_2proc`). The child takes the start stamp before its first write and
//! hands it back through a page shared across fork(); the parent takes the
//! finish stamp after its last read. With -l the parent starts every round
//! trip and takes both stamps (so its laps need no way back), and the child
//! echoes. Inside the window, besides the loop, only the child's exit_group
//! and (if the child starts first) the parent's close of its copy of the
//! writer.

use core::sync::atomic::{AtomicU64, Ordering};

use rustix::time::Timespec;

use crate::args::Config;
use crate::error::{Cause, Error, Odd, EX_IOERR};
use crate::ipc::{Ends, Peer};
use crate::measure::clock;
use crate::measure::latency::Histogram;
use crate::measure::probe::{Mark, Probe, Window};
use crate::sys::memory::Mapping;
use crate::sys::process::{self, Forked};

use super::failure::{self, SharedFirstFailure, Side};
use super::pingpong::{self, Opening};
use super::setup::{raise_flag, release, sleep_one_second, touch_every_page, wait_for_flag};

/// The shared page's 64-bit words: the start stamp (seconds, nanoseconds),
/// the errno of starting -P's counters in the child (0: started), 1 once
/// the child has written those three, which side failed first, and the
/// child's failure if it was first (five words). Then two 32-bit flags
/// (futex words): with -g, the one the parent raises once it has taken its
/// first snapshot (the child waits for it before its start stamp, so that
/// the snapshot is after the fork yet outside the window); with -l, the one
/// the child raises right before its first read. The page is zero-filled:
/// no stamp, no failure, no flag. Nothing touches it before the fork.
const STAMP_SECONDS: usize = 0;
const STAMP_NANOS: usize = 1;
const COUNTING_ERRNO: usize = 2;
const STAMPED: usize = 3;
const FIRST_FAILURE: usize = 4;
const CHILD_FAILURE: usize = 5;
const SNAPSHOT_TAKEN_BYTE: usize = 10 * 8;
const ECHOER_READY_BYTE: usize = 10 * 8 + 4;
const SHARED_BYTES: usize = 11 * 8;

/// The words the child leaves for the parent once it has sent everything.
struct StampWords<'page> {
    seconds: &'page AtomicU64,
    nanos: &'page AtomicU64,
    counting_errno: &'page AtomicU64,
    stamped: &'page AtomicU64,
}

/// Opens the window (a [`pingpong::Open`]), in the process that starts
/// the loop: the child, or with -l (`laps`) the parent. -P's counters
/// start, then the start stamp (-g's first snapshot is the parent's, right
/// after the fork).
fn open_window(config: &Config, probe: &Probe, laps: Option<&mut Histogram>) -> Result<Opening, Error> {
    pingpong::get_ready(config, laps)?;
    let counting = probe.start_counting();
    // BEGIN TIMED REGION
    let start = clock::stamp()?;
    Ok((start, Mark { usage: None, counting }))
}

/// Forks the sender; returns the stamps and what `probe` saw around them.
#[allow(clippy::too_many_arguments)]
#[inline(never)] // out of line: a smaller binary
pub fn run(
    ends: Ends,
    receive_buffer: &mut [u8],
    send_buffer: &mut [u8],
    config: &Config,
    probe: &Probe,
    laps: Option<&mut Histogram>,
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
    // -g's flag, for bandwidth only: with -l the child waits in its first
    // read for the parent, which opens the window.
    let snapshot_taken = shared.atomic_u32(SNAPSHOT_TAKEN_BYTE).filter(|_| config.rusage && !config.latency);
    let ready = shared.atomic_u32(ECHOER_READY_BYTE);
    let (mut sender, mut receiver) = ends.into_halves();
    match process::fork().map_err(|e| Error::os("fork", e))? {
        Forked::Child => {
            // Without the parent's ends here, the child's writes fail with
            // EPIPE (and its reads see end of file) if the parent dies, so
            // the child never lingers (shmem: its sides watch the parent
            // instead).
            receiver.drop_copy();
            sender.watch(Peer::Parent);
            // -F: shmem's shared pages mapped in this process too.
            if config.prefault {
                sender.touch_pages();
            }
            if let Some(flag) = snapshot_taken {
                wait_for_flag(flag);
            }
            // -F -l: the echoer receives into its buffer, which the fork
            // made copy-on-write: its pages are made its own here.
            if config.prefault && config.latency {
                touch_every_page(send_buffer);
            }
            // The ends stay open until _exit closes them: fewer calls.
            // Whatever happens, _exit closes them, so the parent never
            // waits for bytes that cannot come.
            let mut opening = Opening::default();
            let sent = pingpong::side(Side::Sender, &sender, send_buffer, config, probe, open_window, &mut opening, None, ready);
            let code = match sent {
                Ok(()) => {
                    let (start, opened) = opening;
                    if !config.latency {
                        let errno = opened.counting.and_then(|c| c.errno).map_or(0, |e| e.raw_os_error());
                        put_stamp(&stamp, start, errno);
                    }
                    if !config.bare {
                        sleep_one_second();
                    }
                    0
                }
                // Shmem has no SIGPIPE: a child that finds its parent gone
                // ends quietly, as a pipe's writer would by the signal.
                Err(_) if sender.peer_gone() => EX_IOERR,
                // Said (and kept for the parent) only if this side failed
                // first: an EPIPE, a reset or shmem's "peer failed" after
                // the parent failed is the echo of the parent's failure,
                // which the parent reports. The ends are let go at once
                // (shmem has no descriptor for _exit to close).
                Err(e) => {
                    if first.record(Side::Sender) {
                        first.keep(&e);
                        e.report();
                    }
                    drop(sender);
                    e.exit_code
                }
            };
            process::exit(code)
        }
        Forked::Parent(child) => {
            // Without the child's ends here, the parent sees end of file if
            // the child dies (shmem: its sides watch the child instead).
            sender.drop_copy();
            receiver.watch(Peer::Child(child));
            // -g's first snapshot after the fork, and RUSAGE_CHILDREN added
            // to the second after wait4, when it holds the child.
            let usage_before = probe.usage();
            if let Some(flag) = snapshot_taken {
                raise_flag(flag);
            }
            let mut opening = Opening::default();
            let received =
                pingpong::side(Side::Receiver, &receiver, receive_buffer, config, probe, open_window, &mut opening, laps, ready)
                    .and_then(|()| {
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
            let (start, counting) = if config.latency {
                (opening.0, opening.1.counting)
            } else {
                let (start, errno) =
                    stamp_in(&stamp).ok_or(Error::io("sender process", Cause::Odd(Odd::NoStartStamp), total, total))?;
                (start, Probe::started_elsewhere(errno))
            };
            release(shared, leave_to_exit);
            let opened = Mark { usage: usage_before, counting };
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
