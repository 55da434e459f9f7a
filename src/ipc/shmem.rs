//! Shared memory (the 2023 lab's `shmem`): one slot of `buffersize` bytes
//! that the sender copies a block into and the receiver copies it out of, in
//! turn, with no kernel copy: the only system calls are futex waits and
//! wakes, made only when a side must wait (sys/slot.rs). A [`Channel`] is
//! one direction: one slot and its words; -l's round trips between two
//! sides use two ([`Channels`]).
//!
//! A side that waits never waits blind: every RECHECK it looks at the slot
//! again (a wake lost to a failed futex call costs that much, never a hang),
//! and across a fork it looks at whether the other process still exists
//! ([`Peer`]): the parent's sides ask waitid(2) whether the child has exited
//! (the child cannot tell it, if it was killed), the child's whether its
//! parent is still its parent (getppid(2)). Two threads need no such look:
//! a side's every way out closes its ends, which wakes the other, and a
//! signal ends both.

use core::cell::Cell;

use rustix::io::Errno;
use rustix::process::Pid;
use rustix::time::Timespec;

use crate::args::{Config, Mode};
use crate::error::Error;
use crate::sys::slot::{Role, Slot, Wait};

/// How long a side sleeps before it looks again.
const RECHECK: Timespec = Timespec { tv_sec: 0, tv_nsec: 100_000_000 };

/// One direction of shared memory: a slot, private for two threads, or
/// shared (MAP_SHARED) with the 2proc child, which is forked after it.
pub struct Channel {
    slot: Slot,
    /// The process that mapped a shared slot: the parent the child watches.
    creator: Option<Pid>,
}

impl Channel {
    pub fn open(config: &Config) -> Result<Channel, Error> {
        let shared = config.mode == Mode::TwoProc;
        Channel::made_by(config, shared.then(rustix::process::getpid))
    }

    /// A second channel like this one (-l's replies), without asking for
    /// the process id again.
    fn twin(&self, config: &Config) -> Result<Channel, Error> {
        Channel::made_by(config, self.creator)
    }

    /// A channel shared with a child of `creator`, or private to it.
    fn made_by(config: &Config, creator: Option<Pid>) -> Result<Channel, Error> {
        let slot = Slot::new(config.buffer_size, creator.is_some()).map_err(|e| Error::os("mmap", e))?;
        Ok(Channel { slot, creator })
    }

    /// The slot's bytes, before any side uses them (-F touches them).
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        self.slot.bytes_mut()
    }

    /// The sender's side and the receiver's; `nonblocking` (1thread): a
    /// side that would have to wait gets EAGAIN instead.
    pub fn sides(&self, nonblocking: bool) -> (Side<'_>, Side<'_>) {
        let side = |role| Side { channel: self, role, nonblocking, peer: None, failed: Cell::new(None) };
        (side(Role::Putter), side(Role::Taker))
    }
}

/// The channels of a run: one per direction that carries data. Bandwidth
/// and 1thread use one; -l between two sides a second for the replies.
pub struct Channels {
    /// The sender's blocks to the receiver, or with -l the initiator's
    /// buffers to the echoer.
    pub there: Channel,
    /// -l between two sides: the echoer's replies.
    pub back: Option<Channel>,
}

impl Channels {
    pub fn open(config: &Config, replies: bool) -> Result<Channels, Error> {
        let there = Channel::open(config)?;
        let back = if replies { Some(there.twin(config)?) } else { None };
        Ok(Channels { there, back })
    }

    /// Every channel's bytes, before any side uses them (-F touches them).
    pub fn bytes_mut(&mut self) -> impl Iterator<Item = &mut [u8]> {
        core::iter::once(self.there.bytes_mut()).chain(self.back.as_mut().map(Channel::bytes_mut))
    }
}

/// The other process of a 2proc run, which a side watches while it waits.
#[derive(Clone, Copy)]
pub enum Peer {
    Child(Pid),
    Parent,
}

/// The call a side's failure names when no call failed: the other side
/// closed, or its process is gone (else futex or waitid).
const GONE: &str = "shmem";

/// One side of a channel: it copies in (the putter) or out (the taker).
/// Dropping it closes the channel for the other side, which stops at once.
pub struct Side<'a> {
    channel: &'a Channel,
    role: Role,
    nonblocking: bool,
    peer: Option<Watched>,
    /// The call its last failure names (None: none failed yet).
    failed: Cell<Option<&'static str>>,
}

enum Watched {
    Child(Pid),
    Parent(Pid),
}

