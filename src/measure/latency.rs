//! -l: the round trips' distribution. The initiating side reads the clock
//! after every round trip ([`Histogram::lap`]: CLOCK_MONOTONIC through the
//! vDSO, no system call, so a trace still shows only the two visible
//! stamps) and counts each lap in a [`Histogram`]: log-linear buckets, 64 per power of two, so that a
//! bucket is at most 1/64 of its values wide and its midpoint is within
//! 0.8% of any of them; below 128 ns every nanosecond has its own. Fixed
//! size (6.75 KiB), integers only, no allocation; [`Histogram::prepare`]
//! writes all of it (and reads the clock once) right before the start
//! stamp, so that nothing in the loop takes a page fault for it.

use rustix::io::Errno;
use rustix::time::Timespec;

use crate::sys;

/// 64 buckets per power of two.
const SUB_BITS: u32 = 6;
const SUB: usize = 1 << SUB_BITS;
/// Laps of 2^32 ns (4.3 s) and more share the last bucket (the maximum
/// is kept exactly all the same).
const TOP_BIT: u32 = 32;
pub const BUCKETS: usize = (TOP_BIT - SUB_BITS + 1) as usize * SUB;

#[derive(Clone, Copy, Debug)]
pub struct Histogram {
    counts: [u32; BUCKETS],
    trips: u64,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: [0; BUCKETS], trips: 0, min: u64::MAX, max: 0 }
    }
}

/// What [`Histogram::percentile`] is asked for each figure shown:
/// thousandths, 0 for the minimum and 1000 for the maximum.
pub const FIGURES: [(&str, u64); 6] =
    [("min", 0), ("p50", 500), ("p90", 900), ("p99", 990), ("p999", 999), ("max", 1000)];

/// A stamp as nanoseconds, on the laps' scale.
pub fn nanos(t: &Timespec) -> u64 {
    (t.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(t.tv_nsec as u64)
}

/// The bucket of a lap of `ns` nanoseconds.
fn bucket(ns: u64) -> usize {
    let ns = ns.min((1 << TOP_BIT) - 1);
    if ns < SUB as u64 {
        return ns as usize;
    }
    let shift = 63 - ns.leading_zeros() - SUB_BITS;
    shift as usize * SUB + (ns >> shift) as usize
}

/// The values a bucket holds: from its first, this many.
fn bounds(index: usize) -> (u64, u64) {
    if index < SUB {
        return (index as u64, 1);
    }
    let shift = index / SUB - 1;
    (((index % SUB + SUB) as u64) << shift, 1 << shift)
}

impl Histogram {
    /// Empties it, writing every page, and reads the clock once, so that
    /// the loop neither faults on them nor sets up the vDSO (and, in a
    /// forked process, copies none of them on write).
    pub fn prepare(&mut self) -> Result<(), Errno> {
        *self = Histogram::default();
        core::hint::black_box(&mut *self);
        sys::clock::monotonic_unseen().map(|_| ())
    }

    /// After a round trip: reads the clock (not the visible stamp) and
    /// counts the lap since `last`; returns the clock, in nanoseconds.
    /// [`Histogram::prepare`] has read it once already, so it works: a
    /// failure (none is possible for CLOCK_MONOTONIC) would count as no time.
    pub fn lap(&mut self, last: u64) -> u64 {
        let now = sys::clock::monotonic_unseen().map_or(last, |t| nanos(&t));
        self.record(now.saturating_sub(last));
        now
    }

    fn record(&mut self, ns: u64) {
        if let Some(count) = self.counts.get_mut(bucket(ns)) {
            *count = count.saturating_add(1);
        }
        self.trips += 1;
        self.min = self.min.min(ns);
        self.max = self.max.max(ns);
    }

    #[cfg(test)]
    fn trips(&self) -> u64 {
        self.trips
    }

    /// The lap that `thousandths` of all are no longer than: the midpoint
    /// of its bucket, kept within the exact minimum and maximum; 0 is the
    /// minimum, and the last lap (or any in the open-ended last bucket)
    /// the maximum. 0 when there is no lap.
    #[inline(never)] // out of line: a smaller binary
    pub fn percentile(&self, thousandths: u64) -> u64 {
        if thousandths == 0 || self.trips == 0 {
            return self.min.min(self.max);
        }
        let rank = (self.trips * thousandths).div_ceil(1000);
        let mut seen = 0u64;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += u64::from(count);
            if seen >= rank {
                if rank >= self.trips || index == BUCKETS - 1 {
                    break;
                }
                let (low, width) = bounds(index);
                return (low + (width - 1) / 2).clamp(self.min, self.max);
            }
        }
        self.max
    }

    /// Every bucket that holds a lap: its first value, the first value of
    /// the next, and its count.
    pub fn for_each_bucket(&self, mut f: impl FnMut(u64, u64, u32)) {
        for (index, &count) in self.counts.iter().enumerate() {
            if count > 0 {
                let (low, width) = bounds(index);
                f(low, low + width, count);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_tile_the_range_and_are_at_most_a_64th_wide() {
        let mut next = 0;
        for index in 0..BUCKETS {
            let (low, width) = bounds(index);
            assert_eq!(low, next, "bucket {index} starts where the last ended");
            assert_eq!((bucket(low), bucket(low + width - 1)), (index, index));
            assert!(width == 1 || width * 64 <= low, "bucket {index}: {low} + {width}");
            next = low + width;
        }
        assert_eq!(next, 1 << TOP_BIT);
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn percentiles_are_within_a_bucket_and_ordered() {
        let mut h = Histogram::default();
        h.prepare().unwrap();
        assert_eq!((h.percentile(0), h.percentile(500), h.percentile(1000)), (0, 0, 0));
        for ns in 1..=1000u64 {
            h.record(ns * 1000);
        }
        assert_eq!((h.trips(), h.percentile(0), h.percentile(1000)), (1000, 1000, 1_000_000));
        for thousandths in [500, 900, 990, 999] {
            let exact = thousandths * 1000;
            let got = h.percentile(thousandths);
            assert!(got.abs_diff(exact) * 100 <= exact, "p{thousandths}: {got} for {exact}");
        }
        h.record(10_000_000_000);
        assert_eq!(h.percentile(1000), 10_000_000_000);
        assert!(h.percentile(999).abs_diff(1_000_000) * 100 <= 1_000_000, "the rank before the last");
        let before = h.lap(0);
        let after = h.lap(before);
        assert!(before > 0 && after >= before && after - before < 1_000_000_000, "the clock, in nanoseconds");
        assert_eq!(h.trips(), 1003, "each lap counted");
        let mut total = 0;
        h.for_each_bucket(|low, high, count| {
            assert!(low < high);
            total += u64::from(count);
        });
        assert_eq!(total, h.trips());
    }
}
