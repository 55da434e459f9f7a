//! Output: text formatting into fixed buffers, written with write(2), and
//! its inverse for decimal numbers.
//!
//! No heap and no core::fmt: numbers are formatted by hand, and a writer
//! flushes its fixed buffer when it fills, so nothing is ever truncated.

use rustix::fd::BorrowedFd;
use rustix::io::Errno;

/// Hexadecimal digits, for the escapes of JSON and of command-line bytes.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Why text is not a decimal number [`parse_decimal`] accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalError {
    /// Empty, or something other than the digits 0-9 (no sign, no space).
    NotDecimal,
    /// Digits only, but more than a u64 holds.
    TooLarge,
}

/// A plain decimal number: digits only, no sign, no overflow. The one
/// parser of numbers in the program (the command line and /proc alike).
#[inline(never)] // out of line: the command line and /proc share one copy
pub fn parse_decimal(text: &[u8]) -> Result<u64, DecimalError> {
    if text.is_empty() {
        return Err(DecimalError::NotDecimal);
    }
    let mut value: u64 = 0;
    let mut overflow = false;
    for &byte in text {
        if !byte.is_ascii_digit() {
            return Err(DecimalError::NotDecimal);
        }
        match value.checked_mul(10).and_then(|v| v.checked_add(u64::from(byte - b'0'))) {
            Some(v) => value = v,
            None => overflow = true,
        }
    }
    if overflow {
        Err(DecimalError::TooLarge)
    } else {
        Ok(value)
    }
}

/// Something bytes can be put into. The provided methods format numbers.
pub trait Sink {
    fn put(&mut self, bytes: &[u8]);

    fn put_str(&mut self, text: &str) {
        self.put(text.as_bytes());
    }

    fn put_u64(&mut self, value: u64) {
        let mut digits = [0u8; 20];
        let mut used = 0;
        let mut rest = value;
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            used += 1;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.put(digits.get(digits.len() - used..).unwrap_or_default());
    }

    /// Puts `scaled / 10^decimals` with exactly `decimals` digits after the
    /// point (`put_fixed(12345, 2)` puts `123.45`).
    fn put_fixed(&mut self, scaled: u128, decimals: u32) {
        let unit = 10u128.pow(decimals);
        let whole = scaled / unit;
        if whole > u128::from(u64::MAX) {
            // Not reachable with the program's sizes; keep the digits honest.
            self.put_u64(u64::MAX);
        } else {
            self.put_u64(whole as u64);
        }
        if decimals == 0 {
            return;
        }
        self.put(b".");
        let mut fraction = scaled % unit;
        let mut digits = [b'0'; 39];
        let shown = digits.get_mut(..decimals as usize).unwrap_or_default();
        for slot in shown.iter_mut().rev() {
            *slot = b'0' + (fraction % 10) as u8;
            fraction /= 10;
        }
        self.put(shown);
    }

    /// Puts `text` as a JSON string, quotes included: `"`, `\\` and control
    /// bytes are escaped, and bytes that are not UTF-8 become U+FFFD, so the
    /// document stays valid whatever the kernel or a file says.
    fn put_json_str(&mut self, text: &[u8]) {
        self.put(b"\"");
        for chunk in text.utf8_chunks() {
            for &byte in chunk.valid().as_bytes() {
                match byte {
                    b'"' => self.put(b"\\\""),
                    b'\\' => self.put(b"\\\\"),
                    b'\n' => self.put(b"\\n"),
                    b'\t' => self.put(b"\\t"),
                    0..=0x1f | 0x7f => {
                        self.put(&[b'\\', b'u', b'0', b'0', HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]])
                    }
                    _ => self.put(&[byte]),
                }
            }
            if !chunk.invalid().is_empty() {
                self.put("\u{fffd}".as_bytes());
            }
        }
        self.put(b"\"");
    }

    /// Puts bytes from the command line so that they stay one printable line:
    /// anything outside printable ASCII becomes `\xNN`, and long ones are cut.
    fn put_escaped(&mut self, bytes: &[u8]) {
        const LIMIT: usize = 64;
        for &byte in bytes.iter().take(LIMIT) {
            if (0x20..0x7f).contains(&byte) && byte != b'\\' {
                self.put(&[byte]);
            } else {
                self.put(&[b'\\', b'x', HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]]);
            }
        }
        if bytes.len() > LIMIT {
            self.put(b"...");
        }
    }
}

