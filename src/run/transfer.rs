//! Bandwidth: what each side does between the stamps. The sender writes the
//! total in whole buffers, the receiver reads until all of it has arrived;
//! in 1thread one thread does both, interleaved. Every byte moves through
//! [`End::send`] and [`End::receive`], whatever the IPC kind.
//!
//! The kernel's byte counts are checked, not trusted: a read or write that
//! returns more than it was asked for, or (1thread) more bytes read than
//! were written, is an I/O error.

use rustix::io::Errno;
use rustix::time::Timespec;

use crate::error::{Cause, Error, Odd};
use crate::ipc::{End, Ends};

/// A count larger than the call was asked for.
const TOO_MANY: Cause = Cause::Odd(Odd::MoreThanAsked);

/// 1thread: how long to wait for bytes still in flight once every byte has
/// been written. Only loopback TCP has any (for microseconds, or a
/// retransmission's fraction of a second); a pipe or a socket pair holds
/// them all when write returns.
const IN_FLIGHT_WAIT: Timespec = Timespec { tv_sec: 2, tv_nsec: 0 };

/// Writes `total` bytes in whole buffers, continuing short writes and
/// retrying EINTR.
#[inline(never)] // out of line: a smaller binary
pub fn send(sender: &End, buffer: &[u8], total: u64) -> Result<(), Error> {
    let mut sent = 0u64;
    while sent < total {
        let block = (total - sent).min(buffer.len() as u64) as usize;
        let mut done = 0;
        while done < block {
            let asked = buffer.get(done..block).unwrap_or_default();
            match sender.send(asked) {
                Ok(0) => return Err(Error::io(sender.send_call(), Cause::Errno(Errno::IO), sent, total)),
                Ok(n) if n > asked.len() => return Err(Error::io(sender.send_call(), TOO_MANY, sent, total)),
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
        let asked = buffer.get_mut((received % size) as usize..).unwrap_or_default();
        let room = asked.len();
        match receiver.receive(asked) {
            Ok(0) => return Err(Error::io(receiver.receive_call(), Cause::EndOfFile, received, total)),
            Ok(n) if n > room => return Err(Error::io(receiver.receive_call(), TOO_MANY, received, total)),
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
///
/// This thread is the only writer, so it knows what can still arrive: never
/// more than it wrote, and once everything is written, nothing after a
/// wait of [`IN_FLIGHT_WAIT`] in which nothing came.
pub fn send_and_receive(ends: &Ends, receive_buffer: &mut [u8], send_buffer: &[u8], total: u64) -> Result<(), Error> {
    let size = send_buffer.len() as u64;
    let (mut sent, mut received) = (0u64, 0u64);
    let mut waited_in_vain = false;
    // received <= sent <= total throughout (both checked), so the loop ends
    // with every byte written and read.
    while received < total {
        let mut progress = false;
        if sent < total {
            // Whole buffers: the rest of the current block, after a short write.
            let offset = (sent % size) as usize;
            let end = offset + (total - sent).min(size - offset as u64) as usize;
            let asked = send_buffer.get(offset..end).unwrap_or_default();
            match ends.sender.send(asked) {
                Ok(n) if n > asked.len() => return Err(Error::io(ends.sender.send_call(), TOO_MANY, sent, total)),
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
            let asked = receive_buffer.get_mut((received % size) as usize..).unwrap_or_default();
            let room = asked.len();
            match ends.receiver.receive(asked) {
                Ok(0) => return Err(Error::io(ends.receiver.receive_call(), Cause::EndOfFile, received, total)),
                Ok(n) if n > room => return Err(Error::io(ends.receiver.receive_call(), TOO_MANY, received, total)),
                Ok(n) if n as u64 > sent - received => {
                    return Err(Error::io(ends.receiver.receive_call(), Cause::Odd(Odd::MoreThanWritten), received, total))
                }
                Ok(n) => {
                    received += n as u64;
                    progress = true;
                    waited_in_vain = false;
                }
                Err(Errno::AGAIN) if waited_in_vain => {
                    return Err(Error::io(ends.receiver.receive_call(), Cause::Odd(Odd::NothingInFlight), received, total))
                }
                Err(Errno::AGAIN) => {}
                Err(Errno::INTR) => progress = true,
                Err(e) => return Err(Error::io(ends.receiver.receive_call(), Cause::Errno(e), received, total)),
            }
        }
        if !progress {
            // With everything written, only bytes in flight can come: wait
            // for them for a while, not forever (a SIGSTOP that outlasts the
            // wait is harmless: the read that follows finds what came).
            let all_sent = sent == total;
            let timeout = if all_sent { Some(&IN_FLIGHT_WAIT) } else { None };
            match ends.wait_until_ready(!all_sent, received < sent, timeout) {
                Ok(ready) => waited_in_vain = !ready,
                Err(Errno::INTR) => {}
                Err(e) => return Err(Error::io("poll", Cause::Errno(e), received, total)),
            }
        }
    }
    Ok(())
}
