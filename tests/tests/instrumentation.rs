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
        // Both sides on one CPU: 1 MiB cannot pass through a 64 KiB pipe
        // unless a side blocks (a tick-driven preemption could not switch
        // often enough in a loop this short). Across two CPUs a reader that
        // keeps pace with the writer may never find the pipe empty or full,
        // and 1 run in 8 here took no voluntary switch at all.
        let doc = json(&["-B", "-g", "-a", "0", "-b", "4096", "-t", "1m", mode]);
        let s = &samples(&doc)[0];
        for field in ["utime", "stime", "minflt", "majflt", "nvcsw", "nivcsw"] {
            assert!(s[field].is_number(), "{mode}: {field} missing");
        }
        // 256 small writes into a pipe between two sides on one CPU: they block.
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
    for mode in ["1thread", "2thread", "2proc"] {
        let doc = json(&["-B", "-P", "sw", "-b", "4096", "-t", "1m", mode]);
        let counters = &samples(&doc)[0]["counters"];
        eprintln!("sw {mode}: {counters}");
        assert!(counters["task_clock_ns"].as_u64().unwrap() > 0, "{counters}");
        assert!(counters["page_faults"].is_u64() && counters["context_switches"].is_u64(), "{counters}");
        // One group: enabled and running the same time (software counters
        // are never multiplexed), and that time is the tasks' clock.
        let enabled = counters["time_enabled_ns"].as_u64().unwrap();
        assert_eq!(counters["time_running_ns"].as_u64(), Some(enabled), "{counters}");
        assert!(enabled > 0, "{counters}");
        assert_eq!(counters["scaled"], false);
        assert_eq!(counters["unsupported"], serde_json::json!({}), "{counters}");
    }
    let doc = json(&["-B", "-P", "sw", "-b", "4096", "-t", "1m", "2thread"]);
    assert!(samples(&doc)[0]["counters"]["context_switches"].is_u64());
    let sets = [
        ("arch", ["instructions", "cycles", "branches", "branch_misses"]),
        ("dcache", ["l1d_loads", "l1d_load_misses", "llc_loads", "llc_load_misses"]),
        ("instr", ["l1i_misses", "itlb_misses", "instructions", "cycles"]),
        ("tlbmem", ["dtlb_loads", "dtlb_load_misses", "itlb_misses", "llc_misses"]),
    ];
    for (set, names) in sets {
        let r = run(&["-B", "-j", "-P", set, "-t", "64k", "-b", "64k", "2proc"]);
        assert_eq!(r.code, Some(0), "{set}: {}", r.stderr);
        let doc: Value = serde_json::from_str(&r.stdout).unwrap();
        let counters = samples(&doc)[0]["counters"].as_object().unwrap().clone();
        assert!(counters.len() >= 9, "{set}: {counters:?}");
        let derived = counters.len() - 8;
        let unsupported = counters["unsupported"].as_object().unwrap();
        // A counter without a count says why: never a 0 in its place.
        for name in names {
            match counters[name].as_u64() {
                Some(_) => assert!(!unsupported.contains_key(name), "{set}: {name}"),
                None => {
                    assert!(counters[name].is_null(), "{set}: {name}");
                    let why = &unsupported[name];
                    assert_eq!(why["operation"], "perf_event_open", "{set}: {why}");
                    assert!(why["errno"].as_u64().unwrap() > 0 && why["cause"].as_str().unwrap().len() > 3, "{set}: {why}");
                }
            }
        }
        let opened = names.len() - unsupported.len();
        assert_eq!(counters["time_enabled_ns"].is_null(), opened == 0, "{set}");
        // One warning line when anything is unsupported, none otherwise.
        assert_eq!(r.stderr.lines().count(), usize::from(!unsupported.is_empty()), "{set}: {}", r.stderr);
        if let Some(line) = r.stderr.lines().next() {
            assert!(line.starts_with("ipc-static: warning: some -P counters are not supported here (perf_event_open: "), "{line}");
        }
        eprintln!("{set}: {} of 4 counters unsupported here ({derived} derived)", unsupported.len());
        let text = run(&["-B", "-P", set, "-t", "64k", "-b", "64k", "1thread"]);
        assert_eq!(text.code, Some(0));
        let why_lines = text.stdout.lines().filter(|l| l.contains(": n/a (perf_event_open: ")).count();
        assert_eq!(why_lines, unsupported.len(), "{}", text.stdout);
    }
}

