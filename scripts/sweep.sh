#!/bin/bash
# sweep.sh: run ipc-static over a grid of IPC configurations, modes and buffer
# sizes, several trials each, appending one CSV row per finished run.
#
#   scripts/sweep.sh [-BF] [-o DIR] [-n trials] [-m modes] [-i configs]
#                    [-b sizes] [-t totalsize] [-a cpu[,cpu]] [-j jobs]
#                    [-l [-r round_trips]]
#                    [--allow-parallel] [--retry-failed] [--timeout SECONDS]
#                    [-- extra ipc-static args]
#
# Example (this machine: 2-core AMD EPYC VM, Linux 6.18, while other work ran):
#   $ scripts/sweep.sh -o results/pin -B -a 0 -n 3 -b 4k,128k -i pipe,local
#   sweep.sh: warning: the machine is busy (load average 0.88 on 2 CPUs over the last minute; 85% of CPU time used by other work in the last 0.3 s): expect noisy, even bimodal results; pin with -a, keep the trials interleaved (the default), or wait
#   sweep.sh: 12 runs planned, 0 already in results/pin/results.csv, 12 to do (bare, JSON, cpu0)
#   [ 1/12] pipe 2thread b=4096 trial 1/3: 1267923.72 KBytes/sec  load 0.88
#   [ 2/12] pipe 2thread b=131072 trial 1/3: 3475749.10 KBytes/sec  load 0.88  (about 1s left)
#   [ 3/12] local 2thread b=4096 trial 1/3: 898160.38 KBytes/sec  load 0.88  (about 1s left)
#   ...
#   [12/12] local 2thread b=131072 trial 3/3: 6989588.14 KBytes/sec  load 0.88  (about 1s left)
#   sweep.sh: done in 0s: 12 ok, 0 failed, 0 skipped; results in results/pin/results.csv
#   sweep.sh: load average before the runs: 0.88 to 0.88 (median 0.88); other tasks runnable at 2 of 12 run starts
#   $ scripts/sweep.sh -o results/shmem -B -a 0 -n 3 -b 4k,128k -i pipe,shmem
#   ...
#   [ 3/12] shmem 2thread b=4096 trial 1/3: 999547.93 KBytes/sec  load 0.44  (about 1s left)
#   [ 4/12] shmem 2thread b=131072 trial 1/3: 18314637.51 KBytes/sec  load 0.44  (about 1s left)
#   ...
#
# Output, all under DIR (default ./results):
#   DIR/results.csv  one row per run: ipc,sflag,mode,buffersize,totalsize,trial,
#                    bandwidth_kbps,time_s[,utime_s,stime_s,minflt,majflt,nvcsw,
#                    nivcsw with -g],affinity,prefault,load1,runnable,status,error
#                    (latency, -l or -- -l: round_trips,mean_ns,p50_ns,p99_ns,
#                    max_ns in place of bandwidth_kbps)
#   DIR/raw/         each run's raw output (.json with -j support, else .txt)
#                    and, for a failed run, its stderr (.err)
#   DIR/host.txt     `ipc-static describe` (or /proc/cpuinfo + uname fallback)
#   DIR/sweep.meta   the settings that every row of DIR must share
# The binary is $IPC_STATIC when set, else ipc-static next to scripts/.
# Exit status: 0 when some run succeeded, 1 when none did; before any run,
# 64 for bad arguments (a -a CPU this process may not run on included), 69
# no binary, 73 DIR cannot be created; 128+signal when interrupted.
#
# Caveats:
# - Each run is started in a process group of its own (bash job control,
#   `set -m`, around the launch only), with `timeout` as its leader. On
#   SIGINT, SIGTERM or SIGHUP the sweep signals every such group, waits until
#   no process of them is left (SIGKILL after 2 s), removes the unfinished
#   run's partial files and exits 128+signal with the command that resumes.
#   SIGKILL cannot be caught: a run in progress then finishes on its own
#   (at most --timeout seconds).
# - Signals that were ignored when bash started (a sweep started with `&` from
#   a non-interactive shell ignores SIGINT) cannot be trapped: use SIGTERM.
# - A signal in the first moments after the start can be lost: when it lands
#   while bash (5.2) is still reading the script's functions, after the traps
#   are set, bash neither runs the trap nor exits, and the sweep runs on to
#   the end. Here that window is a few ms after the traps are set (lost: 12
#   of 720 SIGINTs and 3 of 480 SIGTERMs sent 0-6 ms after the start, none
#   of 100 sent 0-400 ms after); a try-out under load saw about 100 ms.
#   Wait for the first progress line (by then bash has read the whole loop),
#   or see that the sweep stopped and signal it again.
# - load1 is the 1-minute load average before each run (it includes the
#   sweep's own recent runs); runnable counts the other tasks runnable at that
#   instant (Linux; with -j, the sweep's own concurrent runs too).
# No errexit (set -e): a helper killed by the same Ctrl-C (an awk in a $(...))
# would make bash exit with its status before running the trap that stops
# the runs. Failures that matter are checked where they happen.
set -uo pipefail

EX_USAGE=64
EX_UNAVAILABLE=69
prog=sweep.sh
orig_args=("$@")

# ---- interruption: from the first line on, stop every run in progress ------
# run_item/run_base map the process group of each run in progress (its leader,
# timeout, is the group's id) to its plan item and its files' base name.
declare -A run_item=() run_base=() run_load=()
csv=
launching=0
launch_base=
bang_before=
finished_rows=0

