//! A second thread, scoped, on a stack the caller provides.
//!
//! On Linux (x86_64) it is a bare clone(2) thread, not a POSIX thread: the
//! C library's thread start and exit add signal-mask and futex calls, some
//! of them inside the timed window. The C library does not know such a
//! thread, so its code must never reach the C library or thread-local
//! storage (errno included): rustix's raw system calls and `sys::raw` only
//! (and memcpy/memset, which the compiler may call: pure functions of their
//! arguments). Two things keep it so: the body is a plain `fn` over the one
//! job it is handed, so it captures nothing else; and it runs with a null
//! thread pointer (CLONE_SETTLS 0), so a thread-local access faults at once
//! instead of quietly using the other thread's. It ends with the bare
//! exit(2); the kernel then clears its id word and wakes the futex on it
//! (CLONE_CHILD_CLEARTID), which is what the join waits for. A clone that
//! claims success without making the thread is caught before anything
//! waits for it: the kernel writes the new id into a word of the parent's
//! (CLONE_PARENT_SETTID) whenever it makes one, and only the new thread
//! starts on the new stack.
//!
//! Elsewhere (FreeBSD, other architectures): POSIX threads, on the same stack.

use rustix::io::Result;

/// The call that creates the thread, for messages.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub const CREATE_CALL: &str = "clone";
#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub const CREATE_CALL: &str = "pthread_create";

/// What the new thread needs: its body, its job, and room for its result.
struct Packet<J, R> {
    body: fn(&mut J) -> R,
    job: *mut J,
    result: Option<R>,
}

/// The new thread's work: runs the body on the job.
///
/// # Safety
/// `packet` is a live `Packet<J, R>` whose job is live too, and no one else
/// touches either until the thread has ended.
unsafe fn run_packet<J, R>(packet: *mut Packet<J, R>) {
    // SAFETY: the caller's promise: the packet is this thread's alone.
    let packet = unsafe { &mut *packet };
    // SAFETY: as above, for the job.
    let job = unsafe { &mut *packet.job };
    packet.result = Some((packet.body)(job));
}

