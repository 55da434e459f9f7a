//! A TCP connection over loopback: listen, connect, accept.

use core::net::{Ipv4Addr, SocketAddrV4};

use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::net::{self, sockopt, AddressFamily, SocketFlags, SocketType};

use crate::error::Error;
use crate::sys::fd;

/// Listens on 127.0.0.1:port (never another address), connects the reader
/// non-blocking, accepts the writer, restores blocking, closes the listener.
/// Returns (reader, writer, the port used: the kernel's pick for port 0).
pub fn open(port: u16, nonblocking: bool) -> Result<(OwnedFd, OwnedFd, u16), Error> {
    let listener =
        fd::socket(AddressFamily::INET, SocketType::STREAM, SocketFlags::empty()).map_err(|e| Error::os("socket", e))?;
    sockopt::set_socket_reuseaddr(&listener, true).map_err(|e| Error::os("setsockopt SO_REUSEADDR", e))?;
    let address = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    net::bind(&listener, &address).map_err(|e| Error::os("bind", e).at_port(port))?;
    let port = if port == 0 { bound_port(&listener)? } else { port };
    net::listen(&listener, 1).map_err(|e| Error::os("listen", e).at_port(port))?;

    let reader =
        fd::socket(AddressFamily::INET, SocketType::STREAM, SocketFlags::NONBLOCK).map_err(|e| Error::os("socket", e))?;
    let target = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    match net::connect(&reader, &target) {
        Ok(()) | Err(Errno::INPROGRESS) => {}
        Err(e) => return Err(Error::os("connect", e).at_port(port)),
    }
    let accept_flags = if nonblocking { SocketFlags::NONBLOCK } else { SocketFlags::empty() };
    let writer = loop {
        match fd::accept(&listener, accept_flags) {
            Ok(fd) => break fd,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(Error::os("accept", e).at_port(port)),
        }
    };
    if !nonblocking {
        rustix::io::ioctl_fionbio(&reader, false).map_err(|e| Error::os("ioctl FIONBIO", e))?;
    }
    drop(listener);
    Ok((reader, writer, port))
}

fn bound_port(listener: &OwnedFd) -> Result<u16, Error> {
    let address = net::getsockname(listener).map_err(|e| Error::os("getsockname", e))?;
    let address = SocketAddrV4::try_from(address).map_err(|e| Error::os("getsockname", e))?;
    Ok(address.port())
}
