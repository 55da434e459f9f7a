#!/bin/sh
# Prints the Rust target that ./ipc-static is built for on Linux: the host's
# musl twin, added with rustup when missing; if it cannot be had, the host
# (gnu) target, which the Makefile then links with +crt-static.
set -eu
host=$(rustc -vV | sed -n 's/^host: //p')
musl=$(printf '%s\n' "$host" | sed 's/-gnu.*$/-musl/')
if rustup target list --installed 2>/dev/null | grep -qx "$musl"; then
    echo "$musl"
elif rustup target add "$musl" >/dev/null 2>&1; then
    echo "$musl"
else
    echo "static-target.sh: $musl unavailable; using $host with +crt-static" >&2
    echo "$host"
fi
