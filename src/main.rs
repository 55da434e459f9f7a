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
mod error;
mod ipc;
mod output;
mod report;
mod sys;

use args::Command;
use output::{FdWriter, Sink};

/// sysexits(3) codes.
pub const EX_USAGE: i32 = 64;
pub const EX_SOFTWARE: i32 = 70;
pub const EX_OSERR: i32 = 71;
pub const EX_IOERR: i32 = 74;

/// The whole program, after the C start-up: returns the exit status.
pub fn run(args: sys::Args) -> i32 {
    let config = match args::parse(args) {
        Ok(Command::Run(config)) => config,
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
    // With -q nothing is written after the loop, so the IPC object and
    // buffers can be left to exit_group: fewer calls in a -B -q trace.
    let sample = match bench::run_once(&config, config.quiet) {
        Ok(sample) => sample,
        Err(e) => {
            report(&e);
            return e.exit_code;
        }
    };
    if config.quiet {
        return 0;
    }
    let mut out = FdWriter::new(sys::stdout());
    report::text(&mut out, &config, &sample);
    finish_stdout(&mut out)
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
