//! Shared helpers for the black-box tests: they run the very `./ipc-static`
//! (and `./ipc-dynamic`) that `make` builds in the checkout's root.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The checkout's root (the parent of `tests/`).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `./ipc-static`, which `make` must have built before the tests run.
pub fn binary() -> PathBuf {
    let path = root().join("ipc-static");
    assert!(path.exists(), "{} is missing: run `make` first (make test does)", path.display());
    path
}

/// `./ipc-dynamic`, the same code linked dynamically.
pub fn dynamic_binary() -> PathBuf {
    let path = root().join("ipc-dynamic");
    assert!(path.exists(), "{} is missing: run `make` first (make test does)", path.display());
    path
}

/// The result of one run, with stdout and stderr as text.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs `./ipc-static` with `args` under a 60-second watchdog (`timeout`),
/// so that a hang fails the test instead of stalling CI.
pub fn run(args: &[&str]) -> Run {
    Command::new("timeout")
        .arg("60")
        .arg(binary())
        .args(args)
        .output()
        .expect("run ipc-static")
        .into()
}

/// True when the tests run as root (strace and bpftrace need it in CI).
pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false)
}

/// True when `tool` is on PATH.
pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool} >/dev/null 2>&1"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The bandwidth line: `<digits>.<2 digits> KBytes/sec`, a positive figure.
pub fn is_bandwidth_line(line: &str) -> bool {
    let Some(number) = line.strip_suffix(" KBytes/sec") else { return false };
    let Some((whole, fraction)) = number.split_once('.') else { return false };
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.len() == 2
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && number.parse::<f64>().is_ok_and(|v| v > 0.0)
}
