"""sweep(), load(), summary(), plot_bandwidth() and plot_latency()."""

import csv
import os
import shutil
import tempfile
import unittest
import warnings

import support
from support import needs_binary, needs_pandas
from ipc_static import IpcStaticError, load, summary, sweep


class Load(unittest.TestCase):
    """A results directory written by hand, with columns sweep.sh may gain."""

    CSV = (
        "ipc,sflag,mode,buffersize,totalsize,trial,bandwidth_kbps,time_s,affinity,loadavg_1m,"
        "latency_p99_ns,status,error\n"
        "pipe,0,2thread,4096,1048576,1,1000.5,0.001,\"0,1\",0.25,5200,ok,\n"
        "pipe,0,2thread,4096,1048576,2,3000.5,0.002,\"0,1\",0.30,,ok,\n"
        "pipe,0,2thread,4096,1048576,3,2000.5,0.003,\"0,1\",0.30,,ok,\n"
        "local,1,2thread,4096,1048576,1,,,,,,failed,\"exit 74: ipc-static: read: boom, \"\"quoted\"\"\"\n"
        "local,1,2thread,65536,1048576,1,500,0.01,,,,ok,\n"
    )

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ipc-static-test-")
        with open(os.path.join(self.dir, "results.csv"), "w") as f:
            f.write(self.CSV)
        with open(os.path.join(self.dir, "host.txt"), "w") as f:
            f.write("Host description:\n  os_name: Linux\n  ncpu: 2\n  tcp_rmem: 4096 131072 33554432\n")
        with open(os.path.join(self.dir, "sweep.meta"), "w") as f:
            f.write("bare=1\nextra=-g \n")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_rows_by_header_name_with_unknown_columns(self):
        rows = load(self.dir, frame=False)
        self.assertEqual(len(rows), 5)
        first = rows[0]
        self.assertEqual(list(first), ["ipc", "sflag", "mode", "buffersize", "totalsize", "trial",
                                       "bandwidth_kbps", "time_s", "affinity", "loadavg_1m",
                                       "latency_p99_ns", "status", "error"])
        self.assertEqual((first["ipc"], first["sflag"], first["buffersize"]), ("pipe", 0, 4096))
        self.assertEqual((first["bandwidth_kbps"], first["affinity"], first["loadavg_1m"]), (1000.5, "0,1", 0.25))
        self.assertEqual(first["latency_p99_ns"], 5200)
        self.assertIsNone(first["error"])
        self.assertIsNone(rows[1]["latency_p99_ns"])
        failed = rows[3]
        self.assertEqual(failed["status"], "failed")
        self.assertIsNone(failed["bandwidth_kbps"])
        self.assertEqual(failed["error"], 'exit 74: ipc-static: read: boom, "quoted"')

    def test_attrs(self):
        rows = load(self.dir, frame=False)
        self.assertEqual(rows.attrs["dir"], self.dir)
        self.assertEqual(rows.attrs["host"], {"os_name": "Linux", "ncpu": 2, "tcp_rmem": "4096 131072 33554432"})
        self.assertEqual(rows.attrs["meta"], {"bare": 1, "extra": "-g"})

    def test_summary_skips_failed_runs(self):
        s = summary(load(self.dir, frame=False), frame=False)
        self.assertEqual([(r["config"], r["buffersize"], r["trials"]) for r in s],
                         [("pipe", 4096, 3), ("local-s", 65536, 1)])
        self.assertEqual((s[0]["median_kbps"], s[0]["min_kbps"], s[0]["max_kbps"]), (2000.5, 1000.5, 3000.5))

    def test_missing_directory(self):
        with self.assertRaisesRegex(FileNotFoundError, "no results.csv"):
            load(os.path.join(self.dir, "nothing"))

    @needs_pandas
    def test_dataframe_keeps_every_column(self):
        import pandas
        df = load(self.dir)
        self.assertIsInstance(df, pandas.DataFrame)
        self.assertIn("latency_p99_ns", df.columns)
        self.assertEqual(list(df["trial"]), [1, 2, 3, 1, 1])
        self.assertTrue(pandas.isna(df["bandwidth_kbps"][3]))
        self.assertEqual(df.attrs["host"]["ncpu"], 2)
        # summary() takes a DataFrame as well, and gives one.
        s = summary(df)
        self.assertEqual(list(s["median_kbps"]), [2000.5, 500.0])

    @support.needs_matplotlib
    def test_plot(self):
        import matplotlib
        matplotlib.use("Agg")
        ax = support_plot(load(self.dir))
        lines = ax.get_lines()
        self.assertTrue(lines)
        self.assertEqual(ax.get_xscale(), "log")
        self.assertEqual([t.get_text() for t in ax.get_legend().get_texts()], ["pipe", "local-s"])