impl Side<'_> {
    /// Puts the start of `bytes` into the slot once it is empty: the
    /// sender's write. EPIPE once the receiver is gone.
    #[inline(never)] // out of line: End::send inlines a descriptor's write
    pub fn send(&self, bytes: &[u8]) -> Result<usize, Errno> {
        loop {
            match self.channel.slot.put(bytes, self.wait()) {
                Err(Errno::TIMEDOUT) if self.peer_alive()? => {}
                Err(Errno::TIMEDOUT) => return self.failed(Errno::PIPE),
                Err(e) => return self.failed(e),
                Ok(n) => return Ok(n),
            }
        }
    }

    /// Takes what the slot holds once it is full: the receiver's read. 0
    /// once the sender is gone and nothing is left.
    #[inline(never)] // out of line: End::receive inlines a descriptor's read
    pub fn receive(&self, buffer: &mut [u8]) -> Result<usize, Errno> {
        loop {
            match self.channel.slot.take(buffer, self.wait()) {
                Err(Errno::TIMEDOUT) if self.peer_alive()? => {}
                // Gone, perhaps right after its last block.
                Err(Errno::TIMEDOUT) => match self.channel.slot.take(buffer, None) {
                    Err(Errno::AGAIN) => return self.ended(),
                    Err(e) => return self.failed(e),
                    Ok(n) => return Ok(n),
                },
                Err(e) => return self.failed(e),
                Ok(0) if !buffer.is_empty() => return self.ended(),
                Ok(n) => return Ok(n),
            }
        }
    }

    /// Across a fork: the other process to watch while waiting.
    pub fn watch(&mut self, peer: Peer) {
        self.peer = match (peer, self.channel.creator) {
            (Peer::Child(child), _) => Some(Watched::Child(child)),
            (Peer::Parent, Some(parent)) => Some(Watched::Parent(parent)),
            (Peer::Parent, None) => None,
        };
    }

    /// -F in a forked child: maps the slot's pages before the start stamp.
    pub fn touch_pages(&self) {
        self.channel.slot.touch_pages();
    }

    /// The call that failed, for messages: futex or waitid, or `shmem` when
    /// the other side was gone.
    pub fn failed_call(&self) -> &'static str {
        self.failed.get().unwrap_or(GONE)
    }

    /// Did the last send or receive fail because the other side is gone
    /// (its own failure, which it reports itself, or its death)? Not
    /// before one failed.
    pub fn peer_gone(&self) -> bool {
        self.failed.get() == Some(GONE)
    }

    fn wait(&self) -> Wait {
        (!self.nonblocking).then_some(RECHECK)
    }

    /// End of file: the sender closed, or its process is gone.
    fn ended(&self) -> Result<usize, Errno> {
        self.failed.set(Some(GONE));
        Ok(0)
    }

    fn failed(&self, errno: Errno) -> Result<usize, Errno> {
        // EAGAIN (1thread's full or empty slot) is no failure.
        if errno != Errno::AGAIN {
            self.failed.set(Some(if errno == Errno::PIPE { GONE } else { "futex" }));
        }
        Err(errno)
    }

    /// After a wait timed out: does the other process still exist?
    fn peer_alive(&self) -> Result<bool, Errno> {
        match self.peer {
            None => Ok(true),
            Some(Watched::Parent(parent)) => Ok(rustix::process::getppid() == Some(parent)),
            Some(Watched::Child(child)) => {
                match crate::sys::process::has_ended(child) {
                    Ok(ended) => Ok(!ended),
                    Err(Errno::INTR) => Ok(true),
                    Err(e) => {
                        self.failed.set(Some("waitid"));
                        Err(e)
                    }
                }
            }
        }
    }
}