# groups_alive PGID...: true while any process of these groups exists.
groups_alive() {
    local p
    for p in "$@"; do
        kill -0 -- "-$p" 2>/dev/null && return 0
        kill -0 "$p" 2>/dev/null && return 0
    done
    return 1
}

# stop_runs: SIGTERM to every run's group, SIGKILL after 2 s, and wait until
# none of their processes is left (bash reaps the leaders as they exit).
stop_runs() {
    local pids=("${!run_item[@]}") p tries=0
    # A run being launched: its group exists once $! has changed, and its
    # partial files are to go like any other run's.
    if [ "$launching" = 1 ] && [ -n "${!:-}" ] && [ "${!:-}" != "$bang_before" ]; then
        pids+=("$!")
        [ -n "${run_base[$!]:-}" ] || run_base[$!]="$launch_base"
    fi
    [ "${#pids[@]}" -gt 0 ] || return 0
    for p in "${pids[@]}"; do
        kill -TERM -- "-$p" 2>/dev/null || true
        kill -TERM "$p" 2>/dev/null || true
    done
    while groups_alive "${pids[@]}"; do
        tries=$((tries + 1))
        if [ "$tries" = 40 ]; then
            for p in "${pids[@]}"; do
                kill -KILL -- "-$p" 2>/dev/null || true
                kill -KILL "$p" 2>/dev/null || true
            done
        elif [ "$tries" -gt 200 ]; then
            printf '%s: warning: processes of process group(s) %s are still there after SIGKILL\n' "$prog" "${pids[*]}" >&2
            break
        fi
        sleep 0.05
    done
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null || true
        if [ -n "${run_base[$p]:-}" ]; then
            rm -f -- "${run_base[$p]}.out.tmp" "${run_base[$p]}.err.tmp"
        fi
    done
}

on_signal() {
    local sig="$1" code
    # A second signal must not cut the clean-up short.
    trap '' INT TERM HUP
    case "$sig" in INT) code=130 ;; HUP) code=129 ;; *) code=143 ;; esac
    stop_runs
    if [ -n "$csv" ]; then
        printf '\n%s: interrupted by SIG%s; no run of the sweep is left running; %d runs finished in this session are in %s\n' \
            "$prog" "$sig" "$finished_rows" "$csv" >&2
    else
        printf '\n%s: interrupted by SIG%s before any run\n' "$prog" "$sig" >&2
    fi
    printf '%s: to resume, run the same command again: %s\n' "$prog" \
        "$(printf '%q ' "$0" ${orig_args[@]+"${orig_args[@]}"} | sed 's/ $//')" >&2
    exit "$code"
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

usage_text() {
    cat <<'EOF'
usage: scripts/sweep.sh [-BF] [-o DIR] [-n trials] [-m modes] [-i configs]
                        [-b sizes] [-t totalsize] [-a cpu[,cpu]] [-j jobs]
                        [-l [-r round_trips]]
                        [--allow-parallel] [--retry-failed] [--timeout SECONDS]
                        [-- ipc-static args]
  -o DIR        output directory (default: ./results); rerunning with the same
                DIR skips the runs already recorded there
  -n trials     runs per configuration, mode and size (default: 5)
  -B            bare mode: pass -B (no quiescing) to ipc-static
  -F            pre-fault: pass -F (touch every page of both buffers before
                the start stamp) to ipc-static
  -a cpu[,cpu]  pin every run: pass -a to ipc-static (one CPU: both sides on
                it; two: the receiver on the first, the sender on the second);
                default: unpinned, recorded as such
  -m modes      comma-separated: 1thread,2thread,2proc (default: 2thread)
  -i configs    comma-separated: pipe,local,tcp,shmem,local-s,tcp-s, and pipe-s
                on Linux (-s sizes the kernel buffers; shmem has none)
                (default: pipe,local,local-s)
  -b sizes      comma-separated sizes in bytes with optional k/m/g suffixes
                (4096,64k,1m), or a power-of-two range LO..HI (32..16m)
                (default: 32..totalsize)
  -t totalsize  bytes per run (default: 16m); every size must divide it
  -l            latency: pass -l (round trips of each size) to ipc-static, as
                -- -l does; the CSV has round_trips,mean_ns,p50_ns,p99_ns,max_ns
                instead of bandwidth_kbps, and each run makes the same number
                of round trips whatever the size (default sizes: 1..64k)
  -r trips      with -l: round trips per run (default: 10000; totalsize is
                size x trips, so -t does not apply)
  -j jobs       runs at once (default: 1); more than 1 needs --allow-parallel,
                as concurrent runs ruin the measurement (smoke runs only)
  --retry-failed  rerun the runs recorded as failed in DIR
  --timeout S   give up on a run after S seconds, recording it failed (default: 600)
  -- ARGS       extra ipc-static arguments for every run (e.g. -- -g for rusage
                columns); -a -b -i -t -s -B -F -j -q -v -n are set by sweep.sh itself
EOF
}

die_usage() {
    printf '%s: %s (try -h)\n' "$prog" "$1" >&2
    exit "$EX_USAGE"
}

