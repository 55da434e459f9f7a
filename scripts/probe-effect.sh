#!/bin/bash
# probe-effect.sh: how has tracing changed the benchmark, its bandwidth and
# its systemic behaviour?
#
#   scripts/probe-effect.sh [-o DIR] [-n N] [-a analysis] [--clear]
#                           [--timeout S] [--] [ipc-static args]
#
# Runs the same ipc-static configuration N times untraced and N times under an
# analysis of scripts/trace.sh, interleaved (untraced, traced, untraced, ...),
# and compares, kind against kind, the medians and ranges of:
#   bandwidth                               (ipc-static's own output)
#   user and system CPU time, minor faults,
#   voluntary and involuntary context
#   switches                                (-g, which this script adds)
#   read and write calls, mean read size    (the kernel's per-task I/O
#                                            counters, via scripts/io-count.sh)
# with the traced/untraced ratio of the medians and whether the ranges
# overlap. Everything goes under DIR (default ./results/probe-effect):
#   runs.csv              one row per run (columns in the header)
#   summary.txt           the report (also printed on stdout)
#   probe-effect.svg/.png the bandwidth of both kinds (box plot and points)
#   behaviour.svg/.png    every measure of the traced runs over the untraced
#                         median (log scale; needs gnuplot for both plots)
#   traces/trace-K.txt    the analysis output of traced run K (loop-profile:
#                         its folded stacks, the run in trace-K.txt.meta)
#   raw/KIND-K.out/.err/.io  each run's stdout, stderr and I/O counts
#   host.txt, calibration.txt, probe-effect.meta
# Defaults: -n 11, -a loop-syscalls, ipc-static args "-B -i pipe 2thread".
# The binary is $IPC_STATIC when set (else ipc-static next to scripts/), the
# wrapper $TRACE_SH when set (else scripts/trace.sh). Tracing needs root.
#
# Example (this machine: 2-core AMD EPYC VM, Linux 6.18, bpftrace 0.17; the
# columns shortened, the whole summary is docs/probe-effect-loop-latency.txt):
#   # scripts/probe-effect.sh -n 11 -a loop-latency -- -B -a 0 -i pipe -b 4096 -t 64m 2thread
#   measure  untraced median [min-max]  traced median [min-max]  t/u  ranges
#   bandwidth (KBytes/sec)  2842127 [1502290-2942734]  723093 [592743-738967]  0.254  apart
#   system CPU (s)  0.022887 [0.013756-0.039860]  0.090656 [0.082033-0.110617]  3.961  apart
#   involuntary ctx switches  1695 [1230-3688]  359 [275-577]  0.212  apart
#   read calls (loop)  16384 [16384-16384]  16384 [16384-16384]  1.000  overlap
#   ratio traced/untraced (medians): 0.254
#   tracing slowed the benchmark by 74.6%; the ranges do not overlap
#
# Exit status: 0; 64 bad arguments (the benchmark's own are checked by its
# first run, and such a refused comparison leaves no file behind); 69 no
# binary or wrapper; 73 DIR cannot be created; 1 when the wrapper cannot
# trace here or either kind has no successful run; 128+signal when
# interrupted.
#
# Caveats:
# - Read and write counts cover the whole program: the execve reads and the
#   output write, measured once with `ipc-static -h` (calibration.txt), are
#   subtracted, which leaves the loop's. Linux only; elsewhere they are empty.
# - -g brackets the mode's run as ipc-static measures it (see README.md): the
#   thread creation or fork, the loop and the join or wait.
# - Rerunning with the same DIR and settings resumes after the last complete
#   pair (and a larger -n adds pairs); other settings are refused, and
#   --clear removes this script's files from DIR first. A DIR holding other
#   files is refused.
# - On SIGINT, SIGTERM or SIGHUP every process of the run in progress (each
#   run has a process group of its own) is stopped before it exits 128+signal.
#   A signal in the first moments after the start, while bash is still
#   reading the script's functions, can be lost (bash 5.2 then neither runs
#   the trap nor exits; sweep.sh shows it, this script did not in 300 tries):
#   wait for the first line ("N untraced and N traced runs"), or see that it
#   stopped and signal it again.
# No errexit (set -e): a helper killed by the same Ctrl-C (an awk in a $(...))
# would make bash exit with its status before running the trap that stops
# the run. Failures that matter are checked where they happen.
set -uo pipefail

