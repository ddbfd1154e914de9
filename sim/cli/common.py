"""Plumbing shared by every ``spillover`` command: messages, the exit-code policy, tables, options.

Exit codes (:func:`run_app`):

==== ==========================================================================================================
0    success
1    the environment failed: permission denied, disk full, read-only or missing file system path, out of memory
     (one line naming the path)
2    bad input: a :class:`geo.errors.SpilloverError` (one line ``error: ...`` naming the file, key or value and what
     would be valid) or a mistyped option or value
130  interrupted (Ctrl-C, SIGINT; SIGTERM too): the command says what was stored
==== ==========================================================================================================

Messages and progress go to standard error as plain text (never interpreted as markup: ``[km]``, ``[growth]`` and
``[[add]]`` print as written); standard output carries only data (tables, JSON, CSV). Every table command prints
through :func:`emit_table` with ``--format table|json|csv``.
"""
from __future__ import annotations

import enum
import errno
import io
import os
import shutil
import signal
import sys
from typing import Annotated, Any

import typer

from geo.errors import SpilloverError
from sim.strict_json import dumps_strict, json_value

EXIT_OK, EXIT_ENVIRONMENT, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


# ------------------------------------------------------------------------------------------------ messages
class _State:
    verbosity = 1  # 0: quiet (errors and data only), 1: normal, 2: verbose
    interrupt_reported = False


def set_verbosity(quiet: bool = False, verbose: bool = False) -> None:
    """``-q`` (errors and data only) or ``-v`` (more detail); the last call wins."""
    if quiet:
        _State.verbosity = 0
    elif verbose:
        _State.verbosity = 2


def verbosity() -> int:
    return _State.verbosity


def say(message: str) -> None:
    """A normal message on stderr (not shown with ``-q``)."""
    if _State.verbosity >= 1:
        _write(message)


def detail(message: str) -> None:
    """A detail on stderr, shown only with ``-v``."""
    if _State.verbosity >= 2:
        _write(message)


def warn(message: str) -> None:
    """A warning on stderr, shown even with ``-q``."""
    _write(f"warning: {message}")


def _write(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


class Interrupted(Exception):
    """Raised by a command that caught an interrupt, with what was stored; exits 130."""


# ----------------------------------------------------------------------------------------- exit policy
def _usage_errors() -> tuple[type[BaseException], ...]:
    classes = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            classes.append(__import__(module, fromlist=["ClickException"]).ClickException)
        except ImportError:
            continue
    return tuple(classes)


_USAGE_ERRORS = _usage_errors()

_HINTS = {
    errno.ENOSPC: "no space left on the device; free some space or write elsewhere",
    errno.EDQUOT: "disk quota exceeded; free some space or write elsewhere",
    errno.EACCES: "permission denied; choose a folder you can write to",
    errno.EPERM: "operation not permitted; choose a folder you can write to",
    errno.EROFS: "read-only file system; choose a folder you can write to",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder, not a file",
}


def os_error_line(exc: OSError) -> str:
    """One line naming the path and what went wrong."""
    path = exc.filename if exc.filename is not None else getattr(exc, "path", None)
    what = _HINTS.get(exc.errno or -1, exc.strerror or str(exc) or type(exc).__name__)
    target = f"{path}: " if path else ""
    if exc.filename2:
        target = f"{exc.filename} -> {exc.filename2}: "
    return f"error: {target}{what}"


def _on_sigterm(signum, frame):  # pragma: no cover - exercised through subprocess tests
    raise KeyboardInterrupt


def run_app(app: typer.Typer, argv: list[str] | None) -> int:
    """Run the Typer ``app`` on ``argv`` and map every outcome to an exit code (see the module docstring)."""
    _State.verbosity, _State.interrupt_reported = 1, False
    previous = None
    if argv is None:  # the console script: SIGTERM is an interrupt too (kill, timeout, batch schedulers)
        with _suppress():
            previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        rc = app(args=argv, standalone_mode=False, prog_name="spillover")
    except SpilloverError as exc:
        _write(f"error: {_one_line(exc)}")
        return EXIT_INPUT
    except Interrupted as exc:
        _write(_one_line(exc))
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        _write("interrupted")
        return EXIT_INTERRUPTED
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        _write("interrupted")
        return EXIT_INTERRUPTED
    except _USAGE_ERRORS as exc:  # a mistyped option or value: click's message on one line
        _write(f"error: {_one_line(exc.format_message())} (see spillover --help)")
        return int(getattr(exc, "exit_code", EXIT_INPUT) or EXIT_INPUT)
    except BrokenPipeError:  # `spillover ... | head`: the reader left; say nothing more
        with _suppress():
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ENVIRONMENT
    except MemoryError:
        _write("error: out of memory; use a coarser grid.cell_km, fewer countries or a shorter run")
        return EXIT_ENVIRONMENT
    except OSError as exc:
        _write(os_error_line(exc))
        return EXIT_ENVIRONMENT
    except SystemExit as exc:  # typer exits on EPIPE
        return exc.code if isinstance(exc.code, int) else EXIT_ENVIRONMENT
    finally:
        if previous is not None:
            with _suppress():
                signal.signal(signal.SIGTERM, previous)
    if rc == EXIT_INTERRUPTED and not _State.interrupt_reported:
        _write("interrupted")
    return rc if isinstance(rc, int) else EXIT_OK


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], (OSError, ValueError))


def interrupted(message: str) -> Interrupted:
    """The exception to raise after catching KeyboardInterrupt: ``raise interrupted("... stored ...")``."""
    _State.interrupt_reported = True
    return Interrupted(message)


