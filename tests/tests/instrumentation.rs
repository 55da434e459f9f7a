//! Labs 2 and 3 instrumentation: -j, -n, -g, -P, -a, -s on pipes, -p 0,
//! and that none of it leaks or adds calls inside the loop.

use ipc_static_tests::{binary, have, run};
use serde_json::Value;
use std::process::Command;

fn json(args: &[&str]) -> Value {
    let mut all = vec!["-j"];
    all.extend_from_slice(args);
    let r = run(&all);
    assert_eq!(r.code, Some(0), "{all:?}: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{all:?}: invalid JSON ({e}):\n{}", r.stdout))
}

fn samples(doc: &Value) -> &Vec<Value> {
    doc["benchmark_samples"].as_array().expect("benchmark_samples is a list")
}

#[test]
fn json_is_valid_for_every_mode_ipc_type_and_flag_combination() {
    let mut documents = 0;
    for mode in ["1thread", "2thread", "2proc"] {
        for ipc in ["pipe", "local", "tcp"] {
            for extra in [&[][..], &["-g"], &["-v"], &["-s"], &["-g", "-P", "sw", "-n", "2"], &["-a", "0", "-P", "arch"]] {
                let mut args = vec!["-B", "-i", ipc, "-p", "0", "-b", "16k", "-t", "256k"];
                args.extend_from_slice(extra);
                args.push(mode);
                let doc = json(&args);
                documents += 1;
                let config = &doc["benchmark_configuration"];
                assert_eq!(config["mode"], mode);
                assert_eq!(config["ipctype"], ipc);
                assert_eq!(config["buffersize"], 16384);
                assert_eq!(config["totalsize"], 262144);
                assert_eq!(config["blockcount"], 16);
                assert_eq!(config["bare"], true);
                assert_eq!(config["sflag"], extra.contains(&"-s"));
                let kernel = &config["kernel_buffers"];
                assert!(kernel["writer"].as_u64().unwrap() > 0 && kernel["reader"].as_u64().unwrap() > 0);
                if ipc == "tcp" {
                    assert!(config["tcp_port"].as_u64().unwrap() > 0, "the kernel's port is shown");
                }
                let expected_samples = if extra.contains(&"-n") { 2 } else { 1 };
                assert_eq!(samples(&doc).len(), expected_samples);
                for s in samples(&doc) {
                    let time = s["time"].as_f64().unwrap();
                    let bandwidth = s["bandwidth"].as_f64().unwrap();
                    assert!(time > 0.0 && bandwidth > 0.0);
                    let expected = 262144.0 / 1024.0 / time;
                    assert!((bandwidth - expected).abs() <= 0.01 + expected * 1e-6, "{bandwidth} vs {expected}");
                    assert!(s["bytes_per_sec"].as_u64().unwrap() > 0);
                    assert_eq!(s.get("utime").is_some(), extra.contains(&"-g"));
                }
                assert_eq!(doc.get("host").is_some(), extra.contains(&"-v"));
            }
        }
    }
    eprintln!("{documents} JSON documents parsed");
}

