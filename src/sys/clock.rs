//! The clock as a real system call.

use rustix::io::Errno;
use rustix::time::Timespec;

#[cfg(target_os = "freebsd")]
extern "C" {
    fn __sys_clock_gettime(clock: libc::clockid_t, ts: *mut libc::timespec) -> libc::c_int;
}

/// What the clock did instead of telling the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// It failed with this errno.
    Failed(Errno),
    /// It returned this (saturated to i32), which is neither 0 nor an error.
    Returned(i32),
    /// It returned 0 without writing the time.
    NotWritten,
    /// It wrote a time no clock can show (negative, or tv_nsec out of range).
    OutOfRange,
}

/// A tv_nsec no kernel writes: the timespec is filled with it first, so
/// that a call which "succeeds" without writing is seen.
const UNWRITTEN_NSEC: libc::c_long = -1;

/// clock_gettime(CLOCK_MONOTONIC) as a real system call (clock_gettime(2)),
/// its answer checked: the return exactly 0, the time written and possible.
///
/// Deliberately not rustix's or libc's clock_gettime: on Linux they read the
/// vDSO and never enter the kernel, so strace, bpftrace and DTrace could not
/// see the two stamps that bracket the IPC loop.
pub fn monotonic_syscall() -> Result<Timespec, Fault> {
    let mut ts = libc::timespec { tv_sec: -1, tv_nsec: UNWRITTEN_NSEC };
    // Bare (raw.rs): the 2thread sender takes the start stamp, and it must
    // not touch the C library's errno. Nothing below does either: the
    // checks are plain arithmetic on this stack.
    #[cfg(target_os = "linux")]
    // SAFETY: SYS_clock_gettime takes a clock id and a pointer to a timespec,
    // which points to a live, writable local.
    let rc: i64 = match unsafe {
        crate::sys::raw::syscall2(libc::SYS_clock_gettime, libc::CLOCK_MONOTONIC as usize, &mut ts as *mut _ as usize)
    } {
        // A return outside the errno range is the kernel's word, as signed.
        Ok(value) => value as isize as i64,
        Err(errno) => return Err(Fault::Failed(errno)),
    };
    #[cfg(target_os = "freebsd")]
    // SAFETY: FreeBSD's libc exports the raw system call as
    // __sys_clock_gettime (its clock_gettime reads a shared page instead);
    // ts is a live, writable local.
    let rc = match i64::from(unsafe { __sys_clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) }) {
        -1 => return Err(Fault::Failed(crate::sys::errno::last())),
        rc => rc,
    };
    if rc != 0 {
        return Err(Fault::Returned(rc.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32));
    }
    if ts.tv_nsec == UNWRITTEN_NSEC && ts.tv_sec == -1 {
        return Err(Fault::NotWritten);
    }
    if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
        return Err(Fault::OutOfRange);
    }
    // time_t and long are i64 here, but narrower on 32-bit targets.
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    Ok(Timespec { tv_sec: ts.tv_sec as i64, tv_nsec: ts.tv_nsec as _ })
}

/// CLOCK_MONOTONIC as the C library reads it (clock_gettime(3)): from the
/// vDSO on Linux (musl and glibc alike) and the shared page on FreeBSD,
/// without entering the kernel while the clock source allows it (`tsc`,
/// as `describe` shows: then tracers never see it). For -l's stamp after
/// every round trip, which must stay out of a trace; never for the two
/// stamps that bracket the loop. Not for the 2thread sender: the C library
/// writes errno, thread-local, when it fails.
pub fn monotonic_unseen() -> Result<Timespec, Errno> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a live, writable local; clock_gettime writes only it
    // (and errno, on failure).
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } != 0 {
        return Err(crate::sys::errno::last());
    }
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    Ok(Timespec { tv_sec: ts.tv_sec as i64, tv_nsec: ts.tv_nsec as _ })
}
