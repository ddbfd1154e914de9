"""Parameter sweeps, sensitivity indices, and the ensemble batch engine that calibration and forecasts use too.

A sweep varies numeric scenario keys (dotted paths, ``Scenario.numeric_parameters``) over ranges, runs every
design point (times ``replicates`` seeds) and stores one row of metrics per run::

    spillover sweep scenarios/withdrawal.toml --param growth.weight_coups=0:0.5 \\
        --param suppression.exit_shift_days=-730:730 --method sobol --n 64 --out sweeps/exit

One concept per module:

:mod:`sim.sweep.design`
    swept parameters and their parsing, the designs (grid, SALib's Latin hypercube, Sobol'/Saltelli, Morris), run
    ids and seeds (``seed = base seed + run index``), the spec ``sweep.json`` records.
:mod:`sim.sweep.batch`
    the ensemble batch engine: :func:`run_ensemble` integrates many variants of one scenario as ensemble members
    in few kernel passes and returns per-member arrays from a pluggable accumulator (the API calibration calls).
:mod:`sim.sweep.reduce`, :mod:`sim.sweep.metrics`, :mod:`sim.sweep.aggregates`
    per-unit reductions of the ensemble state (numba, with a numpy reference); the sweep's metrics (crossing
    days, mean risk and area at risk at horizons: :class:`CountryMetrics`); per-unit, per-year sums of risk and
    risk × exposure (:class:`UnitYearSums`).
:mod:`sim.sweep.execute`
    where batches run: :class:`Inline`, :class:`LocalPool` (spawned worker processes that die with their parent),
    :class:`DaskPool` (an existing ``dask.distributed`` cluster; optional dependency).
:mod:`sim.sweep.inputs`, :mod:`sim.sweep.store`
    content hashes of every input; the resumable results store (``sweep.json``, ``results.parquet``, ``parts/``).
:mod:`sim.sweep.run`, :mod:`sim.sweep.dryrun`
    :func:`run_sweep` (design → batches → executor → store, with a progress bar); ``--dry-run``'s first design
    rows and time estimate.
:mod:`sim.sweep.sensitivity`, :mod:`sim.sweep.ishigami`
    Sobol' and Morris indices of a stored sweep with their figure; the Ishigami test function.

Names are imported on first use (``from sim.sweep import run_sweep``), so ``import sim.sweep`` is cheap.
"""
from __future__ import annotations

_EXPORTS = {
    "sim.sweep.batch": ("BATCH_KEYS", "DEFAULT_BATCH", "BatchContext", "BatchResult", "EnsembleBatch",
                        "EnsembleResult", "Member", "NoMetrics", "balanced_batch", "batch_key", "integrate_batch",
                        "iter_ensemble", "plan_members", "read_inputs", "run_ensemble"),
    "sim.sweep.design": ("MAX_SEED", "METHODS", "MODELS", "RESERVED", "SPEC_KEYS", "Param", "RunSpec",
                         "SweepConfig", "parse_param", "parse_set", "run_id", "sweep_parameters"),
    "sim.sweep.metrics": ("DEFAULT_COUNTRIES", "DEFAULT_HORIZONS", "CountryMetrics", "Metrics", "check_horizons",
                          "default_horizons"),
    "sim.sweep.aggregates": ("UnitYearSums",),
    "sim.sweep.reduce": ("UnitIndex", "unit_sums", "unit_sums_numpy"),
    "sim.sweep.execute": ("DaskPool", "Inline", "LocalPool", "WorkersLost", "check_scheduler_address",
                          "executor_for", "require_dask", "warm_worker"),
    "sim.sweep.inputs": ("input_differences", "input_fingerprints"),
    "sim.sweep.store": ("PARTS_DIR", "RESULTS_FILE", "SWEEP_FILE", "ResultStore", "config_from_spec",
                        "load_sweep", "rows_frame"),
    "sim.sweep.run": ("SweepBatch", "SweepOutcome", "plan_batches", "run_batch", "run_sweep", "scenario_for"),
    "sim.sweep.dryrun": ("Estimate", "estimate", "design_preview"),
    "sim.sweep.ishigami": ("ISHIGAMI_PARAMETERS", "ishigami_indices"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim.sweep' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
