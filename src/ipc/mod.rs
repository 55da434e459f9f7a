//! The IPC object between the two sides: a pipe (pipe.rs), a UNIX-domain
//! socket pair (local.rs), a loopback TCP connection (tcp.rs), or shared
//! memory (shmem.rs). Each kind opens its two descriptors, or its two sides
//! of a shmem channel; this file makes them the sender's and the receiver's
//! [`End`], sizes and reports the kernel's buffers, and is all that the
//! rest of the program sees of them. For -l's round trips between two
//! sides, each side gets a [`Half`]: a socket end carries both directions,
//! a pipe or a channel one, so a second pipe or channel carries the
//! replies.

mod local;
mod pipe;
mod shmem;
mod tcp;
#[cfg(test)]
mod tests;

pub use shmem::{Channels, Peer};

use rustix::event::{PollFd, PollFlags};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::net::sockopt;
use rustix::time::Timespec;

use crate::args::{Config, IpcType};
use crate::error::Error;
use crate::sys::fd::{self, SocketBuffer};

/// One side's end of the IPC object. The modes move data only through
/// [`End::send`] and [`End::receive`], whatever the kind.
pub enum End<'a> {
    /// A pipe end or a connected stream socket: write(2) sends, read(2)
    /// receives.
    Fd(OwnedFd),
    /// A side of a shared-memory channel: copies in, or out.
    Shmem(shmem::Side<'a>),
}

impl End<'_> {
    /// Sends from the start of `bytes`; returns how many were sent
    /// (write(2)). EAGAIN when a non-blocking end is full.
    #[inline]
    pub fn send(&self, bytes: &[u8]) -> Result<usize, Errno> {
        match self {
            End::Fd(fd) => rustix::io::write(fd, bytes),
            End::Shmem(side) => side.send(bytes),
        }
    }

    /// Receives into the start of `buffer`; returns how many bytes arrived,
    /// 0 at end of file (read(2)). EAGAIN when a non-blocking end is empty.
    #[inline]
    pub fn receive(&self, buffer: &mut [u8]) -> Result<usize, Errno> {
        match self {
            End::Fd(fd) => rustix::io::read(fd, buffer),
            End::Shmem(side) => side.receive(buffer),
        }
    }

    /// The call a failed send names: write, or shmem's futex (or `shmem`
    /// when the receiver was gone).
    #[inline(never)]
    pub fn send_call(&self) -> &'static str {
        match self {
            End::Fd(_) => "write",
            End::Shmem(side) => side.failed_call(),
        }
    }

    /// The call a failed receive names: read, or shmem's futex or waitid
    /// (or `shmem` when the sender was gone).
    #[inline(never)]
    pub fn receive_call(&self) -> &'static str {
        match self {
            End::Fd(_) => "read",
            End::Shmem(side) => side.failed_call(),
        }
    }

    /// After fork(2), in the process that does not use this end: lets go of
    /// its copy. A descriptor is closed; a shared-memory side is not (that
    /// would close the channel for the other process too).
    pub fn drop_copy(self) {
        if let End::Shmem(side) = self {
            core::mem::forget(side);
        }
    }

    /// Across a fork: the other process, which a shared-memory side checks
    /// on while it waits (a descriptor's kernel tells it instead).
    pub fn watch(&mut self, peer: Peer) {
        if let End::Shmem(side) = self {
            side.watch(peer);
        }
    }

    /// -F in a 2proc child: a shared-memory side maps its slot's pages now
    /// (fork copies no page table entry of a shared mapping).
    pub fn touch_pages(&self) {
        if let End::Shmem(side) = self {
            side.touch_pages();
        }
    }

    /// Did the last send or receive fail only because the other side was
    /// gone, which reports itself (or was killed)? (For a descriptor,
    /// SIGPIPE or end of file says so instead.)
    pub fn peer_gone(&self) -> bool {
        matches!(self, End::Shmem(side) if side.peer_gone())
    }

    fn fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            End::Fd(fd) => Some(fd.as_fd()),
            End::Shmem(_) => None,
        }
    }
}

