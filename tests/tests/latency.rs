//! Latency mode (-l, issue 15): round trips in every mode and IPC type,
//! their counts, the distribution's order, the mean against the stamps,
//! what a trace shows (a live bpftrace bracket and strace), and the usage
//! errors.

use ipc_static_tests::{binary, have, is_root, root, run};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::process::Command;

const MODES: [&str; 3] = ["1thread", "2thread", "2proc"];
const IPCS: [&str; 3] = ["pipe", "local", "tcp"];

fn json(args: &[&str]) -> Value {
    let mut all = vec!["-j"];
    all.extend_from_slice(args);
    let r = run(&all);
    assert_eq!(r.code, Some(0), "{all:?}: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{all:?}: invalid JSON ({e}):\n{}", r.stdout))
}

fn u(value: &Value, key: &str) -> u64 {
    value[key].as_u64().unwrap_or_else(|| panic!("no whole number {key} in {value}"))
}

/// The checks every latency sample passes: the round trips, the order of
/// the figures, the buckets adding up, the mean from the stamps.
fn assert_sample(sample: &Value, round_trips: u64, what: &str) {
    let latency = &sample["latency"];
    assert_eq!(u(latency, "round_trips"), round_trips, "{what}: {sample}");
    assert!(sample.get("bandwidth").is_none(), "{what}: no bandwidth with -l: {sample}");
    let time_ns = (sample["time"].as_f64().unwrap() * 1e9).round() as u64;
    let figures: Vec<u64> = ["min_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns"].iter().map(|k| u(latency, k)).collect();
    assert!(figures[0] > 0, "{what}: a round trip takes time: {latency}");
    assert!(figures.windows(2).all(|w| w[0] <= w[1]), "{what}: min <= p50 <= p90 <= p99 <= p99.9 <= max: {figures:?}");
    assert!(figures[5] <= time_ns, "{what}: no lap longer than the run: {figures:?} {time_ns}");
    // The mean is the time over the round trips, rounded to nearest.
    let mean = u(latency, "mean_ns");
    assert!((mean * round_trips).abs_diff(time_ns) <= round_trips / 2 + 1, "{what}: {mean} x {round_trips} vs {time_ns}");
    // Every lap is in one bucket: they add up to the round trips, and the
    // laps (at least their buckets' first values) fit in the run.
    let buckets = latency["buckets"].as_array().unwrap();
    let (mut count, mut floor) = (0, 0);
    for bucket in buckets {
        let b: Vec<u64> = bucket.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert!(b.len() == 3 && b[0] < b[1] && b[2] > 0, "{what}: bucket {bucket}");
        assert!(b[1] - b[0] == 1 || (b[1] - b[0]) * 64 <= b[0], "{what}: a bucket is at most 1/64 of its values wide: {bucket}");
        count += b[2];
        floor += b[0] * b[2];
    }
    assert_eq!(count, round_trips, "{what}: {latency}");
    assert!(floor <= time_ns, "{what}: the laps fit in the run: {floor} > {time_ns}");
    let first = buckets[0].as_array().unwrap();
    assert!(first[0].as_u64().unwrap() <= figures[0] && figures[0] < first[1].as_u64().unwrap(), "{what}: min in the first bucket");
}

#[test]
fn every_mode_and_ipc_type_makes_its_round_trips() {
    for mode in MODES {
        for ipc in IPCS {
            // 1 KiB messages, 512 round trips; and one buffer larger than a
            // pipe's 64 KiB, which 1thread must interleave.
            for (buffer, total, trips) in [("1k", "512k", 512), ("128k", "512k", 4)] {
                let what = format!("{mode} {ipc} -b {buffer}");
                let doc = json(&["-B", "-l", "-i", ipc, "-p", "0", "-b", buffer, "-t", total, mode]);
                let config = &doc["benchmark_configuration"];
                assert_eq!((&config["latency"], u(config, "blockcount")), (&Value::Bool(true), trips), "{what}");
                let samples = doc["benchmark_samples"].as_array().unwrap();
                assert_eq!(samples.len(), 1, "{what}");
                assert_sample(&samples[0], trips, &what);
            }
        }
    }
    // Without -l: no latency object, and "latency": false.
    let doc = json(&["-B", "-b", "1k", "-t", "64k", "2thread"]);
    assert_eq!(doc["benchmark_configuration"]["latency"], false);
    assert!(doc["benchmark_samples"][0].get("latency").is_none());
}

