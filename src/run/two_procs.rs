//! 2proc: a sender child process and a receiving parent (the lab's
//! `ipc_2proc`). The child takes the start stamp before its first write and
//! hands it back through a page shared across fork(); the parent takes the
//! finish stamp after its last read.

use core::sync::atomic::{AtomicU64, Ordering};

use rustix::time::Timespec;

use crate::args::Config;
use crate::error::{Cause, Error, Odd};
use crate::ipc::Ends;
use crate::measure::clock;
use crate::sys::memory::Mapping;
use crate::sys::process::{self, ChildEnd, Forked};

use super::failure::{self, SharedFirstFailure, Side};
use super::setup::{pin_sender, release, sleep_one_second};
use super::transfer;

/// The shared page's words: the start stamp (seconds, nanoseconds), 1 once
/// the child has written it, and which side failed first. The page is
/// zero-filled: no stamp, no failure. Nothing touches it before the fork.
const STAMP_SECONDS: usize = 0;
const STAMP_NANOS: usize = 1;
const STAMPED: usize = 2;
const FIRST_FAILURE: usize = 3;
const SHARED_BYTES: usize = 4 * 8;

/// Forks the sender; returns the stamps.
pub fn run(
    ends: Ends,
    receive_buffer: &mut [u8],
    send_buffer: &[u8],
    config: &Config,
    leave_to_exit: bool,
) -> Result<(Timespec, Timespec), Error> {
    let total = config.total_size;
    let shared = Mapping::shared(SHARED_BYTES).map_err(|e| Error::os("mmap", e))?;
    let words = shared.words();
    let word = |index: usize| words.get(index).ok_or(Error::os("mmap", rustix::io::Errno::NOMEM));
    let stamp = [word(STAMP_SECONDS)?, word(STAMP_NANOS)?, word(STAMPED)?];
    let first = SharedFirstFailure(word(FIRST_FAILURE)?);
    let Ends { sender, receiver, .. } = ends;
    match process::fork().map_err(|e| Error::os("fork", e))? {
        Forked::Child => {
            // Without the reader here, the sender's writes fail with EPIPE
            // if the parent dies, so the child never lingers.
            drop(receiver);
            if !config.bare {
                sleep_one_second();
            }
            // The writer stays open until _exit closes it: one call fewer.
            // Whatever happens, _exit closes it, so the parent never waits
            // for bytes that cannot come.
            let sent = pin_sender(config).and_then(|()| {
                // BEGIN TIMED REGION
                let start = clock::stamp()?;
                transfer::send(&sender, send_buffer, total).map(|()| start)
            });
            let code = match sent {
                Ok(start) => {
                    put_stamp(stamp, start);
                    if !config.bare {
                        sleep_one_second();
                    }
                    0
                }
                // Said only if this side failed first: an EPIPE or a reset
                // after the parent failed is the echo of the parent's
                // failure, which the parent reports.
                Err(e) => {
                    if first.record(Side::Sender) {
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
            let received = transfer::receive(&receiver, receive_buffer, total).and_then(|()| {
                // END TIMED REGION
                clock::stamp()
            });
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
            // The page is read only once the child has ended well or said why
            // (if its mapping were bad, the child would have died of it).
            let sender_first = matches!(end, ChildEnd::Exited(code) if code != 0) && first.side() == Some(Side::Sender);
            let finish = failure::of_two_processes(received, end, sender_first, total)?;
            let start = stamp_in(stamp).ok_or(Error::io(
                "sender process",
                Cause::Odd(Odd::NoStartStamp),
                total,
                total,
            ))?;
            release(shared, leave_to_exit);
            Ok((start, finish))
        }
    }
}

fn put_stamp([seconds, nanos, stamped]: [&AtomicU64; 3], start: Timespec) {
    seconds.store(start.tv_sec as u64, Ordering::Relaxed);
    #[allow(clippy::useless_conversion)] // tv_nsec is narrower on some targets
    nanos.store(i64::from(start.tv_nsec) as u64, Ordering::Relaxed);
    stamped.store(1, Ordering::Release);
}

/// The start stamp the child left in the shared page, if it left one.
fn stamp_in([seconds, nanos, stamped]: [&AtomicU64; 3]) -> Option<Timespec> {
    if stamped.load(Ordering::Acquire) != 1 {
        return None;
    }
    Some(Timespec { tv_sec: seconds.load(Ordering::Relaxed) as i64, tv_nsec: nanos.load(Ordering::Relaxed) as _ })
}
