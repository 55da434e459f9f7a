//! Around the loop, outside the timed window: quiescing, CPU pinning, and
//! leaving resources to exit.

use core::sync::atomic::{AtomicU32, Ordering};

use crate::args::Config;
use crate::error::Error;

/// Lets the system settle before the loop: flush dirty pages three times,
/// then sleep a second, as the lab's benchmark does without -B.
pub fn quiesce() {
    for _ in 0..3 {
        rustix::fs::sync();
    }
    sleep_one_second();
}

/// nanosleep(2) for a second, resumed after a signal.
pub fn sleep_one_second() {
    let mut request = rustix::time::Timespec { tv_sec: 1, tv_nsec: 0 };
    while let rustix::thread::NanosleepRelativeResult::Interrupted(remaining) = rustix::thread::nanosleep(&request) {
        request = remaining;
    }
}

/// Sets `flag` and wakes a process waiting in [`wait_for_flag`] (a word of
/// a page shared across fork: not a private futex).
pub fn raise_flag(flag: &AtomicU32) {
    flag.store(1, Ordering::Release);
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::futex::wake(flag, rustix::thread::futex::Flags::empty(), 1);
}

/// Returns once `flag` is set, or after about a second: a parent that died
/// or stopped must not hold its child forever (futex(2) on Linux; elsewhere
/// short sleeps).
pub fn wait_for_flag(flag: &AtomicU32) {
    let tick = rustix::time::Timespec { tv_sec: 0, tv_nsec: 10_000_000 };
    for _ in 0..100 {
        if flag.load(Ordering::Acquire) != 0 {
            return;
        }
        #[cfg(target_os = "linux")]
        let _ = rustix::thread::futex::wait(flag, rustix::thread::futex::Flags::empty(), 0, Some(&tick));
        #[cfg(not(target_os = "linux"))]
        let _ = rustix::thread::nanosleep(&tick);
    }
}

/// -a with two CPUs: the sender moves itself to its own CPU before its
/// start stamp.
pub fn pin_sender(config: &Config) -> Result<(), Error> {
    match config.affinity.and_then(|a| a.sender) {
        Some(cpu) => pin_to(cpu),
        None => Ok(()),
    }
}

/// Pins the calling thread (and what it creates later) to `cpu`.
pub fn pin_to(cpu: usize) -> Result<(), Error> {
    let mut set = rustix::thread::CpuSet::new();
    // The parser allows no more (MAX_CPU), and this keeps set() in bounds.
    if cpu >= rustix::thread::CpuSet::MAX_CPU {
        return Err(Error::os("sched_setaffinity", rustix::io::Errno::INVAL).at_cpu(cpu));
    }
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).map_err(|e| Error::os("sched_setaffinity", e).at_cpu(cpu))
}

/// -F: writes one byte in every page, so that each page is mapped before the
/// start stamp instead of at its first touch inside the loop (the 2023
/// version of the lab's benchmark memsets its buffers for the same reason).
pub fn touch_every_page(buffer: &mut [u8]) {
    for page in buffer.chunks_mut(page_stride()) {
        if let Some(first) = page.first_mut() {
            *first = 0;
        }
    }
    // The stores must happen: nothing in this program reads them back.
    core::hint::black_box(buffer);
}

/// The page size, or 4096 (no smaller pages exist on the supported
/// machines: a smaller stride only touches some pages twice).
pub fn page_stride() -> usize {
    #[cfg(target_os = "linux")]
    return crate::sys::memory::page_size().unwrap_or(4096);
    #[cfg(not(target_os = "linux"))]
    return 4096;
}

/// Drops `resource` (closing or unmapping it) unless it is left to exit:
/// then the process is about to end without printing, and exit_group(2)
/// releases it with no call in the trace.
pub fn release<T>(resource: T, leave_to_exit: bool) {
    if leave_to_exit {
        core::mem::forget(resource);
    }
}
