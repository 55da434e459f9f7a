//! 1thread: one thread is both the sender and the receiver of one IPC
//! object, with both ends non-blocking (the lab's `ipc_1thread`). With -l,
//! it writes each buffer and reads it back before the next.

use crate::args::Config;
use crate::error::Error;
use crate::ipc::Ends;
use crate::measure::clock;
use crate::measure::latency::{self, Histogram};
use crate::measure::probe::{Probe, Window};

use super::pingpong;
use super::setup::release;

/// Moves the total from `send_buffer` through `ends` into `receive_buffer`
/// (with -l, one buffer at a time, each round trip counted in `laps`);
/// returns the stamps and what `probe` saw around them.
#[inline(never)] // out of line: a smaller binary
pub fn run(
    ends: Ends,
    receive_buffer: &mut [u8],
    send_buffer: &[u8],
    config: &Config,
    probe: &Probe,
    mut laps: Option<&mut Histogram>,
    leave_to_exit: bool,
) -> Result<Window, Error> {
    if let Some(laps) = laps.as_deref_mut() {
        laps.prepare().map_err(|e| Error::os("clock_gettime", e))?;
    }
    let opened = probe.loop_starts();
    // BEGIN TIMED REGION
    let start = clock::stamp()?;
    pingpong::both_sides(&ends, receive_buffer, send_buffer, config, latency::nanos(&start), laps)?;
    // END TIMED REGION
    let finish = clock::stamp()?;
    let closed = probe.loop_ends();
    release(ends, leave_to_exit);
    Ok(Window { start, finish, opened, closed })
}
