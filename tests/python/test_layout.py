"""The one-line imports the README documents, in a fresh interpreter each:
from a notebook in notebooks/, and from the lab's layout (the checkout as
ipc/ beside the notebook); and the module without pandas."""

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

from support import TOP, needs_binary


def python(code, cwd, block_pandas=False):
    prelude = "import sys\nsys.modules['pandas'] = None\n" if block_pandas else ""
    proc = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if k not in ("IPC_STATIC", "PYTHONPATH")})
    return proc


@needs_binary
class Layout(unittest.TestCase):
    def test_notebooks_directory(self):
        proc = python("""
            from ipc_static import run, sweep, trace
            import ipc_static.locate as l
            rows = run(buffersize=65536, totalsize="1m", bare=True, frame=False)
            print(l.checkout(), rows[0]["bandwidth"] > 0)
            """, cwd=os.path.join(TOP, "notebooks"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.split(), [os.path.realpath(TOP), "True"])

    def test_lab_layout(self):
        # A directory holding the notebook and the checkout, named ipc.
        lab = os.path.realpath(tempfile.mkdtemp(prefix="ipc-static-lab-"))
        try:
            ipc = os.path.join(lab, "ipc")
            os.mkdir(ipc)
            shutil.copytree(os.path.join(TOP, "ipc_static"), os.path.join(ipc, "ipc_static"),
                            ignore=shutil.ignore_patterns("__pycache__"))
            shutil.copytree(os.path.join(TOP, "scripts"), os.path.join(ipc, "scripts"))
            shutil.copy2(os.path.join(TOP, "ipc-static"), ipc)
            proc = python("""
                from ipc.ipc_static import run, sweep, trace
                import ipc.ipc_static.locate as l
                rows = run(buffersize=65536, totalsize="1m", bare=True, frame=False)
                print(l.checkout(), rows.attrs["argv"][0], rows[0]["bandwidth"] > 0)
                """, cwd=lab)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stdout.split(), [ipc, os.path.join(ipc, "ipc-static"), "True"])
        finally:
            shutil.rmtree(lab)

    def test_without_pandas(self):
        proc = python("""
            from ipc_static import run, load, summary, Rows
            rows = run(buffersize=65536, totalsize="1m", bare=True)
            print(type(rows).__name__, isinstance(rows, list), len(rows))
            try:
                run(frame=True)
            except ImportError:
                print("frame=True needs pandas")
            """, cwd=os.path.join(TOP, "notebooks"), block_pandas=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.splitlines(), ["Rows True 1", "frame=True needs pandas"])


if __name__ == "__main__":
    unittest.main()
