#!/bin/sh
# python-env.sh: the Python virtual environment that the notebook and the
# ipc_static module's tests run in; makes it when it is missing and prints
# the path of its python on stdout.
#
#   scripts/python-env.sh            # e.g. /root/.cache/ipc-static/python-3.11-1a2b3c4d5e6f/bin/python
#
# It holds scripts/python-requirements.txt (nbconvert, ipykernel, pandas,
# matplotlib and their dependencies, pinned), installed with pip from PyPI.
# It lives outside the checkout, in $XDG_CACHE_HOME/ipc-static (default
# ~/.cache/ipc-static), named after the Python version and a hash of the
# requirements and the interpreter, so that worktrees and CI clones on one
# machine share it and a change of pins makes a new one; $IPC_STATIC_VENV
# names another directory. $PYTHON is the interpreter (default python3).
# Concurrent callers wait for one another (flock, where there is one).
# Exit status: 0, or 69 when the environment cannot be made (no python3,
# no venv module, or pip cannot install: the reason is on stderr).
set -eu

prog=python-env.sh
here=$(cd "$(dirname "$0")" && pwd)
requirements=$here/python-requirements.txt
python=${PYTHON:-python3}

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 69
}

command -v "$python" >/dev/null 2>&1 || die "$python not found (install Python 3 with its venv module)"
key=$("$python" - "$requirements" <<'PY'
import hashlib, os, sys
digest = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    digest.update(f.read())
digest.update(os.path.realpath(sys.executable).encode())
digest.update(sys.version.encode())
print("python-%d.%d-%s" % (sys.version_info[0], sys.version_info[1], digest.hexdigest()[:12]))
PY
) || die "$python does not run"

cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/ipc-static
venv=${IPC_STATIC_VENV:-$cache/$key}
if [ -e "$venv/.complete" ]; then
	printf '%s\n' "$venv/bin/python"
	exit 0
fi

parent=$(dirname "$venv")
mkdir -p "$parent" || die "cannot create $parent"
if command -v flock >/dev/null 2>&1; then
	exec 9>"$parent/.lock"
	flock 9
	if [ -e "$venv/.complete" ]; then
		printf '%s\n' "$venv/bin/python"
		exit 0
	fi
fi

start=$(date +%s)
printf '%s: making %s (pip install -r scripts/python-requirements.txt)\n' "$prog" "$venv" >&2
rm -rf "$venv"
"$python" -m venv "$venv" >&2 || die "$python -m venv failed (Debian: apt-get install python3-venv)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2 ||
	die "pip could not install scripts/python-requirements.txt into $venv"
touch "$venv/.complete"
printf '%s: ready in %ss\n' "$prog" "$(($(date +%s) - start))" >&2
printf '%s\n' "$venv/bin/python"
