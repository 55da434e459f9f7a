//! A UNIX-domain stream socket pair (socketpair(2)).

use rustix::fd::OwnedFd;
use rustix::net::{AddressFamily, SocketFlags, SocketType};

use crate::error::Error;

/// Opens a connected pair: (reader, writer, no port).
pub fn open(nonblocking: bool) -> Result<(OwnedFd, OwnedFd, u16), Error> {
    let flags = if nonblocking { SocketFlags::NONBLOCK } else { SocketFlags::empty() };
    let (reader, writer) = rustix::net::socketpair(AddressFamily::UNIX, SocketType::STREAM, flags, None)
        .map_err(|e| Error::os("socketpair", e))?;
    Ok((reader, writer, 0))
}