# parse_size TEXT: decimal bytes with an optional k/m/g (1024-based) suffix.
parse_size() {
    local text="$1" num mult=1
    case "$text" in
        *[kK]) num="${text%?}"; mult=1024 ;;
        *[mM]) num="${text%?}"; mult=1048576 ;;
        *[gG]) num="${text%?}"; mult=1073741824 ;;
        *) num="$text" ;;
    esac
    case "$num" in
        '' | *[!0-9]*) return 1 ;;
    esac
    # No more than 12 digits: keeps the product far from 64-bit overflow.
    [ "${#num}" -le 12 ] || return 1
    num=$((10#$num * mult))
    [ "$num" -gt 0 ] || return 1
    printf '%s\n' "$num"
}

# ---- options -----------------------------------------------------------------
outdir=results
trials=5
bare=0
prefault=0
pin=
modes_arg=2thread
configs_arg=pipe,local,local-s
sizes_arg=
total_arg=16m
total_given=0
latency=0
latency_flag=0
trips_arg=10000
trips_given=0
jobs=1
allow_parallel=0
retry_failed=0
run_timeout=600
extra=()

# getopt(3) grouping first: -Bn3 is -B -n 3, -BFo DIR is -B -F -o DIR, -lr500 is -l -r 500
# (an option's value, attached or the next word, is kept as it is).
words=()
value_next=0
while [ "$#" -gt 0 ]; do
    if [ "$value_next" = 1 ]; then
        words+=("$1")
        value_next=0
        shift
        continue
    fi
    case "$1" in
        --) words+=("$@"); break ;;
        --timeout) words+=("$1"); value_next=1 ;;
        --* | - | [!-]*) words+=("$1") ;;
        -*)
            group="${1#-}"
            while [ -n "$group" ]; do
                f="${group:0:1}"
                group="${group:1}"
                case "$f" in
                    o | n | m | i | b | t | a | j | r)
                        words+=("-$f")
                        if [ -n "$group" ]; then words+=("$group"); else value_next=1; fi
                        break ;;
                    *) words+=("-$f") ;;
                esac
            done ;;
    esac
    shift
done
set -- ${words[@]+"${words[@]}"}
need_value() { [ "$#" -ge 2 ] || die_usage "option $1 needs a value"; }
while [ "$#" -gt 0 ]; do
    case "$1" in
        -h | --help) usage_text; exit 0 ;;
        -B) bare=1; shift ;;
        -F) prefault=1; shift ;;
        -o) need_value "$@"; outdir="$2"; shift 2 ;;
        -n) need_value "$@"; trials="$2"; shift 2 ;;
        -m) need_value "$@"; modes_arg="$2"; shift 2 ;;
        -i) need_value "$@"; configs_arg="$2"; shift 2 ;;
        -b) need_value "$@"; sizes_arg="$2"; shift 2 ;;
        -t) need_value "$@"; total_arg="$2"; total_given=1; shift 2 ;;
        -l) latency=1; latency_flag=1; shift ;;
        -r) need_value "$@"; trips_arg="$2"; trips_given=1; shift 2 ;;
        -a) need_value "$@"; pin="$2"; shift 2 ;;
        -j) need_value "$@"; jobs="$2"; shift 2 ;;
        --allow-parallel) allow_parallel=1; shift ;;
        --retry-failed) retry_failed=1; shift ;;
        --timeout) need_value "$@"; run_timeout="$2"; shift 2 ;;
        --timeout=*) run_timeout="${1#--timeout=}"; shift ;;
        --) shift; extra=("$@"); break ;;
        *) die_usage "unknown argument '$1'" ;;
    esac
done

# ---- validation: everything is checked before the first run ------------------
[ -n "$outdir" ] || die_usage "-o needs a directory name"
case "$trials" in '' | *[!0-9]*) die_usage "trials must be a whole number >= 1, not '$trials'" ;; esac
[ "${#trials}" -le 6 ] && [ "$((10#$trials))" -ge 1 ] || die_usage "trials must be between 1 and 999999, not '$trials'"
trials=$((10#$trials))
case "$jobs" in '' | *[!0-9]*) die_usage "jobs must be a whole number >= 1, not '$jobs'" ;; esac
[ "${#jobs}" -le 3 ] && [ "$((10#$jobs))" -ge 1 ] || die_usage "jobs must be between 1 and 999, not '$jobs'"
jobs=$((10#$jobs))
if [ "$jobs" -gt 1 ] && [ "$allow_parallel" = 0 ]; then
    die_usage "-j $jobs runs benchmarks concurrently, which ruins timing sweeps; add --allow-parallel for a smoke run"
fi
if [ "$jobs" -gt 1 ] && { [ "${BASH_VERSINFO[0]}" -lt 5 ] || { [ "${BASH_VERSINFO[0]}" = 5 ] && [ "${BASH_VERSINFO[1]}" -lt 1 ]; }; }; then
    die_usage "-j $jobs needs bash 5.1 or later (wait -n -p); this is $BASH_VERSION"
fi
case "$run_timeout" in '' | *[!0-9]* | 0) die_usage "--timeout must be a whole number of seconds >= 1" ;; esac
case "$pin" in
    '') ;;
    [0-9] | [0-9][0-9] | [0-9][0-9][0-9] | [0-9][0-9][0-9][0-9]) ;;
    *,*)
        case "${pin%%,*}" in '' | *[!0-9]*) die_usage "-a takes cpu or cpu,cpu (numbers), not '$pin'" ;; esac
        case "${pin#*,}" in '' | *[!0-9]*) die_usage "-a takes cpu or cpu,cpu (numbers), not '$pin'" ;; esac
        ;;
    *) die_usage "-a takes cpu or cpu,cpu (numbers), not '$pin'" ;;
esac

