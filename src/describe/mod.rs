//! `describe`: the machine and configuration that shape a result.
//!
//! One table per OS (linux.rs, freebsd.rs) names every field in the same
//! order, says whether it is a number or text, and where that OS keeps it.
//! The text and JSON renderers below both walk the table, so a field is
//! written once. Each value is read into one stack buffer, whitespace is
//! folded (tcp_rmem's tabs, kern.version's newlines), and anything that
//! cannot be read or parsed is `unknown` in text and `null` in JSON:
//! describing the host never fails.

mod field;
#[cfg(any(test, target_os = "freebsd"))]
mod freebsd;
#[cfg(any(test, target_os = "linux"))]
mod linux;

#[cfg(target_os = "freebsd")]
use freebsd as os;
#[cfg(target_os = "linux")]
use linux as os;

use crate::output::{parse_decimal, Sink};
use field::{Got, Kind, BUF};

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
    for field in &os::FIELDS {
        let got = os::read(&field.source, &mut buf);
        let value = value(field.kind, got, &mut buf);
        out.put(separator);
        out.put_str(field.name);
        if json {
            separator = b", \"";
            out.put(b"\": ");
        } else {
            out.put(b": ");
        }
        match value {
            // A number in a text field (Linux's one huge page size) is
            // still a JSON string.
            Value::Number(n) if json && field.kind == Kind::Text => {
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

/// What a source gave, as its field's kind: text is folded, a number
/// field's text must parse, and anything else is unknown.
fn value(kind: Kind, got: Option<Got>, buf: &mut [u8; BUF]) -> Value<'_> {
    match got {
        Some(Got::Number(n)) => Value::Number(n),
        Some(Got::Text(range)) => match buf.get_mut(range) {
            Some(text) => {
                let len = fold_whitespace(text);
                value_of(kind, text.get(..len).unwrap_or_default())
            }
            None => Value::Unknown,
        },
        None => Value::Unknown,
    }
}

/// A folded value as its field's kind: empty text, or a number that does
/// not parse, is unknown.
fn value_of(kind: Kind, text: &[u8]) -> Value<'_> {
    if text.is_empty() {
        Value::Unknown
    } else if kind == Kind::Number {
        parse_decimal(text).map_or(Value::Unknown, Value::Number)
    } else {
        Value::Text(text)
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
        // len <= at: writing at len never overtakes the reading at `at`.
        if pending_space {
            if let Some(slot) = text.get_mut(len) {
                *slot = b' ';
            }
            len += 1;
            pending_space = false;
        }
        if let Some(slot) = text.get_mut(len) {
            *slot = byte;
        }
        len += 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    const NAMES: [&str; 24] = [
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
        "shmem_hugepages",
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
    fn both_tables_name_every_field_in_order_with_the_same_kinds() {
        let linux: Vec<(&str, Kind)> = linux::FIELDS.iter().map(|f| (f.name, f.kind)).collect();
        let freebsd: Vec<(&str, Kind)> = freebsd::FIELDS.iter().map(|f| (f.name, f.kind)).collect();
        assert_eq!(linux.iter().map(|f| f.0).collect::<Vec<_>>(), NAMES);
        assert_eq!(linux, freebsd);
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
        assert_eq!(value_of(Kind::Number, b"65536"), Value::Number(65536));
        assert_eq!(value_of(Kind::Number, b"4096 8192"), Value::Unknown);
        assert_eq!(value_of(Kind::Number, b""), Value::Unknown);
        assert_eq!(value_of(Kind::Number, b"99999999999999999999"), Value::Unknown);
        assert_eq!(value_of(Kind::Text, b"cubic"), Value::Text(b"cubic"));
        assert_eq!(value_of(Kind::Text, b""), Value::Unknown);
    }

    #[test]
    fn values_are_folded_and_typed() {
        use linux::Source;
        let mut buf = [0u8; BUF];
        let mut read = |kind, source: Source| {
            let got = linux::read(&source, &mut buf);
            match value(kind, got, &mut buf) {
                Value::Number(n) => Ok(n),
                Value::Text(text) => Err(Some(text.to_vec())),
                Value::Unknown => Err(None),
            }
        };
        assert!(matches!(read(Kind::Number, Source::File(c"/proc/sys/kernel/pid_max")), Ok(n) if n > 0));
        assert_eq!(read(Kind::Text, Source::File(c"/proc/sys/kernel/ostype")), Err(Some(b"Linux".to_vec())));
        assert_eq!(read(Kind::Number, Source::File(c"/proc/sys/kernel/ostype")), Err(None));
        assert_eq!(read(Kind::Text, Source::File(c"/nonexistent")), Err(None));
        assert_eq!(value(Kind::Text, None, &mut [0u8; BUF]), Value::Unknown);
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
        for field in &os::FIELDS {
            let value = &object[field.name];
            match field.kind {
                Kind::Number => assert!(value.is_u64() || value.is_null(), "{}: {value}", field.name),
                Kind::Text => assert!(value.is_string() || value.is_null(), "{}: {value}", field.name),
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
        assert_eq!(linux::cpu_list_count(online.as_bytes()), json["ncpu"].as_u64());
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
