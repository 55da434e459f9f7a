//! -P: performance counters around the loop, through perf_event_open(2) on
//! Linux. Counters are opened and enabled before the start stamp, and
//! disabled and read after the finish stamp (and after the sender thread or
//! child is gone, so its inherited counts are in).
//!
//! A counter this machine cannot count (hardware counters in many VMs) is
//! reported as unsupported, and the run goes on.

use rustix::io::Errno;

use crate::args::CounterSet;

/// Up to four counters per set, as the lab's hwpmc sets had.
pub const PER_SET: usize = 4;

/// One counter: its name in the output, and the perf type and config
/// (only opened on Linux; elsewhere -P is refused before any counter is).
#[derive(Clone, Copy)]
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub struct Counter {
    pub name: &'static str,
    kind: u32,
    config: u64,
}

/// A ratio derived from two counters of the set: `numerator / denominator`,
/// or one minus it for hit rates.
#[derive(Clone, Copy)]
pub struct Derived {
    pub name: &'static str,
    numerator: usize,
    denominator: usize,
    one_minus: bool,
}

const HARDWARE: u32 = 0;
const SOFTWARE: u32 = 1;
const HW_CACHE: u32 = 3;

const fn hardware(name: &'static str, config: u64) -> Counter {
    Counter { name, kind: HARDWARE, config }
}

const fn software(name: &'static str, config: u64) -> Counter {
    Counter { name, kind: SOFTWARE, config }
}

/// PERF_TYPE_HW_CACHE config: cache id, operation (read = 0), result
/// (access = 0, miss = 1).
const fn cache_read(name: &'static str, cache: u64, miss: bool) -> Counter {
    Counter { name, kind: HW_CACHE, config: cache | (miss as u64) << 16 }
}

const INSTRUCTIONS: Counter = hardware("instructions", 1);
const CYCLES: Counter = hardware("cycles", 0);
const L1D: u64 = 0;
const L1I: u64 = 1;
const LLC: u64 = 2;
const DTLB: u64 = 3;
const ITLB: u64 = 4;

const fn ratio(name: &'static str, numerator: usize, denominator: usize) -> Derived {
    Derived { name, numerator, denominator, one_minus: false }
}

const fn hit_rate(name: &'static str, misses: usize, accesses: usize) -> Derived {
    Derived { name, numerator: misses, denominator: accesses, one_minus: true }
}

const ARCH_DERIVED: &[Derived] = &[ratio("cycles_per_instruction", 1, 0), ratio("branch_miss_rate", 3, 2)];
const DCACHE_DERIVED: &[Derived] = &[hit_rate("l1d_hit_rate", 1, 0), hit_rate("llc_hit_rate", 3, 2)];
const INSTR_DERIVED: &[Derived] =
    &[ratio("cycles_per_instruction", 3, 2), ratio("l1i_misses_per_instruction", 0, 2)];
const TLBMEM_DERIVED: &[Derived] = &[hit_rate("dtlb_hit_rate", 1, 0)];

/// The counters of a set, and the ratios derived from them.
pub fn definition(set: CounterSet) -> ([Counter; PER_SET], &'static [Derived]) {
    match set {
        CounterSet::Arch => (
            [INSTRUCTIONS, CYCLES, hardware("branches", 4), hardware("branch_misses", 5)],
            ARCH_DERIVED,
        ),
        CounterSet::Dcache => (
            [
                cache_read("l1d_loads", L1D, false),
                cache_read("l1d_load_misses", L1D, true),
                cache_read("llc_loads", LLC, false),
                cache_read("llc_load_misses", LLC, true),
            ],
            DCACHE_DERIVED,
        ),
        CounterSet::Instr => (
            [cache_read("l1i_misses", L1I, true), cache_read("itlb_misses", ITLB, true), INSTRUCTIONS, CYCLES],
            INSTR_DERIVED,
        ),
        CounterSet::Tlbmem => (
            [
                cache_read("dtlb_loads", DTLB, false),
                cache_read("dtlb_load_misses", DTLB, true),
                cache_read("itlb_misses", ITLB, true),
                cache_read("llc_misses", LLC, true),
            ],
            TLBMEM_DERIVED,
        ),
        CounterSet::Sw => (
            [
                software("task_clock_ns", 1),
                software("context_switches", 3),
                software("cpu_migrations", 4),
                software("page_faults", 2),
            ],
            &[],
        ),
    }
}

