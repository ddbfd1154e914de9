"""How many numba threads a kernel call uses: fewer on small grids, where waking threads costs more than it saves."""
from __future__ import annotations

import os
from contextlib import contextmanager

#: How long an idle OpenMP thread spins before it sleeps (libgomp's ``GOMP_SPINCOUNT``), unless the user set it or
#: ``OMP_WAIT_POLICY``. The kernel meets a barrier every step (5,479 at the default run's one step a day); with
#: libgomp's default of 300,000 spins, a thread that spins while a thread it waits for is descheduled (another
#: process on the core, or the run's own writer thread) costs a scheduler time slice per barrier: on the 2-core
#: development machine under another job's load the default run's kernel loop took 2-13 s instead of 0.5-0.8 s
#: (calls of 0.25 s instead of 0.01-0.04 s). 3,000 spins kept the quiet loop's speed (0.59 s against 0.59 s in
#: process) and removed those stalls. Read by libgomp when it loads (numba's first parallel call), so set at import.
SPINCOUNT = "3000"
if "GOMP_SPINCOUNT" not in os.environ and "OMP_WAIT_POLICY" not in os.environ:
    os.environ["GOMP_SPINCOUNT"] = SPINCOUNT

import numba  # noqa: E402  (after the setting above)
import numpy as np

#: The floating types the kernels take.
FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

#: Fewest cells per numba thread per step (see :func:`threads_for`).
CELLS_PER_THREAD = 2**15


@contextmanager
def threads_for(cells: int, cells_per_thread: int | None = None):
    """Use at most one numba thread per ``cells_per_thread`` cells (default :data:`CELLS_PER_THREAD`): on small
    grids a parallel region costs more (thread wake-up and barrier, each step) than it saves. Yields the thread
    count in use and restores the caller's.

    Examples
    --------
    >>> with threads_for(100) as n:
    ...     n
    1
    """
    per = CELLS_PER_THREAD if cells_per_thread is None else cells_per_thread
    with _at_most(cells // max(1, per)) as use:
        yield use


@contextmanager
def _at_most(limit: int):
    """numba's thread count capped at ``limit`` (at least one) for the block; yields the count in use and
    restores the caller's."""
    nthreads = numba.get_num_threads()
    use = max(1, min(nthreads, limit))
    if use == nthreads:
        yield nthreads
        return
    numba.set_num_threads(use)
    try:
        yield use
    finally:
        numba.set_num_threads(nthreads)


def usable_cores() -> int:
    """CPUs this process may run on (its affinity where the platform tells, else ``os.cpu_count()``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@contextmanager
def beside(busy: int = 1):
    """Use at most ``usable_cores() - busy`` numba threads (at least one) while ``busy`` other processes of the
    same run compute (the writer child of :mod:`sim.writerproc`); yields the thread count in use and restores the
    caller's.

    On the 2-core machine a parallel kernel on both cores with the writer child busy on one of them waits at
    every pass's barrier for the thread the child displaced: the default run took 2.6-3.3 s (median 2.8 s) with
    two kernel threads and 2.3-2.9 s (median 2.5 s) with one, the child then having a core of its own
    (benchmarks/results_run.md). The results are the same bits whatever the thread count.
    """
    with _at_most(usable_cores() - int(busy)) as use:
        yield use
