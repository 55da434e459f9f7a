//! -g: what a loop cost, from getrusage(2) at its two ends.

use rustix::io::Errno;

use crate::sys::process::{getrusage, UsageOf};
pub use crate::sys::process::Usage;

/// This process's usage (all its threads), plus that of its waited-for
/// children when `with_children` (2proc: the sender, once waited for).
/// Bare system calls only: the 2thread sender takes the first snapshot.
pub fn snapshot(with_children: bool) -> Result<Usage, Errno> {
    let own = getrusage(UsageOf::ThisProcess)?;
    if !with_children {
        return Ok(own);
    }
    plus_children(own)
}

/// `own` plus this process's waited-for children's usage now.
pub fn plus_children(own: Usage) -> Result<Usage, Errno> {
    let children = getrusage(UsageOf::Children)?;
    Ok(combine(own, children, |a, b| a.saturating_add(b)))
}

/// What was used from `before` to `after` (a counter that went backwards
/// counts as nothing, never as a wrap).
pub fn since(before: Usage, after: Usage) -> Usage {
    combine(after, before, |a, b| a.saturating_sub(b))
}

fn combine(a: Usage, b: Usage, op: fn(u64, u64) -> u64) -> Usage {
    Usage {
        user_micros: op(a.user_micros, b.user_micros),
        system_micros: op(a.system_micros, b.system_micros),
        minor_faults: op(a.minor_faults, b.minor_faults),
        major_faults: op(a.major_faults, b.major_faults),
        voluntary_switches: op(a.voluntary_switches, b.voluntary_switches),
        involuntary_switches: op(a.involuntary_switches, b.involuntary_switches),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_the_difference_never_a_wrap() {
        let usage = |user_micros, minor_faults| Usage { user_micros, minor_faults, ..Usage::default() };
        let used = since(usage(105, 11), usage(305, 16));
        assert_eq!((used.user_micros, used.minor_faults), (200, 5));
        assert_eq!(since(usage(305, 16), usage(105, 11)).user_micros, 0);
        assert_eq!(combine(usage(1, 2), usage(3, 4), |a, b| a + b), usage(4, 6));
    }
}
