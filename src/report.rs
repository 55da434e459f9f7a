//! The results: text as the lab prints it (the optional configuration
//! block, then `<KiB/s> KBytes/sec`), or one JSON document with the lab's
//! libxo names (`benchmark_configuration`, `benchmark_samples`).
//!
//! Samples are written one by one as iterations finish, so a report is a
//! small state machine: the header goes out with the first sample, and the
//! JSON document is closed by [`Report::finish`] (with an "error" member if
//! an iteration failed), so stdout always holds valid JSON.

use crate::args::Config;
use crate::bench::Sample;
use crate::clock;
use crate::counters;
use crate::describe;
use crate::error::Error;
use crate::output::{SliceSink, Sink};

pub struct Report<'c> {
    config: &'c Config,
    samples: u64,
}

impl<'c> Report<'c> {
    pub fn new(config: &'c Config) -> Report<'c> {
        Report { config, samples: 0 }
    }

    /// Puts one sample, preceded by the header if it is the first.
    pub fn sample(&mut self, out: &mut impl Sink, sample: &Sample) {
        let first = self.samples == 0;
        self.samples += 1;
        if self.config.json {
            if first {
                json_header(out, self.config, sample);
            } else {
                out.put(b",\n");
            }
            json_sample(out, self.config, sample, self.samples);
        } else {
            if first && self.config.verbose {
                describe::render_text(out);
                text_header(out, self.config, sample);
            }
            text_sample(out, self.config, sample);
        }
    }

    /// Closes the JSON document, naming the failure if there was one.
    pub fn finish(&mut self, out: &mut impl Sink, failure: Option<&Error>) {
        if !self.config.json || self.samples == 0 {
            return;
        }
        out.put(b"\n  ]");
        if let Some(e) = failure {
            out.put(b",\n  \"error\": ");
            let mut message = [0u8; 256];
            let mut text = SliceSink::new(&mut message);
            e.render(&mut text);
            let len = text.len;
            out.put_json_str(&message[..len]);
        }
        out.put(b"\n}\n");
    }
}

fn text_header(out: &mut impl Sink, config: &Config, sample: &Sample) {
    out.put(b"Benchmark configuration:\n");
    text_field(out, "buffersize", config.buffer_size as u64);
    text_field(out, "totalsize", config.total_size);
    text_field(out, "blockcount", config.block_count());
    out.put(b"  mode: ");
    out.put_str(config.mode.name());
    out.put(b"\n  ipctype: ");
    out.put_str(config.ipc.name());
    out.put(b"\n");
    if sample.port != 0 {
        text_field(out, "tcp_port", u64::from(sample.port));
    }
    if config.iterations > 1 {
        text_field(out, "iterations", config.iterations);
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
    if let Some(set) = config.counters {
        out.put(b"  counters: ");
        out.put_str(set.name());
        out.put(b"\n");
    }
    match sample.kernel_buffers {
        Some((writer, reader)) => {
            text_field(out, "writer_kernel_buffer", writer as u64);
            text_field(out, "reader_kernel_buffer", reader as u64);
        }
        None => out.put(b"  writer_kernel_buffer: unknown\n  reader_kernel_buffer: unknown\n"),
    }
}

fn text_field(out: &mut impl Sink, name: &str, value: u64) {
    out.put(b"  ");
    out.put_str(name);
    out.put(b": ");
    out.put_u64(value);
    out.put(b"\n");
}

fn text_sample(out: &mut impl Sink, config: &Config, sample: &Sample) {
    if config.verbose {
        out.put(b"  time: ");
        out.put_fixed(u128::from(sample.nanos), 9);
        out.put(b"\n");
    }
    out.put_fixed(clock::kbytes_per_sec_centi(config.total_size, sample.nanos), 2);
    out.put(b" KBytes/sec\n");
    if let Some(usage) = sample.usage {
        for (name, value, decimals) in usage_fields(&usage) {
            out.put(b"  ");
            out.put_str(name);
            out.put(b": ");
            out.put_fixed(value, decimals);
            out.put(b"\n");
        }
    }
    if let (Some(set), Some(counts)) = (config.counters, sample.counts) {
        for_each_count(set, &counts, |name, value, decimals| {
            out.put(b"  ");
            out.put_str(name);
            out.put(b": ");
            match value {
                Some(value) => out.put_fixed(value, decimals),
                None => out.put(b"n/a"),
            }
            out.put(b"\n");
        });
    }
}

/// getrusage fields: name, value, decimals (times are microseconds shown
/// as seconds).
fn usage_fields(usage: &crate::sys::Usage) -> [(&'static str, u128, u32); 6] {
    [
        ("utime", u128::from(usage.user_micros), 6),
        ("stime", u128::from(usage.system_micros), 6),
        ("minflt", u128::from(usage.minor_faults), 0),
        ("majflt", u128::from(usage.major_faults), 0),
        ("nvcsw", u128::from(usage.voluntary_switches), 0),
        ("nivcsw", u128::from(usage.involuntary_switches), 0),
    ]
}

/// Every counter, then every derived ratio (4 decimals), of a set.
fn for_each_count(set: crate::args::CounterSet, counts: &counters::Counts, mut f: impl FnMut(&str, Option<u128>, u32)) {
    let (names, derived) = counters::definition(set);
    for (counter, value) in names.iter().zip(counts.values) {
        f(counter.name, value.map(u128::from), 0);
    }
    for ratio in derived {
        f(ratio.name, counts.derived_scaled(ratio), 4);
    }
}

fn json_header(out: &mut impl Sink, config: &Config, sample: &Sample) {
    out.put(b"{\n");
    if config.verbose {
        out.put(b"  \"host\": ");
        describe::render_json(out);
        out.put(b",\n");
    }
    out.put(b"  \"benchmark_configuration\": {");
    json_number(out, "buffersize", config.buffer_size as u128, 0, true);
    json_number(out, "totalsize", u128::from(config.total_size), 0, false);
    json_number(out, "blockcount", u128::from(config.block_count()), 0, false);
    json_string(out, "mode", config.mode.name());
    json_string(out, "ipctype", config.ipc.name());
    json_number(out, "iterations", u128::from(config.iterations), 0, false);
    json_bool(out, "sflag", config.size_kernel_buffers);
    json_bool(out, "bare", config.bare);
    json_bool(out, "rusage", config.rusage);
    json_bool(out, "prefault", config.prefault);
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
    out.put(b"},\n  \"benchmark_samples\": [\n");
}

fn json_sample(out: &mut impl Sink, config: &Config, sample: &Sample, iteration: u64) {
    out.put(b"    {");
    json_number(out, "iteration", u128::from(iteration), 0, true);
    json_number(out, "bandwidth", clock::kbytes_per_sec_centi(config.total_size, sample.nanos), 2, false);
    json_number(out, "time", u128::from(sample.nanos), 9, false);
    json_number(out, "bytes_per_sec", clock::bytes_per_sec(config.total_size, sample.nanos), 0, false);
    if let Some(usage) = sample.usage {
        for (name, value, decimals) in usage_fields(&usage) {
            json_number(out, name, value, decimals, false);
        }
    }
    if let (Some(set), Some(counts)) = (config.counters, sample.counts) {
        out.put(b", \"counters\": {");
        let mut first = true;
        for_each_count(set, &counts, |name, value, decimals| {
            if !first {
                out.put(b", ");
            }
            first = false;
            out.put_json_str(name.as_bytes());
            out.put(b": ");
            match value {
                Some(value) => out.put_fixed(value, decimals),
                None => out.put(b"null"),
            }
        });
        out.put(b"}");
    }
    out.put(b"}");
}

fn json_key(out: &mut impl Sink, name: &str, first: bool) {
    if !first {
        out.put(b", ");
    }
    out.put_json_str(name.as_bytes());
    out.put(b": ");
}

fn json_number(out: &mut impl Sink, name: &str, scaled: u128, decimals: u32, first: bool) {
    json_key(out, name, first);
    out.put_fixed(scaled, decimals);
}

fn json_string(out: &mut impl Sink, name: &str, value: &str) {
    json_key(out, name, false);
    out.put_json_str(value.as_bytes());
}

fn json_bool(out: &mut impl Sink, name: &str, value: bool) {
    json_key(out, name, false);
    out.put(if value { b"true" } else { b"false" });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{parse, Command};

    fn config(args: &[&str]) -> Config {
        match parse(args.iter().map(|a| a.as_bytes())) {
            Ok(Command::Run(config)) => config,
            other => panic!("{other:?}"),
        }
    }

    fn render(args: &[&str], samples: &[Sample], failure: Option<&Error>) -> String {
        let config = config(args);
        let mut report = Report::new(&config);
        let mut out = Vec::new();
        for sample in samples {
            report.sample(&mut out, sample);
        }
        report.finish(&mut out, failure);
        String::from_utf8(out).unwrap()
    }

    fn sample(nanos: u64) -> Sample {
        Sample { nanos, kernel_buffers: Some((65536, 65536)), ..Sample::default() }
    }

    #[test]
    fn default_output_is_one_line() {
        assert_eq!(render(&["2thread"], &[sample(1_000_000_000)], None), "16384.00 KBytes/sec\n");
    }

    #[test]
    fn verbose_output_is_the_lab_block_plus_kernel_buffers() {
        let text = render(&["-v", "2thread"], &[sample(33_753_791)], None);
        let block = "Benchmark configuration:\n  buffersize: 131072\n  totalsize: 16777216\n  \
                     blockcount: 128\n  mode: 2thread\n  ipctype: pipe\n  writer_kernel_buffer: 65536\n  \
                     reader_kernel_buffer: 65536\n  time: 0.033753791\n485397.33 KBytes/sec\n";
        assert!(text.starts_with("Host description:\n"), "{text}");
        assert!(text.ends_with(block), "{text}");
    }

    #[test]
    fn prefault_shows_in_the_verbose_block_and_json() {
        let text = render(&["-v", "-F", "2thread"], &[sample(33_753_791)], None);
        assert!(text.contains("  ipctype: pipe\n  prefault: yes\n  writer_kernel_buffer: 65536\n"), "{text}");
        let text = render(&["-j", "-F", "2thread"], &[sample(33_753_791)], None);
        let doc: serde_json::Value = serde_json::from_str(&text).expect(&text);
        assert_eq!(doc["benchmark_configuration"]["prefault"], true);
    }

    #[test]
    fn iterations_print_one_line_each() {
        let text = render(&["-n", "3", "2thread"], &[sample(1_000_000_000), sample(2_000_000_000), sample(500_000_000)], None);
        assert_eq!(text, "16384.00 KBytes/sec\n8192.00 KBytes/sec\n32768.00 KBytes/sec\n");
    }

    #[test]
    fn json_is_one_valid_document() {
        let usage = crate::sys::Usage { user_micros: 1500, system_micros: 2_000_001, ..Default::default() };
        let with_usage = Sample { usage: Some(usage), ..sample(1_000_000_001) };
        let text = render(&["-j", "-g", "-n", "2", "-a", "0,1", "2proc"], &[with_usage, with_usage], None);
        let doc: serde_json::Value = serde_json::from_str(&text).expect(&text);
        let config = &doc["benchmark_configuration"];
        assert_eq!(config["buffersize"], 131072);
        assert_eq!(config["mode"], "2proc");
        assert_eq!(config["affinity"]["sender"], 1);
        assert_eq!(config["kernel_buffers"]["reader"], 65536);
        assert_eq!(config["prefault"], false);
        let samples = doc["benchmark_samples"].as_array().unwrap();
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[1]["iteration"], 2);
        assert_eq!(samples[0]["time"].as_f64(), Some(1.000000001));
        assert_eq!(samples[0]["stime"].as_f64(), Some(2.000001));
        // 16777216 / 1.000000001 = 16777215.98, rounded to nearest.
        assert_eq!(samples[0]["bytes_per_sec"], 16777216);
        assert!(text.contains("\"time\": 1.000000001"), "nanosecond precision: {text}");
    }

    #[test]
    fn json_counters_use_null_for_unsupported() {
        let counts = crate::counters::Counts { values: [None, None, Some(10), Some(1)] };
        let s = Sample { counts: Some(counts), ..sample(1_000) };
        let text = render(&["-j", "-P", "arch", "1thread"], &[s], None);
        let doc: serde_json::Value = serde_json::from_str(&text).expect(&text);
        let c = &doc["benchmark_samples"][0]["counters"];
        assert!(c["instructions"].is_null() && c["cycles_per_instruction"].is_null());
        assert_eq!(c["branches"], 10);
        assert_eq!(c["branch_miss_rate"].as_f64(), Some(0.1));
    }

    #[test]
    fn a_failure_after_samples_still_closes_the_document() {
        let failure = Error::io("read", crate::error::Cause::EndOfFile, 4, 8);
        let text = render(&["-j", "-n", "2", "1thread"], &[sample(1_000)], Some(&failure));
        let doc: serde_json::Value = serde_json::from_str(&text).expect(&text);
        assert_eq!(doc["error"], "read: connection closed by the sender after 4 of 8 bytes");
        assert_eq!(render(&["-j", "1thread"], &[], Some(&failure)), "");
    }
}
