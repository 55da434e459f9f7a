//! FreeBSD's sysctl values, for the host description.

use core::ffi::{c_void, CStr};

use rustix::io::Result;

/// sysctlbyname(3): reads the value of `name` into `buf`; returns its length.
/// A value longer than `buf` fails with ENOMEM.
pub fn by_name(name: &CStr, buf: &mut [u8]) -> Result<usize> {
    let mut len: libc::size_t = buf.len();
    // SAFETY: name is NUL-terminated; buf is live and writable for len
    // bytes, and len is a live local the call updates; no new value is set
    // (null pointer, length 0).
    let rc = unsafe {
        libc::sysctlbyname(name.as_ptr(), buf.as_mut_ptr().cast::<c_void>(), &mut len, core::ptr::null(), 0)
    };
    if rc != 0 {
        return Err(crate::sys::errno::last());
    }
    Ok(len.min(buf.len()))
}
