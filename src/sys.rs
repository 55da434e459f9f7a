//! OS glue: the one module with `unsafe` in it.
//!
//! Everything here is a thin, safe wrapper over something rustix does not
//! offer safely to a `no_std` program: the C start-up's `main` and `argv`, the
//! panic handler, the raw clock_gettime system call, anonymous mappings,
//! POSIX threads, fork/_exit and strerror. The rest of the program is
//! safe Rust over this module and rustix.

use core::ffi::{c_char, c_int, c_void, CStr};
use core::ptr::NonNull;

use rustix::fd::BorrowedFd;
use rustix::io::{Errno, Result};
use rustix::mm::{MapFlags, ProtFlags};
use rustix::process::Pid;

/// The C start-up (musl's or libc's crt1) calls this as `main(argc, argv)`.
#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // SAFETY: argc and argv are what the C start-up passes to main: argv has
    // argc valid NUL-terminated strings that live as long as the process.
    let args = unsafe { Args::from_main(argc, argv) };
    crate::run(args)
}

/// Reached only by a bug: no input may get here. Says where, exits 70
/// (EX_SOFTWARE) without unwinding.
#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    use crate::output::{FdWriter, Sink};
    let mut err = FdWriter::new(stderr());
    err.put(b"ipc-static: internal error");
    if let Some(location) = info.location() {
        err.put(b" at ");
        err.put(location.file().as_bytes());
        err.put(b":");
        err.put_u64(u64::from(location.line()));
    }
    err.put(b"\n");
    let _ = err.flush();
    exit(crate::EX_SOFTWARE)
}

/// The program's operands and options (argv without argv[0]), as byte
/// strings that live for the whole process.
pub struct Args {
    argv: *const *const c_char,
    count: usize,
    next: usize,
}

impl Args {
    /// # Safety
    /// `argv` must point to `argc` valid NUL-terminated strings that outlive
    /// the process, as the C start-up's arguments to `main` do.
    #[cfg(not(test))]
    unsafe fn from_main(argc: c_int, argv: *const *const c_char) -> Args {
        Args { argv, count: usize::try_from(argc).unwrap_or(0), next: 1 }
    }
}

impl Iterator for Args {
    type Item = &'static [u8];

    fn next(&mut self) -> Option<&'static [u8]> {
        if self.next >= self.count {
            return None;
        }
        // SAFETY: next < argc, so argv[next] is one of the C start-up's
        // NUL-terminated argument strings, which live as long as the process.
        let arg = unsafe { CStr::from_ptr(*self.argv.add(self.next)) };
        self.next += 1;
        Some(arg.to_bytes())
    }
}

/// Standard output, fd 1.
pub fn stdout() -> BorrowedFd<'static> {
    // SAFETY: the program never closes fds 0-2. If the caller of the program
    // closed fd 1, calls on it fail with EBADF, which is reported; the
    // benchmark closes its IPC objects before it writes, so a reused fd 1
    // is never written to.
    unsafe { BorrowedFd::borrow_raw(1) }
}

/// Standard error, fd 2 (same reasoning as [`stdout`]).
pub fn stderr() -> BorrowedFd<'static> {
    // SAFETY: as for stdout: fd 2 is never closed by the program.
    unsafe { BorrowedFd::borrow_raw(2) }
}

/// A CLOCK_MONOTONIC reading: seconds and nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamp {
    pub sec: i64,
    pub nsec: i64,
}

/// clock_gettime(CLOCK_MONOTONIC) as a real system call.
///
/// Deliberately not rustix's or libc's clock_gettime: on Linux they read the
/// vDSO and never enter the kernel, so strace, bpftrace and DTrace could not
/// see the two stamps that bracket the IPC loop (clock_gettime(2)).
pub fn clock_gettime_syscall() -> Result<Stamp> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    #[cfg(target_os = "linux")]
    // SAFETY: SYS_clock_gettime takes a clock id and a pointer to a timespec,
    // which points to a live, writable local.
    let rc = unsafe {
        libc::syscall(libc::SYS_clock_gettime, libc::CLOCK_MONOTONIC, &mut ts as *mut libc::timespec)
    };
    #[cfg(target_os = "freebsd")]
    // SAFETY: FreeBSD's libc exports the raw system call as
    // __sys_clock_gettime (its clock_gettime reads a shared page instead);
    // ts is a live, writable local.
    let rc = unsafe { __sys_clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } as libc::c_long;
    if rc != 0 {
        return Err(last_errno());
    }
    // time_t and long are i64 here, but narrower on 32-bit targets.
    #[allow(clippy::unnecessary_cast)]
    let stamp = Stamp { sec: ts.tv_sec as i64, nsec: ts.tv_nsec as i64 };
    Ok(stamp)
}

#[cfg(target_os = "linux")]
use libc::pthread_attr_setstack;

