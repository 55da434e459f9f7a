#!/bin/bash
# bench.sh: the performance report of the ipc-static binary itself (`make bench`).
#
#   scripts/bench.sh [--quick] [-r rounds] [-o DIR]
#
# Prints three tables (Markdown). The first compares ./ipc-static with
# ./ipc-dynamic (the same code, dynamically linked) and with a shell `dd | dd`
# pipeline moving the same bytes in the same block size:
#   - pipe at 1-byte buffers (system-call bound, 1 MiB) and 128 KiB buffers
#     (copy bound, 256 MiB), 2proc (two processes, like the pipeline): wall
#     time from start to exit, and the loop's bandwidth as ipc-static reports it
#   - the whole-process cost of a 1-byte run (start to exit) per mode: a tight
#     loop of runs, timed
#   - binary size; peak RSS per mode (GNU time %M, else python3's getrusage)
#   - system calls outside the loop per mode (strace -f; the convention of the
#     purity tests: everything but the two clock_gettime stamps and the loop's
#     reads, writes and polls, which in a -B -q run are all of them; the
#     sender's exit inside the bracket counts), for a pipe and for shmem (its
#     futex calls, the loop's, not counted);
# a second table: shmem (-i shmem -F) beside a plain memcpy of the same
# buffers (scripts/bench-memcpy.rs, built with rustc for ipc-static's target
# so that it is the same C library's memcpy: one pre-touched, page-aligned
# buffer copied into another as often, pinned to CPU 0 with taskset when it
# is there) at 64 KiB, 1 MiB and 16 MiB, per mode and placement: shmem
# copies each block twice (in, then out) and hands it over, memcpy once, so
# 0.5 is the ceiling of their ratio (the second copy reading a slot still
# in the cache can nudge 1thread past it);
# and a third table, latency: 4-byte round trips (-l) over pipes, then over
# shmem, against `perf bench sched pipe` (which ping-pongs an int over two
# pipes), 2proc against its default (two processes) and 2thread against
# its -T (two threads), the two tools interleaved in every round and both pinned the
# same way, `taskset -c 0` (both sides on CPU 0: on a small VM, placement
# decides the result more than anything else). Its ratio is ipc-static's
# mean over perf's, so <= 1 means ipc-static is no slower; perf reports a
# mean only, ipc-static's p50 and p99 are shown beside it. Without perf
# (linux-perf) the row says n/a.
# Every figure is the median of R paired rounds (default 7; the programs run
# in a rotating order within a round) and every ratio the median of the
# per-round ratios, written so that > 1 means ipc-static is better.
# --quick: 3 rounds and smaller totals (CI). -o DIR keeps the table
# (DIR/bench.md) and the raw measurements (DIR/raw/); without it they go to a
# temporary directory that is removed at exit. Numbers are never asserted.
# The binaries are $IPC_STATIC / $IPC_DYNAMIC when set, else the checkout's.
set -euo pipefail

EX_USAGE=64
EX_UNAVAILABLE=69
prog=bench.sh

die_usage() {
    printf '%s: %s\nusage: scripts/bench.sh [--quick] [-r rounds] [-o DIR]\n' "$prog" "$1" >&2
    exit "$EX_USAGE"
}

quick=0
rounds=
outdir=
while [ "$#" -gt 0 ]; do
    case "$1" in
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        --quick | -q) quick=1; shift ;;
        -r) [ "$#" -ge 2 ] || die_usage "-r needs a value"; rounds="$2"; shift 2 ;;
        -o) [ "$#" -ge 2 ] || die_usage "-o needs a value"; outdir="$2"; shift 2 ;;
        *) die_usage "unknown argument '$1'" ;;
    esac
done
if [ "$quick" = 1 ]; then
    : "${rounds:=3}"
    small_total=$((64 * 1024)) big_total=$((32 * 1024 * 1024)) loop_runs=20 round_trips=20000 shmem_total=$((32 * 1024 * 1024))
else
    : "${rounds:=7}"
    small_total=$((1024 * 1024)) big_total=$((256 * 1024 * 1024)) loop_runs=100 round_trips=200000 shmem_total=$((256 * 1024 * 1024))
