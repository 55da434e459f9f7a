//! A pipe (pipe(2)): the reader and the writer end.

use rustix::fd::{AsFd, OwnedFd};
use rustix::pipe::PipeFlags;

use crate::error::Error;

/// Opens a pipe: (reader, writer, no port).
pub fn open(nonblocking: bool) -> Result<(OwnedFd, OwnedFd, u16), Error> {
    let flags = if nonblocking { PipeFlags::NONBLOCK } else { PipeFlags::empty() };
    let (reader, writer) = crate::sys::fd::pipe(flags).map_err(|e| Error::os("pipe", e))?;
    Ok((reader, writer, 0))
}

/// -s: the pipe's capacity (F_SETPIPE_SZ, fcntl(2); the kernel rounds it up
/// to a power-of-two number of pages and caps it at
/// /proc/sys/fs/pipe-max-size).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn set_capacity(fd: impl AsFd, size: usize) -> Result<(), Error> {
    rustix::pipe::fcntl_setpipe_size(fd, size).map(|_| ()).map_err(|e| Error::os("fcntl F_SETPIPE_SZ", e))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn set_capacity(_fd: impl AsFd, _size: usize) -> Result<(), Error> {
    // The parser refuses -s with a pipe where PIPES_CAN_BE_SIZED is false.
    Err(Error::os("-s with a pipe", rustix::io::Errno::NOSYS))
}

/// The pipe's capacity (F_GETPIPE_SZ); None where the OS cannot tell.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn capacity(fd: impl AsFd) -> Option<usize> {
    rustix::pipe::fcntl_getpipe_size(fd).ok()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn capacity(_fd: impl AsFd) -> Option<usize> {
    None
}
