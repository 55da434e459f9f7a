//! ipc-static: how fast do pipes, UNIX sockets and loopback TCP move data?
//!
//! A re-creation of the Cambridge L41 IPC benchmark as a static, heap-free
//! `no_std` binary, so that a trace of it shows the benchmark's system calls
//! and almost nothing else. See README.md ("Architecture") for the layout:
//! this file parses the command line, dispatches, and returns the exit
//! status; nothing imports it.

#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), no_main)]
#![forbid(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
// `unsafe` belongs in sys/ only (tests/tests/layout.rs checks the text too).
#![deny(unsafe_code)]

mod args;
mod describe;
mod error;
mod ipc;
mod measure;
mod output;
mod report;
mod run;
#[allow(unsafe_code)]
mod sys;

use args::Command;
use error::EX_USAGE;
use output::{FdWriter, Sink};

sys::start::entry_point!(program, error::EX_SOFTWARE);

/// The whole program, after the C start-up: returns the exit status.
fn program(args: sys::start::Args) -> i32 {
    match args::parse(args) {
        Ok(Command::Run(config)) => run::benchmark(&config),
        Ok(Command::Describe { json }) => {
            let mut out = FdWriter::new(sys::start::stdout());
            if json {
                describe::render_json(&mut out);
                out.put(b"\n");
            } else {
                describe::render_text(&mut out);
            }
            exit_status(error::finish_stdout(&mut out))
        }
        Ok(Command::Help) => {
            let mut out = FdWriter::new(sys::start::stdout());
            args::render_usage(&mut out);
            exit_status(error::finish_stdout(&mut out))
        }
        Ok(Command::Usage) => {
            let mut err = FdWriter::new(sys::start::stderr());
            args::render_usage(&mut err);
            let _ = err.flush();
            EX_USAGE
        }
        Err(usage_error) => {
            let mut err = FdWriter::new(sys::start::stderr());
            err.put(b"ipc-static: ");
            usage_error.render(&mut err);
            err.put(b"\n");
            args::render_usage(&mut err);
            let _ = err.flush();
            EX_USAGE
        }
    }
}

fn exit_status(result: Result<(), error::Error>) -> i32 {
    result.map_or_else(|e| e.exit_code, |()| 0)
}
