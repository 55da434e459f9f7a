//! The experiment scripts end to end: scripts/sweep.sh, scripts/plot.sh,
//! scripts/probe-effect.sh and scripts/bench.sh (`make bench QUICK=1`), run
//! against the very ./ipc-static that `make` builds. Every run is tiny, so
//! each test takes seconds. Output directories have a space and a `$(...)` in
//! their names: the scripts must quote every expansion and never evaluate one.

use ipc_static_tests::{binary, dynamic_binary, have, is_root, root};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A fresh directory under the system's temporary directory, whose name holds
/// a space and a command substitution; removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ipc-exp {} {name} $(touch pwned)", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    /// A path inside the scratch directory (not created).
    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Nothing may have evaluated the `$(touch pwned)` in the name.
        let stray = [self.0.join("pwned"), std::env::temp_dir().join("pwned"), PathBuf::from("pwned")];
        for p in &stray {
            assert!(!p.exists(), "a script evaluated a directory name: {} exists", p.display());
        }
        let _ = fs::remove_dir_all(&self.0);
    }
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs scripts/NAME with ARGS and extra environment, under a watchdog.
fn script(name: &str, args: &[&str], env: &[(&str, &Path)]) -> Out {
    let mut cmd = Command::new("timeout");
    cmd.arg("300").arg(root().join("scripts").join(name)).args(args);
    cmd.env("IPC_STATIC", binary());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run script");
    let o = Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    eprintln!("--- scripts/{name} {args:?}: exit {:?}\n{}{}", o.code, o.stdout, o.stderr);
    o
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes an executable bash script.
fn write_script(path: &Path, body: &str) {
    fs::write(path, format!("#!/bin/bash\n{body}")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn csv_rows(path: &Path) -> (String, Vec<Vec<String>>) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("").to_string();
    let rows = lines.filter(|l| !l.is_empty()).map(|l| l.split(',').map(str::to_string).collect()).collect();
    (header, rows)
}

const HEADER: &str =
    "ipc,sflag,mode,buffersize,totalsize,trial,bandwidth_kbps,time_s,affinity,prefault,load1,runnable,status,error";

/// A tool the test needs: present, or missing — which CI must never be.
fn need(tool: &str) -> bool {
    if have(tool) {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "{tool} is missing in CI (make test installs it)");
    eprintln!("SKIPPED: {tool} is not installed");
    false
}

fn tiny_sweep(dir: &Path) -> Out {
    script("sweep.sh", &["-o", s(dir), "-n", "2", "-B", "-b", "4k,64k", "-t", "256k", "-i", "pipe,local"], &[])
}

#[test]
fn a_tiny_sweep_writes_the_csv_and_raw_outputs_then_resumes() {
    let scratch = Scratch::new("sweep");
    let dir = scratch.join("out dir");
    let out = tiny_sweep(&dir);
    assert_eq!(out.code, Some(0));
    let (header, rows) = csv_rows(&dir.join("results.csv"));
    assert_eq!(header, HEADER);
    assert_eq!(rows.len(), 8, "2 configs x 2 sizes x 2 trials");
    for r in &rows {
        assert_eq!(r.len(), 14, "{r:?}");
        assert!(r[0] == "pipe" || r[0] == "local", "{r:?}");
        assert_eq!(r[1], "0");
        assert_eq!(r[2], "2thread");
        assert!(r[3] == "4096" || r[3] == "65536", "{r:?}");
        assert_eq!(r[4], "262144");
        let bw: f64 = r[6].parse().unwrap();
        let t: f64 = r[7].parse().unwrap();
        assert!(bw > 0.0 && t > 0.0, "{r:?}");
        assert!(r[8] == "unpinned" || r[8].starts_with("inherited:"), "placement recorded: {r:?}");
        assert_eq!(r[9], "0", "not pre-faulted");
        if Path::new("/proc/loadavg").exists() {
            assert!(r[10].parse::<f64>().is_ok_and(|l| l >= 0.0), "the load average before the run: {r:?}");
            assert!(r[11].parse::<u32>().is_ok(), "other tasks runnable: {r:?}");
        }
        assert_eq!(r[12], "ok");
    }
    // Every combination and trial exactly once.
    let mut keys: Vec<String> = rows.iter().map(|r| r[..6].join(",")).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 8);
    let raw = fs::read_dir(dir.join("raw")).unwrap().count();
    assert_eq!(raw, 8, "one raw output per run");
    assert!(out.stderr.contains("[1/8] pipe 2thread b=4096 trial 1/2: "), "progress lines");
    assert!(out.stderr.contains(" KBytes/sec"));
    assert!(out.stderr.contains(" left)"), "an estimate of the time left");

    // Rerunning skips every finished row.
    let again = tiny_sweep(&dir);
    assert_eq!(again.code, Some(0));
    assert!(again.stderr.contains("8 already in") && again.stderr.contains("0 to do"), "{}", again.stderr);
    assert_eq!(csv_rows(&dir.join("results.csv")).1.len(), 8);

    // An interrupted sweep (here: its last row lost) redoes only what is missing.
    let text = fs::read_to_string(dir.join("results.csv")).unwrap();
    let kept: Vec<&str> = text.lines().collect();
    fs::write(dir.join("results.csv"), kept[..kept.len() - 1].join("\n") + "\n").unwrap();
    let resumed = tiny_sweep(&dir);
    assert_eq!(resumed.code, Some(0));
    assert!(resumed.stderr.contains("1 to do"), "{}", resumed.stderr);
    let rows = csv_rows(&dir.join("results.csv")).1;
    assert_eq!(rows.len(), 8);
    let mut keys: Vec<String> = rows.iter().map(|r| r[..6].join(",")).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 8, "no duplicate rows after resuming");
}

