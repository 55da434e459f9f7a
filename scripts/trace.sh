#!/bin/sh
# trace.sh -- run one of the tracing analyses against a run of ipc-static.
#
#   scripts/trace.sh <analysis> [-o FILE] [--] [ipc-static arguments]
#   scripts/trace.sh loop-returns -- -B -q -i local 2thread
#   scripts/trace.sh loop-sched -o sched.txt -- -B -q -b 4096 -i pipe 2thread
#   scripts/trace.sh loop-profile -o pipe.folded -- -B -q -t 1g -b 65536 -i pipe 2thread
#
# Picks bpftrace (scripts/bpftrace/<analysis>.bt) on Linux and dtrace
# (scripts/dtrace/<analysis>.d) elsewhere, checks that the tracer is there and
# that we can trace (root), and runs the analysis with the benchmark started
# by the tracer itself (-c), so that nothing but that run is traced. The
# benchmark is the ipc-static next to the scripts directory, or $IPC_STATIC.
#
# loop-profile's output is folded (scripts/fold-stacks.awk, user frames named
# from the binary's symbols, scripts/symbols.sh): the folded stacks go to
# FILE (-o) or stdout, and the rest (the tracer's messages, the brackets,
# the benchmark's own output, a summary) to stdout with -o, else to stderr.
# With -o, FILE.meta beside it says what was run (command=, host=, os=,
# date= lines), which the folded format has no room for: scripts/flamegraph.sh
# titles its graph from it.
#
# Exit codes: the tracer's own status on a run, except (Linux) when the
# benchmark failed under it, which the tracer does not pass on: 64 when
# ipc-static refused its arguments, 1 when it failed later (its stderr says
# which, a line of ours after it); 64 usage (unknown analysis,
# bad option, no benchmark arguments, an argument the tracer's -c cannot
# carry); 66 benchmark binary missing; 69 tracer missing or tracefs
# unavailable; 73 (loop-profile) its output file or a temporary directory
# cannot be created; 77 not root.

set -eu

ANALYSES="loop-returns loop-syscalls loop-latency loop-sched loop-wakeups loop-faults loop-profile whole-program"

