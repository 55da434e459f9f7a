//! A second thread, scoped: POSIX threads on a stack the caller provides.

use core::ffi::{c_int, c_void};

use rustix::io::{Errno, Result};

#[cfg(target_os = "linux")]
use libc::pthread_attr_setstack;

// POSIX has it on every system; the libc crate lacks it for some.
#[cfg(not(target_os = "linux"))]
extern "C" {
    fn pthread_attr_setstack(attr: *mut libc::pthread_attr_t, stack: *mut c_void, size: libc::size_t) -> c_int;
}

/// Runs `side` on a new POSIX thread, on `stack`, while the calling thread
/// runs `main`, then joins the thread (pthread_create(3), pthread_join(3)):
/// like a scoped thread, so both may borrow from the caller. Returns both
/// results, or the pthread_create error (in which case neither closure ran,
/// and `side` has been dropped).
///
/// The caller provides the stack (from the buffers' mapping) so that the C
/// library maps, protects and unmaps none of its own: three system calls
/// fewer in the trace. It grows down towards the start of `stack`.
pub fn with_thread<S, SR, M, MR>(stack: &mut [u8], side: S, main: M) -> Result<(SR, MR)>
where
    S: FnOnce() -> SR + Send,
    SR: Send,
    M: FnOnce() -> MR,
{
    struct Packet<S, SR> {
        work: Option<S>,
        result: Option<SR>,
    }

    extern "C" fn trampoline<S: FnOnce() -> SR, SR>(arg: *mut c_void) -> *mut c_void {
        // SAFETY: arg is the Packet that with_thread passed to pthread_create;
        // it outlives this thread (with_thread joins before it returns) and the
        // creating thread does not touch it until the join.
        let packet = unsafe { &mut *arg.cast::<Packet<S, SR>>() };
        if let Some(work) = packet.work.take() {
            packet.result = Some(work());
        }
        core::ptr::null_mut()
    }

    let mut packet = Packet { work: Some(side), result: None };
    let mut thread: libc::pthread_t = 0 as libc::pthread_t;
    let mut attr = core::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: attr is initialised by pthread_attr_init before any other use
    // and destroyed after pthread_create. The stack is borrowed mutably for
    // the whole call and the thread is joined before the borrow ends, so
    // nothing else touches that memory while the thread runs on it. The
    // thread gets a pointer to packet, which stays alive and is not touched
    // by this thread until pthread_join returns below.
    let rc: c_int = unsafe {
        let mut rc = libc::pthread_attr_init(attr.as_mut_ptr());
        if rc == 0 {
            rc = pthread_attr_setstack(attr.as_mut_ptr(), stack.as_mut_ptr().cast::<c_void>(), stack.len());
            if rc == 0 {
                rc = libc::pthread_create(
                    &mut thread,
                    attr.as_ptr(),
                    trampoline::<S, SR>,
                    (&mut packet as *mut Packet<S, SR>).cast::<c_void>(),
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
    // Joining a thread of our own that nobody else joins cannot fail. If it
    // did, the thread could still be using packet and the stack: returning
    // would free them under it, so this is the end of the process.
    assert!(rc == 0, "pthread_join failed");
    match packet.result.take() {
        Some(side_result) => Ok((side_result, main_result)),
        None => panic!("the thread ended without a result"),
    }
}