#[test]
fn the_first_line_is_the_mean_and_verbose_adds_the_distribution() {
    let r = run(&["-B", "-l", "-b", "1", "-t", "2000", "2thread"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let line = r.stdout.lines().next().unwrap();
    let number = line.strip_suffix(" us/round-trip").unwrap_or_else(|| panic!("{line}"));
    let (whole, fraction) = number.split_once('.').unwrap();
    assert!(whole.parse::<u64>().is_ok() && fraction.len() == 3 && fraction.parse::<u64>().is_ok(), "{line}");
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);

    let r = run(&["-B", "-v", "-l", "-b", "64", "-t", "64k", "-i", "local", "1thread"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("\n  blockcount: 1024\n  mode: 1thread\n  ipctype: local\n  latency: yes\n"), "{}", r.stdout);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let at = lines.iter().position(|l| l.ends_with(" us/round-trip")).unwrap();
    let time: f64 = lines[at - 1].strip_prefix("  time: ").unwrap().parse().unwrap();
    let mean: f64 = lines[at].split(' ').next().unwrap().parse().unwrap();
    assert!((mean * 1024.0 - time * 1e6).abs() <= 1024.0 * 0.0005 + 1e-6, "{mean} us x 1024 vs {time} s");
    assert_eq!(lines[at + 1], "  round_trips: 1024");
    let mut last = 0.0;
    for (line, name) in lines[at + 2..].iter().zip(["min", "p50", "p90", "p99", "p999", "max"]) {
        let value: f64 = line.strip_prefix(&format!("  {name}_us: ")).unwrap_or_else(|| panic!("{line}")).parse().unwrap();
        assert!(value >= last, "{name}: {value} < {last}");
        last = value;
    }
    assert_eq!(lines.len(), at + 8, "{}", r.stdout);
}

#[test]
fn iterations_rusage_counters_and_pinning_apply() {
    let doc = json(&["-B", "-l", "-n", "3", "-g", "-P", "sw", "-a", "0", "-b", "64", "-t", "32k", "2proc"]);
    let samples = doc["benchmark_samples"].as_array().unwrap();
    assert_eq!(samples.len(), 3);
    for (i, s) in samples.iter().enumerate() {
        assert_sample(s, 512, &format!("iteration {}", i + 1));
        assert!(s["nvcsw"].as_u64().is_some(), "-g: {s}");
        // Both processes on CPU 0: every round trip switches twice (the
        // last one's second hand-over may be the echoer's exit, uncounted).
        let switches = s["counters"]["context_switches"].as_u64().unwrap();
        assert!(switches >= 2 * 512 - 1, "-P sw, both sides counted: {switches}");
    }
    assert_eq!(doc["benchmark_configuration"]["affinity"]["receiver"], 0);
}

#[test]
fn bad_sizes_are_usage_errors() {
    for (args, message) in [
        (&["-l", "-b", "3", "-t", "10", "2thread"][..], "ipc-static: total size 10 is not a multiple of buffer size 3"),
        (&["-l", "-b", "1k", "-t", "512", "2proc"], "ipc-static: total size 512 is not a multiple of buffer size 1024"),
        (&["-l", "-b", "1", "-t", "0", "2thread"], "ipc-static: total size must be positive: '0'"),
        (&["-l", "-b", "1", "-t", "4g", "1thread"], "ipc-static: -l: more than 4294967295 round trips (totalsize / buffersize)"),
    ] {
        let r = run(args);
        assert_eq!(r.code, Some(64), "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{args:?}");
        assert_eq!(r.stderr.lines().next(), Some(message), "{args:?}: {}", r.stderr);
        assert!(r.stderr.lines().nth(1).unwrap_or("").starts_with("usage: ipc-static [-BFghjlqsv]"), "{}", r.stderr);
    }
    // The same count without -l is a bandwidth run's business: not refused.
    let r = run(&["-h"]);
    assert!(r.stdout.contains("\n    -l                 latency: round trips of buffersize bytes each way\n"), "{}", r.stdout);
}

#[test]
fn a_failure_counts_the_bytes_of_the_whole_run() {
    if !have("strace") {
        assert!(std::env::var_os("CI").is_none(), "strace is missing in CI");
        return;
    }
    // The tenth read of a thread fails (strace counts per thread): the
    // echoer's, in round trip 10, before the initiator's; the initiator
    // then sees end of file, and the cause is the echoer's error.
    let out = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "inject=read:error=EIO:when=10"])
        .arg(binary())
        .args(["-B", "-j", "-l", "-b", "64", "-t", "64k", "2thread"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(74), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = &doc["error"];
    assert_eq!((&error["operation"], &error["errno"]), (&"read".into(), &5.into()), "{error}");
    assert_eq!(u(error, "bytes_total"), 65536, "{error}");
    let moved = u(error, "bytes_moved");
    assert_eq!(moved, 9 * 64, "after nine whole round trips: {error}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("ipc-static: read: I/O error after {moved} of 65536 bytes")));
}

/// Two visible clock_gettime calls and no brk in the whole process, with
/// output on and off (strace -f).
#[test]
fn two_visible_stamps_and_no_heap() {
    if !have("strace") {
        assert!(std::env::var_os("CI").is_none(), "strace is missing in CI");
        return;
    }
    for mode in MODES {
        for quiet in [&["-q"][..], &["-j"]] {
            let log = std::env::temp_dir().join(format!("ipc-static-latency-{}-{mode}.strace", std::process::id()));
            let mut args = vec!["-B", "-l", "-b", "4", "-t", "4k", "-i", "pipe"];
            args.extend_from_slice(quiet);
            args.push(mode);
            let status = Command::new("strace").args(["-f", "-qq", "-o"]).arg(&log).arg(binary()).args(&args).output().unwrap();
            assert!(status.status.success(), "{args:?}");
            let text = fs::read_to_string(&log).unwrap();
            let _ = fs::remove_file(&log);
            let entered = |name: &str| text.lines().filter(|l| l.contains(&format!(" {name}("))).count();
            assert_eq!(entered("clock_gettime"), 2, "{args:?}:\n{text}");
            assert_eq!(entered("brk"), 0, "{args:?}");
            let per_trip = if mode == "1thread" { 1 } else { 2 };
            let loop_writes = text.lines().filter(|l| l.contains(" write(") && !l.contains(" write(1,")).count();
            assert_eq!(loop_writes, 1024 * per_trip, "{args:?}: the loop's writes");
        }
    }
}

/// A live bpftrace bracket (no strace, so no thread is serialised) around
/// -l runs of every mode and IPC type: inside it, the loop's reads and
/// writes, two writes per round trip (one in 1thread), and besides them
/// only the echoer's end (2thread: its exit; 2proc: the child's
/// exit_group); two clock_gettime calls per run in all.
#[test]
fn the_bracket_holds_the_round_trips_and_nothing_else() {
    let Some(runs) = latency_brackets("bracket", &IPCS) else { return };
    for run in &runs {
        let (what, mode, calls) = (&run.what, run.mode.as_str(), &run.calls);
        assert_eq!((run.opened, run.closed, run.stamps), (Some(1), Some(1), Some(2)), "{what}\n{}", run.stdout);
        eprintln!("bracket, -l {what}: {calls:?}");
        let allowed: &[&str] = match mode {
            "1thread" => &["read", "write", "poll"],
            "2thread" => &["read", "write", "exit"],
            _ => &["read", "write", "exit_group"],
        };
        assert!(calls.keys().all(|k| allowed.contains(&k.as_str())), "{what}: {calls:?}");
        let per_trip = if mode == "1thread" { 1 } else { 2 };
        assert_eq!(calls.get("write").copied(), Some(512 * per_trip), "{what}: the writes of 512 round trips: {calls:?}");
        assert!(calls.get("read").copied().unwrap_or(0) >= 512 * per_trip, "{what}: {calls:?}");
    }
}

/// One -l run of a live bracket session: its label ("mode ipc"), its
/// mode, the calls in its bracket by name, how many brackets it opened and
/// closed and how many clock_gettime calls it made; and the session's
/// output.
struct Bracketed {
    what: String,
    mode: String,
    calls: BTreeMap<String, u64>,
    opened: Option<u64>,
    closed: Option<u64>,
    stamps: Option<u64>,
    stdout: String,
}

/// Runs `-B -q -l -b 64 -t 32k` (512 round trips) in every mode over each
/// of `ipcs` under one live bpftrace session, each run bracketed on its own
/// (a 2proc echoer is a grandchild of bpftrace's shell; threads are told
/// apart by their process); asserts that no run made a brk call. None
/// (the test skips) without root and bpftrace.
fn latency_brackets(tag: &str, ipcs: &[&str]) -> Option<Vec<Bracketed>> {
    if !is_root() || !have("bpftrace") {
        assert!(std::env::var_os("CI").is_none(), "CI must run the tracing tests as root with bpftrace");
        eprintln!("SKIP: not root or no bpftrace");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("ipc-static-latency-{tag}-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let script = dir.join("bracket.bt");
    fs::write(
        &script,
        r#"
tracepoint:raw_syscalls:sys_enter
/comm == "ipc-static" && (curtask->real_parent->tgid == cpid || curtask->real_parent->real_parent->tgid == cpid)/
{
	$run = curtask->real_parent->tgid == cpid ? pid : curtask->real_parent->tgid;
	if (args->id == 228) {
		@stamps[$run] = count();
		if (@phase[$run] == 1) { @phase[$run] = 2; @closed[$run] = count(); }
	} else if (@phase[$run] == 1) {
		@inside[$run, args->id] = count();
		@entered_inside[tid] = 1;
	}
	if (args->id == 12) { @brk[$run] = count(); }
}
tracepoint:raw_syscalls:sys_exit
/comm == "ipc-static" && (curtask->real_parent->tgid == cpid || curtask->real_parent->real_parent->tgid == cpid)/
{
	$run = curtask->real_parent->tgid == cpid ? pid : curtask->real_parent->tgid;
	if (args->id == 228) {
		if (@phase[$run] == 0) { @phase[$run] = 1; @opened[$run] = count(); }
		else if (@phase[$run] == 2) { @phase[$run] = 3; }
	} else if (@entered_inside[tid]) {
		delete(@entered_inside[tid]);
	} else if (@phase[$run] == 1) {
		@inside[$run, args->id] = count();
	}
}
END { clear(@phase); clear(@entered_inside); }
"#,
    )
    .unwrap();
    let runs_file = dir.join("runs");
    let mut shell = String::new();
    for mode in MODES {
        for ipc in ipcs {
            let args = format!("-B -q -l -b 64 -t 32k -i {ipc} -p 0 {mode}");
            shell += &format!(
                "{} {args} & echo \"$! {mode} {ipc}\" >>{}; wait $! || echo FAILED {args} >&2\n",
                binary().display(),
                runs_file.display()
            );
        }
    }
    let runner = dir.join("runs.sh");
    fs::write(&runner, shell).unwrap();
    let out = Command::new("timeout")
        .args(["300", "bpftrace"])
        .arg(&script)
        .arg("-c")
        .arg(format!("/bin/sh {}", runner.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success() && !stderr.contains("FAILED"), "{stdout}\n{stderr}");
    let names: BTreeMap<u64, &str> =
        [(0, "read"), (1, "write"), (7, "poll"), (60, "exit"), (202, "futex"), (231, "exit_group")].into_iter().collect();
    let (inside, opened, closed, stamps) = (map(&stdout, "inside"), map(&stdout, "opened"), map(&stdout, "closed"), map(&stdout, "stamps"));
    assert!(map(&stdout, "brk").is_empty(), "no brk in any run:\n{stdout}");
    let runs = fs::read_to_string(&runs_file).unwrap();
    assert_eq!(runs.lines().count(), MODES.len() * ipcs.len(), "{runs}");
    let mut bracketed = Vec::new();
    for line in runs.lines() {
        let (pid, what) = line.split_once(' ').unwrap();
        let mut calls: BTreeMap<String, u64> = BTreeMap::new();
        for (key, n) in &inside {
            if let Some((run, id)) = key.split_once(", ") {
                if run == pid {
                    let id: u64 = id.parse().unwrap();
                    calls.insert(names.get(&id).map_or_else(|| format!("syscall {id}"), |n| n.to_string()), *n);
                }
            }
        }
        bracketed.push(Bracketed {
            what: what.to_string(),
            mode: what.split(' ').next().unwrap().to_string(),
            calls,
            opened: opened.get(pid).copied(),
            closed: closed.get(pid).copied(),
            stamps: stamps.get(pid).copied(),
            stdout: stdout.clone(),
        });
    }
    let _ = fs::remove_dir_all(&dir);
    Some(bracketed)
}

/// The entries `@name[key]: N` of a printed bpftrace map.
fn map(out: &str, name: &str) -> BTreeMap<String, u64> {
    let prefix = format!("@{name}[");
    let mut entries = BTreeMap::new();
    for line in out.lines().filter(|l| l.starts_with(&prefix)) {
        if let Some((key, n)) = line[prefix.len()..].rsplit_once("]: ") {
            if let Ok(n) = n.trim().parse::<u64>() {
                *entries.entry(key.to_string()).or_insert(0) += n;
            }
        }
    }
    entries
}

/// scripts/sweep.sh -l records the latency columns, the same number of
/// round trips at every size; scripts/plot.sh draws them; bad combinations
/// are refused before any run.
#[test]
fn a_latency_sweep_records_its_columns_and_is_plotted() {
    let dir = std::env::temp_dir().join(format!("ipc-static-latency-sweep {}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let script = |name: &str, args: &[&str]| {
        let out = Command::new("timeout")
            .arg("300")
            .arg(root().join("scripts").join(name))
            .args(args)
            .env("IPC_STATIC", binary())
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code(), text)
    };
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let (code, text) = script("sweep.sh", &["-o", out, "-B", "-n", "2", "-l", "-r", "50", "-b", "1,64", "-i", "pipe,local", "-m", "2thread"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains(" us/round-trip (p99 "), "{text}");
    let csv = fs::read_to_string(dir.join("out/results.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..12], &["ipc", "sflag", "mode", "buffersize", "totalsize", "trial", "round_trips", "mean_ns", "p50_ns", "p99_ns", "max_ns", "time_s"]);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 8, "{csv}");
    for row in &rows {
        let n = |i: usize| row[i].parse::<u64>().unwrap_or_else(|_| panic!("{row:?}"));
        assert_eq!((n(6), n(4)), (50, 50 * n(3)), "50 round trips of the size: {row:?}");
        assert!(0 < n(8) && n(8) <= n(9) && n(9) <= n(10), "p50 <= p99 <= max: {row:?}");
        assert_eq!(row[row.len() - 2], "ok", "{row:?}");
    }
    assert!(fs::read_to_string(dir.join("out/sweep.meta")).unwrap().contains("latency=50 round trips"));
    // -- -l works the same way; a bandwidth sweep into the same DIR is refused.
    let (code, text) = script("sweep.sh", &["-o", out, "-B", "-n", "1", "-b", "1", "-i", "pipe", "-m", "2thread", "--", "-l"]);
    assert_eq!(code, Some(64), "other settings: {text}");
    let (code, text) = script("sweep.sh", &["-o", out, "-B", "-n", "3", "-l", "-r", "50", "-b", "1,64", "-i", "pipe,local", "-m", "2thread"]);
    assert_eq!(code, Some(0), "a third trial is added: {text}");
    assert_eq!(fs::read_to_string(dir.join("out/results.csv")).unwrap().lines().count(), 1 + 12);
    let (code, text) = script("plot.sh", &[out]);
    assert_eq!(code, Some(0), "{text}");
    let svg = fs::read_to_string(dir.join("out/latency.svg")).unwrap();
    assert!(svg.contains("pipe 2thread p50") && svg.contains("local 2thread p99"), "both lines of each series");
    let summary = fs::read_to_string(dir.join("out/summary.txt")).unwrap();
    assert!(summary.contains("Mode 2thread: p50 / p99 (tail) by message size") && summary.contains("  64 B "), "{summary}");
    for (args, message) in [
        (&["-l", "-t", "1m"][..], "-t does not apply"),
        (&["-r", "5"], "-r (round trips) needs -l"),
        (&["-l", "-r", "0"], "round trips must be between 1"),
    ] {
        let mut all = vec!["-o", out];
        all.extend_from_slice(args);
        let (code, text) = script("sweep.sh", &all);
        assert_eq!(code, Some(64), "{args:?}: {text}");
        assert!(text.contains(message), "{args:?}: {text}");
    }
    let _ = fs::remove_dir_all(&dir);
}

// -l over shared memory (-i shmem): two one-way channels between two sides
// (the initiator's messages, the echoer's replies), one buffer copied in
// and out again in 1thread. Data is checked byte by byte both ways by the
// unit tests in src/ipc/shmem.rs; dead peers in reliability.rs.

#[test]
fn shmem_makes_its_round_trips_in_every_mode() {
    for mode in MODES {
        let pin = if mode == "1thread" { "0" } else { "0,1" };
        for (buffer, total, trips, extra) in [
            ("1", "1000", 1000, &[][..]),
            ("1k", "512k", 512, &["-F", "-a", "0"]),
            ("4093", "40930", 10, &["-a", pin]),
            ("128k", "512k", 4, &["-F", "-n", "2", "-g"]),
        ] {
            let mut args = vec!["-B", "-l", "-i", "shmem", "-b", buffer, "-t", total];
            args.extend_from_slice(extra);
            args.push(mode);
            let what = args.join(" ");
            let doc = json(&args);
            let config = &doc["benchmark_configuration"];
            assert_eq!((config["ipctype"].as_str(), config["latency"].as_bool()), (Some("shmem"), Some(true)), "{what}");
            assert!(config["kernel_buffers"].is_null(), "{what}: no kernel buffer: {config}");
            let samples = doc["benchmark_samples"].as_array().unwrap();
            assert_eq!(samples.len(), if extra.contains(&"-n") { 2 } else { 1 }, "{what}");
            for sample in samples {
                assert_sample(sample, trips, &what);
                assert_eq!(sample.get("utime").is_some(), extra.contains(&"-g"), "{what}");
            }
        }
    }
}

/// One -l run under `strace -f`: the entered calls in order, as
/// (name, arguments).
fn strace_calls(args: &[&str]) -> Vec<(String, String)> {
    let log = std::env::temp_dir().join(format!("ipc-static-latency-{}-{}.strace", std::process::id(), args.join("_")));
    let out = Command::new("timeout").args(["120", "strace", "-f", "-qq", "-o"]).arg(&log).arg(binary()).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let text = fs::read_to_string(&log).unwrap();
    let _ = fs::remove_file(&log);
    text.lines()
        .filter_map(|line| {
            let rest = line.split_once(char::is_whitespace)?.1.trim_start();
            let (name, args) = rest.split_once('(')?;
            let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            plain.then(|| (name.to_string(), args.to_string()))
        })
        .collect()
}

/// Two visible clock_gettime calls and no brk in the whole process, with
/// output on and off; no read, write or poll but the result's write to
/// stdout; between the stamps only futex calls (none at all in 1thread)
/// and the echoer's end.
#[test]
fn shmem_two_visible_stamps_no_heap_and_only_futex_calls() {
    if !have("strace") {
        assert!(std::env::var_os("CI").is_none(), "strace is missing in CI");
        return;
    }
    for mode in MODES {
        for output in ["-q", "-j"] {
            let args = ["-B", "-l", "-b", "4", "-t", "4k", "-i", "shmem", output, mode];
            let calls = strace_calls(&args);
            let names: Vec<&str> = calls.iter().map(|(n, _)| n.as_str()).collect();
            let stamps: Vec<usize> = names.iter().enumerate().filter(|(_, n)| **n == "clock_gettime").map(|(i, _)| i).collect();
            assert_eq!(stamps.len(), 2, "{args:?}: {names:?}");
            assert!(!names.contains(&"brk"), "{args:?}");
            for (name, arguments) in &calls {
                let result = name == "write" && arguments.starts_with("1,") && output == "-j";
                assert!(!matches!(name.as_str(), "read" | "write" | "poll") || result, "{args:?}: {name}({arguments}");
            }
            let inside = &names[stamps[0] + 1..stamps[1]];
            let allowed: &[&str] = match mode {
                "1thread" => &[],
                "2thread" => &["futex", "exit"],
                _ => &["futex", "exit_group"],
            };
            assert!(inside.iter().all(|n| allowed.contains(n)), "{args:?}: between the stamps: {inside:?}");
        }
    }
}

/// Calls outside the loop with -l, as the purity budgets count them
/// (README, "Purity"): every call but the loop's read, write and poll, the
/// two stamps and the futex calls (shmem's hand-offs, the echoer's
/// readiness flag, the 2thread join). shmem keeps the bandwidth budgets
/// (its second channel is one mmap more, in place of pipe2); a pipe pair
/// needs one pipe2 more, and in 2proc each process closes the other's two
/// ends, not one; and over a pipe or socket the initiator (2thread's main
/// thread, the 2proc parent) blocks SIGPIPE before its window, one
/// rt_sigprocmask: 11 and 16.
#[test]
fn latency_runs_keep_their_budgets_outside_the_loop() {
    if !have("strace") {
        assert!(std::env::var_os("CI").is_none(), "strace is missing in CI");
        return;
    }
    for (ipc, budgets) in [("shmem", [6, 10, 12]), ("pipe", [6, 11, 16])] {
        for (mode, budget) in MODES.into_iter().zip(budgets) {
            let args = ["-B", "-q", "-l", "-b", "131072", "-t", "16m", "-i", ipc, mode];
            let calls = strace_calls(&args);
            let outside: Vec<&str> = calls
                .iter()
                .map(|(n, _)| n.as_str())
                .filter(|n| !matches!(*n, "read" | "write" | "poll" | "futex" | "clock_gettime"))
                .collect();
            eprintln!("-l {ipc} {mode}: {} calls outside the loop (budget {budget}): {outside:?}", outside.len());
            assert!(outside.len() <= budget, "{args:?}: {outside:?}");
            assert_eq!(outside.first(), Some(&"execve"), "{args:?}");
            assert_eq!(outside.iter().filter(|n| **n == "brk").count(), 0, "{args:?}");
        }
    }
}

/// The live bracket around -l over shmem: inside it only futex calls (none
/// at all in 1thread) and the echoer's end; no read, no write; two stamps
/// per run and no brk.
#[test]
fn the_shmem_bracket_holds_futex_calls_and_the_echoers_end() {
    let Some(runs) = latency_brackets("bracket-shmem", &["shmem"]) else { return };
    for run in &runs {
        let (what, calls) = (&run.what, &run.calls);
        assert_eq!((run.opened, run.closed, run.stamps), (Some(1), Some(1), Some(2)), "{what}\n{}", run.stdout);
        eprintln!("bracket, -l {what}: {calls:?}");
        let allowed: &[&str] = match run.mode.as_str() {
            "1thread" => &[],
            "2thread" => &["futex", "exit"],
            _ => &["futex", "exit_group"],
        };
        assert!(calls.keys().all(|k| allowed.contains(&k.as_str())), "{what}: {calls:?} inside the bracket");
        assert!(calls.keys().filter(|k| k.starts_with("exit")).count() <= 1, "{what}: {calls:?}");
    }
}

/// The state letter and the system call (its number, first) of a process.
fn where_it_waits(pid: u32) -> Option<(char, String)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let state = stat.rsplit(')').next()?.trim_start().chars().next()?;
    Some((state, fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default()))
}

/// -l between two sides, over a pipe, and a write that claims a buffer it
/// never moved (issue 12's lying kernel: strace, without -f, lies to the
/// initiator, the main thread or the 2proc parent): the echoer waits for
/// the buffer, the initiator for its echo. Each would wait for a slow or
/// stopped peer the same way, so neither gives up: both sleep in read(2),
/// nothing is printed, and SIGTERM ends the run (in 2proc the echoer then
/// sees end of file, and goes too). docs/reliability.md lists this wait.
#[test]
fn a_lying_write_between_two_sides_is_waited_for_asleep_until_a_signal() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    if !have("strace") {
        assert!(std::env::var_os("CI").is_none(), "strace is missing in CI");
        return;
    }
    for mode in ["2thread", "2proc"] {
        let strace = Command::new("timeout")
            .args(["-k", "3", "30", "strace", "-qq", "-o", "/dev/null", "-e", "inject=write:retval=4096:when=2"])
            .arg(binary())
            .args(["-B", "-l", "-b", "4096", "-t", "64k", mode])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // timeout's child is strace, whose child is the run. A child is
        // taken by its name: strace first forks short-lived children of its
        // own to probe ptrace, which a loaded machine lets us see.
        let child_of = |parent: u32, name: &str| {
            let started = Instant::now();
            loop {
                let children = fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).unwrap_or_default();
                let named = children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()).find(|c| {
                    fs::read_to_string(format!("/proc/{c}/comm")).is_ok_and(|comm| comm.trim_end() == name)
                });
                if let Some(child) = named {
                    return child;
                }
                assert!(started.elapsed() < Duration::from_secs(10), "{mode}: {parent} made no {name}");
                std::thread::sleep(Duration::from_millis(10));
            }
        };
        let run = child_of(child_of(strace.id(), "strace"), "ipc-static");
        let echoer = (mode == "2proc").then(|| child_of(run, "ipc-static"));
        std::thread::sleep(Duration::from_secs(2));
        // Asleep in read(2) (number 0 on x86_64), each process; looked at
        // until it settles, on a loaded machine.
        let settled = Instant::now();
        let waiting = |pid: u32| {
            where_it_waits(pid).is_some_and(|(state, call)| state == 'S' && (!cfg!(target_arch = "x86_64") || call.starts_with("0 ")))
        };
        while !(waiting(run) && echoer.is_none_or(waiting)) && settled.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let seen = format!("{mode}: the run {:?}, the echoer {:?}", where_it_waits(run), echoer.map(where_it_waits));
        assert!(waiting(run) && echoer.is_none_or(waiting), "not both asleep in read: {seen}");
        assert!(Command::new("kill").args(["-TERM", &run.to_string()]).status().unwrap().success());
        let killed = Instant::now();
        let gone = |pid: u32| where_it_waits(pid).is_none_or(|(state, _)| state == 'Z' || state == 'X');
        while !(gone(run) && echoer.is_none_or(gone)) && killed.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let ended = gone(run) && echoer.is_none_or(gone);
        if let (false, Some(pid)) = (ended, echoer) {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
        let out = strace.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(ended, "{seen}: SIGTERM did not end both within 5 s");
        assert!(!stdout.contains("round-trip"), "{mode}: a figure: {stdout:?}");
    }
}
