#!/bin/bash
# io-count.sh: how many read(2) and write(2) calls did a program make, and how
# many bytes did they move, counted by the kernel rather than by a tracer?
#
#   scripts/io-count.sh PROGRAM [ARGS...]
#   IO_COUNT_BIN=PROGRAM IO_COUNT_FILE=FILE scripts/io-count.sh [ARGS...]
#
# Runs PROGRAM as its child, waits for it, and prints one line (to
# $IO_COUNT_FILE when set, else to stderr):
#   reads=N writes=N read_bytes=N write_bytes=N
# the read-side and write-side system calls and bytes of PROGRAM and of
# everything it waited for (the 2proc sender, the 2thread sender thread).
# Exits with PROGRAM's status (127, with one line, when there is no such
# program). With IO_COUNT_BIN set, every argument is
# PROGRAM's: that is how scripts/probe-effect.sh puts it under a tracer's -c,
# which passes no quoting (IPC_STATIC=scripts/io-count.sh).
#
# How: Linux keeps per-task I/O counters (/proc/PID/io: syscr, syscw, rchar,
# wchar) and adds a child's to its parent's when the parent reaps it. This
# shell reads its own counters, runs PROGRAM in the foreground (so it reaps
# it), and reads them again; the reads that the snapshots themselves make are
# measured (two snapshots back to back) and taken out. No probe is attached:
# the count costs the program nothing.
#
# Example (this machine, Linux 6.18):
#   $ scripts/io-count.sh ./ipc-static -B -q -b 65536 -t 1m 2thread
#   reads=19 writes=16 read_bytes=1049640 write_bytes=1048576
#   $ scripts/io-count.sh ./ipc-static -h >/dev/null
#   reads=3 writes=1 read_bytes=1064 write_bytes=1850
# 16 loop reads of 64 KiB plus execve's 3 reads of the ELF file (1064 bytes);
# 16 writes, and with -q no output.
#
# Caveats:
# - The counts cover the whole program: execve's reads of the binary (3 for
#   the static ipc-static), and a write per flush of its output (one for a
#   run's text or JSON). probe-effect.sh measures both with `PROGRAM -h` and
#   subtracts them.
# - read/write on pipes and sockets count, and so do readv, pread and the
#   like; recv/send and poll do not. A failed read (EAGAIN in 1thread) counts.
# - Linux only (CONFIG_TASK_IO_ACCOUNTING). Elsewhere, or without
#   /proc/self/io, it prints "reads= writes= read_bytes= write_bytes=".
set -u

if [ -n "${IO_COUNT_BIN:-}" ]; then
    set -- "$IO_COUNT_BIN" "$@"
fi
if [ "$#" = 0 ]; then
    printf 'usage: scripts/io-count.sh PROGRAM [ARGS...]\n' >&2
    exit 64
fi
# A program that is not there: one line and 127, as env(1) says it (a path
# lookup makes no read or write, so nothing is counted yet).
if ! type -P -- "$1" >/dev/null; then
    printf 'io-count.sh: %s: no such program\n' "$1" >&2
    exit 127
fi

# value KEY: the number after "KEY: " in $text (parameter expansion only:
# a subshell's own reads would be added to this shell's when it is reaped).
value() {
    local v="${text#*"$1": }"
    [ "$v" != "$text" ] || { got=; return 0; }
    got="${v%%$'\n'*}"
}

# snap: sets r, w, rb, wb and len (the bytes this snapshot read) from this
# shell's own counters: one read(2), plus the one that finds the end.
snap() {
    text=
    r= w= rb= wb= len=0
    [ -r "/proc/$BASHPID/io" ] || return 0
    IFS= read -r -d '' -N 4096 text <"/proc/$BASHPID/io"
    len=${#text}
    value syscr; r=$got
    value syscw; w=$got
    value rchar; rb=$got
    value wchar; wb=$got
}

snap; r0=$r
snap; r1=$r w1=$w rb1=$rb wb1=$wb len1=$len
"$@"
rc=$?
snap
line="reads= writes= read_bytes= write_bytes="
if [ -n "$r0" ] && [ -n "$r" ]; then
    # The second snapshot's own reads: as many calls as the first made, and
    # exactly the bytes it read.
    line="reads=$((r - r1 - (r1 - r0))) writes=$((w - w1))"
    line="$line read_bytes=$((rb - rb1 - len1)) write_bytes=$((wb - wb1))"
fi
if [ -n "${IO_COUNT_FILE:-}" ]; then
    { printf '%s\n' "$line" >"$IO_COUNT_FILE"; } 2>/dev/null ||
        printf 'io-count.sh: cannot write the counts to %s\n' "$IO_COUNT_FILE" >&2
else
    printf '%s\n' "$line" >&2
fi
exit "$rc"
