#!/bin/bash
# sweep.sh: run ipc-static over a grid of IPC configurations, modes and buffer
# sizes, several trials each, appending one CSV row per finished run.
#
#   scripts/sweep.sh [-o DIR] [-n trials] [-B] [-m modes] [-i configs]
#                    [-b sizes] [-t totalsize] [-j jobs] [--allow-parallel]
#                    [--retry-failed] [--timeout SECONDS] [-- extra ipc-static args]
#
# Output, all under DIR (default ./results):
#   DIR/results.csv  one row per run: ipc,sflag,mode,buffersize,totalsize,trial,
#                    bandwidth_kbps,time_s[,utime_s,stime_s,minflt,majflt,nvcsw,
#                    nivcsw with -g],status,error
#   DIR/raw/         each run's raw output (.json with -j support, else .txt)
#                    and, for a failed run, its stderr (.err)
#   DIR/host.txt     `ipc-static describe` (or /proc/cpuinfo + uname fallback)
#   DIR/sweep.meta   the settings that every row of DIR must share
# The binary is $IPC_STATIC when set, else ipc-static next to scripts/.
set -euo pipefail

EX_USAGE=64
EX_UNAVAILABLE=69
prog=sweep.sh

usage_text() {
    cat <<'EOF'
usage: scripts/sweep.sh [-o DIR] [-n trials] [-B] [-m modes] [-i configs]
                        [-b sizes] [-t totalsize] [-j jobs] [--allow-parallel]
                        [--retry-failed] [--timeout SECONDS] [-- ipc-static args]
  -o DIR        output directory (default: ./results); rerunning with the same
                DIR skips the runs already recorded there
  -n trials     runs per configuration, mode and size (default: 5)
  -B            bare mode: pass -B (no quiescing) to ipc-static
  -m modes      comma-separated: 1thread,2thread,2proc (default: 2thread)
  -i configs    comma-separated: pipe,local,tcp,local-s,tcp-s, and pipe-s on
                Linux (-s sizes the kernel buffers) (default: pipe,local,local-s)
  -b sizes      comma-separated sizes in bytes with optional k/m/g suffixes
                (4096,64k,1m), or a power-of-two range LO..HI (32..16m)
                (default: 32..totalsize)
  -t totalsize  bytes per run (default: 16m); every size must divide it
  -j jobs       runs at once (default: 1); more than 1 needs --allow-parallel,
                as concurrent runs ruin the measurement (smoke runs only)
  --retry-failed  rerun the runs recorded as failed in DIR
  --timeout S   give up on a run after S seconds, recording it failed (default: 600)
  -- ARGS       extra ipc-static arguments for every run (e.g. -- -g for rusage
                columns); -b -i -t -s -B -j -q -v -n are set by sweep.sh itself
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
modes_arg=2thread
configs_arg=pipe,local,local-s
sizes_arg=
total_arg=16m
jobs=1
allow_parallel=0
retry_failed=0
run_timeout=600
extra=()

need_value() { [ "$#" -ge 2 ] || die_usage "option $1 needs a value"; }
while [ "$#" -gt 0 ]; do
    case "$1" in
        -h | --help) usage_text; exit 0 ;;
        -B) bare=1; shift ;;
        -o) need_value "$@"; outdir="$2"; shift 2 ;;
        -o?*) outdir="${1#-o}"; shift ;;
        -n) need_value "$@"; trials="$2"; shift 2 ;;
        -n?*) trials="${1#-n}"; shift ;;
        -m) need_value "$@"; modes_arg="$2"; shift 2 ;;
        -m?*) modes_arg="${1#-m}"; shift ;;
        -i) need_value "$@"; configs_arg="$2"; shift 2 ;;
        -i?*) configs_arg="${1#-i}"; shift ;;
        -b) need_value "$@"; sizes_arg="$2"; shift 2 ;;
        -b?*) sizes_arg="${1#-b}"; shift ;;
        -t) need_value "$@"; total_arg="$2"; shift 2 ;;
        -t?*) total_arg="${1#-t}"; shift ;;
        -j) need_value "$@"; jobs="$2"; shift 2 ;;
        -j?*) jobs="${1#-j}"; shift ;;
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
case "$run_timeout" in '' | *[!0-9]* | 0) die_usage "--timeout must be a whole number of seconds >= 1" ;; esac

total=$(parse_size "$total_arg") || die_usage "totalsize must be a positive size like 16m, not '$total_arg'"

os=$(uname -s)
configs=()
declare -A seen=()
IFS=, read -r -a items <<<"$configs_arg"
for c in "${items[@]}"; do
    case "$c" in
        pipe | local | tcp | local-s | tcp-s) ;;
        pipe-s)
            [ "$os" = Linux ] || die_usage "config pipe-s needs an OS that can size pipes (Linux); this is $os" ;;
        *) die_usage "unknown config '$c' (pipe, local, tcp, local-s, tcp-s, pipe-s)" ;;
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
[ -n "$sizes_arg" ] || sizes_arg="32..$total"
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
    [ "$s" -le "$total" ] && [ $((total % s)) -eq 0 ] ||
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
            B | b | i | t | s | j | q | v | n)
                die_usage "extra argument -$f is set by sweep.sh itself; use its own options" ;;
            g) rusage=1 ;;
            p | a | P | r)
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

