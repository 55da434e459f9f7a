#!/bin/bash
# plot-latency.sh: plot a latency sweep made by `scripts/sweep.sh -l` (what
# scripts/plot.sh runs when DIR/results.csv has latency columns).
#
#   scripts/plot-latency.sh [--] DIR
#
# Reads DIR/results.csv (rows with status ok: round_trips, mean_ns, p50_ns,
# p99_ns, max_ns per run) and writes, all under DIR:
#   latency.svg, latency.png   round-trip time against message size, both
#                              axes logarithmic: one colour per config and
#                              mode; the median of the trials' medians (p50)
#                              as a solid line, the median of their p99 as a
#                              dashed line of the same colour
#   summary.txt                per mode a table by size: the median p50, p99
#                              and mean of every config, in microseconds,
#                              and the tail (p99 / p50)
#   latency.dat, latency.gp    the plotted numbers and the gnuplot script
#
# Example (this machine: 2-core AMD EPYC VM, Linux 6.18; the plot is
# docs/latency.svg, the summary docs/latency-summary.txt):
#   $ scripts/plot-latency.sh results/latency
#   plot-latency.sh: wrote results/latency/latency.svg (and .png) and results/latency/summary.txt
#
# The title names the host's CPU and OS (DIR/host.txt, written by sweep.sh;
# else `ipc-static describe`, else /proc/cpuinfo and uname) and the round
# trips and quiescing of DIR/sweep.meta (without it, the round trips the
# rows recorded, and no word on quiescing): a results.csv alone is drawn too.
#
# Exit codes (sysexits), as scripts/plot.sh's: 0 drawn; 64 usage; 65
# results.csv holds no successful run, or is a bandwidth sweep's (no
# latency columns); 66 no DIR/results.csv (DIR missing, or not a sweep's);
# 69 gnuplot missing; a failing gnuplot's own status otherwise.
#
# Caveats:
# - The p99 of a run is read from its own histogram (within 0.8%); the
#   line is the median over the trials of those p99s, not a p99 over all
#   of them. max_ns (in the CSV) is one round trip: not plotted.
# - Placement decides the result on a small machine (one CPU or two):
#   plot sweeps pinned the same way together, not apart (sweep.sh -a).
set -euo pipefail

EX_USAGE=64
EX_DATAERR=65
EX_NOINPUT=66
EX_UNAVAILABLE=69
prog=plot-latency.sh

usage() {
    printf 'usage: scripts/plot-latency.sh [--] DIR   (DIR holds results.csv from scripts/sweep.sh -l)\n' >&2
    exit "$EX_USAGE"
}
dir=
case "${1:-}" in
    -h | --help) printf 'usage: scripts/plot-latency.sh [--] DIR\n  writes DIR/latency.svg/.png and DIR/summary.txt from DIR/results.csv (sweep.sh -l)\n'; exit 0 ;;
    --) shift; [ "$#" = 1 ] || usage; dir="$1" ;;
    '' | -*) usage ;;
    *) [ "$#" = 1 ] || usage; dir="$1" ;;
esac
csv="$dir/results.csv"
if [ ! -f "$csv" ]; then
    printf '%s: %s does not exist (run scripts/sweep.sh -l -o DIR first)\n' "$prog" "$csv" >&2
    exit "$EX_NOINPUT"
fi
if ! head -n 1 -- "$csv" | tr ',' '\n' | grep -qx p50_ns; then
    printf '%s: %s has no latency columns (a bandwidth sweep: scripts/plot.sh draws it)\n' "$prog" "$csv" >&2
    exit "$EX_DATAERR"
fi
if ! command -v gnuplot >/dev/null 2>&1; then
    printf '%s: gnuplot is not installed (apt-get install gnuplot-nox)\n' "$prog" >&2
    exit "$EX_UNAVAILABLE"
fi

# The host, as scripts/plot.sh finds it (scripts/host-of.sh).
. "$(dirname "$0")/host-of.sh"
host_of "$dir"
host="$cpu ($ncpu CPUs), $osname $osrel"
bare=
trips=
if [ -r "$dir/sweep.meta" ]; then
    bare=$(sed -n 's/^bare=//p' "$dir/sweep.meta" | head -n 1)
    trips=$(sed -n 's/^latency=\([0-9]*\).*/\1/p' "$dir/sweep.meta" | head -n 1)
