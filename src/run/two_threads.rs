//! 2thread: a sender thread and a receiving main thread in one process (the
//! lab's `ipc_2thread`). The sender takes the start stamp before its first
//! write, the receiver the finish stamp after its last read. Neither closes
//! anything inside the window: the writer and the reader are closed after
//! the join, unless a side fails (then it closes its end at once, so that
//! the other side stops).

use rustix::time::Timespec;

use crate::args::Config;
use crate::error::Error;
use crate::ipc::{End, Ends};
use crate::measure::clock;
use crate::measure::probe::{Mark, Probe, Window};
use crate::sys;

use super::failure::{self, FirstFailure, Side};
use super::setup::{pin_sender, release, sleep_one_second};
use super::transfer;

/// The sender thread's stack: it runs only [`send`], which needs a few KiB.
/// It is the start of the run's mapping, just above a guard page, and grows
/// down towards the guard, away from the buffers.
pub const STACK_SIZE: usize = 64 * 1024;

/// All the sender thread is given.
struct SenderJob<'a> {
    writer: Option<End<'a>>,
    buffer: &'a [u8],
    config: &'a Config,
    probe: &'a Probe,
    first_failure: &'a FirstFailure,
}

/// The sender thread's whole life. It runs on a bare thread
/// (sys::thread): no C library and no thread-local storage, so nothing but
/// rustix's raw system calls, the stamp, and the probe's bare calls. The
/// writer stays open (the receiver closes it after the join) unless sending
/// fails: then it is closed at once, so that the receiver sees end of file.
fn send(job: &mut SenderJob<'_>) -> Result<(Timespec, Mark), Error> {
    if !job.config.bare {
        sleep_one_second();
    }
    let sent = match &job.writer {
        Some(writer) => pin_sender(job.config).and_then(|()| {
            let opened = job.probe.loop_starts();
            // BEGIN TIMED REGION
            let start = clock::stamp()?;
            transfer::send(writer, job.buffer, job.config.total_size).map(|()| (start, opened))
        }),
        None => Err(Error::os("write", rustix::io::Errno::BADF)),
    };
    if sent.is_err() {
        job.first_failure.record(Side::Sender);
        job.writer = None;
    }
    sent
}

/// Runs both sides, the sender on `stack`; returns the stamps and what
/// `probe` saw around them.
pub fn run(
    ends: Ends,
    stack: &mut [u8],
    receive_buffer: &mut [u8],
    send_buffer: &[u8],
    config: &Config,
    probe: &Probe,
    leave_to_exit: bool,
) -> Result<Window, Error> {
    let Ends { sender, receiver, .. } = ends;
    let first_failure = FirstFailure::new();
    let mut job = SenderJob { writer: Some(sender), buffer: send_buffer, config, probe, first_failure: &first_failure };
    let mut reader = Some(receiver);
    let (sent, received) = sys::thread::with_thread(stack, send, &mut job, || {
        let received = match &reader {
            Some(end) => transfer::receive(end, receive_buffer, config.total_size).and_then(|()| {
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
    // The sender is gone: now, outside the window, its writer and the reader.
    if let Some(writer) = job.writer.take() {
        release(writer, leave_to_exit);
    }
    if let Some(reader) = reader {
        release(reader, leave_to_exit);
    }
    let ((start, opened), (finish, closed)) = failure::of_two_threads(sent, received, first_failure.side())?;
    Ok(Window { start, finish, opened, closed })
}
