//! The results, as the lab prints them: the optional configuration block,
//! then `<KiB/s> KBytes/sec`.

use crate::args::Config;
use crate::bench::Sample;
use crate::clock;
use crate::output::Sink;

/// Text output for one sample.
pub fn text(out: &mut impl Sink, config: &Config, sample: &Sample) {
    if config.verbose {
        out.put(b"Benchmark configuration:\n  buffersize: ");
        out.put_u64(config.buffer_size as u64);
        out.put(b"\n  totalsize: ");
        out.put_u64(config.total_size);
        out.put(b"\n  blockcount: ");
        out.put_u64(config.block_count());
        out.put(b"\n  mode: ");
        out.put_str(config.mode.name());
        out.put(b"\n  ipctype: ");
        out.put_str(config.ipc.name());
        if sample.port != 0 {
            out.put(b"\n  tcp_port: ");
            out.put_u64(u64::from(sample.port));
        }
        out.put(b"\n  time: ");
        out.put_fixed(u128::from(sample.nanos), 9);
        out.put(b"\n");
    }
    out.put_fixed(clock::kbytes_per_sec_centi(config.total_size, sample.nanos), 2);
    out.put(b" KBytes/sec\n");
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

    #[test]
    fn default_output_is_one_line() {
        let mut out = Vec::new();
        text(&mut out, &config(&["2thread"]), &Sample { nanos: 1_000_000_000, port: 0 });
        assert_eq!(String::from_utf8(out).unwrap(), "16384.00 KBytes/sec\n");
    }

    #[test]
    fn verbose_output_is_the_lab_block() {
        let mut out = Vec::new();
        text(&mut out, &config(&["-v", "2thread"]), &Sample { nanos: 33_753_791, port: 0 });
        let expected = "Benchmark configuration:\n  buffersize: 131072\n  totalsize: 16777216\n  \
                        blockcount: 128\n  mode: 2thread\n  ipctype: pipe\n  time: 0.033753791\n\
                        485397.33 KBytes/sec\n";
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}
