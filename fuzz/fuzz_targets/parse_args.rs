//! Fuzzes ipc-static's hand-rolled argument parser (src/args/).
//!
//! The input is split on NUL bytes into the arguments after argv[0] (a real
//! argv cannot hold NUL, so every input is a possible command line). The
//! properties: parse never panics; an accepted run has a positive buffer
//! and total, the total a multiple of the buffer, and both buffers mappable
//! at once; a refusal renders as exactly one non-empty line of printable
//! ASCII (non-UTF-8 and control bytes escaped), which main.rs prints after
//! `ipc-static: ` and before the usage.
//!
//! The parser lives in the binary crate (there is no library), so its
//! sources are compiled here directly: src/args/ and the one module below
//! it that it uses, src/output.rs.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../src/output.rs"]
mod output;

#[allow(dead_code, unused_imports)]
#[path = "../../src/args/mod.rs"]
mod args;

/// Collects what the parser renders.
struct Collect(Vec<u8>);

impl output::Sink for Collect {
    fn put(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

fuzz_target!(|data: &[u8]| {
    let argv: Vec<&[u8]> = if data.is_empty() { Vec::new() } else { data.split(|&b| b == 0).collect() };
    match args::parse(argv.iter().copied()) {
        Ok(args::Command::Run(config)) => {
            let buffer = config.buffer_size as u64;
            assert!(buffer > 0, "accepted a zero buffer: {argv:?}");
            assert!(config.total_size > 0, "accepted a zero total: {argv:?}");
            assert_eq!(config.total_size % buffer, 0, "accepted sizes that do not divide: {argv:?}");
            assert!(config.buffer_size.checked_mul(2).is_some(), "accepted unmappable buffers: {argv:?}");
            assert!(!argv.is_empty(), "an empty command line is the usage, not a run");
        }
        Ok(_) => {}
        Err(error) => {
            let mut line = Collect(Vec::new());
            error.render(&mut line);
            assert!(!line.0.is_empty(), "an empty message for {argv:?}");
            assert!(
                line.0.iter().all(|&b| (0x20..0x7f).contains(&b)),
                "the message is not one printable line: {:?} for {argv:?}",
                String::from_utf8_lossy(&line.0)
            );
        }
    }
});
