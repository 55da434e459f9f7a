"""The mapping from Python arguments to ipc-static's command line."""

import unittest

import support  # noqa: F401  (the checkout on sys.path)
from ipc_static.args import benchmark_argv, flag_words, option_words


def words(**kwargs):
    named = {k: kwargs.pop(k) for k in list(kwargs) if len(k) > 1 and k != "extra_args"}
    extra = kwargs.pop("extra_args", ())
    return option_words(named, kwargs, extra)


class FlagWords(unittest.TestCase):
    def test_values(self):
        self.assertEqual(flag_words("g", True), ["-g"])
        self.assertEqual(flag_words("g", False), [])
        self.assertEqual(flag_words("b", None), [])
        self.assertEqual(flag_words("b", 4096), ["-b", "4096"])
        self.assertEqual(flag_words("t", "16m"), ["-t", "16m"])
        self.assertEqual(flag_words("a", (0, 1)), ["-a", "0,1"])
        self.assertEqual(flag_words("a", [1]), ["-a", "1"])

    def test_zero_is_a_value(self):
        # -p 0 asks the kernel for a free port: 0 must not vanish like False.
        self.assertEqual(flag_words("p", 0), ["-p", "0"])


class OptionWords(unittest.TestCase):
    def test_named_parameters_map_to_the_lab_flags(self):
        self.assertEqual(
            words(ipc="local", buffersize=4096, totalsize="1m", iterations=3, sflag=True, bare=True,
                  prefault=True, rusage=True, latency=True, verbose=True, counters="sw", affinity=(0, 1),
                  tcp_port=0),
            ["-i", "local", "-b", "4096", "-t", "1m", "-n", "3", "-s", "-B", "-F", "-g", "-l", "-v",
             "-P", "sw", "-a", "0,1", "-p", "0"])

    def test_every_configuration_flag_of_the_json_has_its_name(self):
        # The document's benchmark_configuration names the run's flags: each
        # boolean one is a parameter of the same name (sweep() has prefault too).
        from ipc_static.args import NAMED
        for name in ("sflag", "bare", "prefault", "rusage", "latency", "counters", "affinity", "tcp_port"):
            self.assertIn(name, NAMED)
        self.assertEqual(words(F=True), words(prefault=True))
        with self.assertRaisesRegex(TypeError, "prefault and F both give -F"):
            words(prefault=True, F=True)

    def test_false_and_none_are_left_out(self):
        self.assertEqual(words(ipc=None, sflag=False, bare=False, buffersize=None), [])

    def test_any_letter_passes_through(self):
        # Flags the binary may gain (pre-fault, latency, ...) need no change here.
        self.assertEqual(words(F=True, l=True, x=5, Z="a,b"), ["-F", "-l", "-x", "5", "-Z", "a,b"])
        self.assertEqual(words(i="shmem"), ["-i", "shmem"])

    def test_letters_alias_named_flags_but_not_both(self):
        self.assertEqual(words(b=512), ["-b", "512"])
        with self.assertRaisesRegex(TypeError, "buffersize and b both give -b"):
            words(buffersize=1024, b=512)

    def test_unknown_long_names_are_refused(self):
        with self.assertRaisesRegex(TypeError, "unknown parameter 'latency'"):
            option_words({}, {"latency": True})
        with self.assertRaises(TypeError):
            option_words({}, {"é": True})
        with self.assertRaises(TypeError):
            option_words({}, {"1": True})

    def test_reserved_letters(self):
        with self.assertRaisesRegex(ValueError, "-j is set by this function"):
            option_words({}, {"j": True}, reserved="jq")
        # Reserved, but switched off: nothing to refuse.
        self.assertEqual(option_words({}, {"q": False}, reserved="jq"), [])

    def test_extra_args(self):
        self.assertEqual(words(bare=True, extra_args=["-F", "-x", "1"]), ["-B", "-F", "-x", "1"])
        self.assertEqual(words(extra_args="-F -x '1 2'"), ["-F", "-x", "1 2"])
        self.assertEqual(words(extra_args=None), [])


class BenchmarkArgv(unittest.TestCase):
    def test_mode_is_last(self):
        argv = benchmark_argv("/bin/ipc", "2proc", {"ipc": "tcp"}, {"F": True}, ["-y"], lead=["-j"])
        self.assertEqual(argv, ["/bin/ipc", "-j", "-i", "tcp", "-F", "-y", "2proc"])

    def test_mode_must_be_a_string(self):
        with self.assertRaises(TypeError):
            benchmark_argv("/bin/ipc", None, {}, {})
        with self.assertRaises(TypeError):
            benchmark_argv("/bin/ipc", "", {}, {})


if __name__ == "__main__":
    unittest.main()
