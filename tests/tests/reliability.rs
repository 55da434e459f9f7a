//! Reliability (issue 6): no input or fault makes ./ipc-static crash, hang,
//! leak a process or print a false figure.
//!
//! Black-box, against the very ./ipc-static that `make` builds:
//! - the argument parser, with a seeded random generator and a reference model
//!   (PARSER_CASES, PARSER_SEED);
//! - sizes at the edges, resource limits, a closed or full stdout, a TCP port
//!   in use;
//! - every system call failing, by strace's fault injection, in each mode and
//!   IPC type; EINTR, which must be retried;
//! - the 2proc child or parent killed, SIGSTOP/SIGCONT mid-run;
//! - a watchdog over every mode and IPC type, concurrent and sequential load;
//! - what the binary touches: loopback only, listener closed before the loop,
//!   no files, no environment.
//!
//! Every run is tagged with an environment variable (the binary ignores its
//! environment; children inherit it), so processes left behind are found in
//! /proc by the tag, killed, and fail the test.
//!
//! `RELIABILITY_FULL=1` (make reliability) runs the long forms: 1000
//! sequential runs, a wider fault sweep, 72 concurrent runs, 20000 parser
//! cases. Figures go to stderr (`cargo test -- --nocapture` shows them).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ipc_static_tests::{binary, have, is_bandwidth_line, is_root};

const MODES: [&str; 3] = ["1thread", "2thread", "2proc"];
const IPCS: [&str; 3] = ["pipe", "local", "tcp"];
const TAG_VAR: &str = "IPC_RELIABILITY_TAG";
/// The watchdog for one run: nothing here needs more than a few seconds.
const WATCHDOG_SECS: u64 = 30;