/// The counts of one loop: None where the counter is unsupported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub values: [Option<u64>; PER_SET],
}

impl Counts {
    /// A derived ratio in ten-thousandths, if both counts exist and the
    /// denominator is not zero.
    pub fn derived_scaled(&self, derived: &Derived) -> Option<u128> {
        let numerator = u128::from(self.values.get(derived.numerator).copied().flatten()?);
        let denominator = u128::from(self.values.get(derived.denominator).copied().flatten()?);
        if denominator == 0 {
            return None;
        }
        let scaled = (numerator * 10_000 + denominator / 2) / denominator;
        Some(if derived.one_minus { 10_000u128.saturating_sub(scaled) } else { scaled })
    }
}

/// The open counters of one loop.
pub struct Counters {
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    fds: [Option<rustix::fd::OwnedFd>; PER_SET],
    /// The first reason a counter could not be opened, for the warning.
    pub unsupported: Option<Errno>,
}

#[cfg(target_os = "linux")]
impl Counters {
    /// Opens every counter of the set, disabled. Failing ones are
    /// unsupported, not errors.
    pub fn open(set: CounterSet) -> Counters {
        let (counters, _) = definition(set);
        let mut unsupported = None;
        let fds = counters.map(|counter| match crate::sys::perf::perf_event_open(counter.kind, counter.config) {
            Ok(fd) => Some(fd),
            Err(e) => {
                unsupported.get_or_insert(e);
                None
            }
        });
        Counters { fds, unsupported }
    }

    /// Starts (true) or stops (false) every open counter.
    pub fn enable(&self, on: bool) {
        for fd in self.fds.iter().flatten() {
            let _ = crate::sys::perf::enable(fd, on);
        }
    }

    /// Reads every counter (8 bytes each: read_format is 0).
    pub fn read(&self) -> Counts {
        let mut counts = Counts::default();
        for (value, fd) in counts.values.iter_mut().zip(&self.fds) {
            let mut bytes = [0u8; 8];
            *value = match fd.as_ref().map(|fd| rustix::io::read(fd, &mut bytes)) {
                Some(Ok(8)) => Some(u64::from_ne_bytes(bytes)),
                _ => None,
            };
        }
        counts
    }
}

#[cfg(not(target_os = "linux"))]
impl Counters {
    /// Not reached: the driver refuses -P where it is not supported.
    pub fn open(_set: CounterSet) -> Counters {
        Counters { fds: [None, None, None, None], unsupported: Some(Errno::NOSYS) }
    }

    pub fn enable(&self, _on: bool) {}

    pub fn read(&self) -> Counts {
        Counts::default()
    }
}

/// Whether this OS can count at all (hwpmc on FreeBSD is not wired in yet).
pub const SUPPORTED: bool = cfg!(target_os = "linux");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_set_names_four_counters_and_valid_ratios() {
        for set in [CounterSet::Arch, CounterSet::Dcache, CounterSet::Instr, CounterSet::Tlbmem, CounterSet::Sw] {
            let (counters, derived) = definition(set);
            assert!(counters.iter().all(|c| !c.name.is_empty()));
            for d in derived {
                assert!(d.numerator < PER_SET && d.denominator < PER_SET && d.numerator != d.denominator);
            }
        }
    }

    #[test]
    fn ratios_and_hit_rates() {
        let counts = Counts { values: [Some(1000), Some(1500), Some(200), Some(20)] };
        let (_, arch) = definition(CounterSet::Arch);
        assert_eq!(counts.derived_scaled(&arch[0]), Some(15_000)); // 1.5 CPI
        assert_eq!(counts.derived_scaled(&arch[1]), Some(1_000)); // 10% misses
        let (_, dcache) = definition(CounterSet::Dcache);
        let counts = Counts { values: [Some(1000), Some(100), Some(0), Some(0)] };
        assert_eq!(counts.derived_scaled(&dcache[0]), Some(9_000)); // 90% hits
        assert_eq!(counts.derived_scaled(&dcache[1]), None); // no LLC loads
        let missing = Counts { values: [None, Some(1), Some(1), Some(1)] };
        assert_eq!(missing.derived_scaled(&arch[0]), None);
    }
}
