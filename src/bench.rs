//! The timed loops: 1thread, 2thread and 2proc.
//!
//! Between the start stamp and the finish stamp only the loop's read(2) and
//! write(2) calls (and poll(2) in 1thread) are made; everything else happens
//! before or after.

use core::sync::atomic::{AtomicU8, Ordering};

use rustix::event::{PollFd, PollFlags};
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::process::{WaitOptions, WaitStatus};

use crate::args::{Config, Mode};
use crate::clock::{self, Stamp};
use crate::counters::{Counters, Counts};
use crate::error::{Cause, Error};
use crate::ipc::{self, Endpoints};
use crate::sys::{self, Forked, Mapping, Usage, UsageOf};

/// The sender thread's stack: it runs only the send loop, which needs a few
/// KiB. It sits below the buffers, so an overflow faults below the mapping
/// instead of writing into them.
const SENDER_STACK_SIZE: usize = 64 * 1024;

/// One measured run of the loop.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    pub nanos: u64,
    /// The TCP port used (the kernel's pick with -p 0); 0 for other IPC.
    pub port: u16,
    /// (writer, reader) kernel buffer sizes, asked for with -v and -j.
    pub kernel_buffers: Option<(usize, usize)>,
    /// -g: what the loop cost in CPU time, faults and context switches.
    pub usage: Option<Usage>,
    /// -P: the counts, and why some counters are unsupported.
    pub counts: Option<Counts>,
    pub counters_unsupported: Option<Errno>,
}

/// Runs the benchmark once: fresh buffers and IPC object, one pair of
/// stamps. Everything it opened is closed and unmapped when it returns,
/// unless `leave_to_exit`: then the process is about to exit without
/// printing, and exit_group(2) releases them with no calls in the trace.
pub fn run_once(config: &Config, leave_to_exit: bool) -> Result<Sample, Error> {
    // The sender thread's stack (2thread) and the receiver and sender
    // buffers in one private mapping: one mmap, not three. The buffers are
    // left untouched, as malloc'd ones are: first touch happens in the loop.
    let stack_size = if config.mode == Mode::TwoThread { SENDER_STACK_SIZE } else { 0 };
    // 2proc with -F: the receiver's pages are kept from the child, or the
    // fork would make them copy-on-write and the receiver would take a fault
    // per page in the loop all the same. That needs the receive buffer on
    // whole pages of its own.
    let keep_from_child = config.prefault && config.mode == Mode::TwoProc;
    let receive_area = if keep_from_child {
        config.buffer_size.checked_next_multiple_of(page_stride()).ok_or_else(|| Error::os("mmap", Errno::NOMEM))?
    } else {
        config.buffer_size
    };
    let mapping_size = receive_area
        .checked_add(config.buffer_size)
        .and_then(|size| size.checked_add(stack_size))
        .ok_or_else(|| Error::os("mmap", Errno::NOMEM))?;
    let mut mapping = Mapping::private(mapping_size).map_err(|e| Error::os("mmap", e))?;
    if keep_from_child {
        mapping.keep_from_children(stack_size, receive_area).map_err(|e| Error::os("madvise", e))?;
    }
    let (stack, buffers) = mapping.bytes_mut().split_at_mut(stack_size);
    let (receive_area, send_buffer) = buffers.split_at_mut(receive_area);
    let receive_buffer = &mut receive_area[..config.buffer_size];
    if config.prefault {
        touch_every_page(receive_buffer);
        touch_every_page(send_buffer);
    }
    let ends = ipc::open(config, config.mode == Mode::OneThread)?;
    let mut sample = Sample { port: ends.port, ..Sample::default() };
    if config.verbose || config.json {
        sample.kernel_buffers = ipc::kernel_buffer_sizes(config.ipc, &ends);
    }
    if !config.bare {
        quiesce();
    }
    // Counters and usage are taken outside the stamps: only the loop's own
    // calls appear between them.
    let counters = config.counters.map(Counters::open);
    let usage_before = if config.rusage { Some(usage_now()?) } else { None };
    if let Some(counters) = &counters {
        counters.enable(true);
    }
    let (start, finish) = match config.mode {
        Mode::OneThread => one_thread(ends, receive_buffer, send_buffer, config.total_size, leave_to_exit)?,
        Mode::TwoThread => two_threads(ends, stack, receive_buffer, send_buffer, config, leave_to_exit)?,
        Mode::TwoProc => two_processes(ends, receive_buffer, send_buffer, config, leave_to_exit)?,
    };
    if let Some(counters) = counters {
        counters.enable(false);
        sample.counts = Some(counters.read());
        sample.counters_unsupported = counters.unsupported;
        release(counters, leave_to_exit);
    }
    if let Some(before) = usage_before {
        sample.usage = Some(usage_since(before, usage_now()?));
    }
    release(mapping, leave_to_exit);
    sample.nanos = clock::elapsed_nanos(start, finish)?;
    Ok(sample)
}

