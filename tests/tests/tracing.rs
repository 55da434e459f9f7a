//! The tracing toolkit (issue 4): the bpftrace analyses in scripts/bpftrace,
//! their D twins in scripts/dtrace, and scripts/trace.sh, run for real against
//! the ./ipc-static that `make` builds.
//!
//! Tracing needs root and bpftrace. Without them these tests fail with a
//! clear message when CI is set, and say why they skip otherwise. The traced
//! runs are serialised (TRACE_LOCK): each bpftrace follows only the benchmark
//! it starts, but two at a time on a small machine would disturb the
//! scheduling analyses.

use ipc_static_tests::{binary, have, is_root, root, run};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static TRACE_LOCK: Mutex<()> = Mutex::new(());

const ANALYSES: [&str; 8] = [
    "loop-returns",
    "loop-syscalls",
    "loop-latency",
    "loop-sched",
    "loop-wakeups",
    "loop-faults",
    "loop-profile",
    "whole-program",
];

/// Small runs keep the tests fast: 1 MiB in 64 KiB blocks (16 blocks).
const TOTAL: u64 = 1_048_576;
const BUFFER: u64 = 65_536;

/// True when this machine can trace; otherwise fails under CI, or prints
/// why the test is skipped.
fn can_trace(test: &str) -> bool {
    let mut missing = Vec::new();
    if !is_root() {
        missing.push("not running as root");
    }
    if !have("bpftrace") {
        missing.push("bpftrace is not installed");
    }
    if missing.is_empty() {
        ensure_tracefs();
        return true;
    }
    let why = missing.join(", ");
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: cannot trace: {why} (CI must run the tracing tests as root with bpftrace; make test installs it)"
    );
    eprintln!("SKIP {test}: {why}");
    false
}

/// bpftrace's tracepoints need tracefs; mount it when it is not (as
/// scripts/trace.sh does), so that the scripts also run without the wrapper.
fn ensure_tracefs() {
    if Path::new("/sys/kernel/tracing/events/syscalls").exists()
        || Path::new("/sys/kernel/debug/tracing/events/syscalls").exists()
    {
        return;
    }
    let status = Command::new("mount").args(["-t", "tracefs", "nodev", "/sys/kernel/tracing"]).status();
    eprintln!("mounted tracefs on /sys/kernel/tracing: {status:?}");
    assert!(
        Path::new("/sys/kernel/tracing/events/syscalls").exists(),
        "tracefs is not mounted and could not be mounted on /sys/kernel/tracing"
    );
}

fn trace_sh() -> PathBuf {
    root().join("scripts").join("trace.sh")
}

