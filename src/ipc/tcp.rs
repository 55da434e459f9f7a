//! A TCP connection over loopback: listen, connect, accept our own
//! connection.

use core::net::{Ipv4Addr, SocketAddrV4};

use rustix::event::{PollFd, PollFlags};
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::net::{self, sockopt, AddressFamily, SocketFlags, SocketType};
use rustix::time::Timespec;

use crate::error::{Cause, Error, Odd};
use crate::sys::fd;

/// How long to wait for a connection: our own arrives in microseconds, or
/// after one SYN retransmission (a second) if strangers filled the queue.
const ACCEPT_WAIT: Timespec = Timespec { tv_sec: 3, tv_nsec: 0 };

/// How many connections to accept, at most, before ours: more than the
/// listen backlog, so a queue full of strangers is emptied.
const ACCEPTS: usize = 16;
const BACKLOG: i32 = 8;

/// Listens on 127.0.0.1:port (never another address), connects the reader
/// non-blocking, accepts the writer, restores blocking, closes the listener.
/// Returns (reader, writer, the port used: the kernel's pick for port 0).
///
/// Anyone on the machine can connect to the port between our listen and our
/// connect. The accepted connection must come from the reader's own address
/// (getsockname); any other is closed unread, and the wait goes on.
#[inline(never)] // out of line: a smaller binary
pub fn open(port: u16, nonblocking: bool) -> Result<(OwnedFd, OwnedFd, u16), Error> {
    // Non-blocking: accept only runs once poll has seen a connection, and
    // one that vanished in between is waited for again.
    let listener =
        fd::socket(AddressFamily::INET, SocketType::STREAM, SocketFlags::NONBLOCK).map_err(|e| Error::os("socket", e))?;
    sockopt::set_socket_reuseaddr(&listener, true).map_err(|e| Error::os("setsockopt SO_REUSEADDR", e))?;
    let address = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    net::bind(&listener, &address).map_err(|e| Error::os("bind", e).at_port(port))?;
    let port = if port == 0 { bound_port(&listener)? } else { port };
    net::listen(&listener, BACKLOG).map_err(|e| Error::os("listen", e).at_port(port))?;

    let reader =
        fd::socket(AddressFamily::INET, SocketType::STREAM, SocketFlags::NONBLOCK).map_err(|e| Error::os("socket", e))?;
    let target = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    match net::connect(&reader, &target) {
        Ok(()) | Err(Errno::INPROGRESS) => {}
        Err(e) => return Err(Error::os("connect", e).at_port(port)),
    }
    let own = fd::local_address(&reader).map_err(|e| Error::os("getsockname", e))?;
    let accept_flags = if nonblocking { SocketFlags::NONBLOCK } else { SocketFlags::empty() };
    let writer = accept_own(&listener, own, accept_flags).map_err(|e| e.at_port(port))?;
    if !nonblocking {
        rustix::io::ioctl_fionbio(&reader, false).map_err(|e| Error::os("ioctl FIONBIO", e))?;
    }
    drop(listener);
    Ok((reader, writer, port))
}

/// Accepts the connection that comes from `own`, closing others unread:
/// each wait for one is bounded by ACCEPT_WAIT, and their number by ACCEPTS.
fn accept_own(listener: &OwnedFd, own: SocketAddrV4, flags: SocketFlags) -> Result<OwnedFd, Error> {
    let mut strangers = 0;
    let mut last = Errno::TIMEDOUT;
    for _ in 0..ACCEPTS {
        let mut waiting = [PollFd::new(listener, PollFlags::IN)];
        match rustix::event::poll(&mut waiting, Some(&ACCEPT_WAIT)) {
            Ok(0) => return Err(Error::os("accept", Errno::TIMEDOUT)),
            // Interrupted: the connection may be there already; accept says.
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(Error::os("poll", e)),
        }
        match fd::accept_from(listener, flags) {
            Ok((writer, Some(peer))) if peer == own => return Ok(writer),
            // A stranger's connection (or one whose address the kernel did
            // not give): closed as it is dropped here.
            Ok(_) => strangers += 1,
            Err(e @ (Errno::AGAIN | Errno::INTR | Errno::CONNABORTED)) => last = e,
            Err(e) => return Err(Error::os("accept", e)),
        }
    }
    let cause = if strangers > 0 { Cause::Odd(Odd::OnlyStrangers) } else { Cause::Errno(last) };
    Err(Error { cause, ..Error::os("accept", last) })
}

/// The port the kernel picked for `-p 0`.
fn bound_port(listener: &OwnedFd) -> Result<u16, Error> {
    match fd::local_address(listener).map_err(|e| Error::os("getsockname", e))?.port() {
        0 => Err(Error::os("getsockname", Errno::INVAL)),
        port => Ok(port),
    }
}