/// -F: writes one byte in every page, so that each page is mapped before the
/// start stamp instead of at its first touch inside the loop (the 2023
/// version of the lab's benchmark memsets its buffers for the same reason).
fn touch_every_page(buffer: &mut [u8]) {
    for page in buffer.chunks_mut(page_stride()) {
        page[0] = 0;
    }
    // The stores must happen: nothing in this program reads them back.
    core::hint::black_box(buffer);
}

/// The page size, or 4096 (no smaller pages exist on the supported
/// machines: a smaller stride only touches some pages twice).
fn page_stride() -> usize {
    #[cfg(target_os = "linux")]
    return sys::page_size().unwrap_or(4096);
    #[cfg(not(target_os = "linux"))]
    return 4096;
}

/// This process's usage plus that of its waited-for children (the 2proc
/// sender, after the wait).
fn usage_now() -> Result<[Usage; 2], Error> {
    let own = sys::getrusage(UsageOf::ThisProcess).map_err(|e| Error::os("getrusage", e))?;
    let children = sys::getrusage(UsageOf::Children).map_err(|e| Error::os("getrusage", e))?;
    Ok([own, children])
}

fn usage_since(before: [Usage; 2], after: [Usage; 2]) -> Usage {
    let delta = |field: fn(&Usage) -> u64| {
        (0..2).map(|i| field(&after[i]).saturating_sub(field(&before[i]))).sum::<u64>()
    };
    Usage {
        user_micros: delta(|u| u.user_micros),
        system_micros: delta(|u| u.system_micros),
        minor_faults: delta(|u| u.minor_faults),
        major_faults: delta(|u| u.major_faults),
        voluntary_switches: delta(|u| u.voluntary_switches),
        involuntary_switches: delta(|u| u.involuntary_switches),
    }
}

/// -a with two CPUs: the sender moves itself to its own CPU before its
/// start stamp.
fn pin_sender(config: &Config) -> Result<(), Error> {
    match config.affinity.and_then(|a| a.sender) {
        Some(cpu) => pin_to(cpu),
        None => Ok(()),
    }
}

/// Pins the calling thread (and what it creates later) to `cpu`.
pub fn pin_to(cpu: usize) -> Result<(), Error> {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).map_err(|e| Error::os("sched_setaffinity", e).at_cpu(cpu))
}

/// Drops `resource` (closing or unmapping it) unless it is left to exit.
fn release<T>(resource: T, leave_to_exit: bool) {
    if leave_to_exit {
        core::mem::forget(resource);
    }
}

/// Lets the system settle before the loop: flush dirty pages three times,
/// then sleep a second, as the lab's benchmark does without -B.
fn quiesce() {
    for _ in 0..3 {
        rustix::fs::sync();
    }
    sleep_one_second();
}

