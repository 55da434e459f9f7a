#!/bin/bash
# plot.sh: plot a sweep made by scripts/sweep.sh.
#
#   scripts/plot.sh DIR
#
# Reads DIR/results.csv (rows with status ok) and writes, all under DIR
# (a latency sweep, sweep.sh -l, goes to scripts/plot-latency.sh instead):
#   bandwidth.svg, bandwidth.png   bandwidth against buffer size (log2 axis),
#                                  linear y axis: one line per config and mode,
#                                  the median of the trials with min-max bars
#   bandwidth-logy.svg, .png       the same on a log y axis (small buffers and
#                                  crawling configs stay readable)
#   summary.txt                    per series the peak median bandwidth and
#                                  where it occurs; per mode a table of medians
#                                  by size with the ratio of every config to
#                                  the first; noisy points; placement and load
#   bandwidth.dat, floor-*.dat, bandwidth.gp, bandwidth-logy.gp
#                                  the plotted numbers and gnuplot scripts
#
# Example (this machine: 2-core AMD EPYC VM, Linux 6.18; the summary is
# docs/bandwidth-summary.txt, the plots docs/bandwidth*.svg):
#   $ scripts/plot.sh results/lab2-cpu0
#   plot.sh: wrote results/lab2-cpu0/bandwidth.svg, results/lab2-cpu0/bandwidth-logy.svg (and .png) and results/lab2-cpu0/summary.txt
#
# How to read the plots:
# - Left axis MiB/s, right axis KBytes/sec (ipc-static's unit; 1 MiB/s =
#   1024 KBytes/sec).
# - A line joins two sizes only when nothing between them is missing: the
#   next size is at most twice the last, and no size between them failed.
#   Sizes that were not run, or failed in every trial, leave a gap.
# - Linear axis: a median under 1% of the axis top is marked with a
#   down-triangle and its value in MiB/s (it would otherwise read as 0). Log
#   axis (down to the lowest median's decade, at most six decades): a median
#   under the floor is drawn on the floor with a down-triangle and its value.
# - Titles name the host's CPU and OS (DIR/host.txt, written by sweep.sh from
#   `ipc-static describe`; else `ipc-static describe`, else /proc/cpuinfo and
#   uname), the total, the trials, quiescing, placement (-a) and pre-faulting.
# - A point is noisy when its slowest and fastest trials differ by more than
#   2x; summary.txt lists them.
# - To compare sweeps (pre-faulted or not, two placements), put their
#   results.csv rows under one header in a new DIR: when the prefault or
#   affinity column holds more than one value, each value is a series of its
#   own ("pipe -F 2thread", "pipe cpu0 2thread").
# `--logy` is accepted for old command lines: both variants are always drawn.
#
# Exit codes (sysexits): 0 drawn; 64 usage; 65 results.csv holds no
# successful run; 66 no DIR/results.csv (DIR missing, or not a sweep's);
# 69 gnuplot missing; a failing gnuplot's own status otherwise.
set -euo pipefail

EX_USAGE=64
EX_DATAERR=65
EX_NOINPUT=66
EX_UNAVAILABLE=69
prog=plot.sh

usage() {
    printf 'usage: scripts/plot.sh DIR   (DIR holds results.csv from scripts/sweep.sh)\n' >&2
    exit "$EX_USAGE"
}

dir=
while [ "$#" -gt 0 ]; do
    case "$1" in
        --logy) shift ;;
        -h | --help)
            printf 'usage: scripts/plot.sh DIR\n  writes DIR/bandwidth.svg/.png (linear), DIR/bandwidth-logy.svg/.png (log y) and DIR/summary.txt from DIR/results.csv\n'
            exit 0 ;;
        --) shift; [ "$#" = 1 ] || usage; dir="$1"; shift ;;
        -*) printf '%s: unknown option %s\n' "$prog" "$1" >&2; usage ;;
        *) [ -z "$dir" ] || { printf '%s: one DIR only\n' "$prog" >&2; usage; }; dir="$1"; shift ;;
    esac
