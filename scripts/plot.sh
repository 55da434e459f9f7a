#!/bin/bash
# plot.sh: plot a sweep made by scripts/sweep.sh.
#
#   scripts/plot.sh [--logy] DIR
#
# Reads DIR/results.csv (rows with status ok) and writes, all under DIR:
#   bandwidth.svg, bandwidth.png  bandwidth (MiB/s) against buffer size (log2
#                                 axis), one line per config and mode: the
#                                 median of the trials, with min-max bars
#   summary.txt                   per series the peak median bandwidth and the
#                                 buffer size where it occurs; per mode a table
#                                 of medians by size with the ratio of every
#                                 config to the first one
#   bandwidth.dat, bandwidth.gp   the plotted numbers and the gnuplot script
# The title names the host's CPU model and OS release: DIR/host.txt (written by
# sweep.sh from `ipc-static describe`), else `ipc-static describe`, else
# /proc/cpuinfo and uname.
set -euo pipefail

EX_USAGE=64
EX_UNAVAILABLE=69
prog=plot.sh

usage() {
    printf 'usage: scripts/plot.sh [--logy] DIR   (DIR holds results.csv from scripts/sweep.sh)\n' >&2
    exit "$EX_USAGE"
}

logy=0
dir=
while [ "$#" -gt 0 ]; do
    case "$1" in
        --logy) logy=1; shift ;;
        -h | --help)
            printf 'usage: scripts/plot.sh [--logy] DIR\n  writes DIR/bandwidth.svg, DIR/bandwidth.png and DIR/summary.txt from DIR/results.csv\n'
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
    exit "$EX_USAGE"
fi
if ! command -v gnuplot >/dev/null 2>&1; then
    printf '%s: gnuplot is not installed (apt-get install gnuplot-nox)\n' "$prog" >&2
    exit "$EX_UNAVAILABLE"
fi

# ---- host description for the title ------------------------------------------
host_field() { # host_field KEY < description: the value of "  KEY: value"
    sed -n "s/^[[:space:]]*$1:[[:space:]]*//p" | head -n 1
}
host_text=
[ -s "$dir/host.txt" ] && host_text=$(cat -- "$dir/host.txt")
if [ -z "$(printf '%s\n' "$host_text" | host_field cpu_model)" ]; then
    bin="${IPC_STATIC:-$(cd "$(dirname "$0")/.." && pwd)/ipc-static}"
    host_text=$("$bin" describe 2>/dev/null) || host_text=
fi
cpu=$(printf '%s\n' "$host_text" | host_field cpu_model)
osname=$(printf '%s\n' "$host_text" | host_field os_name)
osrel=$(printf '%s\n' "$host_text" | host_field os_release)
ncpu=$(printf '%s\n' "$host_text" | host_field ncpu)
[ -n "$cpu" ] || cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu="unknown CPU"
[ -n "$osname" ] || osname=$(uname -s)
[ -n "$osrel" ] || osrel=$(uname -r)
[ -n "$ncpu" ] || ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
bare=$(sed -n 's/^bare=//p' "$dir/sweep.meta" 2>/dev/null | head -n 1)
extra=$(sed -n 's/^extra=//p' "$dir/sweep.meta" 2>/dev/null | head -n 1)

# ---- per series and size: median, min, max, trials ----------------------------
# rows: order <TAB> series <TAB> config <TAB> mode <TAB> size <TAB> MiB/s
rows=$(awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["status"] == "ok" && $col["bandwidth_kbps"] != "" {
        cfg = $col["ipc"] ($col["sflag"] == 1 ? " -s" : "")
        tot[$col["totalsize"]] = 1
        key = cfg "\t" $col["mode"] "\t" $col["totalsize"]
        if (!(key in order)) { order[key] = ++n }
        printf "%d\t%s\t%s\t%s\t%s\t%.6f\n", order[key], cfg, $col["mode"], $col["totalsize"], $col["buffersize"], $col["bandwidth_kbps"] / 1024
    }' "$csv")
failed=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next } $col["status"] == "failed" { n++ } END { print n + 0 }' "$csv")
if [ -z "$rows" ]; then
    printf '%s: %s has no successful runs to plot\n' "$prog" "$csv" >&2
    exit 1
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
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%d\n", pord, label, pcfg, pmode, ptot, psize, med, v[1], v[cnt], cnt
        cnt = 0
    }
    {
        if ($1 != pord || $5 != psize) flush()
        pord = $1; pcfg = $2; pmode = $3; ptot = $4; psize = $5
        v[++cnt] = $6
    }
    END { flush() }')

# ---- gnuplot data and script (written under DIR, run with DIR as the cwd) ----
printf '%s\n' "$stats" | awk -F'\t' '
    $1 != prev { if (NR > 1) printf "\n\n"; printf "# %s\n# size median_MiBps min max trials\n", $2; prev = $1 }
    { printf "%s %s %s %s %s\n", $6, $7, $8, $9, $10 }' >"$dir/bandwidth.dat"

