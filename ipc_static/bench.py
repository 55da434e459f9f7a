"""run(), describe() and build(): the benchmark binary itself."""

import json
import os
import shutil

from . import locate
from .args import benchmark_argv
from .errors import IpcStaticError
from .frames import table
from .process import capture, first_line, require_executable

# run() reads JSON: -j is its own, and -q or -h would leave nothing to read.
RUN_RESERVED = "jqh"


def run(mode="2thread", ipc="pipe", buffersize=None, totalsize=None, iterations=None, *,
        sflag=False, bare=False, prefault=False, rusage=False, latency=False, verbose=False, counters=None,
        affinity=None, tcp_port=None, extra_args=(), binary=None, timeout=None, frame=None, **flags):
    """Run ipc-static once with -j and return its samples, one row per iteration.

    Each row holds the configuration (buffersize, totalsize, blockcount,
    mode, ipctype, ... as in the JSON document's benchmark_configuration;
    nested objects flattened: kernel_buffers_writer) followed by the
    sample (iteration, bandwidth in KBytes/sec, time in seconds,
    bytes_per_sec, and utime ... nivcsw with rusage=True, counters_* with
    counters=...). A DataFrame when pandas is installed (frame=None; True
    requires it, False gives a list of dicts); `.attrs["document"]` is the
    whole JSON document and `.attrs["argv"]` the command line.

    With latency=True (-l) each row is one run of round trips instead:
    time is the run's, and latency_round_trips, latency_mean_ns,
    latency_min_ns, latency_p50_ns ... latency_max_ns its distribution
    (latency_buckets the histogram's non-empty buckets, [low, high, count]
    in ns); there is no bandwidth.

    Flags: sflag (-s), bare (-B), prefault (-F: touch every page of both
    buffers before the start stamp), rusage (-g), latency (-l: round trips
    of buffersize bytes, totalsize / buffersize of them), verbose (-v, adds the host
    description to the document), counters (-P set), affinity (-a, a CPU or
    a pair), tcp_port (-p); any other flag by its letter (X=True for -X,
    X=value for -X value); extra_args (a list, or a string split as a shell
    would) goes just before the mode.

    Raises IpcStaticError with the binary's error line (.message), exit
    status (.returncode) and stderr; BinaryNotFoundError when the binary is
    missing (run make); IpcStaticError when TIMEOUT seconds pass first.
    """
    named = dict(ipc=ipc, buffersize=buffersize, totalsize=totalsize, iterations=iterations,
                 sflag=sflag, bare=bare, prefault=prefault, rusage=rusage, latency=latency, verbose=verbose,
                 counters=counters, affinity=affinity, tcp_port=tcp_port)
    path = locate.binary(binary)
    argv = benchmark_argv(path, mode, named, flags, extra_args, lead=["-j"], reserved=RUN_RESERVED)
    document = run_json(argv, timeout)
    return samples_table(document, frame, argv)


def describe(binary=None, timeout=None):
    """The host description (`ipc-static -j describe`) as a dict."""
    path = locate.binary(binary)
    return run_json([path, "-j", "describe"], timeout)


def run_json(argv, timeout=None):
    """Run ARGV (an ipc-static with -j) and return its JSON document."""
    require_executable(argv[0])
    returncode, out, err = capture(argv, timeout)
    document = parse_document(out)
    if returncode != 0:
        message = first_line(err) or "ipc-static failed with no message"
        raise IpcStaticError(message, returncode, err, argv, document)
    if document is None:
        raise IpcStaticError("ipc-static printed no JSON document (stdout: %r)" % out[:200],
                             returncode, err, argv)
    if "error" in document:
        raise IpcStaticError(error_message(document["error"]), returncode, err, argv, document)
    return document


def error_message(error):
    """The one-line message of a document's "error" object (the line the
    binary also printed on stderr, without its "ipc-static: ")."""
    if isinstance(error, dict):
        return "ipc-static: %s" % error.get("message", "")
    return str(error)


def parse_document(text):
    """TEXT as a JSON object, or None when it is not one."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def flatten(obj, prefix=""):
    """A JSON object as one level: {"kernel_buffers": {"writer": 1}} is
    {"kernel_buffers_writer": 1}."""
    flat = {}
    for key, value in obj.items():
        name = prefix + key
        if isinstance(value, dict):
            flat.update(flatten(value, name + "_"))
        else:
            flat[name] = value
    return flat


def sample_rows(document):
    """One flat dict per sample: the configuration, then the sample."""
    config = flatten(document.get("benchmark_configuration") or {})
    return [dict(config, **flatten(sample)) for sample in document.get("benchmark_samples") or []]


def samples_table(document, frame=None, argv=()):
    attrs = {"document": document, "argv": list(argv)}
    if "host" in document:
        attrs["host"] = document["host"]
    return table(sample_rows(document), attrs=attrs, frame=frame)


def build(quiet=True, timeout=None):
    """Build the binary: `make -C <checkout>` (gmake where make is not GNU
    make, as on FreeBSD). Returns the binary's path; raises IpcStaticError
    with the end of make's output when the build fails."""
    make = "make" if locate.is_linux() else (shutil.which("gmake") or "make")
    argv = [make, "-C", locate.checkout()]
    returncode, out, err = capture(argv, timeout)
    if returncode != 0:
        tail = "\n".join((out + err).strip().splitlines()[-15:])
        raise IpcStaticError("make failed:\n" + tail, returncode, err, argv)
    if not quiet:
        print(out, end="")
    return os.path.join(locate.checkout(), "ipc-static")
