//! The process: fork, exit, resource usage, and SIGPIPE.

use rustix::io::{Errno, Result};
use rustix::process::Pid;

/// Which side of a fork(2) this process is on.
pub enum Forked {
    Child,
    Parent(Pid),
}

/// fork(2). The program is single-threaded whenever it forks (2proc runs no
/// threads).
///
/// On Linux this is the bare system call (clone(2) with SIGCHLD, which
/// every architecture has): the C library's fork() adds five signal-mask and
/// set_tid_address calls that would crowd the trace. The C library does not
/// know about the child, whose thread state (its cached thread id) is the
/// parent's: the child must use nothing that depends on it (no locks, no
/// pthreads, no raise), only rustix's raw calls, strerror and _exit.
pub fn fork() -> Result<Forked> {
    #[cfg(target_os = "linux")]
    // SAFETY: clone(SIGCHLD) with no new stack is fork(2). The process is
    // single-threaded here, so no lock is held half-way; the child keeps to
    // raw system calls, strerror and _exit (above).
    let pid = unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD as libc::c_long, 0usize, 0usize, 0usize, 0usize) }
        as libc::pid_t;
    #[cfg(not(target_os = "linux"))]
    // SAFETY: called only from the single-threaded 2proc path, so no lock or
    // other thread's state is inherited half-way.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(crate::sys::errno::last()),
        0 => Ok(Forked::Child),
        pid => Pid::from_raw(pid).map(Forked::Parent).ok_or(Errno::INVAL),
    }
}

/// Ends the process at once with `code` (_exit(2)): no atexit handlers, and
/// the other thread, if any, ends too.
pub fn exit(code: i32) -> ! {
    // SAFETY: _exit has no preconditions.
    unsafe { libc::_exit(code) }
}

/// Ignores SIGPIPE (signal(3)), so that a write whose reader is gone fails
/// with EPIPE, which is reported, instead of ending the process silently.
pub fn ignore_sigpipe() {
    // SAFETY: installing SIG_IGN runs no code of ours in a signal handler.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// Resource usage of this process (both threads) or of its waited-for
/// children, as getrusage(2) reports it (rustix has no wrapper).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub user_micros: u64,
    pub system_micros: u64,
    pub minor_faults: u64,
    pub major_faults: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
}

/// Whose usage getrusage(2) reports: RUSAGE_SELF or RUSAGE_CHILDREN.
#[derive(Clone, Copy)]
pub enum UsageOf {
    ThisProcess,
    Children,
}

/// getrusage(2): may be called on the 2thread sender (no C library there).
pub fn getrusage(of: UsageOf) -> Result<Usage> {
    let who = match of {
        UsageOf::ThisProcess => libc::RUSAGE_SELF,
        UsageOf::Children => libc::RUSAGE_CHILDREN,
    };
    let mut usage = core::mem::MaybeUninit::<libc::rusage>::zeroed();
    // Bare on Linux (raw.rs): the 2thread sender takes -g's first snapshot.
    #[cfg(target_os = "linux")]
    // SAFETY: getrusage fills the rusage it is given, a live local.
    unsafe {
        crate::sys::raw::syscall2(libc::SYS_getrusage, who as usize, usage.as_mut_ptr() as usize)?;
    }
    #[cfg(not(target_os = "linux"))]
    // SAFETY: getrusage fills the rusage it is given, a live local.
    if unsafe { libc::getrusage(who, usage.as_mut_ptr()) } != 0 {
        return Err(crate::sys::errno::last());
    }
    // SAFETY: zeroed is a valid rusage (plain integers), and getrusage
    // succeeded in filling it.
    let usage = unsafe { usage.assume_init() };
    let micros = |tv: libc::timeval| (tv.tv_sec as u64).saturating_mul(1_000_000).saturating_add(tv.tv_usec as u64);
    Ok(Usage {
        user_micros: micros(usage.ru_utime),
        system_micros: micros(usage.ru_stime),
        minor_faults: usage.ru_minflt as u64,
        major_faults: usage.ru_majflt as u64,
        voluntary_switches: usage.ru_nvcsw as u64,
        involuntary_switches: usage.ru_nivcsw as u64,
    })
}
