//! The IPC object between the two sides: a pipe (pipe.rs), a UNIX-domain
//! socket pair (local.rs) or a loopback TCP connection (tcp.rs). Each kind
//! opens its two descriptors; this file makes them the sender's and the
//! receiver's [`End`], sizes and reports the kernel's buffers, and is all
//! that the rest of the program sees of them.

mod local;
mod pipe;
mod tcp;

use rustix::event::{PollFd, PollFlags};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::net::sockopt;
use rustix::time::Timespec;

use crate::args::{Config, IpcType};
use crate::error::Error;
use crate::sys::fd::{self, SocketBuffer};

/// One side's end of the IPC object. The modes move data only through
/// [`End::send`] and [`End::receive`], so a kind without descriptors (a
/// shared buffer) can be one more variant.
pub enum End {
    /// A pipe end or a connected stream socket: write(2) sends, read(2)
    /// receives.
    Fd(OwnedFd),
}

impl End {
    /// Sends from the start of `bytes`; returns how many were sent
    /// (write(2)). EAGAIN when a non-blocking end is full.
    pub fn send(&self, bytes: &[u8]) -> Result<usize, Errno> {
        match self {
            End::Fd(fd) => rustix::io::write(fd, bytes),
        }
    }

    /// Receives into the start of `buffer`; returns how many bytes arrived,
    /// 0 at end of file (read(2)). EAGAIN when a non-blocking end is empty.
    pub fn receive(&self, buffer: &mut [u8]) -> Result<usize, Errno> {
        match self {
            End::Fd(fd) => rustix::io::read(fd, buffer),
        }
    }

    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            End::Fd(fd) => fd.as_fd(),
        }
    }
}

/// The two ends of one IPC object, and what the kernel says about it.
pub struct Ends {
    pub sender: End,
    pub receiver: End,
    /// The TCP port actually used (the kernel's pick for `-p 0`); 0 otherwise.
    pub port: u16,
    /// (writer, reader) kernel buffer sizes, asked for with -v and -j; None
    /// where the OS cannot tell.
    pub kernel_buffers: Option<(usize, usize)>,
}

/// Opens the IPC object of `config`. With `nonblocking` (1thread), both ends
/// are non-blocking from the start, which costs no extra system call.
pub fn open(config: &Config, nonblocking: bool) -> Result<Ends, Error> {
    let (reader, writer, port) = match config.ipc {
        IpcType::Pipe => pipe::open(nonblocking)?,
        IpcType::Local => local::open(nonblocking)?,
        IpcType::Tcp => tcp::open(config.port, nonblocking)?,
    };
    if config.size_kernel_buffers {
        size_kernel_buffers(config, &reader, &writer)?;
    }
    let kernel_buffers =
        if config.verbose || config.json { kernel_buffer_sizes(config.ipc, &reader, &writer) } else { None };
    Ok(Ends { sender: End::Fd(writer), receiver: End::Fd(reader), port, kernel_buffers })
}

/// -s: the pipe's capacity, or SO_SNDBUF on the writer and SO_RCVBUF on the
/// reader.
fn size_kernel_buffers(config: &Config, reader: &OwnedFd, writer: &OwnedFd) -> Result<(), Error> {
    let size = config.buffer_size;
    match config.ipc {
        IpcType::Pipe => pipe::set_capacity(writer, size),
        IpcType::Local | IpcType::Tcp => {
            sockopt::set_socket_send_buffer_size(writer, size).map_err(|e| Error::os("setsockopt SO_SNDBUF", e))?;
            sockopt::set_socket_recv_buffer_size(reader, size).map_err(|e| Error::os("setsockopt SO_RCVBUF", e))
        }
    }
}

/// The kernel's buffer sizes as it reports them (Linux doubles what -s asks
/// for sockets, and rounds pipe capacities up): (writer, reader). For a pipe
/// both are its one capacity.
fn kernel_buffer_sizes(ipc: IpcType, reader: &OwnedFd, writer: &OwnedFd) -> Option<(usize, usize)> {
    match ipc {
        IpcType::Pipe => pipe::capacity(writer).map(|size| (size, size)),
        IpcType::Local | IpcType::Tcp => Some((
            fd::socket_buffer_size(writer, SocketBuffer::Send).ok()?,
            fd::socket_buffer_size(reader, SocketBuffer::Receive).ok()?,
        )),
    }
}

impl Ends {
    /// Sleeps until the sender can send (if `send`) or the receiver can
    /// receive (if `receive`), or `timeout` has passed: poll(2), for
    /// 1thread's non-blocking ends. Returns false if it timed out.
    pub fn wait_until_ready(&self, send: bool, receive: bool, timeout: Option<&Timespec>) -> Result<bool, Errno> {
        let (sender, receiver) = (self.sender.fd(), self.receiver.fd());
        let mut fds = [PollFd::new(&sender, PollFlags::OUT), PollFd::new(&receiver, PollFlags::IN)];
        let watched = match (send, receive) {
            (true, true) => &mut fds[..],
            (true, false) => &mut fds[..1],
            (false, _) => &mut fds[1..],
        };
        rustix::event::poll(watched, timeout).map(|ready| ready > 0)
    }
}