/// The two ends of one IPC object, and what the kernel says about it.
pub struct Ends<'a> {
    pub sender: End<'a>,
    pub receiver: End<'a>,
    /// The TCP port actually used (the kernel's pick for `-p 0`); 0 otherwise.
    pub port: u16,
    /// (writer, reader) kernel buffer sizes, asked for with -v and -j; None
    /// where the OS cannot tell.
    pub kernel_buffers: Option<(usize, usize)>,
    /// -l between two sides over a one-way kind (a pipe, shmem): a second
    /// object for the replies, (its sender, its receiver). None for
    /// sockets, whose two ends each carry both directions.
    pub replies: Option<(End<'a>, End<'a>)>,
}

/// What one side of the loop holds: the end it sends on and the end it
/// receives on, which are one end for a socket (and for the one-way sides
/// of bandwidth).
pub enum Half<'a> {
    One(End<'a>),
    /// Sends on the first, receives on the second.
    Two(End<'a>, End<'a>),
}

impl<'a> Half<'a> {
    pub fn sending(&self) -> &End<'a> {
        match self {
            Half::One(end) | Half::Two(end, _) => end,
        }
    }

    pub fn receiving(&self) -> &End<'a> {
        match self {
            Half::One(end) | Half::Two(_, end) => end,
        }
    }

    /// After fork(2), in the process that does not use this half: lets go
    /// of its copies ([`End::drop_copy`]).
    pub fn drop_copy(self) {
        match self {
            Half::One(end) => end.drop_copy(),
            Half::Two(sending, receiving) => {
                sending.drop_copy();
                receiving.drop_copy();
            }
        }
    }

    /// Across a fork: both ends watch the other process ([`End::watch`]).
    pub fn watch(&mut self, peer: Peer) {
        match self {
            Half::One(end) => end.watch(peer),
            Half::Two(sending, receiving) => {
                sending.watch(peer);
                receiving.watch(peer);
            }
        }
    }

    /// Did this side fail only because the other side was gone
    /// ([`End::peer_gone`])?
    pub fn peer_gone(&self) -> bool {
        self.sending().peer_gone() || self.receiving().peer_gone()
    }

    /// -F in a 2proc child: both ends map their slots' pages now
    /// ([`End::touch_pages`]).
    pub fn touch_pages(&self) {
        match self {
            Half::One(end) => end.touch_pages(),
            Half::Two(sending, receiving) => {
                sending.touch_pages();
                receiving.touch_pages();
            }
        }
    }
}

/// Maps shmem's channels (None for the other kinds): made before the ends,
/// which borrow them, and in 2proc before the fork. With `replies` (-l
/// between two sides), a second channel carries the replies.
#[inline(never)] // out of line: a smaller binary
pub fn channels(config: &Config, replies: bool) -> Result<Option<Channels>, Error> {
    match config.ipc {
        IpcType::Shmem => Channels::open(config, replies).map(Some),
        _ => Ok(None),
    }
}

