"""Strict JSON for every file and stream the tool writes: ``null`` for NaN, NaT and infinities, ISO dates.

``json.dumps`` writes bare ``NaN`` by default, which jq and most non-Python tools reject; everything here goes
through :func:`json_value` and ``allow_nan=False``.

Examples
--------
>>> dumps_strict({"x": float("nan"), "when": __import__("datetime").date(2022, 11, 14)})
'{"x": null, "when": "2022-11-14"}'
"""
from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any


def json_value(value: Any) -> Any:
    """``value`` as plain JSON data: None for NaN/NaT/inf, ISO strings for dates, Python numbers for numpy's."""
    if value is None or isinstance(value, str):
        return value
    kind = type(value).__name__
    if kind in ("NaTType", "NAType"):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime):  # pandas Timestamp too
        if value != value:
            return None
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_value(v) for v in value]
    module = type(value).__module__
    if module.startswith("numpy"):
        import numpy as np

        if isinstance(value, np.ndarray):
            return [json_value(v) for v in value.tolist()] if value.dtype.kind not in "mM" else \
                [json_value(v) for v in value]
        if isinstance(value, np.datetime64):
            return None if np.isnat(value) else json_value(value.astype("datetime64[us]").item())
        if isinstance(value, np.generic):
            return json_value(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def dumps_strict(data: Any, **kwargs) -> str:
    """``json.dumps`` of :func:`json_value` (data) that can never write NaN or Infinity."""
    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(json_value(data), allow_nan=False, **kwargs)


def loads_strict(text: str) -> Any:
    """``json.loads`` that rejects NaN, Infinity and -Infinity (what jq would reject)."""
    def refuse(constant):
        raise ValueError(f"not valid JSON: {constant}")

    return json.loads(text, parse_constant=refuse)