done
[ -n "$dir" ] || usage
csv="$dir/results.csv"
if [ ! -f "$csv" ]; then
    printf '%s: %s does not exist (run scripts/sweep.sh -o DIR first)\n' "$prog" "$csv" >&2
    exit "$EX_NOINPUT"
fi
if ! command -v gnuplot >/dev/null 2>&1; then
    printf '%s: gnuplot is not installed (apt-get install gnuplot-nox)\n' "$prog" >&2
    exit "$EX_UNAVAILABLE"
fi
# A latency sweep (sweep.sh -l): round-trip time by size, plot-latency.sh.
if head -n 1 -- "$csv" | tr ',' '\n' | grep -qx p50_ns; then
    exec "$(dirname "$0")/plot-latency.sh" -- "$dir"
fi

# ---- host description for the title ------------------------------------------
. "$(dirname "$0")/host-of.sh"
host_of "$dir"
bare=
extra=
if [ -r "$dir/sweep.meta" ]; then
    bare=$(sed -n 's/^bare=//p' "$dir/sweep.meta" | head -n 1)
    extra=$(sed -n 's/^extra=//p' "$dir/sweep.meta" | head -n 1)
fi

# ---- per series and size: median, min, max, trials ----------------------------
# rows: order <TAB> series <TAB> config <TAB> mode <TAB> total <TAB> size <TAB> MiB/s
# A CSV put together from several sweeps (same header) may mix pre-faulted
# and untouched runs, or placements: each is then a series of its own.
mixed() { # mixed NAME: true when column NAME holds more than one value
    awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
        c && !($c in seen) { seen[$c] = 1; n++ } END { exit !(n > 1) }' "$csv"
}
split_prefault=0
split_affinity=0
mixed prefault && split_prefault=1
mixed affinity && split_affinity=1
rows=$(awk -F, -v spf="$split_prefault" -v saff="$split_affinity" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["status"] == "ok" && $col["bandwidth_kbps"] != "" {
        cfg = $col["ipc"] ($col["sflag"] == 1 ? " -s" : "")
        if (spf && $col["prefault"] == 1) cfg = cfg " -F"
        if (saff) cfg = cfg " " $col["affinity"]
        key = cfg "\t" $col["mode"] "\t" $col["totalsize"]
        if (!(key in order)) { order[key] = ++n }
        printf "%d\t%s\t%s\t%s\t%s\t%.6f\n", order[key], cfg, $col["mode"], $col["totalsize"], $col["buffersize"], $col["bandwidth_kbps"] / 1024
    }' "$csv")
failed=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next } $col["status"] == "failed" { n++ } END { print n + 0 }' "$csv")
# failed sizes: config <TAB> mode <TAB> total <TAB> size, for the gaps
failed_sizes=$(awk -F, -v spf="$split_prefault" -v saff="$split_affinity" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["status"] == "failed" {
        cfg = $col["ipc"] ($col["sflag"] == 1 ? " -s" : "")
        if (spf && $col["prefault"] == 1) cfg = cfg " -F"
        if (saff) cfg = cfg " " $col["affinity"]
        printf "%s\t%s\t%s\t%s\n", cfg, $col["mode"], $col["totalsize"], $col["buffersize"]
    }' "$csv")
# placement, pre-faulting and load, from the columns when the sweep wrote them
column_values() { # column_values NAME: the distinct values of a column, comma-separated
    awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
        c && $c != "" && !($c in seen) { seen[$c] = 1; out = out (out == "" ? "" : ", ") $c } END { print out }' "$csv"
}
placement=$(column_values affinity)
prefaults=$(column_values prefault)
loads=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "load1") c = i; next } c && $c != "" { print $c }' "$csv" |
    sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%s to %s (median %s)", v[1], v[NR], (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