fi
case "$rounds" in '' | *[!0-9]*) die_usage "rounds must be a whole number >= 1, not '$rounds'" ;; esac
[ "${#rounds}" -le 4 ] && [ "$((10#$rounds))" -ge 1 ] || die_usage "rounds must be between 1 and 9999"
rounds=$((10#$rounds))
if [ -n "$outdir" ]; then
    [ -e "$outdir" ] && [ ! -d "$outdir" ] && die_usage "$outdir exists and is not a directory"
fi

top=$(cd "$(dirname "$0")/.." && pwd)
static="${IPC_STATIC:-$top/ipc-static}"
dynamic="${IPC_DYNAMIC:-$top/ipc-dynamic}"
if [ ! -x "$static" ]; then
    printf '%s: %s is missing: run make first\n' "$prog" "$static" >&2
    exit "$EX_UNAVAILABLE"
fi
have_dynamic=1
[ -x "$dynamic" ] || { have_dynamic=0; printf '%s: warning: %s is missing; its column is n/a\n' "$prog" "$dynamic" >&2; }

if [ -n "$outdir" ]; then
    if ! mkdir_err=$(mkdir -p -- "$outdir/raw" 2>&1); then
        printf '%s: cannot create %s: %s\n' "$prog" "$outdir/raw" "${mkdir_err##*: }" >&2
        exit 73 # EX_CANTCREAT
    fi
    work="$outdir/raw"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/ipc-bench.XXXXXX")
    trap 'rm -rf -- "$work"' EXIT
fi
trap 'printf "\n%s: interrupted\n" "$prog" >&2; exit 130' INT TERM

# ---- helpers -----------------------------------------------------------------
now_us() { local t="${EPOCHREALTIME/,/.}"; printf '%s\n' "$(( ${t%.*} * 1000000 + 10#${t#*.} ))"; }
median() { sort -g | awk '{ v[++n] = $1 } END { if (n == 0) { print "n/a"; exit } print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'; }
# fmt NUMBER DECIMALS: n/a stays n/a
fmt() { case "$1" in n/a | '') printf 'n/a' ;; *) printf "%.${2}f" "$1" ;; esac; }
# ratio A B: A / B per line pairs of two files, then the median
ratio_median() { paste -d ' ' "$1" "$2" | awk '$1 > 0 && $2 > 0 { print $1 / $2 }' | median; }
human() {
    if [ "$1" -ge 1048576 ] && [ $(($1 % 1048576)) = 0 ]; then printf '%d MiB' $(($1 / 1048576))
    elif [ "$1" -ge 1024 ] && [ $(($1 % 1024)) = 0 ]; then printf '%d KiB' $(($1 / 1024))
    else printf '%d B' "$1"; fi
}
progress() { printf '%s: %s\n' "$prog" "$*" >&2; }

# wall_run FILE-PREFIX CMD...: runs CMD once; appends its wall time (ms) to
# PREFIX.ms and, if it printed a bandwidth line, the KBytes/sec to PREFIX.bw.
wall_run() {
    local prefix="$1" t0 t1 rc=0
    shift
    t0=$(now_us)
    "$@" >"$prefix.out" 2>"$prefix.err" </dev/null || rc=$?
    t1=$(now_us)
    if [ "$rc" != 0 ]; then
        printf '%s: %s failed (exit %s): %s\n' "$prog" "$*" "$rc" "$(head -n 1 "$prefix.err")" >&2
        return 0
    fi
    awk -v t=$((t1 - t0)) 'BEGIN { printf "%.3f\n", t / 1000 }' >>"$prefix.ms"
    awk '/ KBytes\/sec$/ { print $1; exit }' "$prefix.out" >>"$prefix.bw"
}

ddpipe() { # ddpipe BLOCK COUNT: the shell pipeline
    dd if=/dev/zero bs="$1" count="$2" 2>/dev/null | dd of=/dev/null bs="$1" 2>/dev/null
}

