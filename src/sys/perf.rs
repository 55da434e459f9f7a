//! Linux performance counters: perf_event_open(2) for one group of counters,
//! and the ioctls that start and stop the whole group at once.

use core::ffi::c_int;

use rustix::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use rustix::io::Result;
use rustix::ioctl::{opcode, IntegerSetter, Opcode};

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

// include/uapi/linux/perf_event.h: the read_format bits (enum
// perf_event_read_format) and attr flag bits (the bitfield after
// read_format). Neither rustix nor libc has them.
const FORMAT_TOTAL_TIME_ENABLED: u64 = 1 << 0;
const FORMAT_TOTAL_TIME_RUNNING: u64 = 1 << 1;
const FORMAT_GROUP: u64 = 1 << 3;
const FLAG_DISABLED: u64 = 1 << 0;
const FLAG_INHERIT: u64 = 1 << 1;
const FLAG_EXCLUDE_HV: u64 = 1 << 6;

/// What a read of the group leader returns (PERF_FORMAT_GROUP with both
/// times): the number of counters, the times, then one value per counter,
/// leader first, the others in the order they joined.
pub const GROUP_HEADER_WORDS: usize = 3;

/// perf_event_open(2) for one counter of this process, on any CPU, counting
/// user and kernel time, and inherited by the threads and children created
/// after it (their counts are added in when the group is read). `leader`
/// None opens a group leader, disabled until the group is enabled, whose
/// reads give the whole group and how long it was enabled and running; Some
/// joins that leader's group, not disabled itself: a member counts only
/// while its leader does. (A member opened disabled and enabled after its
/// leader, even with PERF_IOC_FLAG_GROUP, was seen here, on Linux 6.18, to
/// count no context switches at all.)
pub fn perf_event_open(kind: u32, config: u64, leader: Option<BorrowedFd<'_>>) -> Result<OwnedFd> {
    let attr = PerfEventAttr {
        kind,
        size: core::mem::size_of::<PerfEventAttr>() as u32,
        config,
        read_format: FORMAT_GROUP | FORMAT_TOTAL_TIME_ENABLED | FORMAT_TOTAL_TIME_RUNNING,
        flags: if leader.is_none() { FLAG_DISABLED } else { 0 } | FLAG_INHERIT | FLAG_EXCLUDE_HV,
        ..PerfEventAttr::default()
    };
    let group_fd: c_int = leader.map_or(-1, |fd| fd.as_raw_fd());
    const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
    // SAFETY: attr is a valid, live perf_event_attr of the size it states;
    // pid 0 and cpu -1 mean this process on any CPU; group_fd is -1 or a
    // descriptor the caller holds open.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const PerfEventAttr,
            0 as libc::pid_t,
            -1 as c_int,
            group_fd,
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

/// PERF_EVENT_IOC_ENABLE, _IO('$', 0), and PERF_EVENT_IOC_DISABLE,
/// _IO('$', 1), with PERF_IOC_FLAG_GROUP (1): the whole group at once.
const ENABLE: Opcode = opcode::none(b'$', 0);
const DISABLE: Opcode = opcode::none(b'$', 1);
const PERF_IOC_FLAG_GROUP: usize = 1;

/// Starts (true) or stops (false) every counter of `leader`'s group, and
/// their inherited copies in threads and children (ioctl(2)). Bare system
/// calls only: the 2thread sender starts the group.
pub fn enable_group(leader: impl AsFd, on: bool) -> Result<()> {
    // SAFETY: both requests take an integer flag and act only on the
    // group's counters; on a descriptor that is not a perf event they fail
    // with ENOTTY.
    unsafe {
        if on {
            rustix::ioctl::ioctl(leader, IntegerSetter::<ENABLE>::new_usize(PERF_IOC_FLAG_GROUP))
        } else {
            rustix::ioctl::ioctl(leader, IntegerSetter::<DISABLE>::new_usize(PERF_IOC_FLAG_GROUP))
        }
    }
}