struct Traced {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `scripts/trace.sh <analysis> -- <args>` against ./ipc-static, under a
/// watchdog, one at a time.
fn trace(analysis: &str, args: &[&str]) -> Traced {
    let _guard = TRACE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let out = Command::new("timeout")
        .arg("300")
        .arg(trace_sh())
        .arg(analysis)
        .arg("--")
        .args(args)
        .env("IPC_STATIC", binary())
        .output()
        .expect("run scripts/trace.sh");
    let t = Traced {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(
        t.code,
        Some(0),
        "trace.sh {analysis} -- {}: exit {:?}\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        t.code,
        t.stdout,
        t.stderr
    );
    t
}

/// The number after `label` on the line that starts with it ("read bytes: 16").
fn value(out: &str, label: &str) -> u64 {
    let line = out
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no line starting with {label:?} in:\n{out}"));
    line[label.len()..]
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no number after {label:?} in {line:?}"))
}

/// The entries `@map[key]: N` of a printed bpftrace map (one-line keys).
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

/// The bucket lines of a printed histogram `@name:` (up to the blank line).
fn histogram(out: &str, name: &str) -> Vec<String> {
    let head = format!("@{name}: ");
    let mut lines = out.lines().skip_while(|l| !l.starts_with(&head));
    if lines.next().is_none() {
        return Vec::new();
    }
    lines.take_while(|l| l.starts_with('[') || l.starts_with('(')).map(str::to_string).collect()
}

/// Both "brackets opened: n" and "brackets closed: n", and a live
/// "bracket k open"/"bracket k close" line for every k in 1..=n.
fn assert_brackets(out: &str, n: u64) {
    assert_eq!(value(out, "brackets opened:"), n, "brackets opened:\n{out}");
    assert_eq!(value(out, "brackets closed:"), n, "brackets closed:\n{out}");
    for k in 1..=n {
        for what in ["open", "close"] {
            let needle = format!("bracket {k} {what}");
            assert!(out.contains(&needle), "missing {needle:?} in:\n{out}");
        }
    }
}

fn bench_args<'a>(ipc: &'a str, mode: &'a str, total: &'a str, buffer: &'a str) -> Vec<&'a str> {
    vec!["-B", "-q", "-t", total, "-b", buffer, "-i", ipc, mode]
}

#[test]
fn loop_returns_byte_totals_and_calls_in_every_mode() {
    if !can_trace("loop_returns_byte_totals_and_calls_in_every_mode") {
        return;
    }
    let (total, buffer) = (TOTAL.to_string(), BUFFER.to_string());
    let blocks = TOTAL / BUFFER;
    for ipc in ["pipe", "local"] {
        for mode in ["1thread", "2thread", "2proc"] {
            let t = trace("loop-returns", &bench_args(ipc, mode, &total, &buffer));
            let out = &t.stdout;
            assert_brackets(out, 1);
            let (rb, wb) = (value(out, "read bytes:"), value(out, "write bytes:"));
            let (rc, wc) = (value(out, "read calls:"), value(out, "write calls:"));
            let (re, we) = (value(out, "read errors:"), value(out, "write errors:"));
            let hist = histogram(out, "read_returns");
            eprintln!(
                "loop-returns {ipc} {mode}: read {rc} calls {rb} bytes {re} errors, \
                 write {wc} calls {wb} bytes {we} errors, read histogram {} buckets",
                hist.len()
            );
            assert_eq!(rb, TOTAL, "{ipc} {mode}: read bytes\n{out}");
            assert_eq!(wb, TOTAL, "{ipc} {mode}: write bytes\n{out}");
            assert!(!hist.is_empty(), "{ipc} {mode}: empty read histogram\n{out}");
            assert!(!histogram(out, "write_returns").is_empty(), "{ipc} {mode}: empty write histogram\n{out}");
            assert!(rc >= 1 && rc - re >= TOTAL.div_ceil(BUFFER), "{ipc} {mode}: read calls\n{out}");
            if mode != "1thread" {
                assert_eq!(wc, blocks, "{ipc} {mode}: writes must equal the block count\n{out}");
                assert_eq!(we, 0, "{ipc} {mode}: blocking writes never fail\n{out}");
            }
            // Per side: the byte totals per thread add up to the same.
            let per_thread = map(out, "bytes_by_thread");
            let read_side: u64 = per_thread.iter().filter(|(k, _)| k.ends_with(", read")).map(|(_, v)| v).sum();
            let write_side: u64 = per_thread.iter().filter(|(k, _)| k.ends_with(", write")).map(|(_, v)| v).sum();
            assert_eq!((read_side, write_side), (TOTAL, TOTAL), "{ipc} {mode}: per-thread bytes\n{out}");
        }
    }
}

#[test]
fn loop_returns_over_tcp() {
    if !can_trace("loop_returns_over_tcp") {
        return;
    }
    let t = trace("loop-returns", &["-B", "-q", "-t", "1048576", "-b", "65536", "-i", "tcp", "-p", "0", "2thread"]);
    let out = &t.stdout;
    assert_brackets(out, 1);
    eprintln!(
        "loop-returns tcp 2thread: read {} calls, write {} calls",
        value(out, "read calls:"),
        value(out, "write calls:")
    );
    assert_eq!(value(out, "read bytes:"), TOTAL, "{out}");
    assert_eq!(value(out, "write bytes:"), TOTAL, "{out}");
    assert_eq!(value(out, "write calls:"), TOTAL / BUFFER, "{out}");
}

#[test]
fn iterations_open_and_close_their_own_brackets() {
    if !can_trace("iterations_open_and_close_their_own_brackets") {
        return;
    }
    for mode in ["1thread", "2thread", "2proc"] {
        let t = trace("loop-returns", &["-B", "-q", "-n", "3", "-t", "1048576", "-b", "65536", mode]);
        let out = &t.stdout;
        let opened = value(out, "brackets opened:");
        eprintln!("-n 3 {mode}: {opened} brackets, read bytes {}", value(out, "read bytes:"));
        assert_brackets(out, 3);
        assert_eq!(value(out, "read bytes:"), 3 * TOTAL, "{mode}\n{out}");
        assert_eq!(value(out, "write bytes:"), 3 * TOTAL, "{mode}\n{out}");
    }
}

#[test]
fn loop_syscalls_finds_only_the_loop_calls() {
    if !can_trace("loop_syscalls_finds_only_the_loop_calls") {
        return;
    }
    for ipc in ["pipe", "local"] {
        for mode in ["1thread", "2thread", "2proc"] {
            let t = trace("loop-syscalls", &bench_args(ipc, mode, "1048576", "65536"));
            let out = &t.stdout;
            assert_brackets(out, 1);
            let inside = map(out, "loop_syscalls");
            let whole = map(out, "whole_program");
            let mut allowed = vec!["read", "write"];
            if mode == "1thread" {
                allowed.push("poll");
            }
            let extra: BTreeMap<_, _> = inside.iter().filter(|(k, _)| !allowed.contains(&k.as_str())).collect();
            let extra_calls: u64 = extra.values().copied().sum();
            let all: u64 = whole.values().sum();
            let outside = all
                - whole.get("read").copied().unwrap_or(0)
                - whole.get("write").copied().unwrap_or(0)
                - whole.get("clock_gettime").copied().unwrap_or(0);
            eprintln!(
                "loop-syscalls {ipc} {mode}: inside {inside:?}; exit path {extra_calls}; \
                 whole program {all} calls, {outside} besides read/write/clock_gettime"
            );
            assert!(inside.get("write").copied().unwrap_or(0) >= TOTAL / BUFFER, "{ipc} {mode}: writes\n{out}");
            assert!(inside.get("read").copied().unwrap_or(0) >= TOTAL / BUFFER, "{ipc} {mode}: reads\n{out}");
            if mode == "1thread" {
                assert!(extra.is_empty(), "{ipc} 1thread: unexpected calls in the loop: {extra:?}\n{out}");
            } else {
                // What may happen after the sender's last write, before the
                // receiver's finish stamp: the sender's end (its thread's
                // exit, its process's exit_group), and in 2proc the parent's
                // close of its copy of the writer if the child started first.
                let exit_path: &[&str] = if mode == "2thread" { &["exit"] } else { &["exit_group", "close"] };
                assert!(
                    extra.keys().all(|k| exit_path.contains(&k.as_str())),
                    "{ipc} {mode}: calls in the loop that are not the sender's exit path: {extra:?}\n{out}"
                );
                assert!(extra_calls <= 2, "{ipc} {mode}: exit path of {extra_calls} calls (≤ 2)\n{out}");
                assert_eq!(inside.get("write").copied(), Some(TOTAL / BUFFER), "{ipc} {mode}: writes\n{out}");
            }
            assert_eq!(whole.get("clock_gettime").copied(), Some(2), "{ipc} {mode}: two stamps\n{out}");
            assert_eq!(whole.get("execve").copied(), Some(1), "{ipc} {mode}: execve\n{out}");
            assert!(!whole.contains_key("brk"), "{ipc} {mode}: brk\n{out}");
        }
    }
}

/// shmem: the loop's calls are futex waits and wakes (private between two
/// threads, shared between two processes), counted and split by operation;
/// no read or write anywhere; none at all in 1thread.
#[test]
fn loop_syscalls_counts_shmems_futex_calls() {
    if !can_trace("loop_syscalls_counts_shmems_futex_calls") {
        return;
    }
    for mode in ["1thread", "2thread", "2proc"] {
        let t = trace("loop-syscalls", &bench_args("shmem", mode, "1048576", "4096"));
        let out = &t.stdout;
        assert_brackets(out, 1);
        let (inside, whole, futex) = (map(out, "loop_syscalls"), map(out, "whole_program"), map(out, "loop_futex"));
        let counted = value(out, "futex calls in the loop:");
        eprintln!("loop-syscalls shmem {mode}: inside {inside:?}; {counted} futex calls {futex:?}");
        for absent in ["read", "write", "poll"] {
            assert!(!whole.contains_key(absent), "{mode}: {absent}\n{out}");
        }
        assert_eq!(whole.get("clock_gettime").copied(), Some(2), "{mode}: two stamps\n{out}");
        assert_eq!(futex.values().sum::<u64>(), counted, "{mode}: the split adds up\n{out}");
        assert_eq!(inside.get("futex").copied().unwrap_or(0), counted, "{mode}\n{out}");
        if mode == "1thread" {
            assert!(inside.is_empty() && counted == 0, "1thread: nothing between the stamps\n{out}");
            continue;
        }
        let end = if mode == "2thread" { "exit" } else { "exit_group" };
        assert!(inside.keys().all(|k| k == "futex" || k == end), "{mode}: {inside:?}\n{out}");
        // 256 hand-offs through one slot: some side always has to wait.
        assert!(counted > 0, "{mode}: no futex call in the loop\n{out}");
        let private = futex.keys().filter(|k| k.contains("_PRIVATE")).count();
        assert_eq!(private, if mode == "2thread" { futex.len() } else { 0 }, "{mode}: {futex:?}");
        assert!(futex.keys().all(|k| k.starts_with("FUTEX_WAIT") || k.starts_with("FUTEX_WAKE")), "{futex:?}");
    }
}

/// shmem's hand-off in the scheduler: each side sleeps in FUTEX_WAIT and is
/// woken from the other's FUTEX_WAKE.
#[test]
fn loop_wakeups_shows_shmems_futex_wake_path() {
    if !can_trace("loop_wakeups_shows_shmems_futex_wake_path") {
        return;
    }
    for mode in ["2thread", "2proc"] {
        let mut out = String::new();
        for attempt in 1..=3 {
            out = trace("loop-wakeups", &bench_args("shmem", mode, "1048576", "4096")).stdout;
            assert_brackets(&out, 1);
            let (wakeups, sleeps) = (value(&out, "wakeups:"), value(&out, "sleeps:"));
            eprintln!("loop-wakeups shmem {mode} (attempt {attempt}): {wakeups} wakeups, {sleeps} sleeps");
            if wakeups > 0 && sleeps > 0 {
                break;
            }
        }
        let stacks = |name: &str| out.split(&format!("@{name}[")).skip(1).map(|s| s.split(']').next().unwrap_or("")).collect::<Vec<_>>();
        let (sleep, wake) = (stacks("sleep_stacks"), stacks("wake_stacks"));
        assert!(!sleep.is_empty() && !wake.is_empty(), "{mode}: no sleep or wake in three runs\n{out}");
        assert!(sleep.iter().any(|s| s.contains("futex_wait")), "{mode}: sleeps in FUTEX_WAIT\n{out}");
        assert!(wake.iter().any(|s| s.contains("futex_wake")), "{mode}: wakes from FUTEX_WAKE\n{out}");
        assert!(!out.contains("pipe_") && !out.contains("unix_stream"), "{mode}: no pipe or socket\n{out}");
    }
}

#[test]
fn loop_latency_times_every_call() {
    if !can_trace("loop_latency_times_every_call") {
        return;
    }
    for mode in ["1thread", "2thread", "2proc"] {
        let t = trace("loop-latency", &bench_args("pipe", mode, "1048576", "65536"));
        let out = &t.stdout;
        assert_brackets(out, 1);
        let (rc, wc) = (value(out, "read calls:"), value(out, "write calls:"));
        let (rns, wns, loop_ns) = (value(out, "read total ns:"), value(out, "write total ns:"), value(out, "loop ns:"));
        eprintln!("loop-latency pipe {mode}: loop {loop_ns} ns, {rc} reads {rns} ns, {wc} writes {wns} ns");
        assert!(rc >= TOTAL / BUFFER && rns > 0, "{mode}\n{out}");
        assert!(wc >= TOTAL / BUFFER && wns > 0, "{mode}\n{out}");
        if mode != "1thread" {
            assert_eq!(wc, TOTAL / BUFFER, "{mode}: writes\n{out}");
        }
        assert!(!histogram(out, "read_ns").is_empty(), "{mode}: read histogram\n{out}");
        assert!(!histogram(out, "write_ns").is_empty(), "{mode}: write histogram\n{out}");
        assert!(loop_ns > 0, "{mode}\n{out}");
    }
}

#[test]
fn loop_sched_sees_off_cpu_events_with_small_pipe_buffers() {
    if !can_trace("loop_sched_sees_off_cpu_events_with_small_pipe_buffers") {
        return;
    }
    // 256 writes of 4 KiB through a pipe between two threads: the receiver
    // drains the pipe faster than it fills and blocks, again and again.
    let mut seen = 0;
    for attempt in 1..=3 {
        let t = trace("loop-sched", &bench_args("pipe", "2thread", "1048576", "4096"));
        let out = &t.stdout;
        assert_brackets(out, 1);
        let events = map(out, "offcpu_events");
        let total = value(out, "off-cpu events:");
        let keyed: u64 = events.values().sum();
        eprintln!("loop-sched pipe 2thread -b 4096 (attempt {attempt}): {total} off-CPU events {events:?}");
        assert!(keyed >= total, "the per-thread counts are exact, the total may lose one\n{out}");
        seen = keyed;
        if keyed > 0 {
            break;
        }
    }
    assert!(seen > 0, "no off-CPU event in three pipe 2thread -b 4096 runs");
}

#[test]
fn loop_wakeups_shows_who_wakes_whom_and_where_they_sleep() {
    if !can_trace("loop_wakeups_shows_who_wakes_whom_and_where_they_sleep") {
        return;
    }
    // Whether either thread blocks inside the loop is up to the scheduler:
    // on a loaded machine one run can go through without a sleep, so up to
    // three runs, as in loop-sched.
    let mut t = trace("loop-wakeups", &bench_args("pipe", "2thread", "1048576", "4096"));
    for attempt in 1..=3 {
        if attempt > 1 {
            t = trace("loop-wakeups", &bench_args("pipe", "2thread", "1048576", "4096"));
        }
        let out = &t.stdout;
        assert_brackets(out, 1);
        let (wakeups, sleeps) = (value(out, "wakeups:"), value(out, "sleeps:"));
        eprintln!("loop-wakeups pipe 2thread -b 4096 (attempt {attempt}): {wakeups} wakeups, {sleeps} sleeps");
        if wakeups > 0 && sleeps > 0 {
            break;
        }
    }
    let out = &t.stdout;
    assert!(value(out, "wakeups:") > 0 && value(out, "sleeps:") > 0, "no sleep in three runs\n{out}");
    assert!(out.contains("@wakeups[ipc-static, "), "{out}");
    assert!(out.contains("@sleep_stacks["), "{out}");
    assert!(out.contains("pipe_read") || out.contains("pipe_write"), "sleeps in the pipe code\n{out}");
}

#[test]
fn loop_faults_finds_first_touch_faults() {
    if !can_trace("loop_faults_finds_first_touch_faults") {
        return;
    }
    for mode in ["1thread", "2thread", "2proc"] {
        let t = trace("loop-faults", &bench_args("pipe", mode, "1048576", "65536"));
        let out = &t.stdout;
        assert_brackets(out, 1);
        let faults = value(out, "loop faults:");
        let whole = value(out, "whole-program faults:");
        let per_thread = map(out, "loop_faults");
        eprintln!("loop-faults pipe {mode}: {faults} in the loop, {whole} in the whole program: {per_thread:?}");
        // The two untouched 64 KiB buffers are touched first in the loop.
        assert!(faults >= BUFFER / 4096, "{mode}: {faults} faults\n{out}");
        assert!(whole >= faults, "{mode}\n{out}");
        let kernel: u64 = per_thread.iter().filter(|(k, _)| k.contains(", kernel, ")).map(|(_, n)| n).sum();
        assert_eq!(kernel, 2 * BUFFER / 4096, "{mode}: one kernel fault per page of each buffer\n{out}");
        // -F touches every page before the start stamp: no buffer faults in
        // the loop, in any mode (2proc keeps the receiver's pages from the
        // child, or the fork would make them copy-on-write).
        let mut args = bench_args("pipe", mode, "1048576", "65536");
        args.insert(0, "-F");
        let t = trace("loop-faults", &args);
        let out = &t.stdout;
        assert_brackets(out, 1);
        let per_thread = map(out, "loop_faults");
        let kernel: u64 = per_thread.iter().filter(|(k, _)| k.contains(", kernel, ")).map(|(_, n)| n).sum();
        eprintln!("loop-faults pipe -F {mode}: {per_thread:?}");
        assert_eq!(kernel, 0, "{mode} -F: no fault of read() or write() on the buffers\n{out}");
        // What may remain are user faults of the program's own: in 2proc the
        // child's first write to the page that carries its start stamp back,
        // and copy-on-write faults on stack pages after the fork (0 to 3 here,
        // depending on when each side first writes them).
    }
}

/// shmem's slot is user memory like the buffers: untouched, each of its
/// pages faults in the loop (user faults: the copies are memcpy, not the
/// kernel's); with -F none does, in 2proc too, where the child maps the
/// shared slot's pages itself before its start stamp (fork passes no page
/// table entry of a shared mapping on).
#[test]
fn loop_faults_with_shmem_and_its_prefault() {
    if !can_trace("loop_faults_with_shmem_and_its_prefault") {
        return;
    }
    // 1 MiB blocks: 256 pages per buffer, and one hand-off.
    let pages = 1_048_576 / 4096;
    for mode in ["1thread", "2thread", "2proc"] {
        let t = trace("loop-faults", &bench_args("shmem", mode, "1048576", "1048576"));
        let untouched = value(&t.stdout, "loop faults:");
        let mut args = bench_args("shmem", mode, "1048576", "1048576");
        args.insert(0, "-F");
        let t = trace("loop-faults", &args);
        assert_brackets(&t.stdout, 1);
        let prefaulted = value(&t.stdout, "loop faults:");
        eprintln!("loop-faults shmem {mode}: {untouched} in the loop untouched, {prefaulted} with -F");
        assert!(untouched >= 3 * pages, "{mode}: the three buffers' pages fault in the loop\n{}", t.stdout);
        assert!(prefaulted < 8, "{mode} -F: {prefaulted} faults in the loop\n{}", t.stdout);
    }
}

#[test]
fn whole_program_lists_execve_first_and_exit_group_last() {
    if !can_trace("whole_program_lists_execve_first_and_exit_group_last") {
        return;
    }
    for mode in ["1thread", "2thread", "2proc"] {
        let t = trace("whole-program", &bench_args("pipe", mode, "262144", "65536"));
        let out = &t.stdout;
        assert_brackets(out, 1);
        let n = value(out, "syscalls:");
        // Entries, in timestamp order (lines from two CPUs may interleave).
        let mut entries: Vec<(u64, String)> = out
            .lines()
            .filter_map(|l| {
                let mut f = l.splitn(4, ' ');
                let ts = f.next()?.parse::<u64>().ok()?;
                let _tid = f.next()?;
                let arrow = f.next()?;
                let rest = f.next()?;
                (arrow == "->").then(|| (ts, rest.split('(').next().unwrap_or("").to_string()))
            })
            .collect();
        entries.sort();
        let names: Vec<&str> = entries.iter().map(|(_, n)| n.as_str()).collect();
        eprintln!(
            "whole-program pipe {mode}: {n} syscalls, first {:?}, last {:?}",
            names.first(),
            names.last()
        );
        assert!(out.contains("first syscall: execve"), "{mode}\n{out}");
        assert!(out.contains("last syscall: exit_group"), "{mode}\n{out}");
        assert_eq!(names.first().copied(), Some("execve"), "{mode}\n{out}");
        assert_eq!(names.last().copied(), Some("exit_group"), "{mode}\n{out}");
        // The summary's counter is a racy global (see the script's caveats).
        let lines = names.len() as u64;
        assert!(lines >= n && lines - n <= 2, "{mode}: {lines} entry lines for {n} system calls\n{out}");
        assert_eq!(names.iter().filter(|&&n| n == "clock_gettime").count(), 2, "{mode}\n{out}");
        assert_addresses_in_hex_and_creations_named(mode, out);
    }
}

/// whole-program prints mmap's return as a whole hex address (the loop's
/// buffers lie inside it), and names a new thread as a thread and a new
/// process as a fork.
fn assert_addresses_in_hex_and_creations_named(mode: &str, out: &str) {
    let mut mappings = Vec::new();
    for line in out.lines() {
        if let Some((_, ret)) = line.split_once(" <- mmap = ") {
            let hex = ret.strip_prefix("0x").unwrap_or_else(|| panic!("{mode}: mmap return not in hex: {line}"));
            mappings.push(u64::from_str_radix(hex, 16).unwrap());
        }
    }
    assert!(!mappings.is_empty(), "{mode}: no mmap return\n{out}");
    // The buffers' mapping is 0x30000 or 0x20000 bytes (stack + 2 x 64 KiB); every
    // read of the loop reads into it, which a 32-bit cut address would miss.
    let read_buffer = out
        .lines()
        .find_map(|l| l.split_once(" -> read(").map(|(_, args)| args.split(", ").nth(1).unwrap().to_string()))
        .unwrap_or_else(|| panic!("{mode}: no read\n{out}"));
    let read_buffer = u64::from_str_radix(read_buffer.trim_start_matches("0x"), 16).unwrap();
    assert!(
        mappings.iter().any(|&m| read_buffer >= m && read_buffer < m + 0x30000),
        "{mode}: the read buffer {read_buffer:#x} lies in none of the mmap returns {mappings:x?}"
    );
    let threads = out.matches(" thread created: tid ").count();
    let forks = out.matches(" fork: child pid ").count();
    let (want_threads, want_forks) = match mode {
        "2thread" => (1, 0),
        "2proc" => (0, 1),
        _ => (0, 0),
    };
    assert_eq!((threads, forks), (want_threads, want_forks), "{mode}: thread and fork lines\n{out}");
}

#[test]
fn scripts_run_directly_with_bpftrace_as_their_headers_say() {
    if !can_trace("scripts_run_directly_with_bpftrace_as_their_headers_say") {
        return;
    }
    let _guard = TRACE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let command = format!("{} -B -q -t 1048576 -b 65536 -i local 2thread", binary().display());
    let out = Command::new("timeout")
        .arg("300")
        .arg("bpftrace")
        .arg(root().join("scripts/bpftrace/loop-returns.bt"))
        .arg("-c")
        .arg(&command)
        .output()
        .expect("run bpftrace");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "bpftrace -c {command}: {:?}\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    assert_brackets(&stdout, 1);
    eprintln!("bpftrace loop-returns.bt -c '{command}': read bytes {}", value(&stdout, "read bytes:"));
    assert_eq!(value(&stdout, "read bytes:"), TOTAL);
    assert_eq!(value(&stdout, "write bytes:"), TOTAL);
}

/// The notebook's thread-local bracket, transcribed to bpftrace with per-tid
/// state, misses every read of a 2thread loop: the reason the scripts use a
/// global bracket (and what loop-returns' header says).
#[test]
fn the_notebooks_thread_local_bracket_sees_only_the_sender_in_2thread() {
    if !can_trace("the_notebooks_thread_local_bracket_sees_only_the_sender_in_2thread") {
        return;
    }
    let _guard = TRACE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp_dir("thread-local");
    let script = dir.join("thread-local.bt");
    fs::write(
        &script,
        r#"
tracepoint:syscalls:sys_exit_clock_gettime /pid == cpid && !@ipc_loop[tid]/ { @ipc_loop[tid] = 1; }
tracepoint:syscalls:sys_enter_clock_gettime /@ipc_loop[tid]/ { @ipc_loop[tid] = 0; }
tracepoint:syscalls:sys_exit_read /pid == cpid && @ipc_loop[tid]/ { @calls["read"] = count(); }
tracepoint:syscalls:sys_exit_write /pid == cpid && @ipc_loop[tid]/ { @calls["write"] = count(); }
END { clear(@ipc_loop); }
"#,
    )
    .unwrap();
    let mut seen = BTreeMap::new();
    for mode in ["1thread", "2thread"] {
        let command = format!("{} -B -q -t 1048576 -b 65536 {mode}", binary().display());
        let out = Command::new("timeout").arg("300").arg("bpftrace").arg(&script).arg("-c").arg(&command).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        let calls = map(&stdout, "calls");
        eprintln!("thread-local bracket, {mode}: {calls:?}");
        seen.insert(mode, calls);
    }
    assert_eq!(seen["1thread"].get("read").copied(), Some(TOTAL / BUFFER), "1thread: both stamps in one thread");
    assert_eq!(seen["2thread"].get("write").copied(), Some(TOTAL / BUFFER), "2thread: the sender is seen");
    assert_eq!(seen["2thread"].get("read"), None, "2thread: the receiver's reads are missed");
    let _ = fs::remove_dir_all(&dir);
}

/// One bpftrace session that brackets each run of a list on its own: a run
/// is a child of the shell bpftrace starts (a 2proc sender, a grandchild),
/// and threads are told apart by their process. For each call of the
/// bracket's rule (entered or returned inside), `@inside[run, syscall]`.
const BRACKET_BT: &str = r#"
tracepoint:raw_syscalls:sys_enter
/comm == "ipc-static" && (curtask->real_parent->tgid == cpid || curtask->real_parent->real_parent->tgid == cpid)/
{
	$run = curtask->real_parent->tgid == cpid ? pid : curtask->real_parent->tgid;
	if (args->id == 228) {
		if (@phase[$run] == 1) { @phase[$run] = 2; @closed[$run] = count(); }
	} else if (@phase[$run] == 1) {
		@inside[$run, args->id] = count();
		@entered_inside[tid] = 1;
	}
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
"#;

/// One run of a live bracket session: its label ("mode ipc -q"), the mode,
/// the calls in its bracket by name, and how many brackets it opened and
/// closed.
struct Bracketed {
    what: String,
    mode: String,
    calls: BTreeMap<String, u64>,
    opened: Option<u64>,
    closed: Option<u64>,
}

/// Runs every (mode, ipc) with and without -q, 1 MiB in 64 KiB blocks,
/// under one live bpftrace bracket (BRACKET_BT).
fn live_brackets(tag: &str, modes: &[&str], ipcs: &[&str]) -> Vec<Bracketed> {
    let _guard = TRACE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp_dir(tag);
    let script = dir.join("bracket.bt");
    fs::write(&script, BRACKET_BT).unwrap();
    let runs_file = dir.join("runs");
    let mut shell = String::new();
    for mode in modes {
        for ipc in ipcs {
            for quiet in ["-q", ""] {
                let args = format!("-B {quiet} -t 1m -b 64k -i {ipc} -p 0 {mode}");
                shell += &format!(
                    "{} {args} >/dev/null & echo \"$! {mode} {ipc} {quiet}\" >>{}; wait $! || echo FAILED {args} >&2\n",
                    binary().display(),
                    runs_file.display()
                );
            }
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
    let names: BTreeMap<u64, &str> = [(0, "read"), (1, "write"), (3, "close"), (7, "poll"), (60, "exit"), (202, "futex"), (231, "exit_group")]
        .into_iter()
        .collect();
    let inside = map(&stdout, "inside");
    let (opened, closed) = (map(&stdout, "opened"), map(&stdout, "closed"));
    let runs = fs::read_to_string(&runs_file).unwrap();
    assert_eq!(runs.lines().count(), modes.len() * ipcs.len() * 2, "{runs}");
    let mut bracketed = Vec::new();
    for line in runs.lines() {
        let mut words = line.split_whitespace();
        let (pid, mode) = (words.next().unwrap(), words.next().unwrap());
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
            what: line.split_once(' ').unwrap().1.to_string(),
            mode: mode.to_string(),
            calls,
            opened: opened.get(pid).copied(),
            closed: closed.get(pid).copied(),
        });
    }
    let _ = fs::remove_dir_all(&dir);
    bracketed
}

/// The window tells the truth: a live bpftrace bracket (no strace, so no
/// thread is serialised) around every mode and IPC type, with and without
/// -q, all in one bpftrace session. Inside the bracket, besides
/// read/write/poll: nothing in 1thread, the sender's exit in 2thread, and in
/// 2proc the child's exit_group and the parent's close of its copy of the
/// writer.
#[test]
fn the_bracket_holds_only_the_loop_and_the_senders_end() {
    if !can_trace("the_bracket_holds_only_the_loop_and_the_senders_end") {
        return;
    }
    for run in live_brackets("bracket", &["1thread", "2thread", "2proc"], &["pipe", "local", "tcp"]) {
        let (what, calls) = (&run.what, &run.calls);
        assert_eq!((run.opened, run.closed), (Some(1), Some(1)), "{what}: one bracket");
        let others: Vec<&String> = calls.keys().filter(|k| !matches!(k.as_str(), "read" | "write" | "poll")).collect();
        eprintln!("bracket, {what}: {calls:?}");
        let allowed: &[&str] = match run.mode.as_str() {
            "1thread" => &[],
            "2thread" => &["exit"],
            _ => &["exit_group", "close"],
        };
        assert!(others.iter().all(|k| allowed.contains(&k.as_str())), "{what}: {others:?} inside the bracket");
        assert!(others.len() <= if run.mode == "2proc" { 2 } else { 1 }, "{what}: {others:?}");
        assert!(calls.get("read").copied().unwrap_or(0) >= TOTAL / BUFFER, "{what}: {calls:?}");
        if run.mode != "1thread" {
            assert_eq!(calls.get("write").copied(), Some(TOTAL / BUFFER), "{what}: every write in the bracket");
        }
    }
}

/// The same live bracket around shmem runs: inside it only futex calls
/// (none at all in 1thread) and the sender's end; no read, no write.
#[test]
fn the_shmem_bracket_holds_only_futex_calls_and_the_senders_end() {
    if !can_trace("the_shmem_bracket_holds_only_futex_calls_and_the_senders_end") {
        return;
    }
    for run in live_brackets("bracket-shmem", &["1thread", "2thread", "2proc"], &["shmem"]) {
        let (what, calls) = (&run.what, &run.calls);
        assert_eq!((run.opened, run.closed), (Some(1), Some(1)), "{what}: one bracket");
        eprintln!("bracket, {what}: {calls:?}");
        let allowed: &[&str] = match run.mode.as_str() {
            "1thread" => &[],
            "2thread" => &["futex", "exit"],
            _ => &["futex", "exit_group"],
        };
        assert!(calls.keys().all(|k| allowed.contains(&k.as_str())), "{what}: {calls:?} inside the bracket");
        let ends = calls.keys().filter(|k| k.starts_with("exit")).count();
        assert!(ends <= 1, "{what}: {calls:?}");
    }
}

// ---------------------------------------------------------------- the scripts

fn scripts_in(dir: &str, ext: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root().join("scripts").join(dir))
        .unwrap_or_else(|e| panic!("scripts/{dir}: {e}"))
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(ext)).map(str::to_string))
        .collect();
    names.sort();
    names
}