rows=()
row() { # row CELLS...: one Markdown table row
    local line="|" cell
    for cell in "$@"; do line="$line $cell |"; done
    rows+=("$line")
}

# ---- A: pipe transfers, 2proc, against dynamic and dd | dd -------------------
transfer() { # transfer NAME BLOCK TOTAL
    local name="$1" b="$2" t="$3" r k order p
    local count=$((t / b))
    rm -f -- "$work/$name".*.ms "$work/$name".*.bw
    progress "$(human "$b") buffers x $(human "$t"), $rounds rounds"
    for ((r = 1; r <= rounds; r++)); do
        # rotate who goes first, so drift and warm-up fall on all three alike
        case $((r % 3)) in
            1) order="static dynamic dd" ;;
            2) order="dynamic dd static" ;;
            0) order="dd static dynamic" ;;
        esac
        for p in $order; do
            case "$p" in
                static) wall_run "$work/$name.static" "$static" -B -i pipe -b "$b" -t "$t" 2proc ;;
                dynamic) [ "$have_dynamic" = 1 ] && wall_run "$work/$name.dynamic" "$dynamic" -B -i pipe -b "$b" -t "$t" 2proc ;;
                dd) wall_run "$work/$name.dd" ddpipe "$b" "$count" ;;
            esac
        done
    done
    touch "$work/$name.static.ms" "$work/$name.dynamic.ms" "$work/$name.dd.ms" \
        "$work/$name.static.bw" "$work/$name.dynamic.bw"
    local sm dm xm sb db adv_d adv_x adv_db label
    sm=$(median <"$work/$name.static.ms")
    dm=$(median <"$work/$name.dynamic.ms")
    xm=$(median <"$work/$name.dd.ms")
    sb=$(median <"$work/$name.static.bw")
    db=$(median <"$work/$name.dynamic.bw")
    adv_d=$(ratio_median "$work/$name.dynamic.ms" "$work/$name.static.ms")
    adv_x=$(ratio_median "$work/$name.dd.ms" "$work/$name.static.ms")
    adv_db=$(ratio_median "$work/$name.static.bw" "$work/$name.dynamic.bw")
    label="pipe 2proc, $(human "$b") x $(human "$t")"
    row "$label: wall time, start to exit (ms)" "$(fmt "$sm" 1)" "$(fmt "$dm" 1)" "$(fmt "$xm" 1)" \
        "$(fmt "$adv_d" 2)" "$(fmt "$adv_x" 2)"
    local xb=n/a
    [ "$xm" != n/a ] && xb=$(awk -v t="$t" -v ms="$xm" 'BEGIN { print t / 1024 / (ms / 1000) }')
    row "$label: bandwidth (KBytes/s; ipc-static: its loop; dd: bytes / wall time)" \
        "$(fmt "$sb" 0)" "$(fmt "$db" 0)" "$(fmt "$xb" 0)" "$(fmt "$adv_db" 2)" "-"
}

# ---- B: whole-process cost of a 1-byte run -----------------------------------
loop_cost() { # loop_cost PREFIX CMD...: appends the µs per run of a tight loop
    local prefix="$1" t0 t1 i
    shift
    t0=$(now_us)
    for ((i = 0; i < loop_runs; i++)); do
        "$@" >/dev/null 2>&1 </dev/null || { printf '%s: %s failed\n' "$prog" "$*" >&2; return 0; }
    done
    t1=$(now_us)
    awk -v t=$((t1 - t0)) -v n="$loop_runs" 'BEGIN { printf "%.1f\n", t / n }' >>"$prefix.us"
}
process_cost() {
    local m r
    progress "whole-process cost of 1-byte runs, $loop_runs runs x $rounds rounds per mode"
    rm -f -- "$work"/cost.*.us
    for ((r = 1; r <= rounds; r++)); do
        loop_cost "$work/cost.true" /bin/true
        for m in 1thread 2thread 2proc; do
            if [ $((r % 2)) = 1 ]; then
                loop_cost "$work/cost.static.$m" "$static" -B -q -b 1 -t 1 "$m"
                [ "$have_dynamic" = 1 ] && loop_cost "$work/cost.dynamic.$m" "$dynamic" -B -q -b 1 -t 1 "$m"
            else
                [ "$have_dynamic" = 1 ] && loop_cost "$work/cost.dynamic.$m" "$dynamic" -B -q -b 1 -t 1 "$m"
                loop_cost "$work/cost.static.$m" "$static" -B -q -b 1 -t 1 "$m"
            fi
        done
    done
    for m in 1thread 2thread 2proc; do
        touch "$work/cost.static.$m.us" "$work/cost.dynamic.$m.us"
        row "whole process, 1-byte run, $m (µs per run, start to exit)" \
            "$(fmt "$(median <"$work/cost.static.$m.us")" 0)" "$(fmt "$(median <"$work/cost.dynamic.$m.us")" 0)" "-" \
            "$(fmt "$(ratio_median "$work/cost.dynamic.$m.us" "$work/cost.static.$m.us")" 2)" "-"
    done
    row "for scale: fork and exec of /bin/true from bash (µs per run)" \
        "$(fmt "$(median <"$work/cost.true.us")" 0)" "-" "-" "-" "-"
}

