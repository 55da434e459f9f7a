"""The parser of bpftrace's JSON output, on real output captured from the
project's analyses (fixtures/bpftrace, see capture.sh there)."""

import unittest

import support
from support import fixture
from ipc_static.bpftrace_json import Bucket, map_key, parse, scalar, values_from_lines


class LoopReturns(unittest.TestCase):
    """-B -q -i local -b 65536 -t 1048576 2thread: 16 writes of 64 KiB, and
    reads that return what has arrived."""

    def setUp(self):
        self.out = parse(fixture("loop-returns-local-2thread.json"))

    def test_totals_from_printf_lines(self):
        v = self.out.values
        self.assertEqual(v["brackets opened"], 1)
        self.assertEqual(v["brackets closed"], 1)
        self.assertEqual(v["write calls"], 16)
        self.assertEqual(v["write bytes"], 1048576)
        self.assertEqual(v["read bytes"], 1048576)
        self.assertEqual(v["read errors"], 0)
        self.assertEqual(v["read calls"], 18)

    def test_histograms_are_buckets_low_inclusive_high_exclusive(self):
        self.assertEqual(self.out.maps["write_returns"], [Bucket(65536, 131072, 16)])
        reads = self.out.maps["read_returns"]
        self.assertEqual(reads, [(16384, 32768, 2), (32768, 65536, 2), (65536, 131072, 14)])
        self.assertEqual(sum(b.count for b in reads), self.out.values["read calls"])
        self.assertEqual([b.label for b in reads], ["[16K, 32K)", "[32K, 64K)", "[64K, 128K)"])

    def test_keyed_maps_have_tuple_keys(self):
        self.assertEqual(self.out.maps["calls_by_thread"], {(8851, "write"): 16, (8850, "read"): 18})
        self.assertEqual(self.out.maps["bytes_by_thread"], {(8850, "read"): 1048576, (8851, "write"): 1048576})

    def test_probes_and_lines(self):
        self.assertEqual(self.out.probes, 9)
        self.assertEqual(self.out.lines[0], "tracing ipc-static (pid 8850): loop-returns")
        self.assertIn("bracket 1 open (tid 8851)", self.out.lines)
        self.assertIn("read() return values in the loop:", self.out.lines)
        # Lines that are not `name: value` are not values.
        self.assertNotIn("tracing ipc-static (pid 8850)", self.out.values)
        self.assertEqual(self.out.other_lines, [])


class OtherAnalyses(unittest.TestCase):
    def test_loop_returns_1thread(self):
        # A 128 KiB write into a 64 KiB pipe returns 64 KiB; one thread does both.
        out = parse(fixture("loop-returns-pipe-1thread.json"))
        self.assertEqual(out.maps["write_returns"], [Bucket(65536, 131072, 16)])
        self.assertEqual(out.maps["read_returns"], [Bucket(65536, 131072, 16)])
        self.assertEqual(out.maps["calls_by_thread"], {(8861, "read"): 16, (8861, "write"): 16})

    def test_loop_returns_two_iterations(self):
        out = parse(fixture("loop-returns-pipe-2thread-n2.json"))
        self.assertEqual(out.values["brackets opened"], 2)
        self.assertEqual(out.values["write bytes"], 2 * 1048576)
        self.assertEqual(out.maps["write_returns"], [Bucket(65536, 131072, 32)])
        # A sender thread per iteration, one receiver.
        writers = {k[0] for k in out.maps["calls_by_thread"] if k[1] == "write"}
        self.assertEqual(len(writers), 2)

    def test_loop_syscalls(self):
        out = parse(fixture("loop-syscalls-pipe-2thread.json"))
        loop = out.maps["loop_syscalls"]
        self.assertEqual((loop["read"], loop["write"]), (16, 16))
        self.assertEqual(out.maps["whole_program"]["clock_gettime"], 2)
        self.assertEqual(out.maps["whole_program"]["execve"], 1)

    def test_loop_latency(self):
        out = parse(fixture("loop-latency-pipe-2thread.json"))
        self.assertEqual(out.values["read calls"], 16)
        self.assertEqual(out.values["poll calls"], 0)
        self.assertEqual(sum(b.count for b in out.maps["read_ns"]), 16)
        self.assertEqual(sum(b.count for b in out.maps["write_ns"]), 16)
        # An empty map is not printed at all: no poll() histogram.
        self.assertNotIn("poll_ns", out.maps)
        self.assertEqual(out.lines[-1], "poll() time in ns:")

    def test_loop_sched_keyed_histograms(self):
        out = parse(fixture("loop-sched-pipe-2thread.json"))
        hists = out.maps["offcpu_ns"]
        self.assertEqual(hists[(8905, "preempted")], [Bucket(2048, 4096, 21), Bucket(4096, 8192, 5)])
        self.assertEqual(set(hists), {(8905, "blocked"), (8905, "preempted"), (8906, "blocked")})
        self.assertEqual(out.maps["oncpu_ns"], {8905: 302632, 8906: 376652})
        # Not a whole number: kept as text.
        self.assertEqual(out.values["off-cpu events"], "81 (blocked 54, preempted 26, exited 1)")

    def test_loop_wakeups_stack_keys(self):
        out = parse(fixture("loop-wakeups-pipe-2thread.json"))
        self.assertEqual(out.maps["wakeups"], {("ipc-static", 8917, "ipc-static", 8916): 256})
        (tid, stack), count = next(iter(out.maps["sleep_stacks"].items()))
        self.assertEqual((tid, count), (8916, 255))
        self.assertIn("anon_pipe_read", stack)

    def test_loop_faults(self):
        out = parse(fixture("loop-faults-pipe-2thread.json"))
        self.assertEqual(out.maps["loop_faults"], {(8927, "kernel", "write"): 16, (8928, "kernel", "read"): 16})
        self.assertEqual(out.values["loop faults"], "32 (user 0, kernel 32)")
        self.assertEqual(out.values["whole-program faults"], 39)

    def test_whole_program(self):
        out = parse(fixture("whole-program-pipe-2thread.json"))
        self.assertEqual(out.maps, {})
        self.assertEqual(out.values["first syscall"], "execve")
        self.assertEqual(out.values["last syscall"], "exit_group")
        self.assertEqual(out.values["syscalls"], 25)
        calls = [l for l in out.lines if " -> " in l]
        self.assertEqual(len(calls), 25)