fn sleep_one_second() {
    let mut request = rustix::time::Timespec { tv_sec: 1, tv_nsec: 0 };
    while let rustix::thread::NanosleepRelativeResult::Interrupted(remaining) = rustix::thread::nanosleep(&request) {
        request = remaining;
    }
}

/// Writes `total` bytes in whole buffers, continuing short writes and
/// retrying EINTR. Returns the start stamp, taken just before the first write.
fn send(writer: &OwnedFd, buffer: &[u8], total: u64) -> Result<Stamp, Error> {
    let start = clock::stamp()?;
    let mut sent = 0u64;
    while sent < total {
        let block = (total - sent).min(buffer.len() as u64) as usize;
        let mut done = 0;
        while done < block {
            match rustix::io::write(writer, &buffer[done..block]) {
                Ok(0) => return Err(Error::io("write", Cause::Errno(Errno::IO), sent, total)),
                Ok(n) => {
                    done += n;
                    sent += n as u64;
                }
                Err(Errno::INTR) => {}
                Err(e) => return Err(Error::io("write", Cause::Errno(e), sent, total)),
            }
        }
    }
    Ok(start)
}

/// Reads until `total` bytes have arrived, each read at offset
/// `received % buffersize` so short reads use the rest of the buffer.
/// Returns the finish stamp, taken right after the last byte arrives.
fn receive(reader: &OwnedFd, buffer: &mut [u8], total: u64) -> Result<Stamp, Error> {
    let size = buffer.len() as u64;
    let mut received = 0u64;
    while received < total {
        let offset = (received % size) as usize;
        match rustix::io::read(reader, &mut buffer[offset..]) {
            Ok(0) => return Err(Error::io("read", Cause::EndOfFile, received, total)),
            Ok(n) => received += n as u64,
            Err(Errno::INTR) => {}
            Err(e) => return Err(Error::io("read", Cause::Errno(e), received, total)),
        }
    }
    clock::stamp()
}

/// One thread, both ends non-blocking: write what fits, read what arrived,
/// and when neither moved, sleep in poll(2) until one can. (The lab's
/// select() call passed the wrong nfds and never rebuilt its sets.)
fn one_thread(
    ends: Endpoints,
    receive_buffer: &mut [u8],
    send_buffer: &[u8],
    total: u64,
    leave_to_exit: bool,
) -> Result<(Stamp, Stamp), Error> {
    let size = send_buffer.len() as u64;
    let (mut sent, mut received) = (0u64, 0u64);
    let start = clock::stamp()?;
    while received < total {
        let mut progress = false;
        if sent < total {
            // Whole buffers: the rest of the current block, after a short write.
            let offset = (sent % size) as usize;
            let end = offset + (total - sent).min(size - offset as u64) as usize;
            match rustix::io::write(&ends.writer, &send_buffer[offset..end]) {
                Ok(n) if n > 0 => {
                    sent += n as u64;
                    progress = true;
                }
                Ok(_) => return Err(Error::io("write", Cause::Errno(Errno::IO), sent, total)),
                Err(Errno::AGAIN) => {}
                Err(Errno::INTR) => progress = true,
                Err(e) => return Err(Error::io("write", Cause::Errno(e), sent, total)),
            }
        }
        if received < sent {
            let offset = (received % size) as usize;
            match rustix::io::read(&ends.reader, &mut receive_buffer[offset..]) {
                Ok(0) => return Err(Error::io("read", Cause::EndOfFile, received, total)),
                Ok(n) => {
                    received += n as u64;
                    progress = true;
                }
                Err(Errno::AGAIN) => {}
                Err(Errno::INTR) => progress = true,
                Err(e) => return Err(Error::io("read", Cause::Errno(e), received, total)),
            }
        }
        if !progress {
            wait_until_ready(&ends, sent < total, received < sent, received, total)?;
        }
    }
    let finish = clock::stamp()?;
    release(ends, leave_to_exit);
    Ok((start, finish))
}

