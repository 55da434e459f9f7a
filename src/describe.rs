//! `describe`: the machine and configuration that shape a result.
//!
//! One table, below, names every field, says whether it is a number or
//! text, and where Linux and FreeBSD keep it. The text and JSON renderers
//! both walk that table, so a field is written once. Each value is read into
//! one stack buffer, whitespace is folded (tcp_rmem's tabs, kern.version's
//! newlines), and anything that cannot be read or parsed is `unknown` in
//! text and `null` in JSON: describing the host never fails.
//!
//! The table is text (one `name kind source` line per field), so that the
//! binary carries it as a few hundred bytes of string and no pointers, which
//! a static PIE would have to relocate one by one.

use core::ffi::CStr;
use core::ops::Range;

use crate::output::Sink;
#[cfg(target_os = "freebsd")]
use crate::output::SliceSink;

/// Builds the table's two columns, one string per OS: a line per field,
/// `<name> <kind letter><source letter><argument>\0`. Letters instead of
/// words keep the code that dispatches on them a jump table; the NUL makes
/// the argument a C string that paths and sysctl names are used as.
macro_rules! table {
    ($($name:ident $kind:ident $linux:ident $linux_arg:literal, $freebsd:ident $freebsd_arg:literal;)*) => {
        #[cfg_attr(target_os = "freebsd", allow(dead_code))]
        const LINUX: &str = concat!($(stringify!($name), " ", letter!($kind), letter!($linux), $linux_arg, "\0\n",)*);
        #[cfg_attr(not(target_os = "freebsd"), allow(dead_code))]
        const FREEBSD: &str = concat!($(stringify!($name), " ", letter!($kind), letter!($freebsd), $freebsd_arg, "\0\n",)*);
    };
}

/// The letters of kinds and sources in the table's strings.
macro_rules! letter {
    (number) => { "n" };
    (text) => { "t" };
    // No equivalent on this OS.
    (none) => { "-" };
    // uname(2): "sysname", "release", "version" or "machine".
    (uname) => { "u" };
    // A whole file.
    (file) => { "f" };
    // "<key>:<path>": the value of the first `key: value` line of a file.
    (key) => { "k" };
    // How many CPUs a CPU-list file names.
    (cpus) => { "c" };
    // sysinfo(2): totalram times mem_unit.
    (sysinfo) => { "m" };
    // The auxiliary vector's AT_PAGESZ.
    (auxv) => { "a" };
    // A /proc/meminfo size ("Hugepagesize:    2048 kB") in bytes.
    (meminfo) => { "b" };
    // F_GETPIPE_SZ of a fresh pipe.
    (pipe) => { "p" };
    // "sndbuf" or "rcvbuf" of a fresh UNIX stream socket pair.
    (socketpair) => { "s" };
    // A sysctl string.
    (sysctl) => { "y" };
    // A sysctl integer (an int or a long).
    (sysctl_int) => { "i" };
    // "0-<n-1>" from a sysctl count of CPUs (FreeBSD has no CPU hot-plug).
    (sysctl_range) => { "r" };
    // hw.pagesizes without its first entry (the base page).
    (sysctl_pagesizes) => { "z" };
}

