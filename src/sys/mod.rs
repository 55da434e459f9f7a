//! The operating system where rustix has no safe answer for a `no_std`
//! program: the only `unsafe` code in ipc-static, one file per subject, each
//! a thin safe wrapper in rustix's manner (its man page named, every unsafe
//! block with its `SAFETY:` argument). Nothing here uses the rest of the
//! crate; everything else is safe Rust over this module and rustix.

pub mod clock;
pub mod errno;
pub mod fd;
pub mod futex;
pub mod memory;
#[cfg(target_os = "linux")]
pub mod perf;
pub mod process;
#[cfg(target_os = "linux")]
pub mod raw;
pub mod slot;
pub mod start;
#[cfg(target_os = "freebsd")]
pub mod sysctl;
pub mod thread;