fn full() -> bool {
    std::env::var("RELIABILITY_FULL").map(|v| !v.is_empty() && v != "0").unwrap_or(false)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// strace fault injection needs strace and ptrace rights (CI is root).
fn can_inject() -> bool {
    if !have("strace") {
        eprintln!("*** strace is not installed: SKIPPING fault injection");
        return false;
    }
    let ok = Command::new("strace")
        .args(["-qq", "-o", "/dev/null", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("*** strace cannot trace here (root: {}): SKIPPING fault injection", is_root());
    }
    ok
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// `-i IPC`, with `-p 0` for TCP so that runs never collide on a port.
fn ipc_args(ipc: &str) -> Vec<String> {
    let mut args = strings(&["-i", ipc]);
    if ipc == "tcp" {
        args.extend(strings(&["-p", "0"]));
    }
    args
}

// ---------------------------------------------------------------------------
// Running, with a watchdog and a search for leftover processes.

static NEXT_TAG: AtomicU64 = AtomicU64::new(0);

fn new_tag() -> String {
    format!("{}-{}", std::process::id(), NEXT_TAG.fetch_add(1, Ordering::Relaxed))
}

/// What one run did.
#[derive(Debug)]
struct Outcome {
    /// The command, for messages.
    what: String,
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
    /// Processes with this run's tag still alive after it ended (killed now).
    leftovers: Vec<String>,
    /// The strace output, for traced runs.
    trace: String,
    /// Was the trace of every thread and process (strace -f)?
    followed: bool,
}

impl Outcome {
    fn hung(&self) -> bool {
        // timeout(1) exits 124 when it had to stop the command, 137 if KILLed.
        self.code == Some(124) || self.code == Some(137)
    }

    fn show(&self) -> String {
        format!(
            "{}\n  exit {:?} signal {:?}\n  stdout: {:?}\n  stderr: {:?}\n  leftovers: {:?}",
            self.what, self.code, self.signal, self.stdout, self.stderr, self.leftovers
        )
    }

    fn injected(&self) -> usize {
        self.trace.matches("(INJECTED)").count()
    }
}

/// One process in /proc: pid, state letter, parent pid.
#[derive(Debug, Clone, Copy)]
struct Proc {
    pid: u32,
    state: char,
    ppid: u32,
}

fn proc_stat(pid: u32) -> Option<Proc> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let mut fields = after.split(' ');
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some(Proc { pid, state, ppid })
}

fn all_pids() -> Vec<u32> {
    fs::read_dir("/proc")
        .map(|dir| dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

/// Live processes whose environment carries `tag` (zombies have no
/// environment left, and are their new parent's to reap).
fn tagged(tag: &str) -> Vec<Proc> {
    let needle = format!("{TAG_VAR}={tag}\0");
    all_pids()
        .into_iter()
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/environ"))
                .map(|env| env.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .unwrap_or(false)
        })
        .filter_map(proc_stat)
        .filter(|p| p.state != 'Z' && p.state != 'X')
        .collect()
}

/// Waits up to `grace` for the tagged processes to go; kills and returns
/// those that do not.
fn reap_leftovers(tag: &str, grace: Duration) -> Vec<String> {
    let deadline = Instant::now() + grace;
    loop {
        let left = tagged(tag);
        if left.is_empty() {
            return Vec::new();
        }
        if Instant::now() >= deadline {
            let names = left
                .iter()
                .map(|p| {
                    let cmd = fs::read(format!("/proc/{}/cmdline", p.pid)).unwrap_or_default();
                    let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
                    format!("pid {} state {} ppid {}: {}", p.pid, p.state, p.ppid, cmd.trim())
                })
                .collect();
            for p in left {
                let _ = Command::new("kill").args(["-KILL", &p.pid.to_string()]).status();
            }
            return names;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `program args` under `timeout`, tagged, with stdin from /dev/null.
fn run_tagged(program: &Path, args: &[String], pre: &[&str]) -> Outcome {
    let tag = new_tag();
    let mut cmd = Command::new("timeout");
    cmd.args(["-k", "3", &WATCHDOG_SECS.to_string()]);
    cmd.args(pre);
    cmd.arg(program).args(args).env(TAG_VAR, &tag).stdin(Stdio::null());
    let what = format!("{} {} {}", pre.join(" "), program.display(), args.join(" "));
    let out = cmd.output().expect("spawn timeout");
    finish(what, out, &tag, String::new())
}

fn finish(what: String, out: Output, tag: &str, trace: String) -> Outcome {
    Outcome {
        what,
        code: out.status.code(),
        signal: out.status.signal(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        leftovers: reap_leftovers(tag, Duration::from_secs(3)),
        trace,
        followed: false,
    }
}

fn run(args: &[String]) -> Outcome {
    run_tagged(&binary(), args, &[])
}

/// `sh -c script` with $BIN set to the binary, tagged, under the watchdog.
fn run_sh(script: &str) -> Outcome {
    let tag = new_tag();
    let out = Command::new("timeout")
        .args(["-k", "3", &WATCHDOG_SECS.to_string(), "sh", "-c", script])
        .env("BIN", binary())
        .env(TAG_VAR, &tag)
        .stdin(Stdio::null())
        .output()
        .expect("spawn sh");
    finish(format!("sh -c '{script}'"), out, &tag, String::new())
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ipc-reliability-{name}-{}", new_tag()));
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs the binary under `strace -qq [-f] -o FILE -e inject=SPEC...`.
fn run_traced(follow: bool, specs: &[String], extra: &[&str], args: &[String]) -> Outcome {
    let scratch = Scratch::new("trace");
    let file = scratch.0.join("trace");
    let tag = new_tag();
    let mut cmd = Command::new("timeout");
    cmd.args(["-k", "3", &WATCHDOG_SECS.to_string(), "strace", "-qq", "-o"]).arg(&file);
    if follow {
        cmd.arg("-f");
    }
    for spec in specs {
        cmd.arg("-e").arg(format!("inject={spec}"));
    }
    cmd.args(extra);
    cmd.arg(binary()).args(args).env(TAG_VAR, &tag).stdin(Stdio::null());
    let what = format!(
        "strace{} {} {} ipc-static {}",
        if follow { " -f" } else { "" },
        specs.iter().map(|s| format!("-e inject={s}")).collect::<Vec<_>>().join(" "),
        extra.join(" "),
        args.join(" ")
    );
    let out = cmd.output().expect("spawn strace");
    let trace = fs::read_to_string(&file).unwrap_or_default();
    Outcome { followed: follow, ..finish(what, out, &tag, trace) }
}

// ---------------------------------------------------------------------------
// Reading strace output.

#[derive(Debug, Clone)]
struct Call {
    name: String,
    args: String,
    ret: Option<i64>,
}

/// Parses `strace [-f] -o` output, joining `<unfinished ...>` with its
/// `<... resumed>` half.
fn parse_trace(text: &str) -> Vec<Call> {
    let mut pending: HashMap<u32, (String, String)> = HashMap::new();
    let mut calls = Vec::new();
    for line in text.lines() {
        let (pid, rest) = match line.split_once(' ') {
            Some((first, rest)) if first.bytes().all(|b| b.is_ascii_digit()) => {
                (first.parse().unwrap_or(0), rest.trim_start())
            }
            _ => (0, line),
        };
        if rest.starts_with("---") || rest.starts_with("+++") {
            continue;
        }
        let (name, args_and_ret) = if let Some(resumed) = rest.strip_prefix("<... ") {
            let name = resumed.split(' ').next().unwrap_or("").to_string();
            let tail = resumed.split_once("resumed>").map(|(_, t)| t).unwrap_or("");
            let (_, head) = pending.remove(&pid).unwrap_or_default();
            (name, format!("{head}{tail}"))
        } else {
            let Some(paren) = rest.find('(') else { continue };
            let name = rest[..paren].to_string();
            let after = &rest[paren + 1..];
            if let Some(head) = after.strip_suffix("<unfinished ...>") {
                pending.insert(pid, (name, head.to_string()));
                continue;
            }
            (name, after.to_string())
        };
        let (args, ret) = match args_and_ret.rfind(" = ") {
            Some(at) => {
                let token = args_and_ret[at + 3..].split_whitespace().next().unwrap_or("?");
                let ret = if let Some(hex) = token.strip_prefix("0x") {
                    u64::from_str_radix(hex, 16).ok().map(|v| v as i64)
                } else {
                    token.parse().ok()
                };
                (args_and_ret[..at].trim_end().trim_end_matches(')').to_string(), ret)
            }
            None => (args_and_ret, None),
        };
        calls.push(Call { name, args, ret });
    }
    calls
}

fn first_fd(args: &str) -> Option<i64> {
    args.split(',').next()?.trim().parse().ok()
}

/// Bytes read from and written to IPC descriptors (fd 3 and up) between
/// the first and the last clock_gettime: the loop, and nothing else (-v
/// reads /proc and /sys files before or after it).
fn ipc_bytes(calls: &[Call]) -> (u64, u64) {
    let mut read = 0u64;
    let mut written = 0u64;
    let first = calls.iter().position(|c| c.name == "clock_gettime").unwrap_or(0);
    let last = calls.iter().rposition(|c| c.name == "clock_gettime").unwrap_or(calls.len());
    for call in &calls[first..last] {
        let (Some(fd), Some(n)) = (first_fd(&call.args), call.ret) else { continue };
        if fd < 3 || n <= 0 {
            continue;
        }
        match call.name.as_str() {
            "read" => read += n as u64,
            "write" => written += n as u64,
            _ => {}
        }
    }
    (read, written)
}

/// Child processes (clone/fork without CLONE_THREAD) that no wait4 reaped.
fn unreaped(calls: &[Call]) -> Vec<i64> {
    let children: Vec<i64> = calls
        .iter()
        .filter(|c| matches!(c.name.as_str(), "clone" | "clone3" | "fork" | "vfork"))
        .filter(|c| !c.args.contains("CLONE_THREAD"))
        .filter_map(|c| c.ret.filter(|&r| r > 0))
        .collect();
    children
        .into_iter()
        .filter(|child| !calls.iter().any(|c| c.name == "wait4" && c.ret == Some(*child)))
        .collect()
}

// ---------------------------------------------------------------------------
// What a failed or a successful run must look like.

/// A failure: the exit code, text one of whose alternatives stderr must
/// contain, and whether it must name the bytes moved out of `total`.
struct Expect {
    code: i32,
    names: Vec<String>,
    progress_of: Option<u64>,
}

/// Checks a failed run; returns what is wrong, if anything.
fn failure_problems(o: &Outcome, e: &Expect) -> Vec<String> {
    let mut problems = Vec::new();
    if o.hung() {
        problems.push("hung: the watchdog stopped it".into());
    }
    if o.signal.is_some() {
        problems.push(format!("killed by signal {:?}", o.signal));
    }
    if o.code != Some(e.code) {
        problems.push(format!("exit {:?}, expected {}", o.code, e.code));
    }
    if !o.stdout.is_empty() {
        problems.push(format!("stdout not empty (a figure after a fault?): {:?}", o.stdout));
    }
    let lines: Vec<&str> = o.stderr.lines().filter(|l| !l.is_empty()).collect();
    if lines.is_empty() {
        problems.push("no message on stderr".into());
    }
    for line in &lines {
        if !line.starts_with("ipc-static: ") {
            problems.push(format!("stderr line not from ipc-static: {line:?}"));
        }
        if line.contains("internal error") {
            problems.push(format!("panic: {line:?}"));
        }
    }
    if !e.names.iter().any(|n| o.stderr.contains(n.as_str())) {
        problems.push(format!("stderr names none of {:?}", e.names));
    }
    if let Some(total) = e.progress_of {
        let tail = format!(" of {total} bytes");
        if !(o.stderr.contains(" after ") && o.stderr.contains(&tail)) {
            problems.push(format!("stderr does not say how many of {total} bytes moved"));
        }
    }
    if !o.leftovers.is_empty() {
        problems.push(format!("processes left behind: {:?}", o.leftovers));
    }
    problems
}

/// Checks a successful `-v` run that moved `total` bytes.
fn success_problems(o: &Outcome, total: u64) -> Vec<String> {
    let mut problems = Vec::new();
    if o.hung() {
        problems.push("hung: the watchdog stopped it".into());
    }
    if o.code != Some(0) {
        problems.push(format!("exit {:?}, expected 0", o.code));
    }
    if !o.stderr.is_empty() {
        problems.push(format!("stderr not empty: {:?}", o.stderr));
    }
    // -v shows the total; traced runs are checked byte by byte below.
    if o.stdout.contains("totalsize: ") && !o.stdout.contains(&format!("totalsize: {total}\n")) {
        problems.push(format!("stdout lacks totalsize: {total}"));
    }
    if !o.stdout.contains("totalsize: ") && (!o.followed || o.trace.is_empty()) {
        problems.push("nothing shows the total (no -v, no trace)".into());
    }
    if !o.stdout.lines().last().is_some_and(is_bandwidth_line) {
        problems.push("the last line is not a bandwidth line".into());
    }
    if !o.leftovers.is_empty() {
        problems.push(format!("processes left behind: {:?}", o.leftovers));
    }
    if !o.trace.is_empty() && o.followed {
        let calls = parse_trace(&o.trace);
        let (read, written) = ipc_bytes(&calls);
        if read != total || written != total {
            problems.push(format!("trace: {read} bytes read and {written} written, expected {total} each"));
        }
        let unreaped = unreaped(&calls);
        if !unreaped.is_empty() {
            problems.push(format!("children never waited for (zombies): {unreaped:?}"));
        }
    }
    problems
}

fn assert_no_problems(label: &str, o: &Outcome, problems: Vec<String>) {
    assert!(problems.is_empty(), "{label}: {}\n{}", problems.join("; "), o.show());
}

// ---------------------------------------------------------------------------
// Fault injection.

/// One injected fault: where, what, and what is right.
struct Fault {
    label: String,
    /// Follow threads and children (strace -f)? Without it only the main
    /// thread (the receiver in 2thread, the parent in 2proc) is touched.
    follow: bool,
    specs: Vec<String>,
    args: Vec<String>,
    expect: Expect,
}

const SMALL_TOTAL: u64 = 65536;

/// A small bare run (16 blocks of 4 KiB), without -v: the failure must
/// print nothing on stdout, and -v would add reads of /proc files that
/// shift strace's call counts.
fn small(mode: &str, ipc: &str, more: &[&str]) -> Vec<String> {
    let mut args = strings(&["-B", "-b", "4096", "-t", "64k"]);
    args.extend(ipc_args(ipc));
    args.extend(strings(more));
    args.push(mode.to_string());
    args
}

fn fault(label: String, follow: bool, specs: &[&str], args: Vec<String>, code: i32, names: &[&str]) -> Fault {
    Fault {
        label,
        follow,
        specs: strings(specs),
        args,
        expect: Expect { code, names: strings(names), progress_of: None },
    }
}

fn loop_fault(label: String, follow: bool, specs: &[&str], args: Vec<String>, names: &[&str]) -> Fault {
    let mut f = fault(label, follow, specs, args, 74, names);
    f.expect.progress_of = Some(SMALL_TOTAL);
    f
}

/// Every fault of the matrix: each system call of each mode and IPC type.
fn fault_matrix() -> Vec<Fault> {
    let mut faults = Vec::new();
    for mode in MODES {
        for ipc in IPCS {
            let at = |what: &str| format!("{mode}/{ipc}: {what}");
            let args = small(mode, ipc, &[]);
            // Set-up: the buffers, the IPC object, the thread or process.
            faults.push(fault(at("mmap ENOMEM"), true, &["mmap:error=ENOMEM:when=1"], args.clone(), 71, &["mmap: "]));
            if mode == "2proc" {
                faults.push(fault(at("mmap (shared page) ENOMEM"), true, &["mmap:error=ENOMEM:when=2"], args.clone(), 71, &["mmap: "]));
            }
            match ipc {
                "pipe" => {
                    faults.push(fault(at("pipe2 EMFILE"), true, &["pipe,pipe2:error=EMFILE"], args.clone(), 71, &["pipe: "]));
                    faults.push(fault(
                        at("fcntl F_SETPIPE_SZ EPERM (-s)"),
                        true,
                        &["fcntl:error=EPERM"],
                        small(mode, ipc, &["-s"]),
                        71,
                        &["fcntl F_SETPIPE_SZ: "],
                    ));
                }
                "local" => {
                    faults.push(fault(at("socketpair ENFILE"), true, &["socketpair:error=ENFILE"], args.clone(), 71, &["socketpair: "]));
                    for (when, opt) in [(1, "SO_SNDBUF"), (2, "SO_RCVBUF")] {
                        faults.push(fault(
                            at(&format!("setsockopt {opt} ENOBUFS (-s)")),
                            true,
                            &[&format!("setsockopt:error=ENOBUFS:when={when}")],
                            small(mode, ipc, &["-s"]),
                            71,
                            &["setsockopt"],
                        ));
                    }
                }
                _ => {
                    let tcp_faults: [(&str, &str, &'static str); 9] = [
                        ("listening socket EMFILE", "socket:error=EMFILE:when=1", "socket: "),
                        ("connecting socket EACCES", "socket:error=EACCES:when=2", "socket: "),
                        ("setsockopt SO_REUSEADDR ENOPROTOOPT", "setsockopt:error=ENOPROTOOPT:when=1", "setsockopt SO_REUSEADDR"),
                        ("bind EADDRINUSE", "bind:error=EADDRINUSE", "bind 127.0.0.1:"),
                        ("getsockname ENOBUFS", "getsockname:error=ENOBUFS", "getsockname"),
                        ("listen EADDRINUSE", "listen:error=EADDRINUSE", "listen 127.0.0.1:"),
                        ("connect ECONNREFUSED", "connect:error=ECONNREFUSED", "connect 127.0.0.1:"),
                        ("connect ETIMEDOUT", "connect:error=ETIMEDOUT", "connect 127.0.0.1:"),
                        ("accept EMFILE", "accept,accept4:error=EMFILE", "accept 127.0.0.1:"),
                    ];
                    for (what, spec, name) in tcp_faults {
                        faults.push(fault(at(what), true, &[spec], args.clone(), 71, &[name]));
                    }
                    // The wait for our own connection (issue 12).
                    faults.push(fault(at("poll EIO, waiting to accept"), true, &["poll,ppoll:error=EIO:when=1"], args.clone(), 71, &["poll 127.0.0.1:"]));
                    if mode != "1thread" {
                        faults.push(fault(at("ioctl FIONBIO ENOTTY"), true, &["ioctl:error=ENOTTY"], args.clone(), 71, &["ioctl FIONBIO"]));
                    }
                    for (when, opt) in [(2, "SO_SNDBUF"), (3, "SO_RCVBUF")] {
                        faults.push(fault(
                            at(&format!("setsockopt {opt} ENOBUFS (-s)")),
                            true,
                            &[&format!("setsockopt:error=ENOBUFS:when={when}")],
                            small(mode, ipc, &["-s"]),
                            71,
                            &["setsockopt"],
                        ));
                    }
                }
            }
            match mode {
                "2thread" => {
                    faults.push(fault(at("clone EAGAIN"), true, &["clone,clone3:error=EAGAIN"], args.clone(), 71, &["clone: "]));
                    // The sender stack's guard page.
                    faults.push(fault(at("mprotect ENOMEM"), true, &["mprotect:error=ENOMEM"], args.clone(), 71, &["mprotect: "]));
                }
                "2proc" => {
                    faults.push(fault(at("clone (fork) EAGAIN"), true, &["clone,clone3,fork,vfork:error=EAGAIN"], args.clone(), 71, &["fork: "]));
                    faults.push(fault(at("wait4 ECHILD"), false, &["wait4:error=ECHILD"], args.clone(), 71, &["waitpid: "]));
                }
                _ => {}
            }
            // -g's snapshots (the 2thread sender takes the first, bare).
            faults.push(fault(
                at("getrusage EFAULT (-g)"),
                true,
                &["getrusage:error=EFAULT"],
                small(mode, ipc, &["-g"]),
                71,
                &["getrusage: "],
            ));
            // The two stamps. strace counts calls per thread: with -f the
            // first call of every thread is hit; without -f only the main
            // thread's (the receiver's, whose first call is the finish).
            let start_code = 71;
            faults.push(fault(at("start clock_gettime EINVAL"), true, &["clock_gettime:error=EINVAL:when=1"], args.clone(), start_code, &["clock_gettime: "]));
            let (follow, when) = if mode == "1thread" { (true, 2) } else { (false, 1) };
            faults.push(fault(
                at("finish clock_gettime EINVAL"),
                follow,
                &[&format!("clock_gettime:error=EINVAL:when={when}")],
                args.clone(),
                71,
                &["clock_gettime: "],
            ));
            // The loop.
            faults.push(loop_fault(at("3rd read EIO"), true, &["read:error=EIO:when=3"], args.clone(), &["read: "]));
            faults.push(loop_fault(at("3rd write EIO"), true, &["write:error=EIO:when=3"], args.clone(), &["write: "]));
            for errno in ["EPIPE", "ECONNRESET"] {
                let f = loop_fault(
                    at(&format!("3rd write {errno}")),
                    true,
                    &[&format!("write:error={errno}:when=3")],
                    args.clone(),
                    &["write: "],
                );
                faults.push(f);
            }
            let eof = loop_fault(
                at("3rd read returns 0 (early end of file)"),
                true,
                &["read:retval=0:when=3"],
                args.clone(),
                &["read: connection closed"],
            );
            faults.push(eof);
            if mode != "1thread" {
                // -q leaves the IPC objects to exit: the receiver's failure
                // must still stop the sender.
                let mut quiet = small(mode, ipc, &[]);
                quiet.retain(|a| a != "64k");
                let at_t = quiet.iter().position(|a| a == "-t").unwrap();
                quiet.insert(at_t + 1, "4m".into());
                quiet.insert(0, "-q".into());
                for (what, spec, name) in [
                    ("-q, 3rd read EIO, 4 MiB", "read:error=EIO:when=3", "read: "),
                    ("-q, 3rd read returns 0, 4 MiB", "read:retval=0:when=3", "read: "),
                ] {
                    let mut f = fault(at(what), true, &[spec], quiet.clone(), 74, &[name]);
                    f.expect.progress_of = Some(4 << 20);
                    faults.push(f);
                }
            }
            if mode == "1thread" {
                // poll is reached only when neither end moved: a write that
                // finds no room (EAGAIN) after the reader has caught up.
                // (TCP's first poll waits for the connection, in set-up.)
                let when = if ipc == "tcp" { 2 } else { 1 };
                faults.push(loop_fault(
                    at("poll EIO"),
                    true,
                    &["write:error=EAGAIN:when=2", &format!("poll,ppoll:error=EIO:when={when}")],
                    args.clone(),
                    &["poll: "],
                ));
            }
            // The final write to stdout: a one-block run, so that it is the
            // main thread's 2nd write in 1thread and its 1st in the others.
            let one_block = {
                let mut a = small(mode, ipc, &[]);
                let at_t = a.iter().position(|x| x == "64k").unwrap();
                a[at_t] = "4096".into();
                a
            };
            let when = if mode == "1thread" { 2 } else { 1 };
            for errno in ["EIO", "ENOSPC"] {
                faults.push(fault(
                    at(&format!("write to stdout {errno}")),
                    false,
                    &[&format!("write:error={errno}:when={when}")],
                    one_block.clone(),
                    74,
                    &["write to standard output: "],
                ));
            }
        }
    }
    faults
}

fn check_fault(f: &Fault) -> (Outcome, Vec<String>) {
    let o = run_traced(f.follow, &f.specs, &[], &f.args);
    let mut problems = failure_problems(&o, &f.expect);
    if o.injected() == 0 {
        problems.push("strace injected nothing: the call was never made".into());
    }
    // The parent reaps its child whatever failed (unless waiting itself was
    // made to fail, or the run hung).
    let unreaped = unreaped(&parse_trace(&o.trace));
    if o.followed && !o.hung() && !f.specs.iter().any(|s| s.starts_with("wait4")) && !unreaped.is_empty() {
        problems.push(format!("children never waited for (zombies): {unreaped:?}"));
    }
    (o, problems)
}

#[test]
fn every_system_call_can_fail_cleanly() {
    if !can_inject() {
        return;
    }
    let faults = fault_matrix();
    let (mut tried, mut injected) = (0, 0);
    let mut failures = Vec::new();
    for f in &faults {
        let (o, problems) = check_fault(f);
        tried += 1;
        injected += o.injected();
        if !problems.is_empty() {
            failures.push(format!("{}: {}\n{}", f.label, problems.join("; "), o.show()));
        }
    }
    eprintln!(
        "fault matrix: {tried} faults tried ({injected} injections), {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "{} of {tried} faults mishandled:\n{}", failures.len(), failures.join("\n\n"));
}

/// With -j, stdout is one valid JSON document whatever fails: the
/// configuration, the samples of the iterations that completed, and an
/// "error" object naming the call, its errno or cause, the iteration and the
/// bytes moved; the exit status is the same as without -j, and the message
/// on stderr too.
#[test]
fn json_is_one_valid_document_whatever_fails() {
    if !can_inject() {
        return;
    }
    let mut checked = 0;
    let mut failures = Vec::new();
    // failed_in: the iteration that must fail; None: any after the first.
    let mut check = |f: &Fault, iterations: u64, failed_in: Option<u64>| {
        let o = run_traced(f.follow, &f.specs, &[], &f.args);
        checked += 1;
        let mut problems = Vec::new();
        if o.injected() == 0 {
            problems.push("strace injected nothing".to_string());
        }
        if o.code != Some(f.expect.code) {
            problems.push(format!("exit {:?}, expected {}", o.code, f.expect.code));
        }
        if !f.expect.names.iter().any(|n| o.stderr.contains(n.as_str())) {
            problems.push(format!("stderr names none of {:?}", f.expect.names));
        }
        if !o.leftovers.is_empty() {
            problems.push(format!("processes left behind: {:?}", o.leftovers));
        }
        match serde_json::from_str::<serde_json::Value>(&o.stdout) {
            Err(e) => problems.push(format!("stdout is not one JSON document ({e})")),
            Ok(doc) => {
                let iteration = doc["error"]["iteration"].as_u64().unwrap_or(0);
                if failed_in.is_some_and(|n| n != iteration) || iteration < 1 + u64::from(failed_in.is_none()) {
                    problems.push(format!("failed in iteration {iteration}, expected {failed_in:?} (None: after the first)"));
                }
                let samples = doc["benchmark_samples"].as_array().map(Vec::len);
                if samples != Some(iteration.saturating_sub(1) as usize) {
                    problems.push(format!("{samples:?} samples before a failure in iteration {iteration}"));
                }
                if doc["benchmark_configuration"]["iterations"] != iterations {
                    problems.push("no configuration".into());
                }
                let e = &doc["error"];
                let message = e["message"].as_str().unwrap_or("");
                // The error object says what stderr says (the 2proc parent
                // may follow the child's own line with what it saw).
                if !o.stderr.lines().any(|l| l.strip_prefix("ipc-static: ") == Some(message)) {
                    problems.push(format!("error message {message:?} is not a line of stderr"));
                }
                if !message.starts_with(e["operation"].as_str().unwrap_or("?")) || e["cause"].as_str().is_none_or(str::is_empty) {
                    problems.push(format!("error without operation or cause: {e}"));
                }
                if !(e["errno"].is_null() || e["errno"].as_u64().is_some_and(|n| n > 0)) {
                    problems.push(format!("errno neither null nor positive: {e}"));
                }
                if e["exit_status"] != f.expect.code {
                    problems.push(format!("exit status wrong: {e}"));
                }
                match f.expect.progress_of {
                    Some(total) => {
                        if e["bytes_total"] != total || e["bytes_moved"].as_u64().is_none_or(|m| m > total) {
                            problems.push(format!("bytes moved not said: {e}"));
                        }
                    }
                    // (A 2proc child's set-up failure reaches the parent as
                    // an early end of file, bytes and all.)
                    None if f.expect.code == 71 && !f.label.starts_with("2proc") => {
                        if !e["bytes_moved"].is_null() {
                            problems.push(format!("a set-up failure with bytes moved: {e}"));
                        }
                    }
                    None => {}
                }
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}\n{}", f.label, problems.join("; "), o.show()));
        }
    };
    // Every fault of the matrix with -j, in the first iteration (stdout
    // itself failing cannot carry a document).
    // (-q excludes -j.)
    let faults = fault_matrix().into_iter().filter(|f| !f.args.iter().any(|a| a == "-q"));
    for mut f in faults.filter(|f| !f.expect.names.iter().any(|n| n.contains("standard output"))) {
        f.args.insert(0, "-j".into());
        check(&f, 1, Some(1));
    }
    // A loop failure in a later iteration: the samples before it are kept.
    // strace counts calls per thread and process, and each iteration has a
    // new sender: the receiver's reads (all modes) and 1thread's writes are
    // the ones that run on across iterations (16 blocks each, more with
    // short or non-blocking reads, so the iteration hit is read back).
    for mode in MODES {
        for ipc in IPCS {
            for call in ["read", "write"] {
                if call == "write" && mode != "1thread" {
                    continue;
                }
                let mut args = small(mode, ipc, &["-n", "3"]);
                args.insert(0, "-j".into());
                let spec = format!("{call}:error=EIO:when=24");
                let f = loop_fault(format!("{mode}/{ipc}: -n 3, {spec}"), true, &[&spec], args, &[&format!("{call}: ")]);
                check(&f, 3, None);
            }
        }
    }
    eprintln!("-j under faults: {checked} runs, every stdout parsed, {} wrong", failures.len());
    assert!(failures.is_empty(), "{} of {checked} mishandled:\n{}", failures.len(), failures.join("\n\n"));
}

/// When both sides of a run fail, the one that failed first is named, not
/// the echo of its closing on the other side: an early end of file makes the
/// sender's next write fail with EPIPE, and an EPIPE in the sender makes the
/// receiver see end of file, both with the same bytes moved. A race decides
/// which failure is reported unless the cause is tracked, so each case runs
/// repeatedly.
#[test]
fn the_first_failure_is_named_not_its_echo() {
    if !can_inject() {
        return;
    }
    let repeats = if full() { 50 } else { 12 };
    let (mut runs, mut failures) = (0, Vec::new());
    for mode in ["2thread", "2proc"] {
        for ipc in IPCS {
            let mut args = small(mode, ipc, &[]);
            args.retain(|a| a != "64k");
            let at_t = args.iter().position(|a| a == "-t").unwrap();
            args.insert(at_t + 1, "4m".into());
            args.insert(0, "-q".into());
            // Slowing the sender's 3rd write lets the receiver's early end
            // of file come first with nothing unread: sent == received when
            // the sender's echo (EPIPE) arrives, the case byte counts get wrong.
            let cases: [(&str, &[&str], &str); 4] = [
                ("3rd read returns 0", &["read:retval=0:when=3"], "read: "),
                (
                    "3rd read returns 0, sender's 3rd write slowed",
                    &["read:retval=0:when=3", "write:delay_enter=50000:when=3"],
                    "read: ",
                ),
                ("3rd write EPIPE", &["write:error=EPIPE:when=3"], "write: "),
                ("3rd write ECONNRESET", &["write:error=ECONNRESET:when=3"], "write: "),
            ];
            for (what, specs, name) in cases {
                let mut f = fault(format!("{mode}/{ipc}: {what}"), true, specs, args.clone(), 74, &[name]);
                f.expect.progress_of = Some(4 << 20);
                for round in 0..repeats {
                    let (o, problems) = check_fault(&f);
                    runs += 1;
                    if !problems.is_empty() {
                        failures.push(format!("{} (round {round}): {}\n{}", f.label, problems.join("; "), o.show()));
                        break;
                    }
                }
            }
        }
    }
    eprintln!("first failure vs its echo: {runs} runs, {} cases failed", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The Nth read or write fails, for a sweep of N: the run fails iff strace
/// hit a call, and then it names the call and the bytes moved.
#[test]
fn nth_read_or_write_failure_sweep() {
    if !can_inject() {
        return;
    }
    let ns: Vec<u32> = if full() { (1..=18).collect() } else { vec![1, 2, 9, 16, 17] };
    let (mut runs, mut hit, mut missed) = (0, 0, 0);
    let mut failures = Vec::new();
    for mode in MODES {
        for ipc in IPCS {
            for call in ["read", "write"] {
                for &n in &ns {
                    // The main thread's (parent's) first write is its report:
                    // hitting it too would only lose the message.
                    if call == "write" && n == 1 && mode != "1thread" {
                        continue;
                    }
                    let args = small(mode, ipc, &[]);
                    let spec = format!("{call}:error=EIO:when={n}");
                    let o = run_traced(true, std::slice::from_ref(&spec), &[], &args);
                    runs += 1;
                    let problems = if o.injected() == 0 {
                        missed += 1;
                        success_problems(&o, SMALL_TOTAL)
                    } else {
                        hit += 1;
                        let names = if call == "read" { strings(&["read: "]) } else { strings(&["write: ", "write to standard output: "]) };
                        failure_problems(&o, &Expect { code: 74, names, progress_of: None })
                    };
                    if !problems.is_empty() {
                        failures.push(format!("{mode}/{ipc} {spec}: {}\n{}", problems.join("; "), o.show()));
                    }
                }
            }
        }
    }
    eprintln!("Nth read/write EIO sweep: {runs} runs, {hit} with a fault hit, {missed} past the last call (must succeed)");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// EINTR is retried: the run completes, every byte moves once, the figure
/// is printed. (strace returns EINTR without running the call, exactly what
/// a signal arriving before any data moved looks like to the program.)
#[test]
fn eintr_is_retried_and_the_run_completes() {
    if !can_inject() {
        return;
    }
    let mut cases: Vec<(String, bool, Vec<String>, Vec<String>)> = Vec::new();
    for mode in MODES {
        for ipc in IPCS {
            let args = small(mode, ipc, &[]);
            for call in ["read", "write"] {
                cases.push((format!("{mode}/{ipc} every 2nd {call} EINTR"), true, strings(&[&format!("{call}:error=EINTR:when=2+2")]), args.clone()));
            }
            if mode == "1thread" {
                cases.push((
                    format!("{mode}/{ipc} poll EINTR"),
                    true,
                    strings(&["write:error=EAGAIN:when=2", "poll,ppoll:error=EINTR:when=1+"]),
                    args.clone(),
                ));
            } else {
                // The main thread's first write is the report on stdout.
                // -v, so that stdout shows the total.
                cases.push((format!("{mode}/{ipc} stdout write EINTR"), false, strings(&["write:error=EINTR:when=1"]), small(mode, ipc, &["-v"])));
            }
        }
    }
    let mut injected = 0;
    let mut failures = Vec::new();
    for (label, follow, specs, args) in &cases {
        let o = run_traced(*follow, specs, &[], args);
        injected += o.injected();
        let mut problems = success_problems(&o, SMALL_TOTAL);
        if o.injected() == 0 {
            problems.push("strace injected nothing".into());
        }
        if !problems.is_empty() {
            failures.push(format!("{label}: {}\n{}", problems.join("; "), o.show()));
        }
    }
    eprintln!("EINTR: {} runs, {injected} EINTRs injected, all bytes accounted for in the traces", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------
// Sizes at the edges.

#[test]
fn edge_sizes_run_or_are_refused_clearly() {
    let mut runs = 0;
    // Buffer = total, one-byte buffers, a one-byte total: every mode and IPC.
    for mode in MODES {
        for ipc in IPCS {
            for (b, t, total) in [("64k", "64k", 65536u64), ("1", "1", 1), ("1", "7", 7), ("4096", "4096", 4096), ("65536", "1m", 1 << 20)] {
                let mut args = strings(&["-B", "-v", "-b", b, "-t", t]);
                args.extend(ipc_args(ipc));
                args.push(mode.into());
                let o = run(&args);
                runs += 1;
                assert_no_problems(&format!("{mode}/{ipc} -b {b} -t {t}"), &o, success_problems(&o, total));
            }
        }
    }
    // Sizes the parser must refuse: overflow in any arithmetic is a usage error.
    let refused: [(&[&str], &str); 6] = [
        (&["-b", "9223372036854775808", "-t", "9223372036854775808"], "buffer size too large"),
        (&["-b", "18446744073709551615", "-t", "18446744073709551615"], "buffer size too large"),
        (&["-t", "18446744073709551616"], "total size is too large"),
        (&["-b", "18446744073709551616"], "buffer size is too large"),
        (&["-t", "18014398509481984k"], "total size is too large"),
        (&["-b", "17179869184g"], "buffer size is too large"),
    ];
    for (sizes, message) in refused {
        for mode in MODES {
            let mut args = strings(&["-B", "-q"]);
            args.extend(strings(sizes));
            args.push(mode.into());
            let o = run(&args);
            runs += 1;
            assert_eq!(o.code, Some(64), "{}", o.show());
            assert!(o.stderr.starts_with("ipc-static: ") && o.stderr.lines().next().unwrap().contains(message), "{}", o.show());
            assert!(o.stdout.is_empty() && o.leftovers.is_empty(), "{}", o.show());
        }
    }
    // Buffers that parse but cannot be mapped: a clear OS error, exit 71.
    // 2^62 and 2^63-1 (twice over, plus 2thread's stack: checked arithmetic)
    // exceed any address space; 100 GiB exceeds this machine's memory, which
    // the kernel refuses unless overcommit is unlimited (mode 1).
    let mut unmappable = vec!["4611686018427387904", "9223372036854775807"];
    if fs::read_to_string("/proc/sys/vm/overcommit_memory").is_ok_and(|m| m.trim() != "1") {
        unmappable.push("100g");
    }
    for b in unmappable {
        for mode in MODES {
            let args = strings(&["-B", "-q", "-b", b, "-t", b, mode]);
            let o = run(&args);
            runs += 1;
            assert_no_problems(
                &format!("{mode} -b {b}"),
                &o,
                failure_problems(&o, &Expect { code: 71, names: strings(&["mmap: "]), progress_of: None }),
            );
        }
    }
    // A total near u64::MAX with a one-byte buffer is valid and would run for
    // ages: it must start (not fail on overflow) and be stoppable.
    for mode in MODES {
        let tag = new_tag();
        let out = Command::new("timeout")
            .args(["-s", "KILL", "1"])
            .arg(binary())
            .args(["-B", "-q", "-b", "1", "-t", "18446744073709551615", mode])
            .env(TAG_VAR, &tag)
            .output()
            .unwrap();
        runs += 1;
        // timeout -s KILL stops its whole group, itself included.
        assert!(
            out.status.signal() == Some(9) || matches!(out.status.code(), Some(124 | 137)),
            "{mode}: a u64::MAX total ended early: {out:?}"
        );
        assert!(out.stderr.is_empty(), "{mode}: {out:?}");
        assert!(reap_leftovers(&tag, Duration::from_secs(3)).is_empty(), "{mode}: left processes behind");
    }
    eprintln!("edge sizes: {runs} runs");
}

// ---------------------------------------------------------------------------
// Resource limits, stdout, ports.

#[test]
fn resource_limits_give_clear_errors() {
    let mut runs = 0;
    // ulimit -n: 3 leaves no descriptor free, 4 only one, 5 no room for accept.
    for ipc in IPCS {
        for mode in MODES {
            for limit in [3, 4] {
                let expected = match ipc {
                    "pipe" => "pipe: ",
                    "local" => "socketpair: ",
                    _ => "socket: ",
                };
                let script = format!("ulimit -n {limit} && exec \"$BIN\" -B {} {mode}", ipc_args(ipc).join(" "));
                let o = run_sh(&script);
                runs += 1;
                assert_no_problems(&script, &o, failure_problems(&o, &Expect { code: 71, names: strings(&[expected]), progress_of: None }));
                assert!(o.stderr.contains("No file descriptors available") || o.stderr.contains("Too many open files"), "{}", o.show());
            }
        }
        if ipc == "tcp" {
            for mode in MODES {
                let script = format!("ulimit -n 5 && exec \"$BIN\" -B -i tcp -p 0 {mode}");
                let o = run_sh(&script);
                runs += 1;
                assert_no_problems(&script, &o, failure_problems(&o, &Expect { code: 71, names: strings(&["accept 127.0.0.1:"]), progress_of: None }));
            }
        }
    }
    // ulimit -v: the buffers do not fit.
    for mode in MODES {
        let script = format!("ulimit -v 20000 && exec \"$BIN\" -B -b 16m -t 16m {mode}");
        let o = run_sh(&script);
        runs += 1;
        assert_no_problems(&script, &o, failure_problems(&o, &Expect { code: 71, names: strings(&["mmap: Out of memory"]), progress_of: None }));
    }
    eprintln!("resource limits: {runs} runs, all exit 71 naming the call");
}

#[test]
fn closed_or_full_stdout_is_an_io_error_after_the_run() {
    let mut runs = 0;
    for mode in MODES {
        for (redirect, why) in [(">&-", "Bad file descriptor"), (">/dev/full", "No space left on device")] {
            for verbose in ["", "-v"] {
                let script = format!("exec \"$BIN\" -B {verbose} -b 4096 -t 64k {mode} {redirect}");
                let o = run_sh(&script);
                runs += 1;
                assert_no_problems(
                    &script,
                    &o,
                    failure_problems(&o, &Expect { code: 74, names: strings(&["write to standard output: "]), progress_of: None }),
                );
                assert!(o.stderr.contains(why), "{}", o.show());
            }
        }
        // -q writes nothing: a closed stdout does not matter.
        let script = format!("exec \"$BIN\" -B -q -b 4096 -t 64k {mode} >&-");
        let o = run_sh(&script);
        runs += 1;
        assert!(o.code == Some(0) && o.stderr.is_empty() && o.leftovers.is_empty(), "{}", o.show());
    }
    // The benchmark ran to completion before the write failed: both stamps
    // were taken and every byte moved, then write(1) failed.
    if can_inject() {
        for mode in MODES {
            let scratch = Scratch::new("stdout");
            let file = scratch.0.join("trace");
            let script = format!("exec strace -f -qq -o '{}' \"$BIN\" -B -b 4096 -t 64k {mode} >/dev/full", file.display());
            let o = run_sh(&script);
            runs += 1;
            assert_eq!(o.code, Some(74), "{}", o.show());
            let calls = parse_trace(&fs::read_to_string(&file).unwrap());
            let stamps: Vec<usize> = calls.iter().enumerate().filter(|(_, c)| c.name == "clock_gettime").map(|(i, _)| i).collect();
            let failed_write = calls
                .iter()
                .position(|c| c.name == "write" && first_fd(&c.args) == Some(1) && c.ret == Some(-1))
                .expect("a failed write to fd 1");
            assert_eq!(stamps.len(), 2, "{mode}: {stamps:?}");
            assert!(stamps[1] < failed_write, "{mode}: stdout written before the loop ended");
            assert_eq!(ipc_bytes(&calls), (SMALL_TOTAL, SMALL_TOTAL), "{mode}");
        }
    }
    eprintln!("stdout closed or full: {runs} runs");
}

#[test]
fn tcp_port_in_use_is_named_and_port_zero_works() {
    // A port someone listens on, on loopback and on every address.
    for bind_to in ["127.0.0.1:0", "0.0.0.0:0"] {
        let listener = std::net::TcpListener::bind(bind_to).unwrap();
        let port = listener.local_addr().unwrap().port();
        for mode in MODES {
            let args = strings(&["-B", "-b", "4096", "-t", "64k", "-i", "tcp", "-p", &port.to_string(), mode]);
            let o = run(&args);
            let name = format!("bind 127.0.0.1:{port}: ");
            assert_no_problems(
                &format!("{mode} port {port} in use ({bind_to})"),
                &o,
                failure_problems(&o, &Expect { code: 71, names: vec![name], progress_of: None }),
            );
            assert!(o.stderr.contains("Address in use") || o.stderr.contains("Address already in use"), "{}", o.show());
        }
    }
    for mode in MODES {
        let args = strings(&["-B", "-v", "-b", "4096", "-t", "64k", "-i", "tcp", "-p", "0", mode]);
        let o = run(&args);
        assert_no_problems(&format!("{mode} -p 0"), &o, success_problems(&o, SMALL_TOTAL));
        let port = o.stdout.lines().find_map(|l| l.trim().strip_prefix("tcp_port: ")).map(|p| p.parse::<u16>().unwrap());
        if let Some(port) = port {
            assert_ne!(port, 0, "{}", o.show());
        }
    }
    eprintln!("TCP: port in use refused with exit 71 naming 127.0.0.1:port (6 runs); -p 0 works (3 runs)");
}

// ---------------------------------------------------------------------------
// Processes and signals.

fn spawn_tagged(args: &[&str], tag: &str) -> Child {
    Command::new(binary())
        .args(args)
        .env(TAG_VAR, tag)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// As spawn_tagged, with output discarded: a lingering child must not hold
/// our pipes open.
fn spawn_tagged_silent(args: &[&str], tag: &str) -> Child {
    Command::new(binary())
        .args(args)
        .env(TAG_VAR, tag)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The child of `pid`, once it exists.
fn child_of(pid: u32) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let children = fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        if let Some(child) = children.split_whitespace().next() {
            return child.parse().unwrap();
        }
        assert!(Instant::now() < deadline, "process {pid} never forked");
        thread::sleep(Duration::from_millis(5));
    }
}

fn start_time(pid: u32) -> Option<String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(stat[stat.rfind(')')? + 2..].split(' ').nth(19)?.to_string())
}

fn wait_with_deadline(mut child: Child, secs: u64) -> Output {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("hung: no exit within {secs} s: {out:?}");
        }
        thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

fn kill(signal: &str, pid: u32) {
    let status = Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status().unwrap();
    assert!(status.success(), "kill -{signal} {pid}");
}

#[test]
fn child_killed_mid_run_is_reported_and_reaped() {
    const TOTAL: u64 = 64 << 20;
    for ipc in IPCS {
        let tag = new_tag();
        let mut args = vec!["-B", "-b", "1", "-t", "64m", "-i", ipc];
        if ipc == "tcp" {
            args.extend(["-p", "0"]);
        }
        args.push("2proc");
        let parent = spawn_tagged(&args, &tag);
        let parent_pid = parent.id();
        let child = child_of(parent_pid);
        let child_started = start_time(child);
        thread::sleep(Duration::from_millis(300));
        kill("KILL", child);
        let out = wait_with_deadline(parent, 20);
        // The parent reaped it: the pid is gone at once (an unreaped child
        // would linger as a zombie of init for a while).
        let still_there = start_time(child).is_some() && start_time(child) == child_started;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(74), "{ipc}: {out:?}");
        assert!(out.stdout.is_empty(), "{ipc}: a figure after the child died: {out:?}");
        let prefix = "ipc-static: sender process: killed by signal 9 after ";
        let line = stderr.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("{ipc}: {stderr:?}"));
        let moved: u64 = line[prefix.len()..].split(' ').next().unwrap().parse().unwrap();
        assert!(line.ends_with(&format!(" of {TOTAL} bytes")), "{ipc}: {line}");
        assert!(moved > 0 && moved < TOTAL, "{ipc}: {moved} bytes arrived");
        assert!(!still_there, "{ipc}: the killed child {child} was not reaped by its parent");
        assert!(reap_leftovers(&tag, Duration::from_secs(3)).is_empty(), "{ipc}: processes left behind");
        eprintln!("2proc/{ipc}: child SIGKILLed after {moved} of {TOTAL} bytes: exit 74, reaped");
    }
}

#[test]
fn parent_killed_mid_run_leaves_no_child() {
    for ipc in IPCS {
        let tag = new_tag();
        let mut args = vec!["-B", "-q", "-b", "1", "-t", "64m", "-i", ipc];
        if ipc == "tcp" {
            args.extend(["-p", "0"]);
        }
        args.push("2proc");
        let parent = spawn_tagged_silent(&args, &tag);
        let parent_pid = parent.id();
        let child = child_of(parent_pid);
        thread::sleep(Duration::from_millis(300));
        kill("KILL", parent_pid);
        let out = wait_with_deadline(parent, 10);
        assert_eq!(out.status.signal(), Some(9), "{ipc}: {out:?}");
        // The child ends on EPIPE (or ECONNRESET) within moments.
        let started = Instant::now();
        let mut running = true;
        while started.elapsed() < Duration::from_secs(3) {
            running = matches!(proc_stat(child), Some(p) if p.state != 'Z' && p.state != 'X');
            if !running {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        assert!(!running, "{ipc}: the child {child} still runs 3 s after its parent died");
        assert!(reap_leftovers(&tag, Duration::from_secs(1)).is_empty(), "{ipc}: processes left behind");
        eprintln!("2proc/{ipc}: parent SIGKILLed: child gone after {:?}", started.elapsed());
    }
}

#[test]
fn sigstop_and_sigcont_mid_run_complete_correctly() {
    const TOTAL: u64 = 2 << 20;
    let mut stopped_mid_run = 0;
    let mut runs = 0;
    for mode in MODES {
        for ipc in IPCS {
            let tag = new_tag();
            // 4-byte buffers: system-call bound, 0.1 to 3 seconds.
            let mut args = vec!["-B", "-v", "-b", "4", "-t", "2m", "-i", ipc];
            if ipc == "tcp" {
                args.extend(["-p", "0"]);
            }
            args.push(mode);
            let child = spawn_tagged(&args, &tag);
            let pid = child.id();
            let mut pids = vec![pid];
            if mode == "2proc" {
                pids.push(child_of(pid));
            }
            thread::sleep(Duration::from_millis(20));
            let alive = Command::new("kill").arg("-STOP").args(pids.iter().map(|p| p.to_string())).status().unwrap().success();
            thread::sleep(Duration::from_millis(150));
            if alive && proc_stat(pid).is_some_and(|p| p.state == 'T') {
                stopped_mid_run += 1;
            }
            let _ = Command::new("kill").arg("-CONT").args(pids.iter().map(|p| p.to_string())).status();
            let out = wait_with_deadline(child, 30);
            runs += 1;
            let o = Outcome {
                what: format!("{mode}/{ipc} SIGSTOP/SIGCONT"),
                code: out.status.code(),
                signal: out.status.signal(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                leftovers: reap_leftovers(&tag, Duration::from_secs(3)),
                trace: String::new(),
                followed: false,
            };
            assert_no_problems(&o.what.clone(), &o, success_problems(&o, TOTAL));
        }
    }
    eprintln!("SIGSTOP/SIGCONT: {runs} runs, {stopped_mid_run} caught stopped mid-run, all completed with the full total");
    assert!(stopped_mid_run > 0, "no run was caught mid-run: make the runs longer");
}

// ---------------------------------------------------------------------------
// Watchdog and load.

#[test]
fn watchdog_every_mode_and_ipc_type_finishes() {
    let mut runs = 0;
    let started = Instant::now();
    for mode in MODES {
        for ipc in IPCS {
            for extra in [&[][..], &["-s"][..], &["-b", "1048576", "-t", "4m"][..]] {
                let mut args = strings(&["-B", "-v", "-b", "4096", "-t", "256k"]);
                args.extend(ipc_args(ipc));
                args.extend(strings(extra));
                args.push(mode.into());
                let total = if extra.len() == 4 { 4 << 20 } else { 256 << 10 };
                let o = run(&args);
                runs += 1;
                assert_no_problems(&format!("watchdog {}", args.join(" ")), &o, success_problems(&o, total));
            }
        }
    }
    if full() {
        // With quiescing (sync, sleeps): slower, once per mode.
        for mode in MODES {
            let args = strings(&["-v", "-b", "4096", "-t", "64k", mode]);
            let o = run(&args);
            runs += 1;
            assert_no_problems(&format!("watchdog {}", args.join(" ")), &o, success_problems(&o, SMALL_TOTAL));
        }
    }
    eprintln!("watchdog: {runs} runs under a {WATCHDOG_SECS} s timeout, none hung, in {:?}", started.elapsed());
}

#[test]
fn concurrent_runs_all_succeed_with_correct_totals() {
    const TOTAL: u64 = 1 << 20;
    let combos: Vec<(&str, &str)> = MODES.iter().flat_map(|m| IPCS.iter().map(move |i| (*m, *i))).collect();
    // Quick: 8 at a time of each combination in turn. Full: all 72 at once too.
    let mut batches: Vec<Vec<(&str, &str)>> = combos.iter().map(|c| vec![*c; 8]).collect();
    if full() {
        batches.push(combos.iter().flat_map(|c| vec![*c; 8]).collect());
    }
    let mut held = 0;
    let mut runs = 0;
    for batch in batches {
        let handles: Vec<_> = batch
            .iter()
            .map(|(mode, ipc)| {
                let mut args = strings(&["-B", "-v", "-b", "4096", "-t", "1m"]);
                args.extend(ipc_args(ipc));
                args.push(mode.to_string());
                thread::spawn(move || (args.join(" "), run(&args)))
            })
            .collect();
        held = held.max(handles.len());
        for handle in handles {
            let (what, o) = handle.join().unwrap();
            runs += 1;
            assert_no_problems(&format!("concurrent {what}"), &o, success_problems(&o, TOTAL));
        }
    }
    eprintln!("load: {runs} runs, up to {held} concurrent, all exit 0 with totalsize {TOTAL}");
}

fn ipc_static_zombies() -> usize {
    all_pids()
        .into_iter()
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains("(ipc-static) Z"))
        })
        .count()
}

#[test]
fn many_sequential_runs_leave_nothing_behind() {
    let count = if full() { 1000 } else { 100 };
    let scratch = Scratch::new("sequential");
    let list = |dir: &str| -> Vec<std::ffi::OsString> {
        fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect()).unwrap_or_default()
    };
    let shm_before = list("/dev/shm");
    let processes_before = all_pids().len();
    let zombies_before = ipc_static_zombies();
    let tag = new_tag();
    let tracing = can_inject();
    let (mut traced, mut children_reaped) = (0, 0);
    let started = Instant::now();
    for i in 0..count {
        let mode = MODES[i % 3];
        let ipc = IPCS[(i / 3) % 3];
        let mut args = strings(&["-B", "-q", "-b", "4096", "-t", "64k"]);
        args.extend(ipc_args(ipc));
        args.push(mode.into());
        // Every 10th 2proc run is traced: its parent must wait4 its child.
        let trace_this = tracing && mode == "2proc" && i % 10 == 2;
        let trace_file = scratch.0.join("..").join(format!("ipc-reliability-seq-{tag}.trace"));
        let mut cmd = if trace_this {
            let mut c = Command::new("strace");
            c.args(["-f", "-qq", "-e", "trace=clone,clone3,fork,vfork,wait4", "-o"]).arg(&trace_file).arg(binary());
            c
        } else {
            Command::new(binary())
        };
        let out = cmd.args(&args).current_dir(&scratch.0).env(TAG_VAR, &tag).stdin(Stdio::null()).output().unwrap();
        assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(), "run {i} {args:?}: {out:?}");
        if trace_this {
            let calls = parse_trace(&fs::read_to_string(&trace_file).unwrap());
            let _ = fs::remove_file(&trace_file);
            assert!(unreaped(&calls).is_empty(), "run {i}: a child was not reaped: {calls:?}");
            traced += 1;
            children_reaped += calls.iter().filter(|c| c.name == "wait4" && c.ret.is_some_and(|r| r > 0)).count();
        }
    }
    let elapsed = started.elapsed();
    let leftovers = reap_leftovers(&tag, Duration::from_secs(3));
    let processes_after = all_pids().len();
    let zombies_after = ipc_static_zombies();
    let new_shm: Vec<_> = list("/dev/shm").into_iter().filter(|f| !shm_before.contains(f)).collect();
    let files_left = list(scratch.0.to_str().unwrap());
    eprintln!(
        "sequential: {count} runs of -B -q in {elapsed:?}, ours left running: {}; {traced} traced 2proc runs reaped \
         {children_reaped} children; ipc-static zombies on the machine {zombies_before} before, {zombies_after} after; \
         processes on the machine {processes_before} before, {processes_after} after (other work runs too)",
        leftovers.len()
    );
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    assert!(files_left.is_empty(), "files written to the working directory: {files_left:?}");
    assert!(new_shm.is_empty(), "new /dev/shm entries: {new_shm:?}");
}

// ---------------------------------------------------------------------------
// Security.

#[test]
fn tcp_listens_on_loopback_only_and_only_during_setup() {
    if !can_inject() {
        return;
    }
    for mode in MODES {
        let o = run_traced(true, &[], &["-e", "trace=socket,bind,listen,accept,accept4,close,clock_gettime,connect"], &small(mode, "tcp", &[]));
        assert_eq!(o.code, Some(0), "{}", o.show());
        let calls = parse_trace(&o.trace);
        let binds: Vec<&Call> = calls.iter().filter(|c| c.name == "bind").collect();
        assert_eq!(binds.len(), 1, "{mode}: {binds:?}");
        assert!(binds[0].args.contains("inet_addr(\"127.0.0.1\")"), "{mode}: bound to {}", binds[0].args);
        let listener = first_fd(&binds[0].args).unwrap();
        let listen = calls.iter().position(|c| c.name == "listen").expect("listen");
        let closed = calls
            .iter()
            .enumerate()
            .position(|(i, c)| i > listen && c.name == "close" && first_fd(&c.args) == Some(listener))
            .unwrap_or_else(|| panic!("{mode}: the listener fd {listener} is never closed: {}", o.trace));
        let first_stamp = calls.iter().position(|c| c.name == "clock_gettime").expect("a stamp");
        assert!(closed < first_stamp, "{mode}: the listener is still open when the loop starts");
        for connect in calls.iter().filter(|c| c.name == "connect") {
            assert!(connect.args.contains("inet_addr(\"127.0.0.1\")"), "{mode}: {connect:?}");
        }
    }
    // While the loop runs, the kernel's table shows the connection on
    // 127.0.0.1 and no listening socket on the port.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let tag = new_tag();
    let child = spawn_tagged(&["-B", "-q", "-b", "1", "-t", "4m", "-i", "tcp", "-p", &port.to_string(), "2thread"], &tag);
    thread::sleep(Duration::from_millis(200));
    let table = fs::read_to_string("/proc/net/tcp").unwrap() + &fs::read_to_string("/proc/net/tcp6").unwrap_or_default();
    let hex_port = format!(":{port:04X}");
    let ours: Vec<&str> = table.lines().filter(|l| l.split_whitespace().nth(1).is_some_and(|a| a.ends_with(&hex_port))).collect();
    let _ = wait_with_deadline(child, 60);
    assert!(!ours.is_empty(), "no socket on port {port} during the run:\n{table}");
    for line in &ours {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert!(fields[1].starts_with("0100007F:"), "not loopback: {line}");
        assert_ne!(fields[3], "0A", "still listening during the loop: {line}");
    }
    eprintln!("TCP: bound to 127.0.0.1 only, listener closed before the first stamp (3 traces); {} sockets on the port mid-run, none listening", ours.len());
}

#[test]
fn no_files_opened_and_no_environment_read() {
    let mut verbose_opens = 0;
    if can_inject() {
        let scratch = Scratch::new("files");
        for mode in MODES {
            for ipc in IPCS {
                for extra in [&["-v"][..], &["-q"][..]] {
                    let file = scratch.0.join("trace");
                    let mut cmd = Command::new("strace");
                    cmd.args(["-f", "-qq", "-o"]).arg(&file).args(["-e", "trace=%file,%desc"]).arg(binary());
                    cmd.args(["-B", "-b", "4096", "-t", "64k"]).args(extra).args(ipc_args(ipc)).arg(mode);
                    let out = cmd.current_dir(&scratch.0).output().unwrap();
                    assert!(out.status.success(), "{out:?}");
                    let calls = parse_trace(&fs::read_to_string(&file).unwrap());
                    // -v describes the host from /proc and /sys: read-only
                    // opens there are allowed, nothing else.
                    let verbose = extra.contains(&"-v");
                    let allowed = |c: &Call| {
                        verbose
                            && matches!(c.name.as_str(), "open" | "openat")
                            && (c.args.contains("\"/proc/") || c.args.contains("\"/sys/"))
                            && c.args.contains("O_RDONLY")
                            && !c.args.contains("O_CREAT")
                    };
                    verbose_opens += calls.iter().filter(|c| allowed(c)).count();
                    let opened: Vec<&Call> = calls
                        .iter()
                        .filter(|c| !allowed(c))
                        .filter(|c| {
                            matches!(
                                c.name.as_str(),
                                "open" | "openat" | "openat2" | "creat" | "mkdir" | "mkdirat" | "unlink" | "unlinkat"
                                    | "rename" | "renameat" | "renameat2" | "truncate" | "access" | "faccessat"
                                    | "faccessat2" | "stat" | "newfstatat" | "statx" | "readlink" | "readlinkat"
                            )
                        })
                        .collect();
                    assert!(opened.is_empty(), "{mode}/{ipc}: touches files: {opened:?}");
                    fs::remove_file(&file).unwrap();
                }
            }
        }
        // Error paths too.
        let file = scratch.0.join("trace");
        for args in [&["-x"][..], &[][..], &["-b", "300", "-t", "1000", "1thread"][..], &["-h"][..]] {
            let out = Command::new("strace").args(["-f", "-qq", "-o"]).arg(&file).args(["-e", "trace=%file"]).arg(binary()).args(args).current_dir(&scratch.0).output().unwrap();
            let calls = parse_trace(&fs::read_to_string(&file).unwrap());
            assert!(calls.iter().all(|c| c.name == "execve"), "{args:?}: {calls:?} {out:?}");
            fs::remove_file(&file).unwrap();
        }
        let left: Vec<_> = fs::read_dir(&scratch.0).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
        assert!(left.is_empty(), "files written: {left:?}");
    }
    // The environment changes nothing: getopt's POSIXLY_CORRECT, locale,
    // time zone, and variables named like the program.
    let hostile: [(&str, &str); 8] = [
        ("POSIXLY_CORRECT", "1"),
        ("LANG", "tr_TR.UTF-8"),
        ("LC_ALL", "de_DE.UTF-8"),
        ("TZ", "Pacific/Kiritimati"),
        ("IPC_STATIC", "-b 1"),
        ("IPC_STATIC_PORT", "1"),
        ("TMPDIR", "/nonexistent"),
        ("MALLOC_CHECK_", "3"),
    ];
    let cases: [&[&str]; 6] = [
        &["-x", "2thread"],
        &["-B", "-b", "300", "-t", "1000", "2thread"],
        &[],
        &["-h"],
        &["-B", "-v", "-b", "4096", "-t", "64k", "2thread"],
        &["-B", "-v", "-b", "4096", "-t", "64k", "-i", "tcp", "-p", "0", "2proc"],
    ];
    for args in cases {
        let clean = Command::new(binary()).args(args).env_clear().output().unwrap();
        let dirty = Command::new(binary()).args(args).envs(hostile).output().unwrap();
        assert_eq!(clean.status.code(), dirty.status.code(), "{args:?}");
        assert_eq!(clean.stderr, dirty.stderr, "{args:?}");
        // The configuration the run used (the host description and the
        // timings may differ from run to run).
        let strip_numbers = |s: &[u8]| {
            String::from_utf8_lossy(s)
                .lines()
                .filter(|l| ["buffersize:", "totalsize:", "blockcount:", "mode:", "ipctype:", "usage:"].iter().any(|k| l.contains(k)))
                .map(str::to_owned)
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(strip_numbers(&clean.stdout), strip_numbers(&dirty.stdout), "{args:?}");
    }
    eprintln!(
        "security: no file calls in 9 traced -q runs and 4 error paths; 9 -v runs open only /proc and /sys read-only \
         ({verbose_opens} opens); 6 commands behave the same with an empty and a hostile environment"
    );
}

// ---------------------------------------------------------------------------
// Shared memory (-i shmem): no descriptor for the kernel to close when a
// side fails or dies, so its own ways of stopping are tested here: every
// call it makes failing, a dead child, a dead parent, a stopped run, load.

/// A shmem run of 256 blocks of 4 KiB: enough hand-offs that some side
/// always has to wait (and so makes futex calls) under strace.
fn shmem_args(mode: &str, more: &[&str]) -> Vec<String> {
    let mut args = strings(&["-B", "-b", "4096", "-t", "1m", "-i", "shmem"]);
    args.extend(strings(more));
    args.push(mode.to_string());
    args
}

const SHMEM_TOTAL: u64 = 1 << 20;

fn shmem_fault_matrix() -> Vec<Fault> {
    let mut faults = Vec::new();
    for mode in MODES {
        let at = |what: &str| format!("{mode}/shmem: {what}");
        let args = shmem_args(mode, &[]);
        // The buffers' mapping, then the slot's (then 2proc's stamp page).
        faults.push(fault(at("slot mmap ENOMEM"), true, &["mmap:error=ENOMEM:when=2"], args.clone(), 71, &["mmap: "]));
        faults.push(fault(at("getrusage EFAULT (-g)"), true, &["getrusage:error=EFAULT"], shmem_args(mode, &["-g"]), 71, &["getrusage: "]));
        // The sender fails before its first block: the receiver must not
        // wait for it (with -f, the first clock_gettime of every thread).
        faults.push(fault(at("start clock_gettime EINVAL"), true, &["clock_gettime:error=EINVAL:when=1"], args.clone(), 71, &["clock_gettime: "]));
        let one_block = shmem_args(mode, &[]).into_iter().map(|a| if a == "1m" { "4096".into() } else { a }).collect();
        // No write in the loop: the result is the first.
        faults.push(fault(at("write to stdout EIO"), false, &["write:error=EIO:when=1"], one_block, 74, &["write to standard output: "]));
        if mode == "1thread" {
            continue;
        }
        if mode == "2proc" {
            faults.push(fault(at("stamp page mmap ENOMEM"), true, &["mmap:error=ENOMEM:when=3"], args.clone(), 71, &["mmap: "]));
            faults.push(fault(at("clone (fork) EAGAIN"), true, &["clone,clone3,fork,vfork:error=EAGAIN"], args.clone(), 71, &["fork: "]));
            faults.push(fault(at("wait4 ECHILD"), false, &["wait4:error=ECHILD"], args.clone(), 71, &["waitpid: "]));
            // Without -B the child sleeps a second first: the parent's wait
            // times out, and it asks waitid whether the child is still there.
            let slow = strings(&["-b", "4096", "-t", "64k", "-i", "shmem", "2proc"]);
            let mut f = fault(at("waitid EIO (no -B)"), false, &["waitid:error=EIO"], slow, 74, &["waitid: "]);
            f.expect.progress_of = Some(65536);
            faults.push(f);
        } else {
            faults.push(fault(at("clone EAGAIN"), true, &["clone,clone3:error=EAGAIN"], args.clone(), 71, &["clone: "]));
        }
        // The hand-off: both sides' futex calls (-f), or the receiver's only.
        for (what, follow, spec) in [
            ("futex EINVAL, the 3rd of each side", true, "futex:error=EINVAL:when=3"),
            ("futex ENOSYS, the 1st of each side", true, "futex:error=ENOSYS:when=1"),
            ("futex ENOMEM, every one", true, "futex:error=ENOMEM"),
            ("futex EINVAL, the receiver's 2nd", false, "futex:error=EINVAL:when=2"),
        ] {
            let mut f = fault(at(what), follow, &[spec], args.clone(), 74, &["futex: "]);
            f.expect.progress_of = Some(SHMEM_TOTAL);
            faults.push(f);
        }
    }
    faults
}

#[test]
fn shmem_calls_can_fail_cleanly() {
    if !can_inject() {
        return;
    }
    let faults = shmem_fault_matrix();
    let mut failures = Vec::new();
    for f in &faults {
        let (o, problems) = check_fault(f);
        if !problems.is_empty() {
            failures.push(format!("{}: {}\n{}", f.label, problems.join("; "), o.show()));
        }
    }
    // With -j too: one document, its error naming the futex call.
    for mode in ["2thread", "2proc"] {
        let o = run_traced(true, &strings(&["futex:error=EINVAL:when=3"]), &[], &shmem_args(mode, &["-j"]));
        let doc: serde_json::Value = serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{mode}: {e}: {}", o.show()));
        let error = &doc["error"];
        if o.code != Some(74) || error["operation"] != "futex" || error["errno"] != 22 || error["bytes_total"] != SHMEM_TOTAL {
            failures.push(format!("{mode}/shmem -j, futex EINVAL: {error}\n{}", o.show()));
        }
    }
    eprintln!("shmem faults: {} tried, {} failed", faults.len() + 2, failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn shmem_dead_peers_end_the_run() {
    const TOTAL: u64 = 64 << 20;
    // The child killed: the parent's bounded wait finds it gone.
    let tag = new_tag();
    let parent = spawn_tagged(&["-B", "-b", "1", "-t", "64m", "-i", "shmem", "2proc"], &tag);
    let child = child_of(parent.id());
    thread::sleep(Duration::from_millis(300));
    kill("KILL", child);
    let out = wait_with_deadline(parent, 20);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(74), "{out:?}");
    assert!(out.stdout.is_empty(), "a figure after the child died: {out:?}");
    let prefix = "ipc-static: sender process: killed by signal 9 after ";
    let line = stderr.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("{stderr:?}"));
    let moved: u64 = line[prefix.len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(moved > 0 && moved < TOTAL && line.ends_with(&format!(" of {TOTAL} bytes")), "{line}");
    assert!(reap_leftovers(&tag, Duration::from_secs(3)).is_empty(), "processes left behind");
    eprintln!("2proc/shmem: child SIGKILLed after {moved} bytes: exit 74");

    // The parent killed: the child finds it is no longer its parent.
    let tag = new_tag();
    let parent = spawn_tagged(&["-B", "-b", "1", "-t", "64m", "-i", "shmem", "2proc"], &tag);
    let parent_pid = parent.id();
    let child = child_of(parent_pid);
    thread::sleep(Duration::from_millis(300));
    kill("KILL", parent_pid);
    let out = wait_with_deadline(parent, 10);
    assert_eq!(out.status.signal(), Some(9), "{out:?}");
    let started = Instant::now();
    let mut running = true;
    while running && started.elapsed() < Duration::from_secs(3) {
        running = matches!(proc_stat(child), Some(p) if p.state != 'Z' && p.state != 'X');
        thread::sleep(Duration::from_millis(5));
    }
    assert!(!running, "the child {child} still runs 3 s after its parent died");
    assert!(reap_leftovers(&tag, Duration::from_secs(1)).is_empty(), "processes left behind");
    assert!(out.stderr.is_empty(), "the child ends quietly, as a pipe's dies of SIGPIPE: {out:?}");
    eprintln!("2proc/shmem: parent SIGKILLed: child gone after {:?}", started.elapsed());
}

/// -l over shmem: two channels, each side waiting on both in turn. A
/// failing futex call (every one from each thread's third on: the first
/// ones may be the readiness flag's, whose failure only costs a wait) ends
/// the run with the call named; a killed echoer is reported; the echoer of
/// a killed parent goes, quietly.
#[test]
fn shmem_round_trips_end_cleanly_on_faults_and_dead_peers() {
    const TOTAL: u64 = 64 << 20;
    if can_inject() {
        for mode in ["2thread", "2proc"] {
            let args = shmem_args(mode, &["-l"]);
            let o = run_traced(true, &strings(&["futex:error=EINVAL:when=3+"]), &[], &args);
            let expect = Expect { code: 74, names: vec!["futex: Invalid argument".into()], progress_of: Some(SHMEM_TOTAL) };
            assert_no_problems(&format!("{mode}/shmem -l, futex EINVAL"), &o, failure_problems(&o, &expect));
        }
    }
    // The echoing child killed: the parent's bounded wait finds it gone.
    let tag = new_tag();
    let parent = spawn_tagged(&["-B", "-l", "-b", "1", "-t", "64m", "-i", "shmem", "2proc"], &tag);
    let child = child_of(parent.id());
    thread::sleep(Duration::from_millis(300));
    kill("KILL", child);
    let out = wait_with_deadline(parent, 20);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(74), "{out:?}");
    assert!(out.stdout.is_empty(), "a figure after the echoer died: {out:?}");
    let prefix = "ipc-static: sender process: killed by signal 9 after ";
    let line = stderr.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("{stderr:?}"));
    let moved: u64 = line[prefix.len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(moved > 0 && moved < TOTAL && line.ends_with(&format!(" of {TOTAL} bytes")), "{line}");
    assert!(reap_leftovers(&tag, Duration::from_secs(3)).is_empty(), "processes left behind");
    eprintln!("2proc/shmem -l: echoer SIGKILLed after {moved} round trips: exit 74");

    // The parent killed: its echoer finds it is no longer its parent.
    let tag = new_tag();
    let parent = spawn_tagged(&["-B", "-l", "-b", "1", "-t", "64m", "-i", "shmem", "2proc"], &tag);
    let parent_pid = parent.id();
    let child = child_of(parent_pid);
    thread::sleep(Duration::from_millis(300));
    kill("KILL", parent_pid);
    let out = wait_with_deadline(parent, 10);
    assert_eq!(out.status.signal(), Some(9), "{out:?}");
    let started = Instant::now();
    let mut running = true;
    while running && started.elapsed() < Duration::from_secs(3) {
        running = matches!(proc_stat(child), Some(p) if p.state != 'Z' && p.state != 'X');
        thread::sleep(Duration::from_millis(5));
    }
    assert!(!running, "the echoer {child} still runs 3 s after its parent died");
    assert!(reap_leftovers(&tag, Duration::from_secs(1)).is_empty(), "processes left behind");
    assert!(out.stderr.is_empty(), "the echoer ends quietly: {out:?}");
    eprintln!("2proc/shmem -l: parent SIGKILLed: echoer gone after {:?}", started.elapsed());
}

#[test]
fn shmem_runs_complete_when_stopped_under_load_and_in_a_row() {
    const TOTAL: u64 = 2 << 20;
    for mode in MODES {
        // SIGSTOP/SIGCONT mid-run: the stopped side's peer waits, looks,
        // and waits again.
        let tag = new_tag();
        let child = spawn_tagged(&["-B", "-v", "-b", "64", "-t", "2m", "-i", "shmem", mode], &tag);
        let pid = child.id();
        let mut pids = vec![pid];
        if mode == "2proc" {
            pids.push(child_of(pid));
        }
        thread::sleep(Duration::from_millis(20));
        let _ = Command::new("kill").arg("-STOP").args(pids.iter().map(|p| p.to_string())).status();
        thread::sleep(Duration::from_millis(250));
        let _ = Command::new("kill").arg("-CONT").args(pids.iter().map(|p| p.to_string())).status();
        let out = wait_with_deadline(child, 30);
        let o = Outcome {
            what: format!("{mode}/shmem SIGSTOP/SIGCONT"),
            code: out.status.code(),
            signal: out.status.signal(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            leftovers: reap_leftovers(&tag, Duration::from_secs(3)),
            trace: String::new(),
            followed: false,
        };
        assert_no_problems(&o.what.clone(), &o, success_problems(&o, TOTAL));
        // Eight at once, then sizes at the edges one after another.
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let args = shmem_args(mode, &["-v"]);
                thread::spawn(move || run(&args))
            })
            .collect();
        for handle in handles {
            let o = handle.join().unwrap();
            assert_no_problems(&format!("concurrent {}", o.what), &o, success_problems(&o, SHMEM_TOTAL));
        }
        for (buffer, total) in [("1", "4096"), ("4095", "40950"), ("8m", "16m")] {
            let args = strings(&["-B", "-v", "-F", "-b", buffer, "-t", total, "-i", "shmem", mode]);
            let o = run(&args);
            let total = o.stdout.split("totalsize: ").nth(1).and_then(|t| t.lines().next()?.parse().ok()).unwrap_or(0);
            assert_no_problems(&format!("shmem {}", args.join(" ")), &o, success_problems(&o, total));
        }
    }
}

// ---------------------------------------------------------------------------
// The argument parser: random argument vectors against a reference model.

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SIZE_VALUES: &[&[u8]] = &[
    b"1", b"2", b"3", b"7", b"8", b"16", b"64", b"100", b"512", b"1024", b"4096", b"4k", b"1K", b"64k", b"1m", b"1M",
    b"0", b"00", b"0k", b"-1", b"-4096", b"+5", b" 5", b"5 ", b"0x10", b"1e3", b"1.5", b"k", b"", b"kk", b"4kb",
    b"18446744073709551615", b"18446744073709551616", b"99999999999999999999999999", b"9223372036854775808",
    b"9223372036854775807", b"4611686018427387904", b"18014398509481984k", b"17179869184g", b"16777216k",
    b"\xff", b"4\xff", b"\xd9\xa3", b"\xef\xbc\x91", b"\xc3\xa9", b"4096\n", b"\t", b"'4096'", b"$HOME", b"-",
];
const IPC_VALUES: &[&[u8]] =
    &[b"pipe", b"local", b"tcp", b"shmem", b"PIPE", b"shm", b"shmem ", b"", b"pipe ", b"tc", b"tcpp", b"\xff", b"-B", b"--"];
const PORT_VALUES: &[&[u8]] = &[
    b"0", b"1", b"80", b"10141", b"65535", b"65536", b"-1", b"+1", b"99999999999999999999", b"http", b"", b"0x50",
    b"\xff", b"1k",
];
const MODE_WORDS: &[&[u8]] = &[
    b"1thread", b"2thread", b"2proc", b"3thread", b"2THREAD", b"2proc\xff", b"1thread ", b"", b"-", b"thread",
    b"2pro", b"\xe2\x80\x8b2proc", b"2proc2proc",
];
/// Letters no version of the tool gives a meaning (see REFERENCE.md's list).
const UNKNOWN_LETTERS: &[u8] = b"xzZYQ?%~!@\xff\xc3\x80 ";

#[derive(Debug, Clone, Copy, PartialEq)]
struct ModelConfig {
    mode: u8,
    tcp: bool,
    pipe: bool,
    shmem: bool,
    buffer: u64,
    total: u64,
    port: u64,
    bare: bool,
    quiet: bool,
    size_kernel: bool,
    verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Model {
    /// No arguments: the usage on stderr, exit 64, no message line.
    Usage,
    Help,
    Invalid,
    Valid(ModelConfig),
}

fn model_size(text: &[u8]) -> Option<u64> {
    let (digits, multiplier) = match text.last() {
        Some(b'k' | b'K') => (&text[..text.len() - 1], 1u64 << 10),
        Some(b'm' | b'M') => (&text[..text.len() - 1], 1 << 20),
        Some(b'g' | b'G') => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    let value = model_decimal(digits)?.checked_mul(multiplier)?;
    (value > 0).then_some(value)
}

fn model_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// What the command line means, by getopt's rules as the usage states them.
fn model(args: &[Vec<u8>]) -> Model {
    if args.is_empty() {
        return Model::Usage;
    }
    let mut c = ModelConfig {
        mode: 0,
        tcp: false,
        pipe: true,
        shmem: false,
        buffer: 131072,
        total: 16777216,
        port: 10141,
        bare: false,
        quiet: false,
        size_kernel: false,
        verbose: false,
    };
    let mut i = 0;
    let mut operand: Option<&[u8]> = None;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == b"--help" {
            return Model::Help;
        }
        if arg == b"--" {
            operand = args.get(i).map(|a| a.as_slice());
            i += 1;
            break;
        }
        if arg.len() < 2 || arg[0] != b'-' {
            operand = Some(arg);
            break;
        }
        let mut at = 1;
        while at < arg.len() {
            let letter = arg[at];
            at += 1;
            match letter {
                b'B' => c.bare = true,
                b'q' => c.quiet = true,
                b's' => c.size_kernel = true,
                b'v' => c.verbose = true,
                b'F' => {}
                b'h' => return Model::Help,
                b'b' | b'i' | b'p' | b't' => {
                    let value: &[u8] = if at < arg.len() {
                        &arg[at..]
                    } else if i < args.len() {
                        i += 1;
                        &args[i - 1]
                    } else {
                        return Model::Invalid;
                    };
                    at = arg.len();
                    match letter {
                        b'b' => match model_size(value) {
                            Some(v) => c.buffer = v,
                            None => return Model::Invalid,
                        },
                        b't' => match model_size(value) {
                            Some(v) => c.total = v,
                            None => return Model::Invalid,
                        },
                        b'p' => match model_decimal(value) {
                            Some(v) if v <= 65535 => c.port = v,
                            _ => return Model::Invalid,
                        },
                        _ => match value {
                            b"pipe" => (c.pipe, c.tcp, c.shmem) = (true, false, false),
                            b"local" => (c.pipe, c.tcp, c.shmem) = (false, false, false),
                            b"tcp" => (c.pipe, c.tcp, c.shmem) = (false, true, false),
                            b"shmem" => (c.pipe, c.tcp, c.shmem) = (false, false, true),
                            _ => return Model::Invalid,
                        },
                    }
                }
                _ => return Model::Invalid,
            }
        }
    }
    c.mode = match operand {
        Some(b"1thread") => 1,
        Some(b"2thread") => 2,
        Some(b"2proc") => 3,
        _ => return Model::Invalid,
    };
    if i < args.len() {
        return Model::Invalid;
    }
    if !c.total.is_multiple_of(c.buffer) || c.buffer.checked_mul(2).is_none_or(|b| b > usize::MAX as u64) {
        return Model::Invalid;
    }
    // Shared memory has no kernel buffer for -s to size.
    if c.size_kernel && c.shmem {
        return Model::Invalid;
    }
    Model::Valid(c)
}

fn size_token(rng: &mut Rng) -> Vec<u8> {
    rng.pick(SIZE_VALUES).to_vec()
}

/// One option with its value, in one of getopt's spellings.
fn option_tokens(rng: &mut Rng, letter: u8, value: Vec<u8>) -> Vec<Vec<u8>> {
    let flags: &[&[u8]] = &[b"", b"B", b"q", b"Bq", b"v", b"s", b"Bqv"];
    let prefix = rng.pick(flags);
    let mut head = vec![b'-'];
    head.extend_from_slice(prefix);
    head.push(letter);
    if rng.chance(40) && !value.is_empty() {
        head.extend(value);
        vec![head]
    } else {
        vec![head, value]
    }
}

fn random_token(rng: &mut Rng) -> Vec<Vec<u8>> {
    match rng.below(14) {
        0 => vec![rng.pick(&[&b"-B"[..], b"-q", b"-s", b"-v", b"-Bq", b"-qB", b"-Bqsv", b"-vvv", b"-BBBB", b"-F", b"-BFq"]).to_vec()],
        1 => {
            let mut t = b"-".to_vec();
            if rng.chance(50) {
                let letters: &[u8] = rng.pick::<&[u8]>(&[b"B", b"q", b"Bq"]);
                t.extend_from_slice(letters);
            }
            t.push(*rng.pick(UNKNOWN_LETTERS));
            vec![t]
        }
        2 => vec![rng.pick(&[&b"--"[..], b"-", b"---", b"", b" ", b"-- ", b"--B"]).to_vec()],
        3 => vec![rng.pick(MODE_WORDS).to_vec()],
        4 | 5 => {
            let v = size_token(rng);
            option_tokens(rng, b'b', v)
        }
        6 | 7 => {
            let v = size_token(rng);
            option_tokens(rng, b't', v)
        }
        8 => {
            let v = rng.pick(IPC_VALUES).to_vec();
            option_tokens(rng, b'i', v)
        }
        9 => {
            let v = rng.pick(PORT_VALUES).to_vec();
            option_tokens(rng, b'p', v)
        }
        10 => vec![rng.pick(&[&b"-b"[..], b"-t", b"-i", b"-p", b"-Bb", b"-qt"]).to_vec()],
        // Random bytes, never NUL; never a leading '-' (it could spell an
        // option this model does not know, such as a later version's).
        11 => vec![(0..1 + rng.below(6)).map(|k| if k == 0 { 1 + rng.below(44) as u8 } else { 1 + rng.below(255) as u8 }).collect()],
        12 if rng.chance(3) => vec![rng.pick(&[&b"-h"[..], b"--help", b"--helpx", b"--hel"]).to_vec()],
        _ => vec![rng.pick(&[&b"1thread"[..], b"2thread", b"2proc"]).to_vec()],
    }
}

/// A command line that is often valid and cheap, then perhaps mutated.
fn plausible(rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut args: Vec<Vec<u8>> = Vec::new();
    args.push(rng.pick(&[&b"-Bq"[..], b"-B", b"-qB", b"-Bv", b"-Bs"]).to_vec());
    if rng.chance(50) {
        args.push(b"-q".to_vec());
    }
    let buffers: &[u64] = &[1, 2, 4, 8, 64, 512, 1024, 4096];
    let buffer = *rng.pick(buffers);
    let total = buffer * (1 + rng.below(32) as u64);
    let render = |n: u64, rng: &mut Rng| -> Vec<u8> {
        if n.is_multiple_of(1024) && rng.chance(50) {
            format!("{}k", n / 1024).into_bytes()
        } else {
            n.to_string().into_bytes()
        }
    };
    let b = render(buffer, rng);
    let t = render(total, rng);
    let mut pairs = vec![option_tokens(rng, b'b', b), option_tokens(rng, b't', t)];
    if rng.chance(40) {
        let ipc = rng.pick(&[&b"pipe"[..], b"local", b"tcp", b"shmem"]).to_vec();
        let tcp = ipc == b"tcp";
        pairs.push(option_tokens(rng, b'i', ipc));
        if tcp {
            pairs.push(option_tokens(rng, b'p', b"0".to_vec()));
        }
    }
    if rng.chance(50) {
        pairs.reverse();
    }
    for p in pairs {
        args.extend(p);
    }
    if rng.chance(20) {
        args.push(b"--".to_vec());
    }
    args.push(rng.pick(&[&b"1thread"[..], b"2thread", b"2proc"]).to_vec());
    // Mutations: insert, replace, duplicate or drop a token.
    for _ in 0..rng.below(3) {
        match rng.below(4) {
            0 => {
                let at = rng.below(args.len() + 1);
                for (k, t) in random_token(rng).into_iter().enumerate() {
                    args.insert(at + k, t);
                }
            }
            1 if !args.is_empty() => {
                let at = rng.below(args.len());
                args[at] = random_token(rng).remove(0);
            }
            2 if !args.is_empty() => {
                let at = rng.below(args.len());
                let t = args[at].clone();
                args.insert(at, t);
            }
            3 if !args.is_empty() => {
                let at = rng.below(args.len());
                args.remove(at);
            }
            _ => {}
        }
    }
    args
}

fn random_argv(rng: &mut Rng) -> Vec<Vec<u8>> {
    if rng.chance(55) {
        return plausible(rng);
    }
    let mut args = Vec::new();
    for _ in 0..rng.below(7) + usize::from(rng.chance(90)) {
        args.extend(random_token(rng));
    }
    args
}

fn show_argv(args: &[Vec<u8>]) -> String {
    args.iter().map(|a| format!("{:?}", String::from_utf8_lossy(a))).collect::<Vec<_>>().join(" ")
}

/// A valid configuration this test may run directly: bare, tiny, no fixed
/// TCP port (which may be taken), a pipe size the kernel allows.
fn cheap(c: &ModelConfig, pipe_max: u64) -> bool {
    c.bare && c.total <= 256 * 1024 && c.total / c.buffer <= 4096 && c.buffer <= 1 << 20 && !(c.tcp && c.port != 0)
        && !(c.size_kernel && c.pipe && c.buffer > pipe_max)
}

#[test]
fn parser_property_random_argument_vectors() {
    let cases = env_number("PARSER_CASES", if full() { 50000 } else { 5000 });
    let seed = env_number("PARSER_SEED", 0x1ce_5eed_u64 ^ u64::from(std::process::id()));
    let mut rng = Rng(seed.max(1));
    let usage = Command::new(binary()).arg("-h").output().unwrap();
    assert_eq!(usage.status.code(), Some(0));
    let usage = usage.stdout;
    assert!(usage.starts_with(b"usage: "), "-h prints the usage");
    let inject = can_inject();
    let pipe_max: u64 = fs::read_to_string("/proc/sys/fs/pipe-max-size").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(1 << 20);
    let (mut invalid, mut ran_valid, mut traced_valid, mut skipped_valid, mut help, mut empty) = (0, 0, 0, 0, 0, 0);
    let started = Instant::now();
    let mut failures = Vec::new();
    // PARSER_SECONDS bounds the time (scripts/fuzz.sh's fallback).
    let budget = std::env::var("PARSER_SECONDS").ok().and_then(|v| v.parse().ok()).map(Duration::from_secs);
    let mut run_cases = 0;
    for case in 0..cases {
        if budget.is_some_and(|b| started.elapsed() > b) {
            break;
        }
        run_cases += 1;
        let args = random_argv(&mut rng);
        let expected = model(&args);
        let os_args: Vec<&OsStr> = args.iter().map(|a| OsStr::from_bytes(a)).collect();
        let plain = || Command::new(binary()).args(&os_args).stdin(Stdio::null()).output().unwrap();
        let mut problems = Vec::new();
        let out;
        match expected {
            Model::Usage | Model::Help | Model::Invalid => {
                out = plain();
                match expected {
                    Model::Usage => {
                        empty += 1;
                        if out.status.code() != Some(64) || out.stderr != usage || !out.stdout.is_empty() {
                            problems.push("no arguments: expected the usage alone on stderr, exit 64".to_string());
                        }
                    }
                    Model::Help => {
                        help += 1;
                        if out.status.code() != Some(0) || out.stdout != usage || !out.stderr.is_empty() {
                            problems.push("-h: expected the usage on stdout, exit 0".to_string());
                        }
                    }
                    _ => {
                        invalid += 1;
                        if out.status.code() != Some(64) {
                            problems.push(format!("expected exit 64, got {:?} (signal {:?})", out.status.code(), out.status.signal()));
                        }
                        if !out.stdout.is_empty() {
                            problems.push("stdout not empty".to_string());
                        }
                        let newline = out.stderr.iter().position(|&b| b == b'\n').unwrap_or(out.stderr.len());
                        let (line, rest) = out.stderr.split_at(newline);
                        if !line.starts_with(b"ipc-static: ") || line.len() <= 12 {
                            problems.push("the first stderr line is not `ipc-static: <message>`".to_string());
                        }
                        if !line.iter().all(|&b| (0x20..0x7f).contains(&b)) {
                            problems.push("the message line is not printable ASCII".to_string());
                        }
                        if rest.get(1..) != Some(&usage[..]) {
                            problems.push("the message is not followed by exactly the usage".to_string());
                        }
                    }
                }
            }
            Model::Valid(c) if cheap(&c, pipe_max) => {
                ran_valid += 1;
                out = plain();
                if out.status.code() != Some(0) {
                    problems.push(format!("valid: expected exit 0, got {:?} (signal {:?})", out.status.code(), out.status.signal()));
                }
                if !out.stderr.is_empty() {
                    problems.push("valid: stderr not empty".to_string());
                }
                let stdout = String::from_utf8_lossy(&out.stdout);
                if c.quiet {
                    if !stdout.is_empty() {
                        problems.push("-q: stdout not empty".to_string());
                    }
                } else {
                    if !stdout.lines().last().is_some_and(is_bandwidth_line) {
                        problems.push("valid: no bandwidth line".to_string());
                    }
                    if c.verbose
                        && !(stdout.contains(&format!("buffersize: {}\n", c.buffer))
                            && stdout.contains(&format!("totalsize: {}\n", c.total)))
                    {
                        problems.push(format!("-v: sizes are not {} and {}", c.buffer, c.total));
                    }
                }
            }
            Model::Valid(_) if inject => {
                // Valid but slow or environment-dependent (sleeps, big
                // totals, a fixed port): the parser accepted it if the run
                // gets as far as mapping its buffers, which is made to fail.
                traced_valid += 1;
                out = Command::new("strace")
                    .args(["-qq", "-o", "/dev/null", "-e", "inject=mmap:error=ENOMEM:when=1"])
                    .arg(binary())
                    .args(&os_args)
                    .stdin(Stdio::null())
                    .output()
                    .unwrap();
                if out.status.code() != Some(71) || !String::from_utf8_lossy(&out.stderr).starts_with("ipc-static: mmap: ") {
                    problems.push("valid: expected the run to start (its mmap failed: exit 71)".to_string());
                }
                if !out.stdout.is_empty() {
                    problems.push("stdout not empty".to_string());
                }
            }
            Model::Valid(_) => {
                skipped_valid += 1;
                continue;
            }
        }
        if out.status.code() == Some(70) || String::from_utf8_lossy(&out.stderr).contains("internal error") {
            problems.push("PANIC (exit 70)".to_string());
        }
        if !problems.is_empty() && failures.len() < 20 {
            failures.push(format!(
                "case {case}: argv [{}] model {expected:?}: {}\n  exit {:?} signal {:?}\n  stdout {:?}\n  stderr {:?}",
                show_argv(&args),
                problems.join("; "),
                out.status.code(),
                out.status.signal(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("")
            ));
        }
    }
    eprintln!(
        "parser property: {run_cases} random argument vectors (seed {seed}, PARSER_SEED to replay) in {:?}: \
         {invalid} invalid (exit 64, one line + usage), {ran_valid} valid and run (exit 0), {traced_valid} valid \
         and started under strace, {skipped_valid} valid not run (no strace), {help} -h, {empty} empty",
        started.elapsed()
    );
    assert!(failures.is_empty(), "seed {seed}:\n{}", failures.join("\n"));
    assert!(invalid > 0 && ran_valid > 0, "the generator must produce both valid and invalid cases");
}

/// The model itself, on the cases the parser's unit tests pin down.
#[test]
fn parser_model_agrees_with_the_documented_cases() {
    let v = |args: &[&str]| model(&args.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>());
    assert!(matches!(v(&["-Bqv", "-b4096", "-ilocal", "-t", "8192", "-p10200", "1thread"]), Model::Valid(_)));
    assert!(matches!(v(&["-Bb", "1024", "-sitcp", "2proc"]), Model::Valid(c) if c.buffer == 1024 && c.tcp && c.size_kernel));
    assert!(matches!(v(&["-B", "--", "2proc"]), Model::Valid(_)));
    assert_eq!(v(&["--", "-B"]), Model::Invalid);
    assert_eq!(v(&["-B", "--"]), Model::Invalid);
    assert_eq!(v(&["2thread", "-b"]), Model::Invalid);
    assert_eq!(v(&["-b", "300", "-t", "1000", "2thread"]), Model::Invalid);
    assert_eq!(v(&["-b", "0", "2thread"]), Model::Invalid);
    assert_eq!(v(&["-t", "18014398509481984k", "2thread"]), Model::Invalid);
    assert!(matches!(v(&["-b", "1", "-t", "18446744073709551615", "1thread"]), Model::Valid(_)));
    assert_eq!(v(&["-b", "18446744073709551615", "-t", "18446744073709551615", "1thread"]), Model::Invalid);
    assert!(matches!(v(&["-p", "0", "-i", "tcp", "2thread"]), Model::Valid(c) if c.port == 0));
    assert!(matches!(v(&["-i", "shmem", "1thread"]), Model::Valid(c) if c.shmem && !c.pipe));
    assert_eq!(v(&["-s", "-i", "shmem", "2thread"]), Model::Invalid);
    assert_eq!(v(&["-p", "65536", "2thread"]), Model::Invalid);
    assert_eq!(v(&["-x", "-h"]), Model::Invalid);
    assert_eq!(v(&["-B", "-h", "-x"]), Model::Help);
    assert_eq!(v(&[]), Model::Usage);
}
