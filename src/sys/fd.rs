//! New descriptors (socket(2), accept4(2), openat(2)) and socket buffer
//! sizes (getsockopt(2)).
//!
//! rustix has all four, but on Linux its versions check the kernel's answer
//! with `assert_ne!`/`assert_eq!`, whose formatted messages link core::fmt
//! (3.5 KB) into the static binary. These make the same system calls,
//! check the answer themselves, and fail with an errno instead: a descriptor
//! is known to be non-negative, so rustix's OwnedFd check is optimised out,
//! and a socket option of the wrong length is EINVAL, not a panic.
//! Elsewhere (FreeBSD, rustix's libc backend) they are rustix's own, which
//! check for -1 without a formatted message.

use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Result;
use rustix::net::{AddressFamily, SocketFlags, SocketType};
#[cfg(target_os = "linux")]
use {
    core::ffi::{c_int, c_long, CStr},
    rustix::fd::{AsRawFd, FromRawFd},
    rustix::io::Errno,
};

/// Which kernel buffer of a socket.
#[derive(Clone, Copy)]
pub enum SocketBuffer {
    /// SO_SNDBUF.
    Send,
    /// SO_RCVBUF.
    Receive,
}

/// A descriptor from a system call's return value, or its errno.
#[cfg(target_os = "linux")]
fn owned(rc: c_long) -> Result<OwnedFd> {
    if rc < 0 {
        return Err(crate::sys::errno::last());
    }
    let fd = c_int::try_from(rc).map_err(|_| Errno::BADF)?;
    // SAFETY: the kernel just returned fd as a new descriptor, which nothing
    // else owns; fd >= 0, so it is not the -1 that from_raw_fd refuses.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// socket(2) with `flags` (SOCK_NONBLOCK, SOCK_CLOEXEC) and the default
/// protocol.
#[cfg(target_os = "linux")]
pub fn socket(family: AddressFamily, kind: SocketType, flags: SocketFlags) -> Result<OwnedFd> {
    let kind = kind.as_raw() as c_long | flags.bits() as c_long;
    // SAFETY: socket takes three integers and touches no memory of ours.
    owned(unsafe { libc::syscall(libc::SYS_socket, c_long::from(family.as_raw()), kind, 0 as c_long) })
}

#[cfg(not(target_os = "linux"))]
pub fn socket(family: AddressFamily, kind: SocketType, flags: SocketFlags) -> Result<OwnedFd> {
    rustix::net::socket_with(family, kind, flags, None)
}

/// accept4(2) of the first queued connection, without its address.
#[cfg(target_os = "linux")]
pub fn accept(listener: impl AsFd, flags: SocketFlags) -> Result<OwnedFd> {
    let listener = c_long::from(listener.as_fd().as_raw_fd());
    let null = core::ptr::null_mut::<libc::c_void>();
    // SAFETY: null address and length pointers ask for no address: the
    // kernel writes nothing of ours.
    owned(unsafe { libc::syscall(libc::SYS_accept4, listener, null, null, flags.bits() as c_long) })
}

#[cfg(not(target_os = "linux"))]
pub fn accept(listener: impl AsFd, flags: SocketFlags) -> Result<OwnedFd> {
    rustix::net::accept_with(listener, flags)
}

/// Opens `path` read-only, close-on-exec (openat(2) from the current
/// directory). Linux only: the FreeBSD host description reads sysctls.
#[cfg(target_os = "linux")]
pub fn open_read_only(path: &CStr) -> Result<OwnedFd> {
    let flags = c_long::from(libc::O_RDONLY | libc::O_CLOEXEC);
    // SAFETY: path is a live NUL-terminated string, which the kernel only
    // reads.
    owned(unsafe { libc::syscall(libc::SYS_openat, c_long::from(libc::AT_FDCWD), path.as_ptr(), flags, 0 as c_long) })
}

/// The size of a socket's send or receive buffer as the kernel reports it
/// (getsockopt(2) SO_SNDBUF or SO_RCVBUF).
#[cfg(target_os = "linux")]
pub fn socket_buffer_size(socket: impl AsFd, which: SocketBuffer) -> Result<usize> {
    let option = match which {
        SocketBuffer::Send => libc::SO_SNDBUF,
        SocketBuffer::Receive => libc::SO_RCVBUF,
    };
    let mut value: c_int = 0;
    let mut len = core::mem::size_of::<c_int>() as libc::socklen_t;
    let socket = c_long::from(socket.as_fd().as_raw_fd());
    // SAFETY: value and len are live locals; len says how many bytes value
    // holds, and the kernel writes no more than that into it.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_getsockopt,
            socket,
            c_long::from(libc::SOL_SOCKET),
            c_long::from(option),
            &mut value as *mut c_int,
            &mut len as *mut libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(crate::sys::errno::last());
    }
    if len as usize != core::mem::size_of::<c_int>() {
        return Err(Errno::INVAL);
    }
    usize::try_from(value).map_err(|_| Errno::INVAL)
}

#[cfg(not(target_os = "linux"))]
pub fn socket_buffer_size(socket: impl AsFd, which: SocketBuffer) -> Result<usize> {
    use rustix::net::sockopt;
    match which {
        SocketBuffer::Send => sockopt::socket_send_buffer_size(socket),
        SocketBuffer::Receive => sockopt::socket_recv_buffer_size(socket),
    }
}
