"""bpftrace's JSON output (`bpftrace -f json`) as Python values.

bpftrace writes one JSON object per line, {"type": ..., "data": ...}:

  printf           text, possibly part of a line or several lines
  map, stats       {"@name": value} or {"@name": {"k1,k2": value, ...}}
  hist             {"@name": [{"min": lo, "max": hi, "count": n}, ...]},
                   or keyed: {"@name": {"k1,k2": [buckets]}}
  attached_probes  {"probes": n}
  lost_events      {"events": n}

parse() turns them into
  maps    {"name": value}: the map's name without its @; a map without keys
          is its value; a keyed one a dict whose keys are the key's parts
          split on commas (a tuple when there are several, whole numbers as
          int): "1775,write" is (1775, "write"); a histogram a list of
          Buckets (low, high, count), low inclusive and high exclusive as
          bpftrace prints [low, high), None where the bucket is unbounded
  lines   the printf text, line by line
  values  {"read calls": 17, ...}: the `name: value` lines among them
          (our analyses print their totals so); whole numbers as int
A map printed twice keeps its last print; a map that stayed empty is absent
(bpftrace prints nothing for it).
"""

import json
import re
from collections import namedtuple

_VALUE_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9 _-]*): (\S.*)$")
_INTEGER = re.compile(r"^-?[0-9]+$")
_STATS_KEYS = {"count", "average", "total"}


class Bucket(namedtuple("Bucket", "low high count")):
    """One histogram bucket: values v with low <= v < high (None: unbounded)."""

    __slots__ = ()

    @property
    def label(self):
        """The bucket as bpftrace's text output shows it: [16K, 32K), [0]."""
        if self.low is None:
            return "(..., %s)" % _size(self.high)
        if self.high is None:
            return "[%s, ...)" % _size(self.low)
        if self.high == self.low + 1:
            return "[%s]" % _size(self.low)
        return "[%s, %s)" % (_size(self.low), _size(self.high))


def _size(n):
    for suffix, unit in (("P", 1 << 50), ("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n != 0 and n % unit == 0:
            return "%d%s" % (n // unit, suffix)
    return str(n)


class Output:
    """What one bpftrace run printed: maps, lines, values (see the module)."""

    def __init__(self):
        self.maps = {}
        self.lines = []
        self.values = {}
        self.probes = None
        self.lost_events = 0
        self.events = []
        self.other_lines = []

    def __repr__(self):
        return "<bpftrace output: %d maps, %d lines>" % (len(self.maps), len(self.lines))


def parse(text):
    """TEXT (bpftrace -f json output) as an Output. Lines that are not JSON
    objects are kept in .other_lines."""
    out = Output()
    pending = ""
    for raw in text.splitlines():
        raw = raw.strip()
        if not raw:
            continue
        try:
            event = json.loads(raw)
        except ValueError:
            event = None
        if not isinstance(event, dict) or "type" not in event:
            out.other_lines.append(raw)
            continue
        out.events.append(event)
        kind, data = event["type"], event.get("data")
        if kind in ("printf", "time", "join", "cat", "syscall") and isinstance(data, str):
            pending += data
            *complete, pending = pending.split("\n")
            out.lines.extend(complete)
        elif kind in ("map", "stats", "hist") and isinstance(data, dict):
            for name, value in data.items():
                out.maps[name.lstrip("@")] = _map_value(kind, value)
        elif kind == "attached_probes" and isinstance(data, dict):
            out.probes = data.get("probes")
        elif kind == "lost_events" and isinstance(data, dict):
            out.lost_events += int(data.get("events") or 0)
    if pending:
        out.lines.append(pending)
    out.values = values_from_lines(out.lines)
    return out


def values_from_lines(lines):
    """{"name": value} for the `name: value` lines (name: letters, digits,
    spaces, _ and -; value: an int when it is a whole number)."""
    values = {}
    for line in lines:
        match = _VALUE_LINE.match(line.rstrip())
        if match:
            values[match.group(1)] = scalar(match.group(2))
    return values


def scalar(text):
    """TEXT as an int when it is a whole number, else as it is."""
    text = text.strip()
    return int(text) if _INTEGER.match(text) else text


def map_key(text):
    """A map key as printed in JSON ("1775,write") as Python: 1775,
    "write", or a tuple (1775, "write") when it has several parts."""
    parts = [int(p) if _INTEGER.match(p) else p for p in text.split(",")]
    return parts[0] if len(parts) == 1 else tuple(parts)


def buckets(items):
    """bpftrace's [{"min", "max", "count"}] as [Bucket(low, high, count)]."""
    result = []
    for item in items:
        low = item.get("min")
        high = item.get("max")
        result.append(Bucket(low, None if high is None else high + 1, item.get("count", 0)))
    return result


def _map_value(kind, value):
    if kind == "hist":
        if isinstance(value, list):
            return buckets(value)
        return {map_key(k): buckets(v) for k, v in value.items()}
    if not isinstance(value, dict):
        return value
    if kind == "stats" and set(value) == _STATS_KEYS and not any(
            isinstance(v, dict) for v in value.values()):
        return dict(value)  # stats() of a map without keys
    return {map_key(k): v for k, v in value.items()}
