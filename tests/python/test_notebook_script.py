"""scripts/notebook.sh: a failing cell fails it (so `make test` fails)."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import support
from support import TOP


def notebook(*sources):
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": s}
             for s in sources]
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}}


class Arguments(unittest.TestCase):
    """Refused before anything runs: one line (and the usage), the right code."""

    def run_script(self, *args):
        return subprocess.run([os.path.join(TOP, "scripts", "notebook.sh"), *args], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=60)

    def test_unknown_option_is_64(self):
        proc = self.run_script("--bogus")
        self.assertEqual(proc.returncode, 64, proc.stderr)
        self.assertEqual(proc.stderr.splitlines()[0], "notebook.sh: unknown option --bogus")

    def test_missing_notebook_is_66(self):
        proc = self.run_script("/nonexistent/x.ipynb")
        self.assertEqual((proc.returncode, proc.stderr), (66, "notebook.sh: no such notebook: /nonexistent/x.ipynb\n"))
        proc = self.run_script("--", "/nonexistent.ipynb")
        self.assertEqual((proc.returncode, proc.stderr), (66, "notebook.sh: no such notebook: /nonexistent.ipynb\n"))

    def test_two_notebooks_is_64(self):
        proc = self.run_script("a.ipynb", "b.ipynb")
        self.assertEqual(proc.returncode, 64, proc.stderr)


@unittest.skipUnless(support.can_trace() and support.have_pandas() and shutil.which("bash"),
                     "scripts/notebook.sh runs as root, with bpftrace and the notebook environment")
class NotebookScript(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ipc-static-nb-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def execute(self, nb, *options):
        path = os.path.join(self.dir, "t.ipynb")
        with open(path, "w") as f:
            json.dump(nb, f)
        proc = subprocess.run([os.path.join(TOP, "scripts", "notebook.sh"), *options, path],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
        return proc, path

    def test_a_failing_cell_fails(self):
        proc, path = self.execute(notebook("x = 1", "raise RuntimeError('cell 2 fails')", "print('never')"))
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("cell 2 fails", proc.stderr)
        self.assertIn("notebook.sh: a cell of t.ipynb failed", proc.stderr)

    def test_test_result_lines_for_ci(self):
        # make test runs it with --test-result: .ci/run adds these lines up.
        proc, _ = self.execute(notebook("raise RuntimeError('no')"), "--test-result")
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertEqual(proc.stdout.splitlines()[-1], "test result: FAILED. 0 passed; 1 failed; 0 ignored (notebook t.ipynb)")
        proc, _ = self.execute(notebook("print(1)"), "--test-result")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(proc.stdout.splitlines()[-1], "test result: ok. 1 passed; 0 failed; 0 ignored (notebook t.ipynb executed)")
        proc, _ = self.execute(notebook("print(1)"))
        self.assertNotIn("test result:", proc.stdout)

    def test_in_place_keeps_the_outputs(self):
        proc, path = self.execute(notebook("print(6 * 7)"), "--in-place")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("t.ipynb executed in", proc.stdout)
        with open(path) as f:
            outputs = json.load(f)["cells"][0]["outputs"]
        self.assertEqual("".join(outputs[0]["text"]), "42\n")


if __name__ == "__main__":
    unittest.main()