/// poll(2) without a timeout on the ends that still have work.
fn wait_until_ready(ends: &Endpoints, can_write: bool, can_read: bool, received: u64, total: u64) -> Result<(), Error> {
    let mut fds = [PollFd::new(&ends.writer, PollFlags::OUT), PollFd::new(&ends.reader, PollFlags::IN)];
    let watched = match (can_write, can_read) {
        (true, true) => &mut fds[..],
        (true, false) => &mut fds[..1],
        (false, _) => &mut fds[1..],
    };
    match rustix::event::poll(watched, None) {
        Ok(_) | Err(Errno::INTR) => Ok(()),
        Err(e) => Err(Error::io("poll", Cause::Errno(e), received, total)),
    }
}

/// A sender thread and a receiving main thread in one process.
fn two_threads(
    ends: Endpoints,
    stack: &mut [u8],
    receive_buffer: &mut [u8],
    send_buffer: &[u8],
    config: &Config,
    leave_to_exit: bool,
) -> Result<(Stamp, Stamp), Error> {
    let (total, bare) = (config.total_size, config.bare);
    let Endpoints { reader, writer, .. } = ends;
    let first_failure = FirstFailure::new();
    let first_failure = &first_failure;
    let (sent, received) = sys::with_thread(
        stack,
        move || {
            if !bare {
                sleep_one_second();
            }
            let sent = pin_sender(config).and_then(|()| send(&writer, send_buffer, total));
            match sent {
                // After a failure the writer must close now, so that the
                // receiver sees end of file instead of waiting forever.
                Err(_) => {
                    first_failure.record(Side::Sender);
                    drop(writer)
                }
                Ok(_) => release(writer, leave_to_exit),
            }
            sent
        },
        move || {
            let received = receive(&reader, receive_buffer, total);
            match received {
                // The sender may be blocked writing to an object nobody will
                // read again: ending the process stops it at once.
                Err(e) if !e.is_peer_gone() => {
                    crate::report(&e);
                    sys::exit(e.exit_code)
                }
                // End of file before the total: close the reader now, so a
                // sender still writing gets EPIPE (SIGPIPE is ignored in
                // 2thread) instead of blocking forever, then join it.
                Err(_) => {
                    first_failure.record(Side::Receiver);
                    drop(reader)
                }
                Ok(_) => release(reader, leave_to_exit),
            }
            received
        },
    )
    .map_err(|e| Error::os("pthread_create", e))?;
    match (sent, received) {
        (Ok(start), Ok(finish)) => Ok((start, finish)),
        // Both failed: the side that failed first closed its end and so
        // caused the other's end of file, EPIPE or reset, which is only an
        // echo. Byte counts cannot tell them apart (an injected EPIPE and an
        // early end of file both leave sent == received).
        (Err(send_error), Err(receive_error)) => match first_failure.side() {
            Some(Side::Receiver) => Err(receive_error),
            _ => Err(send_error),
        },
        (_, Err(receive_error)) => Err(receive_error),
        (Err(send_error), Ok(_)) => Err(send_error),
    }
}

/// Bytes moved before a loop failure.
fn moved(e: &Error) -> u64 {
    e.progress.map_or(0, |(moved, _)| moved)
}

/// The two sides of a 2thread run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Sender,
    Receiver,
}

/// Which side of a 2thread run failed first. Each side records itself
/// before closing its end, so the cause always precedes its echo.
struct FirstFailure(AtomicU8);

impl FirstFailure {
    const NONE: u8 = 0;

    fn new() -> Self {
        Self(AtomicU8::new(Self::NONE))
    }

    fn record(&self, side: Side) {
        let code = match side {
            Side::Sender => 1,
            Side::Receiver => 2,
        };
        let _ = self.0.compare_exchange(Self::NONE, code, Ordering::AcqRel, Ordering::Acquire);
    }

    fn side(&self) -> Option<Side> {
        match self.0.load(Ordering::Acquire) {
            1 => Some(Side::Sender),
            2 => Some(Side::Receiver),
            _ => None,
        }
    }
}

