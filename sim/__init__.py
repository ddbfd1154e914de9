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

from sim.scenario import Scenario  # noqa: E402
from sim.runner import RunResult, run  # noqa: E402

__all__ = ["__version__", "Scenario", "run", "RunResult"]