class Shapes(unittest.TestCase):
    """shapes.bt: one of each kind of map bpftrace prints."""

    def setUp(self):
        self.out = parse(fixture("shapes.json"))
        self.maps = self.out.maps

    def test_scalars_and_stats(self):
        self.assertEqual(self.maps["s"], 5)
        self.assertEqual(self.maps["a"], 15)
        self.assertEqual(self.maps["st"], {"count": 2, "average": 5, "total": 10})
        self.assertEqual((self.maps["mn"], self.maps["mx"]), (4, 9))
        # @c is printed, cleared, and printed again by bpftrace at exit: the last print wins.
        self.assertEqual(self.maps["c"], 0)

    def test_hist_with_negative_zero_and_one(self):
        h = self.maps["h"]
        self.assertEqual(h[:4], [Bucket(None, 0, 1), Bucket(0, 1, 1), Bucket(1, 2, 1), Bucket(2, 4, 2)])
        self.assertEqual(h[-1], Bucket(512, 1024, 1))
        self.assertEqual([b.label for b in h[:4]], ["(..., 0)", "[0]", "[1]", "[2, 4)"])

    def test_lhist_unbounded_ends(self):
        lh = self.maps["lh"]
        self.assertEqual(lh[0], Bucket(None, 0, 1))
        self.assertEqual(lh[2], Bucket(10, 20, 1))
        self.assertEqual(lh[-1], Bucket(100, None, 1))
        self.assertEqual(lh[-1].label, "[100, ...)")

    def test_keys(self):
        self.assertEqual(self.maps["k"], {"a": 1})
        self.assertEqual(self.maps["k2"], {("x", 3): 4})
        # A comma inside a key part cannot be told from the separator.
        self.assertEqual(self.maps["kh"], {("x", "y", 2): [Bucket(8, 16, 1)]})

    def test_text(self):
        self.assertEqual(self.out.values, {"a": 1, "b": 2})
        self.assertIn("partial line", self.out.lines)
        self.assertIn("05", self.out.lines)  # time()


class Pieces(unittest.TestCase):
    def test_map_key(self):
        self.assertEqual(map_key("42"), 42)
        self.assertEqual(map_key("-1"), -1)
        self.assertEqual(map_key("read"), "read")
        self.assertEqual(map_key("1,read"), (1, "read"))

    def test_scalar(self):
        self.assertEqual(scalar(" 17 "), 17)
        self.assertEqual(scalar("1.5"), "1.5")
        self.assertEqual(scalar("execve"), "execve")

    def test_values_from_lines(self):
        self.assertEqual(values_from_lines(["read calls: 3", "no colon", "x(): 1", ": 4", "k:"]),
                         {"read calls": 3})

    def test_other_lines_and_lost_events(self):
        out = parse('garbage\n\n{"type": "lost_events", "data": {"events": 3}}\n'
                    '{"type": "printf", "data": "no newline"}\n')
        self.assertEqual(out.other_lines, ["garbage"])
        self.assertEqual(out.lost_events, 3)
        self.assertEqual(out.lines, ["no newline"])

    def test_empty(self):
        out = parse("")
        self.assertEqual((out.maps, out.lines, out.values), ({}, [], {}))


if __name__ == "__main__":
    unittest.main()
