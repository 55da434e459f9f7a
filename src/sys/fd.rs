//! New descriptors (socket(2), pipe2(2), socketpair(2), accept4(2),
//! openat(2)), socket addresses
//! (getsockname(2), accept4's peer) and socket buffer sizes (getsockopt(2)).
//!
//! rustix has all of them, but on Linux its versions check the kernel's
//! answer with `assert!`s (some with formatted messages, which link
//! core::fmt into the static binary): an answer that makes no sense would
//! be a panic. These make the same system calls, check the answer
//! themselves, and fail with an errno instead: a descriptor is known to be
//! non-negative, so rustix's OwnedFd check is optimised out, and a socket
//! option or address of the wrong length or family is EINVAL, not a panic.
//! Elsewhere (FreeBSD, rustix's libc backend) they are rustix's own, which
//! check for -1 without a formatted message.

use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Result;
use rustix::net::{AddressFamily, SocketFlags, SocketType};
#[cfg(target_os = "linux")]
use {
    core::ffi::{c_int, c_long, CStr},
    core::net::Ipv4Addr,
    rustix::fd::{AsRawFd, FromRawFd},
};
use {core::net::SocketAddrV4, rustix::io::Errno};

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

/// Two new descriptors the kernel wrote into `fds`, which was filled with
/// -1 first: a call that "succeeded" without writing them is EBADF, never
/// two random descriptors (rustix reads them from uninitialised memory).
#[cfg(target_os = "linux")]
fn owned_pair(rc: c_long, fds: [c_int; 2]) -> Result<(OwnedFd, OwnedFd)> {
    zero_or_errno(rc)?;
    let [first, second] = fds;
    if first < 0 || second < 0 || first == second {
        return Err(Errno::BADF);
    }
    // SAFETY: the kernel just returned both as new descriptors, which
    // nothing else owns; both are >= 0, so neither is the -1 that
    // from_raw_fd refuses.
    Ok(unsafe { (OwnedFd::from_raw_fd(first), OwnedFd::from_raw_fd(second)) })
}

/// pipe2(2) with `flags` (O_NONBLOCK, O_CLOEXEC): (reader, writer).
#[cfg(target_os = "linux")]
pub fn pipe(flags: rustix::pipe::PipeFlags) -> Result<(OwnedFd, OwnedFd)> {
    let mut fds: [c_int; 2] = [-1, -1];
    // SAFETY: fds is a live local array of two ints, which pipe2 writes.
    let rc = unsafe { libc::syscall(libc::SYS_pipe2, fds.as_mut_ptr(), flags.bits() as c_long) };
    owned_pair(rc, fds)
}

#[cfg(not(target_os = "linux"))]
pub fn pipe(flags: rustix::pipe::PipeFlags) -> Result<(OwnedFd, OwnedFd)> {
    rustix::pipe::pipe_with(flags)
}

/// socketpair(2) of UNIX stream sockets with `flags` (SOCK_NONBLOCK,
/// SOCK_CLOEXEC).
#[cfg(target_os = "linux")]
pub fn stream_socket_pair(flags: SocketFlags) -> Result<(OwnedFd, OwnedFd)> {
    let mut fds: [c_int; 2] = [-1, -1];
    let kind = SocketType::STREAM.as_raw() as c_long | flags.bits() as c_long;
    // SAFETY: fds is a live local array of two ints, which socketpair writes.
    let rc = unsafe {
        libc::syscall(libc::SYS_socketpair, c_long::from(libc::AF_UNIX), kind, 0 as c_long, fds.as_mut_ptr())
    };
    owned_pair(rc, fds)
}

#[cfg(not(target_os = "linux"))]
pub fn stream_socket_pair(flags: SocketFlags) -> Result<(OwnedFd, OwnedFd)> {
    rustix::net::socketpair(AddressFamily::UNIX, SocketType::STREAM, flags, None)
}

/// 0 for success, -1 for an errno; anything else is an answer that makes
/// no sense (EINVAL).
#[cfg(target_os = "linux")]
fn zero_or_errno(rc: c_long) -> Result<()> {
    match rc {
        0 => Ok(()),
        -1 => Err(crate::sys::errno::last()),
        _ => Err(Errno::INVAL),
    }
}