#[test]
fn bad_arguments_exit_64_before_any_run() {
    let scratch = Scratch::new("badargs");
    // A stand-in binary that leaves a mark when anything runs it.
    let mark = scratch.join("ran");
    let fake = scratch.join("fake ipc-static");
    write_script(&fake, &format!("touch {}\nexec {} \"$@\"\n", shell_quote(s(&mark)), shell_quote(s(&binary()))));
    let dir = scratch.join("out");
    let cases: &[&[&str]] = &[
        &["-b", "3000"],               // does not divide 16 MiB
        &["-b", "4k", "-t", "10000"],  // 4096 does not divide 10000
        &["-i", "pipe,bogus"],         // unknown config
        &["-n", "0"],                  // trials < 1
        &["-n", "x"],
        &["-m", "3thread"],            // unknown mode
        &["-b", "0"],
        &["-b", "64..32"],             // empty range
        &["-j", "2"],                  // parallel without --allow-parallel
        &["--bogus"],
        &["-b", "4k", "--", "-q"],     // a flag the sweep sets itself
    ];
    for args in cases {
        let mut all = vec!["-o", s(&dir)];
        all.extend_from_slice(args);
        let out = script("sweep.sh", &all, &[("IPC_STATIC", &fake)]);
        assert_eq!(out.code, Some(64), "{args:?}");
        assert!(out.stderr.starts_with("sweep.sh: "), "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
        assert!(!mark.exists(), "{args:?}: ipc-static ran before the arguments were checked");
        assert!(!dir.exists(), "{args:?}: the output directory was created");
    }
    // An unknown option is refused by ipc-static's own check, before any run is recorded.
    let out = script("sweep.sh", &["-o", s(&dir), "-b", "4k", "--", "-Z"], &[]);
    assert_eq!(out.code, Some(64));
    assert!(out.stderr.contains("refuses the arguments"), "{}", out.stderr);
    assert!(!dir.join("results.csv").exists());
    // An output directory that cannot be made: 73 (EX_CANTCREAT), named.
    let out = script("sweep.sh", &["-o", "/proc/no such dir", "-B", "-n", "1", "-b", "4k", "-t", "64k"], &[]);
    assert_eq!(out.code, Some(73), "{}", out.stderr);
    assert!(out.stderr.contains("sweep.sh: cannot create /proc/no such dir/raw"), "{}", out.stderr);
    // Help is not an error.
    let help = script("sweep.sh", &["-h"], &[]);
    assert_eq!(help.code, Some(0));
    assert!(help.stdout.contains("usage: scripts/sweep.sh"));
}

/// What only the machine or the file system can refuse: a CPU the sweep may
/// not run on (every run would fail at sched_setaffinity), an output
/// directory that cannot be made, and benchmark arguments that probe-effect.sh
/// learns are bad from its first run: one line, the right code, nothing left.
#[test]
fn refusals_that_need_the_machine_leave_nothing_behind() {
    let scratch = Scratch::new("refusals");
    let mark = scratch.join("ran");
    let fake = scratch.join("fake ipc-static");
    write_script(&fake, &format!("touch {}\nexec {} \"$@\"\n", shell_quote(s(&mark)), shell_quote(s(&binary()))));
    let dir = scratch.join("out");
    // CPU 1000: ipc-static parses it (0..1023), but no machine here may run on it.
    for pin in ["1000", "0,1000"] {
        let out = script("sweep.sh", &["-o", s(&dir), "-a", pin, "-b", "4k", "-t", "4k"], &[("IPC_STATIC", &fake)]);
        assert_eq!(out.code, Some(64), "-a {pin}");
        assert!(out.stderr.starts_with("sweep.sh: -a ") && out.stderr.contains("CPU 1000"), "{}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
        assert!(!mark.exists() && !dir.exists(), "-a {pin}: a run or a directory before the refusal");
    }
    // An output directory under a regular file: 73 (EX_CANTCREAT), in the sweep's own words.
    let file = scratch.join("a file");
    fs::write(&file, "").unwrap();
    let under_file = file.join("out");
    let out = script("sweep.sh", &["-o", s(&under_file), "-B", "-n", "1", "-b", "4k", "-t", "4k", "-i", "pipe"], &[]);
    assert_eq!(out.code, Some(73), "{}", out.stderr);
    let last = out.stderr.lines().last().unwrap_or("");
    assert_eq!(last, format!("sweep.sh: cannot create {}/raw", s(&under_file)));
    assert!(!out.stderr.contains("mkdir:"), "{}", out.stderr);
    let tracer = fake_tracer(&scratch);
    let out = script("probe-effect.sh", &["-o", s(&under_file), "-n", "1", "--", "-B", "-t", "1m", "2thread"], &[("TRACE_SH", &tracer)]);
    assert_eq!(out.code, Some(73), "{}", out.stderr);
    // (probe-effect.sh makes DIR first, for its .meta, and names it.)
    assert_eq!(out.stderr.trim(), format!("probe-effect.sh: cannot create {}", s(&under_file)));
    // Arguments ipc-static refuses: 64, and the directories this run made are
    // gone, so that the next comparison into the same DIR is not refused.
    let nested = scratch.join("new/pe");
    let out = script("probe-effect.sh", &["-o", s(&nested), "-n", "2", "--", "-B", "-Z", "2thread"], &[("TRACE_SH", &tracer)]);
    assert_eq!(out.code, Some(64), "{}", out.stderr);
    assert!(out.stderr.lines().last().unwrap_or("").contains("ipc-static refuses the arguments"), "{}", out.stderr);
    assert!(!out.stderr.contains("FAILED"), "a refusal is not a failed run of a comparison: {}", out.stderr);
    assert!(!scratch.join("new").exists(), "a refused comparison left its directories");
    // Into a directory that was there: it stays, empty of this script's files.
    fs::create_dir_all(&nested).unwrap();
    let out = script("probe-effect.sh", &["-o", s(&nested), "-n", "2", "--", "-B", "-Z", "2thread"], &[("TRACE_SH", &tracer)]);
    assert_eq!(out.code, Some(64), "{}", out.stderr);
    assert_eq!(fs::read_dir(&nested).unwrap().count(), 0, "a refused comparison left files");
    let out = script("probe-effect.sh", &["-o", s(&nested), "-n", "1", "--", "-B", "-b", "64k", "-t", "1m", "2thread"], &[("TRACE_SH", &tracer)]);
    assert_eq!(out.code, Some(0), "the next comparison into the same DIR: {}", out.stderr);
    // A DIR with a runs.csv but no .meta (an older layout): refused in one line.
    let older = scratch.join("older");
    fs::create_dir_all(&older).unwrap();
    fs::write(older.join("runs.csv"), "run,kind\n").unwrap();
    let out = script("probe-effect.sh", &["-o", s(&older), "-n", "1", "--", "-B", "2thread"], &[("TRACE_SH", &tracer)]);
    assert_eq!(out.code, Some(64), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    assert!(out.stderr.contains("holds another comparison (older format)"), "{}", out.stderr);
}

/// sweep.sh's options group and take values as getopt(3) has them.
#[test]
fn sweep_options_group_as_getopt_does() {
    let scratch = Scratch::new("getopt");
    let dir = scratch.join("out");
    let out = script("sweep.sh", &["-BFn1", "-b4k,64k", "-t256k", "-ipipe", "-o", s(&dir)], &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let meta = fs::read_to_string(dir.join("sweep.meta")).unwrap();
    assert!(meta.contains("bare=1\nprefault=1\n"), "-BF: {meta}");
    let (_, rows) = csv_rows(&dir.join("results.csv"));
    assert_eq!(rows.len(), 2, "-n1, two sizes");
    let out = script("sweep.sh", &["-Bx"], &[]);
    assert_eq!(out.code, Some(64));
    assert_eq!(out.stderr, "sweep.sh: unknown argument '-x' (try -h)\n");
    let out = script("sweep.sh", &["-Bn"], &[]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(64), "sweep.sh: option -n needs a value (try -h)\n"));
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[test]
fn a_failing_run_is_recorded_and_the_sweep_goes_on() {
    let scratch = Scratch::new("failing");
    // Fails like an I/O error for 8 KiB buffers, runs the real binary otherwise.
    let fake = scratch.join("flaky ipc-static");
    write_script(
        &fake,
        &format!(
            "for a in \"$@\"; do [ \"$a\" = 8192 ] && {{ echo 'ipc-static: write: Broken pipe, \"EPIPE\"' >&2; exit 74; }}; done\nexec {} \"$@\"\n",
            shell_quote(s(&binary()))
        ),
    );
    let dir = scratch.join("out");
    let out = script(
        "sweep.sh",
        &["-o", s(&dir), "-n", "1", "-B", "-b", "4k,8k,16k", "-t", "256k", "-i", "pipe,local"],
        &[("IPC_STATIC", &fake)],
    );
    assert_eq!(out.code, Some(0), "the sweep finishes");
    let text = fs::read_to_string(dir.join("results.csv")).unwrap();
    let lines: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(lines.len(), 6);
    let failed: Vec<&&str> = lines.iter().filter(|l| l.contains(",failed,")).collect();
    assert_eq!(failed.len(), 2, "{text}");
    for l in &failed {
        assert!(l.contains(",8192,"), "{l}");
        // The error is one quoted CSV field, quotes doubled.
        assert!(l.ends_with(",failed,\"exit 74: ipc-static: write: Broken pipe, \"\"EPIPE\"\"\""), "{l}");
    }
    assert_eq!(lines.iter().filter(|l| l.contains(",ok,")).count(), 4);
    // Runs after the failure went on.
    assert!(lines[2].contains(",16384,") && lines[2].contains(",ok,"), "{text}");
    assert!(out.stderr.contains("FAILED (exit 74"), "{}", out.stderr);
    assert!(dir.join("raw/pipe-2thread-b8192-t262144-trial1.err").exists());
    // Failed rows count as done on a rerun, unless asked to retry them.
    let again = script(
        "sweep.sh",
        &["-o", s(&dir), "-n", "1", "-B", "-b", "4k,8k,16k", "-t", "256k", "-i", "pipe,local"],
        &[("IPC_STATIC", &fake)],
    );
    assert!(again.stderr.contains("0 to do"), "{}", again.stderr);
    let retry = script(
        "sweep.sh",
        &["-o", s(&dir), "-n", "1", "-B", "-b", "4k,8k,16k", "-t", "256k", "-i", "pipe,local", "--retry-failed"],
        &[("IPC_STATIC", &binary())],
    );
    assert!(retry.stderr.contains("2 to do"), "{}", retry.stderr);
    assert_eq!(retry.code, Some(0));
}

#[test]
fn parallel_smoke_runs_and_rusage_columns() {
    let scratch = Scratch::new("parallel");
    let dir = scratch.join("par");
    let out = script(
        "sweep.sh",
        &["-o", s(&dir), "-j", "2", "--allow-parallel", "-n", "2", "-B", "-b", "16k", "-t", "256k",
          "-i", "pipe,tcp,local-s", "-m", "2thread,2proc", "--", "-g"],
        &[],
    );
    assert_eq!(out.code, Some(0));
    let (header, rows) = csv_rows(&dir.join("results.csv"));
    assert_eq!(
        header,
        "ipc,sflag,mode,buffersize,totalsize,trial,bandwidth_kbps,time_s,utime_s,stime_s,minflt,majflt,nvcsw,nivcsw,\
         affinity,prefault,load1,runnable,status,error"
    );
    assert_eq!(rows.len(), 12);
    for r in &rows {
        assert_eq!(r[18], "ok", "{r:?}");
        assert!(r[10].parse::<u64>().is_ok(), "minflt is a count: {r:?}");
    }
    assert!(rows.iter().any(|r| r[0] == "local" && r[1] == "1"), "local-s is local with sflag 1");
}

#[test]
fn sweeps_record_and_pass_the_placement() {
    let scratch = Scratch::new("placement");
    for (pin, recorded, receiver, sender) in [("0", "cpu0", 0, 0), ("0,1", "cpu0+cpu1", 0, 1)] {
        let dir = scratch.join(&format!("pin {pin}"));
        let out = script("sweep.sh", &["-o", s(&dir), "-a", pin, "-n", "1", "-B", "-b", "4k", "-t", "64k", "-i", "pipe,local"], &[]);
        assert_eq!(out.code, Some(0));
        assert!(out.stderr.contains(&format!("(bare, JSON, {recorded})")), "{}", out.stderr);
        let (_, rows) = csv_rows(&dir.join("results.csv"));
        assert_eq!(rows.len(), 2);
        for r in &rows {
            assert_eq!(r[8], recorded, "{r:?}");
        }
        assert!(fs::read_to_string(dir.join("sweep.meta")).unwrap().contains(&format!("affinity={recorded}\n")));
        // The binary itself was pinned: its own JSON says so.
        let json = fs::read_to_string(dir.join("raw/pipe-2thread-b4096-t65536-trial1.json")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        let affinity = &doc["benchmark_configuration"]["affinity"];
        assert_eq!(affinity["receiver"], receiver, "{json}");
        if sender != receiver {
            assert_eq!(affinity["sender"], sender, "{json}");
        }
        // Another placement in the same DIR is another sweep: refused.
        let other = script("sweep.sh", &["-o", s(&dir), "-n", "1", "-B", "-b", "4k", "-t", "64k", "-i", "pipe,local"], &[]);
        assert_eq!(other.code, Some(64), "{}", other.stderr);
    }
    let dir = scratch.join("bad");
    for args in [&["-a", "x"][..], &["-a", "0,"], &["-a", "0", "-m", "1thread", "-a", "0,1"], &["--", "-a", "0"], &["--", "-F"]] {
        let mut all = vec!["-o", s(&dir), "-b", "4k", "-t", "64k"];
        all.extend_from_slice(args);
        let out = script("sweep.sh", &all, &[]);
        assert_eq!(out.code, Some(64), "{args:?}: {}", out.stderr);
        assert!(!dir.join("results.csv").exists(), "{args:?}");
    }
}

#[test]
fn plot_writes_both_variants_and_a_summary_naming_every_config() {
    if !need("gnuplot") {
        return;
    }
    let scratch = Scratch::new("plot");
    let dir = scratch.join("plot dir");
    let out = script(
        "sweep.sh",
        &["-o", s(&dir), "-n", "2", "-B", "-b", "4k,64k", "-t", "256k", "-i", "pipe,local,local-s"],
        &[],
    );
    assert_eq!(out.code, Some(0));
    let plot = script("plot.sh", &[s(&dir)], &[]);
    assert_eq!(plot.code, Some(0));
    let host = fs::read_to_string(dir.join("host.txt")).unwrap();
    let cpu = host.lines().find_map(|l| l.trim().strip_prefix("cpu_model:")).unwrap().trim().to_string();
    for variant in ["bandwidth", "bandwidth-logy"] {
        let svg = fs::read_to_string(dir.join(format!("{variant}.svg"))).unwrap();
        assert!(svg.contains("<svg"));
        for series in ["pipe 2thread", "local 2thread", "local -s 2thread"] {
            assert!(svg.contains(series), "{variant}: the SVG names {series}");
        }
        assert!(svg.contains("MiB/s") && svg.contains("KBytes/sec") && svg.contains("KiB"), "{variant}: both units, sizes in KiB");
        assert!(svg.contains(&cpu), "{variant}: titled with the CPU model {cpu}");
        assert!(svg.contains("up to 2 trials") && svg.contains("placement: unpinned"), "{variant}: trials and placement in the title");
        let png = fs::read(dir.join(format!("{variant}.png"))).unwrap();
        assert!(png.len() > 1000 && png.starts_with(b"\x89PNG"), "{variant}: a real PNG");
    }
    let summary = fs::read_to_string(dir.join("summary.txt")).unwrap();
    assert!(summary.contains("Peak bandwidth"), "{summary}");
    assert!(summary.contains("local -s/pipe"), "ratios between configs: {summary}");
    assert_eq!(summary.matches(" KBytes/sec) at ").count(), 3, "one peak per series, in both units: {summary}");
    assert!(summary.contains("placement: unpinned") && summary.contains("load average before the runs: "), "{summary}");
    // Usage errors.
    assert_eq!(script("plot.sh", &[], &[]).code, Some(64));
}

/// plot.sh's refusals with their sysexits codes: usage 64 (and the usage), no
/// DIR or no results.csv in it 66 (EX_NOINPUT), a results.csv without a
/// successful run 65 (EX_DATAERR), each in one line; nothing drawn.
#[test]
fn plot_sh_says_what_is_missing_with_its_sysexits_code() {
    let scratch = Scratch::new("plot refusals");
    let empty = scratch.join("empty");
    fs::create_dir_all(&empty).unwrap();
    let one_line = |out: &Out, code: i32, words: &str| {
        assert_eq!(out.code, Some(code), "{}", out.stderr);
        assert!(out.stderr.starts_with("plot.sh: ") && out.stderr.lines().count() == 1 && out.stderr.contains(words), "{}", out.stderr);
    };
    let usage = script("plot.sh", &["-x", s(&empty)], &[]);
    assert_eq!(usage.code, Some(64));
    assert!(usage.stderr.starts_with("plot.sh: unknown option -x\nusage: "), "{}", usage.stderr);
    one_line(&script("plot.sh", &[s(&scratch.join("nothing here"))], &[]), 66, "results.csv does not exist");
    one_line(&script("plot.sh", &[s(&empty)], &[]), 66, "results.csv does not exist");
    if !need("gnuplot") {
        return;
    }
    for (name, rows) in [("header only", ""), ("all failed", "pipe,0,2thread,4096,1048576,1,,,unpinned,0,0.10,0,failed,\"exit 74: ipc-static: read: EIO\"\n")] {
        let dir = scratch.join(name);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("results.csv"), format!("{HEADER}\n{rows}")).unwrap();
        one_line(&script("plot.sh", &[s(&dir)], &[]), 65, "has no successful runs to plot");
        assert!(!dir.join("bandwidth.svg").exists() && !dir.join("summary.txt").exists(), "{name}: nothing drawn");
    }
}

/// scripts/plot-latency.sh answers as plot.sh does, run directly or through
/// plot.sh: 66 (EX_NOINPUT) without DIR/results.csv, 65 (EX_DATAERR) without
/// a successful run, each in one line and nothing drawn; and a results.csv
/// copied alone, without host.txt or sweep.meta, is drawn (so is a bandwidth
/// one by plot.sh).
#[test]
fn plot_latency_answers_as_plot_sh_and_draws_a_lone_results_csv() {
    let scratch = Scratch::new("plot latency");
    let one_line = |out: &Out, code: i32, prog: &str, words: &str| {
        assert_eq!(out.code, Some(code), "{}", out.stderr);
        assert!(out.stderr.starts_with(&format!("{prog}: ")) && out.stderr.lines().count() == 1 && out.stderr.contains(words), "{}", out.stderr);
    };
    let empty = scratch.join("empty");
    fs::create_dir_all(&empty).unwrap();
    for dir in [scratch.join("nothing here"), empty] {
        one_line(&script("plot-latency.sh", &[s(&dir)], &[]), 66, "plot-latency.sh", "results.csv does not exist");
    }
    assert_eq!(script("plot-latency.sh", &[], &[]).code, Some(64));
    assert_eq!(script("plot-latency.sh", &["-x"], &[]).code, Some(64));
    if !need("gnuplot") {
        return;
    }
    let sweep = scratch.join("sweep");
    let out = script("sweep.sh", &["-l", "-r", "200", "-b", "1,64", "-n", "1", "-B", "-i", "pipe", "-m", "2thread", "-o", s(&sweep)], &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let csv = fs::read_to_string(sweep.join("results.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    // No successful run: the header alone, or a failed row only.
    let failed = format!("{header}\npipe,0,2thread,64,12800,1,,,,,,,unpinned,0,0.10,0,failed,\"exit 74: ipc-static: read: EIO\"\n");
    assert_eq!(failed.lines().nth(1).unwrap().split(',').count(), header.split(',').count(), "the failed row fits the header");
    for (name, text) in [("header only", format!("{header}\n")), ("all failed", failed)] {
        let dir = scratch.join(name);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("results.csv"), text).unwrap();
        for prog in ["plot-latency.sh", "plot.sh"] {
            // Through plot.sh the words are plot-latency.sh's, who drew nothing.
            one_line(&script(prog, &[s(&dir)], &[]), 65, "plot-latency.sh", "has no successful runs to plot");
            assert!(!dir.join("latency.svg").exists() && !dir.join("summary.txt").exists(), "{name}: nothing drawn");
        }
    }
    // A results.csv alone: drawn, directly and through plot.sh.
    for prog in ["plot-latency.sh", "plot.sh"] {
        let lone = scratch.join(&format!("lone {prog}"));
        fs::create_dir_all(&lone).unwrap();
        fs::write(lone.join("results.csv"), &csv).unwrap();
        let out = script(prog, &[s(&lone)], &[]);
        assert_eq!(out.code, Some(0), "{prog}: {}", out.stderr);
        assert!(out.stderr.starts_with("plot-latency.sh: wrote "), "{}", out.stderr);
        let svg = fs::read_to_string(lone.join("latency.svg")).unwrap();
        assert!(svg.contains("pipe 2thread p50") && svg.contains("200 round trips per run"), "{prog}: the round trips from the rows");
        let summary = fs::read_to_string(lone.join("summary.txt")).unwrap();
        assert!(summary.contains("Mode 2thread: p50 / p99") && summary.contains("  64 B "), "{summary}");
        assert!(!summary.contains("host: unknown CPU ( CPUs)"), "the host from ipc-static describe: {summary}");
    }
    // A bandwidth sweep's CSV is not plot-latency.sh's to draw: 65 and plot.sh named.
    let bandwidth = scratch.join("bandwidth");
    let out = script("sweep.sh", &["-b", "4k", "-t", "64k", "-n", "1", "-B", "-i", "pipe", "-m", "2thread", "-o", s(&bandwidth)], &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    one_line(&script("plot-latency.sh", &[s(&bandwidth)], &[]), 65, "plot-latency.sh", "scripts/plot.sh draws it");
    // ... and plot.sh draws it without host.txt or sweep.meta.
    fs::remove_file(bandwidth.join("host.txt")).unwrap();
    fs::remove_file(bandwidth.join("sweep.meta")).unwrap();
    let out = script("plot.sh", &[s(&bandwidth)], &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let svg = fs::read_to_string(bandwidth.join("bandwidth.svg")).unwrap();
    assert!(svg.contains("pipe 2thread") && !svg.contains("unknown CPU"), "drawn, the host from ipc-static describe");
}

/// shmem in a sweep: a config of its own (never with -s), in every mode,
/// and its own series in the plots and the summary.
#[test]
fn shmem_sweeps_and_plots_as_a_series_of_its_own() {
    let scratch = Scratch::new("shmem");
    let dir = scratch.join("shmem");
    let out = script(
        "sweep.sh",
        &["-o", s(&dir), "-n", "1", "-B", "-b", "4k,64k", "-t", "256k", "-i", "pipe,shmem", "-m", "1thread,2thread,2proc"],
        &[],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let (_, rows) = csv_rows(&dir.join("results.csv"));
    let shmem: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "shmem").collect();
    assert_eq!(shmem.len(), 6, "3 modes x 2 sizes: {rows:?}");
    assert!(shmem.iter().all(|r| r[1] == "0" && r[12] == "ok" && r[6].parse::<f64>().unwrap() > 0.0), "{shmem:?}");
    let refused = script("sweep.sh", &["-o", s(&scratch.join("x")), "-i", "shmem-s", "-b", "4k", "-t", "64k"], &[]);
    assert_eq!(refused.code, Some(64));
    assert!(refused.stderr.contains("unknown config 'shmem-s' (pipe, local, tcp, shmem,"), "{}", refused.stderr);
    if !need("gnuplot") {
        return;
    }
    assert_eq!(script("plot.sh", &[s(&dir)], &[]).code, Some(0));
    let svg = fs::read_to_string(dir.join("bandwidth-logy.svg")).unwrap();
    for mode in ["1thread", "2thread", "2proc"] {
        assert!(svg.contains(&format!("shmem {mode}")) && svg.contains(&format!("pipe {mode}")), "{mode}: both series");
    }
    let summary = fs::read_to_string(dir.join("summary.txt")).unwrap();
    assert!(summary.contains("shmem/pipe"), "{summary}");
    assert_eq!(summary.matches(" KBytes/sec) at ").count(), 6, "one peak per series: {summary}");
}

/// plot.sh on a results.csv with known numbers: gaps where sizes were not run
/// or failed, floor markers for crawling points, noisy points marked.
#[test]
fn plot_leaves_gaps_marks_the_floor_and_noisy_points() {
    if !need("gnuplot") {
        return;
    }
    let scratch = Scratch::new("plot known");
    let dir = scratch.join("known");
    fs::create_dir_all(&dir).unwrap();
    let mut csv = String::from("ipc,sflag,mode,buffersize,totalsize,trial,bandwidth_kbps,time_s,affinity,prefault,load1,runnable,status,error\n");
    let mut row = |ipc: &str, sflag: u8, size: u64, trial: u8, kbps: Option<f64>| {
        let (bw, status, err) = match kbps {
            Some(v) => (format!("{v:.2}"), "ok", ""),
            None => (String::new(), "failed", "\"timed out after 600s\""),
        };
        csv += &format!("{ipc},{sflag},2thread,{size},1048576,{trial},{bw},,cpu0,1,0.25,0,{status},{err}\n");
    };
    // pipe: 1k, 2k, 4k, then 32k and 64k (8k and 16k never run): one gap.
    for (size, kbps) in [(1024, 900_000.0), (2048, 1_500_000.0), (4096, 2_000_000.0), (32768, 3_000_000.0), (65536, 3_100_000.0)] {
        row("pipe", 0, size, 1, Some(kbps));
        row("pipe", 0, size, 2, Some(kbps * 1.1));
    }
    // tcp -s: crawls at 1k (5-6 KBytes/sec: under 1% of the axis, and more
    // than six decades under the top), fails at 2k in every trial, noisy at
    // 4k (5x), then fine.
    for (size, a, b) in [(1024, Some(5.0), Some(6.0)), (2048, None, None), (4096, Some(100_000.0), Some(500_000.0)),
                         (32768, Some(2_500_000.0), Some(2_600_000.0)), (65536, Some(2_700_000.0), Some(2_800_000.0))] {
        row("tcp", 1, size, 1, a);
        row("tcp", 1, size, 2, b);
    }
    fs::write(dir.join("results.csv"), csv).unwrap();
    fs::write(dir.join("sweep.meta"), "bare=1\nprefault=1\naffinity=cpu0\nextra=\n").unwrap();
    fs::write(dir.join("host.txt"), "Host description:\n  os_name: Linux\n  os_release: 6.18-test\n  cpu_model: Test CPU\n  ncpu: 2\n").unwrap();
    let plot = script("plot.sh", &[s(&dir)], &[]);
    assert_eq!(plot.code, Some(0));
    // bandwidth.dat: a blank line inside a series breaks its line.
    let dat = fs::read_to_string(dir.join("bandwidth.dat")).unwrap();
    let blocks: Vec<&str> = dat.split("\n\n\n").collect();
    assert_eq!(blocks.len(), 2, "one index per series:\n{dat}");
    let sizes = |block: &str| -> Vec<Vec<u64>> {
        block.split("\n\n").map(|part| part.lines().filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| l.split(' ').next().unwrap().parse().unwrap()).collect()).collect()
    };
    assert_eq!(sizes(blocks[0]), vec![vec![1024, 2048, 4096], vec![32768, 65536]], "pipe: no line over 8k-16k:\n{dat}");
    assert_eq!(sizes(blocks[1]), vec![vec![1024], vec![4096], vec![32768, 65536]], "tcp -s: no line over the failed 2k:\n{dat}");
    // The crawling point is marked, with its value, on both variants.
    let linear = fs::read_to_string(dir.join("floor-linear.dat")).unwrap();
    assert_eq!(linear.trim(), "1024 0 \"0.00537\" 2", "5-6 KBytes/sec: median 5.5 = 0.00537 MiB/s at the bottom");
    let logy = fs::read_to_string(dir.join("floor-logy.dat")).unwrap();
    assert_eq!(logy.trim(), "1024 0.01 \"0.00537\" 2", "drawn at the log floor, six decades under 10^4 MiB/s");
    let gp = fs::read_to_string(dir.join("bandwidth-logy.gp")).unwrap();
    assert!(gp.contains("set yrange [0.01:10000]"), "{gp}");
    for gp in ["bandwidth.gp", "bandwidth-logy.gp"] {
        let text = fs::read_to_string(dir.join(gp)).unwrap();
        assert!(text.contains("pt 11") && text.contains("with labels"), "{gp}: floor markers and labels");
        assert!(text.contains("placement: cpu0, buffers pre-faulted (-F)"), "{gp}: placement and pre-faulting in the title");
        assert!(text.contains("up to 2 trials") && text.contains("Test CPU (2 CPUs), Linux 6.18-test"), "{gp}");
    }
    let summary = fs::read_to_string(dir.join("summary.txt")).unwrap();
    assert!(summary.contains("Noisy points (slowest and fastest trial more than 2x apart): 1"), "{summary}");
    assert!(summary.contains("tcp -s 2thread") && summary.contains("5.0x"), "{summary}");
    let noisy_row = summary.lines().find(|l| l.trim_start().starts_with("4 KiB")).unwrap();
    assert!(noisy_row.contains('*'), "the noisy median is starred: {noisy_row}");
    assert!(summary.contains("2 failed"), "{summary}");

    // Rows of two sweeps under one header: pre-faulted and untouched runs,
    // two placements, are series of their own.
    let mixed = scratch.join("mixed");
    fs::create_dir_all(&mixed).unwrap();
    let mut csv = String::from("ipc,sflag,mode,buffersize,totalsize,trial,bandwidth_kbps,time_s,affinity,prefault,load1,runnable,status,error\n");
    for (prefault, affinity, kbps) in [(0, "cpu0", 1_000_000), (1, "cpu0", 3_000_000), (0, "cpu0+cpu1", 500_000)] {
        for size in [1048576, 2097152] {
            csv += &format!("pipe,0,2thread,{size},16777216,1,{kbps},,{affinity},{prefault},0.1,0,ok,\n");
        }
    }
    fs::write(mixed.join("results.csv"), csv).unwrap();
    assert_eq!(script("plot.sh", &[s(&mixed)], &[]).code, Some(0));
    let summary = fs::read_to_string(mixed.join("summary.txt")).unwrap();
    for series in ["pipe cpu0 2thread", "pipe -F cpu0 2thread", "pipe cpu0+cpu1 2thread"] {
        assert!(summary.contains(&format!("  {series} ")), "{series}: {summary}");
    }
    assert!(summary.contains("pre-faulted and untouched runs mixed"), "{summary}");
}

/// The value after "label" in a probe-effect summary row:
/// "measure   untraced-median [min-max]   traced-median [min-max]   ratio  ranges".
fn summary_row<'a>(summary: &'a str, label: &str) -> Vec<&'a str> {
    let line = summary.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("no {label:?} row:\n{summary}"));
    line[label.len()..].split_whitespace().collect()
}

/// A stand-in for scripts/trace.sh: writes a mark into the -o file and runs
/// the benchmark command it was given (through $IPC_STATIC, as trace.sh does).
fn fake_tracer(scratch: &Scratch) -> PathBuf {
    let tracer = scratch.join("fake trace.sh");
    write_script(
        &tracer,
        "a=\"$1\"; shift; [ \"$1\" = -o ] && { out=\"$2\"; shift 2; }; [ \"$1\" = -- ] && shift\n\
         echo \"traced by $a\" >\"$out\"\nexec \"$IPC_STATIC\" \"$@\"\n",
    );
    tracer
}

#[test]
fn probe_effect_compares_bandwidth_and_behaviour() {
    let scratch = Scratch::new("probe");
    // With a stand-in tracer (any machine): the interleaving, the CSV and the report.
    let tracer = fake_tracer(&scratch);
    let dir = scratch.join("fake");
    let args = ["-o", s(&dir), "-n", "3", "-a", "loop-returns", "--", "-B", "-b", "64k", "-t", "1m", "2thread"];
    let out = script("probe-effect.sh", &args, &[("TRACE_SH", &tracer)]);
    assert_eq!(out.code, Some(0));
    let text = fs::read_to_string(dir.join("runs.csv")).unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(
        header,
        "run,kind,bandwidth_kbps,utime_s,stime_s,minflt,majflt,nvcsw,nivcsw,reads,writes,mean_read_bytes,load1,status,error"
    );
    let rows: Vec<Vec<String>> = text.lines().skip(1).map(csv_fields).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(kinds, ["untraced", "traced", "untraced", "traced", "untraced", "traced"], "interleaved");
    let io_counted = Path::new("/proc/self/io").exists();
    for r in &rows {
        assert_eq!(r[13], "ok", "{r:?}");
        for (i, what) in [(3, "utime"), (4, "stime"), (5, "minflt"), (7, "nvcsw"), (8, "nivcsw")] {
            assert!(r[i].parse::<f64>().is_ok(), "{what} from -g: {r:?}");
        }
        if io_counted {
            // Counted by the kernel: 16 writes of 64 KiB, exactly; the reads
            // carry the 1 MiB, so their count times their mean size is 1 MiB.
            assert_eq!(r[10], "16", "write calls in the loop: {r:?}");
            let reads: f64 = r[9].parse().unwrap();
            let mean: f64 = r[11].parse().unwrap();
            assert!(reads >= 16.0, "{r:?}");
            assert!((reads * mean - 1048576.0).abs() < reads, "reads x mean size = the total: {r:?}");
        }
    }
    let summary = &out.stdout;
    assert!(summary.contains("ratio traced/untraced (medians): "), "{summary}");
    for measure in ["bandwidth (KBytes/sec)", "user CPU (s)", "system CPU (s)", "minor page faults",
                    "voluntary ctx switches", "involuntary ctx switches", "read calls (loop)",
                    "write calls (loop)", "mean read size (bytes)"] {
        let row = summary_row(summary, measure);
        assert!(row.last() == Some(&"overlap") || row.last() == Some(&"apart") || row == ["-", "-", "-", "-"], "{measure}: {row:?}");
    }
    if io_counted {
        assert_eq!(summary_row(summary, "write calls (loop)"), ["16", "[16-16]", "16", "[16-16]", "1.000", "overlap"]);
    }
    assert!(summary.contains("placement: unpinned") && summary.contains("3 untraced and 3 traced runs"), "{summary}");
    // Each run's own stdout in its own file; the analysis in its own.
    for k in 1..=3 {
        for kind in ["untraced", "traced"] {
            let o = fs::read_to_string(dir.join(format!("raw/{kind}-{k}.out"))).unwrap();
            assert!(o.lines().any(ipc_static_tests::is_bandwidth_line), "raw/{kind}-{k}.out: {o}");
        }
        assert_eq!(fs::read_to_string(dir.join(format!("traces/trace-{k}.txt"))).unwrap(), "traced by loop-returns\n");
    }
    if have("gnuplot") {
        for f in ["probe-effect.svg", "probe-effect.png", "behaviour.svg", "behaviour.png"] {
            assert!(dir.join(f).exists(), "{f}");
        }
        let svg = fs::read_to_string(dir.join("probe-effect.svg")).unwrap();
        assert!(svg.contains("placement unpinned") && svg.contains("3 untraced + 3 traced runs"), "title names placement and runs");
    }

    // The same settings again: nothing to redo; a larger -n adds pairs.
    let again = script("probe-effect.sh", &args, &[("TRACE_SH", &tracer)]);
    assert_eq!(again.code, Some(0));
    assert!(again.stderr.contains("already holds 3 complete pairs") && !again.stderr.contains("[1/3]"), "{}", again.stderr);
    let mut more = args.to_vec();
    more[3] = "4";
    let more_out = script("probe-effect.sh", &more, &[("TRACE_SH", &tracer)]);
    assert!(more_out.stderr.contains("resuming") && more_out.stderr.contains("after 3 complete pairs"), "{}", more_out.stderr);
    assert!(more_out.stderr.contains("[4/4] untraced") && !more_out.stderr.contains("[3/4]"), "{}", more_out.stderr);
    assert_eq!(fs::read_to_string(dir.join("runs.csv")).unwrap().lines().count(), 9);
    // Other settings in the same DIR: refused, or --clear to start afresh.
    let other = ["-o", s(&dir), "-n", "1", "-a", "loop-faults", "--", "-B", "-t", "256k", "2thread"];
    let refused = script("probe-effect.sh", &other, &[("TRACE_SH", &tracer)]);
    assert_eq!(refused.code, Some(64), "{}", refused.stderr);
    assert!(refused.stderr.contains("holds another comparison"), "{}", refused.stderr);
    let mut cleared = other.to_vec();
    cleared.insert(0, "--clear");
    let fresh = script("probe-effect.sh", &cleared, &[("TRACE_SH", &tracer)]);
    assert_eq!(fresh.code, Some(0), "{}", fresh.stderr);
    assert_eq!(fs::read_to_string(dir.join("runs.csv")).unwrap().lines().count(), 3, "one pair, the old rows gone");
    assert!(!dir.join("traces/trace-3.txt").exists(), "no stale trace of the earlier comparison");
    // A DIR with someone else's files is refused, --clear or not.
    let sweep_dir = scratch.join("a sweep");
    fs::create_dir_all(&sweep_dir).unwrap();
    fs::write(sweep_dir.join("results.csv"), "ipc\n").unwrap();
    let foreign = script("probe-effect.sh", &["--clear", "-o", s(&sweep_dir), "-n", "1"], &[("TRACE_SH", &tracer)]);
    assert_eq!(foreign.code, Some(64), "{}", foreign.stderr);
    assert!(foreign.stderr.contains("not probe-effect.sh's ( results.csv )"), "{}", foreign.stderr);
    assert!(sweep_dir.join("results.csv").exists());
    let bad_dir = scratch.join("bad");
    for bad in [&["-n", "0"][..], &["-a", "nope"], &["--", "-q", "2thread"], &["--", "-v", "2thread"]] {
        let mut args = vec!["-o", s(&bad_dir)];
        args.extend_from_slice(bad);
        assert_eq!(script("probe-effect.sh", &args, &[("TRACE_SH", &tracer)]).code, Some(64), "{bad:?}");
    }
    // -l prints a latency line, no bandwidth line: refused alone or grouped,
    // in one line, before anything runs or any directory is made.
    let mark = scratch.join("ran");
    let marking = scratch.join("marking ipc-static");
    write_script(&marking, &format!("touch {}\nexec {} \"$@\"\n", shell_quote(s(&mark)), shell_quote(s(&binary()))));
    for bench in [&["-B", "-l", "-b", "4", "-t", "4k", "-i", "shmem", "2thread"][..], &["-Bl", "2thread"], &["-b", "4", "-lB", "2thread"]] {
        let mut args = vec!["-o", s(&bad_dir), "-n", "2", "-a", "loop-returns", "--"];
        args.extend_from_slice(bench);
        let out = script("probe-effect.sh", &args, &[("TRACE_SH", &tracer), ("IPC_STATIC", &marking)]);
        assert_eq!(out.code, Some(64), "{bench:?}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
        assert!(out.stderr.starts_with("probe-effect.sh: benchmark flag -l is not allowed here"), "{}", out.stderr);
        assert!(!mark.exists() && !bad_dir.exists(), "{bench:?}: a run or a directory before the refusal");
    }
    // A value holding an l is no flag: -i local runs.
    let local = scratch.join("local");
    let out = script("probe-effect.sh", &["-o", s(&local), "-n", "1", "--", "-B", "-i", "local", "-t", "1m", "2thread"], &[("TRACE_SH", &tracer)]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);

    // With the real scripts/trace.sh and bpftrace (root): a tiny real comparison.
    if !(is_root() && need("bpftrace")) {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root with bpftrace");
        eprintln!("SKIPPED: tracing needs root and bpftrace");
        return;
    }
    let real = scratch.join("real");
    let out = script("probe-effect.sh", &["-o", s(&real), "-n", "1", "--", "-B", "-b", "64k", "-t", "1m", "2thread"], &[]);
    assert_eq!(out.code, Some(0));
    assert!(out.stdout.contains("ratio traced/untraced (medians): "), "{}", out.stdout);
    let trace = fs::read_to_string(real.join("traces/trace-1.txt")).unwrap();
    assert!(trace.contains("brackets closed: 1"), "the analysis wrote its output:\n{trace}");
    assert!(!trace.contains("KBytes/sec"), "the benchmark's output is not mixed into the analysis:\n{trace}");
    let traced_out = fs::read_to_string(real.join("raw/traced-1.out")).unwrap();
    assert!(traced_out.lines().any(ipc_static_tests::is_bandwidth_line), "the traced run's own stdout: {traced_out:?}");
    if io_counted {
        assert_eq!(summary_row(&out.stdout, "write calls (loop)")[..4], ["16", "[16-16]", "16", "[16-16]"], "{}", out.stdout);
    }
    let errs = fs::read_to_string(real.join("raw/traced-1.err")).unwrap_or_default();
    assert!(!errs.contains("RLIMIT_MEMLOCK"), "{errs}");
    // loop-profile under the counting wrapper still names the benchmark's
    // own frames (trace.sh takes the symbols from TRACE_SYMBOLS).
    let profile = scratch.join("profile");
    let out = script("probe-effect.sh", &["-o", s(&profile), "-n", "1", "-a", "loop-profile", "--", "-B", "-a", "0", "-b", "64k", "-t", "256m", "2thread"], &[]);
    assert_eq!(out.code, Some(0));
    let folded = fs::read_to_string(profile.join("traces/trace-1.txt")).unwrap();
    assert!(folded.contains(";ipc_static::"), "user frames named:\n{folded}");
    let errs = fs::read_to_string(profile.join("raw/traced-1.err")).unwrap_or_default();
    assert!(!errs.contains("user frames stay addresses"), "{errs}");
}

#[test]
fn io_count_counts_the_loops_calls_without_a_probe() {
    if !Path::new("/proc/self/io").exists() {
        eprintln!("SKIPPED: no /proc/self/io (per-task I/O accounting) here");
        return;
    }
    let counter = root().join("scripts/io-count.sh");
    let count = |args: &[&str]| -> BTreeMap<String, u64> {
        let out = Command::new(&counter).arg(binary()).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let line = String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").to_string();
        line.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.parse().unwrap_or_else(|_| panic!("{line}"))))
            .collect()
    };
    // execve reads the binary; -h writes the usage once.
    let base = count(&["-h"]);
    assert_eq!(base["writes"], 1, "{base:?}");
    for mode in ["1thread", "2thread", "2proc"] {
        let c = count(&["-B", "-q", "-b", "65536", "-t", "1048576", mode]);
        assert_eq!(c["writes"], 16, "{mode}: one write per block, nothing else: {c:?}");
        assert_eq!(c["write_bytes"], 1048576, "{mode}: {c:?}");
        assert_eq!(c["read_bytes"] - base["read_bytes"], 1048576, "{mode}: the loop's reads carry the total: {c:?}");
        assert!(c["reads"] - base["reads"] >= 16, "{mode}: {c:?}");
    }
    // The 1thread loop on 64 KiB blocks reads each block whole: exactly 16.
    let c = count(&["-B", "-q", "-b", "65536", "-t", "1048576", "1thread"]);
    assert_eq!(c["reads"] - base["reads"], 16, "{c:?}");
    // No such program: one line and 127, as env(1); a count file that cannot
    // be written: one line of its own, the program's status kept.
    let out = Command::new(&counter).args(["/nonexistent/ipc-static", "-B", "2thread"]).output().unwrap();
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "io-count.sh: /nonexistent/ipc-static: no such program\n");
    let out = Command::new(&counter)
        .arg(binary())
        .args(["-B", "-q", "-b", "4096", "-t", "64k", "2thread"])
        .env("IO_COUNT_FILE", "/nonexistent/counts")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "io-count.sh: cannot write the counts to /nonexistent/counts\n");
}

#[test]
fn bench_quick_prints_its_table() {
    // An output directory that cannot be made: one line, 73, before any run.
    let out = script("bench.sh", &["--quick", "-o", "/proc/no-such-dir"], &[]);
    assert_eq!(out.code, Some(73), "{}", out.stderr);
    assert_eq!(out.stderr, "bench.sh: cannot create /proc/no-such-dir/raw: No such file or directory\n");
    // `make bench QUICK=1` runs scripts/bench.sh --quick; figures are printed, never asserted.
    let scratch = Scratch::new("bench");
    let dir = scratch.join("bench out");
    let out = script("bench.sh", &["--quick", "-o", s(&dir)], &[("IPC_DYNAMIC", &dynamic_binary())]);
    assert_eq!(out.code, Some(0));
    let table = &out.stdout;
    assert!(table.contains("| measurement | ipc-static | ipc-dynamic | dd \\| dd |"), "{table}");
    for row in [
        "| pipe 2proc, 1 B x 64 KiB: wall time",
        "| pipe 2proc, 128 KiB x 32 MiB: wall time",
        "| whole process, 1-byte run, 1thread",
        "| whole process, 1-byte run, 2proc",
        "| binary size",
        "| peak RSS, -B -q -i pipe 2thread",
    ] {
        assert!(table.contains(row), "missing row {row}: {table}");
    }
    if need("strace") {
        assert!(table.contains("| system calls outside the loop, -B -q -i pipe 2thread"), "{table}");
        assert!(table.contains("| system calls outside the loop, -B -q -i shmem 2proc"), "{table}");
    }
    // shmem beside memcpy: one row per size, a ratio per mode and placement.
    assert!(table.contains("| buffer | memcpy | shmem 1thread, CPU 0 |"), "{table}");
    for size in ["64 KiB", "1 MiB", "16 MiB"] {
        let row = table.lines().find(|l| l.starts_with(&format!("| {size} | "))).unwrap_or_else(|| panic!("{size}: {table}"));
        let ratios = row.matches(" (").count();
        assert_eq!(ratios, 4, "{size}: shmem / memcpy per mode: {row}");
        let two_cpus = std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2);
        assert!(!two_cpus || !row.contains("n/a"), "{size}: every figure measured (rustc builds the memcpy): {row}");
    }
    // The latency table: ipc-static -l against perf bench sched pipe.
    assert!(table.contains("| measurement | ipc-static mean (µs) | ipc-static p50 / p99 (µs) | perf bench (µs/op) |"), "{table}");
    for row in ["| pipe 2proc, 4 B x 20000 round trips, vs perf bench sched pipe", "| pipe 2thread, 4 B x 20000 round trips, vs perf bench sched pipe -T"] {
        assert!(table.contains(row), "missing row {row}: {table}");
    }
    // And over shmem, against the same perf runs.
    for row in ["| shmem 2proc, 4 B x 20000 round trips, vs perf bench sched pipe", "| shmem 2thread, 4 B x 20000 round trips, vs perf bench sched pipe -T"] {
        assert!(table.contains(row), "missing row {row}: {table}");
    }
    // Every row is a complete Markdown row of six cells.
    for line in table.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(line.matches(" | ").count(), 5, "{line}");
    }
    assert_eq!(fs::read_to_string(dir.join("bench.md")).unwrap(), *table);
    assert_eq!(script("bench.sh", &["--bogus"], &[]).code, Some(64));
}

