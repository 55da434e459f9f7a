//! The parser's tests: the grammar, its messages, and the usage.

use super::*;

fn parse_str(args: &[&str]) -> Result<Command, String> {
    parse(args.iter().map(|a| a.as_bytes())).map_err(|e| {
        let mut out = Vec::new();
        e.render(&mut out);
        String::from_utf8(out).unwrap()
    })
}

fn config(args: &[&str]) -> Config {
    match parse_str(args) {
        Ok(Command::Run(config)) => config,
        other => panic!("{args:?} gave {other:?}"),
    }
}

#[test]
fn defaults_match_the_lab() {
    let c = config(&["2thread"]);
    assert_eq!(c.buffer_size, 131072);
    assert_eq!(c.total_size, 16777216);
    assert_eq!(c.block_count(), 128);
    assert_eq!(c.port, 10141);
    assert_eq!(c.ipc, IpcType::Pipe);
    assert_eq!(c.mode, Mode::TwoThread);
    assert!(!c.bare && !c.quiet && !c.size_kernel_buffers && !c.verbose);
    assert!(!c.prefault, "buffers stay untouched unless -F");
}

#[test]
fn prefault_is_a_flag_that_groups() {
    assert!(config(&["-F", "2proc"]).prefault);
    let c = config(&["-BFq", "-b4096", "1thread"]);
    assert!(c.prefault && c.bare && c.quiet);
}

#[test]
fn long_help_is_help_only_among_the_options() {
    assert_eq!(parse_str(&["--help"]), Ok(Command::Help));
    assert_eq!(parse_str(&["-B", "--help", "2thread"]), Ok(Command::Help));
    // After --, or as the mode, it is an operand like any other word.
    assert!(parse_str(&["--", "--help"]).is_err());
    assert!(parse_str(&["2thread", "--help"]).is_err());
    // Other long options stay unknown.
    assert!(parse_str(&["--helpme", "2thread"]).is_err());
}

#[test]
fn no_arguments_is_the_usage() {
    assert_eq!(parse_str(&[]), Ok(Command::Usage));
    assert_eq!(parse_str(&["-h"]), Ok(Command::Help));
}

#[test]
fn grouped_flags_and_attached_values() {
    let c = config(&["-Bqv", "-b4096", "-ilocal", "-t", "8192", "-p10200", "1thread"]);
    assert!(c.bare && c.quiet && c.verbose);
    assert_eq!((c.buffer_size, c.total_size, c.port), (4096, 8192, 10200));
    assert_eq!(c.ipc, IpcType::Local);
    // A value-taking option ends its group: the rest is its value.
    let c = config(&["-Bb", "1024", "-sitcp", "2proc"]);
    assert!(c.bare && c.size_kernel_buffers);
    assert_eq!((c.buffer_size, c.ipc, c.mode), (1024, IpcType::Tcp, Mode::TwoProc));
}

#[test]
fn double_dash_ends_options() {
    assert_eq!(config(&["-B", "--", "2proc"]).mode, Mode::TwoProc);
    assert_eq!(parse_str(&["--", "-B"]).unwrap_err(), "unknown mode (1thread, 2thread, 2proc or describe): '-B'");
    assert_eq!(parse_str(&["-B", "--"]).unwrap_err(), "missing mode (1thread, 2thread, 2proc or describe)");
}

#[test]
fn repeated_options_take_the_last() {
    assert_eq!(config(&["-b", "1", "-b", "2", "-t", "4", "1thread"]).buffer_size, 2);
    assert_eq!(config(&["-i", "tcp", "-i", "local", "1thread"]).ipc, IpcType::Local);
}

#[test]
fn size_suffixes_are_powers_of_1024() {
    let c = config(&["-b", "4k", "-t", "1M", "1thread"]);
    assert_eq!((c.buffer_size, c.total_size), (4096, 1 << 20));
    assert_eq!(config(&["-b", "1g", "-t", "2G", "1thread"]).total_size, 2 << 30);
}

