//! The clock as a real system call.

use rustix::io::Result;
use rustix::time::Timespec;

#[cfg(target_os = "freebsd")]
extern "C" {
    fn __sys_clock_gettime(clock: libc::clockid_t, ts: *mut libc::timespec) -> libc::c_int;
}

/// clock_gettime(CLOCK_MONOTONIC) as a real system call (clock_gettime(2)).
///
/// Deliberately not rustix's or libc's clock_gettime: on Linux they read the
/// vDSO and never enter the kernel, so strace, bpftrace and DTrace could not
/// see the two stamps that bracket the IPC loop.
pub fn monotonic_syscall() -> Result<Timespec> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // Bare (raw.rs): the 2thread sender takes the start stamp, and it must
    // not write the C library's errno.
    #[cfg(target_os = "linux")]
    // SAFETY: SYS_clock_gettime takes a clock id and a pointer to a timespec,
    // which points to a live, writable local.
    let rc = match unsafe {
        crate::sys::raw::syscall2(libc::SYS_clock_gettime, libc::CLOCK_MONOTONIC as usize, &mut ts as *mut _ as usize)
    } {
        Ok(0) => 0,
        Ok(_) => return Err(rustix::io::Errno::INVAL),
        Err(errno) => return Err(errno),
    };
    #[cfg(target_os = "freebsd")]
    // SAFETY: FreeBSD's libc exports the raw system call as
    // __sys_clock_gettime (its clock_gettime reads a shared page instead);
    // ts is a live, writable local.
    let rc = unsafe { __sys_clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } as libc::c_long;
    if rc != 0 {
        return Err(crate::sys::errno::last());
    }
    // time_t and long are i64 here, but narrower on 32-bit targets.
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    Ok(Timespec { tv_sec: ts.tv_sec as i64, tv_nsec: ts.tv_nsec as _ })
}
