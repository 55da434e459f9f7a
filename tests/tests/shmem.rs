//! Shared memory (-i shmem, issue 14), black-box: its output in every mode,
//! what a trace of it shows (futex calls and no read or write in the loop,
//! private futexes and mapping between two threads, shared ones between two
//! processes, the purity budgets of the other IPC types), and that a side
//! that waits sleeps instead of spinning. Data integrity is checked byte by
//! byte by the unit tests in src/ipc/shmem.rs (the binary's buffers carry
//! no pattern); faults and dead peers are in reliability.rs; the live
//! bpftrace bracket in tracing.rs.

use ipc_static_tests::{binary, have, is_bandwidth_line, run};
use serde_json::Value;
use std::process::Command;

const MODES: [&str; 3] = ["1thread", "2thread", "2proc"];

#[test]
fn every_mode_and_flag_gives_the_usual_output() {
    for mode in MODES {
        for extra in [&[][..], &["-v"], &["-g", "-P", "sw", "-n", "2"], &["-F", "-a", "0"]] {
            let mut args = vec!["-B", "-j", "-i", "shmem", "-b", "16k", "-t", "256k"];
            args.extend_from_slice(extra);
            args.push(mode);
            let r = run(&args);
            assert_eq!((r.code, r.stderr.as_str()), (Some(0), ""), "{args:?}");
            let doc: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", r.stdout));
            let config = &doc["benchmark_configuration"];
            assert_eq!((config["ipctype"].as_str(), config["mode"].as_str()), (Some("shmem"), Some(mode)));
            assert!(config["kernel_buffers"].is_null(), "no kernel buffer: {config}");
            let samples = doc["benchmark_samples"].as_array().unwrap();
            assert_eq!(samples.len(), if extra.contains(&"-n") { 2 } else { 1 });
            for s in samples {
                assert!(s["bandwidth"].as_f64().unwrap() > 0.0, "{s}");
                assert_eq!(s.get("utime").is_some(), extra.contains(&"-g"));
                if extra.contains(&"-P") {
                    assert!(s["counters"]["task_clock_ns"].as_u64().unwrap() > 0, "{s}");
                }
            }
        }
        let r = run(&["-B", "-v", "-i", "shmem", "-b", "16k", "-t", "256k", mode]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert!(r.stdout.contains("  ipctype: shmem\n"), "{}", r.stdout);
        assert!(!r.stdout.contains("kernel_buffer"), "shmem has no kernel buffer:\n{}", r.stdout);
        assert!(r.stdout.lines().last().is_some_and(is_bandwidth_line), "{}", r.stdout);
    }
}

/// One entered system call of `strace -f -o`: its name and its arguments.
struct Call {
    name: String,
    args: String,
}

fn strace(args: &[&str]) -> Vec<Call> {
    let log = std::env::temp_dir().join(format!("ipc-static-shmem-{}-{}.strace", std::process::id(), args.join("_")));
    let status = Command::new("timeout")
        .args(["120", "strace", "-f", "-qq", "-o"])
        .arg(&log)
        .arg(binary())
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "strace ipc-static {args:?}: {status}");
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    text.lines()
        .filter_map(|line| {
            let rest = line.split_once(char::is_whitespace)?.1.trim_start();
            let (name, args) = rest.split_once('(')?;
            let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            plain.then(|| Call { name: name.to_string(), args: args.to_string() })
        })
        .collect()
}