class LoadLatency(unittest.TestCase):
    """A latency results directory (sweep.sh -l's columns) written by hand."""

    CSV = (
        "ipc,sflag,mode,buffersize,totalsize,trial,round_trips,mean_ns,p50_ns,p99_ns,max_ns,time_s,status,error\n"
        "pipe,0,2thread,1,10000,1,10000,9000,8000,20000,90000,0.09,ok,\n"
        "pipe,0,2thread,1,10000,2,10000,7000,6000,30000,50000,0.07,ok,\n"
        "pipe,0,2thread,1,10000,3,10000,8000,7000,10000,70000,0.08,ok,\n"
        "pipe,0,2thread,64,640000,1,,,,,,,failed,\"exit 74: ipc-static: read: boom\"\n"
        "local,0,2thread,64,640000,1,10000,12000,11000,40000,100000,0.12,ok,\n"
    )

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ipc-static-test-")
        with open(os.path.join(self.dir, "results.csv"), "w") as f:
            f.write(self.CSV)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_summary_gives_the_medians_of_the_trials(self):
        s = summary(load(self.dir, frame=False), frame=False)
        self.assertEqual([dict(r) for r in s], [
            {"config": "pipe", "mode": "2thread", "buffersize": 1, "trials": 3, "median_mean_ns": 8000,
             "median_p50_ns": 7000, "median_p99_ns": 20000, "max_ns": 90000},
            {"config": "local", "mode": "2thread", "buffersize": 64, "trials": 1, "median_mean_ns": 12000,
             "median_p50_ns": 11000, "median_p99_ns": 40000, "max_ns": 100000},
        ])

    @support.needs_matplotlib
    def test_plot_latency_draws_p50_and_p99_per_configuration(self):
        import matplotlib
        matplotlib.use("Agg")
        from ipc_static import plot_latency
        ax = plot_latency(load(self.dir, frame=False), title="t")
        self.assertEqual([l.get_label() for l in ax.get_lines()], ["pipe p50", "pipe p99", "local p50", "local p99"])
        self.assertEqual(list(ax.get_lines()[1].get_ydata()), [20.0])
        from ipc_static import plot_bandwidth
        with self.assertRaisesRegex(ValueError, "use plot_latency"):
            plot_bandwidth(load(self.dir, frame=False))
        with self.assertRaisesRegex(ValueError, "not a latency sweep"):
            plot_latency([{"ipc": "pipe", "sflag": 0, "mode": "2thread", "buffersize": 1, "bandwidth_kbps": 5.0,
                           "status": "ok"}])


def support_plot(results):
    from ipc_static import plot_bandwidth
    return plot_bandwidth(results, title="test")


