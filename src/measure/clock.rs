//! The two stamps that bracket the IPC loop.
//!
//! Each stamp is a real clock_gettime(CLOCK_MONOTONIC) system call (see
//! [`crate::sys::clock::monotonic_syscall`]), so tracers see exactly two per
//! iteration: the return of the first opens the loop, the entry of the
//! second closes it.

use rustix::time::Timespec;

use crate::error::{Cause, Error, Odd};
use crate::sys;
use crate::sys::clock::Fault;

/// Takes a stamp; a clock that fails, or answers anything but 0 and a
/// possible time, is an OS error (exit 71) that says what the clock did.
pub fn stamp() -> Result<Timespec, Error> {
    sys::clock::monotonic_syscall().map_err(|fault| {
        let cause = match fault {
            Fault::Failed(errno) => Cause::Errno(errno),
            Fault::Returned(value) => Cause::Returned(value),
            Fault::NotWritten => Cause::Odd(Odd::ClockNotWritten),
            Fault::OutOfRange => Cause::Odd(Odd::ClockImpossible),
        };
        clock_error(cause)
    })
}

fn clock_error(cause: Cause) -> Error {
    Error { cause, ..Error::os("clock_gettime", rustix::io::Errno::INVAL) }
}

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Nanoseconds from `start` to `finish`; zero or negative cannot be a
/// measurement, so it is an error rather than an infinite bandwidth.
pub fn elapsed_nanos(start: Timespec, finish: Timespec) -> Result<u64, Error> {
    #[allow(clippy::useless_conversion)] // tv_nsec is narrower on some targets
    let nanos = (i128::from(finish.tv_sec) - i128::from(start.tv_sec)) * NANOS_PER_SEC
        + (i128::from(finish.tv_nsec) - i128::from(start.tv_nsec));
    match u64::try_from(nanos) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(clock_error(Cause::Odd(Odd::ClockNotMonotonic))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_spans_seconds() {
        let start = Timespec { tv_sec: 10, tv_nsec: 999_999_000 };
        let finish = Timespec { tv_sec: 11, tv_nsec: 1_000 };
        assert_eq!(elapsed_nanos(start, finish), Ok(2_000));
        assert!(elapsed_nanos(finish, start).is_err());
        assert!(elapsed_nanos(start, start).is_err());
    }
}
