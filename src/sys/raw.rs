//! Bare Linux system calls: the `syscall` instruction with no C library in
//! between, so that no errno, which is thread-local, is ever written. For
//! the calls rustix does not make as real system calls (clock_gettime, which
//! it reads from the vDSO) or at all (getrusage), when they run on the 2thread
//! sender, which has no thread pointer (see thread.rs).

use rustix::io::{Errno, Result};

/// A system call with two arguments; a return in -4095..-1 is an errno.
///
/// # Safety
/// As for the system call `number` itself: the arguments must be what it
/// expects, and any pointer among them valid for what it does with it.
#[cfg(target_arch = "x86_64")]
pub unsafe fn syscall2(number: libc::c_long, arg0: usize, arg1: usize) -> Result<usize> {
    let ret: isize;
    // SAFETY: the caller vouches for the arguments; the syscall instruction
    // clobbers only rcx and r11 besides rax, and touches no stack.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") number as isize => ret,
            in("rdi") arg0,
            in("rsi") arg1,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    match ret {
        -4095..=-1 => Err(Errno::from_raw_os_error(-ret as i32)),
        _ => Ok(ret as usize),
    }
}

/// Elsewhere the C library's syscall(2): these architectures run the 2thread
/// sender as a POSIX thread, which has its own errno.
///
/// # Safety
/// As above.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn syscall2(number: libc::c_long, arg0: usize, arg1: usize) -> Result<usize> {
    // SAFETY: the caller vouches for the arguments.
    let ret = unsafe { libc::syscall(number, arg0, arg1) };
    if ret < 0 {
        return Err(crate::sys::errno::last());
    }
    Ok(ret as usize)
}