EX_USAGE=64
EX_UNAVAILABLE=69
prog=probe-effect.sh
analyses="loop-returns loop-syscalls loop-latency loop-sched loop-wakeups loop-faults loop-profile whole-program"
orig_args=("$@")

# ---- interruption: from the first line on, stop the run in progress -----------
run_pgid=
csv=
launching=0
bang_before=
groups_alive() {
    kill -0 -- "-$1" 2>/dev/null || kill -0 "$1" 2>/dev/null
}
stop_run() {
    local p="$run_pgid" tries=0
    if [ "$launching" = 1 ] && [ -n "${!:-}" ] && [ "${!:-}" != "$bang_before" ]; then p="$!"; fi
    [ -n "$p" ] || return 0
    kill -TERM -- "-$p" 2>/dev/null || true
    kill -TERM "$p" 2>/dev/null || true
    while groups_alive "$p"; do
        tries=$((tries + 1))
        if [ "$tries" = 40 ]; then
            kill -KILL -- "-$p" 2>/dev/null || true
            kill -KILL "$p" 2>/dev/null || true
        elif [ "$tries" -gt 200 ]; then
            printf '%s: warning: processes of process group %s are still there after SIGKILL\n' "$prog" "$p" >&2
            break
        fi
        sleep 0.05
    done
    wait "$p" 2>/dev/null || true
}
on_signal() {
    local sig="$1" code
    trap '' INT TERM HUP
    case "$sig" in INT) code=130 ;; HUP) code=129 ;; *) code=143 ;; esac
    stop_run
    if [ -n "$csv" ]; then
        printf '\n%s: interrupted by SIG%s; no run is left running; the finished pairs are in %s\n' "$prog" "$sig" "$csv" >&2
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
    cat <<EOF
usage: scripts/probe-effect.sh [-o DIR] [-n N] [-a analysis] [--clear]
                               [--timeout S] [--] [ipc-static args]
  -o DIR       output directory (default: ./results/probe-effect); the same
               DIR and settings resume an interrupted comparison
  -n N         runs of each kind, interleaved (default: 11)
  -a analysis  one of: $analyses
               (default: loop-syscalls)
  --clear      remove this script's earlier files from DIR first
  --timeout S  give up on a run after S seconds (default: 600)
  ARGS         the benchmark (default: -B -i pipe 2thread); -g is added; -q,
               -j, -n, -l and -v are refused (every run must print one
               bandwidth line, and -v's host description would count as reads)
EOF
}
die_usage() {
    printf '%s: %s (try -h)\n' "$prog" "$1" >&2
    exit "$EX_USAGE"
}

outdir=results/probe-effect
runs=11
analysis=loop-syscalls
run_timeout=600
clear=0
need_value() { [ "$#" -ge 2 ] || die_usage "option $1 needs a value"; }
while [ "$#" -gt 0 ]; do
    case "$1" in
        -h | --help) usage_text; exit 0 ;;
        -o) need_value "$@"; outdir="$2"; shift 2 ;;
        -n) need_value "$@"; runs="$2"; shift 2 ;;
        -a) need_value "$@"; analysis="$2"; shift 2 ;;
        --clear) clear=1; shift ;;
        --timeout) need_value "$@"; run_timeout="$2"; shift 2 ;;
        --) shift; break ;;
        *) break ;; # the benchmark's own options start here
    esac
