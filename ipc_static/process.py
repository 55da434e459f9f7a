"""Running a program: captured output, a timeout that ends the whole process
group (a 2proc child included), and its one-line error."""

import os
import signal
import subprocess
import sys

from .errors import BinaryNotFoundError, IpcStaticError


def require_executable(path, what="ipc-static"):
    """Raise BinaryNotFoundError unless PATH is an executable file."""
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise BinaryNotFoundError(
            "%s not found or not executable: %s (run make in the checkout, or "
            "pass binary= / set IPC_STATIC)" % (what, path))


def first_line(text, prefix=None):
    """The first non-blank line of TEXT (starting with PREFIX when given)."""
    for line in text.splitlines():
        line = line.strip()
        if line and (prefix is None or line.startswith(prefix)):
            return line
    return ""


def capture(argv, timeout=None, env=None, stdout=subprocess.PIPE, echo_stderr=False):
    """Run ARGV with no standard input; return (returncode, stdout, stderr).

    The program gets a process group of its own: on a timeout the whole
    group is killed and IpcStaticError raised; on an interrupt (a
    notebook's "interrupt kernel") it is ended too. ECHO_STDERR copies its
    standard error to sys.stderr line by line as it comes (stdout must then
    not be a pipe)."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                            env=env, start_new_session=True, text=True)
    try:
        if echo_stderr:
            err = []
            for line in proc.stderr:
                err.append(line)
                sys.stderr.write(line)
                sys.stderr.flush()
            proc.wait()
            return proc.returncode, "", "".join(err)
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc, signal.SIGKILL)
        out, err = proc.communicate()
        raise IpcStaticError("%s: no result after %g s: killed" % (os.path.basename(argv[0]), timeout),
                             None, err or "", argv)
    except BaseException:
        # Give the program (sweep.sh records what it has done) a moment to stop.
        _kill_group(proc, signal.SIGTERM)
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            _kill_group(proc, signal.SIGKILL)
            proc.communicate()
        raise
    return proc.returncode, out or "", err or ""


def _kill_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
