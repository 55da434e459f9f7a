//! The C library's error reporting: the errno a failed libc call left, and
//! the text for an errno.

use core::ffi::CStr;

use rustix::io::Errno;

/// The calling thread's errno after a libc call failed (errno(3)). A value
/// outside the kernel's error range (0, when a call "failed" by returning
/// something unexpected without setting errno) is EIO: rustix's Errno
/// refuses such values with a panic.
pub fn last() -> Errno {
    #[cfg(target_os = "linux")]
    // SAFETY: __errno_location returns this thread's errno slot, always valid.
    let raw = unsafe { *libc::__errno_location() };
    #[cfg(target_os = "freebsd")]
    // SAFETY: __error returns this thread's errno slot, always valid.
    let raw = unsafe { *libc::__error() };
    from_raw(raw)
}

/// An Errno from a positive C error number; anything outside 1..4096 is EIO.
pub fn from_raw(raw: i32) -> Errno {
    if (1..4096).contains(&raw) {
        Errno::from_raw_os_error(raw)
    } else {
        Errno::IO
    }
}

/// The C library's text for an errno (strerror(3)).
pub fn text(errno: Errno) -> &'static [u8] {
    // SAFETY: strerror returns a NUL-terminated string; musl's and FreeBSD's
    // are static for known errnos, and errors are reported from one thread.
    let text = unsafe { libc::strerror(errno.raw_os_error()) };
    if text.is_null() {
        return b"unknown error";
    }
    // SAFETY: text is non-null and NUL-terminated (above).
    unsafe { CStr::from_ptr(text) }.to_bytes()
}
