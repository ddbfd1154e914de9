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
    nthreads = numba.get_num_threads()
    use = max(1, min(nthreads, cells // max(1, per)))
    if use == nthreads:
        yield nthreads
        return
    numba.set_num_threads(use)
    try:
        yield use
    finally:
        numba.set_num_threads(nthreads)
