//! -g and -P around one loop, placed by the modes at the two ends of their
//! window: the side that takes the start stamp calls [`Probe::loop_starts`]
//! right before it, the side that takes the finish stamp
//! [`Probe::loop_ends`] right after it, and the driver reads the result
//! ([`Probe::measured`]) once the sender has been joined or waited for. So
//! neither covers creating the sender thread or process, its sleep without
//! -B, or the join. 2proc splits them: the child starts the counters; the
//! parent takes the usage snapshots, right after the fork (the child waits
//! for it) and right after its finish stamp, and adds RUSAGE_CHILDREN after
//! wait4(2), when it holds the child.

use rustix::io::Errno;
use rustix::time::Timespec;

use crate::args::{Config, Mode};
use crate::error::Error;

use super::counters::{self, Counters, Counts, Unsupported};
use super::rusage::{self, Usage};

pub struct Probe {
    counters: Option<Counters>,
    rusage: bool,
    /// 2proc: the usage snapshots add RUSAGE_CHILDREN.
    children: bool,
}

/// What one end of the loop saw: the usage snapshot (-g), and why the
/// counters did not start or stop (-P), if they did not.
#[derive(Clone, Copy, Debug, Default)]
pub struct Mark {
    pub usage: Option<Result<Usage, Errno>>,
    pub counting: Option<Unsupported>,
}

/// What a mode hands back: its two stamps and what the probe saw at each.
pub struct Window {
    pub start: Timespec,
    pub finish: Timespec,
    pub opened: Mark,
    pub closed: Mark,
}

impl Probe {
    /// Opens -P's counters, before the sender exists, so that its thread or
    /// process inherits them.
    #[inline(never)] // out of line: a smaller binary
    pub fn open(config: &Config) -> Probe {
        Probe {
            counters: config.counters.map(Counters::open),
            rusage: config.rusage,
            children: config.mode == Mode::TwoProc,
        }
    }

    /// Right before the start stamp, on the side that takes it: the usage
    /// snapshot, then the counters. Bare system calls only: it runs on the
    /// 2thread sender (sys::thread).
    pub fn loop_starts(&self) -> Mark {
        let usage = self.usage();
        Mark { usage, counting: self.start_counting() }
    }

    /// Right after the finish stamp: the counters stop, then the snapshot
    /// (this process only: 2proc adds its child after wait4, with
    /// [`Probe::add_waited_child`]).
    pub fn loop_ends(&self) -> Mark {
        let counting = self.stop_counting();
        Mark { usage: self.rusage.then(|| rusage::snapshot(false)), counting }
    }

    /// 2proc, after wait4(2): adds RUSAGE_CHILDREN, which now holds the
    /// child's whole life, to the end's snapshot.
    pub fn add_waited_child(&self, end: &mut Mark) {
        if let Some(Ok(own)) = end.usage {
            end.usage = Some(rusage::plus_children(own));
        }
    }

    pub fn start_counting(&self) -> Option<Unsupported> {
        self.counters.as_ref().and_then(|c| c.enable(true).err())
    }

    fn stop_counting(&self) -> Option<Unsupported> {
        self.counters.as_ref().and_then(|c| c.enable(false).err())
    }

    /// The usage snapshot of -g (None without it).
    pub fn usage(&self) -> Option<Result<Usage, Errno>> {
        self.rusage.then(|| rusage::snapshot(self.children))
    }

    /// 2proc: the counters' start as the child saw it, from the errno it
    /// passed back (0: they started).
    pub fn started_elsewhere(raw_errno: i32) -> Option<Unsupported> {
        (raw_errno != 0).then(|| Unsupported { operation: counters::ENABLE, errno: Some(crate::sys::errno::from_raw(raw_errno)) })
    }

    /// The loop's usage (-g) and counts (-P), once the sender is gone.
    pub fn measured(&self, opened: Mark, closed: Mark) -> Result<(Option<Usage>, Option<Counts>), Error> {
        let usage = match (opened.usage, closed.usage) {
            (Some(before), Some(after)) => {
                let failed = |e| Error::os("getrusage", e);
                Some(rusage::since(before.map_err(failed)?, after.map_err(failed)?))
            }
            _ => None,
        };
        let counts = self.counters.as_ref().map(|c| c.read(opened.counting.or(closed.counting)));
        Ok((usage, counts))
    }
}
