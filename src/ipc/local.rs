//! A UNIX-domain stream socket pair (socketpair(2)).

use rustix::fd::OwnedFd;
use rustix::net::SocketFlags;

use crate::error::Error;

/// Opens a connected pair: (reader, writer, no port).
pub fn open(nonblocking: bool) -> Result<(OwnedFd, OwnedFd, u16), Error> {
    let flags = if nonblocking { SocketFlags::NONBLOCK } else { SocketFlags::empty() };
    let (reader, writer) = crate::sys::fd::stream_socket_pair(flags).map_err(|e| Error::os("socketpair", e))?;
    Ok((reader, writer, 0))
}
