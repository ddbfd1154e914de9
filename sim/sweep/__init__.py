"""Parameter sweeps: designs, ensemble batches run in worker processes or on a Dask cluster, a resumable store.

A sweep varies numeric scenario keys (dotted paths, ``Scenario.numeric_parameters``) over ranges, runs every
design point (times ``replicates`` seeds) and stores one row of metrics per run::

    spillover sweep scenarios/withdrawal.toml --param growth.weight_coups=0:0.5 \\
        --param suppression.exit_shift_days=-730:730 --method sobol --n 64 --out sweeps/exit

Design (:class:`SweepConfig`)
    ``grid``: ``n`` evenly spaced levels per parameter, every combination (``n ** D`` points, first parameter
    slowest). ``lhs``: ``n`` points of a Latin hypercube (``SALib.sample.latin``). ``sobol``: Saltelli's scheme on a
    scrambled Sobol' sequence (``SALib.sample.sobol``), ``n`` base samples (a power of 2), ``n (D + 2)`` points, or
    ``n (2 D + 2)`` with second-order indices. ``morris``: ``n`` trajectories on a ``levels``-level grid
    (``SALib.sample.morris``), ``n (D + 1)`` points. Integer keys (``suppression.exit_shift_days``,
    ``scenario.output_every_days``) are rounded to whole numbers when a run is built (the design keeps the
    unrounded values, which the Sobol'/Morris estimators use). ``scenario.seed`` is not a parameter: each run gets
    its own seed, ``seed = base seed + run index``, recorded in the results; replicates of a design point differ
    only in their seed (which matters where the scenario uses ``initial.noise``).

Runs and batches
    Run ``i`` (``run_id = "r%06d" % i``) is replicate ``i % R`` of design point ``i // R``. Runs that share a grid
    and a calendar (``grid.cell_km``, ``scenario.output_every_days`` after rounding; everything else that must be
    equal within an ensemble is fixed by the scenario) are cut into batches of ``batch`` runs; a worker integrates
    a batch's members in one kernel call per segment (:func:`sim.model.integrate`'s ensemble axis), so at 10 km a
    sweep is limited by the kernel's arithmetic, not by Python. Within a batch, members are integrated together
    only if they step alike (same sub-steps per day), so a run's numbers do not depend on which batch it lands in:
    a resumed or rebatched sweep gives bit-identical metrics.

Metrics (:class:`Metrics`), computed in the snapshot callback from the state (``np.bincount`` by country id; no
time series is kept), with the definitions of :mod:`sim.output`:
    ``cross_days_<ISO>``: days from the start to the first snapshot at which at least
    ``output.crossing_area_fraction`` of the country's area has risk ≥ ``output.threshold`` (NaN if never, or the
    run length + 1 with ``censor``); ``crossed_<ISO>``: whether it crossed; ``cross_date_<ISO>``: that snapshot's
    ISO date (empty if never); ``mean_risk_<ISO>_<H>`` and
    ``area_at_risk_km2_<ISO>_<H>`` at each horizon ``H`` (``end`` = the last day, or an ISO date: the last
    snapshot at or before it). The time resolution is the scenario's ``output_every_days``.

Execution (:func:`run_sweep`)
    Local (default): a ``concurrent.futures.ProcessPoolExecutor`` of ``workers`` long-lived processes (spawned,
    because numba's OpenMP runtime is not fork-safe), each warmed once by an initializer that loads the kernels
    from numba's cache (compiling them only if the cache is cold) and splits the cores between workers. It is
    preferred over a Dask ``LocalCluster`` here: the sweep is a plain map of independent batches, and the pool
    needs no scheduler, nanny or ports and starts in the time it takes to import the package.
    ``scheduler="tcp://host:port"``: the same batch tasks go to an existing ``dask.distributed`` cluster through
    ``Client(address)``; every worker is warmed once with ``client.run``. Start workers with ``--nthreads 1`` and
    split the cores between worker processes with ``NUMBA_NUM_THREADS`` (the kernel is parallel itself, and kernel
    calls in one process are serialised), e.g. on a 16-core node ``NUMBA_NUM_THREADS=4 dask worker ADDRESS
    --nworkers 4 --nthreads 1``. Workers need the package installed
    and the files the scenario names (``initial.state``); the documents are read once here and sent with the
    tasks. ``workers=0`` runs the batches in this process (tests, debugging). At most ``2 × workers`` batches are in
    flight at any time.

Store (:class:`ResultStore`), in the folder ``out``:
    ``sweep.json``: the spec (resolved scenario, parameters, method, n, seed, replicates, metrics, the design
    matrix and the SALib call that made it, package versions). ``results.parquet``: one row per run (``run_id``,
    ``point``, ``replicate``, the parameter columns by dotted name, ``seed``, ``status`` "ok"/"failed", ``error``,
    ``seconds`` (the run's share of its batch's time), ``days``, ``substeps``, the metrics). Each finished batch is
"""
from sim.sweep.batch import (BATCH_KEYS, BatchTask, balanced_batch, batch_key, plan_batches, run_batch, scenario_for,
                             warm_worker)
from sim.sweep.design import (METHODS, MODELS, RESERVED, SPEC_KEYS, Param, RunSpec, SweepConfig, parse_param,
                              parse_set, run_id, sweep_parameters)
from sim.sweep.ishigami import ISHIGAMI_PARAMETERS, ishigami_indices
from sim.sweep.metrics import DEFAULT_COUNTRIES, DEFAULT_HORIZONS, Metrics, check_horizons, default_horizons
from sim.sweep.run import SweepOutcome, run_sweep
from sim.sweep.store import (LOCK_FILE, PARTS_DIR, RESULTS_FILE, SWEEP_FILE, ResultStore, config_from_spec,
                             load_sweep, rows_frame)