/// strace with -e inject: the stamps, counters and ioctls of one run.
fn strace_log(follow: bool, specs: &[&str], args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new("strace");
    if follow {
        cmd.arg("-f");
    }
    cmd.args(["-qq", "-o", "/dev/stderr", "-e", "trace=perf_event_open,ioctl,clone,clone3,wait4,clock_gettime,futex,exit,exit_group,getrusage,nanosleep,clock_nanosleep"]);
    for spec in specs {
        cmd.arg("-e").arg(format!("inject={spec}"));
    }
    let out = cmd.arg(binary()).args(args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The order of the calls' entries in an strace -f log, by name.
fn positions(log: &str, name: &str) -> Vec<usize> {
    log.lines()
        .enumerate()
        .filter(|(_, l)| {
            let rest = l.split_once(char::is_whitespace).map_or(*l, |(_, r)| r).trim_start();
            rest.starts_with(&format!("{name}("))
        })
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn counters_are_one_group_started_after_the_sender_exists_and_stopped_before_the_join() {
    if !have("strace") {
        assert!(std::env::var_os("CI").is_none(), "strace missing in CI");
        return;
    }
    for mode in ["1thread", "2thread", "2proc"] {
        let (code, _, log) = strace_log(true, &[], &["-B", "-q", "-P", "sw", "-t", "1m", "-b", "64k", mode]);
        assert_eq!(code, Some(0), "{mode}: {log}");
        // The group: a leader (group_fd -1) and three members naming it,
        // each reading the group with both times.
        let opens: Vec<&str> = log.lines().filter(|l| l.contains("perf_event_open(")).collect();
        assert_eq!(opens.len(), 4, "{mode}: {log}");
        let leader_fd = opens[0].rsplit("= ").next().unwrap().trim().to_string();
        assert!(opens[0].contains(", -1, PERF_FLAG_FD_CLOEXEC)"), "{mode}: the leader: {}", opens[0]);
        for member in &opens[1..] {
            assert!(member.contains(&format!(", {leader_fd}, PERF_FLAG_FD_CLOEXEC)")), "{mode}: a member: {member}");
        }
        for (i, open) in opens.iter().enumerate() {
            assert!(open.contains("read_format=PERF_FORMAT_TOTAL_TIME_ENABLED|PERF_FORMAT_TOTAL_TIME_RUNNING|PERF_FORMAT_GROUP"), "{open}");
            assert!(open.contains("inherit=1"), "{open}");
            // Only the leader is opened disabled: the members count while it does.
            assert_eq!(open.contains("disabled=1"), i == 0, "{open}");
        }
        // Enabled and disabled once each, as a group, on the leader.
        let ioctls: Vec<&str> = log.lines().filter(|l| l.contains("ioctl(")).collect();
        assert_eq!(ioctls.len(), 2, "{mode}: {log}");
        assert!(ioctls[0].contains(&format!("ioctl({leader_fd}, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP")), "{}", ioctls[0]);
        assert!(ioctls[1].contains(&format!("ioctl({leader_fd}, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP")), "{}", ioctls[1]);
        // Enable just before the start stamp, disable just after the finish
        // stamp: after clone/fork, before the join or wait4.
        let (enable, disable) = (positions(&log, "ioctl")[0], positions(&log, "ioctl")[1]);
        let stamps = positions(&log, "clock_gettime");
        assert_eq!(stamps.len(), 2, "{mode}: {log}");
        assert!(enable < stamps[0] && stamps[1] < disable, "{mode}: {log}");
        if let Some(&clone) = positions(&log, "clone").first() {
            assert!(clone < enable, "{mode}: enabled before the sender existed: {log}");
        }
        for wait in positions(&log, "wait4") {
            assert!(disable < wait, "{mode}: disabled after the wait: {log}");
        }
        if mode == "2thread" {
            // The only futex: the join, after the finish stamp and the disable.
            for futex in positions(&log, "futex") {
                assert!(disable < futex, "{mode}: {log}");
            }
        }
    }
}

#[test]
fn a_counter_that_cannot_be_started_is_unsupported_with_its_errno_never_zero() {
    if !have("strace") {
        assert!(std::env::var_os("CI").is_none(), "strace missing in CI");
        return;
    }
    for mode in ["1thread", "2thread", "2proc"] {
        // strace counts calls per thread or process: in 2thread and 2proc the
        // sender's only ioctl starts the group and the receiver's stops it.
        let (follow_disable, disable) =
            if mode == "1thread" { (true, "ioctl:error=EIO:when=2") } else { (false, "ioctl:error=EIO:when=1") };
        for (follow, spec, errno, operation) in [
            (true, "ioctl:error=ENODEV:when=1", 19, "ioctl PERF_EVENT_IOC_ENABLE"),
            (follow_disable, disable, 5, "ioctl PERF_EVENT_IOC_DISABLE"),
        ] {
            let (code, stdout, log) = strace_log(follow, &[spec], &["-B", "-j", "-P", "sw", "-t", "1m", "-b", "64k", mode]);
            assert_eq!(code, Some(0), "{mode} {spec}: {log}");
            let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{mode} {spec}: {e}: {stdout}"));
            let counters = &samples(&doc)[0]["counters"];
            for name in ["task_clock_ns", "context_switches", "cpu_migrations", "page_faults"] {
                assert!(counters[name].is_null(), "{mode} {spec}: {name} is {}", counters[name]);
                let why = &counters["unsupported"][name];
                assert_eq!((why["operation"].as_str(), why["errno"].as_u64()), (Some(operation), Some(errno)), "{mode} {spec}: {why}");
            }
            assert!(log.contains(&format!("warning: some -P counters are not supported here ({operation}: ")), "{mode} {spec}: {log}");
            let text = Command::new("strace")
                .args(if follow { &["-f", "-qq"][..] } else { &["-qq"] })
                .args(["-o", "/dev/null", "-e", &format!("inject={spec}")])
                .arg(binary())
                .args(["-B", "-P", "sw", "-t", "1m", "-b", "64k", mode])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&text.stdout);
            assert!(text.contains(&format!("  task_clock_ns: n/a ({operation}: ")), "{mode} {spec}: {text}");
        }
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
            // The sender's end only (and in 2proc the parent's close of its
            // copy of the writer, if the child starts first).
            let others: Vec<&&str> = inside.iter().filter(|c| !matches!(**c, "read" | "write" | "poll")).collect();
            let allowed: &[&str] = match mode {
                "1thread" => &[],
                "2thread" => &["exit"],
                _ => &["exit_group", "close"],
            };
            assert!(others.len() <= allowed.len(), "{mode}: {others:?} inside the loop");
            for call in others {
                assert!(allowed.contains(call), "{mode}: {call} inside the loop");
            }
        }
    }
}

/// (pid, call, args) of each call entered in an strace -f log, in order.
fn entries(log: &str) -> Vec<(String, String, String)> {
    log.lines()
        .filter_map(|l| {
            let (pid, rest) = l.split_once(char::is_whitespace)?;
            let rest = rest.trim_start();
            let (name, args) = rest.split_once('(')?;
            (!rest.starts_with("<...") && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                .then(|| (pid.to_string(), name.to_string(), args.to_string()))
        })
        .collect()
}

#[test]
fn rusage_snapshots_enclose_the_loop_and_no_clone_fork_or_sleep() {
    if !have("strace") {
        assert!(std::env::var_os("CI").is_none(), "strace missing in CI");
        return;
    }
    // Without -B: the sleeps of quiescing and of the sender must stay out.
    for mode in ["1thread", "2thread", "2proc"] {
        let (code, _, log) = strace_log(true, &[], &["-q", "-g", "-t", "1m", "-b", "64k", mode]);
        assert_eq!(code, Some(0), "{mode}: {log}");
        let calls = entries(&log);
        let at = |name: &str, arg: &str| -> Vec<usize> {
            calls.iter().enumerate().filter(|(_, c)| c.1 == name && c.2.starts_with(arg)).map(|(i, _)| i).collect()
        };
        let own = at("getrusage", "RUSAGE_SELF");
        assert_eq!(own.len(), 2, "{mode}: {log}");
        let between = &calls[own[0]..own[1]];
        let names: Vec<&str> = between.iter().map(|c| c.1.as_str()).collect();
        eprintln!("{mode}: between the snapshots: {names:?}");
        for forbidden in ["clone", "clone3", "fork", "vfork", "nanosleep", "clock_nanosleep"] {
            // (2proc: the child's own sleep is not the parent's usage.)
            let parent = &calls[own[0]].0;
            assert!(
                !between.iter().any(|c| c.1 == forbidden && (mode != "2proc" || &c.0 == parent)),
                "{mode}: {forbidden} between the snapshots: {log}"
            );
        }
        let stamps = at("clock_gettime", "");
        assert!(own[0] < stamps[0] && stamps[1] < own[1], "{mode}: the snapshots do not enclose the stamps: {log}");
        if mode == "2proc" {
            // RUSAGE_CHILDREN: before the loop, and after wait4 has reaped the child.
            let children = at("getrusage", "RUSAGE_CHILDREN");
            let wait = at("wait4", "");
            assert_eq!((children.len(), wait.len()), (2, 1), "{mode}: {log}");
            assert!(children[0] < stamps[0] && wait[0] < children[1], "{mode}: {log}");
            assert!(at("clone", "")[0] < own[0], "{mode}: the first snapshot is after the fork: {log}");
        }
    }
}

/// -P counts both threads of 2thread, members of the group included: its
/// context switches are -g's (whose snapshots sit just outside the counters'
/// start and stop), give or take the sender's exit. (Group members opened
/// disabled and enabled after their leader counted none here: this test
/// caught it.)
#[test]
fn counters_and_rusage_agree_on_the_context_switches_of_both_threads() {
    let mut compared = 0;
    for _ in 0..20 {
        let doc = json(&["-B", "-g", "-P", "sw", "-b", "4096", "-t", "1m", "2thread"]);
        let s = &samples(&doc)[0];
        let rusage = s["nvcsw"].as_u64().unwrap() + s["nivcsw"].as_u64().unwrap();
        let counted = s["counters"]["context_switches"].as_u64().unwrap();
        eprintln!("2thread: getrusage {rusage} context switches, -P {counted}");
        assert!(counted <= rusage && rusage <= counted + 2, "{s}");
        assert!(s["counters"]["page_faults"].as_u64().unwrap() <= s["minflt"].as_u64().unwrap(), "{s}");
        if rusage >= 10 {
            compared += 1;
            if compared == 3 {
                return;
            }
        }
    }
    panic!("fewer than 3 of 20 runs blocked 10 times: nothing to compare");
}