/// A sender child process and a receiving parent. The child's start stamp
/// comes back through a page shared across fork().
fn two_processes(
    ends: Endpoints,
    receive_buffer: &mut [u8],
    send_buffer: &[u8],
    config: &Config,
    leave_to_exit: bool,
) -> Result<(Stamp, Stamp), Error> {
    let total = config.total_size;
    let mut shared = Mapping::shared(core::mem::size_of::<[i64; 2]>()).map_err(|e| Error::os("mmap", e))?;
    let Endpoints { reader, writer, .. } = ends;
    match sys::fork().map_err(|e| Error::os("fork", e))? {
        Forked::Child => {
            // Without the reader here, the sender's writes fail with EPIPE
            // if the parent dies, so the child never lingers.
            drop(reader);
            if !config.bare {
                sleep_one_second();
            }
            // The writer stays open until _exit closes it: one call fewer.
            let result = pin_sender(config).and_then(|()| send(&writer, send_buffer, total));
            let code = match result {
                Ok(start) => {
                    let page = shared.bytes_mut();
                    page[..8].copy_from_slice(&start.sec.to_ne_bytes());
                    page[8..16].copy_from_slice(&start.nsec.to_ne_bytes());
                    if !config.bare {
                        sleep_one_second();
                    }
                    0
                }
                // If the parent is gone or failed, SIGPIPE has usually ended
                // this child already; any error that still arrives here is
                // reported, so that the failing call is named.
                Err(e) => {
                    crate::report(&e);
                    e.exit_code
                }
            };
            sys::exit(code)
        }
        Forked::Parent(child) => {
            // Without the writer here, the receiver sees end of file if the
            // child dies.
            drop(writer);
            let received = receive(&reader, receive_buffer, total);
            match received {
                Ok(_) => release(reader, leave_to_exit),
                // Closed now, so that a child still writing gets SIGPIPE
                // instead of blocking while this process waits for it.
                Err(_) => drop(reader),
            }
            let status = wait_for(child)?;
            let progress = match &received {
                Err(e) => moved(e),
                Ok(_) => total,
            };
            let child_error = |cause| Error::io("sender process", cause, progress, total);
            match (received, status.terminating_signal(), status.exit_status()) {
                (Ok(finish), None, Some(0)) => {
                    let page = shared.bytes();
                    let sec = i64::from_ne_bytes(page[..8].try_into().unwrap_or([0; 8]));
                    let nsec = i64::from_ne_bytes(page[8..16].try_into().unwrap_or([0; 8]));
                    release(shared, leave_to_exit);
                    Ok((Stamp { sec, nsec }, finish))
                }
                // Killed from outside (SIGPIPE is only the echo of this
                // process closing its reader): that is the cause.
                (_, Some(signal), _) if signal != libc::SIGPIPE => Err(child_error(Cause::KilledBySignal(signal))),
                // The child has named its own failure; this side says what
                // it saw, with the child's exit code (71 for a set-up error).
                (Err(mut e), _, Some(code)) if code != 0 => {
                    if (crate::EX_USAGE..=crate::EX_CONFIG).contains(&code) {
                        e.exit_code = code;
                    }
                    Err(e)
                }
                (Err(e), _, _) => Err(e),
                (Ok(_), Some(signal), _) => Err(child_error(Cause::KilledBySignal(signal))),
                (Ok(_), None, code) => Err(child_error(Cause::ExitStatus(code.unwrap_or(-1)))),
            }
        }
    }
}

/// waitpid(2) for the sender child, retrying EINTR.
fn wait_for(child: rustix::process::Pid) -> Result<WaitStatus, Error> {
    loop {
        match rustix::process::waitpid(Some(child), WaitOptions::empty()) {
            Ok(Some((_, status))) => return Ok(status),
            Ok(None) => {}
            Err(Errno::INTR) => {}
            Err(e) => return Err(Error::os("waitpid", e)),
        }
    }
}
