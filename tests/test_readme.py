"""The README's statements that can drift from the code: the model table's defaults are the scenario's defaults."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.scenario import Scenario

README = Path(__file__).resolve().parent.parent / "README.md"


def _model_table() -> list[tuple[list[str], list[float]]]:
    """(keys, default numbers) of each row of the table under '## The model' that names scenario keys."""
    text = README.read_text()
    section = text[text.index("## The model"):text.index("## Running scenarios")]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[2].startswith("`"):
            continue
        keys = re.findall(r"`([a-z_]+\.[a-z0-9_.]+)`", cells[2])
        default = cells[3].replace("per 1,000", "")  # the troops' unit, not a value
        numbers = [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", default)]
        rows.append((keys, numbers))
    return rows


def test_the_model_table_lists_the_scenario_defaults():
    rows = _model_table()
    assert len(rows) >= 8
    defaults = Scenario()
    checked = 0
    for keys, numbers in rows:
        assert len(keys) == len(numbers), (keys, numbers)
        for key, number in zip(keys, numbers):
            value = defaults.get(key)
            if isinstance(value, dict):  # per-entry values (diffusion.permeability): none set, the stated value holds
                assert value == {}, key
                continue
            assert float(value) == pytest.approx(number), key
            checked += 1
    assert checked >= 13


def test_the_run_folder_table_states_the_default_threshold():
    text = " ".join(README.read_text().split())
    assert f"`output.threshold` ({Scenario().output.threshold:g})" in text
    assert f"threshold for \"at risk\" is `output.threshold = {Scenario().output.threshold:g}`" in text
