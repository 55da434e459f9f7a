//! The two stamps that bracket the IPC loop, and what they measure.
//!
//! Each stamp is a real clock_gettime(CLOCK_MONOTONIC) system call (see
//! [`crate::sys::clock_gettime_syscall`]), so tracers see exactly two per
//! iteration: the return of the first opens the loop, the entry of the
//! second closes it.

use crate::error::{Cause, Error};
pub use crate::sys::Stamp;

/// Takes a stamp; a failing clock is an OS error (exit 71).
pub fn stamp() -> Result<Stamp, Error> {
    crate::sys::clock_gettime_syscall().map_err(|e| Error::os("clock_gettime", e))
}

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Nanoseconds from `start` to `finish`; zero or negative cannot be a
/// measurement, so it is an error rather than an infinite bandwidth.
pub fn elapsed_nanos(start: Stamp, finish: Stamp) -> Result<u64, Error> {
    let nanos = (i128::from(finish.sec) - i128::from(start.sec)) * NANOS_PER_SEC
        + (i128::from(finish.nsec) - i128::from(start.nsec));
    match u64::try_from(nanos) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error { cause: Cause::ClockNotMonotonic, ..Error::os("clock_gettime", rustix::io::Errno::INVAL) }),
    }
}

/// KBytes (1024 bytes) per second, in hundredths, rounded to nearest.
pub fn kbytes_per_sec_centi(bytes: u64, nanos: u64) -> u128 {
    let numerator = u128::from(bytes) * 100 * NANOS_PER_SEC as u128;
    let denominator = u128::from(nanos) * 1024;
    (numerator + denominator / 2) / denominator
}

/// Bytes per second, rounded to nearest.
pub fn bytes_per_sec(bytes: u64, nanos: u64) -> u128 {
    let numerator = u128::from(bytes) * NANOS_PER_SEC as u128;
    (numerator + u128::from(nanos) / 2) / u128::from(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_spans_seconds() {
        let start = Stamp { sec: 10, nsec: 999_999_000 };
        let finish = Stamp { sec: 11, nsec: 1_000 };
        assert_eq!(elapsed_nanos(start, finish), Ok(2_000));
        assert!(elapsed_nanos(finish, start).is_err());
        assert!(elapsed_nanos(start, start).is_err());
    }

    #[test]
    fn bandwidth_in_kbytes() {
        // 16 MiB in 1 s is 16384 KBytes/sec.
        assert_eq!(kbytes_per_sec_centi(16 << 20, 1_000_000_000), 1_638_400);
        // 16 MiB in 0.014762 s: 16384 / 0.014762 = 1109876.7105 KBytes/sec.
        assert_eq!(kbytes_per_sec_centi(16777216, 14_762_000), 110_987_671);
        // The largest total over the smallest time does not overflow.
        assert!(kbytes_per_sec_centi(u64::MAX, 1) > 0);
        assert_eq!(bytes_per_sec(1000, 500_000_000), 2000);
    }
}
