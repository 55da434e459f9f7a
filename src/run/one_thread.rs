//! 1thread: one thread is both the sender and the receiver of one IPC
//! object, with both ends non-blocking (the lab's `ipc_1thread`).

use crate::error::Error;
use crate::ipc::Ends;
use crate::measure::clock;
use crate::measure::probe::{Probe, Window};

use super::setup::release;
use super::transfer;

/// Moves `total` bytes from `send_buffer` through `ends` into
/// `receive_buffer`; returns the stamps and what `probe` saw around them.
pub fn run(
    ends: Ends,
    receive_buffer: &mut [u8],
    send_buffer: &[u8],
    total: u64,
    probe: &Probe,
    leave_to_exit: bool,
) -> Result<Window, Error> {
    let opened = probe.loop_starts();
    // BEGIN TIMED REGION
    let start = clock::stamp()?;
    transfer::send_and_receive(&ends, receive_buffer, send_buffer, total)?;
    // END TIMED REGION
    let finish = clock::stamp()?;
    let closed = probe.loop_ends();
    release(ends, leave_to_exit);
    Ok(Window { start, finish, opened, closed })
}
