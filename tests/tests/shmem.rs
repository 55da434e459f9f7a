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
use std::time::{Duration, Instant};

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

// ---------------------------------------------------------------------------
// Issue 12's hostile cases over shmem: a parent that ignores SIGCHLD, and
// the waits that run out because a side sleeps (no -B) or stalls.

/// Python that ignores SIGCHLD, then becomes `argv[1:]` (exec keeps SIG_IGN).
const SIGCHLD_IGNORED: &str =
    "import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); os.execvp(sys.argv[1], sys.argv[1:])";

/// `program args`, started as is (`plain`) or with SIGCHLD ignored by the
/// parent (inherited across exec): Python's signal(SIG_IGN), bash's `trap
/// '' CHLD`.
fn started(how: &str, program: &str, args: &[&str]) -> Command {
    let mut command = match how {
        "python" => {
            let mut c = Command::new("python3");
            c.args(["-c", SIGCHLD_IGNORED, program]);
            c
        }
        "bash" => {
            let mut c = Command::new("bash");
            c.args(["-c", "trap '' CHLD; exec \"$0\" \"$@\"", program]);
            c
        }
        _ => Command::new(program),
    };
    command.args(args).stdin(std::process::Stdio::null());
    command
}

fn ways_to_start() -> &'static [&'static str] {
    if have("python3") && have("bash") {
        &["plain", "python", "bash"]
    } else {
        assert!(std::env::var_os("CI").is_none(), "python3 and bash are needed in CI");
        &["plain"]
    }
}

fn is_figure(line: &str) -> bool {
    is_bandwidth_line(line) || line.strip_suffix(" us/round-trip").is_some_and(|n| n.parse::<f64>().is_ok_and(|v| v > 0.0))
}

