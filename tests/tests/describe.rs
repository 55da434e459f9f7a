//! `ipc-static describe` and `ipc-static -j describe`: every field is
//! there, the JSON parses, and the values are plausible for this machine.

use ipc_static_tests::run;
use serde_json::Value;

/// Every field, in output order, and whether it is a number (else text).
const FIELDS: [(&str, bool); 24] = [
    ("os_name", false),
    ("os_release", false),
    ("os_version", false),
    ("machine", false),
    ("cpu_model", false),
    ("online_cpus", false),
    ("ncpu", true),
    ("physmem_bytes", true),
    ("page_size", true),
    ("hugepage_sizes", false),
    ("shmem_hugepages", false),
    ("clocksource", false),
    ("pipe_capacity", true),
    ("pipe_max_size", true),
    ("local_sndbuf", true),
    ("local_rcvbuf", true),
    ("net_core_rmem_default", true),
    ("net_core_rmem_max", true),
    ("net_core_wmem_default", true),
    ("net_core_wmem_max", true),
    ("tcp_rmem", false),
    ("tcp_wmem", false),
    ("tcp_congestion_control", false),
    ("loopback_mtu", true),
];

/// The `key: value` lines after `Host description:`.
fn text_fields(stdout: &str) -> Vec<(String, String)> {
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("Host description:"), "{stdout}");
    lines
        .map(|line| {
            let field = line.strip_prefix("  ").unwrap_or_else(|| panic!("not indented: {line:?}"));
            let (key, value) = field.split_once(": ").unwrap_or_else(|| panic!("no `: ` in {line:?}"));
            (key.to_string(), value.to_string())
        })
        .collect()
}

fn describe_json() -> Value {
    let r = run(&["-j", "describe"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stderr, "");
    assert!(r.stdout.ends_with("}\n"), "one document and a newline: {:?}", r.stdout);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

#[test]
fn text_has_every_field_in_order() {
    let r = run(&["describe"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let fields = text_fields(&r.stdout);
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    let expected: Vec<&str> = FIELDS.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, expected);
    for ((key, value), (_, number)) in fields.iter().zip(FIELDS) {
        assert!(!value.is_empty() && value.trim() == value, "{key}: {value:?}");
        if number && value != "unknown" {
            assert!(value.parse::<u64>().is_ok(), "{key} is not a number: {value:?}");
        }
    }
    eprint!("{}", r.stdout);
}

#[test]
fn json_has_every_field_with_its_type() {
    let json = describe_json();
    let object = json.as_object().expect("an object");
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = FIELDS.iter().map(|(k, _)| *k).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    expected.sort_unstable();
    assert_eq!(sorted, expected, "exactly the fields, each once");
    for (key, number) in FIELDS {
        let value = &object[key];
        if number {
            assert!(value.is_u64() || value.is_null(), "{key}: {value}");
        } else {
            assert!(value.is_string() || value.is_null(), "{key}: {value}");
        }
    }
}

#[test]
fn text_and_json_agree() {
    let r = run(&["describe"]);
    let json = describe_json();
    for (key, value) in text_fields(&r.stdout) {
        let expected = match &json[&key] {
            Value::Null => "unknown".to_string(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        assert_eq!(value, expected, "{key}");
    }
}

#[test]
fn values_are_plausible_here() {
    let json = describe_json();
    let number = |key: &str| json[key].as_u64().unwrap_or_else(|| panic!("{key} unknown: {json}"));
    let text = |key: &str| json[key].as_str().unwrap_or_else(|| panic!("{key} unknown: {json}")).to_string();

    let ncpu = number("ncpu");
    assert!(ncpu >= 1);
    let available = std::thread::available_parallelism().map(|n| n.get() as u64).unwrap_or(1);
    assert!(ncpu >= available, "ncpu {ncpu} < available parallelism {available}");
    let online = text("online_cpus");
    assert!(online.starts_with('0') || online.contains(','), "{online}");
    assert!(number("physmem_bytes") >= 64 << 20);

    if cfg!(target_os = "linux") {
        assert_eq!(text("os_name"), "Linux");
        let uname = |flag: &str| {
            let out = std::process::Command::new("uname").arg(flag).output().unwrap();
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        };
        assert_eq!(text("os_release"), uname("-r"));
        assert_eq!(text("machine"), uname("-m"));
        // The default pipe holds 16 pages (pipe(7)), unless a user hit the
        // per-user limit on pipe buffers.
        assert_eq!(number("pipe_capacity"), 16 * number("page_size"));
        assert!(number("pipe_max_size") >= number("pipe_capacity"));
        // Linux doubles SO_SNDBUF/SO_RCVBUF for bookkeeping; a fresh UNIX
        // socket gets wmem_default.
        assert_eq!(number("local_sndbuf"), number("net_core_wmem_default"));
        assert!(number("net_core_rmem_max") >= 4096 && number("net_core_wmem_max") >= 4096);
        for key in ["tcp_rmem", "tcp_wmem"] {
            let parts: Vec<u64> = text(key).split(' ').map(|p| p.parse().unwrap()).collect();
            assert_eq!(parts.len(), 3, "{key}");
            assert!(parts[0] <= parts[1] && parts[1] <= parts[2], "{key}: {parts:?}");
        }
        assert!(!text("tcp_congestion_control").is_empty());
        assert!(number("loopback_mtu") >= 1280);
        assert!(!text("clocksource").is_empty());
        let huge: u64 = text("hugepage_sizes").split(' ').next().unwrap().parse().unwrap();
        assert!(huge.is_power_of_two() && huge > number("page_size"));
        // The kernel's own line, its choice in brackets, when it has THP.
        let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/shmem_enabled");
        if let Ok(line) = thp {
            assert_eq!(text("shmem_hugepages"), line.trim());
            assert!(line.contains('[') && line.contains(']'), "{line}");
        }
    }
    if cfg!(target_arch = "x86_64") {
        assert_eq!(number("page_size"), 4096);
        assert_eq!(text("machine"), if cfg!(target_os = "freebsd") { "amd64" } else { "x86_64" });
    }
}

#[test]
fn describe_needs_no_environment() {
    // Run with an empty environment and from / : nothing describe reads
    // depends on them.
    let out = std::process::Command::new(ipc_static_tests::binary())
        .arg("describe")
        .env_clear()
        .current_dir("/")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Host description:\n"));
}

#[test]
fn verbose_runs_start_with_the_host_description() {
    let r = run(&["-B", "-v", "-b", "4096", "-t", "65536", "2thread"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let host = r.stdout.split("Benchmark configuration:").next().unwrap();
    let fields = text_fields(host);
    assert_eq!(fields.len(), FIELDS.len(), "{}", r.stdout);

    let r = run(&["-B", "-j", "-v", "-b", "4096", "-t", "65536", "2thread"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let json: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    let host = json["host"].as_object().unwrap_or_else(|| panic!("no host object: {}", r.stdout));
    assert_eq!(host.len(), FIELDS.len());
    assert!(host["ncpu"].as_u64().unwrap() >= 1);
}
