"""The public API teaches: numpydoc sections with examples, and the examples that run offline are run here."""
from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

import sim

MODULES = ["sim.scenario", "sim.output", "sim.outdir", "sim.strict_json", "sim.progress", "sim.cli.common", "sim.cli"]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("function", ["run", "run_ensemble", "Scenario.load", "Scenario.replace",
                                      "RunResult.first_crossing", "sweep.run_ensemble"])
def test_public_functions_have_parameters_returns_and_examples(function):
    importlib.import_module("sim.sweep")
    obj = sim
    for part in function.split("."):
        obj = getattr(obj, part)
    doc = inspect.getdoc(obj)
    for section in ("Parameters", "Returns", "Examples"):
        assert f"{section}\n----" in doc, (function, section)
    assert ">>> " in doc


def test_help_of_sim_run_shows_out_none_and_the_dataset():
    doc = inspect.getdoc(sim.run)
    assert "None (default): write nothing" in doc and ".dataset" in doc and "force" in doc