fn names(calls: &[Call]) -> Vec<&str> {
    calls.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn a_trace_shows_futex_calls_and_no_read_or_write_and_the_purity_budget_holds() {
    if !have("strace") {
        assert!(std::env::var_os("CI").is_none(), "strace is missing in CI (make test installs it)");
        eprintln!("SKIPPED: strace is not installed");
        return;
    }
    // (mode, most calls outside the loop (as for a pipe), allowed in the loop)
    let budgets: [(&str, usize, &[&str]); 3] =
        [("1thread", 6, &[]), ("2thread", 10, &["futex", "exit"]), ("2proc", 12, &["futex", "exit_group"])];
    for (mode, limit, allowed) in budgets {
        let calls = strace(&["-B", "-q", "-i", "shmem", "-b", "131072", "-t", "16m", mode]);
        let all = names(&calls);
        let stamps: Vec<usize> = all.iter().enumerate().filter(|(_, n)| **n == "clock_gettime").map(|(i, _)| i).collect();
        assert_eq!(stamps.len(), 2, "{mode}: two stamps: {all:?}");
        let inside = &all[stamps[0] + 1..stamps[1]];
        let outside = all.iter().filter(|n| !matches!(**n, "futex" | "clock_gettime")).count();
        let mut in_loop = std::collections::BTreeMap::new();
        for name in inside {
            *in_loop.entry(*name).or_insert(0) += 1;
        }
        eprintln!("shmem {mode}: {outside} calls outside the loop (budget {limit}); in the loop: {in_loop:?}");
        assert!(outside <= limit, "{mode}: {outside} > {limit}: {all:?}");
        assert!(inside.iter().all(|n| allowed.contains(n)), "{mode}: {inside:?}");
        for absent in ["read", "write", "poll", "brk", "pipe2", "socketpair"] {
            assert!(!all.contains(&absent), "{mode}: {absent}: {all:?}");
        }
        // The slot: its own mapping of the buffer and a 64-byte header,
        // shared (before the fork) only between two processes.
        let slot_size = format!("mmap(NULL, {}, PROT_READ|PROT_WRITE, ", 131072 + 64);
        let slot = calls
            .iter()
            .find(|c| c.name == "mmap" && format!("mmap({}", c.args).starts_with(&slot_size))
            .unwrap_or_else(|| panic!("{mode}: no mapping of the slot"));
        let shared = mode == "2proc";
        assert_eq!(slot.args.contains("MAP_SHARED"), shared, "{mode}: {}", slot.args);
        if shared {
            let at = |name: &str| all.iter().position(|n| *n == name).unwrap();
            assert!(at("mmap") < at("clone") && all.contains(&"getpid"), "{mode}: mapped before the fork: {all:?}");
        }
        // Every futex call on another word than the slot's is the join's.
        let futexes: Vec<&Call> = calls.iter().filter(|c| c.name == "futex").collect();
        if mode == "1thread" {
            assert!(futexes.is_empty(), "1thread never waits");
        }
        for f in futexes.iter().filter(|f| f.args.contains("FUTEX_WAIT_") || f.args.contains("FUTEX_WAKE_")) {
            assert!(!shared, "{mode}: a private futex between processes: {}", f.args);
        }
        if shared {
            assert!(futexes.iter().all(|f| !f.args.contains("_PRIVATE")), "{mode}");
        }
    }
}

#[test]
fn a_side_that_waits_sleeps_instead_of_spinning() {
    if !have("/usr/bin/time") && !std::path::Path::new("/usr/bin/time").exists() {
        assert!(std::env::var_os("CI").is_none(), "GNU time is missing in CI (make test installs it)");
        return;
    }
    // Without -B the sender sleeps a second before its first block, while
    // the receiver already waits for it: a spinning receiver would burn
    // that second, a sleeping one almost nothing.
    for mode in ["2thread", "2proc"] {
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%e %U %S"])
            .arg(binary())
            .args(["-i", "shmem", "-b", "64k", "-t", "64k", mode])
            .output()
            .unwrap();
        assert!(out.status.success(), "{mode}: {}", String::from_utf8_lossy(&out.stderr));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let times: Vec<f64> = stderr.lines().last().unwrap().split(' ').map(|t| t.parse().unwrap()).collect();
        let (wall, cpu) = (times[0], times[1] + times[2]);
        eprintln!("shmem {mode} without -B: {wall} s wall, {cpu} s CPU");
        assert!(wall >= 2.0, "{mode}: quiescing and the sender's sleep take two seconds: {wall}");
        assert!(cpu < 0.5, "{mode}: {cpu} s of CPU while waiting a second: spinning?");
    }
}

/// What the futex calls on the slots' state words did in one run, from
/// `strace -ff` (one file per thread or process, so every call is whole).
#[derive(Debug, Default)]
struct SlotFutexes {
    /// FUTEX_WAKE calls made, and those that woke a sleeper (returned >= 1).
    wakes: usize,
    wakes_that_woke: usize,
    /// FUTEX_WAIT calls that slept until woken (returned 0), and those that
    /// slept out their timeout (ETIMEDOUT).
    waits_woken: usize,
    waits_timed_out: usize,
}

fn slot_futexes(args: &[&str], slot_bytes: usize) -> SlotFutexes {
    let dir = std::env::temp_dir().join(format!("ipc-static-shmem-wakes-{}-{}", std::process::id(), args.join("_")));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let status = Command::new("timeout")
        .args(["120", "strace", "-ff", "-qq", "-e", "trace=mmap,futex", "-o"])
        .arg(dir.join("t"))
        .arg(binary())
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "strace ipc-static {args:?}: {status}");
    let mut lines = Vec::new();
    for file in std::fs::read_dir(&dir).unwrap() {
        lines.extend(std::fs::read_to_string(file.unwrap().path()).unwrap().lines().map(str::to_string));
    }
    let _ = std::fs::remove_dir_all(&dir);
    // The slots: their own mappings of the buffer and its 64-byte header,
    // whose first word is the state word (sys/slot.rs).
    let slot_map = format!("mmap(NULL, {slot_bytes}, ");
    let words: Vec<String> =
        lines.iter().filter(|l| l.starts_with(&slot_map)).filter_map(|l| l.rsplit_once("= ").map(|(_, a)| a.to_string())).collect();
    assert!(!words.is_empty(), "{args:?}: no slot mapped");
    let mut seen = SlotFutexes::default();
    for line in &lines {
        let Some(call) = line.strip_prefix("futex(") else { continue };
        if !words.iter().any(|w| call.starts_with(&format!("{w},"))) {
            continue; // the readiness flag's, or the 2thread join's
        }
        let result = line.rsplit_once(") = ").map_or("", |(_, r)| r);
        if call.contains("FUTEX_WAKE") {
            seen.wakes += 1;
            seen.wakes_that_woke += usize::from(result.parse::<u64>().is_ok_and(|n| n >= 1));
        } else if call.contains("FUTEX_WAIT") {
            seen.waits_woken += usize::from(result == "0");
            seen.waits_timed_out += usize::from(result.contains("ETIMEDOUT"));
        }
    }
    seen
}