#[test]
fn iterations_give_one_sample_each() {
    let r = run(&["-B", "-n", "5", "-t", "64k", "-b", "64k", "2thread"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout.lines().filter(|l| l.ends_with(" KBytes/sec")).count(), 5);
    let doc = json(&["-B", "-n", "7", "-t", "64k", "-b", "64k", "1thread"]);
    let numbers: Vec<u64> = samples(&doc).iter().map(|s| s["iteration"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (1..=7).collect::<Vec<_>>());
    assert_eq!(doc["benchmark_configuration"]["iterations"], 7);
}

#[test]
fn rusage_counts_voluntary_switches_of_a_blocking_pipe() {
    for mode in ["2thread", "2proc"] {
        let doc = json(&["-B", "-g", "-b", "4096", "-t", "1m", mode]);
        let s = &samples(&doc)[0];
        for field in ["utime", "stime", "minflt", "majflt", "nvcsw", "nivcsw"] {
            assert!(s[field].is_number(), "{mode}: {field} missing");
        }
        // 256 small writes into a pipe between two sides: they block.
        assert!(s["nvcsw"].as_u64().unwrap() > 0, "{mode}: {s}");
        assert!(s["utime"].as_f64().unwrap() + s["stime"].as_f64().unwrap() > 0.0, "{mode}: {s}");
        eprintln!("{mode}: nvcsw {} nivcsw {} minflt {}", s["nvcsw"], s["nivcsw"], s["minflt"]);
    }
    let r = run(&["-B", "-g", "-t", "64k", "-b", "64k", "1thread"]);
    let fields: Vec<&str> = r.stdout.lines().skip(1).filter_map(|l| l.trim_start().split(':').next()).collect();
    assert_eq!(fields, ["utime", "stime", "minflt", "majflt", "nvcsw", "nivcsw"], "{}", r.stdout);
}

#[test]
fn software_counters_count_and_hardware_ones_degrade_cleanly() {
    let doc = json(&["-B", "-P", "sw", "-b", "4096", "-t", "1m", "2thread"]);
    let counters = &samples(&doc)[0]["counters"];
    eprintln!("sw: {counters}");
    assert!(counters["context_switches"].as_u64().unwrap() > 0, "{counters}");
    assert!(counters["task_clock_ns"].as_u64().unwrap() > 0, "{counters}");
    assert!(counters["page_faults"].is_u64());
    for set in ["arch", "dcache", "instr", "tlbmem"] {
        let r = run(&["-B", "-j", "-P", set, "-t", "64k", "-b", "64k", "2proc"]);
        assert_eq!(r.code, Some(0), "{set}: {}", r.stderr);
        let doc: Value = serde_json::from_str(&r.stdout).unwrap();
        let counters = samples(&doc)[0]["counters"].as_object().unwrap().clone();
        assert!(counters.len() >= 5, "{set}: {counters:?}");
        let unsupported = counters.values().filter(|v| v.is_null()).count();
        // One warning line when anything is unsupported, none otherwise.
        assert_eq!(r.stderr.lines().count(), usize::from(unsupported > 0), "{set}: {}", r.stderr);
        eprintln!("{set}: {unsupported} of {} values unsupported here", counters.len());
        let text = run(&["-B", "-P", set, "-t", "64k", "-b", "64k", "1thread"]);
        assert_eq!(text.code, Some(0));
        assert_eq!(text.stdout.lines().filter(|l| l.ends_with(": n/a")).count(), unsupported, "{}", text.stdout);
    }
}

#[test]
fn affinity_pins_with_sched_setaffinity() {
    if have("strace") {
        let out = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=sched_setaffinity", "-o", "/dev/stdout"])
            .arg(binary())
            .args(["-B", "-q", "-a", "0,1", "-t", "64k", "-b", "64k", "2thread"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let trace = String::from_utf8_lossy(&out.stdout);
        let calls: Vec<&str> = trace.lines().filter(|l| l.contains("sched_setaffinity(")).collect();
        assert_eq!(calls.len(), 2, "receiver and sender: {trace}");
        assert!(calls[0].contains("[0]") && calls[1].contains("[1]"), "{trace}");
    }
    for args in [&["-a", "0", "1thread"][..], &["-a", "1,0", "2proc"], &["-a", "0", "2proc"]] {
        let mut all = vec!["-B", "-t", "64k", "-b", "64k"];
        all.extend_from_slice(args);
        let r = run(&all);
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
    }
    let r = run(&["-B", "-a", "x", "2thread"]);
    assert_eq!(r.code, Some(64));
    assert!(r.stderr.starts_with("ipc-static: invalid CPU list"), "{}", r.stderr);
    let r = run(&["-B", "-a", "0,1", "1thread"]);
    assert_eq!(r.code, Some(64), "{}", r.stderr);
    let r = run(&["-B", "-a", "1000", "-t", "64k", "-b", "64k", "2thread"]);
    assert_eq!(r.code, Some(71), "{}", r.stderr);
    assert!(r.stderr.starts_with("ipc-static: sched_setaffinity CPU 1000: "), "{}", r.stderr);
    let r = run(&["-B", "-a", "0,1000", "-t", "64k", "-b", "64k", "2proc"]);
    assert!(r.code != Some(0) && r.stderr.contains("sched_setaffinity CPU 1000: "), "{}", r.stderr);
    assert_eq!(r.stdout, "");
}

#[test]
fn sizing_a_pipe_changes_its_capacity() {
    let capacity = |extra: &[&str]| {
        let mut args = vec!["-B", "-v"];
        args.extend_from_slice(extra);
        args.push("2thread");
        let doc = json(&args);
        let kernel = &doc["benchmark_configuration"]["kernel_buffers"];
        assert_eq!(kernel["writer"], kernel["reader"], "a pipe has one buffer");
        kernel["writer"].as_u64().unwrap()
    };
    let default = capacity(&["-t", "1m", "-b", "64k"]);
    let small = capacity(&["-s", "-t", "1m", "-b", "4096"]);
    let large = capacity(&["-s", "-t", "1m", "-b", "1m"]);
    let odd = capacity(&["-s", "-t", "300000", "-b", "100000"]);
    eprintln!("pipe capacity: default {default}, -s 4096 -> {small}, -s 1m -> {large}, -s 100000 -> {odd}");
    assert_eq!(default, 65536);
    assert_eq!(small, 4096);
    assert_eq!(large, 1048576);
    assert_eq!(odd, 131072, "rounded up to a power-of-two number of pages");
}

#[test]
fn socket_buffers_are_reported_as_the_kernel_doubles_them() {
    let doc = json(&["-B", "-s", "-i", "local", "-b", "64k", "-t", "1m", "2thread"]);
    let kernel = &doc["benchmark_configuration"]["kernel_buffers"];
    assert_eq!(kernel["writer"], 131072);
    assert_eq!(kernel["reader"], 131072);
}

#[test]
fn port_zero_lets_parallel_tcp_runs_coexist() {
    let running: Vec<_> = (0..8)
        .map(|_| {
            Command::new("timeout")
                .arg("60")
                .arg(binary())
                .args(["-B", "-j", "-i", "tcp", "-p", "0", "-b", "8k", "-t", "4m", "2proc"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ports = Vec::new();
    for child in running {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        ports.push(doc["benchmark_configuration"]["tcp_port"].as_u64().unwrap());
    }
    eprintln!("8 parallel TCP runs on ports {ports:?}");
}

/// Counts system calls by name in an strace -f log.
fn count(log: &str, name: &str) -> usize {
    log.lines().filter(|l| l.contains(&format!(" {name}(")) || l.starts_with(&format!("{name}("))).count()
}

#[test]
fn two_hundred_iterations_leak_no_descriptors_mappings_or_children() {
    if !have("strace") {
        assert!(std::env::var_os("CI").is_none(), "strace missing in CI");
        return;
    }
    for (ipc, mode) in [("pipe", "2proc"), ("local", "2thread"), ("tcp", "1thread")] {
        let out = Command::new("strace")
            .args(["-f", "-qq", "-o", "/dev/stdout", "-e", "trace=pipe2,socketpair,socket,accept4,accept,perf_event_open,close,mmap,munmap,clone,clone3,wait4,clock_gettime,brk,exit_group"])
            .arg(binary())
            .args(["-B", "-j", "-g", "-P", "sw", "-n", "200", "-i", ipc, "-p", "0", "-t", "16k", "-b", "16k", mode])
            .output()
            .unwrap();
        assert!(out.status.success(), "{ipc} {mode}");
        let full = String::from_utf8_lossy(&out.stdout);
        // A 2proc child closes its inherited copy of the reader: that is not
        // the parent's descriptor, so count only the parent and its threads.
        // Child processes are the pids, other than the first, that end with
        // exit_group (the 2thread sender thread ends with exit).
        let main_pid = full.split_whitespace().next().unwrap_or("").to_string();
        let children: Vec<String> = full
            .lines()
            .filter(|l| l.contains("exit_group("))
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .filter(|pid| *pid != main_pid)
            .collect();
        let log: String = full
            .lines()
            .filter(|l| !children.iter().any(|pid| l.split_whitespace().next() == Some(pid.as_str())))
            .map(|l| format!("{l}\n"))
            .collect();
        let opened = 2 * (count(&log, "pipe2") + count(&log, "socketpair"))
            + count(&log, "socket")
            + count(&log, "accept4")
            + count(&log, "accept")
            + log.lines().filter(|l| l.contains("perf_event_open(") && !l.contains("= -1")).count();
        let closed = count(&log, "close");
        let (mapped, unmapped) = (count(&log, "mmap"), count(&log, "munmap"));
        eprintln!("{ipc} {mode} -n 200: {opened} fds opened, {closed} closed; {mapped} mmap, {unmapped} munmap; {} clock_gettime", count(&log, "clock_gettime"));
        assert_eq!(opened, closed, "{ipc} {mode}: descriptors leak");
        assert_eq!(mapped, unmapped, "{ipc} {mode}: mappings leak");
        assert_eq!(count(&full, "clock_gettime"), 400, "two stamps per iteration");
        assert_eq!(count(&full, "brk"), 0);
        if mode == "2proc" {
            assert_eq!(count(&log, "clone"), 200);
            assert_eq!(count(&log, "wait4"), 200, "every child reaped");
        }
    }
}

#[test]
fn instrumentation_adds_nothing_between_the_stamps() {
    if !have("strace") {
        assert!(std::env::var_os("CI").is_none(), "strace missing in CI");
        return;
    }
    for mode in ["1thread", "2thread", "2proc"] {
        let out = Command::new("strace")
            .args(["-f", "-qq", "-o", "/dev/stdout"])
            .arg(binary())
            .args(["-B", "-j", "-g", "-v", "-n", "5", "-P", "sw", "-a", "0", "-t", "256k", "-b", "64k", mode])
            .output()
            .unwrap();
        assert!(out.status.success());
        let log = String::from_utf8_lossy(&out.stdout);
        let calls: Vec<&str> = log
            .lines()
            .filter_map(|l| {
                let rest = l.split_once(char::is_whitespace)?.1.trim_start();
                (!rest.starts_with("<...") && !rest.starts_with("---") && !rest.starts_with("+++"))
                    .then(|| rest.split('(').next().unwrap())
            })
            .collect();
        assert_eq!(calls.iter().filter(|c| **c == "brk").count(), 0, "{mode}: brk");
        let stamps: Vec<usize> = calls.iter().enumerate().filter(|(_, c)| **c == "clock_gettime").map(|(i, _)| i).collect();
        assert_eq!(stamps.len(), 10, "{mode}: two stamps per iteration");
        for pair in stamps.chunks(2) {
            let inside = &calls[pair[0] + 1..pair[1]];
            let others: Vec<&&str> = inside.iter().filter(|c| !matches!(**c, "read" | "write" | "poll")).collect();
            assert!(others.len() <= 4, "{mode}: {others:?} inside the loop");
            for call in others {
                assert!(
                    matches!(*call, "close" | "rt_sigprocmask" | "futex" | "exit" | "exit_group" | "munmap"),
                    "{mode}: {call} inside the loop"
                );
            }
        }
    }
}
