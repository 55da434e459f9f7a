//! Where FreeBSD keeps each field of the host description: sysctls.

use core::ffi::CStr;

use super::field::{field, Field, Got, Kind::Number, Kind::Text};
#[cfg(target_os = "freebsd")]
use super::field::BUF;
#[cfg(target_os = "freebsd")]
use crate::output::{SliceSink, Sink};

/// A FreeBSD source of a field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(target_os = "freebsd"), allow(dead_code))]
pub enum Source {
    /// No equivalent on FreeBSD: always unknown.
    Unknown,
    /// A sysctl string.
    Sysctl(&'static CStr),
    /// A sysctl integer (an int or a long).
    SysctlInt(&'static CStr),
    /// "0-<n-1>" from a sysctl count of CPUs (FreeBSD has no CPU hot-plug).
    SysctlCpuRange(&'static CStr),
    /// hw.pagesizes without its first entry (the base page).
    SysctlPageSizes(&'static CStr),
}

pub const FIELDS: [Field<Source>; 24] = [
    field("os_name", Text, Source::Sysctl(c"kern.ostype")),
    field("os_release", Text, Source::Sysctl(c"kern.osrelease")),
    field("os_version", Text, Source::Sysctl(c"kern.version")),
    field("machine", Text, Source::Sysctl(c"hw.machine")),
    field("cpu_model", Text, Source::Sysctl(c"hw.model")),
    field("online_cpus", Text, Source::SysctlCpuRange(c"hw.ncpu")),
    field("ncpu", Number, Source::SysctlInt(c"hw.ncpu")),
    field("physmem_bytes", Number, Source::SysctlInt(c"hw.physmem")),
    field("page_size", Number, Source::SysctlInt(c"hw.pagesize")),
    field("hugepage_sizes", Text, Source::SysctlPageSizes(c"hw.pagesizes")),
    // Superpages for all memory, shared or not: 1 on, 0 off.
    field("shmem_hugepages", Text, Source::SysctlInt(c"vm.pmap.pg_ps_enabled")),
    field("clocksource", Text, Source::Sysctl(c"kern.timecounter.hardware")),
    // Pipes grow by themselves (16 KiB to 64 KiB) and cannot be asked;
    // kern.ipc.maxpipekva limits all pipes together, not one.
    field("pipe_capacity", Number, Source::Unknown),
    field("pipe_max_size", Number, Source::Unknown),
    field("local_sndbuf", Number, Source::SysctlInt(c"net.local.stream.sendspace")),
    field("local_rcvbuf", Number, Source::SysctlInt(c"net.local.stream.recvspace")),
    field("net_core_rmem_default", Number, Source::Unknown),
    field("net_core_rmem_max", Number, Source::SysctlInt(c"kern.ipc.maxsockbuf")),
    field("net_core_wmem_default", Number, Source::Unknown),
    field("net_core_wmem_max", Number, Source::SysctlInt(c"kern.ipc.maxsockbuf")),
    // The default only (Linux has "min default max").
    field("tcp_rmem", Text, Source::SysctlInt(c"net.inet.tcp.recvspace")),
    field("tcp_wmem", Text, Source::SysctlInt(c"net.inet.tcp.sendspace")),
    field("tcp_congestion_control", Text, Source::Sysctl(c"net.inet.tcp.cc.algorithm")),
    // Only an ioctl (SIOCGIFMTU) on a socket would tell.
    field("loopback_mtu", Number, Source::Unknown),
];

/// Reads a source into `buf`; returns its text or number, or None if it
/// cannot be had.
#[cfg(target_os = "freebsd")]
pub fn read(source: &Source, buf: &mut [u8; BUF]) -> Option<Got> {
    match *source {
        Source::Unknown => None,
        Source::Sysctl(name) => sysctl(name, buf, false),
        Source::SysctlInt(name) => sysctl(name, buf, true),
        Source::SysctlCpuRange(name) => {
            let Got::Number(count) = sysctl(name, buf, true)? else { return None };
            let mut text = SliceSink::new(buf);
            text.put(b"0");
            if count > 1 {
                text.put(b"-");
                text.put_u64(count - 1);
            }
            Some(Got::Text(0..text.as_bytes().len()))
        }
        Source::SysctlPageSizes(name) => huge_page_sizes(name, buf),
    }
}

/// A sysctl's value: a string in `buf`, or a 4- or 8-byte integer.
#[cfg(target_os = "freebsd")]
fn sysctl(name: &CStr, buf: &mut [u8; BUF], integer: bool) -> Option<Got> {
    let len = crate::sys::sysctl::by_name(name, buf).ok()?;
    sysctl_value(buf, len, integer)
}

/// hw.pagesizes: an array of u_long, the base page first, unused slots 0;
/// the others, space-separated.
#[cfg(target_os = "freebsd")]
fn huge_page_sizes(name: &CStr, buf: &mut [u8; BUF]) -> Option<Got> {
    let mut raw = [0u8; 8 * 16];
    let len = crate::sys::sysctl::by_name(name, &mut raw).ok()?;
    let mut text = SliceSink::new(buf);
    for chunk in raw.get(..len)?.chunks_exact(8).skip(1) {
        let size = u64::from_ne_bytes(chunk.try_into().ok()?);
        if size != 0 {
            if !text.as_bytes().is_empty() {
                text.put(b" ");
            }
            text.put_u64(size);
        }
    }
    Some(Got::Text(0..text.as_bytes().len()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_sysctls() {
        let ncpu = FIELDS.iter().find(|f| f.name == "ncpu").unwrap();
        assert_eq!(ncpu.source, Source::SysctlInt(c"hw.ncpu"));
        let mtu = FIELDS.iter().find(|f| f.name == "loopback_mtu").unwrap();
        assert_eq!(mtu.source, Source::Unknown);
        for field in &FIELDS {
            if let Source::Sysctl(name) | Source::SysctlInt(name) | Source::SysctlCpuRange(name) | Source::SysctlPageSizes(name) =
                field.source
            {
                let name = name.to_bytes();
                assert!(!name.is_empty() && name.contains(&b'.') && !name.contains(&b'/'), "{}", field.name);
            }
        }
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
}
