"""Shared by the module's tests: the checkout on sys.path, and what the
machine can do (skip reasons)."""

import os
import shutil
import sys
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if TOP not in sys.path:
    sys.path.insert(0, TOP)

FIXTURES = os.path.join(TOP, "tests", "python", "fixtures", "bpftrace")
BINARY = os.path.join(TOP, "ipc-static")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def have_binary():
    return os.access(BINARY, os.X_OK)


def have_pandas():
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def have_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def can_trace():
    return sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("bpftrace") is not None


needs_binary = unittest.skipUnless(have_binary(), "no ./ipc-static: run make")
needs_pandas = unittest.skipUnless(have_pandas(), "pandas is not installed")
needs_matplotlib = unittest.skipUnless(have_matplotlib(), "matplotlib is not installed")
needs_tracing = unittest.skipUnless(have_binary() and can_trace(), "tracing needs root, bpftrace and ./ipc-static")
