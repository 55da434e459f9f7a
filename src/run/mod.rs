//! Running the benchmark: the driver. Each iteration sets up (one mapping
//! for the buffers and the 2thread sender's stack, the IPC object,
//! quiescing, the -g and -P probe), runs one mode (one_thread.rs,
//! two_threads.rs, two_procs.rs: each takes the two stamps around what
//! pingpong.rs has each side do between them through transfer.rs, the
//! total or -l's round trips, and has the probe look right outside them),
//! and hands its sample to the report; the first failure ends the
//! run, and the report says so (with -j, in the document).

mod failure;
mod one_thread;
mod pingpong;
mod setup;
mod transfer;
mod two_procs;
mod two_threads;

use rustix::io::Errno;

use crate::args::{Config, Mode};
use crate::error::{self, Error, EX_UNAVAILABLE};
use crate::ipc;
use crate::measure::counters::{self, Unsupported};
use crate::measure::probe::Probe;
use crate::measure::latency::Histogram;
use crate::measure::{clock, Sample};
use crate::output::{FdWriter, Sink};
use crate::report::Report;
use crate::sys;

/// Runs the iterations of `config`, writing each sample as it finishes
/// (outside the stamps). Returns the exit status.
pub fn benchmark(config: &Config) -> i32 {
    if config.counters.is_some() && !counters::SUPPORTED {
        let mut err = FdWriter::new(sys::start::stderr());
        err.put(b"ipc-static: -P: performance counters are not supported on this OS yet\n");
        let _ = err.flush();
        return EX_UNAVAILABLE;
    }
    // (No SIGPIPE set-up here: FdWriter blocks it before its first write,
    // and a failing 2thread receiver ignores it before closing its end.)
    let mut out = FdWriter::new(sys::start::stdout());
    let mut report = Report::new(config);
    let failed = |report: &mut Report, out: &mut FdWriter, e: Error, iteration| {
        report.fail(out, &e, iteration);
        let _ = out.flush();
        e.report();
        e.exit_code
    };
    if let Some(affinity) = config.affinity {
        // Pins this thread, and so the sender too unless it has its own CPU.
        if let Err(e) = setup::pin_to(affinity.receiver) {
            return failed(&mut report, &mut out, e, None);
        }
    }
    let mut warned = false;
    for iteration in 1..=config.iterations {
        // With -q nothing is written after the last loop, so its IPC object
        // and buffers can be left to exit_group: fewer calls in a trace.
        let last = iteration == config.iterations;
        let sample = match run_once(config, config.quiet && last) {
            Ok(sample) => sample,
            Err(e) => return failed(&mut report, &mut out, e, Some(iteration)),
        };
        if let (Some(why), false) = (sample.counts.and_then(|c| c.first_unsupported()), warned) {
            warned = true;
            warn_unsupported_counters(why);
        }
        if !config.quiet {
            report.sample(&mut out, &sample);
            if last {
                report.finish(&mut out);
            }
            if let Err(e) = error::finish_stdout(&mut out) {
                return e.exit_code;
            }
        }
    }
    0
}

/// Runs the benchmark once: fresh buffers and IPC object, one pair of
/// stamps. Everything it opened is closed and unmapped when it returns,
/// unless `leave_to_exit` (see [`setup::release`]).
#[inline(never)] // out of line: a smaller binary
fn run_once(config: &Config, leave_to_exit: bool) -> Result<Sample, Error> {
    // The sender thread's stack (2thread), above a guard page, and the
    // receiver and sender buffers in one private mapping: one mmap (and
    // one mprotect for the guard), not three of each. Unless -F, the
    // buffers are left untouched, as malloc'd ones are: first touch happens
    // in the loop.
    let (guard, stack_size) =
        if config.mode == Mode::TwoThread { (setup::page_stride(), two_threads::STACK_SIZE) } else { (0, 0) };
    // 2proc with -F: the receiver's pages are kept from the child, or the
    // fork would make them copy-on-write and the receiver would take a fault
    // per page in the loop all the same. That needs the receive buffer on
    // whole pages of its own.
    let keep_from_child = config.prefault && config.mode == Mode::TwoProc;
    let receive_area = if keep_from_child {
        config.buffer_size.checked_next_multiple_of(setup::page_stride()).ok_or(Error::os("mmap", Errno::NOMEM))?
    } else {
        config.buffer_size
    };
    let mapping_size = receive_area
        .checked_add(config.buffer_size)
        .and_then(|size| size.checked_add(stack_size + guard))
        .ok_or_else(|| Error::os("mmap", Errno::NOMEM))?;
    let mut mapping = sys::memory::Mapping::private(mapping_size).map_err(|e| Error::os("mmap", e))?;
    if guard > 0 {
        mapping.guard_first(guard).map_err(|e| Error::os("mprotect", e))?;
    }
    if keep_from_child {
        mapping.keep_from_children(stack_size, receive_area).map_err(|e| Error::os("madvise", e))?;
    }
    let (stack, buffers) = mapping.bytes_mut().split_at_mut(stack_size);
    let (receive_area, send_buffer) = buffers.split_at_mut(receive_area);
    let receive_buffer = receive_area.get_mut(..config.buffer_size).unwrap_or_default();
    // -l between two sides: a way back for the replies (a second pipe, or
    // shmem channel).
    let one_thread = config.mode == Mode::OneThread;
    let replies = config.latency && !one_thread;
    // shmem's slots: a mapping of their own each (shared with the 2proc
    // child).
    let mut channels = ipc::channels(config, replies)?;
    if config.prefault {
        setup::touch_every_page(receive_buffer);
        setup::touch_every_page(send_buffer);
        for bytes in channels.iter_mut().flat_map(ipc::Channels::bytes_mut) {
            setup::touch_every_page(bytes);
        }
    }
    let ends = ipc::open(config, one_thread, replies, channels.as_ref())?;
    let mut sample = Sample { port: ends.port, kernel_buffers: ends.kernel_buffers, ..Sample::default() };
    // -l: the laps, on this stack (the initiator writes them all through
    // right before its start stamp).
    if config.latency {
        sample.latency = Some(Histogram::default());
    }
    if !config.bare {
        setup::quiesce();
    }
    // -g and -P: the modes have the probe look right outside their stamps.
    let probe = Probe::open(config);
    let laps = sample.latency.as_mut();
    let window = match config.mode {
        Mode::OneThread => one_thread::run(ends, receive_buffer, send_buffer, config, &probe, laps, leave_to_exit)?,
        Mode::TwoThread => {
            two_threads::run(ends, stack, receive_buffer, send_buffer, config, &probe, laps, leave_to_exit)?
        }
        Mode::TwoProc => two_procs::run(ends, receive_buffer, send_buffer, config, &probe, laps, leave_to_exit)?,
    };
    (sample.usage, sample.counts) = probe.measured(window.opened, window.closed)?;
    setup::release(probe, leave_to_exit);
    setup::release(channels, leave_to_exit);
    setup::release(mapping, leave_to_exit);
    sample.nanos = clock::elapsed_nanos(window.start, window.finish)?;
    Ok(sample)
}

fn warn_unsupported_counters(why: Unsupported) {
    let mut err = FdWriter::new(sys::start::stderr());
    err.put(b"ipc-static: warning: some -P counters are not supported here (");
    crate::report::render_unsupported(&mut err, &why);
    err.put(b"); they show as n/a (null in JSON)\n");
    let _ = err.flush();
}