table! {
    os_name                text   uname "sysname",                          sysctl "kern.ostype";
    os_release             text   uname "release",                          sysctl "kern.osrelease";
    os_version             text   uname "version",                          sysctl "kern.version";
    machine                text   uname "machine",                          sysctl "hw.machine";
    cpu_model              text   key "model name:/proc/cpuinfo",           sysctl "hw.model";
    online_cpus            text   file "/sys/devices/system/cpu/online",    sysctl_range "hw.ncpu";
    ncpu                   number cpus "/sys/devices/system/cpu/online",    sysctl_int "hw.ncpu";
    physmem_bytes          number sysinfo "totalram",                       sysctl_int "hw.physmem";
    page_size              number auxv "AT_PAGESZ",                         sysctl_int "hw.pagesize";
    // Linux: the default huge page size only (listing the sizes in
    // /sys/kernel/mm/hugepages with getdents64 costs 1.3 KiB of code).
    hugepage_sizes         text   meminfo "Hugepagesize",                   sysctl_pagesizes "hw.pagesizes";
    clocksource            text   file "/sys/devices/system/clocksource/clocksource0/current_clocksource",
                                                                            sysctl "kern.timecounter.hardware";
    // FreeBSD pipes grow by themselves (16 KiB to 64 KiB) and cannot be
    // asked; kern.ipc.maxpipekva limits all pipes together, not one.
    pipe_capacity          number pipe "F_GETPIPE_SZ",                      none "";
    pipe_max_size          number file "/proc/sys/fs/pipe-max-size",        none "";
    local_sndbuf           number socketpair "sndbuf",                      sysctl_int "net.local.stream.sendspace";
    local_rcvbuf           number socketpair "rcvbuf",                      sysctl_int "net.local.stream.recvspace";
    net_core_rmem_default  number file "/proc/sys/net/core/rmem_default",   none "";
    net_core_rmem_max      number file "/proc/sys/net/core/rmem_max",       sysctl_int "kern.ipc.maxsockbuf";
    net_core_wmem_default  number file "/proc/sys/net/core/wmem_default",   none "";
    net_core_wmem_max      number file "/proc/sys/net/core/wmem_max",       sysctl_int "kern.ipc.maxsockbuf";
    // Linux: "min default max"; FreeBSD: the default only.
    tcp_rmem               text   file "/proc/sys/net/ipv4/tcp_rmem",       sysctl_int "net.inet.tcp.recvspace";
    tcp_wmem               text   file "/proc/sys/net/ipv4/tcp_wmem",       sysctl_int "net.inet.tcp.sendspace";
    tcp_congestion_control text   file "/proc/sys/net/ipv4/tcp_congestion_control",
                                                                            sysctl "net.inet.tcp.cc.algorithm";
    // FreeBSD: only an ioctl (SIOCGIFMTU) on a socket would tell.
    loopback_mtu           number file "/sys/class/net/lo/mtu",             none "";
}

/// The column for the OS this is built for.
const TABLE: &str = if cfg!(target_os = "freebsd") { FREEBSD } else { LINUX };

/// The buffer one value is read into (the first model name in /proc/cpuinfo
/// is well inside its first 4 KiB).
const BUF: usize = 4096;

/// One line of the table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Row<'t> {
    name: &'t [u8],
    number: bool,
    source: u8,
    arg: &'t CStr,
}

/// The rows of a table column.
fn rows(table: &str) -> impl Iterator<Item = Row<'_>> {
    table.as_bytes().split(|&b| b == b'\n').filter(|line| !line.is_empty()).map(|line| {
        let (name, rest) = split(line, b' ');
        let letter = |i: usize| rest.get(i).copied().unwrap_or(b'-');
        let arg = rest.get(2..).and_then(|arg| CStr::from_bytes_until_nul(arg).ok()).unwrap_or(c"");
        Row { name, number: letter(0) == b'n', source: letter(1), arg }
    })
}

/// What a source gave: text somewhere in the buffer, or a number.
#[derive(Clone, PartialEq, Eq, Debug)]
enum Got {
    Text(Range<usize>),
    Number(u64),
}

/// A field's value, ready to print.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Value<'a> {
    Number(u64),
    Text(&'a [u8]),
    Unknown,
}

/// Text: a `Host description:` line, then `  key: value` lines.
pub fn render_text(out: &mut impl Sink) {
    render(out, false);
}

/// JSON: one object of the same keys, numbers as numbers, text as strings,
/// unknown as null; no trailing newline.
pub fn render_json(out: &mut impl Sink) {
    render(out, true);
}

/// Both renderers in one, so that the binary carries one copy of the walk
/// over the table.
fn render(out: &mut impl Sink, json: bool) {
    out.put(if json { b"{" } else { b"Host description:\n" });
    let mut buf = [0u8; BUF];
    let mut separator: &[u8] = if json { b"\"" } else { b"  " };
    for row in rows(TABLE) {
        let value = value(row, &mut buf);
        out.put(separator);
        out.put(row.name);
        if json {
            separator = b", \"";
            out.put(b"\": ");
        } else {
            out.put(b": ");
        }
        match value {
            // A number in a text field (Linux's one huge page size) is
            // still a JSON string.
            Value::Number(n) if json && !row.number => {
                out.put(b"\"");
                out.put_u64(n);
                out.put(b"\"");
            }
            Value::Number(n) => out.put_u64(n),
            Value::Text(text) if json => out.put_json_str(text),
            Value::Text(text) => out.put(text),
            Value::Unknown => out.put(if json { b"null" } else { b"unknown" }),
        }
        if !json {
            out.put(b"\n");
        }
    }
    if json {
        out.put(b"}");
    }
}

