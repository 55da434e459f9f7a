"""Where things are: the checkout, the benchmark binary, the scripts."""

import os
import sys


def checkout():
    """The checkout's root directory.

    The package lives in <checkout>/ipc_static; notebooks/ipc_static is a
    symbolic link to it, so the link is resolved first.
    """
    return os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def binary(path=None):
    """The ipc-static to run: PATH if given, else $IPC_STATIC (as the
    scripts use it), else the ipc-static that `make` builds in the checkout."""
    if path is None:
        path = os.environ.get("IPC_STATIC") or os.path.join(checkout(), "ipc-static")
    return os.path.abspath(os.fspath(path))


def script(*parts):
    """A path under the checkout's scripts/ directory."""
    return os.path.join(checkout(), "scripts", *parts)


def is_linux():
    return sys.platform.startswith("linux")
