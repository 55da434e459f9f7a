//! 2proc: a sender child process and a receiving parent (the lab's
//! `ipc_2proc`). The child takes the start stamp before its first write and
//! hands it back through a page shared across fork(); the parent takes the
//! finish stamp after its last read. With -l the parent starts every round
//! trip and takes both stamps (so its laps need no way back), and the child
//! echoes. Inside the window, besides the loop, only the child's exit_group
//! and (if the child starts first) the parent's close of its copy of the
//! writer.

use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions, WaitStatus};
use rustix::time::Timespec;

use crate::args::Config;
use crate::error::{Error, EX_IOERR};
use crate::ipc::{Ends, Peer};
use crate::measure::clock;
use crate::measure::latency::Histogram;
use crate::measure::probe::{Mark, Probe, Window};
use crate::sys::memory::Mapping;
use crate::sys::process::{self, Forked};

use super::failure::{self, Side};
use super::pingpong::{self, Opening};
use super::setup::{raise_flag, release, sleep_one_second, touch_every_page, wait_for_flag};

/// The shared page: the start stamp (seconds, then nanoseconds), the errno
/// of starting -P's counters in the child (0: started), and, with -g, a flag
/// the parent raises once it has taken its first snapshot: the child waits
/// for it before its start stamp, so that the snapshot is after the fork
/// yet outside the window; with -l, the flag the child raises right before
/// its first read.
const STAMP_BYTES: usize = 32;
const SNAPSHOT_TAKEN: usize = 24;
const ECHOER_READY: usize = 28;

/// Opens the window (a [`pingpong::Open`]), in the process that starts
/// the loop: the child, or with -l (`laps`) the parent. -P's counters
/// start, then the start stamp (-g's first snapshot is the parent's, right
/// after the fork).
fn open_window(config: &Config, probe: &Probe, laps: Option<&mut Histogram>) -> Result<Opening, Error> {
    pingpong::get_ready(config, laps)?;
    let counting = probe.start_counting();
    // BEGIN TIMED REGION
    let start = clock::stamp()?;
    Ok((start, Mark { usage: None, counting }))
}

/// Forks the sender; returns the stamps and what `probe` saw around them.
#[allow(clippy::too_many_arguments)]
#[inline(never)] // out of line: a smaller binary
pub fn run(
    ends: Ends,
    receive_buffer: &mut [u8],
    send_buffer: &mut [u8],
    config: &Config,
    probe: &Probe,
    laps: Option<&mut Histogram>,
    leave_to_exit: bool,
) -> Result<Window, Error> {
    let total = config.total_size;
    // -g's flag, for bandwidth only: with -l the child waits in its first
    // read for the parent, which opens the window.
    let snapshot_flag = config.rusage && !config.latency;
    let mut shared = Mapping::shared(STAMP_BYTES).map_err(|e| Error::os("mmap", e))?;
    let (mut sender, mut receiver) = ends.into_halves();
    match process::fork().map_err(|e| Error::os("fork", e))? {
        Forked::Child => {
            // Without the parent's ends here, the child's writes fail with
            // EPIPE (and its reads see end of file) if the parent dies, so
            // the child never lingers (shmem: its sides watch the parent
            // instead).
            receiver.drop_copy();
            sender.watch(Peer::Parent);
            // -F: shmem's shared pages mapped in this process too.
            if config.prefault {
                sender.touch_pages();
            }
            if let (true, Some(flag)) = (snapshot_flag, shared.atomic_u32(SNAPSHOT_TAKEN)) {
                wait_for_flag(flag);
            }
            // -F -l: the echoer receives into its buffer, which the fork
            // made copy-on-write: its pages are made its own here.
            if config.prefault && config.latency {
                touch_every_page(send_buffer);
            }
            // The ends stay open until _exit closes them: fewer calls.
            let mut opening = Opening::default();
            let ready = shared.atomic_u32(ECHOER_READY);
            let sent = pingpong::side(Side::Sender, &sender, send_buffer, config, probe, open_window, &mut opening, None, ready);
            let code = match sent {
                Ok(()) => {
                    let (start, opened) = opening;
                    if !config.latency {
                        let errno = opened.counting.and_then(|c| c.errno).map_or(0, |e| e.raw_os_error());
                        put_stamp(shared.bytes_mut(), start, errno);
                    }
                    if !config.bare {
                        sleep_one_second();
                    }
                    0
                }
                // If the parent is gone or failed, SIGPIPE has usually ended
                // this child already; shmem has no SIGPIPE, so a child that
                // finds its parent failed or gone (a send, or with -l a
                // receive) ends as quietly. Any other error is reported, so
                // that the failing call is named, and the child's ends
                // closed at once (shmem has no descriptor for _exit to
                // close).
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
            // Without the child's ends here, the parent sees end of file if
            // the child dies (shmem: its sides watch the child instead).
            sender.drop_copy();
            receiver.watch(Peer::Child(child));
            // -g's first snapshot after the fork, and RUSAGE_CHILDREN added
            // to the second after wait4, when it holds the child.
            let usage_before = probe.usage();
            if let (true, Some(flag)) = (snapshot_flag, shared.atomic_u32(SNAPSHOT_TAKEN)) {
                raise_flag(flag);
            }
            let mut opening = Opening::default();
            let ready = shared.atomic_u32(ECHOER_READY);
            let received =
                pingpong::side(Side::Receiver, &receiver, receive_buffer, config, probe, open_window, &mut opening, laps, ready)
                    .and_then(|()| {
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
            let (start, counting) = if config.latency {
                (opening.0, opening.1.counting)
            } else {
                let (start, errno) = stamp_in(shared.bytes());
                (start, Probe::started_elsewhere(errno))
            };
            release(shared, leave_to_exit);
            let opened = Mark { usage: usage_before, counting };
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
