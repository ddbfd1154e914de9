"""Simulation of sahel-spillover: scenarios, the reaction-diffusion model, runs, outputs, figures and sweeps.

Scenario scripts use the same API as the command line::

    from sim import Scenario, run
    s = Scenario.load("scenarios/withdrawal.toml")
    result = run(s)                          # the result as data: result.dataset (xarray), .series, .crossings
    run(s, out="runs/withdrawal")            # the same, and a run folder (risk.nc, countries.csv, ...)

:func:`run_ensemble` runs several scenarios on one grid in one kernel pass. ``help(sim.run)`` shows the options.
"""
from importlib.metadata import PackageNotFoundError, version as _version

from geo.lazyblas import install as _install_lazy_blas

_install_lazy_blas()  # numba starts without importing scipy.linalg (see geo.lazyblas)

try:
    __version__ = _version("sahel-spillover")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

_EXPORTS = {"Scenario": "sim.scenario", "run": "sim.runner", "run_ensemble": "sim.runner", "RunResult": "sim.runner"}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    """``Scenario``, ``run``, ``run_ensemble`` and ``RunResult`` are imported on first use: ``import sim`` and the
    CLI's help stay fast."""
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_EXPORTS])
