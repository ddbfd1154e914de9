"""Dataclass fields that hold a pandas DataFrame built only when it is read.

A default run with warm caches has every table it needs as plain data (JSON records from the caches, rows of its
series), yet its results (:class:`sim.runner.RunResult`, :class:`sim.forcing.Forcing`,
:class:`sim.forcing.DocumentInputs`) offer those tables as DataFrames. Importing pandas for that cost a third of a
second of every ``spillover run``. A :class:`FrameField` keeps the DataFrame API of such a field: it may be given
a DataFrame, or a :class:`Deferred` (a function and its arguments, picklable when the function is a module-level
one) that is called on the first read, its DataFrame kept; pandas is imported by whoever builds it, then.

Examples
--------
>>> from dataclasses import dataclass
>>> def table(n):
...     import pandas as pd
...     return pd.DataFrame({"n": range(n)})
>>> @dataclass(frozen=True)
... class Result:
...     rows: object = FrameField()
>>> result = Result(rows=Deferred(table, 3))
>>> result.rows.shape
(3, 1)
"""
from __future__ import annotations

_NO_DEFAULT = object()


class Deferred:
    """``build(*args)``, called once on the first read of the :class:`FrameField` that holds it."""

    __slots__ = ("build", "args")

    def __init__(self, build, *args):
        self.build, self.args = build, args

    def __call__(self):
        return self.build(*self.args)

    def __repr__(self) -> str:
        return f"Deferred({getattr(self.build, '__name__', self.build)})"


class FrameField:
    """A dataclass field (the class attribute's value) whose instances hold a DataFrame or a :class:`Deferred`.

    ``default``: the field's default (a value, or a :class:`Deferred` called per instance); without one the field
    is required (dataclasses take a descriptor that raises AttributeError on class access as "no default").
    """

    def __init__(self, default=_NO_DEFAULT):
        self.default = default

    def __set_name__(self, owner, name: str) -> None:
        self.slot = f"_{name}_frame"

    def __get__(self, obj, owner=None):
        if obj is None:
            if self.default is _NO_DEFAULT:
                raise AttributeError(self.slot)
            return self.default
        value = obj.__dict__[self.slot]
        if isinstance(value, Deferred):
            value = value()
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.slot] = value