fi
# Without sweep.meta: the round trips the rows recorded (one value, or a list).
[ -n "$trips" ] || trips=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "round_trips") c = i; next }
    c && $c != "" && !($c in s) { s[$c] = 1; o = o (o ? "/" : "") $c } END { print o }' "$csv")

# stats: order <TAB> series <TAB> mode <TAB> size <TAB> p50 <TAB> p99 <TAB> mean <TAB> trials
# (microseconds; medians over the trials), series in order of appearance.
stats=$(awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["status"] == "ok" && $col["p50_ns"] != "" {
        s = $col["ipc"] ($col["sflag"] == 1 ? " -s" : "") " " $col["mode"]
        if (!(s in order)) order[s] = ++n
        printf "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", order[s], s, $col["mode"], $col["buffersize"], $col["p50_ns"] / 1000, $col["p99_ns"] / 1000, $col["mean_ns"] / 1000
    }' "$csv" | sort -t "$(printf '\t')" -k1,1n -k4,4n -s | awk -F'\t' '
    function median(list, count,   v, i, j, x) {
        split(list, v, " ")
        for (i = 2; i <= count; i++) { x = v[i] + 0; j = i - 1; while (j >= 1 && v[j] + 0 > x) { v[j + 1] = v[j]; j-- } v[j + 1] = x }
        return (count % 2) ? v[(count + 1) / 2] : (v[count / 2] + v[count / 2 + 1]) / 2
    }
    function flush() {
        if (cnt) printf "%s\t%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%d\n", pord, pser, pmode, psize, median(a, cnt), median(b, cnt), median(c, cnt), cnt
        cnt = 0; a = b = c = ""
    }
    { if ($1 != pord || $4 != psize) flush(); pord = $1; pser = $2; pmode = $3; psize = $4
      a = a " " $5; b = b " " $6; c = c " " $7; cnt++ }
    END { flush() }')
if [ -z "$stats" ]; then
    printf '%s: %s has no successful runs to plot\n' "$prog" "$csv" >&2
    exit "$EX_DATAERR"
fi

# latency.dat: one index per series: size p50 p99
printf '%s\n' "$stats" | awk -F'\t' '
    $1 != prev { if (NR > 1) printf "\n\n"; printf "# %s\n# size p50_us p99_us\n", $2; prev = $1 }
    { printf "%s %s %s\n", $4, $5, $6 }' >"$dir/latency.dat"

minsize=$(printf '%s\n' "$stats" | cut -f4 | sort -n | head -n 1)
maxsize=$(printf '%s\n' "$stats" | cut -f4 | sort -n | tail -n 1)
tics=$(awk -v lo="$minsize" -v hi="$maxsize" 'BEGIN {
    for (p = 1; p <= hi; p *= 2) if (p >= lo / 2) {
        lab = (p >= 1048576) ? p / 1048576 " MiB" : (p >= 1024) ? p / 1024 " KiB" : p " B"
        printf "%s\"%s\" %d", (n++ ? ", " : ""), lab, p
    } }')
maxtrials=$(printf '%s\n' "$stats" | cut -f8 | sort -n | tail -n 1)
# The y axis: from under the lowest p50 to over the highest p99.
# Tics at 1, 2, 3, 5 and 7 of every decade in it.
read -r yrange ytics < <(printf '%s\n' "$stats" | awk -F'\t' '
    NR == 1 { lo = $5; hi = $6 }
    { if ($5 < lo) lo = $5; if ($6 > hi) hi = $6 }
    END {
        if (lo <= 0) lo = 0.001
        lo /= 1.4; hi *= 1.4
        for (d = 10 ^ int(log(lo) / log(10) - 1); d <= hi; d *= 10)
            for (i = 1; i <= 5; i++) { v = d * substr("12357", i, 1); if (v >= lo && v <= hi) t = t (t == "" ? "" : ",") v }
        printf "%g:%g %s\n", lo, hi, t
    }')
sub="${trips:-?} round trips per run, median of up to $maxtrials trials per point"
case "$bare" in 1) sub="$sub, bare (-B)" ;; 0) sub="$sub, quiescing" ;; esac
placement=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "affinity") c = i; next } c && !($c in s) { s[$c] = 1; o = o (o ? ", " : "") $c } END { print o }' "$csv")
sub="$sub; placement: ${placement:-not recorded}"