prog=${0##*/}
case "$0" in
*/*) here=${0%/*} ;;
*) here=. ;;
esac
scripts=$here
root=$here/..

usage() {
	cat <<EOF
usage: $prog <analysis> [-o FILE] [--] [ipc-static arguments]
       $prog --help

Runs <analysis> with bpftrace (Linux) or dtrace (elsewhere) against one run
of ipc-static started by the tracer (-c). Must be run as root.

Analyses:
  loop-returns   read()/write() return-value histograms, bytes and calls per side
  loop-syscalls  every system call inside the loop and over the whole program
  loop-latency   time spent in each read()/write() (and poll()) of the loop
  loop-sched     off-CPU events per thread (blocked/preempted), on-CPU time
  loop-wakeups   who wakes whom, kernel stacks where the threads sleep
  loop-faults    page faults in the loop per thread (user/kernel, first touch)
  loop-profile   on-CPU stack samples in the loop (997 Hz), as folded stacks
                 (draw them with scripts/flamegraph.sh)
  whole-program  every system call of the run, in order, with arguments

Options:
  -o FILE        write the analysis to FILE (the tracer's -o); the
                 benchmark's own output stays on stdout (loop-profile: the
                 folded stacks, and the run's command line in FILE.meta)
  --help, -h     this help (only before the analysis name)

The benchmark is $root/ipc-static unless IPC_STATIC names another one;
loop-profile names user frames from its symbols, or from TRACE_SYMBOLS's
binary when IPC_STATIC is a wrapper.
Example:
  $prog loop-returns -- -B -q -i local 2thread
EOF
}

die() {
	code=$1
	shift
	printf '%s: %s\n' "$prog" "$*" >&2
	exit "$code"
}

analysis=
out=
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help)
		if [ -z "$analysis" ]; then
			usage
			exit 0
		fi
		break
		;;
	-o)
		[ $# -ge 2 ] || die 64 "-o needs a file name"
		out=$2
		shift 2
		;;
	-o?*)
		out=${1#-o}
		shift
		;;
	--)
		shift
		break
		;;
	-*)
		if [ -z "$analysis" ]; then
			die 64 "unknown option: $1 (try --help)"
		fi
		break
		;;
	*)
		if [ -n "$analysis" ]; then
			break
		fi
		analysis=$1
		shift
		;;
	esac
done

if [ -z "$analysis" ]; then
	usage >&2
	exit 64
fi

known=no
for a in $ANALYSES; do
	if [ "$a" = "$analysis" ]; then
		known=yes
	fi
done
if [ "$known" = no ]; then
	die 64 "unknown analysis: $analysis (analyses: $ANALYSES)"
fi

if [ $# -eq 0 ]; then
	die 64 "no ipc-static arguments given (e.g. $prog $analysis -- -B -q -i pipe 2thread)"
fi

# The tracers split -c's command line on white space, without quoting:
# refuse anything that would not survive that.
for arg in "$@"; do
	case "$arg" in
	'' | *[!A-Za-z0-9_.,:=/+-]*)
		die 64 "ipc-static argument '$arg' cannot be passed through the tracer's -c (letters, digits and _.,:=/+- only)"
		;;
	esac
done

binary=${IPC_STATIC:-$root/ipc-static}
case "$binary" in
*[!A-Za-z0-9_.,:=/+-]*)
	die 64 "benchmark path '$binary' cannot be passed through the tracer's -c (use a path without spaces or special characters)"
	;;
esac

os=$(uname -s)
if [ "$os" = Linux ]; then
	tracer=bpftrace
	script=$scripts/bpftrace/$analysis.bt
else
	tracer=dtrace
	script=$scripts/dtrace/$analysis.d
fi

[ -r "$script" ] || die 66 "analysis script missing: $script"

if ! command -v "$tracer" >/dev/null 2>&1; then
	if [ "$tracer" = bpftrace ]; then
		die 69 "bpftrace not found in PATH (install it: apt-get install bpftrace, dnf install bpftrace)"
	fi
	die 69 "dtrace not found in PATH (FreeBSD: kldload dtraceall; it ships with the base system)"
fi

uid=$(id -u)
if [ "$uid" != 0 ]; then
	die 77 "$tracer needs root: run as root (e.g. sudo $0 $analysis -- $*)"
fi

[ -x "$binary" ] || die 66 "benchmark not found or not executable: $binary (run make, or set IPC_STATIC)"
case "$binary" in
/* | ./* | ../*) ;;
*) binary=./$binary ;;
esac

# profile TRACER ARGS...: run loop-profile, fold its output, exit with the
# tracer's status. Ctrl-C stops the tracer (which prints what it has), not
# the folding.
profile() {
	if [ -n "$out" ]; then
		(: >"$out") 2>/dev/null || die 73 "cannot write $out"
		# The run behind FILE, beside it (the folded format has no room for
		# it): scripts/flamegraph.sh titles its graph from FILE.meta.
		if [ -f "$out" ] && ! {
			printf '# scripts/trace.sh loop-profile: the run behind %s\n' "${out##*/}"
			printf 'command=%s\n' "$command_line"
			printf 'host=%s\n' "$(uname -n)"
			printf 'os=%s\n' "$(uname -sr)"
			printf 'date=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		} 2>/dev/null >"$out.meta"; then
			printf '%s: warning: cannot write %s.meta: flamegraph.sh will title the graph with the file name\n' "$prog" "$out" >&2
		fi
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/loop-profile.XXXXXX") || die 73 "cannot create a temporary directory"
	trap 'rm -rf "$tmp"' EXIT
	trap : INT TERM
	# The binary whose symbols name the user frames: the benchmark, unless
	# it runs under a wrapper (probe-effect.sh's io-count.sh sets it).
	symbols_of=${TRACE_SYMBOLS:-$binary}
	if ! "$scripts/symbols.sh" "$symbols_of" >"$tmp/symbols" 2>"$tmp/symbols.err"; then
		printf '%s: warning: user frames stay addresses: %s\n' "$prog" "$(sed -n 1p "$tmp/symbols.err")" >&2
		: >"$tmp/symbols"
	fi
	: >"$tmp/folded"
	status=0
	"$@" >"$tmp/raw" || status=$?
	if [ -n "$out" ]; then
		awk -f "$scripts/fold-stacks.awk" -v symbols="$tmp/symbols" -v symbols_of="$symbols_of" -v folded="$tmp/folded" "$tmp/raw"
		LC_ALL=C sort "$tmp/folded" >"$out"
	else
		awk -f "$scripts/fold-stacks.awk" -v symbols="$tmp/symbols" -v symbols_of="$symbols_of" -v folded="$tmp/folded" "$tmp/raw" >&2
		LC_ALL=C sort "$tmp/folded"
	fi
	finish "$status"
}

# finish STATUS: exit with the tracer's STATUS; but when the tracer succeeded
# and the benchmark under it failed (the stderr filter below saw its error
# line), say so and exit 64 if it refused its arguments, else 1: the tracers
# do not pass the benchmark's exit status on.
finish() {
	if [ -n "$filter" ]; then
		exec 2>&3 3>&-
		wait "$filter" 2>/dev/null || :
	fi
	if [ "$1" = 0 ] && [ -s "$verdict" ]; then
		if grep -qx usage "$verdict"; then
			rm -f "$verdict"
			die 64 "ipc-static refused its arguments (its message is above): nothing was traced"
		fi
		rm -f "$verdict"
		die 1 "ipc-static failed under $tracer (its message is above): the analysis covers the run up to the failure; $tracer does not pass on its exit status"
	fi
	[ -z "$verdict" ] || rm -f "$verdict"
	exit "$1"
}
filter=
verdict=