impl Drop for Side<'_> {
    fn drop(&mut self) {
        self.channel.slot.close(self.role);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{parse, Command};
    use crate::sys::process::{self, Forked};

    fn channel(args: &[&str]) -> Channel {
        match parse(args.iter().map(|a| a.as_bytes())) {
            Ok(Command::Run(config)) => Channel::open(&config).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    /// Every byte differs from its neighbours and from the same offset in
    /// the other blocks: a byte moved to the wrong place shows.
    fn pattern(total: usize) -> Vec<u8> {
        (0..total).map(|i| (i % 251) as u8 ^ (i / 4093) as u8).collect()
    }

    /// Sends `source` in blocks of `block` bytes, as the sender does.
    fn send_all(sender: &Side<'_>, source: &[u8], block: usize) -> Result<(), Errno> {
        for chunk in source.chunks(block) {
            let mut done = 0;
            while done < chunk.len() {
                done += sender.send(&chunk[done..])?;
            }
        }
        Ok(())
    }

    /// Receives `total` bytes through a buffer of `size` bytes, keeping all.
    fn receive_all(receiver: &Side<'_>, total: usize, size: usize) -> Vec<u8> {
        let (mut got, mut buffer) = (Vec::with_capacity(total), vec![0u8; size]);
        while got.len() < total {
            match receiver.receive(&mut buffer) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buffer[..n]),
                Err(e) => panic!("receive: {e:?} after {} bytes", got.len()),
            }
        }
        got
    }

    #[test]
    fn patterned_blocks_arrive_intact_between_two_threads() {
        // An odd block size, and receive buffers smaller than, equal to and
        // larger than a block: partial takes must continue where they left.
        let (block, blocks) = (4093, 300);
        let source = pattern(block * blocks);
        for size in [1000, block, 3 * block] {
            let channel = channel(&["-i", "shmem", "-b", "4093", "-t", &(block * blocks).to_string(), "2thread"]);
            let (sender, receiver) = channel.sides(false);
            let got = std::thread::scope(|s| {
                let source = &source;
                let sending = s.spawn(move || send_all(&sender, source, block));
                let got = receive_all(&receiver, source.len(), size);
                assert_eq!(sending.join().unwrap(), Ok(()));
                got
            });
            assert_eq!(got.len(), source.len(), "receive buffer {size}");
            let first_bad = got.iter().zip(&source).position(|(a, b)| a != b);
            assert_eq!(first_bad, None, "receive buffer {size}: first wrong byte");
        }
    }

    #[test]
    fn patterned_blocks_arrive_intact_across_a_fork() {
        let (block, blocks) = (65536, 64);
        let source = pattern(block * blocks);
        let channel = channel(&["-i", "shmem", "-b", "64k", "-t", "4m", "2proc"]);
        let (mut sender, mut receiver) = channel.sides(false);
        match process::fork().unwrap() {
            Forked::Child => {
                // Raw system calls only: the test harness has other threads.
                core::mem::forget(receiver);
                sender.watch(Peer::Parent);
                process::exit(if send_all(&sender, &source, block).is_ok() { 0 } else { 1 })
            }
            Forked::Parent(child) => {
                core::mem::forget(sender);
                receiver.watch(Peer::Child(child));
                let got = receive_all(&receiver, source.len(), block);
                // (wait_for: the child signals nothing, so waitpid without
                // __WCLONE does not see it.)
                assert_eq!(process::wait_for(child), Ok(process::ChildEnd::Exited(0)));
                assert_eq!(got.len(), source.len());
                assert_eq!(got.iter().zip(&source).position(|(a, b)| a != b), None, "first wrong byte");
            }
        }
    }

    #[test]
    fn a_side_that_closes_stops_the_other() {
        let channel = channel(&["-i", "shmem", "-b", "4", "-t", "8", "2thread"]);
        let (sender, receiver) = channel.sides(false);
        assert_eq!(sender.send(b"abcdef"), Ok(4), "at most a block");
        drop(sender);
        // What was put before the close still arrives, then end of file.
        let mut buffer = [0u8; 8];
        assert_eq!(receiver.receive(&mut buffer), Ok(4));
        assert_eq!(&buffer[..4], b"abcd");
        assert_eq!(receiver.receive(&mut buffer), Ok(0));
        assert_eq!(receiver.failed_call(), "shmem");

        let channel = self::channel(&["-i", "shmem", "-b", "4", "-t", "8", "2thread"]);
        let (sender, receiver) = channel.sides(false);
        assert_eq!(sender.send(b"abcd"), Ok(4));
        std::thread::scope(|s| {
            // The sender sleeps on a full slot until the receiver closes.
            let blocked = s.spawn(move || (sender.send(b"efgh"), sender.peer_gone()));
            std::thread::sleep(std::time::Duration::from_millis(50));
            drop(receiver);
            assert_eq!(blocked.join().unwrap(), (Err(Errno::PIPE), true));
        });
    }

    #[test]
    fn touching_the_pages_leaves_the_slot_as_it_was() {
        let channel = channel(&["-i", "shmem", "-b", "8k", "-t", "16k", "2proc"]);
        let (sender, receiver) = channel.sides(true);
        sender.touch_pages();
        let mut buffer = [0u8; 8192];
        assert_eq!(receiver.receive(&mut buffer), Err(Errno::AGAIN), "still empty");
        assert_eq!(sender.send(&[7u8; 8192]), Ok(8192));
        // Full: touching must not claim it, nor write into the block.
        sender.touch_pages();
        assert_eq!(receiver.receive(&mut buffer), Ok(8192));
        assert!(buffer.iter().all(|&b| b == 7));
    }

    #[test]
    fn non_blocking_sides_never_wait() {
        let channel = channel(&["-i", "shmem", "-b", "4", "-t", "8", "1thread"]);
        let (sender, receiver) = channel.sides(true);
        let mut buffer = [0u8; 4];
        assert_eq!(receiver.receive(&mut buffer), Err(Errno::AGAIN), "empty");
        assert_eq!(sender.send(b"abcd"), Ok(4));
        assert_eq!(sender.send(b"efgh"), Err(Errno::AGAIN), "full");
        assert_eq!(receiver.receive(&mut buffer), Ok(4));
        assert_eq!(sender.send(b"efgh"), Ok(4));
    }

    #[test]
    fn a_child_that_dies_without_a_word_ends_the_wait() {
        let channel = channel(&["-i", "shmem", "-b", "4", "-t", "8", "2proc"]);
        let (sender, mut receiver) = channel.sides(false);
        match process::fork().unwrap() {
            // Gone without closing its side, as a killed child would be.
            Forked::Child => process::exit(0),
            Forked::Parent(child) => {
                core::mem::forget(sender);
                receiver.watch(Peer::Child(child));
                let mut buffer = [0u8; 4];
                assert_eq!(receiver.receive(&mut buffer), Ok(0), "end of file, not a hang");
                let _ = process::wait_for(child);
            }
        }
    }
}
