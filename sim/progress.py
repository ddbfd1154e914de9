"""Progress of long work on standard error: a bar on a terminal, plain periodic lines when piped or logged.

Standard output stays data. On a terminal :class:`Progress` draws a rich bar; otherwise (CI logs, ``2> log``,
``nohup``) it writes one plain line at most every ``SPILLOVER_PROGRESS_SECONDS`` seconds (default 10) and a last
line when done, so progress stays visible without control characters.

Examples
--------
>>> with Progress(100, "demo", unit="days", enabled=False) as bar:
...     bar.advance(100)
"""
from __future__ import annotations

import os
import sys
import time


def _interval() -> float:
    try:
        return max(0.0, float(os.environ.get("SPILLOVER_PROGRESS_SECONDS", "10")))
    except ValueError:
        return 10.0


class Progress:
    """A counted task's progress on stderr (see the module docstring).

    Parameters
    ----------
    total : int
        Units of work, e.g. days to integrate.
    label : str
        Shown before the count (printed as is: no markup).
    unit : str
        Name of a unit, e.g. ``"days"`` or ``"runs"``.
    enabled : bool
        False: print nothing.
    """

    def __init__(self, total: int, label: str, unit: str = "", enabled: bool = True, stream=None):
        self.total, self.label, self.unit, self.enabled = int(total), label, unit, enabled
        self.stream = stream
        self.done = 0
        self._bar = None
        self._t0 = time.perf_counter()
        self._last = self._t0

    def _out(self):
        return self.stream if self.stream is not None else sys.stderr

    def __enter__(self) -> "Progress":
        self._t0 = self._last = time.perf_counter()
        if not self.enabled:
            return self
        out = self._out()
        if getattr(out, "isatty", lambda: False)():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn, \
                TimeRemainingColumn
            def plain(text: str) -> TextColumn:  # printed as is: no markup, no format fields
                return TextColumn(text.replace("{", "{{").replace("}", "}}"), markup=False)

            self._bar = Bar(plain(self.label), BarColumn(), MofNCompleteColumn(), plain(self.unit),
                            TimeElapsedColumn(), TimeRemainingColumn(), console=Console(file=out), transient=False)
            self._task = self._bar.add_task(self.label, total=self.total)
            self._bar.start()
        return self

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.advance(self._task, n)
            return
        now = time.perf_counter()
        if now - self._last >= _interval() and self.done < self.total:
            self._last = now
            self._line(now)

    def _line(self, now: float, final: bool = False) -> None:
        spent = now - self._t0
        share = self.done / self.total if self.total else 1.0
        text = f"{self.label}: {self.done:,}/{self.total:,} {self.unit} ({share:.0%})".replace("  ", " ")
        if final:
            text += f" in {spent:.1f} s"
        else:
            left = spent / share - spent if share > 0 else float("nan")
            text += f" after {spent:.1f} s, about {left:.0f} s left" if left == left else f" after {spent:.1f} s"
        out = self._out()
        out.write(text + "\n")  # one write: a signal cannot land between the text and its newline
        out.flush()

    def __exit__(self, kind, exc, tb) -> bool:
        if not self.enabled:
            return False
        if self._bar is not None:
            self._bar.stop()
        elif kind is None:
            self._line(time.perf_counter(), final=True)
        return False
