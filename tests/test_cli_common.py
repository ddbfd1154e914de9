"""CLI plumbing (sim.cli.common): exit codes, messages without markup, tables in three formats."""
from __future__ import annotations

import errno
import json
import math

import pandas as pd
import pytest
import typer

from geo.errors import SpilloverError
from sim.cli import main
from sim.cli.common import emit_table, interrupted, render_table, run_app


def _app(action):
    app = typer.Typer()

    @app.command()
    def go() -> None:
        action()

    @app.command()
    def other() -> None:
        pass

    return app


def _raise(exc):
    def action():
        raise exc
    return action


def _interrupt():
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        raise interrupted("interrupted: 3 runs are stored in out/") from None


@pytest.mark.parametrize("action, code, message", [
    (_raise(SpilloverError("a.toml: growth [growth] [[add]] [km] must be a table\nsecond line")), 2,
     "error: a.toml: growth [growth] [[add]] [km] must be a table second line"),
    (_raise(PermissionError(errno.EACCES, "Permission denied", "/root/x")), 1,
     "error: /root/x: permission denied; choose a folder you can write to"),
    (_raise(OSError(errno.ENOSPC, "No space left on device", "/mnt/full/risk.nc")), 1,
     "error: /mnt/full/risk.nc: no space left on the device; free some space or write elsewhere"),
    (_raise(KeyboardInterrupt()), 130, "interrupted"),
    (_interrupt, 130, "interrupted: 3 runs are stored in out/"),
    (_raise(typer.Exit(3)), 3, ""),
    (_raise(MemoryError()), 1, "error: out of memory"),
])
def test_exit_code_policy(capsys, action, code, message):
    assert run_app(_app(action), ["go"]) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == (1 if message else 0)
    if message:
        assert lines[0].startswith(message)


def test_usage_errors_are_one_line_exit_2(capsys):
    assert main(["grid", "--cell-km", "abc"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and "--cell-km" in err


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("spillover (sahel-spillover) ")


FRAME = pd.DataFrame({"country": ["MLI", "BFA"], "first_crossing": ["2012-01-01", None],
                      "mean": [0.123456789, math.nan], "when": pd.to_datetime(["2020-01-31", None]),
                      "area_km2": [1_252_724.0, 272_769.0]})


def test_json_is_strict_with_null_and_iso_dates(capsys):
    emit_table(FRAME, "json")
    text = capsys.readouterr().out
    rows = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert rows[0] == {"country": "MLI", "first_crossing": "2012-01-01", "mean": 0.123456789, "when": "2020-01-31",
                       "area_km2": 1252724.0}
    assert rows[1]["first_crossing"] is None and rows[1]["mean"] is None and rows[1]["when"] is None


def test_csv_keeps_full_numbers(capsys):
    emit_table(FRAME, "csv")
    back = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert back["mean"][0] == 0.123456789 and back["when"][0] == "2020-01-31" and list(back.columns) == list(FRAME)


def test_a_narrow_terminal_gets_blocks_never_an_ellipsis():
    wide = render_table(FRAME, "title", width=None)
    assert "…" not in wide and "1,252,724" in wide and len(wide.splitlines()) == 5
    narrow = render_table(FRAME, "title", width=30)
    assert "…" not in narrow and "first_crossing  2012-01-01" in narrow and "area_km2        1,252,724" in narrow
    assert all(len(line) <= 30 for line in narrow.splitlines())