/// Reads a row's value into `buf`: text is folded, and a number field's
/// text must parse; anything else is unknown.
fn value<'b>(row: Row<'_>, buf: &'b mut [u8; BUF]) -> Value<'b> {
    match read(row.source, row.arg, buf) {
        Some(Got::Number(n)) => Value::Number(n),
        Some(Got::Text(range)) => match buf.get_mut(range) {
            Some(text) => {
                let len = fold_whitespace(text);
                value_of(row.number, &text[..len])
            }
            None => Value::Unknown,
        },
        None => Value::Unknown,
    }
}

/// A folded value as its field's kind: empty text, or a number that does
/// not parse, is unknown.
fn value_of(number: bool, text: &[u8]) -> Value<'_> {
    if text.is_empty() {
        Value::Unknown
    } else if number {
        parse_u64(text).map_or(Value::Unknown, Value::Number)
    } else {
        Value::Text(text)
    }
}

/// Reads a source (a letter of [`letter!`] and its argument) into `buf`;
/// returns its text or number, or None if unknown.
fn read(source: u8, arg: &CStr, buf: &mut [u8; BUF]) -> Option<Got> {
    match source {
        b'f' => Some(Got::Text(0..read_file(arg, buf)?)),
        b'k' => {
            let arg = arg.to_bytes_with_nul();
            let colon = arg.iter().position(|&b| b == b':')?;
            let path = CStr::from_bytes_until_nul(&arg[colon + 1..]).ok()?;
            let len = read_file(path, buf)?;
            let value = key_value(&buf[..len], &arg[..colon])?;
            let start = value.as_ptr() as usize - buf.as_ptr() as usize;
            Some(Got::Text(start..start + value.len()))
        }
        b'c' => {
            let len = read_file(arg, buf)?;
            Some(Got::Number(cpu_list_count(&buf[..len])?))
        }
        _ => os_specific(source, arg, buf),
    }
}

/// Opens `path` read-only and reads as much as fits into `buf`; returns the
/// length read, or None if the file cannot be opened or read.
fn read_file(path: &CStr, buf: &mut [u8]) -> Option<usize> {
    use rustix::fs::{Mode, OFlags};
    use rustix::io::Errno;
    let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let mut len = 0;
    while len < buf.len() {
        match rustix::io::read(&fd, &mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(Errno::INTR) => {}
            Err(_) => return None,
        }
    }
    Some(len)
}

/// The sources only Linux has: uname, sysinfo, the auxiliary vector,
/// /proc/meminfo, a pipe's size and a socket pair's buffers.
#[cfg(target_os = "linux")]
fn os_specific(source: u8, arg: &CStr, buf: &mut [u8; BUF]) -> Option<Got> {
    let number = match source {
        b'u' => {
            let uname = rustix::system::uname();
            let text = match arg.to_bytes().first() {
                Some(b's') => uname.sysname(),
                Some(b'r') => uname.release(),
                Some(b'v') => uname.version(),
                _ => uname.machine(),
            }
            .to_bytes();
            let len = text.len().min(buf.len());
            buf[..len].copy_from_slice(&text[..len]);
            return Some(Got::Text(0..len));
        }
        b'm' => {
            let info = rustix::system::sysinfo();
            (info.totalram as u64).checked_mul(u64::from(info.mem_unit.max(1)))?
        }
        b'a' => crate::sys::page_size()? as u64,
        b'b' => {
            let len = read_file(c"/proc/meminfo", buf)?;
            meminfo_bytes(&buf[..len], arg.to_bytes())?
        }
        b'p' => {
            let (reader, _writer) = rustix::pipe::pipe().ok()?;
            rustix::pipe::fcntl_getpipe_size(&reader).ok()? as u64
        }
        b's' => {
            use rustix::net::{sockopt, AddressFamily, SocketFlags, SocketType};
            let (one, _other) =
                rustix::net::socketpair(AddressFamily::UNIX, SocketType::STREAM, SocketFlags::CLOEXEC, None).ok()?;
            let size = match arg.to_bytes().first() {
                Some(b's') => sockopt::socket_send_buffer_size(&one).ok()?,
                _ => sockopt::socket_recv_buffer_size(&one).ok()?,
            };
            size as u64
        }
        _ => return None,
    };
    Some(Got::Number(number))
}