gp_quote() { # a gnuplot single-quoted string
    local q="'"
    printf "'%s'" "${1//$q/$q$q}"
}
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
trials=$(printf '%s\n' "$stats" | cut -f10 | sort -n | tail -n 1)
totals=$(printf '%s\n' "$stats" | cut -f5 | sort -nu | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), ($1 % 1048576 == 0 ? $1 / 1048576 " MiB" : $1 " B") }')
sub="total $totals per run, up to $trials trials per point (median, min-max bars)"
case "$bare" in 1) sub="$sub, bare (-B)" ;; 0) sub="$sub, quiescing" ;; esac
[ -n "$extra" ] && sub="$sub, extra args: $extra"
[ "$failed" -gt 0 ] && sub="$sub, $failed failed runs not shown"
title1="ipc-static: IPC bandwidth by buffer size"
title2="$cpu ($ncpu CPUs), $osname $osrel"

{
    printf '# Generated by scripts/plot.sh from results.csv; run with gnuplot in this directory.\n'
    printf 'set termoption noenhanced\n'
    printf 'set title %s . "\\n" . %s . "\\n" . %s\n' "$(gp_quote "$title1")" "$(gp_quote "$title2")" "$(gp_quote "$sub")"
    printf 'set xlabel "Buffer size (log2 scale)"\n'
    printf 'set ylabel "Bandwidth (MiB/s)"\n'
    printf 'set logscale x 2\n'
    printf 'set xrange [%s / 1.3 : %s * 1.3]\n' "$minsize" "$maxsize"
    printf 'set bmargin 6\n'
    printf 'set rmargin 6\n'
    printf 'set xtics (%s)\n' "$tics"
    [ "$ntics" -gt 10 ] && printf 'set xtics rotate by -45\n'
    if [ "$logy" = 1 ]; then printf 'set logscale y 10\n'; else printf 'set yrange [0:*]\n'; fi
    printf 'set grid\n'
    printf 'set key top left box opaque\n'
    printf 'set format y "%%.0f"\n'
    printf 'plot \\\n'
    printf '%s\n' "$stats" | awk -F'\t' '
        $1 != prev { n++; label[n] = $2; prev = $1 }
        END {
            for (i = 1; i <= n; i++) {
                gsub(/\047/, "\047\047", label[i])
                printf "  \047bandwidth.dat\047 index %d using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.7 title \047%s\047%s\n",
                    i - 1, label[i], (i < n ? ", \\" : "")
            }
        }'
} >"$dir/bandwidth.gp"

png_term=pngcairo
gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1 || png_term=png
(
    cd -- "$dir"
    gnuplot -e "set terminal svg size 1100,650 dynamic font 'sans,13' background rgb 'white'; set output 'bandwidth.svg'" bandwidth.gp
    gnuplot -e "set terminal $png_term size 1100,650 font 'sans,10'; set output 'bandwidth.png'" bandwidth.gp
)

# ---- summary.txt -------------------------------------------------------------
{
    printf 'ipc-static sweep summary for %s\n' "$csv"
    printf 'host: %s (%s CPUs), %s %s\n' "$cpu" "$ncpu" "$osname" "$osrel"
    printf 'runs: %d ok, %d failed; %s\n\n' "$(printf '%s\n' "$rows" | wc -l)" "$failed" "$sub"
    printf 'Peak bandwidth (median of trials) per series:\n'
    printf '%s\n' "$stats" | awk -F'\t' '
        function human(b) {
            if (b >= 1048576 && b % 1048576 == 0) return (b / 1048576) " MiB"
            if (b >= 1024 && b % 1024 == 0) return (b / 1024) " KiB"
            return b " B"
        }
        !($1 in best) || $7 > best[$1] { best[$1] = $7; at[$1] = $6; lab[$1] = $2; if (!($1 in seen)) { seen[$1] = 1; ord[++n] = $1 } }
        END { for (i = 1; i <= n; i++) printf "  %-28s %12.1f MiB/s at %s\n", lab[ord[i]], best[ord[i]], human(at[ord[i]]) }'
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
        }
        END {
            for (k = 1; k <= ng; k++) {
                g = gord[k]
                printf "\nMode %s, total %s: median MiB/s by buffer size", gmode[g], human(gtot[g])
                if (ns[g] > 1) printf ", and the ratio of each config to %s", scfg[g, 1]
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
                        if (key in med) printf " %14.1f", med[key]; else printf " %14s", "-"
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
        }'
} >"$dir/summary.txt"

printf '%s: wrote %s, %s and %s\n' "$prog" "$dir/bandwidth.svg" "$dir/bandwidth.png" "$dir/summary.txt" >&2
