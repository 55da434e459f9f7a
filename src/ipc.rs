//! IPC endpoints: a pipe, a UNIX-domain socket pair, or a loopback TCP
//! connection, as a reader and a writer file descriptor.

use core::net::{Ipv4Addr, SocketAddrV4};

use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Errno;
use rustix::net::{self, sockopt, AddressFamily, SocketFlags, SocketType};

use crate::args::{Config, IpcType};
use crate::error::Error;

/// Linux can resize a pipe (F_SETPIPE_SZ, fcntl(2)); other systems cannot.
pub const PIPES_CAN_BE_SIZED: bool = cfg!(any(target_os = "linux", target_os = "android"));

/// The two ends of one IPC object.
pub struct Endpoints {
    pub reader: OwnedFd,
    pub writer: OwnedFd,
    /// The TCP port actually used (the kernel's pick for `-p 0`); 0 otherwise.
    pub port: u16,
}

/// Opens the IPC object of `config`. With `nonblocking` (1thread), both ends
/// are non-blocking from the start, which costs no extra system call.
pub fn open(config: &Config, nonblocking: bool) -> Result<Endpoints, Error> {
    let ends = match config.ipc {
        IpcType::Pipe => open_pipe(nonblocking)?,
        IpcType::Local => open_socket_pair(nonblocking)?,
        IpcType::Tcp => open_tcp(config.port, nonblocking)?,
    };
    if config.size_kernel_buffers {
        size_kernel_buffers(config, &ends)?;
    }
    Ok(ends)
}

fn open_pipe(nonblocking: bool) -> Result<Endpoints, Error> {
    let flags = if nonblocking { rustix::pipe::PipeFlags::NONBLOCK } else { rustix::pipe::PipeFlags::empty() };
    let (reader, writer) = rustix::pipe::pipe_with(flags).map_err(|e| Error::os("pipe", e))?;
    Ok(Endpoints { reader, writer, port: 0 })
}

fn socket_flags(nonblocking: bool) -> SocketFlags {
    if nonblocking {
        SocketFlags::NONBLOCK
    } else {
        SocketFlags::empty()
    }
}

fn open_socket_pair(nonblocking: bool) -> Result<Endpoints, Error> {
    let (reader, writer) =
        net::socketpair(AddressFamily::UNIX, SocketType::STREAM, socket_flags(nonblocking), None)
            .map_err(|e| Error::os("socketpair", e))?;
    Ok(Endpoints { reader, writer, port: 0 })
}

/// Listens on 127.0.0.1:port (never another address), connects the reader
/// non-blocking, accepts the writer, restores blocking, closes the listener.
fn open_tcp(port: u16, nonblocking: bool) -> Result<Endpoints, Error> {
    let listener = net::socket(AddressFamily::INET, SocketType::STREAM, None).map_err(|e| Error::os("socket", e))?;
    sockopt::set_socket_reuseaddr(&listener, true).map_err(|e| Error::os("setsockopt SO_REUSEADDR", e))?;
    let address = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    net::bind(&listener, &address).map_err(|e| Error::os("bind", e).at_port(port))?;
    let port = if port == 0 { bound_port(&listener)? } else { port };
    net::listen(&listener, 1).map_err(|e| Error::os("listen", e).at_port(port))?;

    let reader = net::socket_with(AddressFamily::INET, SocketType::STREAM, SocketFlags::NONBLOCK, None)
        .map_err(|e| Error::os("socket", e))?;
    let target = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    match net::connect(&reader, &target) {
        Ok(()) | Err(Errno::INPROGRESS) => {}
        Err(e) => return Err(Error::os("connect", e).at_port(port)),
    }
    let writer = loop {
        match net::accept_with(&listener, socket_flags(nonblocking)) {
            Ok(fd) => break fd,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(Error::os("accept", e).at_port(port)),
        }
    };
    if !nonblocking {
        rustix::io::ioctl_fionbio(&reader, false).map_err(|e| Error::os("ioctl FIONBIO", e))?;
    }
    drop(listener);
    Ok(Endpoints { reader, writer, port })
}

fn bound_port(listener: &OwnedFd) -> Result<u16, Error> {
    let address = net::getsockname(listener).map_err(|e| Error::os("getsockname", e))?;
    let address = SocketAddrV4::try_from(address).map_err(|e| Error::os("getsockname", e))?;
    Ok(address.port())
}

/// -s: SO_SNDBUF on the writer and SO_RCVBUF on the reader, or the pipe's
/// capacity (F_SETPIPE_SZ; the kernel rounds it up to a power-of-two number
/// of pages and caps it at /proc/sys/fs/pipe-max-size).
fn size_kernel_buffers(config: &Config, ends: &Endpoints) -> Result<(), Error> {
    let size = config.buffer_size;
    match config.ipc {
        IpcType::Pipe => set_pipe_size(&ends.writer, size),
        IpcType::Local | IpcType::Tcp => {
            sockopt::set_socket_send_buffer_size(&ends.writer, size)
                .map_err(|e| Error::os("setsockopt SO_SNDBUF", e))?;
            sockopt::set_socket_recv_buffer_size(&ends.reader, size)
                .map_err(|e| Error::os("setsockopt SO_RCVBUF", e))
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn set_pipe_size(fd: impl AsFd, size: usize) -> Result<(), Error> {
    rustix::pipe::fcntl_setpipe_size(fd, size).map(|_| ()).map_err(|e| Error::os("fcntl F_SETPIPE_SZ", e))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn set_pipe_size(_fd: impl AsFd, _size: usize) -> Result<(), Error> {
    // The parser refuses -s with a pipe where PIPES_CAN_BE_SIZED is false.
    Err(Error::os("-s with a pipe", Errno::NOSYS))
}

/// The kernel's buffer sizes as it reports them (Linux doubles what -s asks
/// for sockets, and rounds pipe capacities up): (writer, reader). For a pipe
/// both are its one capacity; None where the OS cannot tell.
pub fn kernel_buffer_sizes(ipc: IpcType, ends: &Endpoints) -> Option<(usize, usize)> {
    match ipc {
        IpcType::Pipe => pipe_size(&ends.writer).map(|size| (size, size)),
        IpcType::Local | IpcType::Tcp => Some((
            sockopt::socket_send_buffer_size(&ends.writer).ok()?,
            sockopt::socket_recv_buffer_size(&ends.reader).ok()?,
        )),
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn pipe_size(fd: impl AsFd) -> Option<usize> {
    rustix::pipe::fcntl_getpipe_size(fd).ok()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn pipe_size(_fd: impl AsFd) -> Option<usize> {
    None
}