# A CPU this process may not run on would fail every run (ipc-static exits
# 71 at sched_setaffinity): refuse it now, from the allowed list (Linux).
allowed_cpus=
[ -r /proc/self/status ] && allowed_cpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
cpu_allowed() {
    local cpu=$((10#$1)) range lo hi
    [ -n "$allowed_cpus" ] || return 0
    IFS=, read -r -a ranges <<<"$allowed_cpus"
    for range in "${ranges[@]}"; do
        lo=${range%-*} hi=${range#*-}
        [ "$cpu" -ge "$lo" ] && [ "$cpu" -le "$hi" ] && return 0
    done
    return 1
}
if [ -n "$pin" ]; then
    for cpu in ${pin/,/ }; do
        cpu_allowed "$cpu" || die_usage "-a $pin: CPU $cpu is not one this sweep may run on (allowed: $allowed_cpus)"
    done
fi

total=$(parse_size "$total_arg") || die_usage "totalsize must be a positive size like 16m, not '$total_arg'"
# Latency (-l, or -l among the extra arguments): each run makes the same
# number of round trips, so its total is its size times that number.
i=0
while [ "$i" -lt "${#extra[@]}" ]; do
    a="${extra[$i]}"
    i=$((i + 1))
    case "$a" in --) break ;; -?*) ;; *) continue ;; esac
    flags="${a#-}"
    while [ -n "$flags" ]; do
        f="${flags:0:1}"
        flags="${flags:1}"
        case "$f" in
            l) latency=1 ;;
            # A value: the rest of this word, or the next word.
            p | P | r | a | b | i | n | t) [ -z "$flags" ] && i=$((i + 1)); flags= ;;
        esac
    done
done
if [ "$latency" = 1 ]; then
    [ "$total_given" = 0 ] || die_usage "with -l each run makes -r round trips of its size: -t does not apply"
    case "$trips_arg" in '' | *[!0-9]*) die_usage "round trips must be a whole number >= 1, not '$trips_arg'" ;; esac
    [ "${#trips_arg}" -le 9 ] && [ "$((10#$trips_arg))" -ge 1 ] || die_usage "round trips must be between 1 and 999999999, not '$trips_arg'"
    trips=$((10#$trips_arg))
elif [ "$trips_given" = 1 ]; then
    die_usage "-r (round trips) needs -l"
fi
# total_for SIZE: the run's totalsize.
total_for() {
    if [ "$latency" = 1 ]; then printf '%s\n' $(($1 * trips)); else printf '%s\n' "$total"; fi
}

os=$(uname -s)
configs=()
declare -A seen=()
IFS=, read -r -a items <<<"$configs_arg"
for c in "${items[@]}"; do
    case "$c" in
        pipe | local | tcp | shmem | local-s | tcp-s) ;;
        pipe-s)
            [ "$os" = Linux ] || die_usage "config pipe-s needs an OS that can size pipes (Linux); this is $os" ;;
        *) die_usage "unknown config '$c' (pipe, local, tcp, shmem, local-s, tcp-s, pipe-s)" ;;
    esac
    [ -n "${seen["c$c"]:-}" ] && continue
    seen["c$c"]=1
    configs+=("$c")
done
[ "${#configs[@]}" -gt 0 ] || die_usage "no config given"

modes=()
IFS=, read -r -a items <<<"$modes_arg"
for m in "${items[@]}"; do
    case "$m" in
        1thread | 2thread | 2proc) ;;
        *) die_usage "unknown mode '$m' (1thread, 2thread, 2proc)" ;;
    esac
    [ -n "${seen["m$m"]:-}" ] && continue
    seen["m$m"]=1
    modes+=("$m")
done
[ "${#modes[@]}" -gt 0 ] || die_usage "no mode given"

sizes=()
add_size() {
    [ -n "${seen["s$1"]:-}" ] && return 0
    seen["s$1"]=1
    sizes+=("$1")
}
if [ -z "$sizes_arg" ]; then
    if [ "$latency" = 1 ]; then sizes_arg="1..64k"; else sizes_arg="32..$total"; fi
fi
IFS=, read -r -a items <<<"$sizes_arg"
for s in "${items[@]}"; do
    case "$s" in
        *..*)
            lo=$(parse_size "${s%%..*}") || die_usage "bad range '$s': LO must be a positive size"
            hi=$(parse_size "${s#*..}") || die_usage "bad range '$s': HI must be a positive size"
            [ "$lo" -le "$hi" ] || die_usage "bad range '$s': LO is larger than HI"
            while [ "$lo" -le "$hi" ]; do
                add_size "$lo"
                lo=$((lo * 2))
            done
            ;;
        *)
            v=$(parse_size "$s") || die_usage "bad size '$s' (bytes, optionally with k, m or g)"
            add_size "$v"
            ;;
    esac
done
[ "${#sizes[@]}" -gt 0 ] || die_usage "no buffer size given"
for s in "${sizes[@]}"; do
    [ "$latency" = 1 ] || { [ "$s" -le "$total" ] && [ $((total % s)) -eq 0 ]; } ||
        die_usage "buffer size $s does not divide the total size $total"
done

# Extra ipc-static arguments: refuse the ones sweep.sh sets itself, and note -g
# (rusage columns) and -p (TCP port).
rusage=0
have_port=0
i=0
while [ "$i" -lt "${#extra[@]}" ]; do
    a="${extra[$i]}"
    i=$((i + 1))
    case "$a" in
        --) break ;;
        -?*) ;;
        *) continue ;;
    esac
    flags="${a#-}"
    while [ -n "$flags" ]; do
        f="${flags:0:1}"
        flags="${flags:1}"
        case "$f" in
            B | b | i | t | s | j | q | v | n | a | F)
                die_usage "extra argument -$f is set by sweep.sh itself; use its own options" ;;
            g) rusage=1 ;;
            l) ;;
            p | P | r)
                [ "$f" = p ] && have_port=1
                # The value is the rest of this word, or the next word.
                if [ -z "$flags" ]; then i=$((i + 1)); fi
                flags=
                ;;
        esac
    done