# ---- C, D: size and peak RSS -------------------------------------------------
peak_rss_kib() { # peak_rss_kib CMD...: max RSS of the run in KiB, or nothing
    if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then
        /usr/bin/time -f %M -o "$work/rss.tmp" "$@" >/dev/null 2>&1 </dev/null && tail -n 1 "$work/rss.tmp"
    elif command -v python3 >/dev/null 2>&1; then
        python3 -c 'import resource, subprocess, sys
if subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
    fi
}
rss_tool=n/a
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then rss_tool="GNU time %M"
elif command -v python3 >/dev/null 2>&1; then rss_tool="python3 getrusage"; fi
size_and_rss() {
    local ss ds m r v
    ss=$(stat -c %s -- "$static" 2>/dev/null || wc -c <"$static")
    ds=n/a
    [ "$have_dynamic" = 1 ] && ds=$(stat -c %s -- "$dynamic" 2>/dev/null || wc -c <"$dynamic")
    row "binary size (bytes; ipc-dynamic needs libc.so besides)" "$ss" "$ds" "-" \
        "$( [ "$ds" != n/a ] && fmt "$(awk -v a="$ds" -v b="$ss" 'BEGIN { print a / b }')" 2 || echo n/a)" "-"
    [ "$rss_tool" = n/a ] && { row "peak RSS: no GNU time nor python3 here" n/a n/a - n/a -; return 0; }
    progress "peak RSS per mode ($rss_tool), $rounds rounds"
    rm -f -- "$work"/rss.*.kib
    for ((r = 1; r <= rounds; r++)); do
        for m in 1thread 2thread 2proc; do
            v=$(peak_rss_kib "$static" -B -q -i pipe "$m") && [ -n "$v" ] && printf '%s\n' "$v" >>"$work/rss.static.$m.kib"
            if [ "$have_dynamic" = 1 ]; then
                v=$(peak_rss_kib "$dynamic" -B -q -i pipe "$m") && [ -n "$v" ] && printf '%s\n' "$v" >>"$work/rss.dynamic.$m.kib"
            fi
        done
    done
    for m in 1thread 2thread 2proc; do
        touch "$work/rss.static.$m.kib" "$work/rss.dynamic.$m.kib"
        row "peak RSS, -B -q -i pipe $m, 16 MiB in 128 KiB (KiB, $rss_tool)" \
            "$(fmt "$(median <"$work/rss.static.$m.kib")" 0)" "$(fmt "$(median <"$work/rss.dynamic.$m.kib")" 0)" "-" \
            "$(fmt "$(ratio_median "$work/rss.dynamic.$m.kib" "$work/rss.static.$m.kib")" 2)" "-"
    done
}

