//! 2proc: a sender child process and a receiving parent (the lab's
//! `ipc_2proc`). The child takes the start stamp before its first write and
//! hands it back through a page shared across fork(); the parent takes the
//! finish stamp after its last read.

use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions, WaitStatus};
use rustix::time::Timespec;

use crate::args::Config;
use crate::error::Error;
use crate::ipc::Ends;
use crate::measure::clock;
use crate::sys::memory::Mapping;
use crate::sys::process::{self, Forked};

use super::failure;
use super::setup::{pin_sender, release, sleep_one_second};
use super::transfer;

/// The start stamp in the shared page: seconds, then nanoseconds.
const STAMP_BYTES: usize = 16;

/// Forks the sender; returns the stamps.
pub fn run(
    ends: Ends,
    receive_buffer: &mut [u8],
    send_buffer: &[u8],
    config: &Config,
    leave_to_exit: bool,
) -> Result<(Timespec, Timespec), Error> {
    let total = config.total_size;
    let mut shared = Mapping::shared(STAMP_BYTES).map_err(|e| Error::os("mmap", e))?;
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
            let sent = pin_sender(config).and_then(|()| {
                // BEGIN TIMED REGION
                let start = clock::stamp()?;
                transfer::send(&sender, send_buffer, total).map(|()| start)
            });
            let code = match sent {
                Ok(start) => {
                    put_stamp(shared.bytes_mut(), start);
                    if !config.bare {
                        sleep_one_second();
                    }
                    0
                }
                // If the parent is gone or failed, SIGPIPE has usually ended
                // this child already; any error that still arrives here is
                // reported, so that the failing call is named.
                Err(e) => {
                    e.report();
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
                // Closed now, so that a child still writing gets SIGPIPE
                // instead of blocking while this process waits for it.
                Err(_) => drop(receiver),
            }
            let status = wait_for(child)?;
            let finish = failure::of_two_processes(received, status, total)?;
            let start = stamp_in(shared.bytes());
            release(shared, leave_to_exit);
            Ok((start, finish))
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

fn put_stamp(page: &mut [u8], stamp: Timespec) {
    #[allow(clippy::useless_conversion)] // tv_nsec is narrower on some targets
    let words = [stamp.tv_sec, i64::from(stamp.tv_nsec)];
    for (slot, word) in page.chunks_exact_mut(8).zip(words) {
        if let Ok(slot) = <&mut [u8; 8]>::try_from(slot) {
            *slot = word.to_ne_bytes();
        }
    }
}

fn stamp_in(page: &[u8]) -> Timespec {
    let mut words = [0i64; 2];
    for (word, slot) in words.iter_mut().zip(page.chunks_exact(8)) {
        *word = i64::from_ne_bytes(slot.try_into().unwrap_or([0; 8]));
    }
    let [tv_sec, tv_nsec] = words;
    Timespec { tv_sec, tv_nsec: tv_nsec as _ }
}
