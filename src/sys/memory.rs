//! Memory: anonymous mappings for the buffers, and the page size.

use core::ffi::c_void;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicU64};

use rustix::io::{Errno, Result};
use rustix::mm::{MapFlags, MprotectFlags, ProtFlags};

/// An anonymous memory mapping, unmapped when dropped (mmap(2), munmap(2)).
/// Its bytes are `len` bytes from `base + guard`; the `guard` bytes below
/// them, if any, cannot be touched at all.
pub struct Mapping {
    base: NonNull<u8>,
    guard: usize,
    len: usize,
}

// SAFETY: a Mapping owns its pages exclusively, like a Box<[u8]>.
unsafe impl Send for Mapping {}

impl Mapping {
    /// Private, zero-filled pages: the user buffers, as malloc would give.
    pub fn private(len: usize) -> Result<Mapping> {
        Self::anonymous(len, MapFlags::PRIVATE)
    }

    /// Pages shared with children forked later (2proc's start stamp, and
    /// shmem's slot).
    pub fn shared(len: usize) -> Result<Mapping> {
        Self::anonymous(len, MapFlags::SHARED)
    }

    /// Makes the first `guard` bytes (a multiple of the page size) a guard
    /// that no access may reach (mprotect(2) PROT_NONE), and the bytes start
    /// after it: a stack at their start, which grows down, faults on
    /// overflow instead of running into other memory.
    pub fn guard_first(&mut self, guard: usize) -> Result<()> {
        if self.guard != 0 || guard > self.len {
            return Err(Errno::INVAL);
        }
        // SAFETY: the first `guard` bytes are inside this mapping, and
        // nothing refers to them: &mut self, and bytes() starts after them.
        unsafe { rustix::mm::mprotect(self.base.as_ptr().cast::<c_void>(), guard, MprotectFlags::empty())? };
        self.guard = guard;
        self.len -= guard;
        Ok(())
    }

    fn anonymous(len: usize, flags: MapFlags) -> Result<Mapping> {
        if len == 0 {
            return Err(Errno::INVAL);
        }
        // SAFETY: a fresh anonymous mapping at an address the kernel picks
        // aliases nothing in this process.
        let ptr = unsafe {
            rustix::mm::mmap_anonymous(core::ptr::null_mut(), len, ProtFlags::READ | ProtFlags::WRITE, flags)?
        };
        // The kernel returns a page-aligned address; anything else (0, or a
        // lie) is refused before a reference is made from it.
        if ptr.is_null() || !(ptr as usize).is_multiple_of(4096) {
            return Err(Errno::NOMEM);
        }
        let base = NonNull::new(ptr.cast::<u8>()).ok_or(Errno::NOMEM)?;
        Ok(Mapping { base, guard: 0, len })
    }

    /// The first byte after the guard, for the other files of sys/.
    pub(super) fn start(&self) -> *mut u8 {
        self.base.as_ptr().wrapping_add(self.guard)
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: start..start+len is mapped readable and writable for as
        // long as self lives, and &mut self makes this the only reference.
        unsafe { core::slice::from_raw_parts_mut(self.start(), self.len) }
    }

    /// The mapping as 64-bit atomic words: for pages shared with a child,
    /// which both processes read and write at once (2proc's start stamp and
    /// first failure). Empty if the bytes do not start 8-aligned.
    pub fn words(&self) -> &[AtomicU64] {
        if !(self.start() as usize).is_multiple_of(8) {
            return &[];
        }
        // SAFETY: start is 8-aligned (checked), so aligned for AtomicU64,
        // which has u64's size; len / 8 words fit in the mapping, and any
        // bits are a valid u64. Atomics allow shared mutation through &self,
        // and bytes_mut's &mut self cannot coexist with this borrow.
        unsafe { core::slice::from_raw_parts(self.start().cast::<AtomicU64>(), self.len / 8) }
    }

    /// The aligned 4-byte word at `offset` as an atomic (None if it is out
    /// of range or misaligned): a flag that a [`Mapping::shared`] page
    /// carries between a parent and the child it forked, for futex(2),
    /// which waits on 32-bit words. It must not overlap a word that
    /// [`Mapping::words`] is used for.
    pub fn atomic_u32(&self, offset: usize) -> Option<&AtomicU32> {
        let word = self.start().wrapping_add(offset);
        if offset.checked_add(4).is_none_or(|end| end > self.len) || !(word as usize).is_multiple_of(4) {
            return None;
        }
        // SAFETY: the word is inside the mapping, aligned, and lives as long
        // as &self; an AtomicU32 has u32's layout, and while &self is held
        // no &mut view of the bytes exists in this process.
        Some(unsafe { AtomicU32::from_ptr(word.cast::<u32>()) })
    }

    /// Leaves the pages of `offset..offset + len` out of children forked
    /// later: they are not mapped in the child, so the parent's own pages are
    /// not made copy-on-write by the fork. `offset` and `len` must be
    /// multiples of the page size (madvise(2) MADV_DONTFORK on Linux,
    /// minherit(2) INHERIT_NONE on FreeBSD).
    pub fn keep_from_children(&mut self, offset: usize, len: usize) -> Result<()> {
        if offset.checked_add(len).is_none_or(|end| end > self.len) {
            return Err(Errno::INVAL);
        }
        let addr = self.start().wrapping_add(offset).cast::<c_void>();
        #[cfg(target_os = "linux")]
        // SAFETY: addr..addr+len is inside this mapping, which this process
        // owns; MADV_DONTFORK alters no memory that a reference can see.
        return unsafe { rustix::mm::madvise(addr, len, rustix::mm::Advice::LinuxDontFork) };
        #[cfg(not(target_os = "linux"))]
        {
            // SAFETY: as for Linux: the range is inside this mapping, and
            // INHERIT_NONE only keeps a later child from mapping it.
            let rc = unsafe { libc::minherit(addr, len, libc::INHERIT_NONE) };
            if rc != 0 {
                return Err(crate::sys::errno::last());
            }
            Ok(())
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: base and guard + len are exactly what mmap returned, and
        // no reference into the pages outlives self.
        let _ = unsafe { rustix::mm::munmap(self.base.as_ptr().cast::<c_void>(), self.guard + self.len) };
    }
}

/// The page size, from the auxiliary vector the kernel gave the process
/// (getauxval(3) of AT_PAGESZ): no system call. None if it is missing.
#[cfg(target_os = "linux")]
pub fn page_size() -> Option<usize> {
    // SAFETY: getauxval has no preconditions; it only reads the auxiliary
    // vector the C start-up saved.
    let size = unsafe { libc::getauxval(libc::AT_PAGESZ) };
    usize::try_from(size).ok().filter(|&size| size > 0)
}
