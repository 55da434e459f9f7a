"""Runs the ipc_static module's tests (unittest; standard library only).

    python3 tests/python/run.py [-v]

Closes with a line in cargo's `test result:` form, so that .ci/run's total
counts these tests too. Exits 1 when a test fails.
"""

import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)


def main():
    verbosity = 2 if "-v" in sys.argv[1:] else 1
    suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py", top_level_dir=here)
    result = unittest.TextTestRunner(verbosity=verbosity, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    for test, reason in result.skipped:
        print("skipped: %s: %s" % (test.id(), reason))
    print("test result: %s. %d passed; %d failed; %d ignored (python %d.%d, tests/python)"
          % ("ok" if failed == 0 else "FAILED", passed, failed, skipped, *sys.version_info[:2]))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