// ---- interrupting the scripts: nothing of theirs may survive ---------------

/// `EXPERIMENTS_FULL=1` runs the long interruption campaign (`make experiments-full`).
fn full() -> bool {
    std::env::var("EXPERIMENTS_FULL").map(|v| !v.is_empty() && v != "0").unwrap_or(false)
}

/// Live (not zombie) processes whose environment holds `EXP_MARK=<mark>`:
/// everything a script started, wherever it was reparented. (pid, comm,
/// threads; "ipc-static describe" for an ipc-static without -b)
fn marked(mark: &str) -> Vec<(u32, String, usize)> {
    let needle = format!("EXP_MARK={mark}\0");
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else { return found };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(env) = fs::read(e.path().join("environ")) else { continue };
        if !env.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            continue;
        }
        let stat = fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next().unwrap_or('?')).unwrap_or('?');
        if state == 'Z' || state == 'X' {
            continue;
        }
        let mut comm = fs::read_to_string(e.path().join("comm")).unwrap_or_default().trim().to_string();
        // A benchmark run (with -b) rather than `ipc-static describe`.
        if comm == "ipc-static" && !fs::read(e.path().join("cmdline")).unwrap_or_default().split(|&b| b == 0).any(|a| a == b"-b") {
            comm = "ipc-static describe".to_string();
        }
        let threads = fs::read_dir(e.path().join("task")).map(|d| d.count()).unwrap_or(0);
        found.push((pid, comm, threads));
    }
    found
}