if [ -z "$rows" ]; then
    printf '%s: %s has no successful runs to plot\n' "$prog" "$csv" >&2
    exit "$EX_DATAERR"
fi
ntotals=$(printf '%s\n' "$rows" | cut -f4 | sort -u | wc -l)

# stats: order series config mode total size median min max n (tab-separated)
stats=$(printf '%s\n' "$rows" | sort -t "$(printf '\t')" -k1,1n -k5,5n -k6,6g | awk -F'\t' -v ntot="$ntotals" '
    function human(b) {
        if (b >= 1048576 && b % 1048576 == 0) return (b / 1048576) "M"
        if (b >= 1024 && b % 1024 == 0) return (b / 1024) "k"
        return b
    }
    function flush(   med) {
        if (cnt == 0) return
        med = (cnt % 2) ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
        label = pcfg " " pmode (ntot > 1 ? " t=" human(ptot) : "")
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%.6f\t%.6f\t%.6f\t%d\n", pord, label, pcfg, pmode, ptot, psize, med, v[1], v[cnt], cnt
        cnt = 0
    }
    {
        if ($1 != pord || $5 != psize) flush()
        pord = $1; pcfg = $2; pmode = $3; ptot = $4; psize = $5
        v[++cnt] = $6
    }
    END { flush() }')

# ---- axes --------------------------------------------------------------------
minsize=$(printf '%s\n' "$stats" | cut -f6 | sort -n | head -n 1)
maxsize=$(printf '%s\n' "$stats" | cut -f6 | sort -n | tail -n 1)
tics=
ntics=0
p=1
while [ "$p" -lt "$minsize" ]; do p=$((p * 2)); done
[ "$p" -gt "$minsize" ] && [ "$p" -gt 1 ] && p=$((p / 2))
while [ "$p" -le "$maxsize" ] || [ "$ntics" -lt 2 ]; do
    if [ "$p" -ge 1048576 ]; then lab="$((p / 1048576)) MiB"
    elif [ "$p" -ge 1024 ]; then lab="$((p / 1024)) KiB"
    else lab="$p B"; fi
    tics="$tics${tics:+, }\"$lab\" $p"
    ntics=$((ntics + 1))
    p=$((p * 2))
done
# Linear: 0 to 5% over the highest max. Log: down to the decade of the
# lowest median, but no more than six decades below the top one.
read -r lin_top log_floor log_top < <(printf '%s\n' "$stats" | awk -F'\t' '
    function ceil10(x,   d, c) { d = log(x) / log(10); c = int(d); if (c < d) c++; return c }
    function floor10(x,   d, f) { d = log(x) / log(10); f = int(d); if (f > d) f--; return f }
    NR == 1 { low = $7 }
    { if ($9 > top) top = $9; if ($7 > 0 && $7 < low) low = $7 }
    END {
        if (top <= 0) top = 1
        c = ceil10(top)
        f = (low > 0) ? floor10(low) : c - 6
        if (f < c - 6) f = c - 6
        if (f > c - 1) f = c - 1
        printf "%.6f %.10g %.10g\n", top * 1.05, 10 ^ f, 10 ^ c
    }')

# ---- gnuplot data (written under DIR, read with DIR as the cwd) ---------------
# bandwidth.dat: one index per series; a blank line (a break in the line)
# before a size that does not follow on from the last one.
printf '%s\n' "$stats" | awk -F'\t' -v failed="$failed_sizes" '
    BEGIN {
        n = split(failed, fl, "\n")
        for (i = 1; i <= n; i++) { split(fl[i], f, "\t"); nf[f[1] "\t" f[2] "\t" f[3]]++; fs[f[1] "\t" f[2] "\t" f[3], nf[f[1] "\t" f[2] "\t" f[3]]] = f[4] }
    }
    function gap(key, a, b,   i) {
        if (b > 2 * a) return 1
        for (i = 1; i <= nf[key]; i++) if (fs[key, i] + 0 > a + 0 && fs[key, i] + 0 < b + 0) return 1
        return 0
    }
    $1 != prev {
        if (NR > 1) printf "\n\n"
        printf "# %s\n# size median_MiBps min max trials\n", $2
        prev = $1; last = ""
    }
    {
        key = $3 "\t" $4 "\t" $5
        if (last != "" && gap(key, last, $6)) printf "\n"
        printf "%s %s %s %s %s\n", $6, $7, $8, $9, $10
        last = $6
    }' >"$dir/bandwidth.dat"
# floor-linear.dat, floor-logy.dat: size, y to draw at, value label, series number
# (one label per size: the values of every series marked there, "/"-joined)
printf '%s\n' "$stats" | awk -F'\t' -v lt="$lin_top" -v lf="$log_floor" -v lin="$dir/floor-linear.dat" -v lg="$dir/floor-logy.dat" '
    function fmt(x) { return (x >= 10) ? sprintf("%.0f", x) : (x >= 0.1 ? sprintf("%.2f", x) : sprintf("%.3g", x)) }
    function put(file, y, n, size, v, s,   i) {
        for (i = 1; i <= n; i++) printf "%s %s \"%s\" %d\n", size[i], y, (i == first[file, size[i]] ? label[file, size[i]] : ""), s[i] > file
    }
    $1 != prev { ser++; prev = $1 }
    $7 < lt / 100 { nl++; lsize[nl] = $6; lser[nl] = ser; add(lin, $6, fmt($7), nl) }
    $7 < lf { ng++; gsize[ng] = $6; gser[ng] = ser; add(lg, $6, fmt($7), ng) }
    function add(file, size, text, i) {
        if ((file, size) in label) label[file, size] = label[file, size] "/" text
        else { label[file, size] = text; first[file, size] = i }
    }
    END {
        put(lin, 0, nl, lsize, 0, lser)
        put(lg, lf, ng, gsize, 0, gser)
        if (!nl) printf "" > lin
        if (!ng) printf "" > lg
    }'

gp_quote() { # a gnuplot single-quoted string
    local q="'"
    printf "'%s'" "${1//$q/$q$q}"
}
trials=$(printf '%s\n' "$stats" | cut -f10 | sort -n | tail -n 1)
totals=$(printf '%s\n' "$stats" | cut -f5 | sort -nu | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), ($1 % 1048576 == 0 ? $1 / 1048576 " MiB" : $1 " B") }')
sub="total $totals per run, up to $trials trials per point (median, min-max bars)"
case "$bare" in 1) sub="$sub, bare (-B)" ;; 0) sub="$sub, quiescing" ;; esac
sub2="placement: ${placement:-not recorded}"
case "$prefaults" in
    1) sub2="$sub2, buffers pre-faulted (-F)" ;;
    0) sub2="$sub2, buffers untouched before the loop" ;;
    '') ;;
    *) sub2="$sub2, pre-faulted and untouched runs mixed" ;;