# TCP with SO_SNDBUF/SO_RCVBUF set to a small buffer crawls on Linux loopback
# (measured here: 15-250 KBytes/sec for 32 B to 8 KiB buffers): say so.
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
header="ipc,sflag,mode,buffersize,totalsize,trial,bandwidth_kbps,time_s"
[ "$rusage" = 1 ] && header="$header,utime_s,stime_s,minflt,majflt,nvcsw,nivcsw"
header="$header,status,error"
extra_q=
[ "${#extra[@]}" -gt 0 ] && extra_q=$(printf '%q ' "${extra[@]}")
meta_text=$(printf 'bare=%s\nextra=%s\n' "$bare" "$extra_q")

if [ -e "$csv" ]; then
    first=$(head -n 1 -- "$csv")
    [ "$first" = "$header" ] ||
        die_usage "$csv has other columns ($first); use another -o DIR (or the same -- -g choice)"
    if [ -e "$meta" ] && [ "$(cat -- "$meta")" != "$meta_text" ]; then
        die_usage "$outdir holds a sweep with other settings ($(tr '\n' ' ' <"$meta")); use another -o DIR"
    fi
fi

# ---- preflight: what the binary supports, and whether it takes the extra args -
# (a 4 KiB 1thread run; nothing is recorded)
fmt=(-v)
fmt_ext=txt
pre_out=$("$bin" -j -B -b 4096 -t 4096 1thread 2>/dev/null) || pre_out=
case "$pre_out" in
    '{'*) fmt=(-j); fmt_ext=json ;;
esac
pre_rc=0
pre_err=$("$bin" "${fmt[@]}" -B -b 4096 -t 4096 ${extra[@]+"${extra[@]}"} 1thread 2>&1 >/dev/null) || pre_rc=$?
if [ "$pre_rc" = "$EX_USAGE" ]; then
    printf '%s: ipc-static refuses the extra arguments: %s\n' "$prog" "$(printf '%s\n' "$pre_err" | head -n 1)" >&2
    exit "$EX_USAGE"
elif [ "$pre_rc" != 0 ]; then
    printf '%s: warning: a 4 KiB check run failed (exit %s): %s\n' "$prog" "$pre_rc" \
        "$(printf '%s\n' "$pre_err" | head -n 1)" >&2
fi

# ---- the output directory: create it ---------------------------------------
mkdir -p -- "$rawdir"
[ -e "$meta" ] || printf '%s\n' "$meta_text" >"$meta"
if [ ! -e "$csv" ]; then
    printf '%s\n' "$header" >"$csv"
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
            printf '  ncpu: %s\n' "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo unknown)"
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
                if [ -n "${done_rows["$ipc,$sflag,$m,$s,$total,$trial"]:-}" ]; then
                    skipped=$((skipped + 1))
                    continue
                fi
                plan+=("$c $m $s $trial")
            done
        done
    done
done
todo="${#plan[@]}"
printf '%s: %d runs planned, %d already in %s, %d to do (%s, %s)\n' "$prog" "$planned" \
    "$skipped" "$csv" "$todo" "$([ "$bare" = 1 ] && echo bare || echo quiescing)" \
    "$([ "$fmt_ext" = json ] && echo JSON || echo text output)" >&2

# ---- one run -----------------------------------------------------------------
# csv_field TEXT: TEXT as one quoted CSV field on one line.
csv_field() {
    local t
    t=$(printf '%s' "$1" | tr '\r\n\t' '   ')
    printf '"%s"' "${t//\"/\"\"}"
}

