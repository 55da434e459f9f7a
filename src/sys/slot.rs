//! A one-way hand-off slot: a buffer in memory that a putter fills and a
//! taker empties, in turn, and the word that says whose turn it is. Each
//! side claims the buffer with a compare-and-swap on that word before it
//! copies, so no two copies ever overlap, and sleeps on the word (a futex)
//! only when it has to wait: no system call while the other side keeps up,
//! and no busy-waiting when it does not.
//!
//! In a private mapping the slot serves two threads (private futexes); in a
//! shared one (MAP_SHARED, mapped before fork) two processes (shared
//! futexes). Either side may close it; the other then finds out at once
//! (the putter gets EPIPE; the taker, once the slot is empty, 0).

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use rustix::io::{Errno, Result};
use rustix::time::Timespec;

use super::futex;
use super::memory::Mapping;

/// The header before the bytes: the state word, the block's length and how
/// much of it the taker has copied out; a cache line of its own.
const HEADER: usize = 64;
const LENGTH: usize = 8;
const TAKEN: usize = 16;

/// The state word: the phase, who sleeps, who has closed.
const PHASE: u32 = 3;
const EMPTY: u32 = 0;
const FILLING: u32 = 1;
const FULL: u32 = 2;
const DRAINING: u32 = 3;
const PUTTER_WAITS: u32 = 4;
const TAKER_WAITS: u32 = 8;
const PUTTER_CLOSED: u32 = 16;
const TAKER_CLOSED: u32 = 32;

/// A side of the slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Putter,
    Taker,
}

/// How long a side that must wait may sleep before it returns ETIMEDOUT
/// (None: it returns EAGAIN at once, as a non-blocking descriptor does).
pub type Wait = Option<Timespec>;

pub struct Slot {
    mapping: Mapping,
    shared: bool,
}

// SAFETY: the bytes are only copied by the side that holds the claim
// (FILLING or DRAINING, taken by a compare-and-swap on the state word), and
// the header's words are atomics; nothing else is shared.
unsafe impl Sync for Slot {}

impl Slot {
    /// Maps a slot of `capacity` bytes: private, for two threads, or
    /// `shared` with processes forked later.
    pub fn new(capacity: usize, shared: bool) -> Result<Slot> {
        let len = capacity.checked_add(HEADER).ok_or(Errno::NOMEM)?;
        let mapping = if shared { Mapping::shared(len) } else { Mapping::private(len) }?;
        Ok(Slot { mapping, shared })
    }

