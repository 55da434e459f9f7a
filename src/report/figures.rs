//! The figures a sample shows, as scaled integers for [`Sink::put_fixed`]:
//! the bandwidth from the stamps, the -g usage, the -P counts.
//!
//! [`Sink::put_fixed`]: crate::output::Sink::put_fixed

use crate::args::CounterSet;
use crate::measure::counters::{self, Counts, Unsupported};
use crate::measure::rusage::Usage;
use crate::output::Sink;

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// KBytes (1024 bytes) per second, in hundredths, rounded to nearest.
pub fn kbytes_per_sec_centi(bytes: u64, nanos: u64) -> u128 {
    let numerator = u128::from(bytes) * 100 * NANOS_PER_SEC;
    let denominator = u128::from(nanos) * 1024;
    (numerator + denominator / 2) / denominator
}

/// Bytes per second, rounded to nearest.
pub fn bytes_per_sec(bytes: u64, nanos: u64) -> u128 {
    let numerator = u128::from(bytes) * NANOS_PER_SEC;
    (numerator + u128::from(nanos) / 2) / u128::from(nanos)
}

/// getrusage fields: name, value, decimals (times are microseconds shown
/// as seconds).
pub fn usage_fields(usage: &Usage) -> [(&'static str, u128, u32); 6] {
    [
        ("utime", u128::from(usage.user_micros), 6),
        ("stime", u128::from(usage.system_micros), 6),
        ("minflt", u128::from(usage.minor_faults), 0),
        ("majflt", u128::from(usage.major_faults), 0),
        ("nvcsw", u128::from(usage.voluntary_switches), 0),
        ("nivcsw", u128::from(usage.involuntary_switches), 0),
    ]
}

/// Every counter, then every derived ratio (4 decimals), of a set: name,
/// value (None where unsupported), decimals, and why a counter is
/// unsupported.
pub fn for_each_count(set: CounterSet, counts: &Counts, mut f: impl FnMut(&str, Option<u128>, u32, Option<&Unsupported>)) {
    let (names, derived) = counters::definition(set);
    for ((counter, value), why) in names.iter().zip(counts.values).zip(&counts.unsupported) {
        f(counter.name, value.map(u128::from), 0, why.as_ref());
    }
    for ratio in derived {
        f(ratio.name, counts.derived_scaled(ratio), 4, None);
    }
}

/// Every counter of a set that is unsupported, and why.
pub fn for_each_unsupported(set: CounterSet, counts: &Counts, mut f: impl FnMut(&str, &Unsupported)) {
    let (names, _) = counters::definition(set);
    for (counter, why) in names.iter().zip(&counts.unsupported) {
        if let Some(why) = why {
            f(counter.name, why);
        }
    }
}

/// Why a counter is unsupported: `call: errno text`, or what happened.
pub fn render_unsupported(out: &mut impl Sink, why: &Unsupported) {
    out.put_str(why.operation);
    out.put(b": ");
    render_unsupported_cause(out, why);
}

pub fn render_unsupported_cause(out: &mut impl Sink, why: &Unsupported) {
    match why.errno {
        Some(errno) => out.put(crate::sys::errno::text(errno)),
        None => out.put(b"the kernel never scheduled the group"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandwidth_in_kbytes() {
        // 16 MiB in 1 s is 16384 KBytes/sec.
        assert_eq!(kbytes_per_sec_centi(16 << 20, 1_000_000_000), 1_638_400);
        // 16 MiB in 0.014762 s: 16384 / 0.014762 = 1109876.7105 KBytes/sec.
        assert_eq!(kbytes_per_sec_centi(16777216, 14_762_000), 110_987_671);
        // The largest total over the smallest time does not overflow.
        assert!(kbytes_per_sec_centi(u64::MAX, 1) > 0);
        assert_eq!(bytes_per_sec(1000, 500_000_000), 2000);
    }
}
