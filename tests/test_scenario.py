"""Scenario loading and validation: every scenario in scenarios/ loads; bad ones fail naming file, key and range."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from geo.errors import SpilloverError
from sim.scenario import Scenario

SCENARIOS = sorted(Path(__file__).resolve().parent.parent.joinpath("scenarios").glob("*.toml"))


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_four_scenarios_exist():
    names = {p.stem for p in SCENARIOS}
    assert {"withdrawal", "stay", "early_exit", "late_exit"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_loads_and_round_trips(path):
    scenario = Scenario.load(path)
    assert scenario.scenario.name == path.stem
    again = Scenario.from_dict(scenario.to_dict(), base_dir=scenario.base_dir)
    assert again == scenario


def test_extends_changes_only_what_it_lists():
    base = Scenario.load(SCENARIOS[0].parent / "withdrawal.toml")
    early = Scenario.load(SCENARIOS[0].parent / "early_exit.toml")
    stay = Scenario.load(SCENARIOS[0].parent / "stay.toml")
    assert early.suppression.exit_shift_days == -730 and base.suppression.exit_shift_days == 0
    assert stay.suppression.forces_stay and not base.suppression.forces_stay
    assert early.growth == base.growth and early.diffusion == base.diffusion
    assert early.suppression.contingent_sizes == base.suppression.contingent_sizes


def test_defaults_give_a_front_of_about_70_km_per_year_where_people_live():
    s = Scenario()  # Fisher-KPP c = 2 sqrt((r0 - delta) kappa) with p -> 1 and no suppression
    speed = 2 * ((s.growth.base_rate_per_year - s.growth.loss_per_year) * s.diffusion.kappa_km2_per_year) ** 0.5
    assert speed == pytest.approx(70.7, abs=0.1)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[growth]\nbase_rate_per_year = -1.0\n", ["s.toml", "growth.base_rate_per_year", "-1.0", "≥ 0", "1/year"]),
        ("[growth]\nbase_rate = 1.0\n", ["s.toml", "unknown key", "base_rate", "base_rate_per_year"]),
        ("[growht]\n", ["s.toml", "unknown table", "growht", "growth"]),
        ("[grid]\ncountries = ['MLI', 'XYZ']\n", ["s.toml", "XYZ", "valid ADM0_A3", "BFA"]),
        ("[grid]\ncell_km = 0\n", ["grid.cell_km", "> 0"]),
        ("[diffusion.permeability]\n'MLI-FRA' = 0.0\n", ["MLI-FRA", "two different modelled countries"]),
        ("[diffusion.permeability]\n'MLI-BFA' = -1\n", ["MLI-BFA", "≥ 0"]),
        ("[scenario]\nstart = 2020-01-01\nend = 2019-01-01\n", ["scenario.end", "after scenario.start"]),
        ("[scenario]\nstart = 'yesterday'\n", ["scenario.start", "ISO date"]),
        ("[scenario]\noutput_every_days = 1.5\n", ["output_every_days", "whole number"]),
        ("[suppression]\nforces_stay = 'yes'\n", ["forces_stay", "true or false"]),
        ("[output]\ndtype = 'float16'\n", ["output.dtype", "float32"]),
        ("[output]\ngeotiff_days = ['2040-01-01']\n", ["geotiff_days", "outside the run"]),
        ("[initial]\nrisk = 2\n", ["initial.risk", "≤ 1"]),
        ("[suppression.contingent_sizes]\nBarkhane = -5\n", ["contingent_sizes.Barkhane", "≥ 0"]),
        ("not toml = = 1", ["s.toml", "not valid TOML"]),
        ("extends = 'missing.toml'\n", ["missing.toml", "does not exist"]),
    ],
)
def test_bad_scenarios_fail_with_a_clear_message(tmp_path, text, expected):
    with pytest.raises(SpilloverError) as info:
        Scenario.load(write(tmp_path, text))
    for fragment in expected:
        assert fragment in str(info.value)


def test_missing_file_names_it(tmp_path):
    with pytest.raises(SpilloverError, match="nope.toml does not exist"):
        Scenario.load(tmp_path / "nope.toml")


def test_extends_loop_is_reported(tmp_path):
    write(tmp_path, "extends = 'b.toml'\n", "a.toml")
    write(tmp_path, "extends = 'a.toml'\n", "b.toml")
    with pytest.raises(SpilloverError, match="loops back"):
        Scenario.load(tmp_path / "a.toml")


def test_replace_validates_again_and_rejects_unknown_keys():
    s = Scenario()
    assert s.replace(**{"growth.weight_coups": 0.5}).growth.weight_coups == 0.5
    with pytest.raises(SpilloverError, match="growth.base_rate_per_year"):
        s.replace(**{"growth.base_rate_per_year": -2.0})
    with pytest.raises(SpilloverError, match="unknown scenario key 'growth.nope'"):
        s.replace(**{"growth.nope": 1})


def test_replace_sets_one_entry_of_a_dictionary_valued_key():
    base = Scenario().replace(**{"suppression.contingent_sizes": {"MINUSMA": 12000}})
    changed = base.replace(**{"suppression.contingent_sizes.Barkhane": 3000})
    assert changed.suppression.contingent_sizes == {"MINUSMA": 12000, "Barkhane": 3000}  # the other entry kept
    assert changed.get("suppression.contingent_sizes.Barkhane") == 3000
    assert base.suppression.contingent_sizes == {"MINUSMA": 12000}  # replace() returns a new scenario
    assert changed.replace(**{"growth.country_factor.MLI": 1.5}).growth.country_factor == {"MLI": 1.5}
    with pytest.raises(SpilloverError, match=r"suppression.contingent_sizes.Barkhane = -1; valid: a troop count"):
        base.replace(**{"suppression.contingent_sizes.Barkhane": -1})


def test_numeric_parameters_carry_units_and_defaults():
    params = Scenario.numeric_parameters()
    assert params["diffusion.kappa_km2_per_year"]["units"] == "km²/year"
    assert params["growth.base_rate_per_year"]["default"] == 0.6
    assert "grid.countries" not in params and "suppression.forces_stay" not in params


def test_relative_paths_resolve_against_the_scenario_file(tmp_path):
    path = write(tmp_path, "[documents]\nseeds = 'docs'\n")
    s = Scenario.load(path)
    assert s.resolve_path(s.documents.seeds) == tmp_path.resolve() / "docs"
    assert s.days == (dt.date(2027, 1, 1) - dt.date(2012, 1, 1)).days
