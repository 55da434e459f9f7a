"""Tables: a pandas DataFrame when pandas is there, else a list of dicts.

Either way the table carries `.attrs`, a dict of what came with it (the
run's JSON document, a sweep's directory and host description).
"""


class Rows(list):
    """A list of dicts (one per row) with an `attrs` dict, as a DataFrame has."""

    def __init__(self, rows=(), attrs=None):
        super().__init__(rows)
        self.attrs = dict(attrs or {})


def pandas_module(frame):
    """pandas when FRAME asks for DataFrames: True (pandas required), None
    (when pandas is installed) or False (never)."""
    if frame is False:
        return None
    try:
        import pandas
    except ImportError:
        if frame:
            raise
        return None
    return pandas


def table(rows, columns=None, attrs=None, frame=None):
    """ROWS (dicts) as a DataFrame (columns in the order of COLUMNS, then of
    first appearance) or as Rows."""
    rows = list(rows)
    pandas = pandas_module(frame)
    if pandas is None:
        return Rows(rows, attrs)
    order = list(columns or [])
    seen = set(order)
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                order.append(key)
    df = pandas.DataFrame.from_records(rows, columns=order)
    df.attrs.update(attrs or {})
    return df


def records(data):
    """A table (DataFrame, Rows or any list of dicts) as a list of dicts."""
    to_dict = getattr(data, "to_dict", None)
    if to_dict is not None and not isinstance(data, dict):
        rows = to_dict("records")
        # pandas gives NaN for empty cells; the stdlib side uses None.
        return [{k: (None if _is_nan(v) else v) for k, v in row.items()} for row in rows]
    return [dict(row) for row in data]


def _is_nan(value):
    return isinstance(value, float) and value != value
