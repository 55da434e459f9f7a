//! The JSON report: one document, `benchmark_configuration` (with -v, the
//! host description as `host` before it) and `benchmark_samples`, closed
//! by [`finish`].

use crate::args::Config;
use crate::describe;
use rustix::io::Errno;

use crate::error::{Cause, Error};
use crate::measure::latency::Histogram;
use crate::measure::Sample;
use crate::output::{SliceSink, Sink};

use super::figures;

/// Opens the document: the host (-v) and the configuration, up to the
/// samples' array.
pub fn header(out: &mut impl Sink, config: &Config, sample: &Sample) {
    out.put(b"{\n");
    if config.verbose {
        out.put(b"  \"host\": ");
        describe::render_json(out);
        out.put(b",\n");
    }
    out.put(b"  \"benchmark_configuration\": {");
    number(out, "buffersize", config.buffer_size as u128, 0, true);
    number(out, "totalsize", u128::from(config.total_size), 0, false);
    number(out, "blockcount", u128::from(config.block_count()), 0, false);
    string(out, "mode", config.mode.name());
    string(out, "ipctype", config.ipc.name());
    number(out, "iterations", u128::from(config.iterations), 0, false);
    boolean(out, "sflag", config.size_kernel_buffers);
    boolean(out, "bare", config.bare);
    boolean(out, "rusage", config.rusage);
    boolean(out, "prefault", config.prefault);
    boolean(out, "latency", config.latency);
    out.put(b", \"tcp_port\": ");
    if sample.port != 0 {
        out.put_u64(u64::from(sample.port));
    } else {
        out.put(b"null");
    }
    out.put(b", \"counters\": ");
    match config.counters {
        Some(set) => out.put_json_str(set.name().as_bytes()),
        None => out.put(b"null"),
    }
    out.put(b", \"affinity\": ");
    match config.affinity {
        Some(affinity) => {
            out.put(b"{\"receiver\": ");
            out.put_u64(affinity.receiver as u64);
            out.put(b", \"sender\": ");
            out.put_u64(affinity.sender.unwrap_or(affinity.receiver) as u64);
            out.put(b"}");
        }
        None => out.put(b"null"),
    }
    out.put(b", \"kernel_buffers\": ");
    match sample.kernel_buffers {
        Some((writer, reader)) => {
            out.put(b"{\"writer\": ");
            out.put_u64(writer as u64);
            out.put(b", \"reader\": ");
            out.put_u64(reader as u64);
            out.put(b"}");
        }
        None => out.put(b"null"),
    }
    out.put(b"},\n  \"benchmark_samples\": [");
}

/// One element of `benchmark_samples`.
pub fn sample(out: &mut impl Sink, config: &Config, sample: &Sample, iteration: u64) {
    out.put(b"\n    {");
    number(out, "iteration", u128::from(iteration), 0, true);
    match &sample.latency {
        Some(laps) => {
            number(out, "time", u128::from(sample.nanos), 9, false);
            latency(out, config, sample.nanos, laps);
        }
        None => {
            number(out, "bandwidth", figures::kbytes_per_sec_centi(config.total_size, sample.nanos), 2, false);
            number(out, "time", u128::from(sample.nanos), 9, false);
            number(out, "bytes_per_sec", figures::bytes_per_sec(config.total_size, sample.nanos), 0, false);
        }
    }
    if let Some(usage) = sample.usage {
        for (name, value, decimals) in figures::usage_fields(&usage) {
            number(out, name, value, decimals, false);
        }
    }
    if let (Some(set), Some(counts)) = (config.counters, sample.counts) {
        out.put(b", \"counters\": {");
        let mut first = true;
        figures::for_each_count(set, &counts, |name, value, decimals, _| {
            key(out, name, first);
            first = false;
            match value {
                Some(value) => out.put_fixed(value, decimals),
                None => out.put(b"null"),
            }
        });
        out.put(b", \"time_enabled_ns\": ");
        optional(out, counts.time_enabled);
        out.put(b", \"time_running_ns\": ");
        optional(out, counts.time_running);
        boolean(out, "scaled", counts.scaled());
        out.put(b", \"unsupported\": {");
        let mut first = true;
        figures::for_each_unsupported(set, &counts, |name, why| {
            key(out, name, first);
            first = false;
            let mut buffer = [0u8; 128];
            let mut text = SliceSink::new(&mut buffer);
            figures::render_unsupported_cause(&mut text, why);
            cause(out, why.operation, why.errno, text.as_bytes());
            out.put(b"}");
        });
        out.put(b"}}");
    }
    out.put(b"}");
}

