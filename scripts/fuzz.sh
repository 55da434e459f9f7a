#!/bin/sh
# Fuzzes ipc-static's argument parser for a bounded time (make fuzz).
#
#   scripts/fuzz.sh [seconds]        (default: FUZZ_SECONDS or 60)
#
# With cargo-fuzz and a nightly toolchain: libFuzzer on fuzz/fuzz_targets/
# parse_args.rs (the parser compiled from src/), for that many seconds.
# cargo-fuzz is installed from crates.io when missing (FUZZ_INSTALL=0 stops
# that). Without nightly or cargo-fuzz it says so loudly and falls back to the
# black-box property test in tests/tests/reliability.rs, with as many random
# argument vectors as fit in the time (PARSER_CASES caps them). FUZZ_FALLBACK=1
# takes the fallback on purpose.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-${FUZZ_SECONDS:-60}}
case $seconds in
    ''|*[!0-9]*) echo "fuzz.sh: seconds must be a number, not '$seconds'" >&2; exit 64 ;;
esac

have_nightly() {
    [ "${FUZZ_FALLBACK:-0}" = 0 ] || return 1
    command -v rustup >/dev/null 2>&1 && rustup toolchain list 2>/dev/null | grep -q '^nightly'
}

have_cargo_fuzz() {
    cargo fuzz --version >/dev/null 2>&1
}

if have_nightly && ! have_cargo_fuzz && [ "${FUZZ_INSTALL:-1}" != 0 ]; then
    echo "fuzz.sh: installing cargo-fuzz from crates.io" >&2
    cargo install cargo-fuzz --locked >&2 || echo "fuzz.sh: cargo install cargo-fuzz failed" >&2
fi

if have_nightly && have_cargo_fuzz; then
    cd "$top/fuzz"
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    echo "fuzz.sh: cargo fuzz run parse_args for $seconds s" >&2
    status=0
    cargo +nightly fuzz run parse_args -- \
        -max_total_time="$seconds" -dict="$top/fuzz/parse_args.dict" -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    tail -n 25 "$log"
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
    if [ "$status" -ne 0 ]; then
        echo "fuzz.sh: FAILED (exit $status): see the crash input under fuzz/artifacts/parse_args/" >&2
        exit "$status"
    fi
    echo "fuzz.sh: parse_args: ${runs:-?} inputs in $seconds s, no panic, every refusal one printable line"
    exit 0
fi

echo "************************************************************************" >&2
echo "*** fuzz.sh: cargo-fuzz or the nightly toolchain is NOT available:" >&2
echo "*** NOT running libFuzzer. Falling back to the property test of the" >&2
echo "*** parser (random argument vectors through ./ipc-static) for $seconds s." >&2
echo "************************************************************************" >&2
cd "$top"
[ -x "$top/ipc-static" ] || make -C "$top" all >&2
PARSER_CASES=${PARSER_CASES:-100000000} PARSER_SECONDS=$seconds \
    cargo test -p ipc-static-tests --test reliability parser_property -- --nocapture
