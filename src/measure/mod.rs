//! What is measured around one loop: the two visible stamps (clock.rs),
//! getrusage for -g (rusage.rs) and perf counters for -P (counters.rs),
//! placed at the window's ends by the modes through probe.rs, and the
//! [`Sample`] an iteration hands to the report.

pub mod clock;
pub mod counters;
pub mod probe;
pub mod rusage;

use counters::Counts;
use rusage::Usage;

/// One measured run of the loop.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    /// From the start stamp to the finish stamp.
    pub nanos: u64,
    /// The TCP port used (the kernel's pick with -p 0); 0 for other IPC.
    pub port: u16,
    /// (writer, reader) kernel buffer sizes, asked for with -v and -j.
    pub kernel_buffers: Option<(usize, usize)>,
    /// -g: what the loop cost in CPU time, faults and context switches.
    pub usage: Option<Usage>,
    /// -P: the counts, and why some counters are unsupported.
    pub counts: Option<Counts>,
}
