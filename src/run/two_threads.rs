//! 2thread: a sender thread and a receiving main thread in one process (the
//! lab's `ipc_2thread`). The sender takes the start stamp before its first
//! write, the receiver the finish stamp after its last read.

use rustix::time::Timespec;

use crate::args::Config;
use crate::error::Error;
use crate::ipc::Ends;
use crate::measure::clock;
use crate::sys;

use super::failure::{self, FirstFailure, Side};
use super::setup::{pin_sender, release, sleep_one_second};
use super::transfer;

/// The sender thread's stack: it runs only the send loop, which needs a few
/// KiB. It is the start of the run's mapping, below the buffers, and grows
/// down, away from them; there is no guard page below it.
pub const STACK_SIZE: usize = 64 * 1024;

/// Runs both sides on `stack` and this thread; returns the stamps.
pub fn run(
    ends: Ends,
    stack: &mut [u8],
    receive_buffer: &mut [u8],
    send_buffer: &[u8],
    config: &Config,
    leave_to_exit: bool,
) -> Result<(Timespec, Timespec), Error> {
    let (total, bare) = (config.total_size, config.bare);
    let Ends { sender, receiver, .. } = ends;
    let first_failure = FirstFailure::new();
    let first_failure = &first_failure;
    let (sent, received) = sys::thread::with_thread(
        stack,
        move || {
            if !bare {
                sleep_one_second();
            }
            let sent = pin_sender(config).and_then(|()| {
                // BEGIN TIMED REGION
                let start = clock::stamp()?;
                transfer::send(&sender, send_buffer, total).map(|()| start)
            });
            match sent {
                // After a failure the writer must close now, so that the
                // receiver sees end of file instead of waiting forever.
                Err(_) => {
                    first_failure.record(Side::Sender);
                    drop(sender)
                }
                Ok(_) => release(sender, leave_to_exit),
            }
            sent
        },
        move || {
            let received = transfer::receive(&receiver, receive_buffer, total).and_then(|()| {
                // END TIMED REGION
                clock::stamp()
            });
            match received {
                // The sender may be blocked writing to an object nobody will
                // read again: ending the process stops it at once.
                Err(e) if !e.is_peer_gone() => {
                    e.report();
                    sys::process::exit(e.exit_code)
                }
                // End of file before the total: close the reader now, so a
                // sender still writing gets EPIPE (SIGPIPE is ignored in
                // 2thread) instead of blocking forever, then join it.
                Err(_) => {
                    first_failure.record(Side::Receiver);
                    drop(receiver)
                }
                Ok(_) => release(receiver, leave_to_exit),
            }
            received
        },
    )
    .map_err(|e| Error::os("pthread_create", e))?;
    failure::of_two_threads(sent, received, first_failure.side())
}
