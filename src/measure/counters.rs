//! -P: performance counters around the loop, through perf_event_open(2) on
//! Linux: the counters of a set as one group, opened before the sender
//! exists (so that its thread or process inherits them), enabled right
//! before the start stamp and disabled right after the finish stamp, both
//! as a group, and read once the sender has been joined or waited for (see
//! probe.rs for who calls what where).
//!
//! A counter this machine cannot count (hardware counters in many VMs) is
//! reported as unsupported with the call and errno that said so, never as
//! 0, and the run goes on.

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

/// A set: its counters, and the ratios derived from them.
type Set = ([Counter; PER_SET], &'static [Derived]);

// Tables in read-only data, not arrays built by the code of every caller.
static ARCH: Set = ([INSTRUCTIONS, CYCLES, hardware("branches", 4), hardware("branch_misses", 5)], ARCH_DERIVED);
static DCACHE: Set = (
    [
        cache_read("l1d_loads", L1D, false),
        cache_read("l1d_load_misses", L1D, true),
        cache_read("llc_loads", LLC, false),
        cache_read("llc_load_misses", LLC, true),
    ],
    DCACHE_DERIVED,
);
static INSTR: Set =
    ([cache_read("l1i_misses", L1I, true), cache_read("itlb_misses", ITLB, true), INSTRUCTIONS, CYCLES], INSTR_DERIVED);
static TLBMEM: Set = (
    [
        cache_read("dtlb_loads", DTLB, false),
        cache_read("dtlb_load_misses", DTLB, true),
        cache_read("itlb_misses", ITLB, true),
        cache_read("llc_misses", LLC, true),
    ],
    TLBMEM_DERIVED,
);
static SW: Set = (
    [
        software("task_clock_ns", 1),
        software("context_switches", 3),
        software("cpu_migrations", 4),
        software("page_faults", 2),
    ],
    &[],
);

/// The counters of a set, and the ratios derived from them.
pub fn definition(set: CounterSet) -> (&'static [Counter; PER_SET], &'static [Derived]) {
    let (counters, derived) = match set {
        CounterSet::Arch => &ARCH,
        CounterSet::Dcache => &DCACHE,
        CounterSet::Instr => &INSTR,
        CounterSet::Tlbmem => &TLBMEM,
        CounterSet::Sw => &SW,
    };
    (counters, derived)
}

/// Why a counter has no count: the call that failed and its errno, or no
/// errno when the kernel never ran the group (a multiplexed group that
/// never got its turn).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsupported {
    pub operation: &'static str,
    pub errno: Option<Errno>,
}

pub const OPEN: &str = "perf_event_open";
pub const ENABLE: &str = "ioctl PERF_EVENT_IOC_ENABLE";
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub const DISABLE: &str = "ioctl PERF_EVENT_IOC_DISABLE";
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const READ: &str = "read";

/// The counts of one loop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// None where unsupported. When the group was multiplexed (it ran for
    /// less time than it was enabled), estimates: count x enabled / running.
    pub values: [Option<u64>; PER_SET],
    pub unsupported: [Option<Unsupported>; PER_SET],
    /// Nanoseconds the group was enabled and running, summed over the
    /// threads and processes that counted; None when no counter opened.
    pub time_enabled: Option<u64>,
    pub time_running: Option<u64>,
}

impl Counts {
    /// True when the values are estimates scaled for multiplexing.
    pub fn scaled(&self) -> bool {
        matches!((self.time_enabled, self.time_running), (Some(enabled), Some(running)) if running < enabled)
    }

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

    /// Fills the counts from a read of the group leader: the number of
    /// counters, the times enabled and running, then one value per counter
    /// that opened, in order. Anything else is a failed read.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    fn fill(&mut self, opened: [bool; PER_SET], words: &[u64]) -> Result<(), Unsupported> {
        let members = opened.iter().filter(|&&o| o).count();
        let bad_read = Unsupported { operation: READ, errno: Some(Errno::IO) };
        let [count, enabled, running, values @ ..] = words else { return Err(bad_read) };
        if *count != members as u64 || values.len() < members {
            return Err(bad_read);
        }
        if *running == 0 {
            return Err(Unsupported { operation: "perf group (never scheduled)", errno: None });
        }
        (self.time_enabled, self.time_running) = (Some(*enabled), Some(*running));
        let mut values = values.iter();
        for (slot, _) in self.values.iter_mut().zip(opened).filter(|(_, o)| *o) {
            let raw = u128::from(values.next().copied().unwrap_or(0));
            let value = if running < enabled { raw * u128::from(*enabled) / u128::from(*running) } else { raw };
            *slot = Some(u64::try_from(value).unwrap_or(u64::MAX));
        }
        Ok(())
    }

    /// The first reason a counter is unsupported, for the warning.
    pub fn first_unsupported(&self) -> Option<Unsupported> {
        self.unsupported.iter().flatten().next().copied()
    }
}

/// The open counters of one loop: one group, led by the first counter of
/// the set that could be opened.
pub struct Counters {
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    fds: [Option<rustix::fd::OwnedFd>; PER_SET],
    unsupported: [Option<Unsupported>; PER_SET],
}