done
bench=("$@")
[ "${#bench[@]}" -gt 0 ] || bench=(-B -i pipe 2thread)

[ -n "$outdir" ] || die_usage "-o needs a directory name"
case "$runs" in '' | *[!0-9]*) die_usage "N must be a whole number >= 1, not '$runs'" ;; esac
[ "${#runs}" -le 4 ] && [ "$((10#$runs))" -ge 1 ] || die_usage "N must be between 1 and 9999, not '$runs'"
runs=$((10#$runs))
case "$run_timeout" in '' | *[!0-9]* | 0) die_usage "--timeout must be a whole number of seconds >= 1" ;; esac
case " $analyses " in
    *" $analysis "*) ;;
    *) die_usage "unknown analysis '$analysis' (one of: $analyses)" ;;
esac
# Refuse benchmark flags that would leave no bandwidth line to read; note -g
# and the placement (-a).
i=0
have_g=0
placement=unpinned
while [ "$i" -lt "${#bench[@]}" ]; do
    a="${bench[$i]}"
    i=$((i + 1))
    case "$a" in --) break ;; -?*) ;; *) continue ;; esac
    flags="${a#-}"
    while [ -n "$flags" ]; do
        f="${flags:0:1}"
        flags="${flags:1}"
        case "$f" in
            q | j | n | l) die_usage "benchmark flag -$f is not allowed here: every run must print one bandwidth line" ;;
            v) die_usage "benchmark flag -v is not allowed here: its host description's reads would count as the loop's" ;;
            g) have_g=1 ;;
            b | i | p | t | a | P)
                if [ -z "$flags" ]; then
                    flags="${bench[$i]:-}"
                    i=$((i + 1))
                fi
                if [ "$f" = a ]; then
                    case "$flags" in *,*) placement="cpu${flags%%,*}+cpu${flags#*,}" ;; *) placement="cpu$flags" ;; esac
                fi
                flags= ;;
        esac
    done
done
# -g goes first, so that it stays among the options whatever follows.
[ "$have_g" = 1 ] || bench=(-g "${bench[@]}")

here=$(cd "$(dirname "$0")" && pwd)
bin="${IPC_STATIC:-$here/../ipc-static}"
tracer="${TRACE_SH:-$here/trace.sh}"
counter="$here/io-count.sh"
bash_path="${BASH:-$(command -v bash)}"
if [ ! -x "$bin" ]; then
    printf '%s: %s is missing or not executable: run make first (or set IPC_STATIC)\n' "$prog" "$bin" >&2
    exit "$EX_UNAVAILABLE"
fi
if [ ! -x "$tracer" ]; then
    printf '%s: the tracing wrapper %s is missing or not executable\n' "$prog" "$tracer" >&2
    exit "$EX_UNAVAILABLE"
fi
if [ ! -x "$counter" ]; then
    printf '%s: %s is missing or not executable\n' "$prog" "$counter" >&2
    exit "$EX_UNAVAILABLE"
fi

