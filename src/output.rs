//! Output: text formatting into fixed buffers, written with write(2).
//!
//! No heap and no core::fmt: numbers are formatted by hand, and a writer
//! flushes its fixed buffer when it fills, so nothing is ever truncated.

use rustix::fd::BorrowedFd;
use rustix::io::Errno;

/// Something bytes can be put into. The provided methods format numbers.
pub trait Sink {
    fn put(&mut self, bytes: &[u8]);

    fn put_str(&mut self, text: &str) {
        self.put(text.as_bytes());
    }

    fn put_u64(&mut self, value: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = value;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.put(&digits[at..]);
    }

    fn put_i64(&mut self, value: i64) {
        if value < 0 {
            self.put(b"-");
        }
        self.put_u64(value.unsigned_abs());
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
        let mut at = decimals as usize;
        while at > 0 {
            at -= 1;
            digits[at] = b'0' + (fraction % 10) as u8;
            fraction /= 10;
        }
        self.put(&digits[..decimals as usize]);
    }

    /// Puts `text` as a JSON string, quotes included: `"`, `\\` and control
    /// bytes are escaped, and bytes that are not UTF-8 become U+FFFD, so the
    /// document stays valid whatever the kernel or a file says.
    fn put_json_str(&mut self, text: &[u8]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
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
        const HEX: &[u8; 16] = b"0123456789abcdef";
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
pub struct FdWriter<'fd> {
    fd: BorrowedFd<'fd>,
    buf: [u8; 2048],
    len: usize,
    error: Option<Errno>,
}

impl<'fd> FdWriter<'fd> {
    pub fn new(fd: BorrowedFd<'fd>) -> FdWriter<'fd> {
        FdWriter { fd, buf: [0; 2048], len: 0, error: None }
    }

    /// Writes out what is buffered, continuing short writes and retrying
    /// EINTR; returns the first error seen since the writer was made.
    pub fn flush(&mut self) -> Result<(), Errno> {
        let mut done = 0;
        while done < self.len && self.error.is_none() {
            match rustix::io::write(self.fd, &self.buf[done..self.len]) {
                Ok(0) => self.error = Some(Errno::IO),
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
            if self.len == self.buf.len() && self.flush().is_err() {
                return;
            }
            let room = self.buf.len() - self.len;
            let take = room.min(bytes.len());
            self.buf[self.len..self.len + take].copy_from_slice(&bytes[..take]);
            self.len += take;
            bytes = &bytes[take..];
        }
    }
}

/// A fixed buffer that keeps what fits: for text that is made first and
/// used afterwards (an error message inside JSON, a sysctl value).
pub struct SliceSink<'a> {
    buf: &'a mut [u8],
    pub len: usize,
}

impl<'a> SliceSink<'a> {
    pub fn new(buf: &'a mut [u8]) -> SliceSink<'a> {
        SliceSink { buf, len: 0 }
    }
}

impl Sink for SliceSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let take = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + take].copy_from_slice(&bytes[..take]);
        self.len += take;
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
    use super::Sink;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn integers() {
        assert_eq!(text(|o| o.put_u64(0)), "0");
        assert_eq!(text(|o| o.put_u64(u64::MAX)), "18446744073709551615");
        assert_eq!(text(|o| o.put_i64(-42)), "-42");
        assert_eq!(text(|o| o.put_i64(i64::MIN)), "-9223372036854775808");
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
