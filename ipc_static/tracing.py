"""trace(): one of the project's analyses against one run of ipc-static.

On Linux: bpftrace runs scripts/bpftrace/<analysis>.bt with its JSON
output (-f json) and starts the benchmark itself (-c), as scripts/trace.sh
does, so that only that run is traced. Elsewhere (FreeBSD): dtrace runs the
D twin, scripts/dtrace/<analysis>.d; DTrace's text has no JSON form here,
so only its lines and `name: value` totals are returned, not its
aggregations (loop-profile's stacks excepted: they are folded from the
text, as scripts/trace.sh folds them).
"""

import glob
import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings

from . import locate
from .args import benchmark_argv
from .bench import error_message, parse_document, samples_table
from .bpftrace_json import parse, values_from_lines
from .errors import TraceError
from .process import capture, first_line, require_executable
from .profile import bpftrace_text, fold_for, folded_text, summary_values, write_folded

# -q and -j are trace()'s (quiet=), -h would run nothing.
TRACE_RESERVED = "jqh"
# The tracers split -c's command line on white space without quoting, so
# each word is limited to characters that survive that (as scripts/trace.sh).
_SAFE_WORD = re.compile(r"^[A-Za-z0-9_.,:=/+-]+$")
# bpftrace 0.17 prints this in containers; BPF memory is charged to the
# cgroup on current kernels, so it changes nothing.
_HARMLESS = re.compile(r"couldn't set RLIMIT_MEMLOCK")


def tracer():
    """("bpftrace", scripts/bpftrace, ".bt") on Linux, the dtrace triple elsewhere."""
    if locate.is_linux():
        return "bpftrace", locate.script("bpftrace"), ".bt"
    return "dtrace", locate.script("dtrace"), ".d"


def analyses():
    """The analyses trace() can run: the scripts in scripts/bpftrace (Linux)
    or scripts/dtrace (elsewhere), by name."""
    _, directory, suffix = tracer()
    return sorted(os.path.basename(p)[:-len(suffix)] for p in glob.glob(os.path.join(directory, "*" + suffix)))


class Trace:
    """The result of trace().

    maps      {name: value}: the analysis's maps (bpftrace only); a keyed
              map is a dict, a histogram a list of Buckets (low, high,
              count), low inclusive, high exclusive; see bpftrace_json
    values    {"read calls": 17, ...}: the analysis's `name: value` lines
    lines     every line the analysis printed
    samples   with quiet=False, the run's samples as run() returns them
              (measured while traced); None with quiet=True
    document  with quiet=False, the run's JSON document
    argv      the tracer's command line; command: the traced one
    stderr    the tracer's and the benchmark's standard error
    stacks    (loop-profile) the samples as scripts/trace.sh loop-profile
              folds them: a list of (frames, count), frames a tuple
              (role, user frames..., kernel frames...), outermost first,
              the role sender, receiver, sender+receiver (1thread),
              initiator and echoer (-l between two sides) or other, user frames named from the binary's symbols
              (./ipc-static.sym); in the folded file's order. t["samples"]
              is the same as a dict {frames: count}, and .values holds the
              fold's summary ("samples in the loop", "distinct stacks",
              "samples outside the loop (not in the profile)", "user
              frames named"); None for the other analyses
    folded    (loop-profile) the folded file's text, "frame;...;frame N"
              lines; t.write_folded(path) writes it and path.meta, as
              trace.sh loop-profile -o does, for scripts/flamegraph.sh
    t["name"] is t.maps["name"].
    """

    def __init__(self, analysis, argv, command, output, stderr, document=None, samples=None,
                 stacks=None, started=None):
        self.analysis = analysis
        self.argv = argv
        self.command = command
        self.maps = output.maps if output is not None else {}
        self.lines = output.lines if output is not None else []
        self.values = output.values if output is not None else {}
        self.probes = output.probes if output is not None else None
        self.lost_events = output.lost_events if output is not None else 0
        self.stderr = stderr
        self.document = document
        self.samples = samples
        self.stacks = stacks
        self.started = started

    @property
    def folded(self):
        return None if self.stacks is None else folded_text(self.stacks)

    def write_folded(self, path):
        """(loop-profile) Write the folded stacks to PATH and the run behind
        them to PATH.meta, as scripts/trace.sh loop-profile -o PATH does, so
        that scripts/flamegraph.sh PATH titles the graph with what was run."""
        if self.stacks is None:
            raise TraceError("%s has no stacks to write (only loop-profile has)" % self.analysis)
        write_folded(os.fspath(path), self.stacks, self.command, self.started)

    def __getitem__(self, name):
        return self.maps[name.lstrip("@")]

    def __contains__(self, name):
        return name.lstrip("@") in self.maps

    def __repr__(self):
        return "<Trace %s: maps %s>" % (self.analysis, ", ".join(sorted(self.maps)) or "none")


