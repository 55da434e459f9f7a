//! Linux performance counters: perf_event_open(2) and its enable/disable
//! ioctls.

use core::ffi::c_int;

use rustix::fd::{AsFd, FromRawFd, OwnedFd};
use rustix::io::Result;
use rustix::ioctl::{opcode, NoArg};

/// The fields of `struct perf_event_attr` that counting needs, in the
/// kernel's layout up to PERF_ATTR_SIZE_VER0 (64 bytes).
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
}

/// perf_event_open(2) for one counter of this process, counting user and
/// kernel time, disabled until enabled, inherited by threads and children
/// created after it.
pub fn perf_event_open(kind: u32, config: u64) -> Result<OwnedFd> {
    const DISABLED: u64 = 1 << 0;
    const INHERIT: u64 = 1 << 1;
    const EXCLUDE_HV: u64 = 1 << 6;
    let attr = PerfEventAttr {
        kind,
        size: core::mem::size_of::<PerfEventAttr>() as u32,
        config,
        flags: DISABLED | INHERIT | EXCLUDE_HV,
        ..PerfEventAttr::default()
    };
    const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
    // SAFETY: attr is a valid, live perf_event_attr of the size it states;
    // pid 0 and cpu -1 mean this process on any CPU, with no group.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const PerfEventAttr,
            0 as libc::pid_t,
            -1 as c_int,
            -1 as c_int,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(crate::sys::errno::last());
    }
    // Never false: a descriptor is a small non-negative int. Checked all the
    // same, so that from_raw_fd's own check (not -1) is provably true.
    let fd = c_int::try_from(fd).map_err(|_| rustix::io::Errno::BADF)?;
    // SAFETY: the kernel just returned fd as a new descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// PERF_EVENT_IOC_ENABLE, _IO('$', 0).
const ENABLE: NoArg<{ opcode::none(b'$', 0) }> = {
    // SAFETY: the kernel's PERF_EVENT_IOC_ENABLE takes no argument.
    unsafe { NoArg::new() }
};
/// PERF_EVENT_IOC_DISABLE, _IO('$', 1).
const DISABLE: NoArg<{ opcode::none(b'$', 1) }> = {
    // SAFETY: the kernel's PERF_EVENT_IOC_DISABLE takes no argument.
    unsafe { NoArg::new() }
};

/// Starts (true) or stops (false) the counter of `fd` (ioctl(2)
/// PERF_EVENT_IOC_ENABLE or PERF_EVENT_IOC_DISABLE).
pub fn enable(fd: impl AsFd, on: bool) -> Result<()> {
    // SAFETY: both requests take no argument and act only on fd's counter;
    // on a descriptor that is not a perf event they fail with ENOTTY.
    unsafe {
        if on {
            rustix::ioctl::ioctl(fd, ENABLE)
        } else {
            rustix::ioctl::ioctl(fd, DISABLE)
        }
    }
}