// POSIX has it on every system; the libc crate lacks it for some.
#[cfg(not(target_os = "linux"))]
extern "C" {
    fn pthread_attr_setstack(attr: *mut libc::pthread_attr_t, stack: *mut c_void, size: libc::size_t) -> c_int;
}

#[cfg(target_os = "freebsd")]
extern "C" {
    fn __sys_clock_gettime(clock: libc::clockid_t, ts: *mut libc::timespec) -> c_int;
}

fn last_errno() -> Errno {
    #[cfg(target_os = "linux")]
    // SAFETY: __errno_location returns this thread's errno slot, always valid.
    let raw = unsafe { *libc::__errno_location() };
    #[cfg(target_os = "freebsd")]
    // SAFETY: __error returns this thread's errno slot, always valid.
    let raw = unsafe { *libc::__error() };
    Errno::from_raw_os_error(raw)
}

/// An anonymous memory mapping, unmapped when dropped (mmap(2)).
pub struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: a Mapping owns its pages exclusively, like a Box<[u8]>.
unsafe impl Send for Mapping {}

impl Mapping {
    /// Private, zero-filled pages: the user buffers, as malloc would give.
    pub fn private(len: usize) -> Result<Mapping> {
        Self::anonymous(len, MapFlags::PRIVATE)
    }

    /// Pages shared with children forked later (2proc's start stamp).
    pub fn shared(len: usize) -> Result<Mapping> {
        Self::anonymous(len, MapFlags::SHARED)
    }

    fn anonymous(len: usize, flags: MapFlags) -> Result<Mapping> {
        if len == 0 {
            return Err(Errno::INVAL);
        }
        // SAFETY: a fresh anonymous mapping at an address the kernel picks
        // aliases nothing in this process.
        let ptr = unsafe {
            rustix::mm::mmap_anonymous(core::ptr::null_mut(), len, ProtFlags::READ | ProtFlags::WRITE, flags)?
        };
        let base = NonNull::new(ptr.cast::<u8>()).ok_or(Errno::NOMEM)?;
        Ok(Mapping { base, len })
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: base..base+len is mapped readable and writable for as long
        // as self lives, and &mut self makes this the only reference to it.
        unsafe { core::slice::from_raw_parts_mut(self.base.as_ptr(), self.len) }
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: as for bytes_mut; &self allows only shared reads.
        unsafe { core::slice::from_raw_parts(self.base.as_ptr(), self.len) }
    }

    /// Leaves the pages of `offset..offset + len` out of children forked
    /// later: they are not mapped in the child, so the parent's own pages are
    /// not made copy-on-write by the fork. `offset` and `len` must be
    /// multiples of the page size. (madvise MADV_DONTFORK on Linux, minherit
    /// INHERIT_NONE on FreeBSD.)
    pub fn keep_from_children(&mut self, offset: usize, len: usize) -> Result<()> {
        if offset.checked_add(len).is_none_or(|end| end > self.len) {
            return Err(Errno::INVAL);
        }
        let addr = self.base.as_ptr().wrapping_add(offset).cast::<c_void>();
        #[cfg(target_os = "linux")]
        // SAFETY: addr..addr+len is inside this mapping, which this process
        // owns; MADV_DONTFORK alters no memory that a reference can see.
        return unsafe { rustix::mm::madvise(addr, len, rustix::mm::Advice::LinuxDontFork) };
        #[cfg(target_os = "freebsd")]
        {
            // SAFETY: as for Linux: the range is inside this mapping, and
            // INHERIT_NONE only keeps a later child from mapping it.
            let rc = unsafe { libc::minherit(addr, len, libc::INHERIT_NONE) };
            if rc != 0 {
                return Err(last_errno());
            }
            Ok(())
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: base and len are exactly what mmap returned, and no
        // reference into the pages outlives self.
        let _ = unsafe { rustix::mm::munmap(self.base.as_ptr().cast::<c_void>(), self.len) };
    }
}

/// Runs `side` on a new POSIX thread, on `stack`, while the calling thread
/// runs `main`, then joins the thread: like a scoped thread, so both may
/// borrow from the caller. Returns both results, or the pthread_create error
/// (in which case neither closure ran, and `side` has been dropped).
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
    let rc = unsafe {
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
    if rc != 0 {
        // Without the join, packet could still be in use: stop here.
        exit(crate::EX_OSERR);
    }
    match packet.result.take() {
        Some(side_result) => Ok((side_result, main_result)),
        None => exit(crate::EX_SOFTWARE),
    }
}

/// Which side of a fork(2) this process is on.
pub enum Forked {
    Child,
    Parent(Pid),
}

/// fork(2). The program is single-threaded whenever it forks (2proc runs no
/// threads), and the child only makes system calls and exits.
///
/// On Linux this is the bare system call (clone with SIGCHLD, which every
/// architecture has): the C library's fork() adds five signal-mask and
/// set_tid_address calls that would crowd the trace. The child then never
/// uses the C library's thread state (no locks, no pthreads), only rustix's
/// raw calls, strerror and _exit.
pub fn fork() -> Result<Forked> {
    #[cfg(target_os = "linux")]
    // SAFETY: clone(SIGCHLD) with no new stack is fork(2). The process is
    // single-threaded here, and the child only makes raw system calls.
    let pid = unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD as libc::c_long, 0usize, 0usize, 0usize, 0usize) }
        as libc::pid_t;
    #[cfg(not(target_os = "linux"))]
    // SAFETY: called only from the single-threaded 2proc path, so no lock or
    // other thread's state is inherited half-way.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(last_errno()),
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