# extract FILE: prints "bandwidth time utime stime minflt majflt nvcsw nivcsw"
# (a "-" for each missing one) from the first sample of the output.
extract() {
    if [ "$fmt_ext" = json ]; then
        tr -d '\r\n' <"$1" | awk '
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
                print num("bandwidth"), num("time"), num("utime"), num("stime"),
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

# run_one INDEX CONFIG MODE SIZE TRIAL ETA: one run, one CSV row; exit 0 if ok.
run_one() {
    local idx="$1" c="$2" m="$3" s="$4" trial="$5" eta="$6"
    local ipc="${c%-s}" sflag=0 label base rc=0 cpid= err row result
    [ "$ipc" != "$c" ] && sflag=1
    label="$ipc"
    [ "$sflag" = 1 ] && label="$ipc -s"
    base="$rawdir/$c-$m-b$s-t$total-trial$trial"
    local args=("${fmt[@]}")
    [ "$bare" = 1 ] && args+=(-B)
    args+=(-i "$ipc")
    [ "$sflag" = 1 ] && args+=(-s)
    args+=(-b "$s" -t "$total")
    [ "$jobs" -gt 1 ] && [ "$ipc" = tcp ] && [ "$have_port" = 0 ] && args+=(-p 0)
    args+=(${extra[@]+"${extra[@]}"} "$m")

    trap 'kill -TERM "$cpid" 2>/dev/null || true; wait "$cpid" 2>/dev/null || true
          rm -f -- "$base.out.tmp" "$base.err.tmp"; exit 143' TERM
    timeout "$run_timeout" "$bin" "${args[@]}" >"$base.out.tmp" 2>"$base.err.tmp" </dev/null &
    cpid=$!
    wait "$cpid" || rc=$?
    trap - TERM

    local ru=()
    local bw=- time_s=- ru0=- ru1=- ru2=- ru3=- ru4=- ru5=-
    read -r bw time_s ru0 ru1 ru2 ru3 ru4 ru5 < <(extract "$base.out.tmp") || true
    ru=("$ru0" "$ru1" "$ru2" "$ru3" "$ru4" "$ru5")
    if [ "$rc" = 0 ] && [ "$bw" != - ]; then
        mv -f -- "$base.out.tmp" "$base.$fmt_ext"
        if [ -s "$base.err.tmp" ]; then mv -f -- "$base.err.tmp" "$base.err"; else rm -f -- "$base.err.tmp" "$base.err"; fi
        [ "$time_s" = - ] && time_s=
        row="$ipc,$sflag,$m,$s,$total,$trial,$bw,$time_s"
        if [ "$rusage" = 1 ]; then
            for v in "${ru[@]}"; do [ "$v" = - ] && v=; row="$row,$v"; done
        fi
        row="$row,ok,"
        result="$bw KBytes/sec"
    else
        if [ "$rc" = 124 ]; then
            err="timed out after ${run_timeout}s"
        elif [ "$rc" -gt 128 ]; then
            err="killed by signal $((rc - 128))"
        elif [ "$rc" = 0 ]; then
            err="no bandwidth in the output"
        else
            err=$(grep -m 1 -v '^[[:space:]]*$' "$base.err.tmp" || true)
            err="exit $rc: ${err:-no message}"
        fi
        mv -f -- "$base.out.tmp" "$base.$fmt_ext"
        mv -f -- "$base.err.tmp" "$base.err"
        row="$ipc,$sflag,$m,$s,$total,$trial,,"
        [ "$rusage" = 1 ] && row="$row,,,,,,"
        row="$row,failed,$(csv_field "$err")"
        result="FAILED ($err)"
    fi
    printf '%s\n' "$row" >>"$csv"
    printf '[%*d/%d] %s %s b=%s trial %d/%d: %s%s\n' "${#todo}" "$idx" "$todo" "$label" "$m" \
        "$s" "$trial" "$trials" "$result" "$eta" >&2
    [ "$rc" = 0 ] && [ "$bw" != - ]
}

fmt_secs() {
    local t="$1"
    if [ "$t" -ge 3600 ]; then printf '%dh%02dm' $((t / 3600)) $((t % 3600 / 60))
    elif [ "$t" -ge 60 ]; then printf '%dm%02ds' $((t / 60)) $((t % 60))
    else printf '%ds' "$t"; fi
}

now_ms() { local t="${EPOCHREALTIME/,/.}"; printf '%s\n' "$(( ${t%.*} * 1000 + 10#${t#*.} / 1000 ))"; }

on_signal() {
    trap - INT TERM
    local p
    for p in $(jobs -p); do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    printf '\n%s: interrupted; every finished run is in %s (rerun the same command to resume)\n' \
        "$prog" "$csv" >&2
    exit 130
}
trap on_signal INT TERM

# ---- the sweep ---------------------------------------------------------------
ok=0
failed=0
started=0
running=0
t0=$(now_ms)
for item in ${plan[@]+"${plan[@]}"}; do
    read -r c m s trial <<<"$item"
    started=$((started + 1))
    eta=
    finished=$((ok + failed))
    if [ "$jobs" = 1 ] && [ "$finished" -gt 0 ]; then
        el=$(($(now_ms) - t0))
        eta="  (about $(fmt_secs $(((el * (todo - finished) / finished + 999) / 1000))) left)"
    fi
    if [ "$jobs" = 1 ]; then
        run_one "$started" "$c" "$m" "$s" "$trial" "$eta" &
        st=0
        wait "$!" || st=$?
        if [ "$st" = 0 ]; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
    else
        while [ "$running" -ge "$jobs" ]; do
            st=0
            wait -n || st=$?
            running=$((running - 1))
            if [ "$st" = 0 ]; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
        done
        run_one "$started" "$c" "$m" "$s" "$trial" "" &
        running=$((running + 1))
    fi
done
while [ "$running" -gt 0 ]; do
    st=0
    wait -n || st=$?
    running=$((running - 1))
    if [ "$st" = 0 ]; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
done
trap - INT TERM

el=$((($(now_ms) - t0 + 500) / 1000))
printf '%s: done in %s: %d ok, %d failed, %d skipped; results in %s\n' "$prog" "$(fmt_secs "$el")" \
    "$ok" "$failed" "$skipped" "$csv" >&2
if [ "$failed" -gt 0 ]; then
    printf '%s: %d runs failed: see the status and error columns, and %s/*.err\n' "$prog" "$failed" "$rawdir" >&2
fi
# Exit 1 only when nothing at all succeeded.
[ "$todo" = 0 ] || [ "$ok" -gt 0 ]
