//! The command line, the output formats and the error table, against the
//! built ./ipc-static.

use ipc_static_tests::{binary, is_bandwidth_line, run, Run};
use std::net::TcpListener;
use std::process::Command;

fn assert_usage_error(args: &[&str], message: &str) {
    let r = run(args);
    assert_eq!(r.code, Some(64), "{args:?}: {}", r.stderr);
    assert_eq!(r.stdout, "", "{args:?} wrote to stdout");
    let mut lines = r.stderr.lines();
    assert_eq!(lines.next(), Some(format!("ipc-static: {message}").as_str()), "{args:?}");
    assert!(lines.next().unwrap_or("").starts_with("usage: ipc-static "), "{args:?}: usage must follow");
}

#[test]
fn no_arguments_prints_the_usage_with_defaults() {
    let r = run(&[]);
    assert_eq!(r.code, Some(64));
    assert_eq!(r.stdout, "");
    assert!(r.stderr.starts_with("usage: ipc-static [-BFghjlqsv]"), "{}", r.stderr);
    for default in ["131072", "16777216", "10141", "default: pipe", "1thread", "2thread", "2proc"] {
        assert!(r.stderr.contains(default), "usage lacks {default}");
    }
}

#[test]
fn help_goes_to_stdout() {
    let r = run(&["-h"]);
    assert_eq!(r.code, Some(0));
    assert!(r.stdout.starts_with("usage: ipc-static"));
    assert!(r.stdout.contains("-F                 pre-fault"), "{}", r.stdout);
    assert_eq!(r.stderr, "");
    // --help, as the scripts accept it: the same usage, on stdout, exit 0.
    let long = run(&["--help"]);
    assert_eq!(long.code, Some(0));
    assert_eq!(long.stdout, r.stdout);
    assert_eq!(long.stderr, "");
}

#[test]
fn prefault_runs_and_says_so() {
    for mode in ["1thread", "2thread", "2proc"] {
        // Buffer sizes on whole pages and not (1000 B shares a page between the buffers).
        for (buffer, total) in [("65536", "1m"), ("1000", "1000000")] {
            let r = run(&["-B", "-F", "-v", "-b", buffer, "-t", total, mode]);
            assert_eq!(r.code, Some(0), "{mode} {buffer}: {}", r.stderr);
            assert!(r.stdout.contains("\n  prefault: yes\n"), "{mode}: {}", r.stdout);
            assert!(r.stdout.lines().last().is_some_and(is_bandwidth_line), "{mode}: {}", r.stdout);
        }
    }
    let r = run(&["-B", "-v", "-b", "65536", "-t", "1m", "2thread"]);
    assert!(!r.stdout.contains("prefault"), "only with -F: {}", r.stdout);
}

#[test]
fn every_mode_and_ipc_type_prints_one_bandwidth_line() {
    for mode in ["1thread", "2thread", "2proc"] {
        for ipc in ["pipe", "local", "tcp"] {
            let r = run(&["-B", "-i", ipc, "-p", "0", "-b", "8192", "-t", "1m", mode]);
            assert_eq!(r.code, Some(0), "{mode} {ipc}: {}", r.stderr);
            assert_eq!(r.stderr, "", "{mode} {ipc}");
            let lines: Vec<&str> = r.stdout.lines().collect();
            assert_eq!(lines.len(), 1, "{mode} {ipc}: {:?}", r.stdout);
            assert!(is_bandwidth_line(lines[0]), "{mode} {ipc}: {:?}", lines[0]);
            eprintln!("{mode:8} {ipc:6} {}", lines[0]);
        }
    }
}

