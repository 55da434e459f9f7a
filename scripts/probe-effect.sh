#!/bin/bash
# probe-effect.sh: how has tracing changed the benchmark?
#
#   scripts/probe-effect.sh [-o DIR] [-n N] [-a analysis] [--] [ipc-static args]
#
# Runs the same ipc-static configuration N times untraced and N times under an
# analysis of scripts/trace.sh, interleaved (untraced, traced, untraced, ...),
# and reports the median bandwidth of each, their ratio and the spread.
# Everything goes under DIR (default ./results/probe-effect):
#   runs.csv                     run,kind,bandwidth_kbps,status,error
#   summary.txt                  the report (also printed on stdout)
#   probe-effect.svg/.png        both distributions (box plot and points; needs gnuplot)
#   traces/trace-K.txt           the analysis output of traced run K
#   raw/{untraced,traced}-K.out  each run's stdout, and .err its stderr
# Defaults: -n 11, -a loop-syscalls, ipc-static args "-B -i pipe 2thread".
# The binary is $IPC_STATIC when set (else ipc-static next to scripts/), the
# wrapper $TRACE_SH when set (else scripts/trace.sh). Tracing needs root.
set -euo pipefail

EX_USAGE=64
EX_UNAVAILABLE=69
prog=probe-effect.sh
analyses="loop-returns loop-syscalls loop-latency loop-sched loop-wakeups loop-faults loop-profile whole-program"

usage_text() {
    cat <<EOF
usage: scripts/probe-effect.sh [-o DIR] [-n N] [-a analysis] [--] [ipc-static args]
  -o DIR       output directory (default: ./results/probe-effect)
  -n N         runs of each kind, interleaved (default: 11)
  -a analysis  one of: $analyses
               (default: loop-syscalls)
  ARGS         the benchmark (default: -B -i pipe 2thread); -q, -j and -n are
               refused, as every run must print its one bandwidth line
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
need_value() { [ "$#" -ge 2 ] || die_usage "option $1 needs a value"; }
while [ "$#" -gt 0 ]; do
    case "$1" in
        -h | --help) usage_text; exit 0 ;;
        -o) need_value "$@"; outdir="$2"; shift 2 ;;
        -n) need_value "$@"; runs="$2"; shift 2 ;;
        -a) need_value "$@"; analysis="$2"; shift 2 ;;
        --timeout) need_value "$@"; run_timeout="$2"; shift 2 ;;
        --) shift; break ;;
        -*) break ;; # the benchmark's own options start here
        *) break ;;
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
# Refuse benchmark flags that would leave no bandwidth line to read.
i=0
while [ "$i" -lt "${#bench[@]}" ]; do
    a="${bench[$i]}"
    i=$((i + 1))
    case "$a" in --) break ;; -?*) ;; *) continue ;; esac
    flags="${a#-}"
    while [ -n "$flags" ]; do
        f="${flags:0:1}"
        flags="${flags:1}"
        case "$f" in
            q | j | n) die_usage "benchmark flag -$f is not allowed here: every run must print one bandwidth line" ;;
            b | i | p | t | a | P)
                if [ -z "$flags" ]; then i=$((i + 1)); fi
                flags= ;;
        esac
    done
done

here=$(cd "$(dirname "$0")" && pwd)
bin="${IPC_STATIC:-$here/../ipc-static}"
tracer="${TRACE_SH:-$here/trace.sh}"
if [ ! -x "$bin" ]; then
    printf '%s: %s is missing or not executable: run make first (or set IPC_STATIC)\n' "$prog" "$bin" >&2
    exit "$EX_UNAVAILABLE"
fi
if [ ! -x "$tracer" ]; then
    printf '%s: the tracing wrapper %s is missing or not executable\n' "$prog" "$tracer" >&2
    exit "$EX_UNAVAILABLE"
fi
mkdir -p -- "$outdir/raw" "$outdir/traces"
csv="$outdir/runs.csv"
printf 'run,kind,bandwidth_kbps,status,error\n' >"$csv"