/// An IPv4 address as the kernel wrote it, if it wrote one: its length and
/// family are checked (the caller zeroes it first: family 0 is none).
#[cfg(target_os = "linux")]
fn ipv4(address: &libc::sockaddr_in, len: libc::socklen_t) -> Option<SocketAddrV4> {
    let whole = len as usize == core::mem::size_of::<libc::sockaddr_in>();
    (whole && c_int::from(address.sin_family) == libc::AF_INET).then(|| {
        SocketAddrV4::new(Ipv4Addr::from(u32::from_be(address.sin_addr.s_addr)), u16::from_be(address.sin_port))
    })
}

/// An empty sockaddr_in and its length, for the kernel to fill.
#[cfg(target_os = "linux")]
fn blank_ipv4() -> (libc::sockaddr_in, libc::socklen_t) {
    // SAFETY: sockaddr_in is plain integers; all zeroes is AF_UNSPEC.
    let address = unsafe { core::mem::zeroed::<libc::sockaddr_in>() };
    (address, core::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t)
}

/// accept4(2) of the first queued connection, with the peer's address if
/// it is IPv4 (None if the kernel wrote no such address).
#[cfg(target_os = "linux")]
pub fn accept_from(listener: impl AsFd, flags: SocketFlags) -> Result<(OwnedFd, Option<SocketAddrV4>)> {
    let (mut peer, mut len) = blank_ipv4();
    let listener = c_long::from(listener.as_fd().as_raw_fd());
    // SAFETY: peer and len are live locals; len says how many bytes peer
    // holds, and the kernel writes no more than that into it.
    let fd = owned(unsafe {
        libc::syscall(
            libc::SYS_accept4,
            listener,
            &mut peer as *mut libc::sockaddr_in,
            &mut len as *mut libc::socklen_t,
            flags.bits() as c_long,
        )
    })?;
    Ok((fd, ipv4(&peer, len)))
}

#[cfg(not(target_os = "linux"))]
pub fn accept_from(listener: impl AsFd, flags: SocketFlags) -> Result<(OwnedFd, Option<SocketAddrV4>)> {
    let (fd, peer) = rustix::net::acceptfrom_with(listener, flags)?;
    Ok((fd, peer.and_then(|peer| SocketAddrV4::try_from(peer).ok())))
}

/// getsockname(2) of an IPv4 socket; EINVAL if the kernel's answer is not
/// an IPv4 address.
#[cfg(target_os = "linux")]
pub fn local_address(socket: impl AsFd) -> Result<SocketAddrV4> {
    let (mut address, mut len) = blank_ipv4();
    let socket = c_long::from(socket.as_fd().as_raw_fd());
    // SAFETY: as for accept_from: live locals, len bytes at most.
    zero_or_errno(unsafe {
        libc::syscall(
            libc::SYS_getsockname,
            socket,
            &mut address as *mut libc::sockaddr_in,
            &mut len as *mut libc::socklen_t,
        )
    })?;
    ipv4(&address, len).ok_or(Errno::INVAL)
}

#[cfg(not(target_os = "linux"))]
pub fn local_address(socket: impl AsFd) -> Result<SocketAddrV4> {
    SocketAddrV4::try_from(rustix::net::getsockname(socket)?).map_err(|_| Errno::INVAL)
}

/// Opens `path` read-only, close-on-exec, if it is a regular file (openat(2)
/// from the current directory, then fstat(2)); anything else is ENODEV.
/// Non-blocking, so that a FIFO (or a device) put where a /proc or /sys file
/// should be cannot block the open. Linux only: the FreeBSD host description
/// reads sysctls.
#[cfg(target_os = "linux")]
pub fn open_read_only(path: &CStr) -> Result<OwnedFd> {
    let flags = c_long::from(libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY);
    // SAFETY: path is a live NUL-terminated string, which the kernel only
    // reads.
    let fd = owned(unsafe {
        libc::syscall(libc::SYS_openat, c_long::from(libc::AT_FDCWD), path.as_ptr(), flags, 0 as c_long)
    })?;
    // SAFETY: stat is plain integers; all zeroes is a mode of no file type.
    let mut status = unsafe { core::mem::zeroed::<libc::stat>() };
    // SAFETY: status is a live, writable local of the size fstat writes.
    zero_or_errno(unsafe { libc::syscall(libc::SYS_fstat, c_long::from(fd.as_raw_fd()), &mut status as *mut libc::stat) })?;
    if status.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Errno::NODEV);
    }
    Ok(fd)
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
    zero_or_errno(unsafe {
        libc::syscall(
            libc::SYS_getsockopt,
            socket,
            c_long::from(libc::SOL_SOCKET),
            c_long::from(option),
            &mut value as *mut c_int,
            &mut len as *mut libc::socklen_t,
        )
    })?;
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
