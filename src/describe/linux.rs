//! Where Linux keeps each field of the host description, and how it is read:
//! /proc and /sys files, uname(2), sysinfo(2), the auxiliary vector, and a
//! fresh pipe and socket pair asked for their buffer sizes.

use core::ffi::CStr;

use super::field::{field, Field, Got, Kind::Number, Kind::Text, BUF};
use crate::output::parse_decimal;

/// A Linux source of a field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A field of uname(2).
    Uname(UnameField),
    /// A whole file.
    File(&'static CStr),
    /// The value of the first `key: value` line of /proc/cpuinfo.
    Cpuinfo(&'static str),
    /// How many CPUs a CPU-list file names.
    CpuCount(&'static CStr),
    /// sysinfo(2): totalram times mem_unit.
    TotalRam,
    /// The auxiliary vector's AT_PAGESZ.
    PageSize,
    /// A /proc/meminfo size ("Hugepagesize:    2048 kB") in bytes.
    Meminfo(&'static str),
    /// F_GETPIPE_SZ of a fresh pipe.
    PipeCapacity,
    /// SO_SNDBUF (true) or SO_RCVBUF (false) of a fresh UNIX stream socket
    /// pair.
    SocketPairBuffer { send: bool },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnameField {
    Sysname,
    Release,
    Version,
    Machine,
}

pub const FIELDS: [Field<Source>; 24] = [
    field("os_name", Text, Source::Uname(UnameField::Sysname)),
    field("os_release", Text, Source::Uname(UnameField::Release)),
    field("os_version", Text, Source::Uname(UnameField::Version)),
    field("machine", Text, Source::Uname(UnameField::Machine)),
    field("cpu_model", Text, Source::Cpuinfo("model name")),
    field("online_cpus", Text, Source::File(c"/sys/devices/system/cpu/online")),
    field("ncpu", Number, Source::CpuCount(c"/sys/devices/system/cpu/online")),
    field("physmem_bytes", Number, Source::TotalRam),
    field("page_size", Number, Source::PageSize),
    // The default huge page size only (listing the sizes in
    // /sys/kernel/mm/hugepages with getdents64 costs 1.3 KiB of code).
    field("hugepage_sizes", Text, Source::Meminfo("Hugepagesize")),
    // Whether shared anonymous memory (shmem's 2proc slot) gets
    // transparent huge pages: the kernel's choice in brackets.
    field("shmem_hugepages", Text, Source::File(c"/sys/kernel/mm/transparent_hugepage/shmem_enabled")),
    field("clocksource", Text, Source::File(c"/sys/devices/system/clocksource/clocksource0/current_clocksource")),
    field("pipe_capacity", Number, Source::PipeCapacity),
    field("pipe_max_size", Number, Source::File(c"/proc/sys/fs/pipe-max-size")),
    field("local_sndbuf", Number, Source::SocketPairBuffer { send: true }),
    field("local_rcvbuf", Number, Source::SocketPairBuffer { send: false }),
    field("net_core_rmem_default", Number, Source::File(c"/proc/sys/net/core/rmem_default")),
    field("net_core_rmem_max", Number, Source::File(c"/proc/sys/net/core/rmem_max")),
    field("net_core_wmem_default", Number, Source::File(c"/proc/sys/net/core/wmem_default")),
    field("net_core_wmem_max", Number, Source::File(c"/proc/sys/net/core/wmem_max")),
    // "min default max".
    field("tcp_rmem", Text, Source::File(c"/proc/sys/net/ipv4/tcp_rmem")),
    field("tcp_wmem", Text, Source::File(c"/proc/sys/net/ipv4/tcp_wmem")),
    field("tcp_congestion_control", Text, Source::File(c"/proc/sys/net/ipv4/tcp_congestion_control")),
    field("loopback_mtu", Number, Source::File(c"/sys/class/net/lo/mtu")),
];

/// Reads a source into `buf`; returns its text or number, or None if it
/// cannot be had.
#[cfg(target_os = "linux")]
pub fn read(source: &Source, buf: &mut [u8; BUF]) -> Option<Got> {
    let number = match *source {
        Source::File(path) => return Some(Got::Text(0..read_file(path, buf)?)),
        Source::Cpuinfo(key) => {
            let len = read_file(c"/proc/cpuinfo", buf)?;
            let value = key_value(buf.get(..len)?, key.as_bytes())?;
            let start = value.as_ptr() as usize - buf.as_ptr() as usize;
            return Some(Got::Text(start..start + value.len()));
        }
        Source::CpuCount(path) => {
            let len = read_file(path, buf)?;
            cpu_list_count(buf.get(..len)?)?
        }
        Source::Uname(field) => {
            let uname = rustix::system::uname();
            let text = match field {
                UnameField::Sysname => uname.sysname(),
                UnameField::Release => uname.release(),
                UnameField::Version => uname.version(),
                UnameField::Machine => uname.machine(),
            }
            .to_bytes();
            let len = text.len().min(buf.len());
            buf.get_mut(..len)?.copy_from_slice(text.get(..len)?);
            return Some(Got::Text(0..len));
        }
        Source::TotalRam => {
            let info = rustix::system::sysinfo();
            (info.totalram as u64).checked_mul(u64::from(info.mem_unit.max(1)))?
        }
        Source::PageSize => crate::sys::memory::page_size()? as u64,
        Source::Meminfo(key) => {
            let len = read_file(c"/proc/meminfo", buf)?;
            meminfo_bytes(buf.get(..len)?, key.as_bytes())?
        }
        Source::PipeCapacity => {
            let (reader, _writer) = crate::sys::fd::pipe(rustix::pipe::PipeFlags::empty()).ok()?;
            rustix::pipe::fcntl_getpipe_size(&reader).ok()? as u64
        }
        Source::SocketPairBuffer { send } => {
            use crate::sys::fd::{socket_buffer_size, stream_socket_pair, SocketBuffer};
            let (one, _other) = stream_socket_pair(rustix::net::SocketFlags::CLOEXEC).ok()?;
            let which = if send { SocketBuffer::Send } else { SocketBuffer::Receive };
            socket_buffer_size(&one, which).ok()? as u64
        }
    };
    Some(Got::Number(number))
}

/// Opens `path` read-only and reads as much as fits into `buf`; returns the
/// length read, or None if the file cannot be opened or read. Only a
/// regular file is read, without blocking (a FIFO or device put over a
/// /proc or /sys file is `unknown`), and at most one buffer's worth; a read
/// that claims more than it was asked for makes the value unknown too.
#[cfg(target_os = "linux")]
fn read_file(path: &CStr, buf: &mut [u8]) -> Option<usize> {
    use rustix::io::Errno;
    let fd = crate::sys::fd::open_read_only(path).ok()?;
    let mut len = 0;
    while let Some(rest) = buf.get_mut(len..).filter(|rest| !rest.is_empty()) {
        let room = rest.len();
        match rustix::io::read(&fd, rest) {
            Ok(0) => break,
            Ok(n) if n > room => return None,
            Ok(n) => len += n,
            Err(Errno::INTR) => {}
            Err(_) => return None,
        }
    }
    Some(len)
}

/// The value of the first `key: value` line whose key is `key` (spaces or
/// tabs may come before the colon, as in /proc/cpuinfo), without the
/// whitespace around it. A last line cut off by the buffer still counts.
fn key_value<'t>(text: &'t [u8], key: &[u8]) -> Option<&'t [u8]> {
    for line in text.split(|&b| b == b'\n') {
        let Some(rest) = line.strip_prefix(key) else { continue };
        let Some(colon) = rest.iter().position(|&b| b == b':') else { continue };
        let (before, value) = rest.split_at(colon);
        if before.iter().all(|&b| b == b' ' || b == b'\t') {
            return Some(value.get(1..).unwrap_or_default().trim_ascii());
        }
    }
    None
}

/// A /proc/meminfo size (`Hugepagesize:    2048 kB`) in bytes.
fn meminfo_bytes(text: &[u8], key: &[u8]) -> Option<u64> {
    let value = key_value(text, key)?;
    match value.strip_suffix(b"kB") {
        Some(kib) => parse_decimal(kib.trim_ascii()).ok()?.checked_mul(1024),
        None => parse_decimal(value).ok(),
    }
}

/// How many CPUs a kernel CPU list names: "0-1,4,6-7" is 5. None if it is
/// malformed or empty.
pub fn cpu_list_count(text: &[u8]) -> Option<u64> {
    let mut count: u64 = 0;
    for item in text.trim_ascii().split(|&b| b == b',') {
        let (first, last) = match item.iter().position(|&b| b == b'-') {
            Some(dash) => (parse_decimal(item.get(..dash)?).ok()?, parse_decimal(item.get(dash + 1..)?).ok()?),
            None => (parse_decimal(item).ok()?, parse_decimal(item).ok()?),
        };
        count = count.checked_add(last.checked_sub(first)?.checked_add(1)?)?;
    }
    Some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_reads_files_by_path() {
        for field in &FIELDS {
            if let Source::File(path) | Source::CpuCount(path) = field.source {
                assert!(path.to_bytes().starts_with(b"/"), "{}: {path:?}", field.name);
            }
        }
        let cpu_model = FIELDS.iter().find(|f| f.name == "cpu_model").map(|f| f.source);
        assert_eq!(cpu_model, Some(Source::Cpuinfo("model name")));
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
    fn unknown_keys_and_missing_files_are_unknown() {
        let mut buf = [0u8; BUF];
        assert_eq!(read(&Source::File(c"/nonexistent/ipc-static"), &mut buf), None);
        assert_eq!(read(&Source::CpuCount(c"/proc/self/status"), &mut buf), None);
        assert_eq!(read(&Source::Cpuinfo("no such key"), &mut buf), None);
        assert_eq!(read(&Source::Meminfo("no such key"), &mut buf), None);
        assert!(matches!(read(&Source::Meminfo("Hugepagesize"), &mut buf), Some(Got::Number(n)) if n >= 4096));
        let Some(Got::Text(r)) = read(&Source::Cpuinfo("processor"), &mut buf) else { panic!() };
        assert_eq!(parse_decimal(&buf[r]), Ok(0), "the first CPU in /proc/cpuinfo is processor 0");
        let len = read_file(c"/proc/self/status", &mut buf).unwrap();
        let tgid = key_value(&buf[..len], b"Tgid").unwrap();
        assert_eq!(parse_decimal(tgid), Ok(u64::from(std::process::id())));
    }
}
