//! What a trace of ipc-static shows: the purity budget counted with
//! `strace -f`, the two real clock_gettime stamps, no heap, static linkage
//! and size.

use ipc_static_tests::{binary, dynamic_binary, have, is_root};
use std::process::Command;

/// One system call from `strace -f -o`: its name, in order of entry.
fn traced_calls(args: &[&str]) -> Vec<String> {
    let log = std::env::temp_dir().join(format!("ipc-static-purity-{}-{}.strace", std::process::id(), args.join("_")));
    let status = Command::new("timeout")
        .args(["120", "strace", "-f", "-qq", "-o"])
        .arg(&log)
        .arg(binary())
        .args(args)
        .status()
        .expect("strace");
    assert!(status.success(), "strace ipc-static {args:?} failed: {status}");
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    text.lines()
        .filter_map(|line| {
            // "PID  name(args...) = ret" or "PID  name(args <unfinished ...>".
            let rest = line.split_once(char::is_whitespace)?.1.trim_start();
            if rest.starts_with("<...") || rest.starts_with("---") || rest.starts_with("+++") {
                return None;
            }
            let name = rest.split('(').next()?;
            (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')).then(|| name.to_string())
        })
        .collect()
}

fn strace_available() -> bool {
    if have("strace") {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "strace is missing in CI (make test installs it)");
    eprintln!("SKIPPED: strace is not installed");
    false
}

struct Budget {
    outside: usize,
    clock_gettime: usize,
    brk: usize,
    writes_in_loop: usize,
    others_in_loop: Vec<String>,
}

/// Outside the loop: every call but the stamps and the loop's own read,
/// write and poll (in a -q run every read and write is the loop's: the
/// receiver's first read is entered before the start stamp, yet returns
/// inside the bracket), wherever it falls: the sender's end inside the
/// bracket counts too.
fn budget(calls: &[String]) -> Budget {
    let stamps: Vec<usize> = calls.iter().enumerate().filter(|(_, c)| *c == "clock_gettime").map(|(i, _)| i).collect();
    assert_eq!(stamps.len(), 2, "exactly two clock_gettime calls: {calls:?}");
    let inside = &calls[stamps[0] + 1..stamps[1]];
    let loop_calls = |c: &&String| matches!(c.as_str(), "read" | "write" | "poll");
    Budget {
        outside: calls.iter().filter(|c| !loop_calls(c) && *c != "clock_gettime").count(),
        clock_gettime: stamps.len(),
        brk: calls.iter().filter(|c| *c == "brk").count(),
        writes_in_loop: inside.iter().filter(|c| *c == "write").count(),
        others_in_loop: inside.iter().filter(|c| !loop_calls(c)).cloned().collect(),
    }
}

#[test]
fn the_purity_budget_holds_in_every_mode() {
    if !strace_available() {
        return;
    }
    // (mode, most calls outside the loop, the kinds allowed inside it besides
    // read/write/poll, the C original's count here)
    let modes: [(&str, usize, &[&str], usize); 3] =
        [("1thread", 6, &[], 23), ("2thread", 10, &["exit"], 33), ("2proc", 12, &["exit_group", "close"], 24)];
    for (mode, limit, allowed, original) in modes {
        let calls = traced_calls(&["-B", "-q", "-i", "pipe", "-b", "131072", "-t", "16m", mode]);
        let b = budget(&calls);
        eprintln!(
            "{mode}: {} calls outside the loop (budget {limit}, C original {original}), \
             {} clock_gettime, {} brk, {} writes in the loop, other calls in the loop: {:?}",
            b.outside, b.clock_gettime, b.brk, b.writes_in_loop, b.others_in_loop
        );
        assert_eq!(calls.first().map(String::as_str), Some("execve"));
        assert!(b.outside <= limit, "{mode}: {} calls outside the loop > {limit}: {calls:?}", b.outside);
        assert_eq!(b.brk, 0, "{mode}: brk means something allocates");
        // Only the sender's end (and in 2proc the parent's close of its copy
        // of the writer) may join read/write/poll in the loop.
        assert!(b.others_in_loop.len() <= allowed.len(), "{mode}: {:?}", b.others_in_loop);
        for call in &b.others_in_loop {
            assert!(allowed.contains(&call.as_str()), "{mode}: {call} inside the loop");
        }
        if mode != "1thread" {
            // 16 MiB in 128 KiB buffers: every write moves a whole buffer.
            assert_eq!(b.writes_in_loop, 128, "{mode}: writes must equal the block count");
        }
        if mode == "2thread" {
            // No C library thread: no signal masks, no robust lists.
            for call in ["rt_sigprocmask", "set_robust_list", "rseq", "munmap", "rt_sigaction"] {
                assert!(!calls.contains(&call.to_string()), "{mode}: {call}: {calls:?}");
            }
        }
    }
}

/// The 2thread sender's stack is the start of the run's one mapping, just
/// above a PROT_NONE guard page, and the thread is a bare clone(2).
#[test]
fn the_sender_stack_sits_above_a_guard_page_in_the_runs_mapping() {
    if !strace_available() {
        return;
    }
    let log = std::env::temp_dir().join(format!("ipc-static-guard-{}.strace", std::process::id()));
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=mmap,mprotect,clone,clone3", "-o"])
        .arg(&log)
        .arg(binary())
        .args(["-B", "-q", "-b", "65536", "-t", "1m", "2thread"])
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    let hex = |s: &str| u64::from_str_radix(s.trim().trim_start_matches("0x"), 16).unwrap_or_else(|_| panic!("{s:?}: {text}"));
    let line = |name: &str| text.lines().find(|l| l.contains(&format!("{name}("))).unwrap_or_else(|| panic!("no {name}: {text}"));
    // One mapping: guard page, 64 KiB of stack, both 64 KiB buffers.
    let mmap = line("mmap");
    assert!(mmap.contains(&format!("mmap(NULL, {}, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS", 4096 + 65536 * 3)), "{mmap}");
    let base = hex(mmap.rsplit("= ").next().unwrap());
    let mprotect = line("mprotect");
    assert_eq!(mprotect.split_once("mprotect(").unwrap().1.split(')').next().unwrap(), format!("{base:#x}, 4096, PROT_NONE"), "{text}");
    let clone = line("clone");
    assert!(!text.contains("clone3("), "{text}");
    // CLONE_PARENT_SETTID: the kernel's word that it made the thread.
    for flag in [
        "CLONE_VM",
        "CLONE_FS",
        "CLONE_FILES",
        "CLONE_SIGHAND",
        "CLONE_THREAD",
        "CLONE_SYSVSEM",
        "CLONE_CHILD_CLEARTID",
        "CLONE_SETTLS",
        "CLONE_PARENT_SETTID",
    ] {
        assert!(clone.contains(flag), "{flag}: {clone}");
    }
    assert!(clone.contains("tls=NULL"), "no thread pointer: {clone}");
    assert!(!clone.contains("CLONE_DETACHED"), "not the C library's pthread_create: {clone}");
    let stack = hex(clone.split("child_stack=").nth(1).unwrap().split(',').next().unwrap());
    // The stack's top is the end of the 64 KiB above the guard.
    assert_eq!(stack, base + 4096 + 65536, "{text}");
}

#[test]
fn stamps_are_real_system_calls_and_nothing_allocates_with_output_on() {
    if !strace_available() {
        return;
    }
    for ipc in ["pipe", "local", "tcp"] {
        for mode in ["1thread", "2thread", "2proc"] {
            let calls = traced_calls(&["-B", "-v", "-i", ipc, "-p", "0", "-t", "1m", "-b", "64k", mode]);
            let b = budget(&calls);
            assert_eq!((b.clock_gettime, b.brk), (2, 0), "{mode} {ipc}");
            assert_eq!(calls.last().map(String::as_str), Some("exit_group"), "{mode} {ipc}");
        }
    }
}

#[test]
fn tcp_listens_only_on_loopback_and_closes_the_listener_before_the_loop() {
    if !strace_available() {
        return;
    }
    let log = std::env::temp_dir().join(format!("ipc-static-tcp-{}.strace", std::process::id()));
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=bind,listen,close,clock_gettime", "-o"])
        .arg(&log)
        .arg(binary())
        .args(["-B", "-q", "-i", "tcp", "-p", "0", "-t", "1m", "2thread"])
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    let bind = text.lines().find(|l| l.contains("bind(")).expect("a bind call");
    assert!(bind.contains("sin_addr=inet_addr(\"127.0.0.1\")"), "{bind}");
    let listener_fd = bind.split("bind(").nth(1).unwrap().split(',').next().unwrap().to_string();
    let close_at = text.find(&format!("close({listener_fd})")).expect("the listener is closed");
    let first_stamp = text.find("clock_gettime(").expect("a stamp");
    assert!(close_at < first_stamp, "listener closed after the loop started:\n{text}");
}

#[test]
fn the_binary_is_static_small_and_has_no_allocator() {
    let elf = std::fs::read(binary()).unwrap();
    assert_eq!(&elf[..4], b"\x7fELF");
    assert!(!has_interpreter(&elf), "./ipc-static asks for a dynamic loader");
    assert!(has_interpreter(&std::fs::read(dynamic_binary()).unwrap()), "./ipc-dynamic should be dynamic");
    eprintln!("./ipc-static is {} bytes (aim: under 65536, ceiling 131072)", elf.len());
    assert!(elf.len() < 128 * 1024, "{} bytes is over the 128 KiB ceiling", elf.len());
    if symbol_file().to_string_lossy().contains("-musl/") {
        // The musl build (static glibc, the fallback, is far larger).
        assert!(elf.len() <= 64 * 1024, "{} bytes is over the static musl build's 64 KiB", elf.len());
        // No loader would make it read-only: it would only pad the file.
        assert_eq!(program_headers(&elf).filter(|&t| t == PT_GNU_RELRO).count(), 0, "a RELRO segment");
        // Nothing unwinds it (link/no-unwind-tables.ld): no table to find
        // unwind tables by.
        assert_eq!(program_headers(&elf).filter(|&t| t == PT_GNU_EH_FRAME).count(), 0, "an unwind table index");
    }
    if have("nm") {
        let out = Command::new("nm").arg(symbol_file()).output().unwrap();
        let symbols = String::from_utf8_lossy(&out.stdout);
        assert!(symbols.lines().count() > 20, "the symbol table should be kept");
        for line in symbols.lines() {
            let name = line.rsplit(' ').next().unwrap_or("");
            assert!(
                !matches!(name, "malloc" | "calloc" | "realloc" | "free" | "sbrk" | "brk" | "__rust_alloc"),
                "allocator symbol {name} linked in"
            );
            // core::fmt, in v0 (_RNv..4core3fmt..) and legacy (core..fmt..)
            // mangling: a formatted panic message somewhere pulls it in.
            assert!(!name.contains("4core3fmt") && !name.contains("core..fmt.."), "core::fmt linked in: {name}");
        }
    } else {
        assert!(std::env::var_os("CI").is_none(), "nm missing in CI");
    }
}

/// Cargo's unstripped artifact of the static build (./ipc-static is its
/// stripped copy): the musl target's, or the gnu one built with +crt-static.
fn symbol_file() -> std::path::PathBuf {
    let target = ipc_static_tests::root().join("target");
    ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl", "x86_64-unknown-linux-gnu"]
        .iter()
        .map(|t| target.join(t).join("release").join("ipc-static"))
        .find(|p| p.exists() && !has_interpreter(&std::fs::read(p).unwrap()))
        .expect("the static build's artifact under target/")
}

const PT_INTERP: u32 = 3;
const PT_GNU_RELRO: u32 = 0x6474_e552;
const PT_GNU_EH_FRAME: u32 = 0x6474_e550;

/// The types of the ELF64 file's program headers.
fn program_headers(elf: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (entry_size, count) = (u16_at(0x36), u16_at(0x38));
    (0..count).map(move |i| {
        let at = phoff + i * entry_size;
        u32::from_le_bytes(elf[at..at + 4].try_into().unwrap())
    })
}

/// True if the ELF64 file has a PT_INTERP program header.
fn has_interpreter(elf: &[u8]) -> bool {
    program_headers(elf).any(|t| t == PT_INTERP)
}

#[test]
fn the_dynamic_build_runs_the_same_code() {
    let out = Command::new(dynamic_binary()).args(["-B", "-v", "-t", "1m", "2proc"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("  mode: 2proc\n"));
    let _ = is_root();
}