/// The opening comment of a script.
fn header(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    let end = text.find("*/").unwrap_or_else(|| panic!("{}: no header comment", path.display()));
    text[..end].to_string()
}

#[test]
fn every_bt_has_its_d_twin_and_vice_versa() {
    let bt = scripts_in("bpftrace", ".bt");
    let d = scripts_in("dtrace", ".d");
    let mut expected: Vec<String> = ANALYSES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    eprintln!("bpftrace: {bt:?}\ndtrace:   {d:?}");
    assert_eq!(bt, d, "every .bt needs its .d twin and vice versa");
    assert_eq!(bt, expected, "the analyses of issues 4 and 16");
    // trace.sh knows every one of them.
    let help = Command::new(trace_sh()).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for a in ANALYSES {
        assert!(help.contains(a), "trace.sh --help does not list {a}");
    }
}

#[test]
fn every_header_names_its_usage_and_the_bracket() {
    for a in ANALYSES {
        let bt = header(&root().join(format!("scripts/bpftrace/{a}.bt")));
        let d = header(&root().join(format!("scripts/dtrace/{a}.d")));
        for (h, usage) in [
            (&bt, format!("bpftrace scripts/bpftrace/{a}.bt -c '")),
            (&d, format!("dtrace -s scripts/dtrace/{a}.d -c '")),
        ] {
            assert!(h.contains(&usage), "{a}: header lacks {usage:?}");
            assert!(h.contains(&format!("scripts/trace.sh {a} -- ")), "{a}: header lacks the trace.sh usage");
            assert!(h.contains("Caveats:"), "{a}: header lacks caveats");
            assert!(h.contains("global"), "{a}: header does not explain the global bracket");
        }
        assert!(bt.contains("Example (this machine"), "{a}.bt: header lacks a real example");
        assert!(!bt.contains("PLACEHOLDER"), "{a}.bt: example not filled in");
        assert!(d.contains("__sys_clock_gettime"), "{a}.d: FreeBSD's raw clock_gettime note");
        // Both match the benchmark by name.
        let bt_text = fs::read_to_string(root().join(format!("scripts/bpftrace/{a}.bt"))).unwrap();
        let d_text = fs::read_to_string(root().join(format!("scripts/dtrace/{a}.d"))).unwrap();
        assert!(bt_text.contains("comm == \"ipc-static\""), "{a}.bt: match by comm");
        assert!(d_text.contains("execname == \"ipc-static\""), "{a}.d: match by execname");
        assert!(bt_text.contains("sys_exit_clock_gettime") && bt_text.contains("sys_enter_clock_gettime"), "{a}.bt bracket");
        assert!(d_text.contains("syscall::clock_gettime:return") && d_text.contains("syscall::clock_gettime:entry"), "{a}.d bracket");
        let d_code = &d_text[d_text.find("*/").unwrap()..];
        assert!(d_code.contains("\nint phase;"), "{a}.d: the bracket is a global");
        assert!(!d_code.contains("self->phase") && !d_code.contains("self->ipc_loop"), "{a}.d: thread-local bracket");
    }
}