@needs_binary
class Sweep(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ipc-static-test-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_a_small_grid(self):
        out = os.path.join(self.dir, "s")
        rows = sweep(["pipe", "local-s"], "2thread", [4096, "64k"], "256k", 2, bare=True, outdir=out,
                     frame=False, g=True)
        self.assertEqual(len(rows), 2 * 2 * 2)
        self.assertEqual({(r["ipc"], r["sflag"]) for r in rows}, {("pipe", 0), ("local", 1)})
        self.assertEqual({r["buffersize"] for r in rows}, {4096, 65536})
        self.assertEqual({r["status"] for r in rows}, {"ok"})
        self.assertTrue(all(r["bandwidth_kbps"] > 0 for r in rows))
        self.assertTrue(all(isinstance(r["nvcsw"], int) for r in rows))  # -g's columns
        self.assertEqual(rows.attrs["dir"], out)
        self.assertEqual(rows.attrs["meta"]["bare"], 1)
        self.assertIn("ncpu", rows.attrs["host"])
        self.assertEqual(len(os.listdir(os.path.join(out, "raw"))), 8)
        s = summary(rows, frame=False)
        self.assertEqual([(r["config"], r["buffersize"], r["trials"]) for r in s],
                         [("pipe", 4096, 2), ("pipe", 65536, 2), ("local-s", 4096, 2), ("local-s", 65536, 2)])
        # The same directory again resumes: nothing more to run, the same rows.
        again = sweep(["pipe", "local-s"], "2thread", [4096, "64k"], "256k", 2, bare=True, outdir=out,
                      frame=False, g=True)
        self.assertEqual(len(again), 8)

    def test_a_latency_grid(self):
        out = os.path.join(self.dir, "l")
        rows = sweep("pipe", "2thread", [1, 4096], trials=2, bare=True, latency=True, round_trips=500,
                     outdir=out, frame=False)
        self.assertEqual(len(rows), 2 * 2)
        self.assertEqual({r["status"] for r in rows}, {"ok"})
        self.assertEqual({r["round_trips"] for r in rows}, {500})
        for r in rows:
            self.assertTrue(0 < r["p50_ns"] <= r["p99_ns"] <= r["max_ns"], r)
        s = summary(rows, frame=False)
        self.assertEqual([(r["buffersize"], r["trials"]) for r in s], [(1, 2), (4096, 2)])
        with self.assertRaises(IpcStaticError) as cm:
            sweep("pipe", sizes="64", totalsize="64k", latency=True, outdir=os.path.join(self.dir, "t"))
        self.assertEqual(cm.exception.returncode, 64)
        self.assertIn("-t does not apply", cm.exception.message)

    def test_default_directory_is_a_new_temporary_one(self):
        rows = sweep("pipe", sizes="64k", totalsize="256k", trials=1, bare=True, frame=False)
        try:
            self.assertEqual(len(rows), 1)
            self.assertTrue(os.path.basename(rows.attrs["dir"]).startswith("ipc-static-sweep-"))
        finally:
            shutil.rmtree(rows.attrs["dir"])

    def test_usage_errors_carry_sweep_sh_message(self):
        with self.assertRaises(IpcStaticError) as cm:
            sweep("pipe,bogus", sizes="4096", totalsize="256k", outdir=self.dir)
        e = cm.exception
        self.assertEqual(e.returncode, 64)
        self.assertEqual(e.message, "sweep.sh: unknown config 'bogus' (pipe, local, tcp, shmem, local-s, tcp-s, pipe-s) (try -h)")
        with self.assertRaises(IpcStaticError) as cm:
            sweep("pipe", sizes="3000", totalsize="256k", outdir=self.dir)
        self.assertIn("does not divide", cm.exception.message)

    def test_flags_the_binary_refuses(self):
        with self.assertRaises(IpcStaticError) as cm:
            sweep("pipe", sizes="4096", totalsize="256k", outdir=self.dir, Z=True)
        self.assertEqual(cm.exception.returncode, 64)
        self.assertIn("unknown option -- Z", cm.exception.message)
        with self.assertRaises(IpcStaticError) as cm:
            sweep("pipe", sizes="4096", totalsize="256k", outdir=self.dir, b=4096)
        self.assertIn("set by sweep.sh itself", cm.exception.message)

    def test_a_cpu_the_sweep_may_not_use_is_refused(self):
        # -a 99: no such CPU here; every run would fail at setup, so none runs.
        with self.assertRaises(IpcStaticError) as cm:
            sweep("pipe", sizes="4096", totalsize="256k", trials=1, outdir=self.dir, bare=True, affinity=99)
        self.assertEqual(cm.exception.returncode, 64)
        self.assertIn("CPU 99 is not one this sweep may run on", cm.exception.message)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "results.csv")))

    def test_failed_runs_are_rows_and_a_warning(self):
        # A binary that passes sweep.sh's 4 KiB check run, then fails every
        # run at setup: nothing succeeded, exit 1.
        failing = os.path.join(self.dir, "failing-ipc-static")
        with open(failing, "w") as f:
            f.write('#!/bin/sh\ncase " $* " in *" -t 4096 "*) exec %s "$@" ;; esac\n'
                    'echo "ipc-static: socket: no" >&2\nexit 71\n' % support.BINARY)
        os.chmod(failing, 0o755)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with self.assertRaises(IpcStaticError) as cm:
                sweep("pipe", sizes="4096", totalsize="256k", trials=1, outdir=os.path.join(self.dir, "all-failed"),
                      bare=True, binary=failing)
        self.assertEqual(cm.exception.returncode, 1)
        # Some fail, some succeed: rows, and a warning.
        out = os.path.join(self.dir, "mixed")
        rows_ok = sweep("pipe", sizes="4096", totalsize="256k", trials=1, outdir=out, bare=True, frame=False)
        self.assertEqual(len(rows_ok), 1)
        # A failed row in the CSV's own columns, whatever sweep.sh writes.
        path = os.path.join(out, "results.csv")
        with open(path, newline="") as f:
            header = next(csv.reader(f))
        failed = {"ipc": "pipe", "sflag": "0", "mode": "2thread", "buffersize": "65536", "totalsize": "262144",
                  "trial": "1", "status": "failed", "error": "exit 71: ipc-static: x: y"}
        self.assertTrue(set(failed) <= set(header), header)
        with open(path, "a", newline="") as f:
            csv.DictWriter(f, header).writerow(failed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rows = sweep("pipe", sizes="4096", totalsize="256k", trials=1, outdir=out, bare=True, frame=False)
        self.assertEqual([r["status"] for r in rows], ["ok", "failed"])
        self.assertTrue(any("1 of 2 runs failed" in str(w.message) for w in caught))


if __name__ == "__main__":
    unittest.main()
