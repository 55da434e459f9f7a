"""The exceptions the module raises."""


class IpcStaticError(Exception):
    """ipc-static, or a script or tracer around it, failed.

    message     the one-line error, as the program printed it
                (`ipc-static: what: why`), or the module's own
    returncode  the program's exit status (64 usage, 71 setup, 74 I/O, ...);
                None when nothing ran or the status is not known
    stderr      everything the program wrote on standard error
    argv        the command that was run (empty when nothing ran)
    document    the JSON document on standard output, when there was one
                (a run that failed after some iterations still closes it)
    """

    def __init__(self, message, returncode=None, stderr="", argv=(), document=None):
        self.message = message
        self.returncode = returncode
        self.stderr = stderr
        self.argv = list(argv)
        self.document = document
        text = message if returncode is None else "%s (exit %d)" % (message, returncode)
        super().__init__(text)


class BinaryNotFoundError(IpcStaticError):
    """The ipc-static binary is missing or not executable (run make)."""


class TraceError(IpcStaticError):
    """trace() could not run an analysis: not root, no tracer, an unknown
    analysis, or the tracer or the traced benchmark failed."""
