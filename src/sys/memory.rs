//! Memory: anonymous mappings for the buffers, and the page size.

use core::ffi::c_void;
use core::ptr::NonNull;
use core::sync::atomic::AtomicU64;

use rustix::io::{Errno, Result};
use rustix::mm::{MapFlags, ProtFlags};

/// An anonymous memory mapping, unmapped when dropped (mmap(2), munmap(2)).
pub struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: a Mapping owns its pages exclusively, like a Box<[u8]>.
unsafe impl Send for Mapping {}

impl Mapping {
    /// Private, zero-filled pages: the user buffers, as malloc would give.
    pub fn private(len: usize) -> Result<Mapping> {
        Self::anonymous(len, MapFlags::PRIVATE)
    }

    /// Pages shared with children forked later (2proc's start stamp).
    pub fn shared(len: usize) -> Result<Mapping> {
        Self::anonymous(len, MapFlags::SHARED)
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
        Ok(Mapping { base, len })
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: base..base+len is mapped readable and writable for as long
        // as self lives, and &mut self makes this the only reference to it.
        unsafe { core::slice::from_raw_parts_mut(self.base.as_ptr(), self.len) }
    }

    /// The mapping as 64-bit atomic words: for pages shared with a child,
    /// which both processes read and write at once (2proc's start stamp and
    /// first failure).
    pub fn words(&self) -> &[AtomicU64] {
        // SAFETY: base is page-aligned, so aligned for AtomicU64, which has
        // u64's size; len / 8 words fit in the mapping, and any bits are a
        // valid u64. Atomics allow shared mutation through &self, and
        // bytes_mut's &mut self cannot coexist with this borrow.
        unsafe { core::slice::from_raw_parts(self.base.as_ptr().cast::<AtomicU64>(), self.len / 8) }
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
        let addr = self.base.as_ptr().wrapping_add(offset).cast::<c_void>();
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
        // SAFETY: base and len are exactly what mmap returned, and no
        // reference into the pages outlives self.
        let _ = unsafe { rustix::mm::munmap(self.base.as_ptr().cast::<c_void>(), self.len) };
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