/// Every wait on a slot is bounded (100 ms, then it looks again), so a
/// version whose sides never woke each other would still finish every run,
/// only slowly, and pass every other test. Here a side is certain to sleep:
/// without -B the side that opens the window sleeps a second first while
/// the other already waits for its first block (it sleeps out several
/// timeouts meanwhile). The first hand-off must then wake it: FUTEX_WAKE
/// calls that woke a sleeper, and waits that ended because they were
/// woken, not only by timing out. In 2proc the futexes are shared, so a
/// wake with the wrong flags (private) would wake nobody and fail here too.
#[test]
fn a_waiting_side_is_woken_by_the_other_not_by_its_timeout() {
    if !have("strace") {
        assert!(std::env::var_os("CI").is_none(), "strace is missing in CI (make test installs it)");
        eprintln!("SKIPPED: strace is not installed");
        return;
    }
    for mode in ["2thread", "2proc"] {
        for latency in [false, true] {
            let mut args = vec!["-q", "-i", "shmem", "-b", "4096", "-t", "64k"];
            if latency {
                args.push("-l");
            }
            args.push(mode);
            let seen = slot_futexes(&args, 4096 + 64);
            eprintln!("{args:?}: {seen:?}");
            assert!(seen.wakes >= 1, "{args:?}: no FUTEX_WAKE on a slot, though a side slept a second: {seen:?}");
            assert!(seen.wakes_that_woke >= 1, "{args:?}: no FUTEX_WAKE woke anyone: {seen:?}");
            assert!(seen.waits_woken >= 1, "{args:?}: every wait ended by its timeout: {seen:?}");
        }
    }
}