# -------------------------------------------------------------------------------------------- options
class Format(str, enum.Enum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[Format, typer.Option(
    "--format", help="how tables are printed on stdout: an aligned table, strict JSON (an array of objects; null "
    "for missing) or CSV", case_sensitive=False)]
JsonFlag = Annotated[bool, typer.Option("--json", help="same as --format json")]
CsvFlag = Annotated[bool, typer.Option("--csv", help="same as --format csv")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="errors and data only: no progress, no messages")]
VerboseOption = Annotated[bool, typer.Option(
    "--verbose", "-v", help="more detail on stderr (run: the work estimate against the time taken; sweep: every "
    "failed run)")]


def choose_format(fmt: Format | str = Format.table, as_json: bool = False, as_csv: bool = False) -> str:
    """The format from ``--format`` and its ``--json``/``--csv`` shorthands (which may not disagree)."""
    chosen = {f for f, on in (("json", as_json), ("csv", as_csv)) if on}
    fmt = Format(fmt).value if not isinstance(fmt, Format) else fmt.value
    if len(chosen) > 1 or (chosen and fmt != "table" and fmt not in chosen):
        raise SpilloverError(f"--format {fmt}, --json and --csv disagree; give one of them")
    return chosen.pop() if chosen else fmt


# --------------------------------------------------------------------------------------------- tables
def _cell(value: Any) -> str:
    value = json_value(value)
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 1e4 and value == int(value) and abs(value) < 1e15:
            return f"{value:,.0f}"
        return f"{value:.6g}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    return str(value)


def render_table(frame, title: str | None = None, width: int | None = None) -> str:
    """An aligned plain-text table of ``frame``; rows become ``key: value`` blocks if it is wider than ``width``.

    Nothing is cut ("…") or wrapped: with no ``width`` (output not a terminal) lines are as long as they need.
    """
    headers = [str(c) for c in frame.columns]
    rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    numeric = [frame[c].dtype.kind in "iuf" for c in frame.columns]
    return render_rows(headers, rows, numeric, title, width)


def render_rows(headers: list[str], rows: list[list[str]], numeric: list[bool], title: str | None = None,
                width: int | None = None) -> str:
    """:func:`render_table` of a table given as its header, rows of cell strings and which columns are numbers
    (right-aligned), without pandas."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = [title] if title else []
    if width is not None and sum(widths) + 2 * (len(widths) - 1) > width:
        key = max(len(h) for h in headers) if headers else 0
        for index, row in enumerate(rows):
            if index:
                lines.append("")
            lines += [f"{h:<{key}}  {v}" for h, v in zip(headers, row)]
        return "\n".join(lines)

    def fmt(cells):
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)).rstrip()

    lines.append(fmt(headers))
    lines.append("  ".join("-" * w for w in widths))
    lines += [fmt(r) for r in rows]
    return "\n".join(lines)


def table_width(stream) -> int | None:
    """The terminal's width when ``stream`` is one, else None (lines as long as they need)."""
    terminal = getattr(stream, "isatty", lambda: False)()
    return shutil.get_terminal_size((80, 24)).columns if terminal else None


def emit_table(frame, fmt: str = "table", title: str | None = None, stream=None) -> None:
    """Print a table of data on stdout as ``table``, strict ``json`` (array of objects) or ``csv``.

    Examples
    --------
    >>> import pandas as pd
    >>> emit_table(pd.DataFrame({"country": ["MLI"], "first_crossing": [None]}), "json")
    [{"country": "MLI", "first_crossing": null}]
    """
    stream = stream if stream is not None else sys.stdout
    fmt = Format(fmt).value
    if fmt == "json":
        records = [dict(zip(map(str, frame.columns), row)) for row in frame.itertuples(index=False, name=None)]
        text = dumps_strict(records)
    elif fmt == "csv":
        buffer = io.StringIO()
        plain = frame.copy()
        for column in plain.columns:
            if plain[column].dtype == object or plain[column].dtype.kind == "M":
                plain[column] = [json_value(v) for v in plain[column]]
        plain.to_csv(buffer, index=False, lineterminator="\n")
        text = buffer.getvalue().rstrip("\n")
    else:
        text = render_table(frame, title, table_width(stream))
    print(text, file=stream, flush=True)


# ------------------------------------------------------------------------------------------ help text
_READABLE = {"int": "INTEGER", "float": "NUMBER", "str": "TEXT", "path": "PATH", "Path": "PATH", "bool": None,
             "list[str]": "TEXT", "list[path]": "PATH", "list[Path]": "PATH", "list[int]": "INTEGER"}


def readable_metavars() -> None:
    """Help shows ``INTEGER``, ``PATH``, ``TEXT`` (and nothing for flags) instead of ``<int>``, ``<list[str]>``.

    Typer ≥ 0.2x prints Python type names; a parameter with an explicit ``metavar`` is shown as written.
    """
    try:
        from typer.core import TyperArgument, TyperOption
    except ImportError:  # pragma: no cover
        return
    for cls in (TyperOption, TyperArgument):
        original = getattr(cls, "display_type_rich", None)
        if original is None or getattr(original, "_readable", False):
            continue

        def display(self, ctx, _original=original):
            if getattr(self, "is_flag", False) and not getattr(self, "metavar", None):
                return None
            text = _original(self, ctx)
            if isinstance(text, str) and text.startswith("<") and text.endswith(">"):
                inner = text[1:-1]
                return _READABLE.get(inner, inner.upper())
            return text

        display._readable = True
        cls.display_type_rich = display
