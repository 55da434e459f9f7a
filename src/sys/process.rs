//! The process: fork and wait, exit, resource usage, and the signals that
//! writes raise (SIGPIPE, SIGXFSZ).

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
/// On Linux this is the bare system call, clone(2) with no exit signal: the
/// C library's fork() adds five signal-mask and set_tid_address calls that
/// would crowd the trace. The C library does not know about the child,
/// whose thread state (its cached thread id) is the parent's: the child must
/// use nothing that depends on it (no locks, no pthreads, no raise), only
/// rustix's raw calls, strerror, the signal mask and _exit.
///
/// No exit signal: the kernel reaps by itself only children that signal
/// SIGCHLD to a parent that ignores it, and a parent's SIGCHLD may be
/// ignored before the program starts (inherited across exec, as from an
/// auto-reaping Python parent or `trap '' CHLD`). Such a child would be
/// gone before [`wait_for`] could ask how it ended. A child that signals
/// nothing is always left for [`wait_for`], which waits with `__WCLONE`.
/// FreeBSD reaps whatever the signal, so there SIGCHLD is set back to its
/// default first (one call more).
pub fn fork() -> Result<Forked> {
    #[cfg(target_os = "linux")]
    // SAFETY: clone with no flags, no exit signal and no new stack is fork(2)
    // without SIGCHLD. The process is single-threaded here, so no lock is held
    // half-way; the child keeps to raw system calls, strerror and _exit.
    let pid = unsafe { libc::syscall(libc::SYS_clone, 0 as libc::c_long, 0usize, 0usize, 0usize, 0usize) };
    #[cfg(not(target_os = "linux"))]
    // SAFETY: called only from the single-threaded 2proc path, so no lock or
    // other thread's state is inherited half-way; SIG_DFL runs no code.
    let pid = unsafe {
        libc::signal(libc::SIGCHLD, libc::SIG_DFL);
        libc::fork()
    };
    match pid {
        -1 => Err(crate::sys::errno::last()),
        0 => Ok(Forked::Child),
        pid => libc::pid_t::try_from(pid).ok().and_then(Pid::from_raw).map(Forked::Parent).ok_or(Errno::INVAL),
    }
}

/// Whether `child`, made by [`fork`], has ended, without reaping it
/// (waitid(2) with WNOHANG and WNOWAIT, so that [`wait_for`] still finds
/// it; on Linux with `__WCLONE`, since the child signals nothing). A child
/// that is not there (ECHILD) has ended too.
pub fn has_ended(child: Pid) -> Result<bool> {
    use rustix::process::{waitid, WaitId, WaitIdOptions};
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    #[cfg(target_os = "linux")]
    let options = options | WaitIdOptions::from_bits_retain(libc::__WCLONE as u32);
    match waitid(WaitId::Pid(child), options) {
        Ok(ended) => Ok(ended.is_some()),
        Err(Errno::CHILD) => Ok(true),
        Err(e) => Err(e),
    }
}

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildEnd {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Killed(i32),
}

/// waitpid(2) for `child`, made by [`fork`], retrying EINTR (wait4 on Linux,
/// with `__WCLONE` since the child signals nothing). The answer is checked:
/// the child's own pid, and a status that says it ended (the status is
/// filled first with one that says neither, so one never written is seen);
/// anything else is ECHILD.
pub fn wait_for(child: Pid) -> Result<ChildEnd> {
    loop {
        let mut status: libc::c_int = -1;
        #[cfg(target_os = "linux")]
        // SAFETY: status is a live, writable local; no rusage is asked for.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_wait4,
                libc::c_long::from(child.as_raw_nonzero().get()),
                &mut status as *mut libc::c_int,
                libc::c_long::from(libc::__WCLONE),
                0usize,
            )
        };
        #[cfg(not(target_os = "linux"))]
        // SAFETY: status is a live, writable local.
        let rc = unsafe { libc::waitpid(child.as_raw_nonzero().get(), &mut status, 0) };
        if rc == -1 {
            match crate::sys::errno::last() {
                Errno::INTR => continue,
                errno => return Err(errno),
            }
        }
        #[allow(clippy::useless_conversion)]
        let ours = i64::from(rc) == i64::from(child.as_raw_nonzero().get());
        // The layout of a wait status (wait(2)): the low 7 bits are 0 for an
        // exit (its code in the next byte), 0x7f for a stop, else the signal.
        return match status & 0x7f {
            _ if !ours => Err(Errno::CHILD),
            0 => Ok(ChildEnd::Exited((status >> 8) & 0xff)),
            0x7f => Err(Errno::CHILD),
            signal => Ok(ChildEnd::Killed(signal)),
        };
    }
}

/// Blocks SIGPIPE and SIGXFSZ in the calling thread, so that a write to a
/// pipe nobody reads, or past the file-size limit, fails with EPIPE or EFBIG
/// (and is reported) instead of ending the process silently. Called before
/// the first write to stdout or stderr, never in a run that writes nothing,
/// and with -l by the side that starts the round trips before its window
/// (it writes to the echoer); children forked later inherit the mask.
pub fn block_output_signals() {
    let mut set = core::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: set is a live local that sigemptyset initialises before use;
    // blocking signals runs no code of ours, and the old mask is not asked for.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
        libc::sigaddset(set.as_mut_ptr(), libc::SIGXFSZ);
        libc::pthread_sigmask(libc::SIG_BLOCK, set.as_ptr(), core::ptr::null_mut());
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
