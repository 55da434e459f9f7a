"""sweep(), load(), summary(), plot_bandwidth() and plot_latency():
scripts/sweep.sh's results directory as a table."""

import csv
import os
import statistics
import subprocess
import tempfile
import warnings

from . import locate
from .args import option_words
from .errors import IpcStaticError
from .frames import records, table
from .process import capture, require_executable

def sweep(ipc=None, modes=None, sizes=None, totalsize=None, trials=None, *, bare=False,
          prefault=False, latency=False, round_trips=None, affinity=None, outdir=None, retry_failed=False, run_timeout=None, progress=False, extra_args=(),
          binary=None, frame=None, **flags):
    """Run scripts/sweep.sh and return its results (see load()).

    ipc         configurations: "pipe,local,local-s" or a list; pipe, local,
                tcp and their -s forms, and shmem (sweep.sh -i; its default
                when None)
    modes       "2thread" or a list (-m)
    sizes       buffer sizes: "32..16m", "4096,64k" or a list (-b)
    totalsize   bytes per run, e.g. "16m" (-t); trials: runs of each (-n)
    bare        pass -B (no quiescing) to every run
    prefault    pass -F (pre-fault the buffers) to every run (sweep.sh -F)
    latency     round trips instead of bandwidth (sweep.sh -l): sizes are
                message sizes (default 1..64k), each run makes round_trips
                of its size (sweep.sh -r, default 10000; totalsize does not
                apply, sweep.sh refuses it); the columns are round_trips,
                mean_ns, p50_ns, p99_ns, max_ns
    affinity    pin every run: a CPU or "receiver,sender" (sweep.sh -a);
                unpinned (and recorded so) when None
    outdir      the results directory (-o); a new temporary one when None;
                an existing one is resumed, as sweep.sh does
    retry_failed, run_timeout: sweep.sh's --retry-failed and --timeout
    progress    copy sweep.sh's progress lines to stderr as they come
    Other flags for every run go by their letter (g=True adds the rusage
    columns) or in extra_args, after sweep.sh's `--`.

    Raises IpcStaticError with sweep.sh's message and exit status (64 for
    a bad grid or refused flags, 1 when no run succeeded), and
    BinaryNotFoundError when the binary is missing. Runs that failed among
    others are rows with status "failed" and their error; a warning says
    how many.
    """
    script = locate.script("sweep.sh")
    if outdir is None:
        outdir = tempfile.mkdtemp(prefix="ipc-static-sweep-")
    argv = ["bash", script, "-o", os.fspath(outdir)]
    for option, value in (("-i", ipc), ("-m", modes), ("-b", sizes), ("-t", totalsize), ("-n", trials)):
        if value is not None:
            argv += [option, _comma_list(value)]
    if bare:
        argv.append("-B")
    if prefault:
        argv.append("-F")
    if latency:
        argv.append("-l")
    if round_trips is not None:
        argv += ["-r", str(round_trips)]
    if affinity is not None:
        argv += ["-a", _comma_list(affinity)]
    if retry_failed:
        argv.append("--retry-failed")
    if run_timeout is not None:
        argv += ["--timeout", str(run_timeout)]
    extra = option_words({}, flags, extra_args, reserved="")
    if extra:
        argv += ["--", *extra]
    env = dict(os.environ)
    if binary is not None:
        env["IPC_STATIC"] = locate.binary(binary)
    require_executable(env.get("IPC_STATIC") or locate.binary())
    returncode, _, err = capture(argv, env=env, stdout=subprocess.DEVNULL, echo_stderr=progress)
    if returncode != 0:
        raise IpcStaticError(_sweep_message(err, returncode), returncode, err, argv)
    results = load(outdir, frame=frame)
    failed = sum(1 for row in records(results) if row.get("status") == "failed")
    if failed:
        warnings.warn("%d of %d runs failed: see the status and error columns (%s)"
                      % (failed, len(results), os.path.join(os.fspath(outdir), "raw")), stacklevel=2)
    return results


def _comma_list(value):
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _sweep_message(stderr, returncode):
    """sweep.sh's own last message (not a warning), else its last line."""
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    own = [l for l in lines if l.startswith("sweep.sh: ") and "warning:" not in l]
    if own:
        return own[-1]
    return lines[-1] if lines else "sweep.sh failed with exit status %d" % returncode


def load(directory, frame=None):
    """A sweep's results directory (DIR/results.csv) as a table: one row per
    run, the columns as the CSV's header names them (whatever they are;
    numbers as int or float, empty cells as None/NaN). `.attrs` holds
    "dir", "host" (DIR/host.txt as a dict) and "meta" (DIR/sweep.meta)."""
    directory = os.fspath(directory)
    path = os.path.join(directory, "results.csv")
    if not os.path.exists(path):
        raise FileNotFoundError("no results.csv in %s (not a sweep.sh results directory)" % directory)
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        columns = list(reader.fieldnames or [])
        rows = []
        for row in reader:
            if not any(row.values()):
                continue
            rows.append({k: _cell(v) for k, v in row.items() if k is not None})
    attrs = {
        "dir": directory,
        "host": _key_values(os.path.join(directory, "host.txt"), ": "),
        "meta": _key_values(os.path.join(directory, "sweep.meta"), "="),
    }
    return table(rows, columns, attrs, frame)