# ---- E: system calls outside the loop ---------------------------------------
# outside_calls BINARY MODE [IPC]: "outside total" from strace -f, or "n/a n/a".
outside_calls() {
    local log="$work/strace.$2.log" ipc="${3:-pipe}" loop='^(read|write|poll|ppoll)$'
    [ "$ipc" = shmem ] && loop='^futex$'
    if ! strace -f -qq -o "$log" "$1" -B -q -i "$ipc" "$2" >/dev/null 2>&1 </dev/null; then
        echo "n/a n/a"
        return 0
    fi
    awk -v loop="$loop" '
        {
            sub(/^[0-9]+[ \t]+/, "")
            if ($0 ~ /^(<\.\.\.|---|\+\+\+)/) next
            name = $0; sub(/\(.*/, "", name)
            if (name !~ /^[A-Za-z0-9_]+$/) next
            c[++n] = name
        }
        END {
            first = last = 0
            for (i = 1; i <= n; i++) if (c[i] == "clock_gettime") { if (!first) first = i; last = i }
            out = 0
            for (i = 1; i <= n; i++) {
                if (c[i] == "clock_gettime" && (i == first || i == last)) continue
                # -q: every read and write is the loop'"'"'s, the receiver'"'"'s
                # first read included (entered before the start stamp).
                # (shmem: every futex call, the join'"'"'s too, is counted as the loop'"'"'s.)
                if (c[i] ~ loop) continue
                out++
            }
            if (!first || first == last) print "n/a", n; else print out, n
        }' "$log"
}
syscalls() {
    local m so st do dt original
    if ! command -v strace >/dev/null 2>&1; then
        row "system calls outside the loop: strace is not installed" n/a n/a - n/a -
        return 0
    fi
    progress "system calls outside the loop (strace -f)"
    for m in 1thread 2thread 2proc; do
        read -r so st < <(outside_calls "$static" "$m")
        do=n/a dt=n/a
        [ "$have_dynamic" = 1 ] && read -r do dt < <(outside_calls "$dynamic" "$m")
        case "$m" in 1thread) original=23 ;; 2thread) original=33 ;; 2proc) original=24 ;; esac
        row "system calls outside the loop, -B -q -i pipe $m (of $st / $dt in all; the C original: $original)" \
            "$so" "$do" "-" \
            "$(case "$so$do" in *n/a*) echo n/a ;; *) fmt "$(awk -v a="$do" -v b="$so" 'BEGIN { print (b > 0) ? a / b : 0 }')" 2 ;; esac)" "-"
    done
    for m in 1thread 2thread 2proc; do
        read -r so st < <(outside_calls "$static" "$m" shmem)
        do=n/a dt=n/a
        [ "$have_dynamic" = 1 ] && read -r do dt < <(outside_calls "$dynamic" "$m" shmem)
        row "system calls outside the loop, -B -q -i shmem $m (of $st / $dt in all; futex calls not counted)" \
            "$so" "$do" "-" \
            "$(case "$so$do" in *n/a*) echo n/a ;; *) fmt "$(awk -v a="$do" -v b="$so" 'BEGIN { print (b > 0) ? a / b : 0 }')" 2 ;; esac)" "-"
    done
}