done

bin="${IPC_STATIC:-$(cd "$(dirname "$0")/.." && pwd)/ipc-static}"
if [ ! -x "$bin" ]; then
    printf '%s: %s is missing or not executable: run make first (or set IPC_STATIC)\n' "$prog" "$bin" >&2
    exit "$EX_UNAVAILABLE"
fi

# The placement every row records: the -a given, else what the sweep inherited.
if [ -n "$pin" ]; then
    case "$pin" in
        *,*) affinity="cpu${pin%%,*}+cpu${pin#*,}" ;;
        *) affinity="cpu$pin" ;;
    esac
else
    affinity=unpinned
    if [ -r /proc/self/status ] && [ -r /sys/devices/system/cpu/online ]; then
        allowed=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
        online=$(cat /sys/devices/system/cpu/online)
        [ -n "$allowed" ] && [ "$allowed" != "$online" ] && affinity="inherited:$allowed"
    fi
fi
pass=()
[ "$bare" = 1 ] && pass+=(-B)
[ "$latency_flag" = 1 ] && pass+=(-l)
[ "$prefault" = 1 ] && pass+=(-F)
[ -n "$pin" ] && pass+=(-a "$pin")

# TCP with SO_SNDBUF/SO_RCVBUF set to a small buffer crawls on Linux loopback
# (measured here: 16 KBytes/sec at 32 B and 1 KiB, 60-75 at 4 KiB, 200-250 at
# 8 KiB; a window under one segment, released by 40 ms delayed ACKs): say so.
for c in "${configs[@]}"; do
    [ "$c" = tcp-s ] && [ "$os" = Linux ] || continue
    for s in "${sizes[@]}"; do
        if [ "$s" -lt 16384 ]; then
            printf '%s: warning: tcp-s with buffers under 16 KiB runs at tens to hundreds of KBytes/sec on Linux loopback; such runs may take minutes each (--timeout %ss guards them)\n' \
                "$prog" "$run_timeout" >&2
            break 2
        fi
    done
done

# ---- the output directory: refuse a DIR holding another kind of sweep ------
csv="$outdir/results.csv"
meta="$outdir/sweep.meta"
rawdir="$outdir/raw"
if [ "$latency" = 1 ]; then
    header="ipc,sflag,mode,buffersize,totalsize,trial,round_trips,mean_ns,p50_ns,p99_ns,max_ns,time_s"
else
    header="ipc,sflag,mode,buffersize,totalsize,trial,bandwidth_kbps,time_s"
fi
[ "$rusage" = 1 ] && header="$header,utime_s,stime_s,minflt,majflt,nvcsw,nivcsw"
header="$header,affinity,prefault,load1,runnable,status,error"
extra_q=
[ "${#extra[@]}" -gt 0 ] && extra_q=$(printf '%q ' "${extra[@]}")
meta_text=$(printf 'bare=%s\nprefault=%s\naffinity=%s\nextra=%s\n' "$bare" "$prefault" "$affinity" "$extra_q")
[ "$latency" = 1 ] && meta_text=$(printf '%s\nlatency=%s round trips\n' "$meta_text" "$trips")

if [ -e "$csv" ]; then
    first=$(head -n 1 -- "$csv")
    [ "$first" = "$header" ] ||
        die_usage "$csv has other columns ($first); use another -o DIR (or the same -- -g choice)"
    if [ -e "$meta" ] && [ "$(cat -- "$meta")" != "$meta_text" ]; then
        die_usage "$outdir holds a sweep with other settings ($(tr '\n' ' ' <"$meta")); use another -o DIR"
    fi
fi


# ---- preflight: what the binary supports, and whether it takes the arguments -
# (a 4 KiB run in the sweep's first mode; nothing is recorded)
fmt=(-j)
fmt_ext=json
pre_out=$("$bin" -j -B -b 4096 -t 4096 1thread 2>/dev/null) || pre_out=
case "$pre_out" in
    '{'*) ;;
    *) fmt=(-v); fmt_ext=txt ;;
esac
if [ "$latency" = 1 ] && [ "$fmt_ext" != json ]; then
    printf '%s: -l needs an ipc-static with -j (JSON) output\n' "$prog" >&2
    exit "$EX_UNAVAILABLE"
fi
pre_rc=0
pre_args=("${fmt[@]}" -B)
[ "$latency_flag" = 1 ] && pre_args+=(-l)
[ "$prefault" = 1 ] && pre_args+=(-F)
[ -n "$pin" ] && pre_args+=(-a "$pin")
pre_err=$("$bin" "${pre_args[@]}" -b 4096 -t 4096 ${extra[@]+"${extra[@]}"} "${modes[0]}" 2>&1 >/dev/null) || pre_rc=$?
if [ "$pre_rc" = "$EX_USAGE" ]; then
    printf '%s: ipc-static refuses the arguments: %s\n' "$prog" "$(printf '%s\n' "$pre_err" | head -n 1)" >&2
    exit "$EX_USAGE"
