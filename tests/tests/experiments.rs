//! The experiment scripts end to end: scripts/sweep.sh, scripts/plot.sh,
//! scripts/probe-effect.sh and scripts/bench.sh (`make bench QUICK=1`), run
//! against the very ./ipc-static that `make` builds. Every run is tiny, so
//! each test takes seconds. Output directories have a space and a `$(...)` in
//! their names: the scripts must quote every expansion and never evaluate one.

use ipc_static_tests::{binary, dynamic_binary, have, is_root, root};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

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

const HEADER: &str = "ipc,sflag,mode,buffersize,totalsize,trial,bandwidth_kbps,time_s,status,error";

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
        assert_eq!(r.len(), 10, "{r:?}");
        assert!(r[0] == "pipe" || r[0] == "local", "{r:?}");
        assert_eq!(r[1], "0");
        assert_eq!(r[2], "2thread");
        assert!(r[3] == "4096" || r[3] == "65536", "{r:?}");
        assert_eq!(r[4], "262144");
        let bw: f64 = r[6].parse().unwrap();
        let t: f64 = r[7].parse().unwrap();
        assert!(bw > 0.0 && t > 0.0, "{r:?}");
        assert_eq!(r[8], "ok");
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
    assert!(out.stderr.contains("refuses the extra arguments"), "{}", out.stderr);
    assert!(!dir.join("results.csv").exists());
    // Help is not an error.
    let help = script("sweep.sh", &["-h"], &[]);
    assert_eq!(help.code, Some(0));
    assert!(help.stdout.contains("usage: scripts/sweep.sh"));
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
        "ipc,sflag,mode,buffersize,totalsize,trial,bandwidth_kbps,time_s,utime_s,stime_s,minflt,majflt,nvcsw,nivcsw,status,error"
    );
    assert_eq!(rows.len(), 12);
    for r in &rows {
        assert_eq!(r[14], "ok", "{r:?}");
        assert!(r[10].parse::<u64>().is_ok(), "minflt is a count: {r:?}");
    }
    assert!(rows.iter().any(|r| r[0] == "local" && r[1] == "1"), "local-s is local with sflag 1");
}

#[test]
fn plot_writes_svg_png_and_summary_naming_every_config() {
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
    let svg = fs::read_to_string(dir.join("bandwidth.svg")).unwrap();
    assert!(svg.contains("<svg"));
    for series in ["pipe 2thread", "local 2thread", "local -s 2thread"] {
        assert!(svg.contains(series), "the SVG names {series}");
    }
    assert!(svg.contains("MiB/s") && svg.contains("KiB"), "axes in MiB/s and B/KiB/MiB");
    let host = fs::read_to_string(dir.join("host.txt")).unwrap();
    let cpu = host.lines().find_map(|l| l.trim().strip_prefix("cpu_model:")).unwrap().trim().to_string();
    assert!(svg.contains(&cpu), "titled with the CPU model {cpu}");
    let png = fs::read(dir.join("bandwidth.png")).unwrap();
    assert!(png.len() > 1000 && png.starts_with(b"\x89PNG"), "a real PNG");
    let summary = fs::read_to_string(dir.join("summary.txt")).unwrap();
    assert!(summary.contains("Peak bandwidth"), "{summary}");
    assert!(summary.contains("local -s/pipe"), "ratios between configs: {summary}");
    assert_eq!(summary.matches(" MiB/s at ").count(), 3, "one peak per series: {summary}");
    // Usage errors.
    assert_eq!(script("plot.sh", &[], &[]).code, Some(64));
    assert_eq!(script("plot.sh", &[s(&scratch.join("nothing here"))], &[]).code, Some(64));
}

#[test]
fn probe_effect_compares_untraced_and_traced_runs() {
    let scratch = Scratch::new("probe");
    // With a stand-in tracer (any machine): the interleaving, the CSV and the report.
    let tracer = scratch.join("fake trace.sh");
    write_script(
        &tracer,
        "a=\"$1\"; shift; [ \"$1\" = -o ] && { out=\"$2\"; shift 2; }; [ \"$1\" = -- ] && shift\n\
         echo \"traced by $a\" >\"$out\"\nexec \"$IPC_STATIC\" \"$@\"\n",
    );
    let dir = scratch.join("fake");
    let out = script(
        "probe-effect.sh",
        &["-o", s(&dir), "-n", "3", "-a", "loop-returns", "--", "-B", "-t", "256k", "2thread"],
        &[("TRACE_SH", &tracer)],
    );
    assert_eq!(out.code, Some(0));
    let text = fs::read_to_string(dir.join("runs.csv")).unwrap();
    let kinds: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(kinds, ["untraced", "traced", "untraced", "traced", "untraced", "traced"], "interleaved");
    assert!(out.stdout.contains("ratio traced/untraced (medians): "), "{}", out.stdout);
    assert!(fs::read_to_string(dir.join("traces/trace-2.txt")).unwrap().contains("traced by loop-returns"));
    if have("gnuplot") {
        assert!(dir.join("probe-effect.svg").exists() && dir.join("probe-effect.png").exists());
    }
    for bad in [&["-n", "0"][..], &["-a", "nope"], &["--", "-q", "2thread"]] {
        let mut args = vec!["-o", s(&dir)];
        args.extend_from_slice(bad);
        assert_eq!(script("probe-effect.sh", &args, &[("TRACE_SH", &tracer)]).code, Some(64), "{bad:?}");
    }

    // With the real scripts/trace.sh and bpftrace (root): a tiny real comparison.
    if !root().join("scripts/trace.sh").exists() {
        eprintln!("SKIPPED: scripts/trace.sh is not there yet: no real traced comparison");
        return;
    }
    if !(is_root() && need("bpftrace")) {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root with bpftrace");
        eprintln!("SKIPPED: tracing needs root and bpftrace");
        return;
    }
    let real = scratch.join("real");
    let out = script("probe-effect.sh", &["-o", s(&real), "-n", "1", "--", "-B", "-t", "1m", "2thread"], &[]);
    assert_eq!(out.code, Some(0));
    assert!(out.stdout.contains("ratio traced/untraced (medians): "), "{}", out.stdout);
    let trace = fs::read_to_string(real.join("traces/trace-1.txt")).unwrap();
    assert!(!trace.trim().is_empty(), "the analysis wrote its output");
}

#[test]
fn bench_quick_prints_its_table() {
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
    }
    // Every row is a complete Markdown row of six cells.
    for line in table.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(line.matches(" | ").count(), 5, "{line}");
    }
    assert_eq!(fs::read_to_string(dir.join("bench.md")).unwrap(), *table);
    assert_eq!(script("bench.sh", &["--bogus"], &[]).code, Some(64));
}
