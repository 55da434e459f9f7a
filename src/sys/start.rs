//! The way in and the way out of last resort: the C start-up's
//! `main(argc, argv)`, the arguments, the standard descriptors, and the
//! panic handler.
//!
//! The program's entry is a macro, [`entry_point!`], that main.rs invokes
//! with its own `run` function: so this module, like the rest of sys/, names
//! nothing of the crate above it.

use core::ffi::{c_char, c_int, CStr};
use core::panic::PanicInfo;

use rustix::fd::BorrowedFd;

/// Defines, at the crate root, the C `main` that the C start-up (musl's or
/// libc's crt1) calls, which hands the arguments to `$run` and returns its
/// exit status, and the panic handler, which exits with `$internal_error`.
macro_rules! entry_point {
    ($run:path, $internal_error:expr) => {
        #[cfg(not(test))]
        #[no_mangle]
        #[allow(unsafe_code)]
        extern "C" fn main(argc: core::ffi::c_int, argv: *const *const core::ffi::c_char) -> core::ffi::c_int {
            // SAFETY: argc and argv are what the C start-up passes to main:
            // argv holds argc valid NUL-terminated strings that live as long
            // as the process.
            $run(unsafe { $crate::sys::start::Args::from_main(argc, argv) })
        }

        // Unit tests run under std's own main: keep both in use there.
        #[cfg(test)]
        const _: (fn($crate::sys::start::Args) -> i32, i32) = ($run, $internal_error);

        #[cfg(not(test))]
        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo) -> ! {
            $crate::sys::start::internal_error(info, $internal_error)
        }
    };
}
pub(crate) use entry_point;

/// The program's operands and options (argv without argv[0]), as byte
/// strings that live for the whole process.
pub struct Args {
    argv: *const *const c_char,
    count: usize,
    next: usize,
}

impl Args {
    /// # Safety
    /// `argv` must point to `argc` valid NUL-terminated strings that outlive
    /// the process, as the C start-up's arguments to `main` do.
    #[cfg_attr(test, allow(dead_code))]
    pub unsafe fn from_main(argc: c_int, argv: *const *const c_char) -> Args {
        Args { argv, count: usize::try_from(argc).unwrap_or(0), next: 1 }
    }
}

impl Iterator for Args {
    type Item = &'static [u8];

    fn next(&mut self) -> Option<&'static [u8]> {
        if self.next >= self.count {
            return None;
        }
        // SAFETY: next < argc, so argv[next] is one of the C start-up's
        // NUL-terminated argument strings, which live as long as the process.
        let arg = unsafe { CStr::from_ptr(*self.argv.add(self.next)) };
        self.next += 1;
        Some(arg.to_bytes())
    }
}

/// Standard output, fd 1.
pub fn stdout() -> BorrowedFd<'static> {
    // SAFETY: the program never closes fds 0-2. If the caller of the program
    // closed fd 1, calls on it fail with EBADF, which is reported; the
    // benchmark closes its IPC objects before it writes, so a reused fd 1
    // is never written to.
    unsafe { BorrowedFd::borrow_raw(1) }
}

/// Standard error, fd 2 (same reasoning as [`stdout`]).
pub fn stderr() -> BorrowedFd<'static> {
    // SAFETY: as for stdout: fd 2 is never closed by the program.
    unsafe { BorrowedFd::borrow_raw(2) }
}

/// Where a panic happened, without the build machine's directories: an
/// absolute path (a crate in cargo's registry, the standard library) is cut
/// to `<crate directory>/src/...`, or to the file name; relative paths (this
/// crate's own `src/...`) are kept.
pub fn shown_path(file: &[u8]) -> &[u8] {
    if file.first() != Some(&b'/') {
        return file;
    }
    let slash_before = |end: usize| file.get(..end).and_then(|head| head.iter().rposition(|&b| b == b'/'));
    let from = match file.windows(5).rposition(|w| w == b"/src/") {
        Some(at) => slash_before(at).unwrap_or(at),
        None => slash_before(file.len()).unwrap_or(0),
    };
    file.get(from + 1..).unwrap_or_default()
}

/// Reached only by a bug: no input may get here. Says where on stderr, in
/// one write(2) from a stack buffer (nothing of the crate, which may be what
/// failed), and exits with `status` without unwinding.
#[cfg_attr(test, allow(dead_code))]
pub fn internal_error(info: &PanicInfo, status: i32) -> ! {
    let mut line = [0u8; 256];
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        for &byte in bytes {
            if len < line.len() {
                line[len] = byte;
                len += 1;
            }
        }
    };
    put(b"ipc-static: internal error");
    if let Some(location) = info.location() {
        put(b" at ");
        put(shown_path(location.file().as_bytes()));
        put(b":");
        let mut digits = [0u8; 10];
        let mut at = digits.len();
        let mut rest = location.line();
        while at > 0 {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        put(digits.get(at..).unwrap_or_default());
    }
    put(b"\n");
    let _ = rustix::io::write(stderr(), line.get(..len).unwrap_or_default());
    crate::sys::process::exit(status)
}

#[cfg(test)]
mod tests {
    use super::shown_path;

    #[test]
    fn panic_locations_carry_no_build_paths() {
        let registry = b"/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/rustix-1.1.6/src/backend/linux_raw/io/errno.rs";
        assert_eq!(shown_path(registry), b"rustix-1.1.6/src/backend/linux_raw/io/errno.rs");
        assert_eq!(shown_path(b"/rustc/0123abcd/library/core/src/num/mod.rs"), b"core/src/num/mod.rs");
        assert_eq!(shown_path(b"/home/me/build/generated.rs"), b"generated.rs");
        assert_eq!(shown_path(b"src/run/mod.rs"), b"src/run/mod.rs");
        assert_eq!(shown_path(b"/src/lib.rs"), b"src/lib.rs");
        assert_eq!(shown_path(b"/"), b"");
    }
}
