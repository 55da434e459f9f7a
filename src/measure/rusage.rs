//! -g: what a loop cost, from getrusage(2) before and after it.

use crate::error::Error;
use crate::sys::process::{getrusage, UsageOf};
pub use crate::sys::process::Usage;

/// This process's usage and that of its waited-for children (the 2proc
/// sender, once it has been waited for).
#[derive(Clone, Copy)]
pub struct Snapshot([Usage; 2]);

pub fn snapshot() -> Result<Snapshot, Error> {
    let own = getrusage(UsageOf::ThisProcess).map_err(|e| Error::os("getrusage", e))?;
    let children = getrusage(UsageOf::Children).map_err(|e| Error::os("getrusage", e))?;
    Ok(Snapshot([own, children]))
}

/// What was used from `before` to `after`, this process and children added.
pub fn since(before: Snapshot, after: Snapshot) -> Usage {
    let delta = |field: fn(&Usage) -> u64| {
        before.0.iter().zip(&after.0).map(|(b, a)| field(a).saturating_sub(field(b))).sum::<u64>()
    };
    Usage {
        user_micros: delta(|u| u.user_micros),
        system_micros: delta(|u| u.system_micros),
        minor_faults: delta(|u| u.minor_faults),
        major_faults: delta(|u| u.major_faults),
        voluntary_switches: delta(|u| u.voluntary_switches),
        involuntary_switches: delta(|u| u.involuntary_switches),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_adds_the_process_and_its_children() {
        let usage = |user_micros, minor_faults| Usage { user_micros, minor_faults, ..Usage::default() };
        let before = Snapshot([usage(100, 10), usage(5, 1)]);
        let after = Snapshot([usage(250, 12), usage(55, 4)]);
        let used = since(before, after);
        assert_eq!((used.user_micros, used.minor_faults), (200, 5));
        // A counter that went backwards counts as nothing, never as a wrap.
        assert_eq!(since(after, before).user_micros, 0);
    }
}
