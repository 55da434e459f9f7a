//! What each side does between the stamps, for bandwidth or for -l's round
//! trips: the one place where the modes' sides meet transfer.rs. Bandwidth
//! moves the total in one go. With -l a side moves one buffer per round
//! trip, `totalsize / buffersize` times: the initiating side (the receiver
//! side of 2thread and 2proc) sends a buffer and receives as many bytes
//! back, the other side receives them and sends them back; in 1thread one
//! thread writes a buffer and reads it back. After each round trip the
//! initiator counts the lap ([`Histogram::lap`]); the first lap starts at
//! the start stamp. Every byte moves through transfer.rs, so through
//! [`crate::ipc::End`] whatever the IPC kind.

use core::sync::atomic::AtomicU32;

use rustix::time::Timespec;

use crate::args::{Config, IpcType};
use crate::error::Error;
use crate::ipc::{Ends, Half};
use crate::measure::latency::{self, Histogram};
use crate::measure::probe::{Mark, Probe};

use super::failure::Side;
use super::setup::{pin_sender, raise_flag_after_wake, sleep_one_second, wait_for_flag};
use super::transfer;

/// How a side's work divides: (bytes per go, goes).
#[inline]
fn goes(config: &Config) -> (u64, u64) {
    if config.latency {
        (config.buffer_size as u64, config.block_count())
    } else {
        (config.total_size, 1)
    }
}

/// The start stamp, and what the probe saw right before it.
pub type Opening = (Timespec, Mark);

/// A mode's way to open the window: [`get_ready`] with the laps (-l), the
/// probe's first look, and the start stamp.
pub type Open = fn(&Config, &Probe, Option<&mut Histogram>) -> Result<Opening, Error>;

/// Right before a window opens: a second's sleep (unless -B), so that the
/// other side waits in its first read, and with -l the laps prepared (in
/// 2proc after the fork: their pages are this process's own again before
/// the loop writes them).
pub fn get_ready(config: &Config, laps: Option<&mut Histogram>) -> Result<(), Error> {
    if !config.bare {
        sleep_one_second();
    }
    match laps {
        Some(laps) => laps.prepare().map_err(|e| Error::os("clock_gettime", e)),
        None => Ok(()),
    }
}

/// One side's part up to its finish stamp, in 2thread and 2proc. The
/// sender side (the 2thread sender thread, the 2proc child) pins itself
/// (-a). The side that opens the window (with `open`, into `opening`)
/// sends first: the sender side for bandwidth, which sends the total while
/// the receiver side receives it; the receiver side with -l (`laps`),
/// which sends each buffer and receives it back, counting the laps, while
/// the sender side echoes: receives each buffer and sends it back. With
/// -l the echoer raises `ready` right before its first read, and the
/// initiator waits for it (a second at most) before it opens the window:
/// so the echoer's start (its thread's or process's first calls) stays
/// out of the window and the first round trip. Bare system calls only on
/// the sender side (the 2thread sender runs it).
#[allow(clippy::too_many_arguments)]
pub fn side(
    side: Side,
    half: &Half,
    buffer: &mut [u8],
    config: &Config,
    probe: &Probe,
    open: Open,
    opening: &mut Opening,
    mut laps: Option<&mut Histogram>,
    ready: Option<&AtomicU32>,
) -> Result<(), Error> {
    let sender = side == Side::Sender;
    if sender {
        pin_sender(config)?;
    }
    // The side that opens the window: the sender for bandwidth, the
    // receiver (the initiator) with -l.
    let opens = sender != config.latency;
    // -l: the initiator writes too, so an echoer that fails and closes its
    // ends must leave it EPIPE to report, not a SIGPIPE that ends the
    // process without a word (one rt_sigprocmask, before the window; shmem
    // raises no SIGPIPE).
    if opens && config.latency && config.ipc != IpcType::Shmem {
        crate::sys::process::block_output_signals();
    }
    if let (true, Some(ready)) = (config.latency, ready) {
        if opens { wait_for_flag(ready) } else { raise_flag_after_wake(ready) }
    }
    if opens {
        *opening = open(config, probe, laps.as_deref_mut())?;
    }
    // Each go: send (if it opened), receive (unless it sends the total),
    // send back (if it echoes).
    let steps = [opens, !opens || config.latency, !opens && config.latency];
    let (size, trips) = goes(config);
    let mut last = latency::nanos(&opening.0);
    for trip in 0..trips {
        for (step, &taken) in steps.iter().enumerate() {
            let moved = match (taken, step) {
                (false, _) => Ok(()),
                (true, 1) => transfer::receive(half.receiving(), buffer, size),
                (true, _) => transfer::send(half.sending(), buffer, size),
            };
            if let Err(e) = moved {
                return Err(in_trip(e, trip, size, trips));
            }
        }
        if let Some(laps) = laps.as_deref_mut() {
            last = laps.lap(last);
        }
    }
    Ok(())
}

/// 1thread: moves the total through `ends` in one go, or with -l (`laps`)
/// writes each buffer and reads it back, with transfer.rs's non-blocking
/// interleave (so that a buffer larger than the kernel's cannot deadlock).
pub fn both_sides(
    ends: &Ends,
    receive_buffer: &mut [u8],
    send_buffer: &[u8],
    config: &Config,
    start: u64,
    laps: Option<&mut Histogram>,
) -> Result<(), Error> {
    let (size, trips) = goes(config);
    let mut last = start;
    let mut laps = laps;
    for trip in 0..trips {
        if let Err(e) = transfer::send_and_receive(ends, receive_buffer, send_buffer, size) {
            return Err(in_trip(e, trip, size, trips));
        }
        if let Some(laps) = laps.as_deref_mut() {
            last = laps.lap(last);
        }
    }
    Ok(())
}

/// A failure in go `trip` (0-based), with its bytes counted over the whole
/// run (with -l, of the total each way).
fn in_trip(mut e: Error, trip: u64, size: u64, trips: u64) -> Error {
    if let Some((moved, _)) = e.progress {
        e.progress = Some((trip * size + moved, trips * size));
    }
    e
}