elif [ "$pre_rc" != 0 ]; then
    printf '%s: warning: a 4 KiB check run failed (exit %s): %s\n' "$prog" "$pre_rc" \
        "$(printf '%s\n' "$pre_err" | head -n 1)" >&2
fi

# ---- load: is the machine busy? ----------------------------------------------
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
load1=
runnable=
# read_load: sets load1 (1-minute load average) and runnable (tasks runnable
# right now besides this shell, which is running as it reads; Linux only).
read_load() {
    local l5 l15 rt rest
    load1=
    runnable=
    if [ -r /proc/loadavg ]; then
        read -r load1 l5 l15 rt rest </proc/loadavg || true
        rt="${rt%%/*}"
        case "$rt" in '' | *[!0-9]*) ;; *) runnable=$((rt > 0 ? rt - 1 : 0)) ;; esac
    else
        load1=$(sysctl -n vm.loadavg 2>/dev/null | awk '{ print $2 }') || load1=
    fi
}
# cpu_busy_percent: the share of all CPUs' time that others used over 0.3 s
# while the sweep itself waited (Linux /proc/stat); empty elsewhere.
cpu_busy_percent() {
    [ -r /proc/stat ] || return 0
    local a b
    a=$(head -n 1 /proc/stat)
    sleep 0.3
    b=$(head -n 1 /proc/stat)
    printf '%s\n%s\n' "$a" "$b" | awk '
        { idle[NR] = $5 + $6; tot[NR] = 0; for (i = 2; i <= NF; i++) tot[NR] += $i }
        END { d = tot[2] - tot[1]; if (d > 0) printf "%.0f\n", 100 * (1 - (idle[2] - idle[1]) / d) }'
}
read_load
busy=$(cpu_busy_percent)
if awk -v l="${load1:-0}" -v n="$ncpu" -v b="${busy:-0}" 'BEGIN { exit !(l >= n / 2 || b >= 25) }'; then
    printf '%s: warning: the machine is busy (load average %s on %s CPUs over the last minute%s): expect noisy, even bimodal results; pin with -a, keep the trials interleaved (the default), or wait\n' \
        "$prog" "${load1:-?}" "$ncpu" "${busy:+; $busy% of CPU time used by other work in the last 0.3 s}" >&2
fi

# ---- the output directory: create it ---------------------------------------
cannot_create() {
    printf '%s: cannot create %s\n' "$prog" "$1" >&2
    exit 73 # EX_CANTCREAT
}
mkdir -p -- "$rawdir" 2>/dev/null || cannot_create "$rawdir"
[ -e "$meta" ] || printf '%s\n' "$meta_text" 2>/dev/null >"$meta" || cannot_create "$meta"
if [ ! -e "$csv" ]; then
    printf '%s\n' "$header" 2>/dev/null >"$csv" || cannot_create "$csv"
elif [ -n "$(tail -c 1 -- "$csv")" ]; then
    printf '\n' >>"$csv" # an interrupted write left half a line: end it
fi
if [ ! -s "$outdir/host.txt" ]; then
    if ! "$bin" describe >"$outdir/host.txt" 2>/dev/null; then
        {
            printf 'host (ipc-static describe unavailable):\n'
            printf '  os_name: %s\n' "$os"
            printf '  os_release: %s\n' "$(uname -r)"
            printf '  machine: %s\n' "$(uname -m)"
            printf '  cpu_model: %s\n' "$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)"
            printf '  ncpu: %s\n' "$ncpu"
        } >"$outdir/host.txt"
    fi
fi

# Rows already there: key ipc,sflag,mode,buffersize,totalsize,trial. The
# error column is last, so the status column has a fixed position.
declare -A done_rows=()
status_col=$(printf '%s\n' "$header" | tr ',' '\n' | grep -n -x status | cut -d: -f1)
while IFS= read -r key; do
    done_rows["$key"]=1