# ---- the output directory: ours to resume, ours to clear, or refused ---------
csv="$outdir/runs.csv"
meta="$outdir/probe-effect.meta"
header="run,kind,bandwidth_kbps,utime_s,stime_s,minflt,majflt,nvcsw,nivcsw,reads,writes,mean_read_bytes,load1,status,error"
meta_text=$(printf 'analysis=%s\nbenchmark=%s\n' "$analysis" "$(printf '%q ' "${bench[@]}")")
ours="probe-effect.meta runs.csv summary.txt host.txt calibration.txt probe-effect.gp probe-effect.svg probe-effect.png behaviour.gp behaviour.dat behaviour.svg behaviour.png untraced.dat traced.dat raw traces"
if [ -d "$outdir" ]; then
    foreign=
    for f in "$outdir"/* "$outdir"/.[!.]*; do
        [ -e "$f" ] || continue
        case " $ours " in *" ${f##*/} "*) ;; *) foreign="$foreign ${f##*/}" ;; esac
    done
    [ -z "$foreign" ] || die_usage "$outdir holds files that are not probe-effect.sh's ($foreign ); use another -o DIR"
    if [ "$clear" = 1 ]; then
        for f in $ours; do rm -rf -- "${outdir:?}/$f"; done
    elif [ -e "$csv" ] || [ -e "$outdir/traces" ] || [ -e "$outdir/raw" ]; then
        # (A runs.csv not yet written, or cut before its header, is an
        # interruption in the first moments: resumed, not refused.)
        if [ ! -e "$meta" ] || [ "$(cat -- "$meta")" != "$meta_text" ] ||
            { [ -s "$csv" ] && [ "$(head -n 1 -- "$csv" 2>/dev/null)" != "$header" ]; }; then
            die_usage "$outdir holds another comparison ($(tr '\n' ' ' 2>/dev/null <"$meta" || echo 'older format')); use another -o DIR, or --clear to replace it"
        fi
    fi
fi


# A comparison refused at its first run leaves nothing behind: the
# directories this run made go, else this script's files in DIR.
made_outdir=
top=$outdir
while [ ! -d "$top" ]; do
    made_outdir=$top
    top=$(dirname -- "$top")
done
discard_refused() {
    if [ -n "$made_outdir" ]; then
        rm -rf -- "$made_outdir"
    else
        for f in $ours; do rm -rf -- "${outdir:?}/$f"; done
    fi
}
cannot_create() {
    printf '%s: cannot create %s\n' "$prog" "$1" >&2
    exit 73 # EX_CANTCREAT
}
# The .meta first: raw/ or traces/ never exist without it, so that a
# comparison interrupted right here is resumed, not taken for another.
mkdir -p -- "$outdir" 2>/dev/null || cannot_create "$outdir"
printf '%s\n' "$meta_text" 2>/dev/null >"$meta" || cannot_create "$meta"
mkdir -p -- "$outdir/raw" "$outdir/traces" 2>/dev/null || cannot_create "$outdir/raw"
[ -s "$outdir/host.txt" ] || "$bin" describe >"$outdir/host.txt" 2>/dev/null || : >"$outdir/host.txt"

# What execve and the output add to every run's counts: `ipc-static -h`.
IO_COUNT_FILE="$outdir/calibration.txt" "$counter" "$bin" -h >/dev/null 2>&1 || true
cal_reads= cal_writes= cal_rbytes=
read_io() { # read_io FILE: sets io_reads io_writes io_rbytes
    local line= k
    io_reads= io_writes= io_rbytes=
    [ -s "$1" ] && IFS= read -r line <"$1"
    for k in $line; do
        case "$k" in
            reads=*) io_reads="${k#reads=}" ;;
            writes=*) io_writes="${k#writes=}" ;;
            read_bytes=*) io_rbytes="${k#read_bytes=}" ;;
        esac
    done
}
read_io "$outdir/calibration.txt"
cal_reads=$io_reads cal_writes=$io_writes cal_rbytes=$io_rbytes