/// The sources only FreeBSD has: sysctls.
#[cfg(target_os = "freebsd")]
fn os_specific(source: u8, arg: &CStr, buf: &mut [u8; BUF]) -> Option<Got> {
    match source {
        b'y' => sysctl(arg, buf, false),
        b'i' => sysctl(arg, buf, true),
        b'r' => {
            let count = match sysctl(arg, buf, true)? {
                Got::Number(count) => count,
                Got::Text(_) => return None,
            };
            let mut text = SliceSink::new(buf);
            text.put(b"0");
            if count > 1 {
                text.put(b"-");
                text.put_u64(count - 1);
            }
            Some(Got::Text(0..text.len))
        }
        b'z' => sysctl_huge_page_sizes(arg, buf),
        _ => None,
    }
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
fn os_specific(_source: u8, _arg: &CStr, _buf: &mut [u8; BUF]) -> Option<Got> {
    None
}

/// A sysctl's value: a string in `buf`, or a 4- or 8-byte integer.
#[cfg(target_os = "freebsd")]
fn sysctl(name: &CStr, buf: &mut [u8; BUF], integer: bool) -> Option<Got> {
    let len = crate::sys::sysctl_by_name(name, buf).ok()?;
    sysctl_value(buf, len, integer)
}

/// hw.pagesizes: an array of u_long, the base page first, unused slots 0;
/// the others, space-separated.
#[cfg(target_os = "freebsd")]
fn sysctl_huge_page_sizes(name: &CStr, buf: &mut [u8; BUF]) -> Option<Got> {
    let mut raw = [0u8; 8 * 16];
    let len = crate::sys::sysctl_by_name(name, &mut raw).ok()?;
    let mut text = SliceSink::new(buf);
    for chunk in raw[..len.min(raw.len())].chunks_exact(8).skip(1) {
        let size = u64::from_ne_bytes(chunk.try_into().ok()?);
        if size != 0 {
            if text.len > 0 {
                text.put(b" ");
            }
            text.put_u64(size);
        }
    }
    Some(Got::Text(0..text.len))
}

/// Reads `len` raw sysctl bytes at the start of `buf`: an integer is 4
/// (int) or 8 (long) bytes; a string ends at its NUL.
#[cfg_attr(not(target_os = "freebsd"), allow(dead_code))]
fn sysctl_value(buf: &[u8], len: usize, integer: bool) -> Option<Got> {
    let raw = buf.get(..len)?;
    if !integer {
        return Some(Got::Text(0..raw.iter().position(|&b| b == 0).unwrap_or(len)));
    }
    match *raw {
        [a, b, c, d] => Some(Got::Number(u64::from(u32::from_ne_bytes([a, b, c, d])))),
        [a, b, c, d, e, f, g, h] => Some(Got::Number(u64::from_ne_bytes([a, b, c, d, e, f, g, h]))),
        _ => None,
    }
}

/// A Sink into a slice; what does not fit is dropped.
/// `text` before and after the first `at` (all of it and nothing if none).
fn split(text: &[u8], at: u8) -> (&[u8], &[u8]) {
    match text.iter().position(|&b| b == at) {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, &[]),
    }
}

/// Folds every run of whitespace and control bytes into one space and
/// trims both ends, in place; returns the new length. "4096\t131072\n"
/// becomes "4096 131072".
fn fold_whitespace(text: &mut [u8]) -> usize {
    let mut len = 0;
    let mut pending_space = false;
    for at in 0..text.len() {
        let byte = text[at];
        if byte.is_ascii_whitespace() || byte.is_ascii_control() {
            pending_space = len > 0;
            continue;
        }
        if pending_space {
            text[len] = b' ';
            len += 1;
            pending_space = false;
        }
        text[len] = byte;
        len += 1;
    }
    len
}