done < <(awk -F, -v col="$status_col" -v retry="$retry_failed" '
    NR > 1 && $1 ~ /^[a-z]+$/ && ($col == "ok" || ($col == "failed" && retry == 0)) {
        print $1 "," $2 "," $3 "," $4 "," $5 "," $6
    }' "$csv")

# ---- the plan: trials outermost, so that an interrupted sweep has whole curves -
plan=()
planned=0
skipped=0
for ((trial = 1; trial <= trials; trial++)); do
    for c in "${configs[@]}"; do
        ipc="${c%-s}"
        sflag=0
        [ "$ipc" != "$c" ] && sflag=1
        for m in "${modes[@]}"; do
            for s in "${sizes[@]}"; do
                planned=$((planned + 1))
                t=$total
                [ "$latency" = 1 ] && t=$((s * trips))
                if [ -n "${done_rows["$ipc,$sflag,$m,$s,$t,$trial"]:-}" ]; then
                    skipped=$((skipped + 1))
                    continue
                fi
                plan+=("$c $m $s $trial $t")
            done
        done
    done
done
todo="${#plan[@]}"
printf '%s: %d runs planned, %d already in %s, %d to do (%s, %s, %s%s)\n' "$prog" "$planned" \
    "$skipped" "$csv" "$todo" "$([ "$bare" = 1 ] && echo bare || echo quiescing)" \
    "$([ "$fmt_ext" = json ] && echo JSON || echo text output)" "$affinity" \
    "$([ "$prefault" = 1 ] && echo ', pre-faulted')" >&2

# ---- one run -----------------------------------------------------------------
# csv_field TEXT: TEXT as one quoted CSV field on one line.
csv_field() {
    local t
    t=$(printf '%s' "$1" | tr '\r\n\t' '   ')
    printf '"%s"' "${t//\"/\"\"}"
}

# extract FILE: prints "bandwidth time utime stime minflt majflt nvcsw nivcsw"
# (with -l, "round_trips mean_ns p50_ns p99_ns max_ns" in place of bandwidth;
# a "-" for each missing one) from the first sample of the output.
extract() {
    if [ "$fmt_ext" = json ]; then
        tr -d '\r\n' <"$1" | awk -v latency="$latency" '
            function num(key,   s) {
                if (match(body, "\"" key "\"[ \t]*:[ \t]*-?[0-9][0-9.eE+-]*")) {
                    s = substr(body, RSTART, RLENGTH); sub(/^[^:]*:[ \t]*/, "", s); return s
                }
                return "-"
            }
            {
                body = $0
                p = index(body, "\"benchmark_samples\"")
                if (p > 0) body = substr(body, p)
                if (latency) printf "%s %s %s %s %s ", num("round_trips"), num("mean_ns"), num("p50_ns"), num("p99_ns"), num("max_ns")
                else printf "%s ", num("bandwidth")
                print num("time"), num("utime"), num("stime"),
                      num("minflt"), num("majflt"), num("nvcsw"), num("nivcsw")
            }'
    else
        awk '
            function val(s) { sub(/[^0-9.eE+-].*$/, "", s); return s == "" ? "-" : s }
            BEGIN { split("bw time utime stime minflt majflt nvcsw nivcsw", k, " ") }
            / KBytes\/sec$/ && !("bw" in v) { v["bw"] = val($1) }
            {
                key = $1; sub(/:$/, "", key)
                if ($1 ~ /:$/ && key in want && !(key in v)) v[key] = val($2)
            }
            BEGIN { for (i = 2; i <= 8; i++) want[k[i]] = 1 }
            END {
                out = ""
                for (i = 1; i <= 8; i++) out = out (i > 1 ? " " : "") ((k[i] in v) ? v[k[i]] : "-")
                print out
            }' "$1"
    fi
}

# start_run ITEM: launches one run in a process group of its own (job
# control on for the launch only), leader timeout, and records it.
start_run() {
    local c m s trial t ipc sflag=0 base pid
    read -r c m s trial t <<<"$1"
    ipc="${c%-s}"
    [ "$ipc" != "$c" ] && sflag=1
    base="$rawdir/$c-$m-b$s-t$t-trial$trial"
    local args=("${fmt[@]}" ${pass[@]+"${pass[@]}"} -i "$ipc")
    [ "$sflag" = 1 ] && args+=(-s)
    args+=(-b "$s" -t "$t")
    [ "$jobs" -gt 1 ] && [ "$ipc" = tcp ] && [ "$have_port" = 0 ] && args+=(-p 0)
    args+=(${extra[@]+"${extra[@]}"} "$m")
    read_load
    bang_before="${!:-}"
    launch_base="$base"
    launching=1
    set -m
    timeout "$run_timeout" "$bin" "${args[@]}" >"$base.out.tmp" 2>"$base.err.tmp" </dev/null &
    pid=$!
    set +m
    run_item[$pid]="$1"
    run_base[$pid]="$base"
    run_load[$pid]="$load1 $runnable"
    launching=0
    started_pid=$pid
}

# finish_run PID STATUS INDEX ETA: one CSV row for a finished run; exit 0 if ok.
ok_loads=()
others_busy=0
finish_run() {
    local pid="$1" rc="$2" idx="$3" eta="$4"
    local c m s trial t ipc sflag=0 label base err row result l1 rn
    read -r c m s trial t <<<"${run_item[$pid]}"
    base="${run_base[$pid]}"
    read -r l1 rn <<<"${run_load[$pid]} "
    ipc="${c%-s}"
    [ "$ipc" != "$c" ] && sflag=1
    label="$ipc"
    [ "$sflag" = 1 ] && label="$ipc -s"

    local bw=- time_s=- ru0=- ru1=- ru2=- ru3=- ru4=- ru5=- v lat=() figures
    if [ "$latency" = 1 ]; then
        # round_trips mean_ns p50_ns p99_ns max_ns, then as for bandwidth
        read -r -a figures < <(extract "$base.out.tmp") || true
        lat=("${figures[@]:0:5}")
        read -r bw time_s ru0 ru1 ru2 ru3 ru4 ru5 <<<"${figures[*]:1:1} ${figures[*]:5}"
        bw="${bw:--}"
    else
        read -r bw time_s ru0 ru1 ru2 ru3 ru4 ru5 < <(extract "$base.out.tmp") || true
    fi
    local ru=("$ru0" "$ru1" "$ru2" "$ru3" "$ru4" "$ru5")
    local place="$affinity,$prefault,${l1:-},${rn:-}"
    if [ "$rc" = 0 ] && [ "$bw" != - ]; then
        mv -f -- "$base.out.tmp" "$base.$fmt_ext"
        if [ -s "$base.err.tmp" ]; then mv -f -- "$base.err.tmp" "$base.err"; else rm -f -- "$base.err.tmp" "$base.err"; fi
        [ "$time_s" = - ] && time_s=
        if [ "$latency" = 1 ]; then
            row="$ipc,$sflag,$m,$s,$t,$trial"
            for v in "${lat[@]}"; do [ "$v" = - ] && v=; row="$row,$v"; done
            row="$row,$time_s"
        else
            row="$ipc,$sflag,$m,$s,$t,$trial,$bw,$time_s"
        fi
        if [ "$rusage" = 1 ]; then
            for v in "${ru[@]}"; do [ "$v" = - ] && v=; row="$row,$v"; done
        fi
        row="$row,$place,ok,"
        result="$bw KBytes/sec"
        [ "$latency" = 1 ] && result=$(awk -v m="$bw" -v p="${lat[3]}" 'BEGIN { printf "%.3f us/round-trip (p99 %.3f)", m / 1000, p / 1000 }')
    else
        if [ "$rc" = 124 ]; then
            err="timed out after ${run_timeout}s"
        elif [ "$rc" -gt 128 ]; then
            err="killed by signal $((rc - 128))"
        elif [ "$rc" = 0 ]; then
            err="no $([ "$latency" = 1 ] && echo 'round trips' || echo bandwidth) in the output"
        else
            err=$(grep -m 1 -v '^[[:space:]]*$' "$base.err.tmp" || true)
            err="exit $rc: ${err:-no message}"
        fi
        mv -f -- "$base.out.tmp" "$base.$fmt_ext"
        mv -f -- "$base.err.tmp" "$base.err"
        row="$ipc,$sflag,$m,$s,$t,$trial,,"
        [ "$latency" = 1 ] && row="$row,,,,"
        [ "$rusage" = 1 ] && row="$row,,,,,,"
        row="$row,$place,failed,$(csv_field "$err")"
        result="FAILED ($err)"
    fi
    printf '%s\n' "$row" >>"$csv"
    finished_rows=$((finished_rows + 1))
    unset "run_item[$pid]" "run_base[$pid]" "run_load[$pid]"
    [ -n "$l1" ] && ok_loads+=("$l1")
    [ -n "$rn" ] && [ "$rn" -gt 0 ] && others_busy=$((others_busy + 1))
    printf '[%*d/%d] %s %s b=%s trial %d/%d: %s%s%s\n' "${#todo}" "$idx" "$todo" "$label" "$m" \
        "$s" "$trial" "$trials" "$result" "${l1:+  load $l1}" "$eta" >&2
    [ "$rc" = 0 ] && [ "$bw" != - ]
}

fmt_secs() {
    local t="$1"
    if [ "$t" -ge 3600 ]; then printf '%dh%02dm' $((t / 3600)) $((t % 3600 / 60))
    elif [ "$t" -ge 60 ]; then printf '%dm%02ds' $((t / 60)) $((t % 60))
    else printf '%ds' "$t"; fi
}

now_ms() { local t="${EPOCHREALTIME/,/.}"; printf '%s\n' "$(( ${t%.*} * 1000 + 10#${t#*.} / 1000 ))"; }

# ---- the sweep ---------------------------------------------------------------
ok=0
failed=0
started=0
declare -A run_index=()
t0=$(now_ms)
for item in ${plan[@]+"${plan[@]}"}; do
    # With -j, wait for a free slot first.
    while [ "${#run_item[@]}" -ge "$jobs" ]; do
        st=0
        done_pid=
        wait -n -p done_pid "${!run_item[@]}" || st=$?
        [ -n "$done_pid" ] || continue
        if finish_run "$done_pid" "$st" "${run_index[$done_pid]}" ""; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
        unset "run_index[$done_pid]"
    done
    started=$((started + 1))
    eta=
    finished=$((ok + failed))
    if [ "$jobs" = 1 ] && [ "$finished" -gt 0 ]; then
        el=$(($(now_ms) - t0))
        eta="  (about $(fmt_secs $(((el * (todo - finished) / finished + 999) / 1000))) left)"
    fi
    start_run "$item"
    run_index[$started_pid]=$started
    if [ "$jobs" = 1 ]; then
        st=0
        wait "$started_pid" || st=$?
        if finish_run "$started_pid" "$st" "$started" "$eta"; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
        unset "run_index[$started_pid]"
    fi
done
while [ "${#run_item[@]}" -gt 0 ]; do
    st=0
    done_pid=
    wait -n -p done_pid "${!run_item[@]}" || st=$?
    [ -n "$done_pid" ] || continue
    if finish_run "$done_pid" "$st" "${run_index[$done_pid]}" ""; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
    unset "run_index[$done_pid]"
done
trap - INT TERM HUP

el=$((($(now_ms) - t0 + 500) / 1000))
printf '%s: done in %s: %d ok, %d failed, %d skipped; results in %s\n' "$prog" "$(fmt_secs "$el")" \
    "$ok" "$failed" "$skipped" "$csv" >&2
if [ "$failed" -gt 0 ]; then
    printf '%s: %d runs failed: see the status and error columns, and %s/*.err\n' "$prog" "$failed" "$rawdir" >&2
fi
if [ "${#ok_loads[@]}" -gt 0 ]; then
    printf '%s\n' "${ok_loads[@]}" | sort -g | awk -v prog="$prog" -v busy="$others_busy" -v n="$((ok + failed))" -v ncpu="$ncpu" '
        { v[NR] = $1 }
        END {
            med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%s: load average before the runs: %s to %s (median %.2f); other tasks runnable at %d of %d run starts\n",
                prog, v[1], v[NR], med, busy, n > "/dev/stderr"
            if (med >= ncpu / 2 || busy * 4 >= n)
                printf "%s: warning: the machine was busy during the sweep: treat the spread with care (plot.sh marks noisy points)\n", prog > "/dev/stderr"
        }'
fi
# Exit 1 only when nothing at all succeeded.
[ "$todo" = 0 ] || [ "$ok" -gt 0 ]
