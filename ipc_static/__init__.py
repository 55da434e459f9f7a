"""ipc_static: run, sweep and trace the ipc-static benchmark from Python.

    from ipc_static import run, sweep, trace          # notebooks/ in the checkout
    from ipc.ipc_static import run, sweep, trace      # the lab's layout: the checkout as ipc/

run()    one run with -j: its samples (a pandas DataFrame when pandas is
         installed, else a list of dicts)
sweep()  scripts/sweep.sh over a grid; load() reads a results directory;
         summary() and plot_bandwidth() condense and draw it (with
         latency=True, round trips: plot_latency())
trace()  one bpftrace analysis of scripts/bpftrace against one run (root):
         its maps as dicts, histograms as lists of (low, high, count);
         loop-profile's samples folded, as (frames, count) with the role
         at the root and the user frames named
describe() the host description; build() runs make; analyses() lists the
         analyses trace() can run

The core uses the standard library only; pandas and matplotlib are used
when they are installed. Errors raise IpcStaticError (its .message is the
program's own error line, .returncode its exit status).
"""

from .bench import build, describe, run
from .bpftrace_json import Bucket
from .errors import BinaryNotFoundError, IpcStaticError, TraceError
from .frames import Rows
from .results import load, plot_bandwidth, plot_latency, summary, sweep
from .tracing import Trace, analyses, trace

__all__ = [
    "run", "sweep", "load", "summary", "plot_bandwidth", "plot_latency", "trace", "analyses", "describe",
    "build", "Trace", "Bucket", "Rows", "IpcStaticError", "BinaryNotFoundError", "TraceError",
]
