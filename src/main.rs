//! ipc-static: how fast do pipes, UNIX sockets and loopback TCP move data?
//!
//! A re-creation of the Cambridge L41 IPC benchmark as a static, heap-free
//! `no_std` binary, so that a trace of it shows the benchmark's system calls
//! and almost nothing else. See README.md.

#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), no_main)]
#![forbid(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod args;
mod bench;
mod clock;
mod counters;
mod describe;
mod error;
mod ipc;
mod output;
mod report;
mod sys;

use args::Command;
use output::{FdWriter, Sink};

/// sysexits(3) codes.
pub const EX_USAGE: i32 = 64;
pub const EX_UNAVAILABLE: i32 = 69;
pub const EX_SOFTWARE: i32 = 70;
pub const EX_OSERR: i32 = 71;
pub const EX_IOERR: i32 = 74;
pub const EX_CONFIG: i32 = 78;

/// The whole program, after the C start-up: returns the exit status.
pub fn run(args: sys::Args) -> i32 {
    let config = match args::parse(args) {
        Ok(Command::Run(config)) => config,
        Ok(Command::Describe { json }) => {
            let mut out = FdWriter::new(sys::stdout());
            if json {
                describe::render_json(&mut out);
                out.put(b"\n");
            } else {
                describe::render_text(&mut out);
            }
            return finish_stdout(&mut out);
        }
        Ok(Command::Help) => {
            let mut out = FdWriter::new(sys::stdout());
            args::render_usage(&mut out);
            return finish_stdout(&mut out);
        }
        Ok(Command::Usage) => {
            let mut err = FdWriter::new(sys::stderr());
            args::render_usage(&mut err);
            let _ = err.flush();
            return EX_USAGE;
        }
        Err(usage_error) => {
            let mut err = FdWriter::new(sys::stderr());
            err.put(b"ipc-static: ");
            usage_error.render(&mut err);
            err.put(b"\n");
            args::render_usage(&mut err);
            let _ = err.flush();
            return EX_USAGE;
        }
    };
    if config.counters.is_some() && !counters::SUPPORTED {
        let mut err = FdWriter::new(sys::stderr());
        err.put(b"ipc-static: -P: performance counters are not supported on this OS yet\n");
        let _ = err.flush();
        return EX_UNAVAILABLE;
    }
    if config.mode == args::Mode::TwoThread {
        // A sender thread whose reader closed must get EPIPE and say so, not
        // kill the whole process silently. (A 2proc child killed by SIGPIPE
        // is accounted for by its parent; 1thread holds both ends.)
        sys::ignore_sigpipe();
    }
    if let Some(affinity) = config.affinity {
        // Pins this thread, and so the sender too unless it has its own CPU.
        if let Err(e) = bench::pin_to(affinity.receiver) {
            report(&e);
            return e.exit_code;
        }
    }
    benchmark(&config)
}

/// Runs the iterations, writing each sample as it finishes (outside the
/// stamps). Returns the exit status.
fn benchmark(config: &args::Config) -> i32 {
    let mut out = FdWriter::new(sys::stdout());
    let mut results = report::Report::new(config);
    let mut warned = false;
    for iteration in 1..=config.iterations {
        // With -q nothing is written after the last loop, so its IPC object
        // and buffers can be left to exit_group: fewer calls in a trace.
        let last = iteration == config.iterations;
        let sample = match bench::run_once(config, config.quiet && last) {
            Ok(sample) => sample,
            Err(e) => {
                results.finish(&mut out, Some(&e));
                let _ = out.flush();
                report(&e);
                return e.exit_code;
            }
        };
        if let (Some(errno), false) = (sample.counters_unsupported, warned) {
            warned = true;
            warn_unsupported_counters(errno);
        }
        if !config.quiet {
            results.sample(&mut out, &sample);
            if last {
                results.finish(&mut out, None);
            }
            let status = finish_stdout(&mut out);
            if status != 0 {
                return status;
            }
        }
    }
    0
}

fn warn_unsupported_counters(errno: rustix::io::Errno) {
    let mut err = FdWriter::new(sys::stderr());
    err.put(b"ipc-static: warning: some -P counters are not supported here (perf_event_open: ");
    err.put(sys::errno_text(errno));
    err.put(b"); they show as n/a (null in JSON)\n");
    let _ = err.flush();
}

/// Flushes stdout; a closed or full stdout is an I/O error (exit 74).
fn finish_stdout(out: &mut FdWriter) -> i32 {
    match out.flush() {
        Ok(()) => 0,
        Err(errno) => {
            report(&error::Error { exit_code: EX_IOERR, ..error::Error::os("write to standard output", errno) });
            EX_IOERR
        }
    }
}

/// `ipc-static: <what failed>: <why>` on stderr.
pub fn report(e: &error::Error) {
    let mut err = FdWriter::new(sys::stderr());
    err.put(b"ipc-static: ");
    e.render(&mut err);
    err.put(b"\n");
    let _ = err.flush();
}
