"""run() and describe() against the ./ipc-static that make built."""

import os
import time
import unittest

import support
from support import BINARY, needs_binary, needs_pandas
from ipc_static import BinaryNotFoundError, IpcStaticError, Rows, describe, run


@needs_binary
class Run(unittest.TestCase):
    def test_samples_and_configuration(self):
        rows = run("2thread", "pipe", 65536, "1m", bare=True, frame=False)
        self.assertIsInstance(rows, Rows)
        self.assertEqual(len(rows), 1)
        row = rows[0]
        self.assertEqual((row["mode"], row["ipctype"]), ("2thread", "pipe"))
        self.assertEqual((row["buffersize"], row["totalsize"], row["blockcount"]), (65536, 1048576, 16))
        self.assertEqual(row["iteration"], 1)
        self.assertGreater(row["bandwidth"], 0)
        # bandwidth is KBytes/sec of totalsize over time.
        self.assertAlmostEqual(row["bandwidth"], 1048576 / 1024 / row["time"], delta=row["bandwidth"] * 0.01)
        self.assertEqual(rows.attrs["argv"], [BINARY, "-j", "-i", "pipe", "-b", "65536", "-t", "1m", "-B", "2thread"])
        self.assertEqual(rows.attrs["document"]["benchmark_configuration"]["buffersize"], 65536)

    def test_iterations_and_rusage(self):
        rows = run(ipc="local", buffersize=4096, totalsize="256k", iterations=3, bare=True, rusage=True,
                   frame=False)
        self.assertEqual([r["iteration"] for r in rows], [1, 2, 3])
        for r in rows:
            self.assertEqual(r["ipctype"], "local")
            for key in ("utime", "stime", "minflt", "majflt", "nvcsw", "nivcsw"):
                self.assertIn(key, r)
            self.assertIsInstance(r["kernel_buffers_writer"], int)

    def test_nested_objects_are_flattened(self):
        rows = run(buffersize=65536, totalsize="1m", bare=True, counters="sw", frame=False)
        self.assertIn("counters_context_switches", rows[0])
        self.assertEqual(rows[0]["counters"], "sw")

    def test_prefault(self):
        rows = run(buffersize=65536, totalsize="1m", bare=True, prefault=True, frame=False)
        self.assertEqual(rows.attrs["argv"][1:], ["-j", "-i", "pipe", "-b", "65536", "-t", "1m", "-B", "-F", "2thread"])
        self.assertIs(rows[0]["prefault"], True)
        self.assertIs(run(buffersize=65536, totalsize="1m", bare=True, frame=False)[0]["prefault"], False)

    def test_latency(self):
        # -l: 1024 round trips of 64 bytes, the distribution in the sample.
        rows = run("2thread", "pipe", 64, "64k", bare=True, latency=True, frame=False)
        self.assertEqual(rows.attrs["argv"][1:], ["-j", "-i", "pipe", "-b", "64", "-t", "64k", "-B", "-l", "2thread"])
        row = rows[0]
        self.assertIs(row["latency"], True)
        self.assertNotIn("bandwidth", row)
        self.assertEqual(row["latency_round_trips"], 65536 // 64)
        order = [row["latency_%s_ns" % k] for k in ("min", "p50", "p90", "p99", "p999", "max")]
        self.assertEqual(order, sorted(order))
        self.assertGreater(order[0], 0)
        # The histogram holds every round trip; the mean is the stamps' time
        # over the round trips.
        self.assertEqual(sum(count for _, _, count in row["latency_buckets"]), 1024)
        self.assertAlmostEqual(row["latency_mean_ns"], row["time"] * 1e9 / 1024, delta=row["latency_mean_ns"] * 0.01 + 1)

    def test_verbose_puts_the_host_in_attrs(self):
        rows = run(buffersize=65536, totalsize="1m", bare=True, verbose=True, frame=False)
        self.assertEqual(rows.attrs["host"]["page_size"], os.sysconf("SC_PAGE_SIZE"))

    def test_usage_error_carries_the_message_and_exit_64(self):
        with self.assertRaises(IpcStaticError) as cm:
            run(buffersize=3000, bare=True)
        e = cm.exception
        self.assertEqual(e.returncode, 64)
        self.assertEqual(e.message, "ipc-static: total size 16777216 is not a multiple of buffer size 3000")
        self.assertEqual(str(e), e.message + " (exit 64)")
        self.assertIn("usage: ipc-static", e.stderr)

    def test_a_failed_run_carries_its_document_and_error_object(self):
        with self.assertRaises(IpcStaticError) as cm:
            run(buffersize=65536, totalsize="64k", bare=True, affinity=1000)
        e = cm.exception
        self.assertEqual((e.returncode, e.message), (71, "ipc-static: sched_setaffinity CPU 1000: Invalid argument"))
        error = e.document["error"]
        self.assertEqual((error["operation"], error["errno"], error["exit_status"]), ("sched_setaffinity", 22, 71))
        self.assertIsNone(error["iteration"])
        self.assertEqual(e.document["benchmark_samples"], [])
        self.assertEqual(e.document["benchmark_configuration"]["affinity"], {"receiver": 1000, "sender": 1000})

    def test_letters_reach_the_binary(self):
        # A flag the binary does not have: its own refusal comes back.
        with self.assertRaises(IpcStaticError) as cm:
            run(bare=True, Z=True)
        self.assertEqual((cm.exception.message, cm.exception.returncode), ("ipc-static: unknown option -- Z", 64))
        with self.assertRaises(IpcStaticError) as cm:
            run(bare=True, extra_args=["-i", "nosuchipc"], ipc=None)
        self.assertEqual(cm.exception.returncode, 64)
        self.assertIn("nosuchipc", cm.exception.message)

    def test_bad_mode(self):
        with self.assertRaises(IpcStaticError) as cm:
            run("3thread", bare=True)
        self.assertEqual(cm.exception.returncode, 64)
        self.assertIn("3thread", cm.exception.message)

    def test_missing_binary(self):
        with self.assertRaises(BinaryNotFoundError) as cm:
            run(binary="/nonexistent/ipc-static")
        self.assertIn("/nonexistent/ipc-static", cm.exception.message)
        self.assertIn("make", cm.exception.message)
        self.assertIsNone(cm.exception.returncode)

    def test_binary_from_the_environment(self):
        old = os.environ.get("IPC_STATIC")
        os.environ["IPC_STATIC"] = "/nonexistent/from-env"
        try:
            with self.assertRaisesRegex(BinaryNotFoundError, "from-env"):
                run()
        finally:
            if old is None:
                del os.environ["IPC_STATIC"]
            else:
                os.environ["IPC_STATIC"] = old

    def test_timeout_kills_the_run(self):
        # Without -B the benchmark sleeps a second before its loop.
        with self.assertRaisesRegex(IpcStaticError, "no result after 0.3 s: killed") as cm:
            run(buffersize=65536, totalsize="1m", mode="2proc", timeout=0.3)
        argv = cm.exception.argv
        time.sleep(0.1)
        self.assertEqual(_processes_with_argv(argv), [], "the killed run (or its 2proc child) is still there")

    def test_run_refuses_quiet_and_json(self):
        with self.assertRaises(ValueError):
            run(q=True)
        with self.assertRaises(ValueError):
            run(j=True)

    def test_describe(self):
        host = describe()
        self.assertEqual(host["ncpu"], os.cpu_count())
        self.assertEqual(host["page_size"], os.sysconf("SC_PAGE_SIZE"))


@needs_binary
@needs_pandas
class RunFrame(unittest.TestCase):
    def test_dataframe(self):
        import pandas
        df = run(buffersize=65536, totalsize="1m", iterations=2, bare=True)
        self.assertIsInstance(df, pandas.DataFrame)
        self.assertEqual(list(df["iteration"]), [1, 2])
        self.assertEqual(list(df.columns[:3]), ["buffersize", "totalsize", "blockcount"])
        self.assertTrue((df["bandwidth"] > 0).all())
        self.assertEqual(df.attrs["document"]["benchmark_configuration"]["iterations"], 2)

    def test_frame_false_gives_rows_even_with_pandas(self):
        self.assertIsInstance(run(buffersize=65536, totalsize="1m", bare=True, frame=False), Rows)


def _processes_with_argv(argv):
    found = []
    wanted = "\0".join(argv) + "\0"
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid) as f:
                if f.read() == wanted:
                    found.append(int(pid))
        except OSError:
            pass
    return found


if __name__ == "__main__":
    unittest.main()
