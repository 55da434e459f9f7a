"""trace(): its checks, and live analyses when root and bpftrace are here."""

import glob
import os
import re
import tempfile
import unittest
from unittest import mock

import support
from support import TOP, needs_binary, needs_pandas, needs_tracing
from ipc_static import BinaryNotFoundError, Bucket, Trace, TraceError, analyses, trace
from ipc_static.bpftrace_json import parse
from ipc_static.profile import bpftrace_text, fold, folded_text, summary_values
from ipc_static.tracing import benchmark_failure, tracer_argv

LINUX = support.sys.platform.startswith("linux")


class Checks(unittest.TestCase):
    def test_analyses_are_the_scripts(self):
        if LINUX:
            scripts = glob.glob(os.path.join(TOP, "scripts", "bpftrace", "*.bt"))
            names = sorted(os.path.basename(p)[:-3] for p in scripts)
        else:
            scripts = glob.glob(os.path.join(TOP, "scripts", "dtrace", "*.d"))
            names = sorted(os.path.basename(p)[:-2] for p in scripts)
        self.assertEqual(analyses(), names)
        for name in ("loop-returns", "loop-syscalls", "loop-latency", "loop-sched", "loop-wakeups",
                     "loop-faults", "whole-program"):
            self.assertIn(name, analyses())

    def test_unknown_analysis_lists_the_known_ones(self):
        with self.assertRaises(TraceError) as cm:
            trace("loop-nothing")
        self.assertIn("unknown analysis 'loop-nothing'", cm.exception.message)
        self.assertIn("loop-returns", cm.exception.message)

    def test_not_root(self):
        with tempfile.TemporaryDirectory() as bin_dir:
            fake = os.path.join(bin_dir, "bpftrace" if LINUX else "dtrace")
            with open(fake, "w") as f:
                f.write("#!/bin/sh\nexit 99\n")
            os.chmod(fake, 0o755)
            with mock.patch.dict(os.environ, {"PATH": bin_dir}), mock.patch("os.geteuid", return_value=1000):
                with self.assertRaises(TraceError) as cm:
                    trace("loop-returns")
        self.assertIn("needs root", cm.exception.message)
        self.assertIsNone(cm.exception.returncode)

    def test_no_tracer(self):
        with tempfile.TemporaryDirectory() as empty:
            with mock.patch.dict(os.environ, {"PATH": empty}):
                with self.assertRaisesRegex(TraceError, "not found in PATH"):
                    trace("loop-returns")

    def test_tracer_command_lines(self):
        cmd = ["/x/ipc-static", "-q", "-B", "2thread"]
        self.assertEqual(tracer_argv("bpftrace", "/usr/bin/bpftrace", "/s/a.bt", "/tmp/o", cmd),
                         ["/usr/bin/bpftrace", "-f", "json", "-o", "/tmp/o", "/s/a.bt", "-c",
                          "/x/ipc-static -q -B 2thread"])
        self.assertEqual(tracer_argv("dtrace", "/usr/sbin/dtrace", "/s/a.d", "/tmp/o", cmd),
                         ["/usr/sbin/dtrace", "-o", "/tmp/o", "-s", "/s/a.d", "-c",
                          "/x/ipc-static -q -B 2thread"])

    def test_benchmark_failure_from_stderr(self):
        warning = "ipc-static: warning: some -P counters are not supported here (...)\n"
        self.assertEqual(benchmark_failure(""), ("", None))
        self.assertEqual(benchmark_failure(warning), ("", None))
        self.assertEqual(benchmark_failure(warning + "ipc-static: read: connection closed\n"),
                         ("ipc-static: read: connection closed", None))
        self.assertEqual(benchmark_failure("ipc-static: unknown option -- Z\nusage: ipc-static [-Bghjqsv]\n"),
                         ("ipc-static: unknown option -- Z", 64))
        # bpftrace's own lines are not the benchmark's.
        self.assertEqual(benchmark_failure("ERROR: something\n"), ("", None))

    def test_reserved_flags(self):
        with self.assertRaises(ValueError):
            trace("loop-returns", q=True)
        with self.assertRaises(ValueError):
            trace("loop-returns", j=True)