esac
[ -n "$extra" ] && sub2="$sub2, extra args: $extra"
[ "$failed" -gt 0 ] && sub2="$sub2, $failed failed runs not shown"
title1="ipc-static: IPC bandwidth by buffer size (log2 axis)"
title2="$cpu ($ncpu CPUs), $osname $osrel"

# write_gp LOGY FILE: the gnuplot script of one variant.
write_gp() {
    local logy="$1" floor
    {
        printf '# Generated by scripts/plot.sh from results.csv; run with gnuplot in this directory.\n'
        printf 'set termoption noenhanced\n'
        printf 'set title %s . "\\n" . %s . "\\n" . %s . "\\n" . %s\n' "$(gp_quote "$title1$([ "$logy" = 1 ] && echo ', log bandwidth axis')")" \
            "$(gp_quote "$title2")" "$(gp_quote "$sub")" "$(gp_quote "$sub2")"
        printf 'set ylabel "Bandwidth (MiB/s)"\n'
        printf 'set y2label "KBytes/sec, as ipc-static prints it (1 MiB/s = 1024 KBytes/sec)"\n'
        printf 'set logscale x 2\n'
        printf 'set xrange [%s / 1.3 : %s * 1.3]\n' "$minsize" "$maxsize"
        printf 'set rmargin 12\n'
        printf 'set xtics (%s)\n' "$tics"
        [ "$ntics" -gt 10 ] && printf 'set xtics rotate by -45\n'
        # The right axis spans the same range times 1024.
        if [ "$logy" = 1 ]; then
            printf 'set logscale y 10\n'
            printf 'set logscale y2 10\n'
            printf 'set yrange [%s:%s]\n' "$log_floor" "$log_top"
            printf 'set y2range [%s * 1024:%s * 1024]\n' "$log_floor" "$log_top"
            printf 'set format y "%%g"\n'
            printf 'set format y2 "%%g"\n'
            floor=floor-logy.dat
        else
            printf 'set yrange [0:%s]\n' "$lin_top"
            printf 'set y2range [0:%s * 1024]\n' "$lin_top"
            printf 'set format y "%%.0f"\n'
            printf 'set format y2 "%%.0f"\n'
            floor=floor-linear.dat
        fi
        printf 'set y2tics\n'
        printf 'set ytics nomirror\n'
        printf 'set grid\n'
        printf 'set key below box\n'
        printf 'plot \\\n'
        printf '%s\n' "$stats" | awk -F'\t' '
            $1 != prev { n++; label[n] = $2; prev = $1 }
            END {
                for (i = 1; i <= n; i++) {
                    gsub(/\047/, "\047\047", label[i])
                    printf "  \047bandwidth.dat\047 index %d using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.7 lc %d title \047%s\047, \\\n",
                        i - 1, i, label[i]
                }
            }'
        if [ -s "$dir/$floor" ]; then
            printf "  '%s' using 1:2:4 with points pt 11 ps 1.6 lc variable title %s, \\\\\n" "$floor" \
                "$(gp_quote "$([ "$logy" = 1 ] && echo 'below the axis, drawn at the floor (label: MiB/s)' || echo 'under 1% of the axis (label: MiB/s)')")"
            printf "  '%s' using 1:2:3 with labels rotate by 90 left offset 0,1.2 font ',8' notitle\n" "$floor"
        else
            printf '  NaN notitle\n'
        fi
    } >"$dir/$2"
}
write_gp 0 bandwidth.gp
write_gp 1 bandwidth-logy.gp