/// The value of the first `key: value` line whose key is `key` (spaces or
/// tabs may come before the colon, as in /proc/cpuinfo), without the
/// whitespace around it. A last line cut off by the buffer still counts.
fn key_value<'t>(text: &'t [u8], key: &[u8]) -> Option<&'t [u8]> {
    for line in text.split(|&b| b == b'\n') {
        let Some(rest) = line.strip_prefix(key) else { continue };
        let (before, value) = split(rest, b':');
        if before.len() < rest.len() && before.iter().all(|&b| b == b' ' || b == b'\t') {
            return Some(value.trim_ascii());
        }
    }
    None
}

/// A /proc/meminfo size (`Hugepagesize:    2048 kB`) in bytes.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn meminfo_bytes(text: &[u8], key: &[u8]) -> Option<u64> {
    let value = key_value(text, key)?;
    match value.strip_suffix(b"kB") {
        Some(kib) => parse_u64(kib.trim_ascii())?.checked_mul(1024),
        None => parse_u64(value),
    }
}

/// How many CPUs a kernel CPU list names: "0-1,4,6-7" is 5. None if it is
/// malformed or empty.
fn cpu_list_count(text: &[u8]) -> Option<u64> {
    let mut count: u64 = 0;
    for item in text.trim_ascii().split(|&b| b == b',') {
        let (first, last) = match item.iter().position(|&b| b == b'-') {
            Some(dash) => (parse_u64(&item[..dash])?, parse_u64(&item[dash + 1..])?),
            None => (parse_u64(item)?, parse_u64(item)?),
        };
        count = count.checked_add(last.checked_sub(first)?.checked_add(1)?)?;
    }
    Some(count)
}

