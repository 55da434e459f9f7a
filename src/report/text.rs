//! The text report: the lab's configuration block (with -v, after the host
//! description), then one `<KiB/s> KBytes/sec` line per sample.

use crate::args::{Config, IpcType};
use crate::describe;
use crate::measure::counters::Unsupported;
use crate::measure::Sample;
use crate::output::Sink;

use super::figures;

/// The host description and the configuration block (-v).
pub fn header(out: &mut impl Sink, config: &Config, sample: &Sample) {
    describe::render_text(out);
    out.put(b"Benchmark configuration:\n");
    field(out, "buffersize", config.buffer_size as u64);
    field(out, "totalsize", config.total_size);
    field(out, "blockcount", config.block_count());
    out.put(b"  mode: ");
    out.put_str(config.mode.name());
    out.put(b"\n  ipctype: ");
    out.put_str(config.ipc.name());
    out.put(b"\n");
    if sample.port != 0 {
        field(out, "tcp_port", u64::from(sample.port));
    }
    if config.iterations > 1 {
        field(out, "iterations", config.iterations);
    }
    if let Some(affinity) = config.affinity {
        out.put(b"  affinity: ");
        out.put_u64(affinity.receiver as u64);
        if let Some(sender) = affinity.sender {
            out.put(b",");
            out.put_u64(sender as u64);
        }
        out.put(b"\n");
    }
    if config.prefault {
        out.put(b"  prefault: yes\n");
    }
    if config.latency {
        out.put(b"  latency: yes\n");
    }
    if let Some(set) = config.counters {
        out.put(b"  counters: ");
        out.put_str(set.name());
        out.put(b"\n");
    }
    match sample.kernel_buffers {
        Some((writer, reader)) => {
            field(out, "writer_kernel_buffer", writer as u64);
            field(out, "reader_kernel_buffer", reader as u64);
        }
        // Shared memory has no kernel buffer to report.
        None if config.ipc == IpcType::Shmem => {}
        None => out.put(b"  writer_kernel_buffer: unknown\n  reader_kernel_buffer: unknown\n"),
    }
}

fn field(out: &mut impl Sink, name: &str, value: u64) {
    out.put(b"  ");
    out.put_str(name);
    out.put(b": ");
    out.put_u64(value);
    out.put(b"\n");
}

/// One sample: the time (-v), the bandwidth (or with -l the mean round
/// trip, and with -v the round trips and laps), then -g and -P figures.
pub fn sample(out: &mut impl Sink, config: &Config, sample: &Sample) {
    if config.verbose {
        out.put(b"  time: ");
        out.put_fixed(u128::from(sample.nanos), 9);
        out.put(b"\n");
    }
    match &sample.latency {
        Some(laps) => {
            out.put_fixed(u128::from(figures::mean_round_trip(sample.nanos, config.block_count())), 3);
            out.put(b" us/round-trip\n");
            if config.verbose {
                field(out, "round_trips", config.block_count());
                figures::put_laps(out, laps, b"  ", b"_us: ", 3, b"\n");
            }
        }
        None => {
            out.put_fixed(figures::kbytes_per_sec_centi(config.total_size, sample.nanos), 2);
            out.put(b" KBytes/sec\n");
        }
    }
    let mut line = |name: &str, value: Option<u128>, decimals: u32, why: Option<&Unsupported>| {
        out.put(b"  ");
        out.put_str(name);
        out.put(b": ");
        match value {
            Some(value) => out.put_fixed(value, decimals),
            None => out.put(b"n/a"),
        }
        if let Some(why) = why {
            out.put(b" (");
            figures::render_unsupported(out, why);
            out.put(b")");
        }
        out.put(b"\n");
    };
    if let Some(usage) = sample.usage {
        for (name, value, decimals) in figures::usage_fields(&usage) {
            line(name, Some(value), decimals, None);
        }
    }
    if let (Some(set), Some(counts)) = (config.counters, sample.counts) {
        figures::for_each_count(set, &counts, &mut line);
        // How long the group counted; scaled: the counts are estimates.
        if let (Some(enabled), Some(running)) = (counts.time_enabled, counts.time_running) {
            line("time_enabled_ns", Some(u128::from(enabled)), 0, None);
            line("time_running_ns", Some(u128::from(running)), 0, None);
            out.put(if counts.scaled() { b"  scaled: yes\n" } else { b"  scaled: no\n" });
        }
    }
}