png_term=pngcairo
gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1 || png_term=png
(
    cd -- "$dir"
    for v in bandwidth bandwidth-logy; do
        gnuplot -e "set terminal svg size 1100,700 dynamic font 'sans,13' background rgb 'white'; set output '$v.svg'" "$v.gp"
        gnuplot -e "set terminal $png_term size 1100,700 font 'sans,10'; set output '$v.png'" "$v.gp"
    done
)

# ---- summary.txt -------------------------------------------------------------
{
    printf 'ipc-static sweep summary for %s\n' "$csv"
    printf 'host: %s (%s CPUs), %s %s\n' "$cpu" "$ncpu" "$osname" "$osrel"
    printf 'runs: %d ok, %d failed; %s\n' "$(printf '%s\n' "$rows" | wc -l)" "$failed" "$sub"
    printf '%s\n' "$sub2"
    [ -n "$loads" ] && printf 'load average before the runs: %s\n' "$loads"
    printf 'units: MiB/s (1 MiB/s = 1024 KBytes/sec, the unit ipc-static prints)\n\n'
    printf 'Peak bandwidth (median of trials) per series:\n'
    printf '%s\n' "$stats" | awk -F'\t' '
        function human(b) {
            if (b >= 1048576 && b % 1048576 == 0) return (b / 1048576) " MiB"
            if (b >= 1024 && b % 1024 == 0) return (b / 1024) " KiB"
            return b " B"
        }
        !($1 in best) || $7 > best[$1] { best[$1] = $7; at[$1] = $6; lab[$1] = $2; if (!($1 in seen)) { seen[$1] = 1; ord[++n] = $1 } }
        END { for (i = 1; i <= n; i++) printf "  %-28s %12.1f MiB/s (%.0f KBytes/sec) at %s\n", lab[ord[i]], best[ord[i]], best[ord[i]] * 1024, human(at[ord[i]]) }'
    printf '%s\n' "$stats" | awk -F'\t' '
        function human(b) {
            if (b >= 1048576 && b % 1048576 == 0) return (b / 1048576) " MiB"
            if (b >= 1024 && b % 1024 == 0) return (b / 1024) " KiB"
            return b " B"
        }
        {
            g = $4 "\t" $5                      # one table per mode and total size
            if (!(g in gseen)) { gseen[g] = 1; gord[++ng] = g; gmode[g] = $4; gtot[g] = $5 }
            s = g SUBSEP $3
            if (!(s in sseen)) { sseen[s] = 1; ns[g]++; scfg[g, ns[g]] = $3 }
            z = g SUBSEP $6
            if (!(z in zseen)) { zseen[z] = 1; nz[g]++; zval[g, nz[g]] = $6 }
            med[g, $3, $6] = $7
            noisy[g, $3, $6] = ($8 > 0 && $9 / $8 > 2) || ($8 == 0 && $9 > 0)
            if (noisy[g, $3, $6]) { nn++; nlist[nn] = sprintf("  %-28s at %-8s median %10.1f, min %10.1f, max %10.1f MiB/s (%s trials): %s", $2, human($6), $7, $8, $9, $10, ($8 > 0 ? sprintf("%.1fx", $9 / $8) : "from 0")) }
        }
        END {
            for (k = 1; k <= ng; k++) {
                g = gord[k]
                printf "\nMode %s, total %s: median MiB/s by buffer size", gmode[g], human(gtot[g])
                if (ns[g] > 1) printf ", and the ratio of each config to %s", scfg[g, 1]
                printf " (* noisy: max/min > 2)"
                printf "\n  %-10s", "size"
                for (j = 1; j <= ns[g]; j++) printf " %14s", scfg[g, j]
                for (j = 2; j <= ns[g]; j++) printf " %16s", scfg[g, j] "/" scfg[g, 1]
                printf "\n"
                # sizes in ascending order (insertion sort: the lists are short)
                for (a = 1; a <= nz[g]; a++) sz[a] = zval[g, a]
                for (a = 2; a <= nz[g]; a++) { x = sz[a]; b = a - 1; while (b >= 1 && sz[b] + 0 > x + 0) { sz[b + 1] = sz[b]; b-- } sz[b + 1] = x }
                for (a = 1; a <= nz[g]; a++) {
                    printf "  %-10s", human(sz[a])
                    for (j = 1; j <= ns[g]; j++) {
                        key = g SUBSEP scfg[g, j] SUBSEP sz[a]
                        if (key in med) printf " %13.1f%s", med[key], (noisy[key] ? "*" : " "); else printf " %14s", "-"
                    }
                    ref = g SUBSEP scfg[g, 1] SUBSEP sz[a]
                    for (j = 2; j <= ns[g]; j++) {
                        key = g SUBSEP scfg[g, j] SUBSEP sz[a]
                        if ((key in med) && (ref in med) && med[ref] > 0) printf " %16.2f", med[key] / med[ref]
                        else printf " %16s", "-"
                    }
                    printf "\n"
                }
            }
            printf "\nNoisy points (slowest and fastest trial more than 2x apart): %d\n", nn
            for (i = 1; i <= nn; i++) print nlist[i]
        }'
} >"$dir/summary.txt"

printf '%s: wrote %s, %s (and .png) and %s\n' "$prog" "$dir/bandwidth.svg" "$dir/bandwidth-logy.svg" "$dir/summary.txt" >&2