/// A buffered writer to a file descriptor. The first write error sticks and
/// is returned by [`FdWriter::flush`]; later puts are dropped.
///
/// Before its first write(2) it blocks SIGPIPE and SIGXFSZ, so that a pipe
/// nobody reads or a file-size limit is an error it returns (EPIPE, EFBIG),
/// not the silent end of the process; a writer that writes nothing makes no
/// call (a -q run's trace is unchanged).
pub struct FdWriter<'fd> {
    fd: BorrowedFd<'fd>,
    buf: [u8; 2048],
    len: usize,
    error: Option<Errno>,
    signals_blocked: bool,
}

impl<'fd> FdWriter<'fd> {
    #[inline(never)] // one copy of the buffer's clearing, not one per caller
    pub fn new(fd: BorrowedFd<'fd>) -> FdWriter<'fd> {
        FdWriter { fd, buf: [0; 2048], len: 0, error: None, signals_blocked: false }
    }

    /// Writes out what is buffered, continuing short writes and retrying
    /// EINTR; returns the first error seen since the writer was made.
    pub fn flush(&mut self) -> Result<(), Errno> {
        let mut done = 0;
        while self.error.is_none() {
            let Some(pending) = self.buf.get(done..self.len).filter(|pending| !pending.is_empty()) else {
                break;
            };
            if !self.signals_blocked {
                crate::sys::process::block_output_signals();
                self.signals_blocked = true;
            }
            match rustix::io::write(self.fd, pending) {
                Ok(0) => self.error = Some(Errno::IO),
                Ok(n) if n > pending.len() => self.error = Some(Errno::IO),
                Ok(n) => done += n,
                Err(Errno::INTR) => {}
                Err(e) => self.error = Some(e),
            }
        }
        self.len = 0;
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Sink for FdWriter<'_> {
    fn put(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.len >= self.buf.len() && self.flush().is_err() {
                return;
            }
            let Some(room) = self.buf.get_mut(self.len..) else { return };
            let take = room.len().min(bytes.len());
            let (now, later) = bytes.split_at(take);
            room[..take].copy_from_slice(now);
            self.len += take;
            bytes = later;
        }
    }
}

/// A fixed buffer that keeps what fits: for text that is made first and
/// used afterwards (an error message inside JSON, a sysctl value).
pub struct SliceSink<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceSink<'a> {
    pub fn new(buf: &'a mut [u8]) -> SliceSink<'a> {
        SliceSink { buf, len: 0 }
    }

    /// What it holds.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl Sink for SliceSink<'_> {
    #[inline(never)] // out of line: one copy, not one per put
    fn put(&mut self, bytes: &[u8]) {
        if let Some(room) = self.buf.get_mut(self.len..) {
            let take = room.len().min(bytes.len());
            room[..take].copy_from_slice(&bytes[..take]);
            self.len += take;
        }
    }
}

/// Tests collect output in a Vec.
#[cfg(test)]
impl Sink for std::vec::Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_decimal, DecimalError, Sink};

    #[test]
    fn decimals_are_digits_only_and_never_wrap() {
        assert_eq!(parse_decimal(b"0"), Ok(0));
        assert_eq!(parse_decimal(b"65536"), Ok(65536));
        assert_eq!(parse_decimal(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_decimal(b"18446744073709551616"), Err(DecimalError::TooLarge));
        assert_eq!(parse_decimal(b"99999999999999999999"), Err(DecimalError::TooLarge));
        for bad in [&b""[..], b"-1", b"+1", b" 1", b"1 ", b"1.5", b"1k", b"0x10", b"99999999999999999999x"] {
            assert_eq!(parse_decimal(bad), Err(DecimalError::NotDecimal), "{bad:?}");
        }
    }

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn integers() {
        assert_eq!(text(|o| o.put_u64(0)), "0");
        assert_eq!(text(|o| o.put_u64(u64::MAX)), "18446744073709551615");
    }

    #[test]
    fn fixed_point() {
        assert_eq!(text(|o| o.put_fixed(113568328, 2)), "1135683.28");
        assert_eq!(text(|o| o.put_fixed(5, 2)), "0.05");
        assert_eq!(text(|o| o.put_fixed(33753791, 9)), "0.033753791");
        assert_eq!(text(|o| o.put_fixed(7, 0)), "7");
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(text(|o| o.put_json_str(b"plain")), "\"plain\"");
        assert_eq!(text(|o| o.put_json_str(b"a\"b\\c\nd\x01")), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(text(|o| o.put_json_str(b"bad\xffbyte")), "\"bad\u{fffd}byte\"");
    }

    #[test]
    fn escaping_keeps_one_printable_line() {
        assert_eq!(text(|o| o.put_escaped(b"ok-1")), "ok-1");
        assert_eq!(text(|o| o.put_escaped(b"a\nb\xff\\")), "a\\x0ab\\xff\\x5c");
        let long = [b'x'; 100];
        assert_eq!(text(|o| o.put_escaped(&long)).len(), 64 + 3);
    }
}
