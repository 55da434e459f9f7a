#!/bin/sh
# flamegraph.sh -- draw a flame graph, or a differential one, from the folded
# stacks of loop-profile (scripts/trace.sh loop-profile), with inferno.
#
#   scripts/flamegraph.sh [-o SVG] [-t TITLE] FOLDED
#   scripts/flamegraph.sh --diff [--normalize] [-o SVG] [-t TITLE] BEFORE AFTER
#
#   scripts/trace.sh loop-profile -o pipe.folded -- -B -q -t 1g -b 65536 -i pipe 2thread
#   scripts/trace.sh loop-profile -o local.folded -- -B -q -t 1g -b 65536 -i local 2thread
#   scripts/flamegraph.sh -o pipe.svg pipe.folded
#   scripts/flamegraph.sh --diff -o pipe-vs-local.svg pipe.folded local.folded
#   scripts/flamegraph.sh -t 'pipe, first try' -o pipe.svg pipe.folded
#
# A flame graph: one box per frame, as wide as the samples it was found in,
# callers below callees; the roots are the threads' roles (sender, receiver,
# sender+receiver; initiator and echoer with -l). A differential graph has the shape of AFTER, each frame
# coloured by how its samples changed from BEFORE: red grew, blue shrank
# (inferno-diff-folded, then inferno-flamegraph); --normalize first scales
# BEFORE to AFTER's total, to compare shares rather than sample counts.
#
# The SVG goes to SVG (-o) or stdout. The title is TITLE (-t), else what
# was run, read from FOLDED.meta, which trace.sh loop-profile -o FOLDED
# writes beside the folded file (command=, host=, os=, date= lines; the
# folded file itself stays plain folded stacks, which every FlameGraph-family
# tool reads): IPC, mode, buffer and total sizes, iterations, -F, pinning,
#   pipe 2thread 64 KiB buffers, 1 GiB total, unpinned
# (with -l: "64 KiB each way in round trips" in place of the total),
# with the host, OS and date in the subtitle; for --diff both sides,
#   pipe 2thread 64 KiB -> local 2thread 64 KiB, 1 GiB total, unpinned
# (the sizes and pinning after each side when they differ). Without a .meta
# (stdin, a profile folded by hand, trace.sh without -o) the title names
# the files.
# inferno (the Rust port of FlameGraph, crates.io) is found in PATH or in
# cargo's bin directory; scripts/install-deps.sh installs the pinned version.
#
# Exit codes: 0 drawn; 64 usage; 65 no stacks to draw (an empty profile);
# 66 an input file missing or not a file; 69 inferno missing; 70 inferno
# failed; 73 the SVG cannot be written (checked before anything is drawn).

set -eu

INFERNO_VERSION=0.12.8

prog=${0##*/}

usage() {
	cat <<EOF
usage: $prog [-o SVG] [-t TITLE] FOLDED
       $prog --diff [--normalize] [-o SVG] [-t TITLE] BEFORE AFTER

Draws a flame graph of folded stacks (scripts/trace.sh loop-profile -o FILE),
or with --diff a differential one: the shape of AFTER, red where samples grew
from BEFORE, blue where they shrank. FOLDED may be - for stdin.

Options:
  -o SVG         write the SVG to SVG instead of stdout
  -t TITLE       the title (default: what was run, from FOLDED.meta, which
                 trace.sh loop-profile -o FOLDED writes; else the file names)
  --diff         a differential flame graph of BEFORE and AFTER
  --normalize    (--diff) scale BEFORE to AFTER's sample total first
  --help, -h     this help
EOF
}

# An SVG file this run created stays only when it was drawn.
created=
die() {
	code=$1
	shift
	printf '%s: %s\n' "$prog" "$*" >&2
	[ -z "$created" ] || rm -f -- "$created"
	exit "$code"
}

out=
title=
diff=no
normalize=no
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help)
		usage
		exit 0
		;;
	-o)
		[ $# -ge 2 ] || die 64 "-o needs a file name"
		out=$2
		shift 2
		;;
	-t)
		[ $# -ge 2 ] || die 64 "-t needs a title"
		title=$2
		shift 2
		;;
	--diff)
		diff=yes
		shift
		;;
	--normalize)
		normalize=yes
		shift
		;;
	--)
		shift
		break
		;;
	-?*)
		die 64 "unknown option: $1 (try --help)"
		;;
	*)
		break
		;;
	esac
done

