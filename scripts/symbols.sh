#!/bin/sh
# symbols.sh -- print the function table of an ipc-static binary, for
# naming the user frames of a loop-profile (scripts/fold-stacks.awk).
#
#   scripts/symbols.sh BINARY > BINARY.sym
#
# Output: a comment line with the binary's build ID, then one line per
# function, "ADDRESS SIZE NAME" (hex, hex, demangled name; SIZE 0 when nm
# gives none), in address order.
#
# The table comes from BINARY's own symbol table when it has one (cargo's
# unstripped artifact under target/: make runs this on it to write
# ./ipc-static.sym), else from BINARY.sym next to a stripped BINARY, provided
# that file was made from the same build (same build ID). Exit codes: 66 no
# such binary, or no symbols for it; 69 nm missing.

set -eu
prog=${0##*/}

die() {
	code=$1
	shift
	printf '%s: %s\n' "$prog" "$*" >&2
	exit "$code"
}

[ $# -eq 1 ] || die 64 "usage: $prog BINARY"
binary=$1
[ -r "$binary" ] || die 66 "$binary: no such file"
command -v nm >/dev/null 2>&1 || die 69 "nm not found in PATH (binutils or llvm)"

# The build ID (a GNU note), or "none" when readelf is missing or there is none.
build_id() {
	if command -v readelf >/dev/null 2>&1; then
		id=$(readelf -n "$1" 2>/dev/null | awk '/Build ID:/ { print $3; exit }')
		printf '%s\n' "${id:-none}"
	else
		echo none
	fi
}

# Functions only (nm types t/T/w/W), "addr [size] type name...".
table=$(nm -n -S -C --defined-only "$binary" 2>/dev/null | awk '
	NF >= 4 && length($3) == 1 && $3 ~ /^[tTwW]$/ {
		name = $0
		sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", name)
		print $1, $2, name
		next
	}
	NF >= 3 && length($2) == 1 && $2 ~ /^[tTwW]$/ {
		name = $0
		sub(/^[^ ]+ [^ ]+ /, "", name)
		print $1, 0, name
	}') || true

if [ -n "$table" ]; then
	printf '# ipc-static symbols: build-id %s (nm -n -S -C %s)\n' "$(build_id "$binary")" "${binary##*/}"
	printf '%s\n' "$table"
	exit 0
fi

# A stripped binary: its .sym file, if it belongs to this build.
sym=$binary.sym
[ -r "$sym" ] || die 66 "$binary has no symbol table and there is no $sym (make writes ipc-static.sym)"
want=$(build_id "$binary")
have=$(sed -n '1s/^# ipc-static symbols: build-id \([^ ]*\).*/\1/p' "$sym")
if [ "$want" != none ] && [ "$have" != "$want" ]; then
	die 66 "$sym is from another build (build-id ${have:-none}, the binary's is $want): run make"
fi
cat "$sym"
