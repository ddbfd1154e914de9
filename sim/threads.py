"""How many numba threads a kernel call uses: fewer on small grids, where waking threads costs more than it saves."""
from __future__ import annotations

from contextlib import contextmanager

import numba
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
