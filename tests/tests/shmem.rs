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