/// -l's `"latency"` object: the round trips, the mean from the stamps, the
/// laps' minimum, percentiles and maximum, and every bucket that holds a
/// lap as `[first_ns, next_first_ns, count]`.
fn latency(out: &mut impl Sink, config: &Config, nanos: u64, laps: &Histogram) {
    out.put(b", \"latency\": {");
    let round_trips = config.block_count();
    number(out, "round_trips", u128::from(round_trips), 0, true);
    number(out, "mean_ns", u128::from(figures::mean_round_trip(nanos, round_trips)), 0, false);
    figures::put_laps(out, laps, b", \"", b"_ns\": ", 0, b"");
    out.put(b", \"buckets\": [");
    let mut first = true;
    laps.for_each_bucket(|low, next, count| {
        out.put(if first { b"[" } else { b", [" });
        first = false;
        out.put_u64(low);
        out.put(b", ");
        out.put_u64(next);
        out.put(b", ");
        out.put_u64(u64::from(count));
        out.put(b"]");
    });
    out.put(b"]}");
}

/// Closes the samples' array and the document, with an `error` member
/// saying what failed, why, in which iteration (null before the first
/// began) and after how many bytes (null outside the loop).
pub fn finish(out: &mut impl Sink, failure: Option<(&Error, Option<u64>)>) {
    out.put(b"\n  ]");
    if let Some((e, iteration)) = failure {
        out.put(b",\n  \"error\": ");
        let errno = if let Cause::Errno(errno) = e.cause { Some(errno) } else { None };
        let mut buffer = [0u8; 256];
        let mut text = SliceSink::new(&mut buffer);
        e.render_cause(&mut text);
        cause(out, e.operation, errno, text.as_bytes());
        out.put(b", \"message\": ");
        let mut text = SliceSink::new(&mut buffer);
        e.render(&mut text);
        out.put_json_str(text.as_bytes());
        out.put(b", \"iteration\": ");
        optional(out, iteration);
        out.put(b", \"bytes_moved\": ");
        optional(out, e.progress.map(|(moved, _)| moved));
        out.put(b", \"bytes_total\": ");
        optional(out, e.progress.map(|(_, total)| total));
        out.put(b", \"exit_status\": ");
        out.put_u64(e.exit_code as u64);
        out.put(b"}");
    }
    out.put(b"\n}\n");
}

/// Opens `{"operation": …, "errno": N|null, "cause": …` (left open).
fn cause(out: &mut impl Sink, operation: &str, errno: Option<Errno>, text: &[u8]) {
    out.put(b"{\"operation\": ");
    out.put_json_str(operation.as_bytes());
    out.put(b", \"errno\": ");
    optional(out, errno.map(|e| e.raw_os_error() as u64));
    out.put(b", \"cause\": ");
    out.put_json_str(text);
}

#[inline(never)] // out of line: one copy for every member
fn optional(out: &mut impl Sink, value: Option<u64>) {
    match value {
        Some(value) => out.put_u64(value),
        None => out.put(b"null"),
    }
}

fn key(out: &mut impl Sink, name: &str, first: bool) {
    if !first {
        out.put(b", ");
    }
    out.put_json_str(name.as_bytes());
    out.put(b": ");
}

fn number(out: &mut impl Sink, name: &str, scaled: u128, decimals: u32, first: bool) {
    key(out, name, first);
    out.put_fixed(scaled, decimals);
}

fn string(out: &mut impl Sink, name: &str, value: &str) {
    key(out, name, false);
    out.put_json_str(value.as_bytes());
}

#[inline(never)] // out of line: one copy for every member
fn boolean(out: &mut impl Sink, name: &str, value: bool) {
    key(out, name, false);
    out.put(if value { b"true" } else { b"false" });
}
