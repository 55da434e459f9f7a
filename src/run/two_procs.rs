//! 2proc: a sender child process and a receiving parent (the lab's
//! `ipc_2proc`). The child takes the start stamp before its first write and
//! hands it back through a page shared across fork(); the parent takes the
//! finish stamp after its last read. Inside the window, besides the loop,
//! only the child's exit_group and (if the child starts first) the parent's
//! close of its copy of the writer.

use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions, WaitStatus};
use rustix::time::Timespec;

use crate::args::Config;
use crate::error::{Error, EX_IOERR};
use crate::ipc::{Ends, Peer};
use crate::measure::clock;
use crate::measure::probe::{Mark, Probe, Window};
use crate::sys::memory::Mapping;
use crate::sys::process::{self, Forked};

use super::failure;
use super::setup::{pin_sender, raise_flag, release, sleep_one_second, wait_for_flag};
use super::transfer;

/// The shared page: the start stamp (seconds, then nanoseconds), the errno
/// of starting -P's counters in the child (0: started), and, with -g, a flag
/// the parent raises once it has taken its first snapshot: the child waits
/// for it before its start stamp, so that the snapshot is after the fork
/// yet outside the window.
const STAMP_BYTES: usize = 32;
const SNAPSHOT_TAKEN: usize = 24;

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
    let mut shared = Mapping::shared(STAMP_BYTES).map_err(|e| Error::os("mmap", e))?;
    let Ends { mut sender, mut receiver, .. } = ends;
    match process::fork().map_err(|e| Error::os("fork", e))? {
        Forked::Child => {
            // Without the reader here, the sender's writes fail with EPIPE
            // if the parent dies, so the child never lingers (shmem: it
            // watches its parent instead).
            receiver.drop_copy();
            sender.watch(Peer::Parent);
            if config.prefault {
                sender.touch_pages();
            }
            if !config.bare {
                sleep_one_second();
            }
            if let (true, Some(flag)) = (config.rusage, shared.atomic_u32(SNAPSHOT_TAKEN)) {
                wait_for_flag(flag);
            }
            // The writer stays open until _exit closes it: one call fewer.
            let sent = pin_sender(config).and_then(|()| {
                let counting = probe.start_counting();
                // BEGIN TIMED REGION
                let start = clock::stamp()?;
                transfer::send(&sender, send_buffer, total).map(|()| (start, counting))
            });
            let code = match sent {
                Ok((start, counting)) => {
                    let errno = counting.and_then(|c| c.errno).map_or(0, |e| e.raw_os_error());
                    put_stamp(shared.bytes_mut(), start, errno);
                    if !config.bare {
                        sleep_one_second();
                    }
                    0
                }
                // If the parent is gone or failed, SIGPIPE has usually ended
                // this child already; shmem has no SIGPIPE, so it ends as
                // quietly. Any other error is reported, so that the failing
                // call is named, and the writer closed at once (shmem has no
                // descriptor for _exit to close).
                Err(_) if sender.peer_gone() => EX_IOERR,
                Err(e) => {
                    e.report();
                    drop(sender);
                    e.exit_code
                }
            };
            process::exit(code)
        }
        Forked::Parent(child) => {
            // Without the writer here, the receiver sees end of file if the
            // child dies (shmem: it watches the child instead).
            sender.drop_copy();
            receiver.watch(Peer::Child(child));
            // -g's first snapshot after the fork, and RUSAGE_CHILDREN added
            // to the second after wait4, when it holds the child.
            let usage_before = probe.usage();
            if let (true, Some(flag)) = (config.rusage, shared.atomic_u32(SNAPSHOT_TAKEN)) {
                raise_flag(flag);
            }
            let received = transfer::receive(&receiver, receive_buffer, total).and_then(|()| {
                // END TIMED REGION
                clock::stamp()
            });
            let mut closed = probe.loop_ends();
            match received {
                Ok(_) => release(receiver, leave_to_exit),
                // Closed now, so that a child still writing gets SIGPIPE
                // instead of blocking while this process waits for it.
                Err(_) => drop(receiver),
            }
            let status = wait_for(child)?;
            probe.add_waited_child(&mut closed);
            let finish = failure::of_two_processes(received, status, total)?;
            let (start, errno) = stamp_in(shared.bytes());
            release(shared, leave_to_exit);
            let opened = Mark { usage: usage_before, counting: Probe::started_elsewhere(errno) };
            Ok(Window { start, finish, opened, closed })
        }
    }
}

/// waitpid(2) for the sender child, retrying EINTR.
fn wait_for(child: Pid) -> Result<WaitStatus, Error> {
    loop {
        match rustix::process::waitpid(Some(child), WaitOptions::empty()) {
            Ok(Some((_, status))) => return Ok(status),
            Ok(None) => {}
            Err(Errno::INTR) => {}
            Err(e) => return Err(Error::os("waitpid", e)),
        }
    }
}

fn put_stamp(page: &mut [u8], stamp: Timespec, errno: i32) {
    #[allow(clippy::useless_conversion)] // tv_nsec is narrower on some targets
    let words = [stamp.tv_sec, i64::from(stamp.tv_nsec), i64::from(errno)];
    for (slot, word) in page.chunks_exact_mut(8).zip(words) {
        if let Ok(slot) = <&mut [u8; 8]>::try_from(slot) {
            *slot = word.to_ne_bytes();
        }
    }
}

fn stamp_in(page: &[u8]) -> (Timespec, i32) {
    let mut words = [0i64; 3];
    for (word, slot) in words.iter_mut().zip(page.chunks_exact(8)) {
        *word = i64::from_ne_bytes(slot.try_into().unwrap_or([0; 8]));
    }
    let [tv_sec, tv_nsec, errno] = words;
    (Timespec { tv_sec, tv_nsec: tv_nsec as _ }, errno as i32)
}