def _cell(text):
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _key_values(path, separator):
    values = {}
    try:
        with open(path) as f:
            for line in f:
                key, sep, value = line.strip().partition(separator)
                if sep and key:
                    values[key] = _cell(value.strip()) if value.strip() else None
    except FileNotFoundError:
        pass
    return values


def config_name(row):
    """pipe, local-s, ...: the ipc column, with -s when sflag is set."""
    return "%s%s" % (row.get("ipc"), "-s" if row.get("sflag") in (1, True, "1") else "")


def summary(results, frame=None):
    """Per configuration, mode and buffer size, over the successful trials:
    trials, median, min and max bandwidth (KBytes/sec), in the order the
    configurations first appear, by buffer size. For a latency sweep (rows
    with mean_ns, sweep.sh -l): trials, the medians of the trials' mean,
    p50 and p99 round trip (ns), and the largest max_ns."""
    groups = {}
    latency = False
    for row in records(results):
        if row.get("status", "ok") != "ok":
            continue
        if row.get("mean_ns") is not None:
            latency = True
        elif row.get("bandwidth_kbps") is None:
            continue
        key = (config_name(row), row.get("mode"), row.get("buffersize"))
        groups.setdefault(key, []).append(row)
    order = {}
    for config, mode, _ in groups:
        order.setdefault((config, mode), len(order))
    rows = []
    for (config, mode, size) in sorted(groups, key=lambda k: (order[k[:2]], k[2])):
        trials = groups[(config, mode, size)]
        row = {"config": config, "mode": mode, "buffersize": size, "trials": len(trials)}
        if latency:
            for column in ("mean_ns", "p50_ns", "p99_ns"):
                row["median_" + column] = statistics.median(t[column] for t in trials if t.get(column) is not None)
            row["max_ns"] = max(t["max_ns"] for t in trials if t.get("max_ns") is not None)
        else:
            values = [t["bandwidth_kbps"] for t in trials]
            row.update(median_kbps=statistics.median(values), min_kbps=min(values), max_kbps=max(values))
        rows.append(row)
    return table(rows, frame=frame)


def plot_bandwidth(results, ax=None, logy=True, title=None):
    """Bandwidth against buffer size (matplotlib): the median of the trials
    in MiB/s, min-max bars, a log2 buffer-size axis, one line per
    configuration and mode. Returns the Axes."""
    ax, lines = _axes_and_lines(results, ax)
    if any("median_kbps" not in row for rows in lines.values() for row in rows):
        raise ValueError("a latency sweep (mean_ns, no bandwidth): use plot_latency()")
    for (config, mode), rows in lines.items():
        x = [r["buffersize"] for r in rows]
        mid = [r["median_kbps"] / 1024 for r in rows]
        below = [(r["median_kbps"] - r["min_kbps"]) / 1024 for r in rows]
        above = [(r["max_kbps"] - r["median_kbps"]) / 1024 for r in rows]
        ax.errorbar(x, mid, yerr=[below, above], marker="o", markersize=3, capsize=2, label=_label(lines, config, mode))
    return _finish_axes(ax, "buffer size", "bandwidth (MiB/s)", logy, title)



def plot_latency(results, ax=None, title=None):
    """Round-trip time against message size (matplotlib), from a latency
    sweep (sweep.sh -l): per configuration and mode, the median of the
    trials' p50 as a line and their median p99 as a dashed line of the same
    colour, in microseconds, both axes log scale. Returns the Axes."""
    ax, lines = _axes_and_lines(results, ax)
    if any("median_p50_ns" not in row for rows in lines.values() for row in rows):
        raise ValueError("not a latency sweep (no mean_ns column): use plot_bandwidth()")
    for (config, mode), rows in lines.items():
        x = [r["buffersize"] for r in rows]
        label = _label(lines, config, mode)
        (line,) = ax.plot(x, [r["median_p50_ns"] / 1000 for r in rows], marker="o", markersize=3,
                          label=label + " p50")
        ax.plot(x, [r["median_p99_ns"] / 1000 for r in rows], linestyle="--", color=line.get_color(),
                label=label + " p99")
    return _finish_axes(ax, "message size", "round trip (µs)", True, title)


def _axes_and_lines(results, ax):
    """The Axes to draw on (a new figure when None), and summary()'s rows
    by (configuration, mode)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    lines = {}
    for row in records(summary(results, frame=False)):
        lines.setdefault((row["config"], row["mode"]), []).append(row)
    return ax, lines


def _label(lines, config, mode):
    """A line's label: the configuration, and the mode when there are several."""
    return config if len({m for _, m in lines}) == 1 else "%s %s" % (config, mode)


def _finish_axes(ax, size_name, ylabel, logy, title):
    """A log2 size axis, the labels, the grid and the legend."""
    ax.set_xscale("log", base=2)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("%s (bytes, log2 scale)" % size_name)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    return ax
