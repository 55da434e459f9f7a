# host-of.sh: sourced by scripts/plot.sh and scripts/plot-latency.sh (not run
# on its own), so that both title their plots with the same host line.
#
#   . "$(dirname "$0")/host-of.sh"; host_of DIR
#
# host_of DIR sets cpu, osname, osrel and ncpu from DIR/host.txt (what
# sweep.sh saved of `ipc-static describe`), else from a fresh `ipc-static
# describe` (the binary next to scripts/, or $IPC_STATIC), else from
# /proc/cpuinfo, uname and getconf. DIR/host.txt may be missing.

host_field() { # host_field KEY < description: the value of "  KEY: value"
    sed -n "s/^[[:space:]]*$1:[[:space:]]*//p" | head -n 1
}

host_of() {
    local host_text= bin
    [ -s "$1/host.txt" ] && host_text=$(cat -- "$1/host.txt")
    if [ -z "$(printf '%s\n' "$host_text" | host_field cpu_model)" ]; then
        bin="${IPC_STATIC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/ipc-static}"
        host_text=$("$bin" describe 2>/dev/null) || host_text=
    fi
    cpu=$(printf '%s\n' "$host_text" | host_field cpu_model)
    osname=$(printf '%s\n' "$host_text" | host_field os_name)
    osrel=$(printf '%s\n' "$host_text" | host_field os_release)
    ncpu=$(printf '%s\n' "$host_text" | host_field ncpu)
    [ -n "$cpu" ] || cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1) || cpu=
    [ -n "$cpu" ] || cpu="unknown CPU"
    [ -n "$osname" ] || osname=$(uname -s)
    [ -n "$osrel" ] || osrel=$(uname -r)
    [ -n "$ncpu" ] || ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
}