if [ "$tracer" = bpftrace ]; then
	# bpftrace's tracepoints need tracefs; mount it where the kernel expects it.
	if [ ! -e /sys/kernel/tracing/events/syscalls ] && [ ! -e /sys/kernel/debug/tracing/events/syscalls ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
			die 69 "tracefs is not mounted and could not be mounted on /sys/kernel/tracing"
		[ -e /sys/kernel/tracing/events/syscalls ] ||
			die 69 "no syscall tracepoints in /sys/kernel/tracing/events (kernel without CONFIG_FTRACE_SYSCALLS?)"
	fi
	case "$analysis" in
	loop-syscalls | whole-program)
		arch=$(uname -m)
		if [ "$arch" != x86_64 ]; then
			printf '%s: warning: %s names system calls from an x86_64 table; on %s the names are wrong\n' \
				"$prog" "$analysis" "$arch" >&2
		fi
		;;
	esac
	# bpftrace raises RLIMIT_MEMLOCK itself; do it here so that it need not.
	ulimit -l unlimited 2>/dev/null || true
	# Where the limit cannot be raised (a container without
	# CAP_SYS_RESOURCE), bpftrace 0.17 prints "ERROR: Unknown error -1:
	# couldn't set RLIMIT_MEMLOCK for bpftrace. ..." on every run and then
	# works: BPF memory is charged to the cgroup since Linux 5.11. Drop that
	# one line from stderr, through a filter that outlives bpftrace (it ends
	# at end of file) and ignores SIGINT, so Ctrl-C still reaches bpftrace
	# and its last words are kept. The filter also notes the benchmark's
	# own error line, for finish().
	fifo=$(mktemp -u "${TMPDIR:-/tmp}/trace.sh.XXXXXX")
	if mkfifo -m 600 "$fifo" 2>/dev/null; then
		verdict=$(mktemp "${TMPDIR:-/tmp}/trace.sh.XXXXXX") || verdict=
		(
			trap '' INT
			exec awk -v verdict="$verdict" '
				/couldn.t set RLIMIT_MEMLOCK for bpftrace/ { next }
				{ print; fflush() }
				verdict == "" { next }
				/^usage: ipc-static/ { print "usage" >verdict; fflush(verdict) }
				/^ipc-static: / && !/^ipc-static: warning/ { print "failed" >verdict; fflush(verdict) }
			' <"$fifo" >&2
		) &
		filter=$!
		exec 3>&2 2>"$fifo"
		rm -f "$fifo"
	fi
	command_line="$binary $*"
	if [ "$analysis" = loop-profile ]; then
		# Room for the distinct stacks of a long run (the default is 4096).
		BPFTRACE_MAP_KEYS_MAX=${BPFTRACE_MAP_KEYS_MAX:-65536}
		export BPFTRACE_MAP_KEYS_MAX
		profile bpftrace "$script" -c "$command_line"
	fi
	# -o: the tracer's own output to FILE; the benchmark's stays on stdout.
	set -- "$script" -c "$command_line"
	[ -z "$out" ] || set -- -o "$out" "$@"
	# bpftrace runs as a child, so that finish() can look at the run
	# afterwards, in the background so that a signal to this script is
	# passed on at once (Ctrl-C reaches it through the terminal's process
	# group as well). A background command starts with SIGINT ignored, which
	# the benchmark would inherit: env --default-signal (GNU coreutils 8.31)
	# undoes that; without it bpftrace runs in the foreground and a signal to
	# this script alone waits for the end of the run.
	if env --default-signal=INT,QUIT true 2>/dev/null; then
		tracer_pid=
		trap '[ -z "$tracer_pid" ] || kill -INT "$tracer_pid" 2>/dev/null || :' INT
		trap '[ -z "$tracer_pid" ] || kill -TERM "$tracer_pid" 2>/dev/null || :' TERM
		trap '[ -z "$tracer_pid" ] || kill -HUP "$tracer_pid" 2>/dev/null || :' HUP
		env --default-signal=INT,QUIT bpftrace "$@" <&0 &
		tracer_pid=$!
		while :; do
			status=0
			wait "$tracer_pid" 2>/dev/null || status=$?
			kill -0 "$tracer_pid" 2>/dev/null || break
		done
	else
		trap : INT TERM HUP
		status=0
		bpftrace "$@" || status=$?
	fi
	finish "$status"
else
	command_line="$binary $*"
	if [ "$analysis" = loop-profile ]; then
		profile dtrace -s "$script" -c "$command_line"
	fi
	if [ -n "$out" ]; then
		exec dtrace -o "$out" -s "$script" -c "$command_line"
	fi
	exec dtrace -s "$script" -c "$command_line"
fi