gp_quote() { local q="'"; printf "'%s'" "${1//$q/$q$q}"; }
{
    printf '# Generated by scripts/plot-latency.sh from results.csv; run with gnuplot in this directory.\n'
    printf 'set termoption noenhanced\n'
    printf 'set title %s . "\\n" . %s . "\\n" . %s\n' "$(gp_quote 'ipc-static -l: round-trip time by message size (solid: median p50, dashed: p99)')" \
        "$(gp_quote "$host")" "$(gp_quote "$sub")"
    printf 'set xlabel "message size (bytes each way, log2 axis)" offset 0,-1\n'
    printf 'set ylabel "round trip (us, log axis)"\n'
    printf 'set logscale x 2\nset logscale y 10\nset format y "%%g"\nset yrange [%s]\nset ytics (%s)\n' "$yrange" "$ytics"
    printf 'set xrange [%s / 1.3 : %s * 1.3]\n' "$minsize" "$maxsize"
    printf 'set xtics (%s)\n' "$tics"
    printf 'set xtics rotate by -45\nset grid\nset key below box\n'
    printf 'plot \\\n'
    printf '%s\n' "$stats" | awk -F'\t' '
        $1 != prev { n++; label[n] = $2; prev = $1 }
        END {
            for (i = 1; i <= n; i++) {
                gsub(/\047/, "\047\047", label[i])
                printf "  \047latency.dat\047 index %d using 1:2 with linespoints lw 2 pt 7 ps 0.7 lc %d title \047%s p50\047, \\\n", i - 1, i, label[i]
                printf "  \047latency.dat\047 index %d using 1:3 with linespoints lw 1 dt 2 pt 1 ps 0.7 lc %d title \047%s p99\047%s\n", i - 1, i, label[i], (i < n ? ", \\" : "")
            }
        }'
} >"$dir/latency.gp"
png_term=pngcairo
gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1 || png_term=png
(
    cd -- "$dir"
    gnuplot -e "set terminal svg size 1100,750 dynamic font 'sans,13' background rgb 'white'; set output 'latency.svg'" latency.gp
    gnuplot -e "set terminal $png_term size 1100,750 font 'sans,10'; set output 'latency.png'" latency.gp
)

{
    printf 'ipc-static latency sweep summary for %s\n' "$csv"
    printf 'host: %s\n%s\n' "$host" "$sub"
    printf 'units: microseconds per round trip; p50, p99: medians over the trials of each run'"'"'s own; tail: p99 / p50\n'
    printf '%s\n' "$stats" | awk -F'\t' '
        function human(b) { return (b >= 1048576 && b % 1048576 == 0) ? b / 1048576 " MiB" : (b >= 1024 && b % 1024 == 0) ? b / 1024 " KiB" : b " B" }
        {
            m = $3
            if (!(m in ms)) { ms[m] = 1; mord[++nm] = m }
            if (!((m, $2) in ss)) { ss[m, $2] = 1; ns[m]++; ser[m, ns[m]] = $2 }
            if (!((m, $4) in zs)) { zs[m, $4] = 1; nz[m]++; sz[m, nz[m]] = $4 }
            p50[m, $2, $4] = $5; p99[m, $2, $4] = $6; mean[m, $2, $4] = $7
        }
        END {
            for (k = 1; k <= nm; k++) {
                m = mord[k]
                printf "\nMode %s: p50 / p99 (tail) by message size\n  %-8s", m, "size"
                for (j = 1; j <= ns[m]; j++) { name = ser[m, j]; sub(" " m "$", "", name); printf " %26s", name }
                printf "\n"
                for (a = 1; a <= nz[m]; a++) sorted[a] = sz[m, a]
                for (a = 2; a <= nz[m]; a++) { x = sorted[a]; b = a - 1; while (b >= 1 && sorted[b] + 0 > x + 0) { sorted[b + 1] = sorted[b]; b-- } sorted[b + 1] = x }
                for (a = 1; a <= nz[m]; a++) {
                    printf "  %-8s", human(sorted[a])
                    for (j = 1; j <= ns[m]; j++) {
                        key = m SUBSEP ser[m, j] SUBSEP sorted[a]
                        if (key in p50) printf " %9.2f / %8.2f (%4.1fx)", p50[key], p99[key], (p50[key] > 0 ? p99[key] / p50[key] : 0)
                        else printf " %26s", "-"
                    }
                    printf "\n"
                }
            }
        }'
} >"$dir/summary.txt"
printf '%s: wrote %s (and .png) and %s\n' "$prog" "$dir/latency.svg" "$dir/summary.txt" >&2
