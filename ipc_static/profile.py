"""loop-profile's samples as folded stacks, as scripts/trace.sh folds them.

bpftrace prints loop-profile's @samples[tid, user stack, kernel stack] with
the user frames as bare addresses (the benchmark has exited by then) and
nothing but a thread id at the root. scripts/trace.sh folds them with
scripts/fold-stacks.awk, naming the user frames from the binary's function
table (scripts/symbols.sh, i.e. ./ipc-static.sym beside the stripped
binary) and putting the thread's role at the root. trace() does the same
with the same two scripts: bpftrace's JSON output is turned back into the
text the awk script reads (the JSON keys are that text), so that the result
is the folded file trace.sh writes, line for line.
"""

import os
import shutil
import subprocess
import tempfile
import time
import warnings

from . import locate
from .bpftrace_json import scalar, values_from_lines
from .errors import TraceError


def bpftrace_text(output):
    """The text bpftrace would have printed for loop-profile (its printf
    lines, then @outside and @samples as `@name[key]: count`), from its
    JSON output (a bpftrace_json.Output)."""
    lines = list(output.lines)
    maps = {}
    for event in output.events:
        if event.get("type") == "map" and isinstance(event.get("data"), dict):
            maps.update(event["data"])  # a map printed twice keeps its last print
    for name in ("@outside", "@samples"):
        value = maps.get(name)
        if not isinstance(value, dict):
            continue
        for key, count in value.items():
            lines.append("%s[%s]: %s" % (name, key, count))
    return "\n".join(lines) + "\n"


def symbol_table(binary, directory):
    """scripts/symbols.sh BINARY into DIRECTORY/symbols: its path, or ""
    (with a warning, as trace.sh gives) when BINARY has no symbols."""
    path = os.path.join(directory, "symbols")
    with open(path, "w") as out:
        done = subprocess.run([locate.script("symbols.sh"), binary], stdin=subprocess.DEVNULL,
                              stdout=out, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["symbols.sh failed"])[0]
        warnings.warn("loop-profile: user frames stay addresses: %s" % why, stacklevel=4)
        return ""
    return path


def fold_for(text, binary):
    """fold() with BINARY's symbols (scripts/symbols.sh: its own table, or
    BINARY.sym beside a stripped BINARY of the same build)."""
    with tempfile.TemporaryDirectory(prefix="ipc-static-fold-") as tmp:
        return fold(text, symbol_table(binary, tmp), binary)


def fold(text, symbols, symbols_of=""):
    """Fold loop-profile's TEXT (bpftrace's or DTrace's) with
    scripts/fold-stacks.awk, user frames named from SYMBOLS (a file of
    scripts/symbols.sh's "ADDRESS SIZE NAME" lines; "" for none), which the
    summary says came from SYMBOLS_OF.

    Returns (stacks, log): stacks a list of (frames, count), frames a tuple
    whose first element is the role (sender, receiver, sender+receiver,
    initiator, echoer, other), then the user frames and the kernel frames, outermost first,
    in the order of the folded file trace.sh writes (LC_ALL=C sort); log
    the lines the awk script prints besides (its summary last)."""
    awk = shutil.which("awk")
    if awk is None:
        raise TraceError("awk not found in PATH: loop-profile's stacks cannot be folded")
    with tempfile.TemporaryDirectory(prefix="ipc-static-fold-") as tmp:
        folded = os.path.join(tmp, "folded")
        open(folded, "w").close()
        done = subprocess.run([awk, "-f", locate.script("fold-stacks.awk"), "-v", "symbols=" + symbols,
                               "-v", "symbols_of=" + symbols_of, "-v", "folded=" + folded],
                              input=text, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise TraceError("fold-stacks.awk failed: %s" % (done.stderr.strip() or "exit %d" % done.returncode))
        with open(folded, "rb") as f:
            lines = sorted(f.read().splitlines())  # bytes: LC_ALL=C order
    stacks = []
    for raw in lines:
        line = raw.decode("utf-8", "replace")
        frames, _, count = line.rpartition(" ")
        stacks.append((tuple(frames.split(";")), int(count)))
    return stacks, done.stdout.splitlines()


def folded_text(stacks):
    """STACKS as the folded file: one `frame;...;frame count` line each."""
    return "".join("%s %d\n" % (";".join(frames), count) for frames, count in stacks)


def write_folded(path, stacks, command, started):
    """Write STACKS to PATH as trace.sh loop-profile -o PATH does: the
    folded lines, and PATH.meta beside them (the command line, host, OS and
    STARTED, the run's time.gmtime()), from which scripts/flamegraph.sh
    titles its graph."""
    with open(path, "w") as f:
        f.write(folded_text(stacks))
    uname = os.uname()
    with open(path + ".meta", "w") as f:
        f.write("# ipc_static trace(): the run behind %s\n" % os.path.basename(path))
        f.write("command=%s\n" % " ".join(command))
        f.write("host=%s\n" % uname.nodename)
        f.write("os=%s %s\n" % (uname.sysname, uname.release))
        f.write("date=%s\n" % time.strftime("%Y-%m-%dT%H:%M:%SZ", started))


_OUTSIDE = "samples outside the loop (not in the profile): "


def summary_values(log):
    """The awk script's summary lines as values: {"samples in the loop":
    "251 (sender 102, ...)", "distinct stacks": 55, "samples outside the
    loop": 0, "user frames named": "286 of 286 in ..."}."""
    values = values_from_lines(log)
    for line in log:
        if line.startswith(_OUTSIDE):
            values["samples outside the loop"] = scalar(line[len(_OUTSIDE):])
    return values