#[cfg(target_os = "linux")]
impl Counters {
    /// Opens every counter of the set, disabled, as one group. Failing ones
    /// are unsupported, not errors.
    pub fn open(set: CounterSet) -> Counters {
        use rustix::fd::AsFd;
        let (counters, _) = definition(set);
        let mut fds: [Option<rustix::fd::OwnedFd>; PER_SET] = Default::default();
        let mut unsupported = [None; PER_SET];
        for (i, counter) in counters.iter().enumerate() {
            let leader = fds.iter().flatten().next().map(|fd| fd.as_fd());
            match crate::sys::perf::perf_event_open(counter.kind, counter.config, leader) {
                Ok(fd) => fds[i] = Some(fd),
                Err(e) => unsupported[i] = Some(Unsupported { operation: OPEN, errno: Some(e) }),
            }
        }
        Counters { fds, unsupported }
    }

    /// Starts (true) or stops (false) the whole group; nothing to do when
    /// no counter opened. Bare system calls only (the 2thread sender starts
    /// it).
    pub fn enable(&self, on: bool) -> Result<(), Unsupported> {
        match self.fds.iter().flatten().next() {
            Some(leader) => crate::sys::perf::enable_group(leader, on)
                .map_err(|e| Unsupported { operation: if on { ENABLE } else { DISABLE }, errno: Some(e) }),
            None => Ok(()),
        }
    }

    /// Reads the group. `failed`: why counting did not start or stop as it
    /// should; then every counter that opened is unsupported for that reason.
    #[inline(never)] // out of line: a smaller binary
    pub fn read(&self, failed: Option<Unsupported>) -> Counts {
        let mut counts = Counts { unsupported: self.unsupported, ..Counts::default() };
        let opened = self.fds.each_ref().map(Option::is_some);
        let Some(leader) = self.fds.iter().flatten().next() else { return counts };
        const WORDS: usize = crate::sys::perf::GROUP_HEADER_WORDS + PER_SET;
        let mut bytes = [0u8; WORDS * 8];
        let result = failed.map_or(Ok(()), Err).and_then(|()| {
            let n = rustix::io::read(leader, &mut bytes).map_err(|e| Unsupported { operation: READ, errno: Some(e) })?;
            let mut words = [0u64; WORDS];
            for (word, chunk) in words.iter_mut().zip(bytes.get(..n).unwrap_or_default().chunks_exact(8)) {
                *word = u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8]));
            }
            counts.fill(opened, words.get(..n / 8).unwrap_or_default())
        });
        if let Err(why) = result {
            counts = Counts { unsupported: self.unsupported, ..Counts::default() };
            for (slot, _) in counts.unsupported.iter_mut().zip(opened).filter(|(_, o)| *o) {
                *slot = Some(why);
            }
        }
        counts
    }
}

#[cfg(not(target_os = "linux"))]
impl Counters {
    /// Not reached: the driver refuses -P where it is not supported.
    pub fn open(_set: CounterSet) -> Counters {
        let unsupported = Some(Unsupported { operation: OPEN, errno: Some(Errno::NOSYS) });
        Counters { fds: [None, None, None, None], unsupported: [unsupported; PER_SET] }
    }

    pub fn enable(&self, _on: bool) -> Result<(), Unsupported> {
        Ok(())
    }

    pub fn read(&self, _failed: Option<Unsupported>) -> Counts {
        Counts { unsupported: self.unsupported, ..Counts::default() }
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
        let counts = Counts { values: [Some(1000), Some(1500), Some(200), Some(20)], ..Counts::default() };
        let (_, arch) = definition(CounterSet::Arch);
        assert_eq!(counts.derived_scaled(&arch[0]), Some(15_000)); // 1.5 CPI
        assert_eq!(counts.derived_scaled(&arch[1]), Some(1_000)); // 10% misses
        let (_, dcache) = definition(CounterSet::Dcache);
        let counts = Counts { values: [Some(1000), Some(100), Some(0), Some(0)], ..Counts::default() };
        assert_eq!(counts.derived_scaled(&dcache[0]), Some(9_000)); // 90% hits
        assert_eq!(counts.derived_scaled(&dcache[1]), None); // no LLC loads
        let missing = Counts { values: [None, Some(1), Some(1), Some(1)], ..Counts::default() };
        assert_eq!(missing.derived_scaled(&arch[0]), None);
    }

    #[test]
    fn a_group_read_fills_the_counters_that_opened_and_scales_when_multiplexed() {
        let opened = [true, false, true, true];
        let mut counts = Counts::default();
        assert_eq!(counts.fill(opened, &[3, 1000, 1000, 7, 8, 9]), Ok(()));
        assert_eq!(counts.values, [Some(7), None, Some(8), Some(9)]);
        assert!(!counts.scaled());
        // Running half the time it was enabled: the counts are doubled.
        let mut counts = Counts::default();
        assert_eq!(counts.fill(opened, &[3, 1000, 500, 7, 8, 9]), Ok(()));
        assert_eq!((counts.values[0], counts.time_running, counts.scaled()), (Some(14), Some(500), true));
        // Never scheduled, or a read that does not match the group: no 0s.
        let mut counts = Counts::default();
        assert_eq!(counts.fill(opened, &[3, 1000, 0, 0, 0, 0]).map_err(|u| u.errno), Err(None));
        assert_eq!(counts.fill(opened, &[2, 1000, 1000, 7, 8]).map_err(|u| u.errno), Err(Some(Errno::IO)));
        assert_eq!(counts.fill(opened, &[3, 1000]).map_err(|u| u.operation), Err("read"));
        assert_eq!(counts.values, [None; PER_SET]);
    }
}