#[test]
fn errors_say_what_is_wrong() {
    let cases: &[(&[&str], &str)] = &[
        (&["-x", "2thread"], "unknown option -- x"),
        (&["-Bz", "2thread"], "unknown option -- z"),
        (&["2thread", "-b"], "unexpected argument after the mode: '-b'"),
        (&["-b"], "option requires an argument -- b"),
        (&["-B"], "missing mode (1thread, 2thread, 2proc or describe)"),
        (&["3thread"], "unknown mode (1thread, 2thread, 2proc or describe): '3thread'"),
        (&["2thread", "extra"], "unexpected argument after the mode: 'extra'"),
        (&["-b", "abc", "2thread"], "buffer size is not a positive decimal number: 'abc'"),
        (&["-b", "-5", "2thread"], "buffer size is not a positive decimal number: '-5'"),
        (&["-b", "+5", "2thread"], "buffer size is not a positive decimal number: '+5'"),
        (&["-b", "", "2thread"], "buffer size is not a positive decimal number: ''"),
        (&["-b", "k", "2thread"], "buffer size is not a positive decimal number: 'k'"),
        (&["-b", "0", "2thread"], "buffer size must be positive: '0'"),
        (&["-t", "0", "2thread"], "total size must be positive: '0'"),
        (&["-t", "1.5", "2thread"], "total size is not a positive decimal number: '1.5'"),
        (&["-t", "18446744073709551616", "2thread"], "total size is too large: '18446744073709551616'"),
        (&["-t", "18014398509481984k", "2thread"], "total size is too large: '18014398509481984k'"),
        (&["-b", "300", "-t", "1000", "2thread"], "total size 1000 is not a multiple of buffer size 300"),
        (&["-b", "2048", "-t", "1024", "2thread"], "total size 1024 is not a multiple of buffer size 2048"),
        (&["-i", "shm", "2thread"], "unknown IPC type (pipe, local, tcp or shmem): 'shm'"),
        (&["-s", "-i", "shmem", "2thread"], "-s sizes kernel buffers: shmem has none"),
        (&["-p", "65536", "2thread"], "invalid TCP port (1..65535, or 0 for any free port): '65536'"),
        (&["-p", "-1", "2thread"], "invalid TCP port (1..65535, or 0 for any free port): '-1'"),
        (&["-p", "http", "2thread"], "invalid TCP port (1..65535, or 0 for any free port): 'http'"),
    ];
    for (args, message) in cases {
        assert_eq!(parse_str(args).unwrap_err(), *message, "for {args:?}");
    }
}

#[test]
fn huge_sizes_that_still_divide_are_refused_only_if_unmappable() {
    // u64::MAX-sized buffers cannot be mapped twice over.
    let max = u64::MAX.to_string();
    assert_eq!(
        parse_str(&["-b", &max, "-t", &max, "1thread"]).unwrap_err(),
        "buffer size too large for this machine"
    );
    let c = config(&["-b", "1", "-t", &max, "1thread"]);
    assert_eq!(c.block_count(), u64::MAX);
}

#[test]
fn non_utf8_arguments_are_escaped() {
    let args: [&[u8]; 2] = [b"-i", b"p\xffpe\n"];
    let err = parse(args.iter().copied()).unwrap_err();
    let mut out = Vec::new();
    err.render(&mut out);
    assert_eq!(out, b"unknown IPC type (pipe, local, tcp or shmem): 'p\\xffpe\\x0a'");
}

#[test]
fn sizing_pipes_depends_on_the_os() {
    let result = parse_str(&["-s", "2thread"]);
    if PIPES_CAN_BE_SIZED {
        assert!(config(&["-s", "2thread"]).size_kernel_buffers);
    } else {
        assert!(result.unwrap_err().starts_with("-s needs a socket"));
    }
    assert!(config(&["-s", "-i", "local", "2thread"]).size_kernel_buffers);
}

#[test]
fn shmem_is_an_ipc_type_in_every_mode() {
    for mode in ["1thread", "2thread", "2proc"] {
        let c = config(&["-i", "shmem", "-b", "4k", "-t", "1m", mode]);
        assert_eq!((c.ipc, c.ipc.name()), (IpcType::Shmem, "shmem"));
    }
}

#[test]
fn port_zero_means_any() {
    assert_eq!(config(&["-p", "0", "-i", "tcp", "2thread"]).port, 0);
    assert_eq!(config(&["-p", "65535", "2thread"]).port, 65535);
}

