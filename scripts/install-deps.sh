#!/bin/bash
# Installs what the tests need on a fresh Debian machine, when missing:
# strace, bpftrace, gnuplot, jq, GNU time (packages), the musl and
# FreeBSD Rust targets (rustup), and inferno (cargo install, pinned). Needs root for the packages; without root
# it only says what is missing. With --bench (make bench) also perf
# (linux-perf), whose `perf bench sched pipe` is the latency table's anchor.
set -eu
need=()
if [ "${1:-}" = --bench ]; then
    command -v perf >/dev/null 2>&1 || need+=(linux-perf)
fi
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v bpftrace >/dev/null 2>&1 || need+=(bpftrace)
command -v gnuplot >/dev/null 2>&1 || need+=(gnuplot-nox)
command -v jq >/dev/null 2>&1 || need+=(jq)
[ -x /usr/bin/time ] || need+=(time)
# python3 with venv, for the notebook's environment (scripts/python-env.sh).
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3 python3-venv)
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "install-deps: installing ${need[*]}"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "install-deps: missing ${need[*]} (install them as root)" >&2
    fi
fi
if command -v rustup >/dev/null 2>&1; then
    installed=$(rustup target list --installed)
    for target in x86_64-unknown-linux-musl x86_64-unknown-freebsd; do
        if ! printf '%s\n' "$installed" | grep -qx "$target"; then
            echo "install-deps: adding Rust target $target"
            rustup target add "$target" >/dev/null 2>&1 || echo "install-deps: could not add $target" >&2
        fi
    done
fi
# inferno (the Rust port of FlameGraph) for scripts/flamegraph.sh, pinned;
# built from crates.io into cargo's bin directory (about 30 s here).
INFERNO_VERSION=0.12.8
if command -v cargo >/dev/null 2>&1; then
    if ! cargo install --list 2>/dev/null | grep -qx "inferno v$INFERNO_VERSION:"; then
        echo "install-deps: installing inferno $INFERNO_VERSION (cargo install)"
        cargo install inferno --version "$INFERNO_VERSION" --locked --quiet ||
            echo "install-deps: could not install inferno $INFERNO_VERSION" >&2
    fi
else
    echo "install-deps: cargo missing: cannot install inferno $INFERNO_VERSION" >&2
fi
# The notebook's Python environment: pinned nbconvert, ipykernel, pandas,
# matplotlib from PyPI (scripts/python-env.sh; made once per machine).
"$(dirname "$0")/python-env.sh" >/dev/null || echo "install-deps: no Python environment for the notebook" >&2
