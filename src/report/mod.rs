//! The results: text as the lab prints it (text.rs: the optional
//! configuration block, then `<KiB/s> KBytes/sec`), or one JSON document with
//! the lab's libxo names (json.rs: `benchmark_configuration`,
//! `benchmark_samples`).
//!
//! Samples are written one by one as iterations finish, so a report is a
//! small state machine: the header goes out with the first sample, and the
//! JSON document is closed by [`Report::finish`] (with an "error" member if
//! an iteration failed after at least one sample was written).

mod figures;
mod json;
mod text;

pub use figures::render_unsupported;

use crate::args::{Config, IpcType};
use crate::error::Error;
use crate::measure::Sample;
use crate::output::Sink;

pub struct Report<'c> {
    config: &'c Config,
    samples: u64,
}

impl<'c> Report<'c> {
    pub fn new(config: &'c Config) -> Report<'c> {
        Report { config, samples: 0 }
    }

    /// Puts one sample, preceded by the header if it is the first.
    #[inline(never)] // out of line: a smaller binary
    pub fn sample(&mut self, out: &mut impl Sink, sample: &Sample) {
        let first = self.samples == 0;
        self.samples += 1;
        if self.config.json {
            if first {
                json::header(out, self.config, sample);
            } else {
                out.put(b",");
            }
            json::sample(out, self.config, sample, self.samples);
        } else {
            if first && self.config.verbose {
                text::header(out, self.config, sample);
            }
            text::sample(out, self.config, sample);
        }
    }

    /// Closes the JSON document after the last sample.
    pub fn finish(&mut self, out: &mut impl Sink) {
        if self.config.json && self.samples > 0 {
            json::finish(out, None);
        }
    }

    /// A failed run (in `iteration`, or None before the first): with -j
    /// (which -q excludes) the document is opened if no sample did it, and closed
    /// with an "error" member, so that stdout holds one valid document.
    /// Text output shows nothing of it (the error goes to stderr).
    #[inline(never)] // out of line: a smaller binary
    pub fn fail(&mut self, out: &mut impl Sink, failure: &Error, iteration: Option<u64>) {
        if !self.config.json {
            return;
        }
        if self.samples == 0 {
            // Nothing was measured: only what the command line says.
            let port = if self.config.ipc == IpcType::Tcp { self.config.port } else { 0 };
            json::header(out, self.config, &Sample { port, ..Sample::default() });
        }
        json::finish(out, Some((failure, iteration)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{parse, Command};
    use crate::measure::counters::Counts;
    use crate::measure::rusage::Usage;

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
        match failure {
            Some(e) => report.fail(&mut out, e, Some(samples.len() as u64 + 1)),
            None => report.finish(&mut out),
        }
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
    fn shmem_shows_no_kernel_buffers() {
        let bare = Sample { nanos: 1_000_000, ..Sample::default() };
        let text = render(&["-v", "-i", "shmem", "2proc"], &[bare], None);
        assert!(text.contains("  ipctype: shmem\n  time: 0.001000000\n"), "{text}");
        let text = render(&["-j", "-i", "shmem", "2proc"], &[bare], None);
        let doc: serde_json::Value = serde_json::from_str(&text).expect(&text);
        assert_eq!(doc["benchmark_configuration"]["ipctype"], "shmem");
        assert!(doc["benchmark_configuration"]["kernel_buffers"].is_null());
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
    fn verbose_output_is_the_lab_block_plus_kernel_buffers() {
        let text = render(&["-v", "2thread"], &[sample(33_753_791)], None);
        let block = "Benchmark configuration:\n  buffersize: 131072\n  totalsize: 16777216\n  \
                     blockcount: 128\n  mode: 2thread\n  ipctype: pipe\n  writer_kernel_buffer: 65536\n  \
                     reader_kernel_buffer: 65536\n  time: 0.033753791\n485397.33 KBytes/sec\n";
        assert!(text.starts_with("Host description:\n"), "{text}");
        assert!(text.ends_with(block), "{text}");
    }

    #[test]
    fn iterations_print_one_line_each() {
        let text = render(&["-n", "3", "2thread"], &[sample(1_000_000_000), sample(2_000_000_000), sample(500_000_000)], None);
        assert_eq!(text, "16384.00 KBytes/sec\n8192.00 KBytes/sec\n32768.00 KBytes/sec\n");
    }

    #[test]
    fn json_is_one_valid_document() {
        let usage = Usage { user_micros: 1500, system_micros: 2_000_001, ..Default::default() };
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
        let counts = Counts { values: [None, None, Some(10), Some(1)], ..Counts::default() };
        let s = Sample { counts: Some(counts), ..sample(1_000) };
        let text = render(&["-j", "-P", "arch", "1thread"], &[s], None);
        let doc: serde_json::Value = serde_json::from_str(&text).expect(&text);
        let c = &doc["benchmark_samples"][0]["counters"];
        assert!(c["instructions"].is_null() && c["cycles_per_instruction"].is_null());
        assert_eq!(c["branches"], 10);
        assert_eq!(c["branch_miss_rate"].as_f64(), Some(0.1));
    }

    #[test]
    fn a_failure_closes_the_document_with_an_error_object_even_in_the_first_iteration() {
        let failure = Error::io("read", crate::error::Cause::EndOfFile, 4, 8);
        let text = render(&["-j", "-n", "2", "1thread"], &[sample(1_000)], Some(&failure));
        let doc: serde_json::Value = serde_json::from_str(&text).expect(&text);
        let error = &doc["error"];
        assert_eq!(error["message"], "read: connection closed by the sender after 4 of 8 bytes");
        assert_eq!((&error["operation"], &error["cause"]), (&"read".into(), &"connection closed by the sender".into()));
        assert!(error["errno"].is_null());
        assert_eq!((&error["iteration"], &error["bytes_moved"], &error["bytes_total"]), (&2.into(), &4.into(), &8.into()));
        assert_eq!(error["exit_status"], 74);
        assert_eq!(doc["benchmark_samples"].as_array().map(Vec::len), Some(1));
        // The first iteration failed: the configuration, no sample, the error.
        let failure = Error::os("socket", rustix::io::Errno::MFILE);
        let text = render(&["-j", "-i", "tcp", "1thread"], &[], Some(&failure));
        let doc: serde_json::Value = serde_json::from_str(&text).expect(&text);
        assert_eq!(doc["benchmark_configuration"]["tcp_port"], 10141);
        assert_eq!(doc["benchmark_samples"].as_array().map(Vec::len), Some(0));
        assert_eq!((&doc["error"]["errno"], &doc["error"]["bytes_moved"]), (&24.into(), &serde_json::Value::Null));
        // Text: nothing on stdout.
        assert_eq!(render(&["1thread"], &[], Some(&failure)), "");
    }

    #[test]
    fn counters_say_why_they_are_unsupported_and_how_long_they_counted() {
        use crate::measure::counters::Unsupported;
        let why = Unsupported { operation: "perf_event_open", errno: Some(rustix::io::Errno::NOENT) };
        let counts = Counts {
            values: [None, Some(30), Some(10), Some(1)],
            unsupported: [Some(why), None, None, None],
            time_enabled: Some(2000),
            time_running: Some(1000),
        };
        let s = Sample { counts: Some(counts), ..sample(1_000) };
        let text = render(&["-P", "arch", "1thread"], &[s], None);
        assert!(text.contains("  instructions: n/a (perf_event_open: No such file or directory)\n  cycles: 30\n"), "{text}");
        assert!(text.ends_with("  time_enabled_ns: 2000\n  time_running_ns: 1000\n  scaled: yes\n"), "{text}");
        let text = render(&["-j", "-P", "arch", "1thread"], &[s], None);
        let doc: serde_json::Value = serde_json::from_str(&text).expect(&text);
        let c = &doc["benchmark_samples"][0]["counters"];
        assert!(c["instructions"].is_null());
        assert_eq!((&c["time_enabled_ns"], &c["scaled"]), (&2000.into(), &true.into()));
        let why = &c["unsupported"]["instructions"];
        assert_eq!((&why["operation"], &why["errno"]), (&"perf_event_open".into(), &2.into()));
        assert_eq!(c["unsupported"].as_object().map(|o| o.len()), Some(1));
    }
}