# bandwidth FILE: the first sample's KBytes/sec, from the text line or JSON.
bandwidth() {
    awk '
        / KBytes\/sec$/ { print $1; exit }
        match($0, /"bandwidth"[ \t]*:[ \t]*[0-9.]+/) { s = substr($0, RSTART, RLENGTH); sub(/.*:[ \t]*/, "", s); print s; exit }
    ' "$1"
}

cpid=
on_signal() {
    trap - INT TERM
    [ -n "$cpid" ] && kill -TERM "$cpid" 2>/dev/null || true
    wait 2>/dev/null || true
    printf '\n%s: interrupted; the finished runs are in %s\n' "$prog" "$csv" >&2
    exit 130
}
trap on_signal INT TERM

# one KIND K: one run, one CSV row.
one() {
    local kind="$1" k="$2" rc=0 bw err out="$outdir/raw/$1-$2.out" errf="$outdir/raw/$1-$2.err"
    if [ "$kind" = untraced ]; then
        timeout "$run_timeout" "$bin" "${bench[@]}" >"$out" 2>"$errf" </dev/null &
    else
        timeout "$run_timeout" "$tracer" "$analysis" -o "$outdir/traces/trace-$k.txt" -- "${bench[@]}" \
            >"$out" 2>"$errf" </dev/null &
    fi
    cpid=$!
    wait "$cpid" || rc=$?
    cpid=
    bw=$(bandwidth "$out")
    # trace.sh may put the benchmark's own output into the analysis file
    if [ -z "$bw" ] && [ "$kind" = traced ] && [ -f "$outdir/traces/trace-$k.txt" ]; then
        bw=$(bandwidth "$outdir/traces/trace-$k.txt")
    fi
    if [ "$rc" = 0 ] && [ -n "$bw" ]; then
        printf '%s,%s,%s,ok,\n' "$k" "$kind" "$bw" >>"$csv"
        [ -s "$errf" ] || rm -f -- "$errf"
        printf '[%d/%d] %-8s %s KBytes/sec\n' "$k" "$runs" "$kind" "$bw" >&2
    else
        if [ "$rc" = 124 ]; then err="timed out after ${run_timeout}s"
        elif [ "$rc" = 0 ]; then err="exit 0 but no bandwidth line in its output"
        else err=$(grep -m 1 -v '^[[:space:]]*$' "$errf" || true); err="exit $rc: ${err:-no message}"; fi
        err=$(printf '%s' "$err" | tr '\r\n' '  ')
        printf '%s,%s,,failed,"%s"\n' "$k" "$kind" "${err//\"/\"\"}" >>"$csv"
        printf '[%d/%d] %-8s FAILED: %s\n' "$k" "$runs" "$kind" "$err" >&2
        # ipc-static refusing its arguments on the first run: a usage error.
        if [ "$kind" = untraced ] && [ "$k" = 1 ] && [ "$rc" = "$EX_USAGE" ]; then
            printf '%s: ipc-static refuses the arguments: %s\n' "$prog" "$err" >&2
            exit "$EX_USAGE"
        fi
        # A wrapper that refuses to trace at all (usage, no tracer, not root)
        # will refuse every time: stop at once.
        if [ "$kind" = traced ] && [ "$k" = 1 ] && { [ "$rc" = 64 ] || [ "$rc" = 66 ] || [ "$rc" = 69 ] || [ "$rc" = 77 ]; }; then
            printf '%s: %s cannot trace here; stopping\n' "$prog" "$tracer" >&2
            exit 1
        fi
    fi
}

printf '%s: %d untraced and %d traced runs (%s) of: ipc-static %s\n' "$prog" "$runs" "$runs" \
    "$analysis" "${bench[*]}" >&2
for ((k = 1; k <= runs; k++)); do
    one untraced "$k"
    one traced "$k"
done
trap - INT TERM

