//! Sleeping on a word of memory until another thread or process changes it:
//! futex(2) on Linux, _umtx_op(2) on FreeBSD. A private wait and wake stay
//! within one process (cheaper: the kernel keys them by address); a shared
//! one works across processes that map the same pages (MAP_SHARED).
//!
//! On Linux both are rustix's raw system calls: the 2thread sender, which
//! has no C library (sys/thread.rs), makes them.

use core::sync::atomic::AtomicU32;

use rustix::io::Result;
use rustix::time::Timespec;

/// Sleeps while `word` holds `expected`, for at most `timeout`. Returns at
/// once with EAGAIN (Linux) if the word holds something else; ETIMEDOUT when
/// the time ran out; it may also return early for no reason, so the caller
/// looks at the word again.
#[cfg(target_os = "linux")]
pub fn wait(word: &AtomicU32, expected: u32, shared: bool, timeout: Option<&Timespec>) -> Result<()> {
    rustix::thread::futex::wait(word, flags(shared), expected, timeout)
}

/// Wakes every thread or process sleeping on `word`.
#[cfg(target_os = "linux")]
pub fn wake(word: &AtomicU32, shared: bool) -> Result<()> {
    rustix::thread::futex::wake(word, flags(shared), i32::MAX as u32).map(|_| ())
}

#[cfg(target_os = "linux")]
fn flags(shared: bool) -> rustix::thread::futex::Flags {
    if shared {
        rustix::thread::futex::Flags::empty()
    } else {
        rustix::thread::futex::Flags::PRIVATE
    }
}

#[cfg(target_os = "freebsd")]
pub fn wait(word: &AtomicU32, expected: u32, shared: bool, timeout: Option<&Timespec>) -> Result<()> {
    let op = if shared { libc::UMTX_OP_WAIT_UINT } else { libc::UMTX_OP_WAIT_UINT_PRIVATE };
    let mut relative = timeout.map(|t| libc::timespec { tv_sec: t.tv_sec as _, tv_nsec: t.tv_nsec as _ });
    let limit = relative.as_mut().map_or(core::ptr::null_mut(), |t| (t as *mut libc::timespec).cast());
    // SAFETY: the word is a live, aligned u32 for the whole call; with a
    // null uaddr, uaddr2 is null or a relative timespec on this stack.
    let rc = unsafe {
        libc::_umtx_op(word.as_ptr().cast(), op, libc::c_ulong::from(expected), core::ptr::null_mut(), limit)
    };
    if rc == -1 {
        return Err(crate::sys::errno::last());
    }
    Ok(())
}

#[cfg(target_os = "freebsd")]
pub fn wake(word: &AtomicU32, shared: bool) -> Result<()> {
    let op = if shared { libc::UMTX_OP_WAKE } else { libc::UMTX_OP_WAKE_PRIVATE };
    // SAFETY: the word is a live, aligned u32; a wake reads nothing else.
    let rc = unsafe {
        libc::_umtx_op(word.as_ptr().cast(), op, libc::c_int::MAX as libc::c_ulong, core::ptr::null_mut(), core::ptr::null_mut())
    };
    if rc == -1 {
        return Err(crate::sys::errno::last());
    }
    Ok(())
}
