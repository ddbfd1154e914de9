r"""FROZEN BASELINE: the model kernel of sim/kernel.py as it was before the per-cell-field kernel (commit b4611e7).

Kept verbatim (less the plain Fisher-KPP kernels, now in sim/fisher_kpp.py, and the exports) so that
benchmarks/bench_kernel.py can show, in one process, what the new kernel costs against today's on the real grid
(issue 15, item 7: "no more than 30% slower per cell update than today's kernel there"). Do not change it; do not
use it outside the benchmarks and the test that checks it still computes the same model (tests/test_kernel.py).

Its model: ``u_new = u + coef * lap + u * ((dt * r_tab[c]) * (1 - u) - dt * sigma_tab[c])`` with per-country
tables, ``lap`` over the 4 neighbours with ``perm[c, c_nb]`` looked up per face. The original docstring follows.


Model
-----
For the insurgency-risk density ``u(x, t)`` (dimensionless, ``0 <= u <= 1``)::

    du/dt = div(kappa grad u) + r(x) u (1 - u) - sigma(x, t) u

* ``kappa``  diffusivity, km² / day (one value per ensemble member, scaled on each border by ``perm``),
* ``r``      logistic growth rate, 1 / day (one value per country),
* ``sigma``  suppression rate (e.g. by foreign or national troops), 1 / day (one value per country),
* ``dx``     cell side, km; ``dt`` time step, days.

The grid is equal-area with square cells, so the Laplacian needs no metric terms. The flux is zero through the
grid edge and into cells outside the mask (cells whose country id ``cid`` is 0).

Discretisation (conservative 5-point flux form, explicit Euler)
---------------------------------------------------------------
Every cell carries a country id ``cid`` (uint8; 0 = not modelled). The diffusivity on the face between two
modelled cells with ids ``a`` and ``b`` is ``kappa * perm[a, b]``, where ``perm`` is a small symmetric
``(n+1) x (n+1)`` table: ``perm[a, a] = 1`` inside a country, ``0 <= perm[a, b]`` across a border
(``perm[a, b] = 0`` closes that border) and ``perm[0, :] = perm[:, 0] = 0``, so nothing flows into or out of
unmodelled cells. With ``coef = kappa dt / dx²`` the update of a modelled cell with id ``c`` is::

    lap   = sum over the 4 neighbours nb (N, S, W, E, summed in that order) of perm[c, c_nb] * (u_nb - u)
    u_new = u + coef * lap + dt * (r_tab[c] * u * (1 - u) - sigma_tab[c] * u)

evaluated, in every implementation here, as
``u + coef * lap + u * ((dt * r_tab[c]) * (1 - u) - dt * sigma_tab[c])`` (two fewer operations per cell). The
numba kernel (no fastmath, so no FMA contraction or reassociation) and the numpy reference do the same operations
in the same order; on x86-64 they agree bit for bit, and the tests hold them to a few ulps.

A neighbour outside the grid is replaced by the cell itself (a mirror ghost cell), so it contributes
``perm[c, c] * (u - u) = 0`` exactly: zero flux through the grid edge. Cells with ``cid == 0`` are set to 0.
Since ``perm`` is symmetric, the flux leaving a cell through a face is the flux entering its neighbour, so pure
diffusion conserves ``sum(u)`` to rounding.

The growth and suppression rates are looked up per country (``r_tab[cid]``, ``sigma_tab[cid]``), so a cell update
reads ``u`` (4 B in float32), its country id (1 B) and writes ``u`` (4 B): at most 10 bytes of memory traffic per
cell update (neighbour values come from cache), and less with temporal blocking (below).

How the numba kernel is fast
----------------------------
* Runs of cells whose whole neighbourhood lies in one country (with ``perm[c, c] = 1``) take a branch-free loop
  with scalar coefficients that LLVM vectorises (AVX2: 8 float32 cells per instruction). Which 64-column chunks
  of each row qualify depends on ``cid`` only and is worked out once per :func:`advance` call
  (:func:`_uniform_chunks`); borders, coasts and the first and last column take the general per-face loop. Since
  ``1 * x == x`` exactly, both loops give bit-identical results.
* Rows are addressed by offsets into flat arrays, not as row views (a view costs an atomic reference count, and
  two threads counting on one array contend for a cache line), with unsigned column indices (no negative-index
  wraparound, which stops vectorisation).
* Temporal blocking (``advance(..., block=k)``): each thread advances its strip of rows ``k`` steps per sweep, as
  a wavefront through a small ring buffer that stays in cache, recomputing the ``k``-row halos at strip edges.
  Main memory then sees one read and one write of the state per ``k`` steps instead of per step; this is what
  lifts the memory-bandwidth wall on grids larger than the cache. Results are bit-identical to ``block=1``.
* Small grids run on fewer threads (at least 32 768 cells per thread): below that, waking threads and meeting at
  the barrier costs more than the work.

Stability and positivity
------------------------
If ``4 coef max(perm) + dt max(r, sigma) <= 1`` (and ``r, sigma >= 0``), then ``u`` in ``[0, 1]`` stays in
``[0, 1]`` without clipping. Proof: write ``a = coef sum_nb perm[c, c_nb] <= 4 coef max(perm)``. Then::

    u_new = (1 - a) u + coef sum_nb perm[c, c_nb] u_nb + dt r u (1 - u) - dt sigma u

* lower bound: ``u_nb >= 0`` and ``r u (1 - u) >= 0`` give ``u_new >= (1 - a - dt sigma) u >= 0``;
* upper bound: ``u_nb <= 1`` and ``sigma u >= 0`` give ``u_new <= g(u) = (1 - a) u + a + dt r u (1 - u)``, and
  ``g'(u) = 1 - a + dt r (1 - 2u) >= 1 - a - dt r >= 0`` on ``[0, 1]``: ``g`` is increasing, so
  ``u_new <= g(1) = 1``.

For pure diffusion the bound ``coef <= 1/4`` is also the von Neumann bound: the checkerboard mode is multiplied
by ``1 - 8 coef`` per step and grows once ``coef > 1/4``. :func:`stable_dt` returns the largest ``dt`` allowed by
the bound, times a safety factor; :func:`substeps` splits an output interval into equal steps below it.

Ensembles and arrays
--------------------
The state is ``u`` of shape ``(m, ny, nx)`` for ``m`` ensemble members (``m = 1`` for a single run), float32 by
default (float64 accepted; then every float array must be float64). Every member has its own tables:
``perm (m, n+1, n+1)``, ``r_tab (m, n+1)``, ``sigma_tab (m, n+1)`` and ``coef (m,)`` (its own kappa, one common
``dt``); the country ids ``cid (ny, nx)`` uint8 are shared. :func:`prepare` builds these arrays from plain inputs.

:func:`advance` runs ``nsteps`` steps in numba (parallel over (member, row), or (member, strip) when blocking),
ping-ponging between ``u`` and ``buf`` without allocating state, and returns whichever of the two holds the
result. :func:`advance_numpy` is the plain numpy reference with the same signature and the same arithmetic, in
the same order.

:func:`fisher_kpp_advance` (numba) and :func:`fisher_kpp_advance_numpy` step the plain Fisher-KPP equation
``du/dt = D laplace(u) + r u (1 - u)`` (uniform coefficients, no mask, zero-flux edges) for the benchmarks.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import NamedTuple

import numba
import numpy as np
from numba import njit, prange, uint64


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

#: Columns per chunk when looking for runs of cells whose whole neighbourhood lies in one country.
_CHUNK = 16
#: Chunk flag of a chunk whose cells are all outside the mask (country ids are < 255: ``geo.grid`` uses uint8
#: ids only below 255 countries).
_EMPTY = 255

#: Padding (elements) of the rows of the temporal-blocking ring buffer, against cache-set aliasing.
_RING_PAD = 16

#: State size (u and buf) up to which the plain kernel runs from cache (see :func:`auto_block`).
_CACHE_BYTES = 16 * 2**20

#: Fewest cells per numba thread per step (see :func:`_threads_for`).
_CELLS_PER_THREAD = 2**15


# ----------------------------------------------------------------------------------------------------------------
# Time step
# ----------------------------------------------------------------------------------------------------------------


def stable_dt(kappa, dx: float, r_max: float, sigma_max: float, perm_max: float = 1.0, safety: float = 0.9) -> float:
    """Largest ``dt`` (days) with ``4 kappa dt / dx² * perm_max + dt * max(r_max, sigma_max) <= 1``, times ``safety``.

    ``kappa`` (km²/day) may be an array (one per member): its maximum is used. ``dx`` in km, rates in 1/day.
    Under this bound the scheme keeps ``u`` in ``[0, 1]`` (see the module docstring); with ``safety = 1`` exactly,
    rounding may overshoot 0 or 1 by an ulp, the default margin leaves room for it. Returns ``inf`` when nothing
    limits the step (no diffusion, no reaction).
    """
    kappa_max = float(np.max(kappa))
    if dx <= 0 or kappa_max < 0 or r_max < 0 or sigma_max < 0 or perm_max < 0 or not 0 < safety <= 1:
        raise ValueError("stable_dt needs dx > 0, 0 < safety <= 1 and non-negative kappa, rates and perm_max")
    rate = 4.0 * kappa_max * perm_max / dx**2 + max(r_max, sigma_max)
    return math.inf if rate == 0 else safety / rate


def substeps(dt_out: float, dt_max: float) -> tuple[int, float]:
    """Split an output interval ``dt_out`` into ``n = ceil(dt_out / dt_max)`` equal steps: returns ``(n, dt_out / n)``.

    ``n`` is the smallest count with ``dt_out / n <= dt_max`` (guarding against the rounding of the division).
    """
    if not (dt_out > 0 and dt_max > 0):
        raise ValueError(f"substeps needs dt_out > 0 and dt_max > 0, got {dt_out!r}, {dt_max!r}")
    if math.isinf(dt_max):
        return 1, float(dt_out)
    n = max(1, math.ceil(dt_out / dt_max))
    while n > 1 and dt_out / (n - 1) <= dt_max:
        n -= 1
    while dt_out / n > dt_max:
        n += 1
    return n, dt_out / n


# ----------------------------------------------------------------------------------------------------------------
# Building the arrays
# ----------------------------------------------------------------------------------------------------------------


class KernelArgs(NamedTuple):
    """The arrays :func:`advance` takes, in its argument order: ``advance(*args, nsteps=...)``."""

    u: np.ndarray  # (m, ny, nx) state
    buf: np.ndarray  # (m, ny, nx) second buffer for the ping-pong
    cid: np.ndarray  # (ny, nx) uint8 country ids, 0 = not modelled
    perm: np.ndarray  # (m, n+1, n+1)
    r_tab: np.ndarray  # (m, n+1), 1/day
    sigma_tab: np.ndarray  # (m, n+1), 1/day
    coef: np.ndarray  # (m,) kappa dt / dx²
    dt: float  # days


def prepare(u0, cid, perm, r_tab, sigma_tab, kappa, dx: float, dt: float, dtype=np.float32) -> KernelArgs:
    """Cast and broadcast plain inputs into the C-contiguous arrays :func:`advance` takes (float32 by default).

    ``u0`` is ``(ny, nx)`` or ``(m, ny, nx)``; ``perm`` ``(n+1, n+1)`` or ``(m, n+1, n+1)``; ``r_tab`` and
    ``sigma_tab`` ``(n+1,)`` or ``(m, n+1)``; ``kappa`` (km²/day) a scalar or ``(m,)``. ``m`` is the largest member
    count among them; the others are broadcast to it. ``u0`` is copied and zeroed outside the mask.
    """
    dtype = np.dtype(dtype)
    if dtype not in _FLOATS:
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    cid = np.ascontiguousarray(cid)
    if cid.dtype != np.uint8 or cid.ndim != 2:
        raise ValueError(f"cid must be a 2-D uint8 array, got {cid.dtype} {cid.shape}")
    u0 = np.asarray(u0)
    u0 = u0[None] if u0.ndim == 2 else u0
    perm = np.asarray(perm)
    perm = perm[None] if perm.ndim == 2 else perm
    r_tab = np.atleast_2d(np.asarray(r_tab))
    sigma_tab = np.atleast_2d(np.asarray(sigma_tab))
    kappa = np.atleast_1d(np.asarray(kappa, dtype=np.float64))
    m = max(len(u0), len(perm), len(r_tab), len(sigma_tab), len(kappa))

    def members(a, name):
        if len(a) not in (1, m):
            raise ValueError(f"{name} has {len(a)} members, the others {m}")
        return np.array(np.broadcast_to(a, (m,) + a.shape[1:]), dtype=dtype, order="C")  # a writable copy

    u = members(u0, "u0")
    u[:, cid == 0] = 0
    coef = members(kappa * dt / dx**2, "kappa")
    return KernelArgs(u, np.zeros_like(u), cid, members(perm, "perm"), members(r_tab, "r_tab"),
                      members(sigma_tab, "sigma_tab"), coef, float(dt))


def _check(u, buf, cid, perm, r_tab, sigma_tab, coef, dt, nsteps):
    """Validate shapes, dtypes, layout and the structure of ``perm``; return ``(dt, one)`` typed like ``u``."""
    if not isinstance(u, np.ndarray) or u.ndim != 3:
        raise ValueError(f"u must be a (m, ny, nx) array, got {getattr(u, 'shape', type(u))}")
    dtype = u.dtype
    if dtype not in _FLOATS:
        raise ValueError(f"u must be float32 or float64, got {dtype}")
    m, ny, nx = u.shape
    if not isinstance(buf, np.ndarray) or buf.shape != u.shape or buf.dtype != dtype:
        raise ValueError(f"buf must match u: {u.shape} {dtype}, got {getattr(buf, 'shape', None)} "
                         f"{getattr(buf, 'dtype', None)}")
    if np.may_share_memory(u, buf):
        raise ValueError("u and buf must be distinct arrays")
    if not isinstance(cid, np.ndarray) or cid.shape != (ny, nx) or cid.dtype != np.uint8:
        raise ValueError(f"cid must be a ({ny}, {nx}) uint8 array, got {getattr(cid, 'shape', None)} "
                         f"{getattr(cid, 'dtype', None)}")
    if not isinstance(perm, np.ndarray) or perm.ndim != 3 or perm.shape[0] != m or perm.shape[1] != perm.shape[2]:
        raise ValueError(f"perm must be ({m}, n+1, n+1), got {getattr(perm, 'shape', None)}")
    n1 = perm.shape[1]
    for name, a, shape in (("perm", perm, (m, n1, n1)), ("r_tab", r_tab, (m, n1)),
                           ("sigma_tab", sigma_tab, (m, n1)), ("coef", coef, (m,))):
        if not isinstance(a, np.ndarray) or a.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {getattr(a, 'shape', type(a))}")
        if a.dtype != dtype:
            raise ValueError(f"{name} must have the dtype of u ({dtype}), got {a.dtype}")
    for name, a in (("u", u), ("buf", buf), ("cid", cid), ("perm", perm), ("r_tab", r_tab),
                    ("sigma_tab", sigma_tab), ("coef", coef)):
        if not a.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous")
    if np.any(perm[:, 0, :] != 0) or np.any(perm[:, :, 0] != 0):
        raise ValueError("perm[:, 0, :] and perm[:, :, 0] must be 0 (no flux into unmodelled cells)")
    if not np.array_equal(perm, perm.transpose(0, 2, 1)):
        raise ValueError("perm must be symmetric (perm[k, a, b] == perm[k, b, a])")
    for name, a in (("perm", perm), ("r_tab", r_tab), ("sigma_tab", sigma_tab), ("coef", coef)):
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            raise ValueError(f"{name} must be finite and non-negative")
    if int(cid.max(initial=0)) >= _EMPTY:
        raise ValueError(f"cid holds id {int(cid.max())}; ids must be below {_EMPTY} (at most {_EMPTY - 1} countries)")
    if cid.size and int(cid.max()) >= n1:
        raise ValueError(f"cid holds id {int(cid.max())} but the tables have only {n1} rows (ids 0..{n1 - 1})")
    if not (np.isfinite(dt) and dt >= 0):
        raise ValueError(f"dt must be finite and >= 0, got {dt!r}")
    if int(nsteps) != nsteps or nsteps < 0:
        raise ValueError(f"nsteps must be an integer >= 0, got {nsteps!r}")
    return dtype.type(dt), dtype.type(1)


# ----------------------------------------------------------------------------------------------------------------
# numba: the model kernel
# ----------------------------------------------------------------------------------------------------------------


@njit(parallel=True, cache=True)
def _uniform_chunks(cid, flags):
    """``flags[i, jc] = c`` if the cells of chunk ``jc`` of row ``i`` and all their 4-neighbours lie in country
    ``c != 0``, ``_EMPTY`` if every cell of the chunk is outside the mask (id 0), else 0. Chunk ``jc`` is columns ``[1 + jc * _CHUNK, min(1 + (jc + 1) * _CHUNK, nx - 1))``: the
    interior columns; the first and last column always take the general path. At the grid's top and bottom edge
    the missing neighbour row is the row itself (mirror ghost), as in the kernel."""
    ny, nx = cid.shape
    for i in prange(ny):
        cn = cid[i - 1] if i > 0 else cid[i]
        cc = cid[i]
        cs = cid[i + 1] if i < ny - 1 else cid[i]
        for jc in range(flags.shape[1]):
            j0 = 1 + jc * _CHUNK
            j1 = min(j0 + _CHUNK, nx - 1)
            c = cc[j0]
            if c == 0:
                empty = True
                for j in range(j0, j1):
                    if cc[j] != 0:
                        empty = False
                        break
                flags[i, jc] = _EMPTY if empty else 0
                continue
            same = cc[j0 - 1] == c and cc[j1] == c
            for j in range(j0, j1):
                if not same:
                    break
                same = cn[j] == c and cc[j] == c and cs[j] == c
            flags[i, jc] = c if same else 0


# The row functions index flat (1-D) arrays at row offsets instead of taking row views: a view costs an atomic
# reference-count increment and decrement, and two threads doing that on the same array serialise on one cache
# line. Offsets: ``on``, ``oc``, ``os`` of the rows north, here and south in ``src`` (the row itself at the grid
# edge: a mirror ghost row), ``oo`` of the output row in ``dst``, ``cn``, ``cc``, ``cs`` of the same rows in the
# flat ``cid``, ``fo`` of the row's chunk flags; ``k`` is the member.


@njit(cache=True, inline="always")
def _mixed(src, on, oc, os, dst, oo, cid, cn, cc, cs, j0, j1, nx, perm, r_tab, sigma_tab, k, coef, dt, one):
    """The general update of columns ``[j0, j1)`` of one row: per-face ``perm`` lookups, mask, edge columns."""
    for j in range(j0, j1):
        c = cid[cc + j]
        if c == 0:
            dst[oo + j] = one - one
            continue
        jw = j - 1 if j > 0 else j
        je = j + 1 if j < nx - 1 else j
        u = src[oc + j]
        lap = (perm[k, c, cid[cn + j]] * (src[on + j] - u) + perm[k, c, cid[cs + j]] * (src[os + j] - u)
               + perm[k, c, cid[cc + jw]] * (src[oc + jw] - u) + perm[k, c, cid[cc + je]] * (src[oc + je] - u))
        dst[oo + j] = u + coef * lap + u * (dt * r_tab[k, c] * (one - u) - dt * sigma_tab[k, c])


@njit(cache=True)
def _model_row(src, on, oc, os, dst, oo, cid, cn, cc, cs, flags, fo, nx, perm, r_tab, sigma_tab, k, coef, dt, one):
    """One row of one step (offsets as above).

    A run of chunks flagged uniform (``flags``, see :func:`_uniform_chunks`) whose country has ``perm[c, c] == 1``
    takes a branch-free, vectorised loop with scalar coefficients; everything else takes :func:`_mixed`.
    Multiplying by ``perm = 1`` is exact, so both paths give bit-identical results. The fast loop uses unsigned
    indices: numba then emits no negative-index wraparound, which would stop LLVM from vectorising.
    """
    nchunks = max(0, (nx - 2 + _CHUNK - 1) // _CHUNK)
    u1 = uint64(1)
    jc = 0
    while jc < nchunks:
        c = flags[fo + jc]
        j0 = 1 + jc * _CHUNK
        if c == _EMPTY:  # a run of chunks outside the mask: zeros, as _mixed would write
            jc += 1
            while jc < nchunks and flags[fo + jc] == _EMPTY:
                jc += 1
            for j in range(j0, min(1 + jc * _CHUNK, nx - 1)):
                dst[oo + j] = one - one
        elif c != 0 and perm[k, c, c] == one:
            jc += 1
            while jc < nchunks and flags[fo + jc] == c:  # one loop over the whole run of uniform chunks
                jc += 1
            j1 = min(1 + jc * _CHUNK, nx - 1)
            a = dt * r_tab[k, c]
            b = dt * sigma_tab[k, c]
            bn, bc, bs, bo = uint64(on + j0), uint64(oc + j0), uint64(os + j0), uint64(oo + j0)
            for t in range(j1 - j0):
                j = uint64(t)
                u = src[bc + j]
                lap = (src[bn + j] - u) + (src[bs + j] - u) + (src[bc + j - u1] - u) + (src[bc + j + u1] - u)
                dst[bo + j] = u + coef * lap + u * (a * (one - u) - b)
        else:
            jc += 1
            _mixed(src, on, oc, os, dst, oo, cid, cn, cc, cs, j0, min(1 + jc * _CHUNK, nx - 1), nx,
                   perm, r_tab, sigma_tab, k, coef, dt, one)
    _mixed(src, on, oc, os, dst, oo, cid, cn, cc, cs, 0, 1, nx, perm, r_tab, sigma_tab, k, coef, dt, one)
    if nx > 1:
        _mixed(src, on, oc, os, dst, oo, cid, cn, cc, cs, nx - 1, nx, nx, perm, r_tab, sigma_tab, k, coef, dt, one)


@njit(parallel=True, cache=True)
def _model_advance(u, buf, cid, flags, perm, r_tab, sigma_tab, coef, dt, one, ny, nx, nsteps, block, strip_rows, ring,
                   ring_stride):
    """``nsteps`` steps, up to ``block`` steps per pass over the grid; returns the number of passes.

    ``u``, ``buf`` (m, ny, nx), ``cid`` (ny, nx), ``flags`` (ny, nchunks) and ``ring`` (threads, block - 1, 3,
    ring_stride) come flattened to 1-D. The ring's rows are padded (``ring_stride > nx``): rows a power-of-two
    bytes apart map to the same cache sets, and the wavefront touches 4 rows per level at the same columns.

    With ``block = 1``: one pass per step, a prange over the flattened (member, row) index. Otherwise the work
    items are (member, strip of ``strip_rows`` rows), in a prange over their flattened index.

    With ``block = kk > 1`` (temporal blocking) an item advances its strip ``[a, b)`` by ``kk`` steps in one sweep
    down the rows, as a wavefront: when it reads source row ``p`` it computes row ``p - s`` of level ``s`` (the
    state after ``s`` steps) for ``s = 1..kk``. Level ``s`` is needed on rows ``[a - kk + s, b + kk - s)``: the
    halo rows outside ``[a, b)`` are recomputed by both neighbouring strips. The intermediate levels live in a ring
    of 3 rows per level (row ``(thread, s - 1, row % 3)`` of ``ring``), which stays in the thread's cache, so main
    memory sees one read of ``src`` and one write of ``dst`` per ``kk`` steps. The arithmetic per cell is the same
    row function whatever the blocking, so the results are bit-identical to ``block = 1``.
    """
    m = coef.shape[0]
    nchunks = max(0, (nx - 2 + _CHUNK - 1) // _CHUNK)
    nstrips = (ny + strip_rows - 1) // strip_rows
    src, dst = u, buf
    done = 0
    passes = 0
    if block == 1:  # one pass per step, no wavefront bookkeeping
        for _ in range(nsteps):
            for item in prange(m * ny):
                k = item // ny
                i = item - k * ny
                i_n = i - 1 if i > 0 else i
                i_s = i + 1 if i < ny - 1 else i
                _model_row(src, (item - i + i_n) * nx, item * nx, (item - i + i_s) * nx, dst, item * nx, cid,
                           i_n * nx, i * nx, i_s * nx, flags, i * nchunks, nx, perm, r_tab, sigma_tab, k, coef[k],
                           dt, one)
            src, dst = dst, src
        return nsteps
    while done < nsteps:
        kk = min(block, nsteps - done)
        for item in prange(m * nstrips):
            k = item // nstrips
            a = (item - k * nstrips) * strip_rows
            b = min(a + strip_rows, ny)
            ring0 = numba.get_thread_id() * (block - 1) * 3  # this thread's first ring row
            for p in range(max(0, a - kk), b + kk):
                for s in range(1, kk + 1):
                    i = p - s
                    if i < max(0, a - kk + s) or i >= min(ny, b + kk - s):
                        continue
                    i_n = i - 1 if i > 0 else i
                    i_s = i + 1 if i < ny - 1 else i
                    if s == 1:  # read level 0 from src
                        base = k * ny
                        rn, rc, rs = base + i_n, base + i, base + i_s
                    else:  # read level s - 1 from the ring
                        base = ring0 + (s - 2) * 3
                        rn, rc, rs = base + i_n % 3, base + i % 3, base + i_s % 3
                    ro = k * ny + i if s == kk else ring0 + (s - 1) * 3 + i % 3
                    if s == 1 and s == kk:
                        _model_row(src, rn * nx, rc * nx, rs * nx, dst, ro * nx, cid, i_n * nx, i * nx, i_s * nx,
                                   flags, i * nchunks, nx, perm, r_tab, sigma_tab, k, coef[k], dt, one)
                    elif s == 1:
                        _model_row(src, rn * nx, rc * nx, rs * nx, ring, ro * ring_stride, cid, i_n * nx, i * nx,
                                   i_s * nx, flags, i * nchunks, nx, perm, r_tab, sigma_tab, k, coef[k], dt, one)
                    elif s == kk:
                        _model_row(ring, rn * ring_stride, rc * ring_stride, rs * ring_stride, dst, ro * nx, cid,
                                   i_n * nx, i * nx, i_s * nx, flags, i * nchunks, nx, perm, r_tab, sigma_tab, k,
                                   coef[k], dt, one)
                    else:
                        _model_row(ring, rn * ring_stride, rc * ring_stride, rs * ring_stride, ring,
                                   ro * ring_stride, cid, i_n * nx, i * nx, i_s * nx, flags, i * nchunks, nx, perm,
                                   r_tab, sigma_tab, k, coef[k], dt, one)
        src, dst = dst, src
        done += kk
        passes += 1
    return passes


@contextmanager
def _threads_for(cells: int):
    """Use at most one numba thread per ``_CELLS_PER_THREAD`` cells: on small grids a parallel region costs more
    (thread wake-up and barrier, each step) than it saves. Restores the caller's thread count."""
    nthreads = numba.get_num_threads()
    use = max(1, min(nthreads, cells // _CELLS_PER_THREAD))
    if use == nthreads:
        yield nthreads
        return
    numba.set_num_threads(use)
    try:
        yield use
    finally:
        numba.set_num_threads(nthreads)


def auto_block(shape, dtype) -> int:
    """The temporal block :func:`advance` uses by default: 1 while ``u`` and ``buf`` fit in ``_CACHE_BYTES``, else
    16. Measured on the 2-core development machine (32 MiB L3, see benchmarks/results_kernel.md): up to 1024²
    float32 the plain kernel runs from cache and is as fast; from 2048² on, blocking is 1.5-3x faster."""
    nbytes = 2 * math.prod(shape) * np.dtype(dtype).itemsize
    return 1 if nbytes <= _CACHE_BYTES else 16


def advance(u, buf, cid, perm, r_tab, sigma_tab, coef, dt, nsteps, *, block: int | None = None):
    """Advance the ensemble ``u`` (m, ny, nx) by ``nsteps`` explicit Euler steps of ``dt`` days (numba, parallel).

    Arguments are those of :class:`KernelArgs` (see the module docstring for the equations); all arrays
    C-contiguous, all float arrays of ``u``'s dtype. ``u`` and ``buf`` are used as a ping-pong pair, no memory is
    allocated for the state: the result is in the returned array, which is ``u`` or ``buf`` (the other one holds
    an intermediate state). Use the return value; with ``nsteps = 0`` (or an empty grid) it is ``u``, unchanged.

    ``block = k`` does up to ``k`` steps per pass over the grid (temporal blocking, bit-identical to ``block=1``;
    the returned array then is ``buf`` if the number of passes ``ceil(nsteps / k)`` is odd). ``None`` picks
    :func:`auto_block`. Threads: ``numba.set_num_threads`` (fewer on small grids, see :func:`_threads_for`).
    Per call, two small work arrays are allocated: the chunk flags (``ny * nx / 64`` bytes) and, when blocking,
    the ring buffer (``threads * (k - 1) * 3`` rows).
    """
    dt, one = _check(u, buf, cid, perm, r_tab, sigma_tab, coef, dt, nsteps)
    nsteps = int(nsteps)
    block = auto_block(u.shape, u.dtype) if block is None else int(block)
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    if nsteps == 0 or u.size == 0:
        return u
    block = min(block, nsteps)
    m, ny, nx = u.shape
    flags = np.empty((ny, max(0, -(-(nx - 2) // _CHUNK))), dtype=np.uint8)
    with _threads_for(u.size) as nw:
        _uniform_chunks(cid, flags)
        if block == 1:
            strip_rows = 1
        else:  # m * strips is a multiple of the thread count: equal work per thread
            strip_rows = -(-ny // max(1, nw // math.gcd(m, nw)))
        ring_stride = nx + _RING_PAD
        ring = np.empty(numba.config.NUMBA_NUM_THREADS * (block - 1) * 3 * ring_stride, dtype=u.dtype)
        passes = _model_advance(u.reshape(-1), buf.reshape(-1), cid.reshape(-1), flags.reshape(-1), perm, r_tab,
                                sigma_tab, coef, dt, one, ny, nx, nsteps, block, strip_rows, ring, ring_stride)
    return buf if passes % 2 else u


# ----------------------------------------------------------------------------------------------------------------
# numpy reference
# ----------------------------------------------------------------------------------------------------------------


def advance_numpy(u, buf, cid, perm, r_tab, sigma_tab, coef, dt, nsteps):
    """Reference implementation of :func:`advance` in plain numpy (same arguments, same arithmetic and order).

    Ghost cells copy the edge (``np.pad(mode="edge")``), which makes the edge fluxes exactly zero. The result
    is in the returned array: ``buf`` when ``nsteps`` is odd, else ``u`` (the same ping-pong as ``advance``).
    """
    dt, one = _check(u, buf, cid, perm, r_tab, sigma_tab, coef, dt, nsteps)
    if u.size == 0:
        return u
    ny, nx = cid.shape
    cp = np.pad(cid, 1, mode="edge")
    # neighbour (row, col) slices into the padded arrays, in the order N, S, W, E
    nbrs = [(slice(0, ny), slice(1, nx + 1)), (slice(2, ny + 2), slice(1, nx + 1)),
            (slice(1, ny + 1), slice(0, nx)), (slice(1, ny + 1), slice(2, nx + 2))]
    src, dst = u, buf
    for _ in range(int(nsteps)):
        for k in range(u.shape[0]):
            uk = src[k]
            up = np.pad(uk, 1, mode="edge")
            terms = [perm[k][cid, cp[rows, cols]] * (up[rows, cols] - uk) for rows, cols in nbrs]
            lap = terms[0] + terms[1] + terms[2] + terms[3]
            react = uk * ((dt * r_tab[k])[cid] * (one - uk) - (dt * sigma_tab[k])[cid])
            dst[k] = np.where(cid != 0, uk + coef[k] * lap + react, 0)
        src, dst = dst, src
    return src