if [ "$diff" = yes ]; then
	[ $# -eq 2 ] || die 64 "--diff needs two folded files, BEFORE and AFTER (try --help)"
else
	[ "$normalize" = no ] || die 64 "--normalize goes with --diff"
	[ $# -eq 1 ] || die 64 "one folded file expected (try --help)"
fi
for f in "$@"; do
	[ "$f" = - ] || [ -r "$f" ] || die 66 "$f: no such file or not readable"
	[ "$f" = - ] || [ ! -d "$f" ] || die 66 "$f: is a directory, not a folded profile"
done
[ "$diff" = no ] || [ "$1" != - ] || [ "$2" != - ] || die 64 "only one of BEFORE and AFTER can be stdin"

# The SVG's file, before any work: one line and 73 when it cannot be written.
if [ -n "$out" ]; then
	[ ! -d "$out" ] || die 73 "cannot write $out: it is a directory"
	[ -e "$out" ] || created=$out
	(: >>"$out") 2>/dev/null || { created=; die 73 "cannot write $out (no such directory, or no permission)"; }
fi

# inferno-flamegraph in PATH, or where cargo install puts it.
find_tool() {
	if command -v "$1" >/dev/null 2>&1; then
		command -v "$1"
		return 0
	fi
	for dir in "${CARGO_HOME:-}" "${HOME:-}/.cargo"; do
		if [ -n "$dir" ] && [ -x "$dir/bin/$1" ]; then
			printf '%s\n' "$dir/bin/$1"
			return 0
		fi
	done
	return 1
}
flamegraph=$(find_tool inferno-flamegraph) ||
	die 69 "inferno-flamegraph not found (install it: cargo install inferno --version $INFERNO_VERSION --locked, or scripts/install-deps.sh)"
if [ "$diff" = yes ]; then
	diff_folded=$(find_tool inferno-diff-folded) ||
		die 69 "inferno-diff-folded not found (install it: cargo install inferno --version $INFERNO_VERSION --locked, or scripts/install-deps.sh)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/flamegraph.XXXXXX") || die 70 "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT

# describe FOLDED: what was run, from FOLDED.meta (scripts/trace.sh
# loop-profile -o FOLDED writes it), as four tab-separated fields: the
# configuration ("pipe 2thread 64 KiB"), the rest of it ("1 GiB total,
# unpinned"), where ("vm, Linux 6.18.44") and when (2026-11-29T07:33:58Z).
# Nothing when there is no such file or it names no mode. The command's
# options are read as getopt(3) reads them (-Bqb64k is -B -q -b 64k); the
# defaults are the binary's (pipe, 128 KiB buffers, 16 MiB in all).
describe() {
	[ "$1" != - ] && [ -f "$1.meta" ] && [ -r "$1.meta" ] || return 0
	awk '
	function bytes(v,    n, unit) {
		unit = tolower(substr(v, length(v)))
		n = (unit ~ /[kmg]/) ? substr(v, 1, length(v) - 1) : v
		if (n !~ /^[0-9]+$/)
			return -1
		n += 0
		if (unit == "k") n *= 1024
		if (unit == "m") n *= 1048576
		if (unit == "g") n *= 1073741824
		return n
	}
	function size(v,    n) {
		n = bytes(v)
		if (n < 0) return v " B"
		if (n >= 1073741824 && n % 1073741824 == 0) return (n / 1073741824) " GiB"
		if (n >= 1048576 && n % 1048576 == 0) return (n / 1048576) " MiB"
		if (n >= 1024 && n % 1024 == 0) return (n / 1024) " KiB"
		return n " B"
	}
	/^command=/ { command = substr($0, 9) }
	/^host=/ { host = substr($0, 6) }
	/^os=/ { os = substr($0, 4) }
	/^date=/ { date = substr($0, 6) }
	END {
		nw = split(command, w, " ")
		ended = 0
		for (i = 2; i <= nw; i++) {
			if (!ended && w[i] == "--") {
				ended = 1
				continue
			}
			if (!ended && w[i] ~ /^-./) {
				for (j = 2; j <= length(w[i]); j++) {
					c = substr(w[i], j, 1)
					if (index("abinPpt", c)) {
						v = substr(w[i], j + 1)
						if (v == "" && i < nw)
							v = w[++i]
						opt[c] = v
						break
					}
					flag[c] = 1
				}
				continue
			}
			mode = w[i]	# the last word that is no option: the mode
		}
		if (mode == "")
			exit
		ipc = ("i" in opt) ? opt["i"] : "pipe"
		if ("s" in flag)
			ipc = ipc " -s"
		if ("l" in flag)	# -l: round trips of the buffer size, total/size of them
			rest = size(("t" in opt) ? opt["t"] : "16777216") " each way in round trips"
		else
			rest = size(("t" in opt) ? opt["t"] : "16777216") " total"
		if (("n" in opt) && opt["n"] + 0 > 1)
			rest = rest ", " opt["n"] " iterations"
		if ("F" in flag)
			rest = rest ", pre-faulted"
		if (!("a" in opt))
			rest = rest ", unpinned"
		else if (split(opt["a"], cpu, ",") >= 2)
			rest = rest ", receiver on CPU " cpu[1] ", sender on CPU " cpu[2]
		else
			rest = rest ", pinned to CPU " opt["a"]
		where = host
		if (os != "") where = where (where == "" ? "" : ", ") os
		printf "%s %s %s\t%s\t%s\t%s\n", ipc, mode, size(("b" in opt) ? opt["b"] : "131072"), rest, where, date
	}' "$1.meta" 2>/dev/null || :
}
# field LINE N: the Nth tab-separated field of describe's LINE.
field() {
	printf '%s\n' "$1" | awk -F '\t' -v n="$2" '{ print $n }'
}

# The input (stdin saved, so that it can be counted and read again).
if [ "$diff" = yes ]; then
	cat -- "$1" >"$tmp/before"
	cat -- "$2" >"$tmp/after"
	if [ "$normalize" = yes ]; then
		"$diff_folded" --normalize "$tmp/before" "$tmp/after" >"$tmp/input" 2>"$tmp/err" ||
			die 70 "inferno-diff-folded failed: $(sed -n 1p "$tmp/err")"
	else
		"$diff_folded" "$tmp/before" "$tmp/after" >"$tmp/input" 2>"$tmp/err" ||
			die 70 "inferno-diff-folded failed: $(sed -n 1p "$tmp/err")"
	fi
else
	cat -- "$1" >"$tmp/input"
fi

# Sample totals (the last field; a differential line has two counts).
samples=$(awk 'NF >= 2 && $NF ~ /^[0-9]+$/ { n += $NF } END { print n + 0 }' "$tmp/input")
if [ "$diff" = yes ]; then
	before=$(awk 'NF >= 3 && $(NF - 1) ~ /^[0-9]+$/ { n += $(NF - 1) } END { print n + 0 }' "$tmp/input")
	[ "$samples" -gt 0 ] || [ "$before" -gt 0 ] || die 65 "no stacks in $1 or $2 (empty profiles: was the loop long enough?)"
	scaled=
	[ "$normalize" = no ] || scaled=", scaled to after"
	subtitle="red: more samples than before, blue: fewer; widths: after ($samples samples, before $before$scaled)"
	if [ -z "$title" ]; then
		was=$(describe "$1")
		now=$(describe "$2")
		if [ -z "$was" ] && [ -z "$now" ]; then
			title="Differential flame graph: ${1##*/} -> ${2##*/}"
		elif [ -n "$was" ] && [ -n "$now" ] && [ "$(field "$was" 2)" = "$(field "$now" 2)" ]; then
			title="$(field "$was" 1) -> $(field "$now" 1), $(field "$was" 2)"
		else
			before_label=${1##*/}
			after_label=${2##*/}
			[ -z "$was" ] || before_label="$(field "$was" 1) ($(field "$was" 2))"
			[ -z "$now" ] || after_label="$(field "$now" 1) ($(field "$now" 2))"
			title="$before_label -> $after_label"
		fi
		if [ -n "$was" ] && [ -n "$now" ] && [ -n "$(field "$now" 3)" ] && [ "$(field "$was" 3)" = "$(field "$now" 3)" ]; then
			subtitle="$subtitle; both runs on $(field "$now" 3)"
		fi
	fi
else
	[ "$samples" -gt 0 ] || die 65 "no stacks in $1 (an empty profile: was the loop long enough?)"
	subtitle="on-CPU samples inside the IPC loop, 997 Hz: $samples samples"
	if [ -z "$title" ]; then
		run=$(describe "$1")
		if [ -n "$run" ]; then
			title="$(field "$run" 1) buffers, $(field "$run" 2)"
			where=$(field "$run" 3)
			when=$(field "$run" 4)
			[ -z "$where" ] || subtitle="$subtitle; $where"
			[ -z "$when" ] || subtitle="$subtitle, $when"
		else
			title="Flame graph: ${1##*/}"
		fi
	fi
fi

"$flamegraph" --title "$title" --subtitle "$subtitle" --countname samples \
	--nametype Frame: "$tmp/input" >"$tmp/svg" 2>"$tmp/err" ||
	die 70 "inferno-flamegraph failed: $(sed -n 1p "$tmp/err")"
if [ -n "$out" ]; then
	cat "$tmp/svg" 2>/dev/null >"$out" || die 73 "cannot write $out"
	created=
else
	cat "$tmp/svg"
fi
