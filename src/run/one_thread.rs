//! 1thread: one thread is both the sender and the receiver of one IPC
//! object, with both ends non-blocking (the lab's `ipc_1thread`).

use rustix::time::Timespec;

use crate::error::Error;
use crate::ipc::Ends;
use crate::measure::clock;

use super::setup::release;
use super::transfer;

/// Moves `total` bytes from `send_buffer` through `ends` into
/// `receive_buffer`; returns the start and finish stamps.
pub fn run(
    ends: Ends,
    receive_buffer: &mut [u8],
    send_buffer: &[u8],
    total: u64,
    leave_to_exit: bool,
) -> Result<(Timespec, Timespec), Error> {
    // BEGIN TIMED REGION
    let start = clock::stamp()?;
    transfer::send_and_receive(&ends, receive_buffer, send_buffer, total)?;
    // END TIMED REGION
    let finish = clock::stamp()?;
    release(ends, leave_to_exit);
    Ok((start, finish))
}
