"""Python arguments to ipc-static's command line.

The named parameters carry the names of the lab's JSON configuration
(buffersize, totalsize, iterations, sflag, bare, prefault, rusage, latency,
counters, affinity, tcp_port) and `ipc` for -i. Any other flag is given by its letter, so that a
flag the binary gains needs no change here: `F=True` is `-F`, `x=3` is
`-x 3`. `extra_args` is appended as it is, just before the mode.
"""

import shlex

# Named parameter -> the flag's letter. Order is the order on the command line.
NAMED_FLAGS = (
    ("ipc", "i"),
    ("buffersize", "b"),
    ("totalsize", "t"),
    ("iterations", "n"),
    ("sflag", "s"),
    ("bare", "B"),
    ("prefault", "F"),
    ("rusage", "g"),
    ("latency", "l"),
    ("verbose", "v"),
    ("counters", "P"),
    ("affinity", "a"),
    ("tcp_port", "p"),
)
NAMED = dict(NAMED_FLAGS)


def flag_words(letter, value):
    """The words for one flag: [] when VALUE is None or False, ["-X"] when
    it is True, else ["-X", "value"]; a list or tuple is joined with commas
    (affinity=(0, 1) is -a 0,1)."""
    if value is None or value is False:
        return []
    if value is True:
        return ["-" + letter]
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return ["-" + letter, str(value)]


def split_extra(extra_args):
    """extra_args as a list of words: a string is split as a shell would."""
    if extra_args is None:
        return []
    if isinstance(extra_args, str):
        return shlex.split(extra_args)
    return [str(a) for a in extra_args]


def option_words(named, flags, extra_args=(), reserved=""):
    """The option words for ipc-static.

    named     {parameter name: value} for the names in NAMED
    flags     {letter: value} for any other flag, by its letter
    reserved  letters the caller sets itself (ValueError when given)
    """
    letters = {}
    for name, letter in NAMED_FLAGS:
        value = named.get(name)
        if value is not None and value is not False:
            letters[letter] = (name, value)
    for key, value in flags.items():
        if len(key) != 1 or not key.isascii() or not key.isalpha():
            raise TypeError(
                "unknown parameter %r: give ipc-static's other flags by their letter "
                "(F=True for -F, x=3 for -x 3) or in extra_args" % key)
        if value is None or value is False:
            continue
        if key in reserved:
            raise ValueError("-%s is set by this function itself" % key)
        if key in letters:
            raise TypeError("%s and %s both give -%s" % (letters[key][0], key, key))
        letters[key] = (key, value)
    words = []
    for letter, (_, value) in letters.items():
        words += flag_words(letter, value)
    return words + split_extra(extra_args)


def benchmark_argv(binary, mode, named, flags, extra_args=(), lead=(), reserved=""):
    """[binary, *lead, options..., *extra_args, mode]: the mode is last, as
    the first operand ends ipc-static's options."""
    if not isinstance(mode, str) or not mode:
        raise TypeError("mode must be a string such as '2thread', not %r" % (mode,))
    return [binary, *lead, *option_words(named, flags, extra_args, reserved), mode]