# ---- the report --------------------------------------------------------------
stats() { # stats KIND: "n median min max" of the ok runs of KIND (KBytes/sec)
    awk -F, -v kind="$1" 'NR > 1 && $2 == kind && $4 == "ok" { print $3 }' "$csv" | sort -g | awk '
        { v[++n] = $1 }
        END {
            if (n == 0) { print "0 - - -"; exit }
            med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
            printf "%d %.2f %.2f %.2f\n", n, med, v[1], v[n]
        }'
}
read -r un umed umin umax < <(stats untraced)
read -r tn tmed tmin tmax < <(stats traced)
{
    printf 'Probe effect of %s on: ipc-static %s\n' "$analysis" "${bench[*]}"
    printf '%-10s %5s %16s %16s %16s   (KBytes/sec)\n' kind runs median min max
    printf '%-10s %5s %16s %16s %16s\n' untraced "$un" "$umed" "$umin" "$umax"
    printf '%-10s %5s %16s %16s %16s\n' traced "$tn" "$tmed" "$tmin" "$tmax"
    if [ "$un" -gt 0 ] && [ "$tn" -gt 0 ]; then
        awk -v u="$umed" -v t="$tmed" -v umin="$umin" -v umax="$umax" -v tmin="$tmin" -v tmax="$tmax" 'BEGIN {
            printf "ratio traced/untraced (medians): %.3f\n", t / u
            if (t < u) printf "tracing slowed the benchmark by %.1f%%", (1 - t / u) * 100
            else printf "tracing did not slow the benchmark (%+.1f%%)", (t / u - 1) * 100
            if (tmax >= umin && umax >= tmin) printf "; the ranges overlap, so part of it is run-to-run noise\n"
            else printf "; the ranges do not overlap\n"
        }'
    else
        printf 'no ratio: a kind has no successful run (see %s)\n' "$csv"
    fi
} >"$outdir/summary.txt"
cat -- "$outdir/summary.txt"

if command -v gnuplot >/dev/null 2>&1 && [ "$un" -gt 0 ] && [ "$tn" -gt 0 ]; then
    awk -F, 'NR > 1 && $4 == "ok" && $2 == "untraced" { print $3 / 1024 }' "$csv" >"$outdir/untraced.dat"
    awk -F, 'NR > 1 && $4 == "ok" && $2 == "traced" { print $3 / 1024 }' "$csv" >"$outdir/traced.dat"
    q="'"
    title="Probe effect of $analysis: ipc-static ${bench[*]}"
    title="${title//$q/$q$q}"
    png_term=pngcairo
    gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1 || png_term=png
    gp="set termoption noenhanced
set title '$title'
set ylabel 'Bandwidth (MiB/s)'
set xtics ('untraced' 1, 'traced ($analysis)' 2)
set xrange [0.4:2.6]
set yrange [0:*]
set grid ytics
set style fill transparent solid 0.3
set style boxplot nooutliers
set boxwidth 0.5
set jitter overlap screen 0.02 spread 0.4
unset key
plot 'untraced.dat' using (1):1 with boxplot lc 1, \\
     'traced.dat' using (2):1 with boxplot lc 2, \\
     'untraced.dat' using (1):1 with points pt 7 ps 0.8 lc 1, \\
     'traced.dat' using (2):1 with points pt 7 ps 0.8 lc 2"
    printf '%s\n' "$gp" >"$outdir/probe-effect.gp"
    (
        cd -- "$outdir"
        gnuplot -e "set terminal svg size 700,500 dynamic background rgb 'white'; set output 'probe-effect.svg'" probe-effect.gp
        gnuplot -e "set terminal $png_term size 700,500; set output 'probe-effect.png'" probe-effect.gp
    )
    printf '%s: wrote %s and %s\n' "$prog" "$outdir/summary.txt" "$outdir/probe-effect.svg" >&2
fi
[ "$un" -gt 0 ] && [ "$tn" -gt 0 ]
