//! 2thread: a sender thread and a receiving main thread in one process (the
//! lab's `ipc_2thread`). The sender takes the start stamp before its first
//! write, the receiver the finish stamp after its last read; with -l the
//! main thread starts every round trip and takes both stamps, and the
//! thread echoes. Neither closes anything inside the window: the ends are
//! closed after the join, unless a side fails (then it closes its ends at
//! once, so that the other side stops).

use core::sync::atomic::AtomicU32;

use crate::args::Config;
use crate::error::Error;
use crate::ipc::{Ends, Half};
use crate::measure::clock;
use crate::measure::latency::Histogram;
use crate::measure::probe::{Probe, Window};
use crate::sys;

use super::failure::{self, FirstFailure, Side};
use super::pingpong::{self, Opening};
use super::setup::release;

/// The sender thread's stack: it runs only [`send`], which needs a few KiB.
/// It is the start of the run's mapping, just above a guard page, and grows
/// down towards the guard, away from the buffers.
pub const STACK_SIZE: usize = 64 * 1024;

/// All the sender thread is given, and where it puts the window's
/// opening (not with -l).
struct SenderJob<'a> {
    half: Option<Half<'a>>,
    opening: Opening,
    /// -l: raised by the thread right before its first read.
    ready: &'a AtomicU32,
    buffer: &'a mut [u8],
    config: &'a Config,
    probe: &'a Probe,
    first_failure: &'a FirstFailure,
}

/// Opens the window (a [`pingpong::Open`]), on the side that starts the
/// loop: the sender thread, or with -l (`laps`) the main thread. Bare
/// system calls only without `laps` (the sender thread's case).
fn open_window(config: &Config, probe: &Probe, laps: Option<&mut Histogram>) -> Result<Opening, Error> {
    pingpong::get_ready(config, laps)?;
    let opened = probe.loop_starts();
    // BEGIN TIMED REGION
    let start = clock::stamp()?;
    Ok((start, opened))
}

/// The sender thread's whole life: it sends the total, or with -l echoes
/// every round trip. It runs on a bare thread (sys::thread): no C library
/// and no thread-local storage, so nothing but rustix's raw system calls,
/// the stamp, and the probe's bare calls. Its ends stay open (the receiver
/// closes them after the join) unless it fails: then they are closed at
/// once, so that the receiver sees end of file.
fn send(job: &mut SenderJob<'_>) -> Result<(), Error> {
    let sent = match &job.half {
        Some(half) => {
            let ready = Some(job.ready);
            pingpong::side(Side::Sender, half, job.buffer, job.config, job.probe, open_window, &mut job.opening, None, ready)
        }
        None => Err(Error::os("write", rustix::io::Errno::BADF)),
    };
    if sent.is_err() {
        job.first_failure.record(Side::Sender);
        job.half = None;
    }
    sent
}

/// Runs both sides, the sender on `stack`; returns the stamps and what
/// `probe` saw around them.
#[allow(clippy::too_many_arguments)]
#[inline(never)] // out of line: a smaller binary
pub fn run(
    ends: Ends,
    stack: &mut [u8],
    receive_buffer: &mut [u8],
    send_buffer: &mut [u8],
    config: &Config,
    probe: &Probe,
    laps: Option<&mut Histogram>,
    leave_to_exit: bool,
) -> Result<Window, Error> {
    let (sender, receiver) = ends.into_halves();
    let first_failure = FirstFailure::new();
    let ready = AtomicU32::new(0);
    let mut job = SenderJob {
        half: Some(sender),
        opening: Opening::default(),
        ready: &ready,
        buffer: send_buffer,
        config,
        probe,
        first_failure: &first_failure,
    };
    let mut reader = Some(receiver);
    let mut opening = Opening::default();
    let (sent, received) = sys::thread::with_thread(stack, send, &mut job, || {
        let received = match &reader {
            Some(half) => pingpong::side(
                Side::Receiver,
                half,
                receive_buffer,
                config,
                probe,
                open_window,
                &mut opening,
                laps,
                Some(&ready),
            )
            .and_then(|()| {
                    // END TIMED REGION
                    clock::stamp()
                }),
            None => Err(Error::os("read", rustix::io::Errno::BADF)),
        };
        match received {
            Ok(finish) => Ok((finish, probe.loop_ends())),
            Err(e) => {
                // Closed now, so that a sender still writing gets EPIPE
                // (SIGPIPE ignored first, so that it is an error the sender
                // reports, not the end of the process) instead of blocking.
                first_failure.record(Side::Receiver);
                sys::process::ignore_sigpipe();
                reader = None;
                Err(e)
            }
        }
    })
    .map_err(|e| Error::os(sys::thread::CREATE_CALL, e))?;
    // The sender is gone: now, outside the window, its ends and the reader's.
    if let Some(half) = job.half.take() {
        release(half, leave_to_exit);
    }
    if let Some(half) = reader {
        release(half, leave_to_exit);
    }
    let ((), (finish, closed)) = failure::of_two_threads(sent, received, first_failure.side())?;
    let (start, opened) = if config.latency { opening } else { job.opening };
    Ok(Window { start, finish, opened, closed })
}