# Resume: keep the complete pairs (runs 1..K with both kinds), drop the rest.
first=1
if [ -s "$csv" ] && [ "$(head -n 1 -- "$csv")" = "$header" ]; then
    first=$(awk -F, 'NR > 1 { seen[$1, $2] = 1 }
        END { k = 1; while (((k, "untraced") in seen) && ((k, "traced") in seen)) k++; print k }' "$csv")
    awk -F, -v k="$first" 'NR == 1 || ($1 + 0 < k)' "$csv" >"$csv.tmp" && mv -f -- "$csv.tmp" "$csv"
else
    printf '%s\n' "$header" 2>/dev/null >"$csv" || cannot_create "$csv"
fi

load1=
read_load() {
    local rest
    load1=
    if [ -r /proc/loadavg ]; then
        read -r load1 rest </proc/loadavg || true
    else
        load1=$(sysctl -n vm.loadavg 2>/dev/null | awk '{ print $2 }') || load1=
    fi
}

# field FILE KEY: the value of an indented "  KEY: value" line of the output.
field() {
    awk -v k="$2" '$1 == k ":" { print $2; exit }' "$1"
}
# bandwidth FILE: the first sample's KBytes/sec.
bandwidth() {
    awk '/ KBytes\/sec$/ { print $1; exit }' "$1"
}

# one KIND K: one run, one CSV row.
one() {
    local kind="$1" k="$2" rc=0 bw err out errf io
    out="$outdir/raw/$kind-$k.out"
    errf="$outdir/raw/$kind-$k.err"
    io="$outdir/raw/$kind-$k.io"
    rm -f -- "$out" "$errf" "$io"
    [ "$kind" = traced ] && rm -f -- "$outdir/traces/trace-$k.txt"
    read_load
    bang_before="${!:-}"
    launching=1
    set -m
    if [ "$kind" = untraced ]; then
        IO_COUNT_BIN="$bin" IO_COUNT_FILE="$io" \
            timeout "$run_timeout" "$counter" "${bench[@]}" >"$out" 2>"$errf" </dev/null &
    else
        # bpftrace -c runs ELF files only: bash runs the counter (and
        # loop-profile names user frames from the benchmark's symbols).
        IO_COUNT_BIN="$bin" IO_COUNT_FILE="$io" IPC_STATIC="$bash_path" TRACE_SYMBOLS="$bin" \
            timeout "$run_timeout" "$tracer" "$analysis" -o "$outdir/traces/trace-$k.txt" -- "$counter" "${bench[@]}" \
            >"$out" 2>"$errf" </dev/null &
    fi
    run_pgid=$!
    set +m
    launching=0
    wait "$run_pgid" || rc=$?
    run_pgid=
    bw=$(bandwidth "$out")
    if [ "$rc" = 0 ] && [ -n "$bw" ]; then
        local ut st mf jf vc ic reads= writes= mean=
        ut=$(field "$out" utime) st=$(field "$out" stime)
        mf=$(field "$out" minflt) jf=$(field "$out" majflt) vc=$(field "$out" nvcsw) ic=$(field "$out" nivcsw)
        read_io "$io"
        if [ -n "$io_reads" ] && [ -n "$cal_reads" ]; then
            reads=$((io_reads - cal_reads))
            writes=$((io_writes - cal_writes))
            [ "$reads" -gt 0 ] && mean=$(awk -v b="$((io_rbytes - cal_rbytes))" -v n="$reads" 'BEGIN { printf "%.1f", b / n }')
        fi
        printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,ok,\n' "$k" "$kind" "$bw" "$ut" "$st" "$mf" "$jf" \
            "$vc" "$ic" "$reads" "$writes" "$mean" "$load1" >>"$csv"
        [ -s "$errf" ] || rm -f -- "$errf"
        printf '[%d/%d] %-8s %s KBytes/sec%s%s\n' "$k" "$runs" "$kind" "$bw" "${reads:+, $reads reads}" \
            "${load1:+, load $load1}" >&2
    else
        if [ "$rc" = 124 ]; then err="timed out after ${run_timeout}s"
        elif [ "$rc" = 0 ]; then err="exit 0 but no bandwidth line in its output"
        else err=$(grep -m 1 -v '^[[:space:]]*$' "$errf" || true); err="exit $rc: ${err:-no message}"; fi
        err=$(printf '%s' "$err" | tr '\r\n' '  ')
        # ipc-static refusing its arguments on the first run: a usage error,
        # and no comparison to keep or resume.
        if [ "$kind" = untraced ] && [ "$k" = 1 ] && [ "$rc" = "$EX_USAGE" ]; then
            discard_refused
            printf '%s: ipc-static refuses the arguments: %s\n' "$prog" "$err" >&2
            exit "$EX_USAGE"
        fi
        printf '%s,%s,,,,,,,,,,,%s,failed,"%s"\n' "$k" "$kind" "$load1" "${err//\"/\"\"}" >>"$csv"
        printf '[%d/%d] %-8s FAILED: %s\n' "$k" "$runs" "$kind" "$err" >&2
        # A wrapper that refuses to trace at all (usage, no tracer, not root)
        # will refuse every time: stop at once.
        if [ "$kind" = traced ] && [ "$k" = 1 ] && { [ "$rc" = 64 ] || [ "$rc" = 66 ] || [ "$rc" = 69 ] || [ "$rc" = 77 ]; }; then
            printf '%s: %s cannot trace here; stopping\n' "$prog" "$tracer" >&2
            exit 1
        fi
    fi
}

if [ "$first" -gt "$runs" ]; then
    printf '%s: %s already holds %d complete pairs: the report is drawn again\n' "$prog" "$outdir" "$((first - 1))" >&2
elif [ "$first" -gt 1 ]; then
    printf '%s: resuming %s after %d complete pairs\n' "$prog" "$outdir" "$((first - 1))" >&2
fi
printf '%s: %d untraced and %d traced runs (%s) of: ipc-static %s\n' "$prog" "$runs" "$runs" \
    "$analysis" "${bench[*]}" >&2
for ((k = first; k <= runs; k++)); do
    one untraced "$k"
    one traced "$k"
done
trap - INT TERM HUP

# ---- the report --------------------------------------------------------------
host_field() { sed -n "s/^[[:space:]]*$1:[[:space:]]*//p" "$outdir/host.txt" | head -n 1; }
cpu=$(host_field cpu_model)
ncpu=$(host_field ncpu)
osname=$(host_field os_name)
osrel=$(host_field os_release)
[ -n "$cpu" ] || cpu="unknown CPU"
[ -n "$osname" ] || osname=$(uname -s)
[ -n "$osrel" ] || osrel=$(uname -r)
un=$(awk -F, 'NR > 1 && $2 == "untraced" && $14 == "ok"' "$csv" | wc -l | tr -d ' ')
tn=$(awk -F, 'NR > 1 && $2 == "traced" && $14 == "ok"' "$csv" | wc -l | tr -d ' ')
loads=$(awk -F, 'NR > 1 && $13 != "" { print $13 }' "$csv" | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%s to %s", v[1], v[NR] }')
{
    printf 'Probe effect of %s on: ipc-static %s\n' "$analysis" "${bench[*]}"
    printf 'host: %s (%s CPUs), %s %s; placement: %s; %s untraced and %s traced runs, interleaved%s\n' \
        "$cpu" "${ncpu:-?}" "$osname" "$osrel" "$placement" "$un" "$tn" "${loads:+; load average $loads}"
    printf '\n'
    awk -F, '
        NR == 1 { next }
        $14 == "ok" {
            for (c = 3; c <= 12; c++) if ($c != "") { n[$2, c]++; v[$2, c, n[$2, c]] = $c + 0 }
        }
        function sort(kind, c,   i, j, x, m) {
            m = n[kind, c]
            for (i = 1; i <= m; i++) s[i] = v[kind, c, i]
            for (i = 2; i <= m; i++) { x = s[i]; j = i - 1; while (j >= 1 && s[j] > x) { s[j + 1] = s[j]; j-- } s[j + 1] = x }
            return m
        }
        function stats(kind, c,   m) {
            m = sort(kind, c)
            if (m == 0) return 0
            med[kind] = (m % 2) ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
            lo[kind] = s[1]; hi[kind] = s[m]
            return m
        }
        function num(x, f) { return sprintf(f, x) }
        END {
            split("3 4 5 6 8 9 10 11 12", cols, " ")
            name[3] = "bandwidth (KBytes/sec)"; f[3] = "%.0f"
            name[4] = "user CPU (s)"; f[4] = "%.6f"
            name[5] = "system CPU (s)"; f[5] = "%.6f"
            name[6] = "minor page faults"; f[6] = "%.0f"
            name[8] = "voluntary ctx switches"; f[8] = "%.0f"
            name[9] = "involuntary ctx switches"; f[9] = "%.0f"
            name[10] = "read calls (loop)"; f[10] = "%.0f"
            name[11] = "write calls (loop)"; f[11] = "%.0f"
            name[12] = "mean read size (bytes)"; f[12] = "%.1f"
            printf "%-26s %32s %32s %9s  %s\n", "measure", "untraced median [min-max]", "traced median [min-max]", "t/u", "ranges"
            for (i = 1; i <= 9; i++) {
                c = cols[i]
                if (!stats("untraced", c) || !stats("traced", c)) {
                    printf "%-26s %32s %32s %9s  %s\n", name[c], "-", "-", "-", "-"
                    continue
                }
                u = num(med["untraced"], f[c]) " [" num(lo["untraced"], f[c]) "-" num(hi["untraced"], f[c]) "]"
                t = num(med["traced"], f[c]) " [" num(lo["traced"], f[c]) "-" num(hi["traced"], f[c]) "]"
                r = (med["untraced"] > 0) ? sprintf("%.3f", med["traced"] / med["untraced"]) : (med["traced"] > 0 ? "inf" : "-")
                ov = (hi["traced"] >= lo["untraced"] && hi["untraced"] >= lo["traced"]) ? "overlap" : "apart"
                printf "%-26s %32s %32s %9s  %s\n", name[c], u, t, r, ov
                # for the behaviour plot: measure, ratio of medians, of traced min, of traced max
                # (a traced minimum of 0 is drawn at 1/1000, the floor of the log axis)
                if (med["untraced"] > 0 && med["traced"] > 0)
                    printf "%d\t%s\t%s\t%s\t%s\n", i, name[c], med["traced"] / med["untraced"],
                        (lo["traced"] > 0 ? lo["traced"] / med["untraced"] : 0.001), hi["traced"] / med["untraced"] > behaviour
            }
        }' behaviour="$outdir/behaviour.dat" "$csv"
    printf '\n'
    if [ "$un" -gt 0 ] && [ "$tn" -gt 0 ]; then
        awk -F, 'NR > 1 && $14 == "ok" { print $2, $3 }' "$csv" | sort -k1,1 -k2,2g | awk '
            { v[$1, ++n[$1]] = $2 }
            function median(k,   m) { m = n[k]; return (m % 2) ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 }
            END {
                u = median("untraced"); t = median("traced")
                umin = v["untraced", 1]; umax = v["untraced", n["untraced"]]
                tmin = v["traced", 1]; tmax = v["traced", n["traced"]]
                printf "ratio traced/untraced (medians): %.3f\n", t / u
                if (t < u) printf "tracing slowed the benchmark by %.1f%%", (1 - t / u) * 100
                else printf "tracing did not slow the benchmark (%+.1f%%)", (t / u - 1) * 100
                if (tmax >= umin && umax >= tmin) printf "; the ranges overlap, so part of it is run-to-run noise\n"
                else printf "; the ranges do not overlap\n"
            }'
    else
        printf 'no ratio: a kind has no successful run (see %s)\n' "$csv"
    fi
    if [ -z "$cal_reads" ]; then
        printf 'read/write counts: not available here (no /proc/self/io)\n'
    fi
} >"$outdir/summary.txt"
cat -- "$outdir/summary.txt"

if command -v gnuplot >/dev/null 2>&1 && [ "$un" -gt 0 ] && [ "$tn" -gt 0 ]; then
    awk -F, 'NR > 1 && $14 == "ok" && $2 == "untraced" { print $3 }' "$csv" >"$outdir/untraced.dat"
    awk -F, 'NR > 1 && $14 == "ok" && $2 == "traced" { print $3 }' "$csv" >"$outdir/traced.dat"
    gq() { local q="'"; printf "'%s'" "${1//$q/$q$q}"; }
    title1="Probe effect of $analysis: ipc-static ${bench[*]}"
    title2="$cpu ($ncpu CPUs), $osname $osrel; placement $placement; $un untraced + $tn traced runs, interleaved"
    png_term=pngcairo
    gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1 || png_term=png
    {
        printf 'set termoption noenhanced\n'
        printf 'set title %s . "\\n" . %s\n' "$(gq "$title1")" "$(gq "$title2")"
        printf 'set ylabel "Bandwidth (KBytes/sec, as ipc-static prints it)"\n'
        printf 'set format y "%%.0f"\n'
        printf 'set lmargin 14\n'
        printf "set xtics ('untraced' 1, 'traced (%s)' 2)\n" "$analysis"
        printf 'set xrange [0.4:2.6]\n'
        printf 'set yrange [0:*]\n'
        printf 'set grid ytics\n'
        printf 'set style fill transparent solid 0.3\n'
        printf 'set style boxplot nooutliers\n'
        printf 'set boxwidth 0.5\n'
        printf 'set jitter overlap screen 0.02 spread 0.4\n'
        printf 'unset key\n'
        printf "plot 'untraced.dat' using (1):1 with boxplot lc 1, \\\\\n"
        printf "     'traced.dat' using (2):1 with boxplot lc 2, \\\\\n"
        printf "     'untraced.dat' using (1):1 with points pt 7 ps 0.8 lc 1, \\\\\n"
        printf "     'traced.dat' using (2):1 with points pt 7 ps 0.8 lc 2\n"
    } >"$outdir/probe-effect.gp"
    {
        printf 'set termoption noenhanced\n'
        printf 'set title %s . "\\n" . %s . "\\n" . %s\n' "$(gq "Systemic behaviour under $analysis: traced runs over the untraced median (median, min-max; measures with a median of 0 only in summary.txt)")" \
            "$(gq "ipc-static ${bench[*]}")" "$(gq "$title2")"
        printf 'set datafile separator "\\t"\n'
        printf 'set logscale y 10\n'
        printf 'set ylabel "traced / untraced median (log scale; 1 = no change)"\n'
        printf 'set grid ytics\n'
        printf 'set xtics rotate by -30 scale 0\n'
        printf 'set bmargin 9\n'
        printf 'set style fill solid 0.4\n'
        printf 'set boxwidth 0.6\n'
        printf 'set xrange [0.3:9.7]\n'
        printf 'unset key\n'
        printf 'set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "black"\n'
        printf "plot 'behaviour.dat' using 1:3:xtic(2) with points pt 7 ps 1.4 lc 2, \\\\\n"
        printf "     '' using 1:3:4:5 with yerrorbars pt -1 lc 2\n"
    } >"$outdir/behaviour.gp"
    (
        cd -- "$outdir"
        gnuplot -e "set terminal svg size 960,560 dynamic background rgb 'white'; set output 'probe-effect.svg'" probe-effect.gp
        gnuplot -e "set terminal $png_term size 960,560; set output 'probe-effect.png'" probe-effect.gp
        if [ -s behaviour.dat ]; then
            gnuplot -e "set terminal svg size 960,600 dynamic background rgb 'white'; set output 'behaviour.svg'" behaviour.gp
            gnuplot -e "set terminal $png_term size 960,600; set output 'behaviour.png'" behaviour.gp
        fi
    )
    printf '%s: wrote %s, %s and %s\n' "$prog" "$outdir/summary.txt" "$outdir/probe-effect.svg" "$outdir/behaviour.svg" >&2
fi
[ "$un" -gt 0 ] && [ "$tn" -gt 0 ]