#[test]
fn instrumentation_flags() {
    let c = config(&["-jg", "-n", "200", "-P", "dcache", "-a", "0,1", "2proc"]);
    assert!(c.json && c.rusage);
    assert_eq!(c.iterations, 200);
    assert_eq!(c.counters, Some(CounterSet::Dcache));
    assert_eq!(c.affinity, Some(Affinity { receiver: 0, sender: Some(1) }));
    let c = config(&["-a1", "-Psw", "-n1", "1thread"]);
    assert_eq!(c.affinity, Some(Affinity { receiver: 1, sender: None }));
    assert_eq!(c.counters, Some(CounterSet::Sw));
    assert_eq!(config(&["2thread"]).iterations, 1);
    assert_eq!(parse_str(&["describe"]), Ok(Command::Describe { json: false }));
    assert_eq!(parse_str(&["-v", "-j", "describe"]), Ok(Command::Describe { json: true }));
}

#[test]
fn instrumentation_errors() {
    let cases: &[(&[&str], &str)] = &[
        (&["-n", "0", "2thread"], "invalid iteration count (a positive decimal number): '0'"),
        (&["-n", "x", "2thread"], "invalid iteration count (a positive decimal number): 'x'"),
        (&["-P", "l2", "2thread"], "unknown counter set (arch, dcache, instr, tlbmem or sw): 'l2'"),
        (&["-a", "", "2thread"], "invalid CPU list (cpu or receiver_cpu,sender_cpu; 0..1023): ''"),
        (&["-a", "0,1,2", "2thread"], "invalid CPU list (cpu or receiver_cpu,sender_cpu; 0..1023): '0,1,2'"),
        (&["-a", "1024", "2thread"], "invalid CPU list (cpu or receiver_cpu,sender_cpu; 0..1023): '1024'"),
        (&["-a", "0,", "2thread"], "invalid CPU list (cpu or receiver_cpu,sender_cpu; 0..1023): '0,'"),
        (&["-a", "0,1", "1thread"], "-a with two CPUs needs two sides (2thread or 2proc)"),
        (&["-q", "-j", "2thread"], "-q and -j contradict each other (nothing, or JSON, on stdout)"),
        (&["describe", "x"], "unexpected argument after the mode: 'x'"),
    ];
    for (args, message) in cases {
        assert_eq!(parse_str(args).unwrap_err(), *message, "for {args:?}");
    }
}

#[test]
fn the_grammar_table_matches_the_usage_and_the_names() {
    let mut out = Vec::new();
    render_usage(&mut out);
    let usage = String::from_utf8(out).unwrap();
    let synopsis = usage.split("\n\n").next().unwrap();
    // The flags group of the synopsis: `[-BFghjqsv]`.
    let flags = synopsis
        .split("[-")
        .filter_map(|group| group.split_once(']').map(|(letters, _)| letters))
        .find(|group| group.len() > 1 && group.chars().all(|c| c.is_ascii_alphabetic()))
        .expect("a [-flags] group in the synopsis");
    let mut letters = std::collections::HashSet::new();
    for option in OPTIONS {
        let letter = option.letter as char;
        assert!(letters.insert(letter), "-{letter} twice in the table");
        assert!(
            usage.contains(&format!("    -{letter} ")) || usage.contains(&format!("    -{letter}, ")),
            "-{letter} is not explained in the usage"
        );
        match option.action {
            Action::Value(_) => {
                assert!(!option.message.is_empty(), "-{letter} has no message");
                assert!(synopsis.contains(&format!("[-{letter} ")), "-{letter} is not in the synopsis");
            }
            Action::Flag(_) | Action::Help => {
                assert!(option.message.is_empty(), "-{letter} takes no value, so no message");
                assert!(flags.contains(letter), "-{letter} is not a synopsis flag");
            }
        }
    }
    assert_eq!(letters.len(), flags.len() + 7);
    for &(name, ipc) in IPC_TYPES {
        assert_eq!(ipc.name().as_bytes(), name);
    }
    for &(name, set) in COUNTER_SETS {
        assert_eq!(set.name().as_bytes(), name);
    }
    for &(name, mode) in MODES {
        assert_eq!(mode.name().as_bytes(), name);
    }
}

#[test]
fn usage_lists_the_defaults() {
    let mut out = Vec::new();
    render_usage(&mut out);
    let usage = String::from_utf8(out).unwrap();
    for default in ["131072", "16777216", "10141", "(default: pipe)"] {
        assert!(usage.contains(default), "usage lacks {default}");
    }
}