SEND_PATH = ("ipc_static::sys::thread::imp::entry", "ipc_static::sys::thread::run_packet",
             "ipc_static::run::two_threads::send", "ipc_static::run::transfer::send")
RECEIVE_PATH = ("libc_start_main_stage2", "main", "ipc_static::program", "ipc_static::run::transfer::receive")
# The same paths in today's build (the live test below), where each side's
# one call into run/pingpong.rs and the mode's run (receiver) have frames of
# their own, and main has ipc_static::program inlined.
LIVE_SEND_PATH = ("ipc_static::sys::thread::imp::entry", "ipc_static::sys::thread::run_packet",
                  "ipc_static::run::two_threads::send", "ipc_static::run::pingpong::side",
                  "ipc_static::run::transfer::send")
LIVE_RECEIVE_PATH = ("libc_start_main_stage2", "main", "ipc_static::run::run_once", "ipc_static::run::two_threads::run",
                     "ipc_static::run::pingpong::side", "ipc_static::run::transfer::receive")


class ProfileFixture(unittest.TestCase):
    """loop-profile's bpftrace JSON (a 1 GiB pipe 2thread run, captured with
    the build's symbols) folded as trace() folds it: roles at the root,
    user frames named, every sample kept."""

    def setUp(self):
        self.output = parse(support.fixture("loop-profile-pipe-2thread.json"))
        symbols = os.path.join(support.FIXTURES, "loop-profile-pipe-2thread.sym")
        self.stacks, self.log = fold(bpftrace_text(self.output), symbols, "ipc-static")

    def test_roles_at_the_root_and_named_frames(self):
        roles = {frames[0] for frames, _ in self.stacks}
        self.assertEqual(roles, {"sender", "receiver"})
        for frames, count in self.stacks:
            self.assertFalse([f for f in frames if f.startswith("0x")], frames)
            if frames[0] == "sender":
                self.assertEqual(frames[1:5], SEND_PATH)
                self.assertNotIn("anon_pipe_read", frames)
            else:
                self.assertEqual(frames[1:5], RECEIVE_PATH)
                self.assertNotIn("anon_pipe_write", frames)
        # A sample in user space has no kernel frames (one of each side here).
        self.assertIn((("sender",) + SEND_PATH, 1), self.stacks)
        self.assertIn((("receiver",) + RECEIVE_PATH, 1), self.stacks)
        # The two heaviest stacks of this capture, frame by frame.
        heaviest = sorted(self.stacks, key=lambda s: -s[1])[:2]
        tail = ("entry_SYSCALL_64_after_hwframe", "do_syscall_64")
        self.assertEqual(heaviest, [
            (("sender",) + SEND_PATH + tail + ("ksys_write", "vfs_write", "anon_pipe_write",
                                               "_raw_spin_unlock_irqrestore"), 67),
            (("receiver",) + RECEIVE_PATH + tail + ("ksys_read", "vfs_read", "anon_pipe_read",
                                                    "_raw_spin_unlock_irqrestore"), 65),
        ])

    def test_every_sample_kept_and_summarised(self):
        raw = next(e["data"]["@samples"] for e in self.output.events
                   if e["type"] == "map" and "@samples" in e["data"])
        total = sum(count for _, count in self.stacks)
        self.assertEqual(total, sum(raw.values()))
        self.assertEqual(total, 406)
        self.assertLessEqual(len(self.stacks), len(raw))  # offsets dropped: stacks merge
        self.assertEqual(len(set(frames for frames, _ in self.stacks)), len(self.stacks))
        values = summary_values(self.log)
        self.assertEqual(values["samples in the loop"],
                         "406 (sender 205, receiver 201, sender+receiver 0, other 0)")
        self.assertEqual(values["distinct stacks"], len(self.stacks))
        self.assertEqual(values["samples outside the loop"], 1)
        self.assertTrue(values["user frames named"].startswith("424 of 424 "), values)
        # The folded file's order (LC_ALL=C sort) and format.
        lines = folded_text(self.stacks).splitlines()
        self.assertEqual(lines, sorted(lines, key=lambda l: l.encode()))
        self.assertTrue(all(re.match(r"^(sender|receiver);[^ ]+ [0-9]+$", l) for l in lines), lines[:3])

    def test_without_symbols_frames_stay_addresses(self):
        stacks, log = fold(bpftrace_text(self.output), "")
        self.assertEqual(sum(c for _, c in stacks), 406)
        self.assertTrue(all(f[1].startswith("0x") for f, _ in stacks))
        self.assertTrue(summary_values(log)["user frames named"].startswith("0 of 424 "))