#[derive(Clone, Copy, Debug)]
enum When {
    /// A quiescing run has started (sync and sleep take over a second).
    Quiescing,
    /// A bare 2proc run has forked its sender: both processes are in the loop.
    LoopTwoProcesses,
    /// A bare 2thread run has its sender thread: the loop.
    LoopThread,
    /// Rows are being written and no benchmark process exists at this instant.
    BetweenRuns,
    /// bpftrace is tracing a 2proc run that has forked its sender.
    TracedLoop,
    /// After a fixed delay, wherever the script is.
    After(Duration),
}

struct Interrupted {
    code: Option<i32>,
    stderr: String,
    survivors: Vec<(u32, String, usize)>,
}

fn signal_number(signal: &str) -> i32 {
    match signal {
        "HUP" => 1,
        "INT" => 2,
        "TERM" => 15,
        _ => panic!("signal {signal}"),
    }
}

fn send(signal: &str, pid: u32, group: bool) {
    let target = if group { format!("-{pid}") } else { pid.to_string() };
    let _ = Command::new("kill").arg(format!("-{signal}")).arg("--").arg(target).status();
}

/// Runs scripts/NAME in a process group of its own (as a shell job is), waits
/// for `when`, sends `signal` (to the whole group as a terminal's Ctrl-C does,
/// or to the script alone; `twice`: again 20 ms later), and then waits, with
/// deadlines, for the script to exit and for every process it started to go.
/// How a signal is sent: which one, to the whole group or the script alone,
/// once or twice 20 ms apart.
#[derive(Clone, Copy, Debug)]
struct Send {
    signal: &'static str,
    group: bool,
    twice: bool,
}