/// Runs `body(job)` on a new thread on `stack`, while the calling thread
/// runs `main`, then waits for the thread to end: like a scoped thread, so
/// both may borrow from the caller. Returns both results, or the error of
/// creating the thread (then neither ran). The stack grows down towards the
/// start of `stack`, which should sit just above a guard page.
///
/// The program is built with panic=abort: if `main` panics, the process
/// ends, so the thread never outlives what it borrows.
pub fn with_thread<J: Send, R: Send, M: FnOnce() -> MR, MR>(
    stack: &mut [u8],
    body: fn(&mut J) -> R,
    job: &mut J,
    main: M,
) -> Result<(R, MR)> {
    let mut packet = Packet { body, job: job as *mut J, result: None };
    let main_result = imp::run(stack, &mut packet, main)?;
    match packet.result.take() {
        Some(result) => Ok((result, main_result)),
        None => panic!("the thread ended without a result"),
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod imp {
    use core::sync::atomic::{AtomicU32, Ordering};

    use rustix::io::{Errno, Result};
    use rustix::thread::futex;

    use super::{run_packet, Packet};

    /// Starts the thread on `stack` with `packet`, runs `main`, and waits
    /// until the thread has ended.
    pub fn run<J, R, MR>(stack: &mut [u8], packet: &mut Packet<J, R>, main: impl FnOnce() -> MR) -> Result<MR> {
        // The thread's id word: nonzero until the kernel clears it, after
        // the thread's last instruction. No thread id is written to it.
        let alive = AtomicU32::new(u32::MAX);
        // The kernel writes the new thread's id here before clone returns
        // (CLONE_PARENT_SETTID): a clone that claims success without making
        // a thread (a lying kernel, strace's retval injection) leaves it 0.
        let created = AtomicU32::new(0);
        let top = (stack.as_mut_ptr() as usize + stack.len()) & !15;
        if top <= stack.as_mut_ptr() as usize {
            return Err(Errno::INVAL);
        }
        let flags = libc::CLONE_VM
            | libc::CLONE_FS
            | libc::CLONE_FILES
            | libc::CLONE_SIGHAND
            | libc::CLONE_THREAD
            | libc::CLONE_SYSVSEM
            | libc::CLONE_SETTLS
            | libc::CLONE_PARENT_SETTID
            | libc::CLONE_CHILD_CLEARTID;
        let ret: isize;
        // SAFETY: clone(2) with CLONE_VM and a stack of its own: the new
        // thread starts at the instruction after `syscall` with rax = 0, on
        // `top` (rsi, which the syscall instruction preserves: a parent told
        // 0 is still on its own stack, and goes on as the parent), and never
        // comes back into this function. It clears rbp and pushes a null
        // return address (the end of its frame chain, for stack walkers: its
        // frames do not look like this function's), then jumps to
        // entry(packet), which never returns (the stack is aligned as after
        // a call, as the ABI wants). The stack and the packet are borrowed
        // until `run` returns, which is after the kernel has cleared
        // `alive`, so nothing else uses them meanwhile. The parent gets the
        // new id or -errno in rax; rcx and r11 are the syscall instruction's
        // clobbers.
        unsafe {
            core::arch::asm!(
                "syscall",
                "test rax, rax",
                "jnz 2f",
                "cmp rsp, rsi",
                "jne 2f",
                "xor ebp, ebp",
                "mov rdi, r13",
                "push rbp",
                "jmp r12",
                "2:",
                inlateout("rax") libc::SYS_clone as isize => ret,
                in("rdi") flags as usize,
                in("rsi") top,
                in("rdx") created.as_ptr(),
                in("r10") alive.as_ptr(),
                in("r8") 0usize,
                in("r12") entry::<J, R> as *const (),
                in("r13") packet as *mut Packet<J, R>,
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack),
            );
        }
        if ret < 0 {
            let raw = ret.checked_neg().and_then(|raw| i32::try_from(raw).ok()).unwrap_or(0);
            return Err(crate::sys::errno::from_raw(raw));
        }
        // The kernel writes the id whenever it makes the thread, whatever it
        // returns; without it there is no thread to wait for (and the
        // receiver would wait forever for its bytes).
        if created.load(Ordering::Relaxed) == 0 {
            return Err(Errno::CHILD);
        }
        let main_result = main();
        join(&alive);
        Ok(main_result)
    }

    /// The thread's first frame: the work, then exit(2) for this thread
    /// alone (the kernel then clears `alive` and wakes the join).
    extern "C" fn entry<J, R>(packet: *mut Packet<J, R>) -> ! {
        // SAFETY: `run` passes its packet, live and untouched by the parent
        // until this thread has ended.
        unsafe { run_packet(packet) };
        // SAFETY: exit(2) ends this thread, which holds nothing; it does not
        // return (if a lying kernel says it did, it is asked again: rdx and
        // rdi survive the syscall instruction).
        unsafe {
            core::arch::asm!(
                "2:",
                "mov rax, rdx",
                "syscall",
                "jmp 2b",
                in("rdx") libc::SYS_exit,
                in("rdi") 0usize,
                options(noreturn, nostack),
            )
        }
    }

    /// Waits until the kernel has cleared `alive`: the thread has ended and
    /// will touch neither its stack nor its packet again. The kernel's wake
    /// is not a private one, so neither is this wait.
    fn join(alive: &AtomicU32) {
        loop {
            let seen = alive.load(Ordering::Acquire);
            if seen == 0 {
                return;
            }
            match futex::wait(alive, futex::Flags::empty(), seen, None) {
                Ok(()) | Err(Errno::AGAIN) | Err(Errno::INTR) => {}
                // Not expected; never return while the thread may run.
                Err(_) => rustix::thread::sched_yield(),
            }
        }
    }
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
mod imp {
    use core::ffi::{c_int, c_void};

    use rustix::io::{Errno, Result};

    use super::{run_packet, Packet};

    // POSIX has it on every system; the libc crate lacks it for some.
    extern "C" {
        fn pthread_attr_setstack(attr: *mut libc::pthread_attr_t, stack: *mut c_void, size: libc::size_t) -> c_int;
    }

    extern "C" fn trampoline<J, R>(arg: *mut c_void) -> *mut c_void {
        // SAFETY: arg is the packet `run` passed to pthread_create; it stays
        // live and untouched by the creating thread until the join.
        unsafe { run_packet(arg.cast::<Packet<J, R>>()) };
        core::ptr::null_mut()
    }

    /// POSIX threads on the caller's stack (pthread_create(3),
    /// pthread_join(3)): the C library maps, protects and unmaps none of
    /// its own.
    pub fn run<J, R, MR>(stack: &mut [u8], packet: &mut Packet<J, R>, main: impl FnOnce() -> MR) -> Result<MR> {
        let mut thread: libc::pthread_t = 0 as libc::pthread_t;
        let mut attr = core::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
        // SAFETY: attr is initialised by pthread_attr_init before any other
        // use and destroyed after pthread_create. The stack and the packet
        // are borrowed for the whole call and the thread is joined before
        // it returns, so nothing else touches them while the thread runs.
        let rc: c_int = unsafe {
            let mut rc = libc::pthread_attr_init(attr.as_mut_ptr());
            if rc == 0 {
                rc = pthread_attr_setstack(attr.as_mut_ptr(), stack.as_mut_ptr().cast::<c_void>(), stack.len());
                if rc == 0 {
                    rc = libc::pthread_create(
                        &mut thread,
                        attr.as_ptr(),
                        trampoline::<J, R>,
                        (packet as *mut Packet<J, R>).cast::<c_void>(),
                    );
                }
                libc::pthread_attr_destroy(attr.as_mut_ptr());
            }
            rc
        };
        if rc != 0 {
            return Err(Errno::from_raw_os_error(rc));
        }
        let main_result = main();
        // SAFETY: thread was created above and is joined exactly once.
        let rc = unsafe { libc::pthread_join(thread, core::ptr::null_mut()) };
        // Joining a thread of our own that nobody else joins cannot fail. If
        // it did, the thread could still be using the packet and the stack:
        // returning would free them under it, so this ends the process.
        assert!(rc == 0, "pthread_join failed");
        Ok(main_result)
    }
}
