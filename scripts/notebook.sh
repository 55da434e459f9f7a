#!/bin/sh
# notebook.sh: execute notebooks/lab2.ipynb from top to bottom with Jupyter
# (nbconvert --execute), in the environment of scripts/python-env.sh.
#
#   scripts/notebook.sh             # executes a copy, which is thrown away;
#                                   # exit 1 when a cell fails (make test)
#   scripts/notebook.sh --in-place  # saves the outputs into the notebook (make notebook)
#   scripts/notebook.sh [--in-place] OTHER.ipynb   # another notebook
#   scripts/notebook.sh --test-result   # ends with a line in cargo's form,
#                                   # `test result: ok. 1 passed; ...` (or 1
#                                   # failed, or 1 ignored when skipped), so
#                                   # that .ci/run counts it (make test)
#
# The notebook traces with bpftrace, so it needs root and bpftrace: without
# them it is skipped with a warning (exit 0), except under CI (CI=true),
# where that is a failure. It builds ./ipc-static first (build(), make).
# Jupyter's and IPython's per-user directories are replaced by empty ones,
# so that a kernel or start-up file of the user's cannot change the run.
set -eu

prog=notebook.sh
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
notebook=$top/notebooks/lab2.ipynb
in_place=no
test_result=no
while [ $# -gt 0 ]; do
	case $1 in
	--in-place) in_place=yes ;;
	--test-result) test_result=yes ;;
	--)
		shift
		break
		;;
	-*)
		printf '%s: unknown option %s\nusage: scripts/notebook.sh [--in-place] [--test-result] [notebook.ipynb]\n' "$prog" "$1" >&2
		exit 64
		;;
	*) break ;;
	esac
	shift
done
case $# in
0) ;;
1)
	[ -f "$1" ] || { printf '%s: no such notebook: %s\n' "$prog" "$1" >&2; exit 66; }
	notebook=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	;;
*)
	printf 'usage: scripts/notebook.sh [--in-place] [--test-result] [notebook.ipynb]\n' >&2
	exit 64
	;;
esac
[ -f "$notebook" ] || { printf '%s: no such notebook: %s\n' "$prog" "$notebook" >&2; exit 66; }
name=$(basename "$notebook")

# result ok|FAILED|ignored: the cargo-style line of --test-result.
result() {
	[ "$test_result" = yes ] || return 0
	case $1 in
	ok) echo "test result: ok. 1 passed; 0 failed; 0 ignored (notebook $name executed)" ;;
	FAILED) echo "test result: FAILED. 0 passed; 1 failed; 0 ignored (notebook $name)" ;;
	ignored) echo "test result: ok. 0 passed; 0 failed; 1 ignored (notebook $name skipped)" ;;
	esac
}

skip() {
	if [ "${CI:-}" = true ]; then
		printf '%s: %s\n' "$prog" "$*" >&2
		result FAILED
		exit 1
	fi
	printf '*** WARNING: %s\n*** SKIPPING the notebook\n' "$*"
	result ignored
	exit 0
}

[ "$(id -u)" = 0 ] || skip "the notebook traces with bpftrace, which needs root"
command -v bpftrace >/dev/null 2>&1 || skip "bpftrace is not installed (scripts/install-deps.sh)"
python=$("$here/python-env.sh") || skip "no Python environment for Jupyter (scripts/python-env.sh failed)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/jupyter" "$tmp/ipython"
if [ "$in_place" = yes ]; then
	output=--inplace
else
	output="--output-dir=$tmp --output=$name"
fi
start=$(date +%s)
# shellcheck disable=SC2086 # $output is two words or one
if ! JUPYTER_DATA_DIR=$tmp/jupyter IPYTHONDIR=$tmp/ipython \
	"$python" -m nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
	$output "$notebook"; then
	printf '%s: a cell of %s failed (the traceback is above)\n' "$prog" "$name" >&2
	result FAILED
	exit 1
fi
printf '%s: %s executed in %ss%s\n' "$prog" "$name" "$(($(date +%s) - start))" \
	"$([ "$in_place" = yes ] && echo ', outputs saved' || true)"
result ok