# ---- F: shmem beside a plain memcpy of the same buffers ----------------------
# scripts/bench-memcpy.rs, built for ipc-static's own target (the same C
# library's memcpy), pinned to CPU 0 with taskset when it is there.
memcpy_bin=
build_memcpy() {
    local target
    target=$("$top/scripts/static-target.sh" 2>/dev/null) || return 1
    rustc --edition 2021 -O --target "$target" "$top/scripts/bench-memcpy.rs" -o "$work/bench-memcpy" \
        >"$work/bench-memcpy.log" 2>&1 || return 1
    memcpy_bin="$work/bench-memcpy"
}
memcpy_kbps() { # memcpy_kbps SIZE TOTAL
    local pin=()
    command -v taskset >/dev/null 2>&1 && pin=(taskset -c 0)
    "${pin[@]}" "$memcpy_bin" "$1" "$2" 2>/dev/null || true
}
shmem_rows=()
shmem_vs_memcpy() {
    local size r p kbps cells ratio
    local places=("1thread:0" "2thread:0" "2thread:0,1" "2proc:0,1")
    if ! build_memcpy; then
        shmem_rows+=("| scripts/bench-memcpy.rs could not be built with rustc: no memcpy to compare with | n/a | n/a | n/a | n/a | n/a |")
        return 0
    fi
    progress "shmem beside memcpy at 64 KiB, 1 MiB, 16 MiB x $(human "$shmem_total"), $rounds rounds"
    for size in $((64 * 1024)) $((1024 * 1024)) $((16 * 1024 * 1024)); do
        rm -f -- "$work"/shm.*
        for ((r = 1; r <= rounds; r++)); do
            kbps=$(memcpy_kbps "$size" "$shmem_total")
            [ -n "$kbps" ] || continue
            for p in "${places[@]}"; do
                "$static" -B -F -a "${p#*:}" -i shmem -b "$size" -t "$shmem_total" "${p%%:*}" >"$work/shm.out" 2>/dev/null </dev/null || continue
                awk '/ KBytes\/sec$/ { print $1; exit }' "$work/shm.out" >>"$work/shm.$p.bw"
                awk -v a="$(tail -n 1 "$work/shm.$p.bw")" -v b="$kbps" 'BEGIN { print a / b }' >>"$work/shm.$p.ratio"
            done
            printf '%s\n' "$kbps" >>"$work/shm.memcpy"
        done
        touch "$work/shm.memcpy"
        cells="| $(human "$size") | $(fmt "$(median <"$work/shm.memcpy")" 0) |"
        for p in "${places[@]}"; do
            touch "$work/shm.$p.bw" "$work/shm.$p.ratio"
            ratio=$(median <"$work/shm.$p.ratio")
            cells="$cells $(fmt "$(median <"$work/shm.$p.bw")" 0) ($(fmt "$ratio" 2)) |"
        done
        shmem_rows+=("$cells")
    done
}

# ---- G: latency against perf bench sched pipe --------------------------------
latency_rows=()
# latency_row IPC MODE PERF-ARGS...: one row, ipc-static -l -i IPC MODE
# against perf bench sched pipe PERF-ARGS, interleaved, both under
# taskset -c 0.
latency_row() {
    local ipc="$1" mode="$2" r p ours theirs name="latency.$1.$2"
    shift 2
    local label="$ipc $mode, 4 B x $round_trips round trips, vs perf bench sched pipe${*:+ $*}"
    if ! command -v perf >/dev/null 2>&1 || ! command -v taskset >/dev/null 2>&1; then
        latency_rows+=("| $label: perf or taskset not installed | n/a | n/a | n/a | n/a | 0 |")
        return 0
    fi
    progress "latency, $ipc $mode against perf bench sched pipe${*:+ $*}, $round_trips round trips x $rounds rounds"
    rm -f -- "$work/$name".*
    touch "$work/$name.ours" "$work/$name.theirs"
    local kept=0
    for ((r = 1; r <= rounds; r++)); do
        for p in $([ $((r % 2)) = 1 ] && echo "ours theirs" || echo "theirs ours"); do
            if [ "$p" = ours ]; then
                ours=$(taskset -c 0 "$static" -B -j -l -i "$ipc" -b 4 -t $((4 * round_trips)) "$mode" 2>/dev/null |
                    tr -d '\n' | sed -n 's/.*"mean_ns": \([0-9]*\), "min_ns": [0-9]*, "p50_ns": \([0-9]*\), "p90_ns": [0-9]*, "p99_ns": \([0-9]*\).*/\1 \2 \3/p')
                [ -n "$ours" ] && printf '%s\n' "$ours" >>"$work/$name.ours"
            else
                theirs=$(taskset -c 0 perf bench sched pipe -l "$round_trips" "$@" 2>/dev/null | awk '/usecs\/op/ { print $1; exit }')
                [ -n "$theirs" ] && printf '%s\n' "$theirs" >>"$work/$name.theirs"
            fi
        done
        # A round counts only when both tools ran (the ratios pair lines).
        if [ "$(wc -l <"$work/$name.ours")" = $((kept + 1)) ] && [ "$(wc -l <"$work/$name.theirs")" = $((kept + 1)) ]; then
            kept=$((kept + 1))
        else
            printf '%s: latency round %d incomplete, dropped\n' "$prog" "$r" >&2
            for p in ours theirs; do
                head -n "$kept" "$work/$name.$p" >"$work/$name.tmp"
                mv -f -- "$work/$name.tmp" "$work/$name.$p"
            done
        fi
    done
    awk '{ print $1 / 1000 }' "$work/$name.ours" >"$work/$name.mean"
    local n mean p50 p99 perf_us ratio
    n=$(wc -l <"$work/$name.theirs")
    mean=$(median <"$work/$name.mean")
    p50=$(awk '{ print $2 / 1000 }' "$work/$name.ours" | median)
    p99=$(awk '{ print $3 / 1000 }' "$work/$name.ours" | median)
    perf_us=$(median <"$work/$name.theirs")
    ratio=$(ratio_median "$work/$name.mean" "$work/$name.theirs")
    latency_rows+=("| $label | $(fmt "$mean" 3) | $(fmt "$p50" 3) / $(fmt "$p99" 3) | $(fmt "$perf_us" 3) | $(fmt "$ratio" 3) | $n |")
}