/// Resource usage of this process (both threads) or of its waited-for
/// children (getrusage(2); rustix has no wrapper).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub user_micros: u64,
    pub system_micros: u64,
    pub minor_faults: u64,
    pub major_faults: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
}

#[derive(Clone, Copy)]
pub enum UsageOf {
    ThisProcess,
    Children,
}

pub fn getrusage(of: UsageOf) -> Result<Usage> {
    let who = match of {
        UsageOf::ThisProcess => libc::RUSAGE_SELF,
        UsageOf::Children => libc::RUSAGE_CHILDREN,
    };
    let mut usage = core::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the rusage it is given, a live local.
    if unsafe { libc::getrusage(who, usage.as_mut_ptr()) } != 0 {
        return Err(last_errno());
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

/// The fields of `struct perf_event_attr` that counting needs, in the
/// kernel's layout up to PERF_ATTR_SIZE_VER0 (64 bytes): perf_event_open(2).
#[cfg(target_os = "linux")]
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
#[cfg(target_os = "linux")]
pub fn perf_event_open(kind: u32, config: u64) -> Result<rustix::fd::OwnedFd> {
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
        return Err(last_errno());
    }
    // SAFETY: the kernel just returned fd as a new descriptor we own.
    Ok(unsafe { <rustix::fd::OwnedFd as rustix::fd::FromRawFd>::from_raw_fd(fd as c_int) })
}

/// PERF_EVENT_IOC_ENABLE (true) or PERF_EVENT_IOC_DISABLE (false).
#[cfg(target_os = "linux")]
pub fn perf_event_enable(fd: BorrowedFd<'_>, enable: bool) -> Result<()> {
    const ENABLE: libc::c_ulong = 0x2400;
    const DISABLE: libc::c_ulong = 0x2401;
    let request = if enable { ENABLE } else { DISABLE };
    // SAFETY: these requests take no argument and act only on fd's counter.
    let rc = unsafe { libc::ioctl(rustix::fd::AsRawFd::as_raw_fd(&fd), request as _, 0) };
    if rc != 0 {
        return Err(last_errno());
    }
    Ok(())
}

/// Ignores SIGPIPE (signal(3)), so that a write whose reader is gone fails
/// with EPIPE, which is reported, instead of ending the process silently.
pub fn ignore_sigpipe() {
    // SAFETY: installing SIG_IGN runs no code of ours in a signal handler.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// The C library's text for an errno (strerror(3)).
pub fn errno_text(errno: Errno) -> &'static [u8] {
    // SAFETY: strerror returns a NUL-terminated string; musl's and FreeBSD's
    // are static for known errnos, and errors are reported from one thread.
    let text = unsafe { libc::strerror(errno.raw_os_error()) };
    if text.is_null() {
        return b"unknown error";
    }
    // SAFETY: text is non-null and NUL-terminated (above).
    unsafe { CStr::from_ptr(text) }.to_bytes()
}

/// The page size, from the auxiliary vector the kernel gave the process
/// (getauxval(AT_PAGESZ)): no system call. None if it is missing.
#[cfg(target_os = "linux")]
pub fn page_size() -> Option<usize> {
    // SAFETY: getauxval has no preconditions; it only reads the auxiliary
    // vector the C start-up saved.
    let size = unsafe { libc::getauxval(libc::AT_PAGESZ) };
    usize::try_from(size).ok().filter(|&size| size > 0)
}

/// sysctlbyname(3): reads the value of `name` into `buf`; returns its length.
/// A value longer than `buf` fails with ENOMEM.
#[cfg(target_os = "freebsd")]
pub fn sysctl_by_name(name: &CStr, buf: &mut [u8]) -> Result<usize> {
    let mut len: libc::size_t = buf.len();
    // SAFETY: name is NUL-terminated; buf is live and writable for len
    // bytes, and len is a live local the call updates; no new value is set
    // (null pointer, length 0).
    let rc = unsafe {
        libc::sysctlbyname(name.as_ptr(), buf.as_mut_ptr().cast::<c_void>(), &mut len, core::ptr::null(), 0)
    };
    if rc != 0 {
        return Err(last_errno());
    }
    Ok(len.min(buf.len()))
}