#[test]
fn the_default_sizes_run() {
    let r = run(&["-B", "-i", "pipe", "2thread"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(is_bandwidth_line(r.stdout.trim_end()), "{:?}", r.stdout);
}

#[test]
fn verbose_prints_the_configuration_block_first() {
    let r = run(&["-v", "-B", "-i", "local", "-s", "-b", "1024", "-t", "1m", "2thread"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let all: Vec<&str> = r.stdout.lines().collect();
    // The host description comes first, then the lab's block.
    assert_eq!(all[0], "Host description:");
    let lines = &all[all.iter().position(|l| *l == "Benchmark configuration:").expect("the lab's block")..];
    assert_eq!(lines[1], "  buffersize: 1024");
    assert_eq!(lines[2], "  totalsize: 1048576");
    assert_eq!(lines[3], "  blockcount: 1024");
    assert_eq!(lines[4], "  mode: 2thread");
    assert_eq!(lines[5], "  ipctype: local");
    let time = lines.iter().find_map(|l| l.strip_prefix("  time: ")).expect("a time line");
    let (secs, nanos) = time.split_once('.').unwrap();
    assert!(secs.parse::<u64>().is_ok() && nanos.len() == 9, "time {time:?}");
    assert!(is_bandwidth_line(lines.last().unwrap()));
    // The bandwidth is the total over the time printed.
    let seconds: f64 = time.parse().unwrap();
    let printed: f64 = lines.last().unwrap().split(' ').next().unwrap().parse().unwrap();
    let expected = 1048576.0 / 1024.0 / seconds;
    assert!((printed - expected).abs() <= 0.01 + expected * 1e-9, "{printed} vs {expected}");
}

#[test]
fn quiet_prints_nothing() {
    for mode in ["1thread", "2thread", "2proc"] {
        let r = run(&["-q", "-B", "-t", "1m", "-b", "64k", mode]);
        assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (Some(0), "", ""), "{mode}");
    }
}

#[test]
fn getopt_grouping_attached_values_and_double_dash() {
    let r = run(&["-Bq", "-b4096", "-ipipe", "-t64k", "--", "1thread"]);
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), ""), "{}", r.stderr);
    let r = run(&["-Bvb", "4k", "-t", "8k", "1thread"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("  buffersize: 4096\n  totalsize: 8192\n  blockcount: 2\n"), "{}", r.stdout);
}

#[test]
fn a_buffer_larger_than_the_pipe_does_not_deadlock_one_thread() {
    for ipc in ["pipe", "local", "tcp"] {
        let r = run(&["-B", "-i", ipc, "-p", "0", "-b", "1048576", "-t", "4m", "1thread"]);
        assert_eq!(r.code, Some(0), "{ipc}: {}", r.stderr);
        assert!(is_bandwidth_line(r.stdout.trim_end()));
    }
}

#[test]
fn usage_errors_exit_64_with_one_line_then_the_usage() {
    let cases: &[(&[&str], &str)] = &[
        (&["-B"], "missing mode (1thread, 2thread, 2proc or describe)"),
        (&["4thread"], "unknown mode (1thread, 2thread, 2proc or describe): '4thread'"),
        (&["2thread", "2proc"], "unexpected argument after the mode: '2proc'"),
        (&["-X", "2thread"], "unknown option -- X"),
        (&["-b"], "option requires an argument -- b"),
        (&["-b", "0", "2thread"], "buffer size must be positive: '0'"),
        (&["-b", "12x", "2thread"], "buffer size is not a positive decimal number: '12x'"),
        (&["-t", "-1", "2thread"], "total size is not a positive decimal number: '-1'"),
        (&["-t", "99999999999999999999", "2thread"], "total size is too large: '99999999999999999999'"),
        (&["-b", "3000", "2thread"], "total size 16777216 is not a multiple of buffer size 3000"),
        (&["-i", "fifo", "2thread"], "unknown IPC type (pipe, local, tcp or shmem): 'fifo'"),
        (&["-s", "-i", "shmem", "2thread"], "-s sizes kernel buffers: shmem has none"),
        (&["-p", "65536", "-i", "tcp", "2thread"], "invalid TCP port (1..65535, or 0 for any free port): '65536'"),
    ];
    for (args, message) in cases {
        assert_usage_error(args, message);
    }
    eprintln!("{} usage errors checked", cases.len());
}

#[test]
fn a_port_in_use_is_an_os_error_naming_the_address() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let r = run(&["-B", "-i", "tcp", "-p", &port, "-b", "64k", "-t", "64k", "2thread"]);
    assert_eq!(r.code, Some(71), "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.starts_with(&format!("ipc-static: bind 127.0.0.1:{port}: ")), "{}", r.stderr);
}

fn run_shell(script: &str) -> Run {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(binary())
        .output()
        .expect("sh")
        .into()
}

#[test]
fn a_full_or_closed_stdout_is_an_io_error() {
    let r = run_shell("timeout 60 \"$1\" -B -t 1m 2thread >/dev/full");
    assert_eq!(r.code, Some(74), "{}", r.stderr);
    assert!(r.stderr.starts_with("ipc-static: write to standard output: "), "{}", r.stderr);
    let r = run_shell("timeout 60 \"$1\" -B -i local -t 1m 2thread >&-");
    assert_eq!(r.code, Some(74), "{}", r.stderr);
    assert!(r.stderr.starts_with("ipc-static: write to standard output: "), "{}", r.stderr);
    // With -q nothing is written, so a closed stdout is no error.
    let r = run_shell("timeout 60 \"$1\" -B -q -i local -t 1m 2thread >&-");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

#[test]
fn quiescing_takes_the_lab_s_sleeps() {
    // Without -B: a 1 s sleep before the loop, and in 2thread another 1 s in
    // the sender before it starts. The loop itself is a few milliseconds.
    let started = std::time::Instant::now();
    let r = run(&["-t", "64k", "-b", "64k", "2thread"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(started.elapsed().as_millis() >= 2000, "took {:?}", started.elapsed());
}