/// Without -B the side that opens the window sleeps a second first, and
/// the other side's 100 ms waits run out about ten times; after each it
/// asks whether its peer still exists: the 2proc parent asks waitid about
/// its child (with `__WCLONE`: the child signals nothing, and without it
/// waitid says ECHILD and the live child is taken for dead), the -l
/// echoer asks getppid. And with -l, an echoer stalled in a call (strace
/// holds its first getppid 1.5 s) keeps the parent waiting for the echo:
/// the parent's waitid runs then too (counted). Every run must succeed,
/// whatever SIGCHLD's inherited disposition. The runs sleep, so they run
/// at once, in threads.
#[test]
fn without_b_a_waiting_side_asks_after_its_peer_and_finds_it_whatever_sigchld_says() {
    let bin = binary().display().to_string();
    let mut cases: Vec<(String, Command)> = Vec::new();
    for &how in ways_to_start() {
        for mode in ["2thread", "2proc"] {
            for latency in [false, true] {
                let mut args = vec!["-i", "shmem", "-b", "4096", "-t", "64k"];
                args.extend(latency.then_some("-l"));
                args.push(mode);
                let mut command = started(how, "timeout", &[&["-k", "3", "30", bin.as_str()][..], &args].concat());
                command.stdout(std::process::Stdio::piped());
                cases.push((format!("{how}: {}", args.join(" ")), command));
            }
        }
    }
    let stalls: Vec<(String, std::path::PathBuf)> = if have("strace") {
        ["plain", "bash"]
            .iter()
            .filter(|how| ways_to_start().contains(how))
            .map(|how| {
                let log = std::env::temp_dir().join(format!("ipc-static-shmem-stall-{}-{how}", std::process::id()));
                let mut args = vec!["120", "strace", "-f", "-qq", "-e", "trace=waitid,getppid", "-o"];
                let log_arg = log.display().to_string();
                args.push(&log_arg);
                args.extend(["-e", "inject=getppid:delay_exit=1500000:when=1", &bin]);
                args.extend(["-i", "shmem", "-b", "4096", "-t", "64k", "-l", "2proc"]);
                cases.push((format!("{how}: an echoer stalled 1.5 s"), started(how, "timeout", &args)));
                (how.to_string(), log)
            })
            .collect()
    } else {
        assert!(std::env::var_os("CI").is_none(), "strace is missing in CI (make test installs it)");
        Vec::new()
    };
    let outcomes: Vec<(String, std::process::Output)> = std::thread::scope(|s| {
        let running: Vec<_> = cases.iter_mut().map(|(what, command)| s.spawn(|| (what.clone(), command.output().unwrap()))).collect();
        running.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for (what, out) in &outcomes {
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let fine = out.status.success() && stderr.is_empty() && stdout.lines().last().is_some_and(is_figure);
        assert!(fine, "{what}: {}\nstdout {stdout:?}\nstderr {stderr:?}", out.status);
    }
    for (how, log) in stalls {
        let trace = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        let asked = trace.lines().filter(|l| l.contains("waitid(P_PID, ")).count();
        assert!(asked >= 1, "{how}: the parent never asked waitid while its echoer stalled:\n{trace}");
        eprintln!("{how}: the parent asked waitid {asked} times while its echoer stalled");
    }
    eprintln!("shmem without -B: {} runs, all succeed", outcomes.len());
}

/// The state letter of /proc/PID/stat (None: no such process).
fn state_of(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')').next()?.trim_start().chars().next()
}

/// The 2proc child of `parent`, once it has forked (after the second's
/// quiescing without -B).
fn child_of(parent: u32) -> u32 {
    let started = Instant::now();
    loop {
        let children = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).unwrap_or_default();
        if let Some(child) = children.split_whitespace().next() {
            return child.parse().unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{parent} made no child in 10 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// 2proc over shmem with SIGCHLD ignored (bash's `trap '' CHLD`), without
/// -B so that the kill lands while one side sleeps its second and the
/// other waits: the child killed is named (`sender process: killed by
/// signal 9`, exit 74, no figure) and reaped by the parent; the parent
/// killed, its child goes within moments, quietly. Bandwidth and -l.
#[test]
fn a_killed_child_or_parent_ends_the_run_cleanly_with_sigchld_ignored() {
    if !have("bash") {
        assert!(std::env::var_os("CI").is_none(), "bash is missing in CI");
        return;
    }
    use std::process::Stdio;
    for latency in [false, true] {
        for victim in ["child", "parent"] {
            let mut args = vec!["-i", "shmem", "-b", "4096", "-t", "64k"];
            args.extend(latency.then_some("-l"));
            args.push("2proc");
            let what = format!("{} killed, SIGCHLD ignored: {}", victim, args.join(" "));
            let run = started("bash", &binary().display().to_string(), &args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let parent = run.id();
            let child = child_of(parent);
            std::thread::sleep(Duration::from_millis(300));
            let killed = if victim == "child" { child } else { parent };
            assert!(Command::new("kill").args(["-KILL", &killed.to_string()]).status().unwrap().success());
            // Both must end: the child's end is awaited before the output's
            // (it holds stderr), and killed if it lingers.
            let waited = Instant::now();
            while state_of(child).is_some_and(|s| s != 'Z' && s != 'X') && waited.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(10));
            }
            let lingered = state_of(child).is_some_and(|s| s != 'Z' && s != 'X');
            if lingered {
                let _ = Command::new("kill").args(["-KILL", &child.to_string()]).status();
            }
            let out = run.wait_with_output().unwrap();
            let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            let shown = format!("{what}: {}\nstdout {stdout:?}\nstderr {stderr:?}", out.status);
            assert!(!lingered, "the child lingered 5 s: {shown}");
            assert!(stdout.is_empty(), "{shown}");
            if victim == "child" {
                assert_eq!(out.status.code(), Some(74), "{shown}");
                assert_eq!(stderr, "ipc-static: sender process: killed by signal 9 after 0 of 65536 bytes\n", "{shown}");
                assert_eq!(state_of(child), None, "not reaped by its parent: {shown}");
            } else {
                use std::os::unix::process::ExitStatusExt;
                assert_eq!(out.status.signal(), Some(9), "{shown}");
                assert!(stderr.is_empty(), "the child goes quietly: {shown}");
            }
        }
    }
}