fn interrupt(name: &str, args: &[&str], env: &[(&str, &Path)], csv: &Path, when: When, how: Send) -> Interrupted {
    let Send { signal, group, twice } = how;
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    use std::time::Instant;
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let mark = format!("{}-{}", std::process::id(), SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
    let errfile = std::env::temp_dir().join(format!("ipc-exp-interrupt-{mark}.err"));
    let mut cmd = Command::new(root().join("scripts").join(name));
    cmd.args(args).env("IPC_STATIC", binary()).env("EXP_MARK", &mark).process_group(0);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(Stdio::null()).stderr(fs::File::create(&errfile).unwrap()).spawn().unwrap();
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    let rows = |csv: &Path| fs::read_to_string(csv).map(|t| t.lines().count().saturating_sub(1)).unwrap_or(0);
    loop {
        let procs = marked(&mark);
        // Benchmark runs of the sweep itself: the check runs before it come
        // before its CSV.
        let started = csv.exists();
        let benches: Vec<_> = procs.iter().filter(|p| started && p.1 == "ipc-static").collect();
        let ready = match when {
            When::Quiescing => !benches.is_empty(),
            When::LoopTwoProcesses => benches.len() >= 2,
            When::LoopThread => benches.iter().any(|p| p.2 >= 2),
            When::BetweenRuns => rows(csv) >= 1 && !procs.iter().any(|p| p.1 == "ipc-static" || p.1 == "timeout"),
            When::TracedLoop => procs.iter().any(|p| p.1 == "bpftrace") && benches.len() >= 2,
            When::After(d) => {
                std::thread::sleep(d);
                true
            }
        };
        if ready {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{name} {args:?} ended ({status}) before {when:?}: {}", fs::read_to_string(&errfile).unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "{name} {args:?}: never reached {when:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
    send(signal, pid, group);
    if twice {
        std::thread::sleep(Duration::from_millis(20));
        send(signal, pid, group);
    }
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            send("KILL", pid, true);
            panic!("{name} {args:?}: still running 60 s after SIG{signal} at {when:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // Everything it started must be gone: give the kernel a moment to reap.
    let gone_by = Instant::now() + Duration::from_secs(5);
    let mut survivors = marked(&mark);
    while !survivors.is_empty() && Instant::now() < gone_by {
        std::thread::sleep(Duration::from_millis(10));
        survivors = marked(&mark);
    }
    for p in &survivors {
        let _ = Command::new("kill").arg("-KILL").arg(p.0.to_string()).status();
    }
    let stderr = fs::read_to_string(&errfile).unwrap_or_default();
    let _ = fs::remove_file(&errfile);
    eprintln!("--- {name} {args:?}: SIG{signal} ({}{}) at {when:?}: exit {code:?}, survivors {survivors:?}\n{stderr}",
        if group { "group" } else { "script only" }, if twice { ", twice" } else { "" });
    Interrupted { code, stderr, survivors }
}

/// A CSV line split into fields, honouring double-quoted fields.
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// After an interruption: whole rows only, each key once, no partial files.
fn assert_consistent_sweep(dir: &Path, label: &str) -> usize {
    // Interrupted before its first run: nothing recorded, nothing to check.
    let Ok(text) = fs::read_to_string(dir.join("results.csv")) else { return 0 };
    let mut lines = text.lines();
    let header = csv_fields(lines.next().unwrap_or(""));
    let status = header.iter().position(|h| h == "status").unwrap_or_else(|| panic!("{label}: no header: {text}"));
    let mut keys = std::collections::HashSet::new();
    for l in lines {
        let f = csv_fields(l);
        assert_eq!(f.len(), header.len(), "{label}: a whole row: {l}");
        assert!(f[status] == "ok" || f[status] == "failed", "{label}: {l}");
        assert!(keys.insert(f[..6].join(",")), "{label}: a row twice: {l}");
    }
    if let Ok(raw) = fs::read_dir(dir.join("raw")) {
        for e in raw.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            assert!(!n.ends_with(".tmp"), "{label}: a partial file was left: {n}");
        }
    }
    keys.len()
}

fn assert_clean_interruption(r: &Interrupted, signal: &str, label: &str) {
    assert!(r.survivors.is_empty(), "{label}: processes of the script survived it: {:?}\n{}", r.survivors, r.stderr);
    assert_eq!(r.code, Some(128 + signal_number(signal)), "{label}: exit 128+SIG{signal}\n{}", r.stderr);
    assert!(r.stderr.contains("to resume, run the same command again: "), "{label}: says how to resume\n{}", r.stderr);
    assert!(r.stderr.contains(&format!("interrupted by SIG{signal}")), "{label}\n{}", r.stderr);
}

struct Case {
    args: Vec<&'static str>,
    planned: usize,
    when: When,
    signal: &'static str,
    group: bool,
    twice: bool,
}

fn sweep_cases() -> Vec<Case> {
    let c = |args: &[&'static str], planned, when, signal, group, twice| Case { args: args.to_vec(), planned, when, signal, group, twice };
    vec![
        // Quiescing (sync, 1 s sleep) in 2proc, Ctrl-C to the whole group.
        c(&["-n", "1", "-b", "64k", "-t", "1m", "-i", "pipe", "-m", "2proc"], 1, When::Quiescing, "INT", true, false),
        // The loop of a bare 2proc run (1-byte buffers: seconds), SIGTERM to the script alone.
        c(&["-B", "-n", "1", "-b", "1,64k", "-t", "256k", "-i", "pipe", "-m", "2proc"], 2, When::LoopTwoProcesses, "TERM", false, false),
        // The loop of a bare 2thread TCP run, SIGHUP to the group.
        c(&["-B", "-n", "1", "-b", "1,64k", "-t", "256k", "-i", "tcp", "-m", "2thread"], 2, When::LoopThread, "HUP", true, false),
        // Between runs, Ctrl-C twice to the script.
        c(&["-B", "-n", "10", "-b", "4k,64k", "-t", "256k", "-i", "pipe,local", "-m", "2thread,2proc"], 80, When::BetweenRuns, "INT", false, true),
        // Parallel runs, in the loop, Ctrl-C twice to the group.
        c(&["-B", "-n", "1", "-j", "2", "--allow-parallel", "-b", "1", "-t", "256k", "-i", "pipe,local", "-m", "2proc"], 2,
            When::LoopTwoProcesses, "INT", true, true),
    ]
}

#[test]
fn an_interrupted_sweep_leaves_no_process_and_resumes() {
    let scratch = Scratch::new("interrupt");
    let mut cases = sweep_cases();
    if full() {
        // The campaign: random moments (start-up, quiescing, loops, JSON
        // writes, between runs), every signal, group or script only.
        let signals = ["INT", "TERM", "HUP"];
        for k in 0..150usize {
            let ms = (k * 7919) % 2500;
            let args: Vec<&'static str> = match k % 3 {
                0 => vec!["-B", "-n", "20", "-b", "4k,64k,1m", "-t", "16m", "-i", "pipe,local,tcp", "-m", "2thread,2proc"],
                1 => vec!["-n", "2", "-b", "4k,1m", "-t", "16m", "-i", "pipe,local", "-m", "1thread,2proc"],
                _ => vec!["-B", "-n", "40", "-j", "2", "--allow-parallel", "-b", "4k,64k", "-t", "16m", "-i", "pipe,tcp", "-m", "2thread,2proc"],
            };
            let planned = match k % 3 { 0 => 360, 1 => 16, _ => 320 };
            // Every sweep with every signal, to the group and to the script alone.
            let (signal, group) = (signals[(k / 3) % 3], (k / 9) % 2 == 0);
            cases.push(Case { args, planned, when: When::After(Duration::from_millis(ms as u64)), signal, group, twice: k % 5 == 0 });
        }
    }
    let mut resumed = 0;
    for (k, case) in cases.iter().enumerate() {
        let dir = scratch.join(&format!("run {k}"));
        let mut args = vec!["-o", s(&dir)];
        args.extend_from_slice(&case.args);
        let label = format!("case {k}: {:?} SIG{} at {:?}", case.args, case.signal, case.when);
        let how = Send { signal: case.signal, group: case.group, twice: case.twice };
        let r = interrupt("sweep.sh", &args, &[], &dir.join("results.csv"), case.when, how);
        if r.code == Some(0) {
            // (the campaign only) it finished before the signal landed
            assert!(r.survivors.is_empty(), "{label}: {:?}", r.survivors);
            continue;
        }
        if r.code.is_none() && matches!(case.when, When::After(_)) {
            // (the campaign only) the signal landed while bash was starting,
            // before the script's first line set its traps: nothing ran yet.
            assert!(r.survivors.is_empty(), "{label}: {:?}", r.survivors);
            assert!(!dir.join("results.csv").exists(), "{label}: killed by SIG{} before its first line, yet it wrote", case.signal);
            continue;
        }
        assert_clean_interruption(&r, case.signal, &label);
        let recorded = assert_consistent_sweep(&dir, &label);
        assert!(recorded < case.planned, "{label}: interrupted before the end");
        // The quick cases resume to the end; the campaign resumes one in ten.
        if !full() || k % 10 == 0 {
            let again = script("sweep.sh", &args, &[]);
            assert_eq!(again.code, Some(0), "{label}: the resumed sweep");
            assert!(again.stderr.contains(&format!("{recorded} already in")), "{label}: {}", again.stderr);
            assert_eq!(assert_consistent_sweep(&dir, &label), case.planned, "{label}: every run once after resuming");
            resumed += 1;
        }
        let _ = fs::remove_dir_all(&dir);
    }
    eprintln!("{} interruptions, {resumed} resumed", cases.len());
}

#[test]
fn an_interrupted_probe_effect_leaves_no_process_and_resumes() {
    let scratch = Scratch::new("interrupt probe");
    let tracer = fake_tracer(&scratch);
    let real_tracing = is_root() && have("bpftrace");
    let mut cases: Vec<(&str, When, &str, bool, Option<&Path>)> = vec![
        // The untraced run's loop (2proc, 1-byte buffers), Ctrl-C to the group.
        ("fake", When::LoopTwoProcesses, "INT", true, Some(&tracer)),
        // Start-up, SIGTERM to the script alone.
        ("early", When::After(Duration::from_millis(30)), "TERM", false, Some(&tracer)),
    ];
    if real_tracing {
        // bpftrace tracing the loop: SIGHUP to the group, then to the script alone.
        cases.push(("real group", When::TracedLoop, "HUP", true, None));
        if full() {
            cases.push(("real script", When::TracedLoop, "INT", false, None));
        }
    } else {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root with bpftrace");
        eprintln!("SKIPPED: the traced cases need root and bpftrace");
    }
    for (name, when, signal, group, fake) in cases {
        let dir = scratch.join(name);
        // One pair under bpftrace (seconds each), two with the stand-in.
        let n = if fake.is_some() { "2" } else { "1" };
        let args = ["-o", s(&dir), "-n", n, "-a", "loop-returns", "--", "-B", "-b", "1", "-t", "256k", "2proc"];
        let env: Vec<(&str, &Path)> = fake.map(|t| vec![("TRACE_SH", t)]).unwrap_or_default();
        let r = interrupt("probe-effect.sh", &args, &env, &dir.join("runs.csv"), when, Send { signal, group, twice: false });
        assert_clean_interruption(&r, signal, name);
        let again = script("probe-effect.sh", &args, &env);
        assert_eq!(again.code, Some(0), "{name}: resumed");
        let text = fs::read_to_string(dir.join("runs.csv")).unwrap();
        let runs: Vec<String> = text.lines().skip(1).map(|l| csv_fields(l)[..2].join(" ")).collect();
        let want: &[&str] = if n == "2" { &["1 untraced", "1 traced", "2 untraced", "2 traced"] } else { &["1 untraced", "1 traced"] };
        assert_eq!(runs, want, "{name}: every run once, in order");
    }
}

/// Where interruption is documented, the early-signal caveat is too: a
/// signal that lands while bash is still reading the script's functions
/// (the traps set) is lost and the sweep runs on. It is a race of a few
/// milliseconds here (measured by hand: 12 of 720 SIGINTs sent 0-6 ms after
/// the start), too rare to provoke in a test, so the test holds the
/// documentation to it: the caveat and its workaround in docs/experiments.md
/// and in both scripts' headers.
#[test]
fn the_early_signal_race_is_documented_with_its_workaround() {
    let header = |name: &str| -> String {
        let text = fs::read_to_string(root().join("scripts").join(name)).unwrap();
        text.lines().take_while(|l| l.starts_with('#')).map(|l| l.trim_start_matches('#').trim()).collect::<Vec<_>>().join(" ")
    };
    let flat = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let docs = flat(&fs::read_to_string(root().join("docs/experiments.md")).unwrap());
    for (place, text, workaround) in [
        ("sweep.sh", flat(&header("sweep.sh")), "Wait for the first progress line"),
        ("probe-effect.sh", flat(&header("probe-effect.sh")), "wait for the first line"),
        ("docs/experiments.md", docs.clone(), "wait for the first progress line"),
    ] {
        assert!(text.contains("can be lost"), "{place}: the lost early signal");
        assert!(text.contains("still reading the script's function"), "{place}: why");
        assert!(text.contains(workaround), "{place}: the workaround");
        assert!(text.contains("signal it again") || text.contains("send the signal again"), "{place}: signal again");
    }
    assert!(docs.contains("SIGTERM is no cure, only rarer"), "docs: SIGTERM is lost too");
}

/// A comparison interrupted in its first moments, after its .meta and raw/
/// but before runs.csv (or with runs.csv cut before its header), is resumed,
/// not refused as another comparison (a SIGTERM 30 ms in, on a loaded
/// machine, left exactly that); a runs.csv with other columns still is.
#[test]
fn a_probe_effect_cut_before_its_first_row_resumes() {
    let scratch = Scratch::new("probe cut early");
    let tracer = fake_tracer(&scratch);
    let dir = scratch.join("cut");
    let args = ["-o", s(&dir), "-n", "1", "-a", "loop-returns", "--", "-B", "-b", "4096", "-t", "64k", "2thread"];
    let env = [("TRACE_SH", tracer.as_path())];
    let csv = dir.join("runs.csv");
    let rows = || fs::read_to_string(&csv).unwrap().lines().skip(1).map(|l| csv_fields(l)[..2].join(" ")).collect::<Vec<_>>();
    assert_eq!(script("probe-effect.sh", &args, &env).code, Some(0));
    for cut in ["runs.csv missing", "runs.csv empty"] {
        if cut.ends_with("missing") {
            fs::remove_file(&csv).unwrap();
        } else {
            fs::write(&csv, "").unwrap();
        }
        let again = script("probe-effect.sh", &args, &env);
        assert_eq!(again.code, Some(0), "{cut}: {}", again.stderr);
        assert_eq!(rows(), ["1 untraced", "1 traced"], "{cut}");
    }
    fs::write(&csv, "run,kind,something_else\n").unwrap();
    let refused = script("probe-effect.sh", &args, &env);
    assert_eq!(refused.code, Some(64), "{}", refused.stderr);
    assert!(refused.stderr.contains("holds another comparison"), "{}", refused.stderr);
}