/// Opens the IPC object of `config`: the sides of `channels` if there are
/// any. With `nonblocking` (1thread), both ends are non-blocking from the
/// start, which costs no extra system call. With `replies` (-l between two
/// sides), a pipe gets a second one for them (shmem's second channel is
/// already in `channels`).
#[inline(never)] // out of line: a smaller binary
pub fn open<'a>(
    config: &Config,
    nonblocking: bool,
    replies: bool,
    channels: Option<&'a Channels>,
) -> Result<Ends<'a>, Error> {
    if let Some(channels) = channels {
        let (sender, receiver) = channels.there.sides(nonblocking);
        let replies = channels.back.as_ref().map(|back| {
            let (sender, receiver) = back.sides(nonblocking);
            (End::Shmem(sender), End::Shmem(receiver))
        });
        let (sender, receiver) = (End::Shmem(sender), End::Shmem(receiver));
        return Ok(Ends { sender, receiver, port: 0, kernel_buffers: None, replies });
    }
    let (reader, writer, port) = open_object(config, nonblocking)?;
    let kernel_buffers =
        if config.verbose || config.json { kernel_buffer_sizes(config.ipc, &reader, &writer) } else { None };
    let replies = match config.ipc {
        IpcType::Pipe if replies => {
            let (reader, writer, _) = open_object(config, nonblocking)?;
            Some((End::Fd(writer), End::Fd(reader)))
        }
        _ => None,
    };
    Ok(Ends { sender: End::Fd(writer), receiver: End::Fd(reader), port, kernel_buffers, replies })
}

/// One object of the kind `config` asks for (not shmem's), sized with -s:
/// (reader, writer, the TCP port used).
fn open_object(config: &Config, nonblocking: bool) -> Result<(OwnedFd, OwnedFd, u16), Error> {
    let (reader, writer, port) = match config.ipc {
        IpcType::Pipe => pipe::open(nonblocking)?,
        IpcType::Local => local::open(nonblocking)?,
        IpcType::Tcp => tcp::open(config.port, nonblocking)?,
        IpcType::Shmem => return Err(Error::os("mmap", Errno::INVAL)),
    };
    if config.size_kernel_buffers {
        size_kernel_buffers(config, &reader, &writer)?;
    }
    Ok((reader, writer, port))
}

/// -s: the pipe's capacity, or SO_SNDBUF on the writer and SO_RCVBUF on the
/// reader.
fn size_kernel_buffers(config: &Config, reader: &OwnedFd, writer: &OwnedFd) -> Result<(), Error> {
    let size = config.buffer_size;
    match config.ipc {
        IpcType::Pipe => pipe::set_capacity(writer, size),
        _ => {
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
        _ => Some((
            fd::socket_buffer_size(writer, SocketBuffer::Send).ok()?,
            fd::socket_buffer_size(reader, SocketBuffer::Receive).ok()?,
        )),
    }
}

impl<'a> Ends<'a> {
    /// The two sides' halves: (the sender side's, the receiver side's). For
    /// bandwidth, the writer and the reader. For -l, where the receiver
    /// side starts each round trip and the sender side echoes it: over a
    /// socket each keeps its end for both directions; over pipes or shmem's
    /// channels the initiator sends on the first and hears back on the
    /// second, the echoer the other way round.
    #[inline(never)] // out of line: two callers, and the ends are large to move
    pub fn into_halves(self) -> (Half<'a>, Half<'a>) {
        match self.replies {
            Some((reply_sender, reply_receiver)) => {
                (Half::Two(reply_sender, self.receiver), Half::Two(self.sender, reply_receiver))
            }
            None => (Half::One(self.sender), Half::One(self.receiver)),
        }
    }

    /// Sleeps until the sender can send (if `send`) or the receiver can
    /// receive (if `receive`), or `timeout` has passed: poll(2), for
    /// 1thread's non-blocking ends. Returns false if it timed out. (A
    /// shared-memory slot is always either empty or full, so one of the two
    /// can always move: it never waits.)
    pub fn wait_until_ready(&self, send: bool, receive: bool, timeout: Option<&Timespec>) -> Result<bool, Errno> {
        let (Some(sender), Some(receiver)) = (self.sender.fd(), self.receiver.fd()) else { return Ok(true) };
        let mut fds = [PollFd::new(&sender, PollFlags::OUT), PollFd::new(&receiver, PollFlags::IN)];
        let watched = match (send, receive) {
            (true, true) => &mut fds[..],
            (true, false) => &mut fds[..1],
            (false, _) => &mut fds[1..],
        };
        rustix::event::poll(watched, timeout).map(|ready| ready > 0)
    }
}