// ---------------------------------------------------------------- trace.sh

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipc-static-tracing-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A copy of scripts/ that anyone may read (the checkout may not be).
fn public_scripts(tag: &str) -> PathBuf {
    let dir = temp_dir(tag);
    let status = Command::new("cp").arg("-R").arg(root().join("scripts")).arg(&dir).status().unwrap();
    assert!(status.success());
    let status = Command::new("chmod").args(["-R", "a+rX"]).arg(&dir).status().unwrap();
    assert!(status.success());
    dir
}

fn which(tool: &str) -> Option<PathBuf> {
    let out = Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().ok()?;
    out.status.success().then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

#[test]
fn trace_sh_rejects_an_unknown_analysis_with_the_list() {
    let out = Command::new(trace_sh()).args(["loop-nothing", "--", "-B", "-q", "2thread"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("trace.sh loop-nothing: exit {:?}: {}", out.status.code(), stderr.trim());
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("unknown analysis: loop-nothing"), "{stderr}");
    for a in ANALYSES {
        assert!(stderr.contains(a), "the error lists {a}: {stderr}");
    }
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    // No analysis at all: the usage, 64.
    let out = Command::new(trace_sh()).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"));
    // No benchmark arguments, or one the tracer's -c cannot carry: 64.
    let out = Command::new(trace_sh()).arg("loop-returns").output().unwrap();
    assert_eq!(out.status.code(), Some(64), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(trace_sh()).args(["loop-returns", "--", "-B", "2thread; rm -rf /"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64), "{}", String::from_utf8_lossy(&out.stderr));
    // --help: the usage on stdout, 0.
    let out = Command::new(trace_sh()).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("usage: trace.sh <analysis>"));
}

#[test]
fn trace_sh_says_when_the_tracer_is_missing() {
    // A PATH with the shell and the few tools trace.sh needs, but no tracer.
    let dir = temp_dir("no-tracer");
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    for tool in ["sh", "uname", "id"] {
        let path = which(tool).unwrap_or_else(|| panic!("{tool} not found"));
        std::os::unix::fs::symlink(&path, bin.join(tool)).unwrap();
    }
    let out = Command::new("/bin/sh")
        .arg(trace_sh())
        .args(["loop-returns", "--", "-B", "-q", "2thread"])
        .env("PATH", &bin)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("trace.sh without a tracer in PATH: exit {:?}: {}", out.status.code(), stderr.trim());
    assert_eq!(out.status.code(), Some(69), "{stderr}");
    assert!(stderr.contains("not found in PATH"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn trace_sh_says_when_it_is_not_root() {
    if !have("bpftrace") {
        assert!(std::env::var_os("CI").is_none(), "bpftrace missing in CI (make test installs it)");
        eprintln!("SKIP trace_sh_says_when_it_is_not_root: bpftrace is not installed (the tracer check comes first)");
        return;
    }
    let dir = public_scripts("not-root");
    let script = dir.join("scripts/trace.sh");
    let out = if is_root() {
        let Some(setpriv) = which("setpriv") else {
            assert!(std::env::var_os("CI").is_none(), "setpriv (util-linux) missing in CI");
            eprintln!("SKIP trace_sh_says_when_it_is_not_root: no setpriv to drop root");
            return;
        };
        Command::new(setpriv)
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh"])
            .arg(&script)
            .args(["loop-returns", "--", "-B", "-q", "2thread"])
            .output()
            .unwrap()
    } else {
        Command::new("/bin/sh").arg(&script).args(["loop-returns", "--", "-B", "-q", "2thread"]).output().unwrap()
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("trace.sh as uid 65534: exit {:?}: {}", out.status.code(), stderr.trim());
    assert_eq!(out.status.code(), Some(77), "{stderr}");
    assert!(stderr.contains("needs root"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn trace_sh_writes_to_a_file_and_finds_the_binary_next_to_scripts() {
    if !can_trace("trace_sh_writes_to_a_file_and_finds_the_binary_next_to_scripts") {
        return;
    }
    let _guard = TRACE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _ = binary(); // must exist: trace.sh finds it without IPC_STATIC
    let dir = temp_dir("output");
    let file = dir.join("returns.txt");
    // From another directory, without IPC_STATIC: ../ipc-static next to scripts/.
    let out = Command::new("timeout")
        .arg("300")
        .arg(trace_sh())
        .arg("loop-returns")
        .arg("-o")
        .arg(&file)
        .args(["--", "-B", "-q", "-t", "1048576", "-b", "65536", "2proc"])
        .env_remove("IPC_STATIC")
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(out.stdout.iter().all(|b| b.is_ascii_whitespace()), "the analysis goes to the file, not stdout");
    let text = fs::read_to_string(&file).unwrap();
    eprintln!("trace.sh -o: {} bytes, read bytes {}", text.len(), value(&text, "read bytes:"));
    assert_brackets(&text, 1);
    assert_eq!(value(&text, "read bytes:"), TOTAL);
    assert_eq!(value(&text, "write bytes:"), TOTAL);
    assert!(!stderr.contains("RLIMIT_MEMLOCK"), "bpftrace's harmless RLIMIT_MEMLOCK line is filtered: {stderr}");
    // Without -q: the benchmark's own output stays on stdout, apart from the analysis.
    let out = Command::new("timeout")
        .arg("300")
        .arg(trace_sh())
        .arg("loop-returns")
        .arg("-o")
        .arg(&file)
        .args(["--", "-B", "-t", "1048576", "-b", "65536", "2thread"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "only the bandwidth line on stdout: {stdout:?}");
    assert!(ipc_static_tests::is_bandwidth_line(lines[0]), "{stdout:?}");
    let text = fs::read_to_string(&file).unwrap();
    assert!(!text.contains("KBytes/sec"), "the benchmark's line is not in the analysis file:\n{text}");
    assert_brackets(&text, 1);
    assert!(!stderr.contains("RLIMIT_MEMLOCK"), "{stderr}");
    assert!(stderr.lines().all(|l| !l.starts_with("ERROR")), "no error from bpftrace: {stderr}");
    // A missing benchmark is a clear error (66), named.
    let out = Command::new(trace_sh())
        .args(["loop-returns", "--", "-B", "-q", "2thread"])
        .env("IPC_STATIC", dir.join("no-such-ipc-static"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(66), "{stderr}");
    assert!(stderr.contains("no-such-ipc-static"), "{stderr}");
    let _ = fs::remove_dir_all(&dir);
}

/// bpftrace does not pass the benchmark's exit status on; trace.sh reads its
/// stderr instead: 64 when ipc-static refused its arguments, 1 when it failed
/// under the tracer, each with trace.sh's own line last. And bpftrace runs as
/// trace.sh's child: a SIGTERM to trace.sh alone still stops the run at once.
#[test]
fn trace_sh_says_when_the_benchmark_failed_and_passes_signals_on() {
    if !can_trace("trace_sh_says_when_the_benchmark_failed_and_passes_signals_on") {
        return;
    }
    let _guard = TRACE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp_dir("failed-under-tracer");
    let folded = dir.join("x.folded");
    let folded = folded.to_str().unwrap();
    for (analysis, args, code, ours, its) in [
        ("loop-returns", &["-B", "-q", "-b", "3000", "2thread"][..], 64, "trace.sh: ipc-static refused its arguments", "ipc-static: total size"),
        ("loop-profile", &["-o", folded, "--", "-B", "-q", "-Z", "2thread"][..], 64, "trace.sh: ipc-static refused its arguments", "ipc-static: unknown option"),
        // CPU 1000 parses (0..1023) but is no CPU of this machine: exit 71 at setup.
        ("loop-syscalls", &["-B", "-q", "-a", "1000", "2thread"][..], 1, "trace.sh: ipc-static failed under bpftrace", "sched_setaffinity"),
    ] {
        let mut cmd = Command::new("timeout");
        cmd.arg("300").arg(trace_sh()).arg(analysis);
        if args[0] != "-o" {
            cmd.arg("--");
        }
        let out = cmd.args(args).env("IPC_STATIC", binary()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        eprintln!("trace.sh {analysis} {args:?}: exit {:?}: {}", out.status.code(), stderr.lines().last().unwrap_or(""));
        assert_eq!(out.status.code(), Some(code), "{analysis} {args:?}: {stderr}");
        assert!(stderr.contains(its), "the benchmark's own line is kept: {stderr}");
        assert!(stderr.lines().last().unwrap_or("").starts_with(ours), "{stderr}");
        assert!(!stderr.contains("RLIMIT_MEMLOCK"), "{stderr}");
    }
    // A run of a terabyte (minutes), stopped by a SIGTERM to trace.sh alone
    // once its loop has begun: bpftrace ends it and prints what it has.
    let log = dir.join("long.out");
    let mut child = Command::new(trace_sh())
        .args(["loop-returns", "--", "-B", "-q", "-t", "1024g", "2thread"])
        .env("IPC_STATIC", binary())
        .stdout(fs::File::create(&log).unwrap())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !fs::read_to_string(&log).unwrap_or_default().contains("bracket 1 open") {
        assert!(started.elapsed() < std::time::Duration::from_secs(120), "the traced loop never began");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let text = fs::read_to_string(&log).unwrap();
    let bench: u32 = text
        .lines()
        .find_map(|l| l.strip_prefix("tracing ipc-static (pid ").and_then(|r| r.split(')').next()))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no benchmark pid in:\n{text}"));
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = Command::new("kill").args(["-KILL", &bench.to_string()]).status();
            let _ = child.kill();
            panic!("trace.sh did not pass SIGTERM on: the terabyte run went on");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let text = fs::read_to_string(&log).unwrap();
    eprintln!("trace.sh after SIGTERM: {status:?}, {}", text.lines().filter(|l| l.starts_with("read calls")).collect::<String>());
    assert!(text.contains("brackets opened: 1"), "bpftrace printed its end:\n{text}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!Path::new(&format!("/proc/{bench}")).exists(), "the benchmark (pid {bench}) outlived trace.sh");
    let _ = fs::remove_dir_all(&dir);
}

/// The benchmark itself still runs untraced with the same arguments the
/// tracing tests use (so a failure above is the tracing's, not the binary's).
#[test]
fn the_traced_arguments_run_untraced() {
    for mode in ["1thread", "2thread", "2proc"] {
        let r = run(&["-B", "-q", "-t", "1048576", "-b", "65536", mode]);
        assert_eq!(r.code, Some(0), "{mode}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "-q prints nothing");
    }
}

// ---------------------------------------------------------------- loop-profile (issue 16)

/// One folded stack: its frames, root first, and its sample count.
struct Stack {
    frames: Vec<String>,
    count: u64,
}

/// Parses folded stacks: every line `frame;frame;...;frame count`, no empty
/// frame, no blank line; a line that does not parse fails the test.
fn parse_folded(text: &str) -> Vec<Stack> {
    text.lines()
        .map(|line| {
            let (stack, count) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no count in folded line {line:?}"));
            let count: u64 = count.parse().unwrap_or_else(|_| panic!("bad count in folded line {line:?}"));
            let frames: Vec<String> = stack.split(';').map(str::to_string).collect();
            assert!(frames.iter().all(|f| !f.is_empty() && f.trim() == f), "empty or padded frame in {line:?}");
            assert!(count > 0, "zero count in {line:?}");
            Stack { frames, count }
        })
        .collect()
}

fn samples_of(stacks: &[Stack], role: &str) -> u64 {
    stacks.iter().filter(|s| s.frames[0] == role).map(|s| s.count).sum()
}

/// Samples of `role` whose stack holds any of `names`.
fn samples_with(stacks: &[Stack], role: Option<&str>, names: &[&str]) -> u64 {
    stacks
        .iter()
        .filter(|s| role.is_none_or(|r| s.frames[0] == r))
        .filter(|s| s.frames.iter().any(|f| names.contains(&f.as_str())))
        .map(|s| s.count)
        .sum()
}

fn is_hex_address(frame: &str) -> bool {
    frame.strip_prefix("0x").is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `scripts/trace.sh loop-profile -o FILE -- args`: (its stdout, the log; the
/// folded stacks in FILE).
fn profile(args: &[&str], file: &Path) -> (String, String) {
    let _guard = TRACE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let out = Command::new("timeout")
        .arg("300")
        .arg(trace_sh())
        .args(["loop-profile", "-o"])
        .arg(file)
        .arg("--")
        .args(args)
        .env("IPC_STATIC", binary())
        .output()
        .expect("run scripts/trace.sh loop-profile");
    let log = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "trace.sh loop-profile -- {}: {:?}\n{log}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (log, fs::read_to_string(file).unwrap())
}

/// The loop's length in seconds, from "bracket k close (tid T, N ns)".
fn loop_seconds(log: &str) -> f64 {
    log.lines()
        .filter(|l| l.starts_with("bracket ") && l.contains(" close (tid "))
        .filter_map(|l| l.rsplit_once(", ")?.1.strip_suffix(" ns)")?.parse::<f64>().ok())
        .sum::<f64>()
        / 1e9
}

/// scripts/flamegraph.sh with `args`; (exit code, stderr).
fn flamegraph(args: &[&str], env: &[(&str, &Path)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(root().join("scripts/flamegraph.sh"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run scripts/flamegraph.sh");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// True when inferno-flamegraph can be found as flamegraph.sh looks for it;
/// fails under CI (install-deps.sh installs it), else says why it skips.
fn have_inferno(test: &str) -> bool {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let found = have("inferno-flamegraph") || home.join(".cargo/bin/inferno-flamegraph").exists();
    if !found {
        assert!(std::env::var_os("CI").is_none(), "{test}: inferno missing in CI (make test installs it)");
        eprintln!("SKIP {test}: inferno is not installed (scripts/install-deps.sh installs it)");
    }
    found
}

/// The SVG parses as XML, its root is <svg>, and the texts of its <title>
/// and <text> elements (frame names, the title).
fn svg_texts(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = parse_svg(&text).unwrap_or_else(|e| panic!("{} is not valid XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg", "{}", path.display());
    doc.descendants()
        .filter(|n| matches!(n.tag_name().name(), "title" | "text"))
        .filter_map(|n| n.text())
        .map(str::to_string)
        .collect()
}

/// inferno's SVG starts with a DOCTYPE (a DTD reference, no entities).
fn parse_svg(text: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    roxmltree::Document::parse_with_options(text, roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() })
}

/// (red, green, blue) of every frame rectangle's fill="rgb(r,g,b)".
fn svg_fills(path: &Path) -> Vec<(u32, u32, u32)> {
    let text = fs::read_to_string(path).unwrap();
    let doc = parse_svg(&text).unwrap();
    doc.descendants()
        .filter(|n| n.tag_name().name() == "rect")
        .filter_map(|n| n.attribute("fill")?.strip_prefix("rgb(")?.strip_suffix(')').map(str::to_string))
        .filter_map(|rgb| {
            let v: Vec<u32> = rgb.split(',').filter_map(|c| c.trim().parse().ok()).collect();
            (v.len() == 3).then(|| (v[0], v[1], v[2]))
        })
        .collect()
}

/// A pipe and a local-socket run of about a second each (2thread, 64 KiB):
/// the folded stacks parse, hold hundreds of samples, put the pipe's and
/// the UNIX socket's kernel code under the right roles, name the user
/// frames; flamegraph.sh draws both and their difference as valid SVG.
#[test]
fn loop_profile_folds_pipe_and_socket_stacks_and_draws_them() {
    if !can_trace("loop_profile_folds_pipe_and_socket_stacks_and_draws_them") {
        return;
    }
    let dir = temp_dir("profile");
    // Half a second to two each here: bare pipes move 1.1-5 GiB/s (threads on
    // two CPUs or one), socket pairs 4-9.
    let runs = [
        ("pipe", "2g", ["anon_pipe_write", "pipe_write"], ["anon_pipe_read", "pipe_read"]),
        ("local", "4g", ["unix_stream_sendmsg", "unix_stream_sendmsg"], ["unix_stream_recvmsg", "unix_stream_read_generic"]),
    ];
    for (ipc, total, send_code, receive_code) in runs {
        let args = ["-B", "-q", "-t", total, "-b", "65536", "-i", ipc, "2thread"];
        let file = dir.join(format!("{ipc}.folded"));
        let (log, text) = profile(&args, &file);
        assert_brackets(&log, 1);
        let stacks = parse_folded(&text);
        let total_samples: u64 = stacks.iter().map(|s| s.count).sum();
        let seconds = loop_seconds(&log);
        let (sender, receiver) = (samples_of(&stacks, "sender"), samples_of(&stacks, "receiver"));
        eprintln!(
            "loop-profile {ipc} 2thread -t {total}: {total_samples} samples ({:.0}/s) in {} stacks over {seconds:.3} s; \
             sender {sender}, receiver {receiver}; {}",
            total_samples as f64 / seconds,
            stacks.len(),
            log.lines().find(|l| l.starts_with("user frames named")).unwrap_or("")
        );
        assert_eq!(value(&log, "samples in the loop:"), total_samples, "the summary counts the folded samples\n{log}");
        assert!(total_samples >= 200, "{ipc}: {total_samples} samples in a {seconds:.3} s loop (hundreds expected)\n{log}");
        assert!(total_samples as f64 >= 200.0 * seconds, "{ipc}: {total_samples} samples in {seconds:.3} s (hundreds a second)\n{log}");
        assert_eq!(sender + receiver, total_samples, "{ipc}: 2thread has only a sender and a receiver\n{text}");
        assert!(sender > 0 && receiver > 0, "{ipc}: both roles sampled\n{text}");
        // The IPC object's own kernel code, on the right side.
        assert!(samples_with(&stacks, Some("sender"), &send_code) > 0, "{ipc}: sender in {send_code:?}\n{text}");
        assert!(samples_with(&stacks, Some("receiver"), &receive_code) > 0, "{ipc}: receiver in {receive_code:?}\n{text}");
        assert_eq!(samples_with(&stacks, Some("sender"), &receive_code), 0, "{ipc}: the sender never reads\n{text}");
        // User frames named: no bare address, and the benchmark's own code in
        // (nearly) every stack, whatever its functions are called.
        let hex: Vec<&String> = stacks.iter().flat_map(|s| &s.frames).filter(|f| is_hex_address(f)).collect();
        assert!(hex.is_empty(), "{ipc}: unnamed user frames {hex:?}\n{log}");
        let own: u64 = stacks.iter().filter(|s| s.frames.iter().any(|f| f.starts_with("ipc_static::"))).map(|s| s.count).sum();
        assert!(own * 10 >= total_samples * 9, "{ipc}: only {own} of {total_samples} samples have an ipc_static frame\n{text}");
        // The other IPC object's code never shows.
        let other: &[&str] = if ipc == "pipe" { &["unix_stream_sendmsg", "unix_stream_recvmsg"] } else { &["anon_pipe_write", "anon_pipe_read", "pipe_write", "pipe_read"] };
        assert_eq!(samples_with(&stacks, None, other), 0, "{ipc}: {other:?} in the profile\n{text}");
    }
    if !have_inferno("loop_profile_folds_pipe_and_socket_stacks_and_draws_them (SVGs)") {
        return;
    }
    // The title says what was run, from the FILE.meta trace.sh wrote beside
    // each profile (pipe's by default, local's as -t gives it).
    let host = String::from_utf8(Command::new("uname").arg("-n").output().unwrap().stdout).unwrap();
    for ipc in ["pipe", "local"] {
        let meta = fs::read_to_string(dir.join(format!("{ipc}.folded.meta"))).expect("trace.sh -o FILE writes FILE.meta");
        let command = meta.lines().find_map(|l| l.strip_prefix("command=")).unwrap_or_else(|| panic!("no command= in\n{meta}"));
        assert!(command.ends_with(&format!(" -B -q -t {} -b 65536 -i {ipc} 2thread", if ipc == "pipe" { "2g" } else { "4g" })), "{command}");
        assert!(meta.lines().any(|l| l == format!("host={}", host.trim())), "{meta}");
    }
    let (pipe, local, diff) = (dir.join("pipe.svg"), dir.join("local.svg"), dir.join("diff.svg"));
    for (title, folded, svg, names) in [
        (None, "pipe.folded", &pipe, ["anon_pipe_write", "anon_pipe_read", "sender", "receiver"]),
        (Some("local, given by -t"), "local.folded", &local, ["unix_stream_sendmsg", "unix_stream_recvmsg", "sender", "receiver"]),
    ] {
        let mut args = vec!["-o", svg.to_str().unwrap()];
        if let Some(title) = title {
            args.extend(["-t", title]);
        }
        let input = dir.join(folded);
        args.push(input.to_str().unwrap());
        let (code, stderr) = flamegraph(&args, &[]);
        assert_eq!(code, Some(0), "flamegraph.sh {folded}: {stderr}");
        let texts = svg_texts(svg);
        let want = title.unwrap_or("pipe 2thread 64 KiB buffers, 2 GiB total, unpinned");
        assert!(texts.iter().any(|t| t == want), "{folded}: the title {want:?} in the SVG: {:?}", &texts[..texts.len().min(4)]);
        for name in names {
            assert!(texts.iter().any(|t| t.starts_with(&format!("{name} ("))), "{folded}: no frame {name} in the SVG");
        }
    }
    let (code, stderr) = flamegraph(
        &["--diff", "-o", diff.to_str().unwrap(), dir.join("pipe.folded").to_str().unwrap(), dir.join("local.folded").to_str().unwrap()],
        &[],
    );
    assert_eq!(code, Some(0), "flamegraph.sh --diff: {stderr}");
    let texts = svg_texts(&diff);
    assert!(texts.iter().any(|t| t.starts_with("unix_stream_sendmsg (")), "the differential graph has the shape of AFTER");
    let want = "pipe 2thread 64 KiB (2 GiB total, unpinned) -> local 2thread 64 KiB (4 GiB total, unpinned)";
    assert!(texts.iter().any(|t| t == want), "the differential title {want:?}: {:?}", &texts[..texts.len().min(4)]);
    eprintln!("flame graphs: {} {} {} bytes", fs::metadata(&pipe).unwrap().len(), fs::metadata(&local).unwrap().len(), fs::metadata(&diff).unwrap().len());
    let _ = fs::remove_dir_all(&dir);
}

/// Frames of the work a non-bare run does outside the loop: its sync()s and
/// sleeps, and the receiver unmapping its buffers after the finish stamp.
const OUTSIDE_THE_LOOP: [&str; 12] = [
    "__x64_sys_sync",
    "ksys_sync",
    "iterate_supers",
    "__x64_sys_nanosleep",
    "__x64_sys_clock_nanosleep",
    "hrtimer_nanosleep",
    "do_nanosleep",
    "__x64_sys_munmap",
    "__vm_munmap",
    "__x64_sys_execve",
    "exit_mmap",
    "__x64_sys_clone",
];

/// A non-bare run (sync()s and one-second sleeps before the loop) with
/// 256 MiB buffers, which the receiver unmaps after its finish stamp: the
/// profile holds none of that; the same script without its bracket test
/// does show the unmapping (so the check can see a leak); and no more
/// samples than two CPUs at 997 Hz can take in the loop's time.
#[test]
fn loop_profile_keeps_samples_outside_the_bracket_out() {
    if !can_trace("loop_profile_keeps_samples_outside_the_bracket_out") {
        return;
    }
    let dir = temp_dir("profile-outside");
    let args = ["-t", "512m", "-b", "256m", "-i", "pipe", "2thread"];
    let mut outside = 0;
    for attempt in 1..=3 {
        let file = dir.join("gated.folded");
        let (log, text) = profile(&args, &file);
        assert_brackets(&log, 1);
        let stacks = parse_folded(&text);
        let samples: u64 = stacks.iter().map(|s| s.count).sum();
        let seconds = loop_seconds(&log);
        outside = value(&log, "samples outside the loop (not in the profile):");
        let leaked: Vec<&String> =
            stacks.iter().flat_map(|s| &s.frames).filter(|f| OUTSIDE_THE_LOOP.contains(&f.as_str())).collect();
        eprintln!("loop-profile non-bare (attempt {attempt}): {samples} samples in {seconds:.3} s, {outside} outside, leaked frames {leaked:?}");
        assert!(leaked.is_empty(), "frames from outside the loop in the profile: {leaked:?}\n{text}");
        let bound = (2.0 * 997.0 * seconds * 1.25).ceil() as u64 + 10;
        assert!(samples <= bound, "{samples} samples in a {seconds:.3} s loop: more than 2 CPUs at 997 Hz can take ({bound})\n{log}");
        if outside > 0 {
            break;
        }
    }
    assert!(outside > 0, "no sample outside the loop in three runs: nothing was kept out");
    // The control: the same script, its bracket test removed.
    let script = fs::read_to_string(root().join("scripts/bpftrace/loop-profile.bt")).unwrap();
    assert!(script.contains("if (@phase == 1) {"), "loop-profile.bt's bracket test moved: update this test");
    let ungated = dir.join("ungated.bt");
    fs::write(&ungated, script.replace("if (@phase == 1) {", "if (1) {")).unwrap();
    let mut munmap = 0;
    for attempt in 1..=3 {
        let _guard = TRACE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let command = format!("{} {}", binary().display(), args.join(" "));
        let raw = Command::new("timeout").arg("300").arg("bpftrace").arg(&ungated).arg("-c").arg(&command).output().unwrap();
        assert!(raw.status.success(), "{}", String::from_utf8_lossy(&raw.stderr));
        let raw_file = dir.join("ungated.txt");
        fs::write(&raw_file, &raw.stdout).unwrap();
        let folded = dir.join("ungated.folded");
        let status = Command::new("awk")
            .arg("-f")
            .arg(root().join("scripts/fold-stacks.awk"))
            .arg("-v")
            .arg(format!("folded={}", folded.display()))
            .arg(&raw_file)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let stacks = parse_folded(&fs::read_to_string(&folded).unwrap());
        munmap = samples_with(&stacks, Some("receiver"), &["__x64_sys_munmap", "__vm_munmap", "exit_mmap"]);
        eprintln!("control without the bracket (attempt {attempt}): {munmap} receiver samples unmapping");
        if munmap > 0 {
            break;
        }
    }
    assert!(munmap > 0, "without its bracket the profile should show the receiver unmapping its buffers");
    let _ = fs::remove_dir_all(&dir);
}

/// 1thread has one role, 2proc a sender (the child) and a receiver, -l an
/// initiator and an echoer; with -n
/// every iteration's bracket is profiled.
#[test]
fn loop_profile_names_the_roles_in_1thread_and_2proc_with_iterations() {
    if !can_trace("loop_profile_names_the_roles_in_1thread_and_2proc_with_iterations") {
        return;
    }
    let dir = temp_dir("profile-roles");
    // With -l the side that starts the round trips takes both stamps, the
    // echoer none: initiator and echoer (1thread -l stays sender+receiver).
    for (mode, total, buffer, latency, roles) in [
        ("1thread", "512m", "65536", false, &["sender+receiver"][..]),
        ("2proc", "256m", "65536", false, &["receiver", "sender"][..]),
        ("2proc", "400k", "4", true, &["echoer", "initiator"][..]),
    ] {
        let file = dir.join(format!("{mode}-{latency}.folded"));
        let mut args = vec!["-B", "-q", "-n", "2", "-t", total, "-b", buffer, "-i", "pipe", mode];
        if latency {
            args.insert(0, "-l");
        }
        let (log, text) = profile(&args, &file);
        assert_brackets(&log, 2);
        let stacks = parse_folded(&text);
        let by_role: BTreeMap<&str, u64> = stacks.iter().fold(BTreeMap::new(), |mut m, s| {
            *m.entry(s.frames[0].as_str()).or_insert(0) += s.count;
            m
        });
        eprintln!("loop-profile pipe {mode} -n 2 -t {total}: {by_role:?}");
        let seen: Vec<&str> = by_role.keys().copied().collect();
        assert_eq!(seen, roles, "{mode}: roles\n{log}");
        let summary = format!("initiator {}, echoer {})", by_role.get("initiator").unwrap_or(&0), by_role.get("echoer").unwrap_or(&0));
        assert_eq!(log.contains(&summary), latency, "{mode}: the summary counts the -l roles\n{log}");
    }
    let _ = fs::remove_dir_all(&dir);
}

/// scripts/fold-stacks.awk on fixed input, bpftrace's and DTrace's map
/// formats: roles from the bracket lines, user frames outermost first and
/// named from the symbols file, offsets and module prefixes dropped,
/// identical folded stacks added up, a sample without a kernel stack (taken
/// in user space: ", ]: N") kept, everything else copied to the log.
#[test]
fn fold_stacks_folds_both_tracers_formats() {
    let dir = temp_dir("fold");
    let symbols = dir.join("symbols");
    fs::write(
        &symbols,
        "# ipc-static symbols: build-id none (test)\n\
         0000000000401000 0000000000000100 outer\n\
         0000000000401100 0 <[u8; 4] as Leaf>::call\n\
         0000000000401200 0000000000000010 last\n",
    )
    .unwrap();
    let input = dir.join("input");
    fs::write(
        &input,
        "Attaching 6 probes...\n\
         bracket 1 open (tid 11)\n\
         42 KBytes/sec\n\
         bracket 1 close (tid 10, 5000 ns)\n\
         \n\n\n\
         samples of the benchmark outside the loop [tid] (not in the profile):\n\
         @outside[10]: 2\n\
         @outside[11]: 1\n\
         on-CPU samples in the loop [tid, user stack, kernel stack]:\n\
         @samples[11, \n    0x401180\n    0x401010\n, \n    copy_leaf+12\n    pipe_write+300\n    entry_SYSCALL_64+9\n]: 5\n\
         @samples[11, \n    0x401181\n    0x401011\n, \n    copy_leaf+20\n    pipe_write+310\n    entry_SYSCALL_64+9\n]: 2\n\
         @samples[10, \n              ipc-static`0x401204\n              ipc-static`0x7fff0000\n\n, \n              kernel`pipe_read+0x1a\n              kernel`amd64_syscall+0x140\n\n]: 3\n\
         @samples[12, \n, \n    idle+1\n]: 1\n\
         @samples[11, \n    0x401010\n, ]: 4\n",
    )
    .unwrap();
    let folded = dir.join("folded");
    let out = Command::new("awk")
        .arg("-f")
        .arg(root().join("scripts/fold-stacks.awk"))
        .arg("-v")
        .arg(format!("symbols={}", symbols.display()))
        .arg("-v")
        .arg(format!("folded={}", folded.display()))
        .arg(&input)
        .output()
        .unwrap();
    assert!(out.status.success());
    let log = String::from_utf8_lossy(&out.stdout);
    let mut lines: Vec<String> = fs::read_to_string(&folded).unwrap().lines().map(str::to_string).collect();
    lines.sort();
    eprintln!("log:\n{log}folded:\n{}", lines.join("\n"));
    assert_eq!(
        lines,
        [
            "other;idle 1",
            "receiver;0x7fff0000;last;amd64_syscall;pipe_read 3",
            "sender;outer 4",
            "sender;outer;<[u8: 4] as Leaf>::call;entry_SYSCALL_64;pipe_write;copy_leaf 7",
        ]
    );
    assert!(log.contains("42 KBytes/sec\nbracket 1 close"), "the benchmark's output is kept: {log}");
    assert!(log.contains("samples in the loop: 15 (sender 11, receiver 3, sender+receiver 0, other 1)"), "{log}");
    assert!(log.contains("distinct stacks: 4\n"), "{log}");
    assert!(log.contains("samples outside the loop (not in the profile): 3\n"), "{log}");
    assert!(log.contains("user frames named: 6 of 7 in the printed stacks"), "{log}");
    assert!(!log.contains("@samples") && !log.contains("0x401") && !log.contains("\n\n\n"), "{log}");
    let _ = fs::remove_dir_all(&dir);
}

/// make writes ipc-static.sym beside ./ipc-static from the same build; a
/// symbols file from another build is refused rather than misused.
#[test]
fn the_symbol_file_belongs_to_the_binary() {
    let _ = binary();
    let symbols = root().join("scripts/symbols.sh");
    let out = Command::new(&symbols).arg(binary()).output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "symbols.sh ./ipc-static: {}", String::from_utf8_lossy(&out.stderr));
    let shipped = fs::read_to_string(root().join("ipc-static.sym")).expect("make writes ipc-static.sym");
    assert_eq!(table, shipped, "symbols.sh of the stripped binary gives the shipped file");
    let functions = table.lines().filter(|l| !l.starts_with('#')).count();
    eprintln!("ipc-static.sym: {} bytes, {functions} functions; {}", shipped.len(), table.lines().next().unwrap_or(""));
    assert!(table.starts_with("# ipc-static symbols: build-id "), "{table}");
    assert!(!table.starts_with("# ipc-static symbols: build-id none"), "the static build has a build ID");
    assert!(table.lines().any(|l| l.ends_with(" main")), "main in the table");
    assert!(table.lines().any(|l| l.contains(" ipc_static::")), "the benchmark's own functions in the table");
    // Another build's table, beside a copy of the binary: refused (66).
    let dir = temp_dir("symbols");
    let copy = dir.join("ipc-static");
    fs::copy(binary(), &copy).unwrap();
    let forged = shipped.replacen("build-id ", "build-id 00", 1);
    fs::write(dir.join("ipc-static.sym"), forged).unwrap();
    let out = Command::new(&symbols).arg(&copy).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("symbols.sh with another build's table: exit {:?}: {}", out.status.code(), stderr.trim());
    assert_eq!(out.status.code(), Some(66), "{stderr}");
    assert!(stderr.contains("another build") && stderr.lines().count() == 1, "{stderr}");
    // No table at all: 66 too.
    fs::remove_file(dir.join("ipc-static.sym")).unwrap();
    let out = Command::new(&symbols).arg(&copy).output().unwrap();
    assert_eq!(out.status.code(), Some(66), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = fs::remove_dir_all(&dir);
}

/// The user frames the scripts' headers show (their real example output) are
/// functions of today's binary: a rename in src/ must reach the examples.
#[test]
fn headers_show_only_functions_the_binary_has() {
    let sym = root().join("ipc-static.sym");
    let Ok(table) = fs::read_to_string(&sym) else {
        panic!("{} missing: make writes it beside ./ipc-static", sym.display());
    };
    let names: std::collections::HashSet<&str> =
        table.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.splitn(3, ' ').nth(2)).collect();
    let mut checked = 0;
    for dir in ["scripts/bpftrace", "scripts/dtrace", "scripts"] {
        for entry in fs::read_dir(root().join(dir)).unwrap().flatten() {
            let path = entry.path();
            if !path.is_file() {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap_or_default();
            for (at, _) in text.match_indices("ipc_static::") {
                let name: String =
                    text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':').collect();
                let name = name.trim_end_matches(':');
                assert!(names.contains(name), "{}: {name} is not a function of ./ipc-static (ipc-static.sym)", path.display());
                checked += 1;
            }
        }
    }
    eprintln!("{checked} user frames in the scripts' headers, all in ipc-static.sym");
    assert!(checked > 0, "the loop-profile headers show user frames");
}

/// flamegraph.sh's default title: what was run, from the FOLDED.meta that
/// trace.sh loop-profile -o FOLDED writes (its command read as getopt(3)
/// would, the binary's defaults filled in); both sides for --diff; -t wins;
/// the file names without a .meta. The folded file itself is untouched, and
/// inferno reads it as it is.
#[test]
fn flamegraph_sh_titles_the_graph_with_the_run_beside_the_profile() {
    let dir = temp_dir("flamegraph-title");
    if !have_inferno("flamegraph_sh_titles_the_graph_with_the_run_beside_the_profile") {
        return;
    }
    let stacks = "receiver;main;ipc_static::run::transfer::receive;anon_pipe_read 30\nsender;ipc_static::run::transfer::send;anon_pipe_write 20\n";
    let profile = |name: &str, command: Option<&str>| {
        let folded = dir.join(format!("{name}.folded"));
        fs::write(&folded, stacks).unwrap();
        if let Some(command) = command {
            let meta = format!("# scripts/trace.sh loop-profile: the run behind {name}.folded\ncommand={command}\nhost=labhost\nos=Linux 6.18.0\ndate=2026-11-29T07:00:00Z\n");
            fs::write(dir.join(format!("{name}.folded.meta")), meta).unwrap();
        }
        folded.to_str().unwrap().to_string()
    };
    let svg = dir.join("out.svg");
    let svg_path = svg.to_str().unwrap().to_string();
    // (title, subtitle) of the drawn SVG.
    let draw = |args: &[&str]| {
        let mut all = vec!["-o", svg_path.as_str()];
        all.extend_from_slice(args);
        let (code, stderr) = flamegraph(&all, &[]);
        assert_eq!(code, Some(0), "flamegraph.sh {}: {stderr}", args.join(" "));
        let text = fs::read_to_string(&svg).unwrap();
        let doc = parse_svg(&text).unwrap();
        let by_id = |id: &str| doc.descendants().find(|n| n.attribute("id") == Some(id)).and_then(|n| n.text()).unwrap_or("").to_string();
        (by_id("title"), by_id("subtitle"))
    };
    let pipe = profile("pipe", Some("/work/ipc/ipc-static -B -q -t 1g -b 65536 -i pipe 2thread"));
    let (title, subtitle) = draw(&[&pipe]);
    assert_eq!(title, "pipe 2thread 64 KiB buffers, 1 GiB total, unpinned");
    assert!(subtitle.ends_with("50 samples; labhost, Linux 6.18.0, 2026-11-29T07:00:00Z"), "{subtitle}");
    // getopt(3) grouping and attached values, every option the title names;
    // the binary's defaults (pipe, 128 KiB, 16 MiB) where an option is absent.
    for (command, want) in [
        ("./ipc-static -Bqsb4k -t1g -a 0,1 -F -n 3 -ilocal 2proc", "local -s 2proc 4 KiB buffers, 1 GiB total, 3 iterations, pre-faulted, receiver on CPU 0, sender on CPU 1"),
        ("./ipc-static -a0 -n 1 1thread", "pipe 1thread 128 KiB buffers, 16 MiB total, pinned to CPU 0"),
        ("./ipc-static -B -q -P sw -p 0 -t 16384 -b 1000 -i tcp -- 2thread", "tcp 2thread 1000 B buffers, 16 KiB total, unpinned"),
        ("./ipc-static -Bql -b 64 -t 64k -i shmem 2proc", "shmem 2proc 64 B buffers, 64 KiB each way in round trips, unpinned"),
    ] {
        let folded = profile("grouped", Some(command));
        assert_eq!(draw(&[&folded]).0, want, "{command}");
    }
    // --diff: both sides, what they share said once, else after each side.
    let local = profile("local", Some("./ipc-static -B -q -t 1g -b 65536 -i local 2thread"));
    let (title, subtitle) = draw(&["--diff", &pipe, &local]);
    assert_eq!(title, "pipe 2thread 64 KiB -> local 2thread 64 KiB, 1 GiB total, unpinned");
    assert!(subtitle.ends_with("; both runs on labhost, Linux 6.18.0"), "{subtitle}");
    let pinned = profile("pinned", Some("./ipc-static -B -q -a 0 -t 2g -b 1m -i local 2thread"));
    assert_eq!(
        draw(&["--diff", &pipe, &pinned]).0,
        "pipe 2thread 64 KiB (1 GiB total, unpinned) -> local 2thread 1 MiB (2 GiB total, pinned to CPU 0)"
    );
    // -t wins; no .meta: the file names, as before.
    assert_eq!(draw(&["-t", "my title", &pipe]).0, "my title");
    assert_eq!(draw(&["-t", "mine", "--diff", &pipe, &local]).0, "mine");
    let bare = profile("bare", None);
    assert_eq!(draw(&[&bare]).0, "Flame graph: bare.folded");
    assert_eq!(draw(&["--diff", &bare, &local]).0, "bare.folded -> local 2thread 64 KiB (1 GiB total, unpinned)");
    // The folded file stays plain folded stacks: inferno reads it directly.
    assert_eq!(fs::read_to_string(&pipe).unwrap(), stacks);
    let inferno = which("inferno-flamegraph").unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo/bin/inferno-flamegraph"));
    let out = Command::new(inferno).arg(&pipe).output().unwrap();
    assert!(out.status.success() && parse_svg(&String::from_utf8_lossy(&out.stdout)).is_ok(), "inferno reads the folded file as it is");
    let _ = fs::remove_dir_all(&dir);
}

/// flamegraph.sh --diff on two small profiles: the frame that grew is red,
/// the one that shrank blue; and its errors.
#[test]
fn flamegraph_sh_draws_red_for_growth_blue_for_shrinkage_and_says_what_is_wrong() {
    let dir = temp_dir("flamegraph");
    let before = dir.join("before.folded");
    let after = dir.join("after.folded");
    fs::write(&before, "sender;send;grows 10\nsender;send;shrinks 30\n").unwrap();
    fs::write(&after, "sender;send;grows 30\nsender;send;shrinks 10\n").unwrap();
    let empty = dir.join("empty.folded");
    fs::write(&empty, "").unwrap();
    let svg = dir.join("diff.svg");
    let path = |p: &Path| p.to_str().unwrap().to_string();
    // Errors first: they need no inferno. Usage 64, missing file or a
    // directory 66, an SVG that cannot be written 73 (before any drawing).
    let nowhere = dir.join("no-such-dir/x.svg");
    for (args, code) in [
        (vec!["--diff".to_string(), path(&before)], 64),
        (vec![path(&before), path(&after)], 64),
        (vec!["--normalize".to_string(), path(&before)], 64),
        (vec!["-x".to_string(), path(&before)], 64),
        (vec![path(&dir.join("missing.folded"))], 66),
        (vec![path(&dir)], 66),
        (vec!["--diff".to_string(), path(&before), path(&dir)], 66),
        (vec!["-o".to_string(), path(&nowhere), path(&before)], 73),
        (vec!["-o".to_string(), path(&dir), path(&before)], 73),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (got, stderr) = flamegraph(&args, &[]);
        eprintln!("flamegraph.sh {}: exit {got:?}: {}", args.join(" "), stderr.trim());
        assert_eq!(got, Some(code), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
    // inferno missing: a PATH and HOME without it, 69.
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    for tool in ["sh", "cat", "awk", "mktemp", "rm", "sed"] {
        let path = which(tool).unwrap_or_else(|| panic!("{tool} not found"));
        std::os::unix::fs::symlink(&path, bin.join(tool)).unwrap();
    }
    let out = Command::new("/bin/sh")
        .arg(root().join("scripts/flamegraph.sh"))
        .arg(&before)
        .env("PATH", &bin)
        .env("HOME", &dir)
        .env_remove("CARGO_HOME")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("flamegraph.sh without inferno: exit {:?}: {}", out.status.code(), stderr.trim());
    assert_eq!(out.status.code(), Some(69), "{stderr}");
    assert!(stderr.contains("inferno-flamegraph not found") && stderr.contains("cargo install inferno --version"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    if !have_inferno("flamegraph_sh_draws_red_for_growth_blue_for_shrinkage_and_says_what_is_wrong") {
        return;
    }
    // The pinned version is the one install-deps.sh installs.
    let deps = fs::read_to_string(root().join("scripts/install-deps.sh")).unwrap();
    let script = fs::read_to_string(root().join("scripts/flamegraph.sh")).unwrap();
    let pin = |text: &str| text.lines().find_map(|l| l.strip_prefix("INFERNO_VERSION=")).map(str::to_string);
    assert_eq!(pin(&deps), pin(&script), "install-deps.sh and flamegraph.sh pin the same inferno");
    assert!(!nowhere.parent().unwrap().exists(), "nothing made for an SVG that cannot be written");
    // An empty profile: 65, one line, and no empty SVG left behind.
    let (code, stderr) = flamegraph(&[&path(&empty)], &[]);
    assert_eq!(code, Some(65), "{stderr}");
    assert!(stderr.contains("no stacks") && stderr.lines().count() == 1, "{stderr}");
    let (code, stderr) = flamegraph(&["-o", &path(&svg), &path(&empty)], &[]);
    assert_eq!(code, Some(65), "{stderr}");
    assert!(!svg.exists(), "an empty profile leaves no SVG file");
    let (code, stderr) = flamegraph(&["--diff", "-t", "grows vs shrinks", "-o", &path(&svg), &path(&before), &path(&after)], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let texts = svg_texts(&svg);
    assert!(texts.iter().any(|t| t == "grows vs shrinks"), "title: {texts:?}");
    // inferno colours each frame by its change: grows red (r > b), shrinks blue.
    let text = fs::read_to_string(&svg).unwrap();
    let doc = parse_svg(&text).unwrap();
    let fill_of = |name: &str| {
        let g = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "g")
            .find(|g| g.children().any(|c| c.tag_name().name() == "title" && c.text().is_some_and(|t| t.starts_with(&format!("{name} (")))))
            .unwrap_or_else(|| panic!("no frame {name} in the SVG"));
        let rect = g.children().find(|c| c.tag_name().name() == "rect").expect("a rect per frame");
        let rgb = rect.attribute("fill").unwrap().trim_start_matches("rgb(").trim_end_matches(')').to_string();
        let v: Vec<u32> = rgb.split(',').map(|c| c.trim().parse().unwrap()).collect();
        (v[0], v[1], v[2])
    };
    let (grows, shrinks) = (fill_of("grows"), fill_of("shrinks"));
    eprintln!("differential fills: grows {grows:?}, shrinks {shrinks:?}; {} rects", svg_fills(&svg).len());
    assert!(grows.0 > grows.2, "grows is red: {grows:?}");
    assert!(shrinks.2 > shrinks.0, "shrinks is blue: {shrinks:?}");
    let _ = fs::remove_dir_all(&dir);
}