/// A plain decimal: digits only, no sign, no overflow.
#[inline(never)]
fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in text {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    const NAMES: [&str; 23] = [
        "os_name",
        "os_release",
        "os_version",
        "machine",
        "cpu_model",
        "online_cpus",
        "ncpu",
        "physmem_bytes",
        "page_size",
        "hugepage_sizes",
        "clocksource",
        "pipe_capacity",
        "pipe_max_size",
        "local_sndbuf",
        "local_rcvbuf",
        "net_core_rmem_default",
        "net_core_rmem_max",
        "net_core_wmem_default",
        "net_core_wmem_max",
        "tcp_rmem",
        "tcp_wmem",
        "tcp_congestion_control",
        "loopback_mtu",
    ];

    #[test]
    fn both_columns_name_every_field_with_a_known_source() {
        // The source letters that read() and each OS's os_specific() know.
        for (table, letters) in [(LINUX, "fkcumabps-"), (FREEBSD, "yirz-")] {
            let rows: Vec<Row> = rows(table).collect();
            let names: Vec<&str> = rows.iter().map(|r| std::str::from_utf8(r.name).unwrap()).collect();
            assert_eq!(names, NAMES);
            for row in rows {
                assert!(letters.as_bytes().contains(&row.source), "{row:?}");
                assert_eq!(row.arg.is_empty(), row.source == b'-', "{row:?}");
                assert_eq!(row.arg.to_bytes().contains(&b':'), row.source == b'k', "{row:?}");
            }
        }
        let numbers: Vec<bool> = rows(LINUX).map(|r| r.number).collect();
        assert_eq!(numbers, rows(FREEBSD).map(|r| r.number).collect::<Vec<bool>>());
        assert!(LINUX.lines().chain(FREEBSD.lines()).all(|line| line.ends_with('\0') && line.matches('\0').count() == 1));
        assert_eq!(TABLE, LINUX);
    }

    #[test]
    fn table_rows_split_into_name_kind_source() {
        let row = rows(LINUX).find(|r| r.name == b"cpu_model").unwrap();
        assert_eq!(row, Row { name: b"cpu_model", number: false, source: b'k', arg: c"model name:/proc/cpuinfo" });
        let row = rows(FREEBSD).find(|r| r.name == b"ncpu").unwrap();
        assert_eq!(row, Row { name: b"ncpu", number: true, source: b'i', arg: c"hw.ncpu" });
        let row = rows(FREEBSD).find(|r| r.name == b"loopback_mtu").unwrap();
        assert_eq!(row, Row { name: b"loopback_mtu", number: true, source: b'-', arg: c"" });
    }

    #[test]
    fn cpu_lists_are_counted() {
        assert_eq!(cpu_list_count(b"0-1,4,6-7"), Some(5));
        assert_eq!(cpu_list_count(b"0-1\n"), Some(2));
        assert_eq!(cpu_list_count(b"0"), Some(1));
        assert_eq!(cpu_list_count(b"0-63"), Some(64));
        assert_eq!(cpu_list_count(b""), None);
        assert_eq!(cpu_list_count(b"3-1"), None);
        assert_eq!(cpu_list_count(b"0-"), None);
        assert_eq!(cpu_list_count(b"a"), None);
        assert_eq!(cpu_list_count(b"0,,1"), None);
        assert_eq!(cpu_list_count(b"0-1-2"), None);
    }

    #[test]
    fn keys_are_found_in_cpuinfo_and_meminfo() {
        let cpuinfo = b"processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel\t\t: 1\n\
                        model name\t: AMD EPYC 7B13 64-Core Processor\nmodel name\t: second\n";
        assert_eq!(key_value(cpuinfo, b"model name"), Some(&b"AMD EPYC 7B13 64-Core Processor"[..]));
        assert_eq!(key_value(cpuinfo, b"model"), Some(&b"1"[..]));
        assert_eq!(key_value(cpuinfo, b"flags"), None);
        assert_eq!(key_value(b"model name without colon\n", b"model name"), None);
        let meminfo = b"MemTotal:        8130000 kB\nHugePages_Total:       0\nHugepagesize:       2048 kB\n";
        assert_eq!(meminfo_bytes(meminfo, b"Hugepagesize"), Some(2097152));
        assert_eq!(meminfo_bytes(meminfo, b"HugePages_Total"), Some(0));
        assert_eq!(meminfo_bytes(meminfo, b"Hugetlb"), None);
        // A line cut off by the end of the buffer still gives its value.
        assert_eq!(key_value(b"model name\t: cut", b"model name"), Some(&b"cut"[..]));
    }

    #[test]
    fn whitespace_is_folded() {
        let mut text = *b"4096\t131072\t6291456\n";
        let len = fold_whitespace(&mut text);
        assert_eq!(&text[..len], b"4096 131072 6291456");
        let mut text = *b"  FreeBSD 14.0 #0\n    root@host:/usr/obj\n";
        let len = fold_whitespace(&mut text);
        assert_eq!(&text[..len], b"FreeBSD 14.0 #0 root@host:/usr/obj");
        let mut text = *b"\n\n";
        assert_eq!(fold_whitespace(&mut text), 0);
    }

    #[test]
    fn values_follow_their_kind() {
        assert_eq!(value_of(true, b"65536"), Value::Number(65536));
        assert_eq!(value_of(true, b"4096 8192"), Value::Unknown);
        assert_eq!(value_of(true, b""), Value::Unknown);
        assert_eq!(value_of(true, b"99999999999999999999"), Value::Unknown);
        assert_eq!(value_of(false, b"cubic"), Value::Text(b"cubic"));
        assert_eq!(value_of(false, b""), Value::Unknown);
    }

    #[test]
    fn unknown_sources_and_missing_files_are_unknown() {
        let mut buf = [0u8; BUF];
        assert_eq!(read(b'-', c"", &mut buf), None);
        assert_eq!(read(b'y', c"hw.ncpu", &mut buf), None);
        assert_eq!(read(b'f', c"/nonexistent/ipc-static", &mut buf), None);
        assert_eq!(read(b'c', c"/proc/self/status", &mut buf), None);
        assert_eq!(read(b'k', c"no such key:/proc/self/status", &mut buf), None);
        assert_eq!(read(b'k', c"no colon", &mut buf), None);
        assert_eq!(read(b'b', c"no such key", &mut buf), None);
        assert!(matches!(read(b'b', c"Hugepagesize", &mut buf), Some(Got::Number(n)) if n >= 4096));
        let Some(Got::Text(r)) = read(b'k', c"Tgid:/proc/self/status", &mut buf) else { panic!() };
        assert_eq!(parse_u64(&buf[r]), Some(u64::from(std::process::id())));
    }

    #[test]
    fn sysctl_values_are_strings_or_integers() {
        let mut buf = [0u8; 64];
        buf[..4].copy_from_slice(&8u32.to_ne_bytes());
        assert_eq!(sysctl_value(&buf, 4, true), Some(Got::Number(8)));
        buf[..8].copy_from_slice(&17179869184u64.to_ne_bytes());
        assert_eq!(sysctl_value(&buf, 8, true), Some(Got::Number(17179869184)));
        assert_eq!(sysctl_value(&buf, 2, true), None);
        assert_eq!(sysctl_value(&buf, 1000, true), None);
        buf[..8].copy_from_slice(b"amd64\0\0\0");
        assert_eq!(sysctl_value(&buf, 6, false), Some(Got::Text(0..5)));
        buf[..8].copy_from_slice(b"HPET\0xyz");
        assert_eq!(sysctl_value(&buf, 5, false), Some(Got::Text(0..4)));
        assert_eq!(sysctl_value(&buf, 3, false), Some(Got::Text(0..3)));
        assert_eq!(sysctl_value(&buf, 0, false), Some(Got::Text(0..0)));
    }

    #[test]
    fn values_are_folded_and_typed() {
        let mut buf = [0u8; BUF];
        let number = Row { name: b"n", number: true, source: b'f', arg: c"/proc/sys/kernel/pid_max" };
        assert!(matches!(value(number, &mut buf), Value::Number(n) if n > 0));
        let text = Row { name: b"t", number: false, source: b'f', arg: c"/proc/sys/kernel/ostype" };
        assert_eq!(value(text, &mut buf), Value::Text(b"Linux"));
        let not_a_number = Row { name: b"t", number: true, source: b'f', arg: c"/proc/sys/kernel/ostype" };
        assert_eq!(value(not_a_number, &mut buf), Value::Unknown);
        let missing = Row { name: b"m", number: false, source: b'f', arg: c"/nonexistent" };
        assert_eq!(value(missing, &mut buf), Value::Unknown);
        let empty = Row { name: b"e", number: false, source: b'-', arg: c"" };
        assert_eq!(value(empty, &mut buf), Value::Unknown);
    }

    #[test]
    fn text_has_every_field_once() {
        let text = text_of(render_text);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("Host description:"));
        let rest: Vec<&str> = lines.collect();
        assert_eq!(rest.len(), NAMES.len(), "{text}");
        for (line, name) in rest.iter().zip(NAMES) {
            let value = line.strip_prefix(&format!("  {name}: ")).unwrap_or_else(|| panic!("{line}"));
            assert!(!value.is_empty() && !value.starts_with(' ') && !value.ends_with(' '), "{line:?}");
        }
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn json_parses_with_every_field() {
        let text = text_of(render_json);
        assert!(text.starts_with('{') && text.ends_with('}'), "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let object = json.as_object().unwrap();
        assert_eq!(object.len(), NAMES.len());
        for row in rows(TABLE) {
            let name = std::str::from_utf8(row.name).unwrap();
            let value = &object[name];
            if row.number {
                assert!(value.is_u64() || value.is_null(), "{name}: {value}");
            } else {
                assert!(value.is_string() || value.is_null(), "{name}: {value}");
            }
        }
    }

    #[test]
    fn this_linux_host() {
        let text = text_of(render_json);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["os_name"], "Linux");
        assert!(json["ncpu"].as_u64().unwrap() >= 1);
        assert!(json["physmem_bytes"].as_u64().unwrap() > 1 << 20);
        assert!(json["page_size"].as_u64().unwrap().is_power_of_two());
        assert!(json["pipe_capacity"].as_u64().unwrap() >= 4096);
        assert!(json["local_sndbuf"].as_u64().unwrap() > 0);
        let online = json["online_cpus"].as_str().unwrap();
        assert_eq!(cpu_list_count(online.as_bytes()), json["ncpu"].as_u64());
        // A number read for a text field stays a string.
        assert!(json["hugepage_sizes"].is_string() || json["hugepage_sizes"].is_null());
    }

    #[test]
    fn text_and_json_say_the_same() {
        let text = text_of(render_text);
        let json: serde_json::Value = serde_json::from_str(&text_of(render_json)).unwrap();
        for line in text.lines().skip(1) {
            let (name, value) = line.trim_start().split_once(": ").unwrap();
            let expected = match &json[name] {
                serde_json::Value::Null => "unknown".to_string(),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            assert_eq!(value, expected, "{name}");
        }
    }
}
