"""Simulation of sahel-spillover: scenarios, the reaction-diffusion model, runs, outputs, figures and sweeps.

Scenario scripts use the same API as the command line::

    from sim import Scenario, run
    result = run(Scenario.load("scenarios/withdrawal.toml"), out="runs/withdrawal")
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("sahel-spillover")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

_EXPORTS = {"Scenario": "sim.scenario", "run": "sim.runner", "RunResult": "sim.runner"}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    """``Scenario``, ``run`` and ``RunResult`` are imported on first use: the CLI's help stays fast."""
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