# ---- run everything, print the table ----------------------------------------
started=$(now_us)
transfer small 1 "$small_total"
transfer big $((128 * 1024)) "$big_total"
process_cost
size_and_rss
syscalls
shmem_vs_memcpy
latency_row pipe 2proc
latency_row pipe 2thread -T
latency_row shmem 2proc
latency_row shmem 2thread -T
elapsed=$((($(now_us) - started) / 1000000))

cpu=$("$static" describe 2>/dev/null | sed -n 's/^[[:space:]]*cpu_model:[[:space:]]*//p' | head -n 1)
[ -n "$cpu" ] || cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
{
    printf '### ipc-static bench%s: %s, %s CPUs, %s %s\n\n' "$([ "$quick" = 1 ] && echo ' (quick)')" \
        "${cpu:-unknown CPU}" "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')" "$(uname -s)" "$(uname -r)"
    printf 'Medians of %d paired rounds (%ds in all). The last two columns are medians of the per-round\n' "$rounds" "$elapsed"
    printf 'ratios, oriented so that > 1 means ipc-static is better (faster, smaller, fewer calls).\n\n'
    printf '| measurement | ipc-static | ipc-dynamic | dd \\| dd | static vs dynamic | static vs dd \\| dd |\n'
    printf '|---|---:|---:|---:|---:|---:|\n'
    printf '%s\n' "${rows[@]}"
    printf '\nshmem beside memcpy (KBytes/s; in brackets shmem / memcpy, the median of the per-round\n'
    printf 'ratios): -i shmem -F, %s per run, against scripts/bench-memcpy.rs copying a pre-touched\n' "$(human "$shmem_total")"
    printf 'buffer of the same size into another as often (same memcpy, pinned to CPU 0). shmem copies\n'
    printf 'every block twice and hands it over, so 0.5 is the ceiling.\n\n'
    printf '| buffer | memcpy | shmem 1thread, CPU 0 | shmem 2thread, CPU 0 | shmem 2thread, CPUs 0,1 | shmem 2proc, CPUs 0,1 |\n'
    printf '|---|---:|---:|---:|---:|---:|\n'
    printf '%s\n' "${shmem_rows[@]}"
    printf '\nLatency: medians of %d interleaved rounds, both tools under `taskset -c 0` (every process\n' "$rounds"
    printf 'and thread of both on CPU 0). The ratio is the median of the per-round ratios of the means,\n'
    printf 'ipc-static over perf: <= 1 means ipc-static is no slower.\n\n'
    printf '| measurement | ipc-static mean (µs) | ipc-static p50 / p99 (µs) | perf bench (µs/op) | ipc-static / perf | rounds |\n'
    printf '|---|---:|---:|---:|---:|---:|\n'
    printf '%s\n' "${latency_rows[@]}"
} >"$work/bench.md"
cat -- "$work/bench.md"
[ -n "$outdir" ] && cp -- "$work/bench.md" "$outdir/bench.md"
exit 0