@needs_tracing
class Live(unittest.TestCase):
    def test_loop_returns(self):
        t = trace("loop-returns", ipc="pipe", buffersize=65536, totalsize="1m")
        self.assertIsInstance(t, Trace)
        self.assertEqual(t.command[1:], ["-q", "-i", "pipe", "-b", "65536", "-t", "1m", "-B", "2thread"])
        v = t.values
        self.assertEqual((v["brackets opened"], v["brackets closed"]), (1, 1))
        self.assertEqual((v["write calls"], v["write bytes"], v["read bytes"]), (16, 1048576, 1048576))
        self.assertEqual(t["write_returns"], [Bucket(65536, 131072, 16)])
        self.assertEqual(sum(b.count for b in t["@read_returns"]), v["read calls"])
        calls = t["calls_by_thread"]
        self.assertEqual(sorted(k[1] for k in calls), ["read", "write"])
        writer = next(k for k in calls if k[1] == "write")
        self.assertEqual(calls[writer], 16)
        self.assertIsNone(t.samples)
        self.assertNotIn("RLIMIT_MEMLOCK", t.stderr)

    def test_traced_run_measures_itself(self):
        t = trace("loop-syscalls", ipc="local", buffersize=65536, totalsize="1m", quiet=False, rusage=True,
                  frame=False)
        self.assertEqual(t.command[1], "-j")
        self.assertEqual(len(t.samples), 1)
        row = t.samples[0]
        self.assertGreater(row["bandwidth"], 0)
        self.assertIn("nvcsw", row)
        self.assertEqual(t.document["benchmark_configuration"]["ipctype"], "local")
        loop = t["loop_syscalls"]
        self.assertEqual((loop["read"] >= 16, loop["write"]), (True, 16))

    def test_loop_profile_folds_as_trace_sh_does(self):
        t = trace("loop-profile", ipc="pipe", buffersize=65536, totalsize="1g")
        self.assertEqual(t.values["brackets opened"], 1)
        total = sum(count for _, count in t.stacks)
        self.assertGreater(total, 0)
        self.assertEqual(t["samples"], dict(t.stacks))
        self.assertEqual(t.values["samples in the loop"].split()[0], str(total))
        self.assertEqual(t.values["distinct stacks"], len(t.stacks))
        by_role = {}
        for frames, count in t.stacks:
            by_role[frames[0]] = by_role.get(frames[0], 0) + count
            self.assertFalse([f for f in frames if f.startswith("0x")], frames)
        self.assertEqual(set(by_role), {"sender", "receiver"})
        sender = [f for f, _ in t.stacks if f[0] == "sender"]
        receiver = [f for f, _ in t.stacks if f[0] == "receiver"]
        self.assertTrue(all(f[1:1 + len(LIVE_SEND_PATH)] == LIVE_SEND_PATH for f in sender), sender[:2])
        self.assertTrue(all(f[1:1 + len(LIVE_RECEIVE_PATH)] == LIVE_RECEIVE_PATH for f in receiver), receiver[:2])
        self.assertTrue(any("anon_pipe_write" in f for f in sender))
        self.assertTrue(any("anon_pipe_read" in f for f in receiver))
        # write_folded(): trace.sh -o's folded file and its .meta.
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "pipe.folded")
            t.write_folded(path)
            with open(path) as f:
                self.assertEqual(f.read(), t.folded)
            with open(path + ".meta") as f:
                meta = f.read()
            self.assertIn("command=%s\n" % " ".join(t.command), meta)
        with self.assertRaises(TraceError):
            trace("loop-faults", buffersize=65536, totalsize="256k").write_folded(path)

    def test_latency_round_trips(self):
        # -l: 256 round trips of 4 KiB, one write and one read per side per trip.
        t = trace("loop-returns", ipc="pipe", buffersize=4096, totalsize="1m", latency=True)
        self.assertEqual(t.command[1:], ["-q", "-i", "pipe", "-b", "4096", "-t", "1m", "-B", "-l", "2thread"])
        self.assertEqual((t.values["write calls"], t.values["write bytes"]), (512, 2 * 1048576))
        self.assertEqual(t.values["read bytes"], 2 * 1048576)

    def test_every_analysis_runs(self):
        for name in analyses():
            with self.subTest(analysis=name):
                t = trace(name, buffersize=65536, totalsize="256k")
                self.assertGreater(t.probes, 0)
                self.assertTrue(t.lines)
                if "brackets opened" in t.values:
                    self.assertEqual(t.values["brackets opened"], 1)

    def test_prefault_leaves_no_first_touch_in_the_loop(self):
        # 8 MiB buffers: 2,048 pages each, first touched in the loop unless pre-faulted.
        args = dict(buffersize="8m", totalsize="16m", quiet=False, frame=False)
        touched = trace("loop-faults", **args)
        faulted = trace("loop-faults", prefault=True, **args)
        self.assertIn("-F", faulted.command)
        self.assertEqual((touched.samples[0]["prefault"], faulted.samples[0]["prefault"]), (False, True))
        in_loop = lambda t: int(str(t.values["loop faults"]).split()[0])
        self.assertGreaterEqual(in_loop(touched), 4096)
        self.assertLess(in_loop(faulted), 64)

    def test_benchmark_usage_error(self):
        with self.assertRaises(TraceError) as cm:
            trace("loop-returns", buffersize=3000)
        e = cm.exception
        self.assertEqual(e.message, "ipc-static: total size 16777216 is not a multiple of buffer size 3000")
        self.assertEqual(e.returncode, 64)

    def test_benchmark_runtime_error(self):
        # No CPU 99: the run fails at setup (exit 71, which bpftrace does not pass on).
        with self.assertRaises(TraceError) as cm:
            trace("loop-returns", buffersize=65536, totalsize="256k", affinity=99)
        self.assertTrue(cm.exception.message.startswith("ipc-static: "), cm.exception.message)
        self.assertIsNone(cm.exception.returncode)

    def test_benchmark_warnings_are_not_failures(self):
        # -P arch warns on stderr where there is no PMU (most VMs), and the run goes on.
        t = trace("loop-returns", buffersize=65536, totalsize="256k", counters="arch", quiet=False, frame=False)
        self.assertEqual(len(t.samples), 1)
        self.assertEqual(t.values["write bytes"], 262144)

    def test_words_the_tracer_cannot_carry(self):
        with self.assertRaisesRegex(TraceError, "cannot be passed through"):
            trace("loop-returns", extra_args=["-b", "4 096"])

    def test_missing_binary(self):
        with self.assertRaises(BinaryNotFoundError):
            trace("loop-returns", binary="/nonexistent/ipc-static")

    @needs_pandas
    def test_samples_as_a_dataframe(self):
        import pandas
        t = trace("loop-returns", buffersize=65536, totalsize="256k", quiet=False)
        self.assertIsInstance(t.samples, pandas.DataFrame)


if __name__ == "__main__":
    unittest.main()