def trace(analysis, mode="2thread", ipc="pipe", buffersize=None, totalsize=None, iterations=None, *,
          sflag=False, bare=True, prefault=False, quiet=True, rusage=False, latency=False, verbose=False,
          counters=None, affinity=None, tcp_port=None, extra_args=(), binary=None, timeout=None,
          frame=None, **flags):
    """Run ANALYSIS (a name from analyses()) against one run of ipc-static
    and return a Trace (its maps, values and lines). Needs root.

    The benchmark's flags are run()'s (latency=True for -l round trips),
    with bare=True (-B) by default, as in the analyses' own examples. quiet=True runs it with -q, as the lab does;
    quiet=False runs it with -j instead and parses its document into
    .samples, so that the bandwidth (and, with rusage=True, the context
    switches) measured under tracing can be compared with an untraced run().
    loop-profile's samples come back folded in .stacks and t["samples"]
    (roles at the root, user frames named), as scripts/trace.sh folds them.

    Raises TraceError when not root, when the tracer or the analysis is
    missing, when the tracer fails, or when the traced benchmark fails (its
    error line as .message; .returncode 64 when it printed its usage, else
    None: the tracer does not pass the benchmark's exit status on);
    BinaryNotFoundError when the binary is missing.
    """
    name, directory, suffix = tracer()
    known = analyses()
    if analysis not in known:
        raise TraceError("unknown analysis %r (analyses: %s)" % (analysis, ", ".join(known)))
    script = os.path.join(directory, analysis + suffix)
    program = shutil.which(name)
    if program is None:
        hint = ("apt-get install bpftrace, dnf install bpftrace" if name == "bpftrace"
                else "kldload dtraceall; dtrace ships with FreeBSD")
        raise TraceError("%s not found in PATH (%s)" % (name, hint))
    if os.geteuid() != 0:
        raise TraceError("trace() needs root: %s attaches kernel probes (run the notebook's "
                         "kernel as root, or use scripts/trace.sh with sudo)" % name)
    named = dict(ipc=ipc, buffersize=buffersize, totalsize=totalsize, iterations=iterations,
                 sflag=sflag, bare=bare, prefault=prefault, rusage=rusage, latency=latency,
                 verbose=verbose, counters=counters, affinity=affinity, tcp_port=tcp_port)
    path = locate.binary(binary)
    command = benchmark_argv(path, mode, named, flags, extra_args,
                             lead=["-q" if quiet else "-j"], reserved=TRACE_RESERVED)
    for word in command:
        if not _SAFE_WORD.match(word):
            raise TraceError("%r cannot be passed through the tracer's -c, which splits on white "
                             "space (letters, digits and _.,:=/+- only)" % word)
    require_executable(path)
    if name == "bpftrace":
        ensure_tracefs()
    started = time.gmtime()
    with tempfile.TemporaryDirectory(prefix="ipc-static-trace-") as tmp:
        out_path = os.path.join(tmp, "analysis.out")
        argv = tracer_argv(name, program, script, out_path, command)
        returncode, stdout, stderr = capture(argv, timeout)
        try:
            with open(out_path) as f:
                text = f.read()
        except FileNotFoundError:
            text = ""
    stderr = "\n".join(line for line in stderr.splitlines() if not _HARMLESS.search(line))
    failure, status = benchmark_failure(stderr)
    if failure:
        raise TraceError(failure, status, stderr, argv)
    if returncode != 0:
        message = first_line(stderr, "ERROR") or first_line(stderr) or "%s failed" % name
        raise TraceError(message, returncode, stderr, argv)
    if name == "bpftrace":
        output = parse(text)
    else:
        output = _text_output(text)
    stacks = None
    if analysis == "loop-profile":
        # Named frames and roles, by trace.sh's own fold-stacks.awk and symbols.sh.
        stacks, log = fold_for(bpftrace_text(output) if name == "bpftrace" else text, path)
        output.maps["samples"] = dict(stacks)
        output.values.update(summary_values(log))
    if output.lost_events:
        warnings.warn("%s lost %d events: the analysis is incomplete" % (name, output.lost_events),
                      stacklevel=2)
    document = samples = None
    if not quiet:
        document = parse_document(stdout)
        if document is None:
            raise TraceError("the traced ipc-static printed no JSON document", None, stderr, argv)
        if "error" in document:
            raise TraceError(error_message(document["error"]), None, stderr, argv, document)
        samples = samples_table(document, frame, command)
    return Trace(analysis, argv, command, output, stderr, document, samples, stacks, started)


def benchmark_failure(stderr):
    """(message, exit status) of a benchmark that failed under the tracer,
    from its standard error: its first `ipc-static: ` line that is not a
    warning, and 64 when it printed its usage (it does so only for a usage
    error), else None (the tracer does not pass the status on). ("", None)
    when it did not fail."""
    for line in stderr.splitlines():
        if line.startswith("ipc-static: ") and not line.startswith("ipc-static: warning"):
            usage = re.search(r"^usage: ipc-static", stderr, re.MULTILINE) is not None
            return line.strip(), 64 if usage else None
    return "", None


def tracer_argv(name, program, script, out_path, command):
    """The tracer's command line: the analysis to OUT_PATH, the benchmark
    COMMAND started by the tracer (-c), its output on our stdout."""
    line = " ".join(command)
    if name == "bpftrace":
        return [program, "-f", "json", "-o", out_path, script, "-c", line]
    return [program, "-o", out_path, "-s", script, "-c", line]


def ensure_tracefs():
    """bpftrace's tracepoints need tracefs: mount it when it is not (as
    scripts/trace.sh does)."""
    if any(os.path.exists(p) for p in ("/sys/kernel/tracing/events/syscalls",
                                       "/sys/kernel/debug/tracing/events/syscalls")):
        return
    subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not os.path.exists("/sys/kernel/tracing/events/syscalls"):
        raise TraceError("tracefs is not mounted and could not be mounted on /sys/kernel/tracing "
                         "(or the kernel has no syscall tracepoints)")


class _TextOutput:
    def __init__(self, text):
        self.maps = {}
        self.lines = text.splitlines()
        self.values = values_from_lines(self.lines)
        self.probes = None
        self.lost_events = 0


def _text_output(text):
    return _TextOutput(text)
