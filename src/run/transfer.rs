//! Bandwidth: what each side does between the stamps. The sender writes the
//! total in whole buffers, the receiver reads until all of it has arrived;
//! in 1thread one thread does both, interleaved. Every byte moves through
//! [`End::send`] and [`End::receive`], whatever the IPC kind.

use rustix::io::Errno;

use crate::error::{Cause, Error};
use crate::ipc::{End, Ends};

/// Writes `total` bytes in whole buffers, continuing short writes and
/// retrying EINTR.
#[inline(never)] // out of line: a smaller binary
pub fn send(sender: &End, buffer: &[u8], total: u64) -> Result<(), Error> {
    let mut sent = 0u64;
    while sent < total {
        let block = (total - sent).min(buffer.len() as u64) as usize;
        let mut done = 0;
        while done < block {
            match sender.send(&buffer[done..block]) {
                Ok(0) => return Err(Error::io(sender.send_call(), Cause::Errno(Errno::IO), sent, total)),
                Ok(n) => {
                    done += n;
                    sent += n as u64;
                }
                Err(Errno::INTR) => {}
                Err(e) => return Err(Error::io(sender.send_call(), Cause::Errno(e), sent, total)),
            }
        }
    }
    Ok(())
}

/// Reads until `total` bytes have arrived, each read at offset
/// `received % buffersize` so short reads use the rest of the buffer.
#[inline(never)] // out of line: a smaller binary
pub fn receive(receiver: &End, buffer: &mut [u8], total: u64) -> Result<(), Error> {
    let size = buffer.len() as u64;
    let mut received = 0u64;
    while received < total {
        let offset = (received % size) as usize;
        match receiver.receive(&mut buffer[offset..]) {
            Ok(0) => return Err(Error::io(receiver.receive_call(), Cause::EndOfFile, received, total)),
            Ok(n) => received += n as u64,
            Err(Errno::INTR) => {}
            Err(e) => return Err(Error::io(receiver.receive_call(), Cause::Errno(e), received, total)),
        }
    }
    Ok(())
}

/// One thread, both ends non-blocking: write what fits, read what arrived,
/// and when neither moved, sleep in poll(2) until one can. (The lab's
/// select() call passed the wrong nfds and never rebuilt its sets.)
pub fn send_and_receive(ends: &Ends, receive_buffer: &mut [u8], send_buffer: &[u8], total: u64) -> Result<(), Error> {
    let size = send_buffer.len() as u64;
    let (mut sent, mut received) = (0u64, 0u64);
    while received < total {
        let mut progress = false;
        if sent < total {
            // Whole buffers: the rest of the current block, after a short write.
            let offset = (sent % size) as usize;
            let end = offset + (total - sent).min(size - offset as u64) as usize;
            match ends.sender.send(send_buffer.get(offset..end).unwrap_or_default()) {
                Ok(n) if n > 0 => {
                    sent += n as u64;
                    progress = true;
                }
                Ok(_) => return Err(Error::io(ends.sender.send_call(), Cause::Errno(Errno::IO), sent, total)),
                Err(Errno::AGAIN) => {}
                Err(Errno::INTR) => progress = true,
                Err(e) => return Err(Error::io(ends.sender.send_call(), Cause::Errno(e), sent, total)),
            }
        }
        if received < sent {
            let offset = (received % size) as usize;
            match ends.receiver.receive(&mut receive_buffer[offset..]) {
                Ok(0) => return Err(Error::io(ends.receiver.receive_call(), Cause::EndOfFile, received, total)),
                Ok(n) => {
                    received += n as u64;
                    progress = true;
                }
                Err(Errno::AGAIN) => {}
                Err(Errno::INTR) => progress = true,
                Err(e) => return Err(Error::io(ends.receiver.receive_call(), Cause::Errno(e), received, total)),
            }
        }
        if !progress {
            match ends.wait_until_ready(sent < total, received < sent) {
                Ok(()) | Err(Errno::INTR) => {}
                Err(e) => return Err(Error::io("poll", Cause::Errno(e), received, total)),
            }
        }
    }
    Ok(())
}