    /// The bytes, while nobody else can use the slot (-F touches them).
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        self.mapping.bytes_mut().get_mut(HEADER..).unwrap_or_default()
    }

    fn capacity(&self) -> usize {
        self.mapping.len() - HEADER
    }

    fn state(&self) -> &AtomicU32 {
        // SAFETY: offset 0 of a mapping of more than HEADER bytes, page
        // aligned, for as long as &self.
        unsafe { AtomicU32::from_ptr(self.mapping.start().cast::<u32>()) }
    }

    fn word(&self, offset: usize) -> &AtomicUsize {
        // SAFETY: LENGTH and TAKEN are aligned offsets inside the header.
        unsafe { AtomicUsize::from_ptr(self.mapping.start().add(offset).cast::<usize>()) }
    }

    /// Copies the start of `bytes` (at most the capacity) into the slot once
    /// it is empty, and hands it over; returns how many bytes it put.
    /// EPIPE if the taker has closed; ETIMEDOUT if it stayed full for
    /// `wait`; a failed futex call's errno.
    pub fn put(&self, bytes: &[u8], wait: Wait) -> Result<usize> {
        if bytes.is_empty() {
            return Ok(0);
        }
        self.claim(EMPTY, FILLING, PUTTER_WAITS, TAKER_CLOSED, wait)?;
        let len = bytes.len().min(self.capacity());
        // SAFETY: FILLING is this side's claim: nothing else touches the
        // bytes until the release below; len is within both.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.mapping.start().add(HEADER), len) };
        self.word(LENGTH).store(len, Ordering::Relaxed);
        self.release(FILLING, FULL, TAKER_WAITS)?;
        Ok(len)
    }

    /// Waits until the slot is full, copies what is left of its block (at
    /// most `buffer`'s length) into `buffer`, and hands the slot back once
    /// the block is all taken; returns how many bytes it took, 0 if the
    /// putter has closed and the slot is empty.
    pub fn take(&self, buffer: &mut [u8], wait: Wait) -> Result<usize> {
        if buffer.is_empty() {
            return Ok(0);
        }
        match self.claim(FULL, DRAINING, TAKER_WAITS, PUTTER_CLOSED, wait) {
            Err(Errno::PIPE) => return Ok(0),
            other => other?,
        }
        // Clamped, so that even words another process has spoilt cannot
        // take the copy out of the slot.
        let length = self.word(LENGTH).load(Ordering::Relaxed).min(self.capacity());
        let taken = self.word(TAKEN).load(Ordering::Relaxed).min(length);
        let len = (length - taken).min(buffer.len());
        // SAFETY: DRAINING is this side's claim; taken + len <= length <=
        // the capacity, and len <= buffer.len().
        unsafe { core::ptr::copy_nonoverlapping(self.mapping.start().add(HEADER + taken), buffer.as_mut_ptr(), len) };
        if taken + len < length {
            self.word(TAKEN).store(taken + len, Ordering::Relaxed);
            self.release(DRAINING, FULL, 0)?;
        } else {
            self.word(TAKEN).store(0, Ordering::Relaxed);
            self.release(DRAINING, EMPTY, PUTTER_WAITS)?;
        }
        Ok(len)
    }

    /// Writes a byte in every 4 KiB of the bytes while it holds the
    /// putter's claim on an empty slot (else it does nothing), so that this
    /// process maps every page now: a child forked after the slot was
    /// touched does not inherit a shared mapping's page table entries. A
    /// putter that found the claim taken meanwhile (-l: the 2proc child
    /// touches the slot its parent puts into) is woken when it is given
    /// back.
    pub fn touch_pages(&self) {
        if self.claim(EMPTY, FILLING, PUTTER_WAITS, TAKER_CLOSED, None).is_err() {
            return;
        }
        for at in (0..self.capacity()).step_by(4096) {
            // SAFETY: FILLING is this side's claim, and at is within the
            // capacity.
            unsafe { self.mapping.start().add(HEADER + at).write(0) };
        }
        let _ = self.release(FILLING, EMPTY, PUTTER_WAITS);
    }

    /// This side will put or take no more: the other side is told (and
    /// woken, if it sleeps). A failed wake is left to its bounded wait.
    pub fn close(&self, role: Role) {
        let closed = if role == Role::Putter { PUTTER_CLOSED } else { TAKER_CLOSED };
        let before = self.state().fetch_or(closed, Ordering::AcqRel);
        if before & (PUTTER_WAITS | TAKER_WAITS) != 0 {
            let _ = futex::wake(self.state(), self.shared);
        }
    }

    /// Moves the phase from `from` to `to` once it is `from`, sleeping on
    /// the state word meanwhile with `waits` raised (the claim clears it).
    /// EPIPE once the other side has `closed`: at once for the putter, once
    /// the slot is no longer full for the taker.
    fn claim(&self, from: u32, to: u32, waits: u32, closed: u32, wait: Wait) -> Result<()> {
        let state = self.state();
        let mut seen = state.load(Ordering::Acquire);
        loop {
            let free = seen & PHASE == from;
            if seen & closed != 0 && !(free && from == FULL) {
                return Err(Errno::PIPE);
            }
            if free {
                match state.compare_exchange_weak(seen, seen & !(PHASE | waits) | to, Ordering::Acquire, Ordering::Acquire) {
                    Ok(_) => return Ok(()),
                    Err(now) => seen = now,
                }
                continue;
            }
            let Some(timeout) = wait else { return Err(Errno::AGAIN) };
            if seen & waits == 0 {
                if let Err(now) = state.compare_exchange(seen, seen | waits, Ordering::Acquire, Ordering::Acquire) {
                    seen = now;
                    continue;
                }
                seen |= waits;
            }
            match futex::wait(state, seen, self.shared, Some(&timeout)) {
                Ok(()) | Err(Errno::AGAIN) | Err(Errno::INTR) => {}
                Err(e) => return Err(e),
            }
            seen = state.load(Ordering::Acquire);
        }
    }

    /// Gives up the claim, moving the phase from `from` (this side's claim,
    /// so one atomic add does it whatever flags the other side sets
    /// meanwhile) to `to`, and wakes the other side if it sleeps (`wakes`:
    /// its flag, which it clears when it claims).
    fn release(&self, from: u32, to: u32, wakes: u32) -> Result<()> {
        let before = self.state().fetch_add(to.wrapping_sub(from), Ordering::Release);
        if before & wakes != 0 {
            return futex::wake(self.state(), self.shared);
        }
        Ok(())
    }
}
