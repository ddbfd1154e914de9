r"""The model kernel: explicit Euler steps of a reaction-diffusion equation with per-cell fields, for an ensemble.

Model
-----
For ensemble member ``k`` and the risk density ``u_k(x, t)`` (dimensionless)::

    du_k/dt = div(kappa_k w(x) grad u_k) + u_k (l_k(x, t) - q_k(x, t) u_k)

* ``kappa_k``  diffusivity of member ``k``, km²/day;
* ``w``        face weights, shared by all members (:class:`sim.faces.Faces`: 1 inside a country, a border's
  permeability across it, 0 towards cells outside the mask and through the grid edge);
* ``l_k``      net linear rate, 1/day, per member and cell; may be negative (e.g. ``r - delta - sigma``: growth
  less loss less suppression);
* ``q_k >= 0`` self-limitation, 1/(day · unit of u), per member and cell (e.g. ``r / K`` for a carrying
  capacity ``K``). With ``K = 1``, ``l = r - sigma`` and ``q = r`` this is the logistic model
  ``r u (1 - u) - sigma u``.

Discretisation (conservative 5-point flux form, explicit Euler, square cells of side ``dx``)
--------------------------------------------------------------------------------------------
With ``coef_k = kappa_k dt / dx²``, ``L = dt l`` and ``Q = dt q`` (the kernel takes ``L`` and ``Q``, not the
rates), the update of a cell inside the mask is::

    lap   = w_N (u_N - u) + w_S (u_S - u) + w_W (u_W - u) + w_E (u_E - u)      (summed in this order)
    u_new = u + coef_k * lap + u * (L - Q * u)

and cells outside the mask are set to 0. A neighbour outside the grid is replaced by the cell itself (its face
weight is 0 anyway). The numba kernel (no fastmath: no FMA contraction, no reassociation) and the numpy reference
:func:`advance_numpy` do the same operations in the same order; the tests hold them to a few ulps (on x86-64 they
agree bit for bit). Each face has one weight, so the flux leaving a cell through a face enters its neighbour: pure
diffusion conserves ``sum(u)`` to rounding.

Stability and positivity: ``u`` stays in ``[0, M]``
----------------------------------------------------
Let ``M > 0`` (the largest carrying capacity; 1 for the logistic model), ``a = coef_k * (w_N + w_S + w_W + w_E)``
for the cell, and suppose in every cell inside the mask

    (i)  ``Q >= 0``,   (ii)  ``L <= Q M``,   (iii)  ``a + Q M + max(0, -L) <= 1``.

Then ``0 <= u <= M`` everywhere implies ``0 <= u_new <= M`` everywhere, with no clipping. Proof: write the update
as ``u_new = (1 - a) u + coef_k sum_f w_f u_f + u (L - Q u)``.

* Lower bound. The neighbours ``u_f >= 0``, and ``L - Q u >= L - Q M`` for ``u <= M`` (by (i)), so
  ``u_new >= u (1 - a + L - Q M)``. If ``L >= 0``, (iii) gives ``1 - a - Q M >= 0``, so the bracket is ``>= 0``;
  if ``L < 0``, (iii) reads ``1 - a + L - Q M >= 0``. Either way ``u_new >= 0``.
* Upper bound. The neighbours ``u_f <= M`` and, by (ii), ``L u <= Q M u``, so ``u_new <= g(u) =
  a M + (1 - a + Q M) u - Q u²``. Its slope ``g'(u) = 1 - a + Q M - 2 Q u >= 1 - a - Q M >= 0`` on ``[0, M]``
  (by (i) and (iii)): ``g`` increases there, so ``u_new <= g(M) = a M + (1 - a) M + Q M² - Q M² = M``.

(ii) says that ``M`` is a supersolution of the reaction (``M (L - Q M) <= 0``): with ``l = r - delta - sigma``,
``q = r / K`` and ``M = max K`` it holds whenever ``delta, sigma >= 0``. For the logistic model (``M = 1``,
``L = dt (r - sigma)``, ``Q = dt r``) condition (iii) is ``a + dt max(r, sigma) <= 1``, the bound of the previous
kernel. (iii) is also sharp: a cell at ``M`` among neighbours at 0 with ``L = 0`` goes below 0 once
``a + Q M > 1`` (and with ``L < 0`` once ``a + Q M - L > 1``), a cell just below ``M`` among neighbours at ``M`` overshoots ``M`` once ``a + Q M > 1`` (the
tests show both), and for pure diffusion ``a <= 1`` is the von Neumann bound (the checkerboard mode is multiplied
by ``1 - 2a`` per step). A sufficient form that needs no case split is ``a - L + 2 Q M <= 1`` (given (ii)).
:func:`stable_dt` returns the largest ``dt`` meeting (iii) in every cell, times a safety factor;
:func:`step_bound` evaluates (i)-(iii) on the arrays a call would use.

Arrays and layout
-----------------
``u`` and ``buf`` are ``(m, ny, nx)``: ensemble member outermost, rows, columns innermost (C order), float32 by
default (float64 accepted; then every float array must be float64). ``coef`` is ``(m,)``. ``L`` and ``Q`` are
``(m, ny, nx)`` fields, or ``(1, ny, nx)`` when shared by every member (a shared ``Q`` saves one stream of memory
traffic per cell update). They are the caller's to update in place between calls (e.g. monthly, when suppression
or drivers change): the kernel never keeps them, and :mod:`sim.rates` fills them from small per-unit tables and
per-cell base fields without allocating. The layout was measured against member-innermost ``(ny, nx, m)``
(``benchmarks/bench_layout.py``, results in ``benchmarks/results_kernel.md``): once the face weights are
precomputed and the weighted path is branch-free, members-innermost vectorises only what is already vectorised,
and it loses the spatial vectorisation a single run (``m = 1``, every CLI run) needs.

How the numba kernel is fast
----------------------------
* The face weights, the mask and the runs come from a :class:`sim.faces.Faces` built once per grid (cached by
  :func:`sim.faces.faces_for`), never per call.
* Each row is a short list of runs (:mod:`sim.faces`): ``OUTSIDE`` runs write zeros; ``INTERIOR`` runs (all four
  weights exactly 1) take a branch-free loop without weight loads; ``WEIGHTED`` runs (coasts, borders whose
  permeability is not 1, stretches too short to be worth a loop of their own) take a branch-free loop that loads
  the staggered weights and selects 0 outside the mask; the first and last column take a scalar update with
  mirrored indices. LLVM vectorises both loops (AVX2: 8 float32 cells an instruction). ``1 * x == x`` exactly,
  so both loops give bit-identical results. The row function is inlined into the time loop (a call per row with
  some forty array arguments cost as much as the row's arithmetic on 10 km grids).
* Rows are addressed by offsets into flat arrays, not as row views (a view costs an atomic reference count, and
  two threads counting on one array contend for one cache line), with unsigned indices in the inner loops (no
  negative-index wraparound, which would stop vectorisation).
* Temporal blocking (``advance(..., block=k)``): each thread advances its strip of rows ``k`` steps per sweep, as
  a wavefront through a small ring buffer that stays in cache, recomputing ``k``-row halos at strip edges. Main
  memory sees one read of ``u``, ``L``, ``Q`` and one write of ``u`` per ``k`` steps instead of per step: the
  fields cost little once blocked. Results are bit-identical to ``block=1``. :func:`auto_block` picks it.
* Small grids run on fewer threads (:func:`sim.threads.threads_for`).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np
from numba import njit, prange, uint64

from sim.faces import INTERIOR, OUTSIDE, Faces
from sim.fisher_kpp import fisher_kpp_advance, fisher_kpp_advance_numpy
from sim.threads import FLOATS, threads_for

__all__ = [
    "KernelArgs",
    "advance",
    "advance_numpy",
    "auto_block",
    "fisher_kpp_advance",
    "fisher_kpp_advance_numpy",
    "prepare",
    "stable_dt",
    "step_bound",
    "substeps",
]

#: Padding (elements) of the rows of the temporal-blocking ring buffer, against cache-set aliasing.
_RING_PAD = 16
#: Bytes of u, buf, L and Q up to which the plain kernel runs from cache (see :func:`auto_block`).
_CACHE_BYTES = 16 * 2**20
#: The temporal block used above it.
_BLOCK = 16
#: The temporal block used below it: the same speed as one pass per step on an idle machine, but a quarter of the
#: per-step barriers, each of which can cost a scheduler time slice when another process holds a core (the default
#: run's kernel loop under one busy core: 1.55 s with one pass per step, 1.05 s with 4; idle 0.42 s for both;
#: ``benchmarks/bench_kernel_block.py``, benchmarks/results_run.md, 2026-12-03).
_BLOCK_IN_CACHE = 4


# ----------------------------------------------------------------------------------------------------------------
# Time step
# ----------------------------------------------------------------------------------------------------------------


def stable_dt(kappa, dx: float, face_sum, l, q, capacity: float = 1.0, safety: float = 0.9) -> float:
    """Largest ``dt`` (days) with ``dt * (kappa face_sum / dx² + q M + max(0, -l)) <= 1`` in every cell, times
    ``safety``: condition (iii) of the module docstring, under which ``u`` stays in ``[0, M]``.

    Parameters
    ----------
    kappa : float or array
        Diffusivity, km²/day; for an ensemble, its largest value is used (conservative for every member).
    dx : float
        Cell side, km.
    face_sum, l, q : float or arrays broadcasting together
        Per cell (or per unit, or a single worst case): the sum of the cell's four face weights
        (:attr:`sim.faces.Faces.face_sum`, at most 4 ``max(perm)``), the net linear rate ``l`` and the
        self-limitation ``q`` (1/day). For time-varying rates pass every period's values along a leading axis.
    capacity : float
        ``M``, the largest carrying capacity (1 for the logistic model).
    safety : float
        ``0 < safety <= 1``; the default margin leaves room for rounding.

    Returns ``inf`` when nothing limits the step. Raises ``ValueError`` when ``q < 0`` or ``l > q M`` somewhere
    (then no step keeps ``u <= M``: conditions (i) and (ii)).

    Examples
    --------
    >>> stable_dt(2.0, 1.0, 4.0, l=0.5, q=1.0, safety=1.0)  # 1 / (8 + 1)
    0.1111111111111111
    """
    kappa_max = float(np.max(kappa))
    if not (dx > 0 and kappa_max >= 0 and capacity > 0 and 0 < safety <= 1):
        raise ValueError("stable_dt needs dx > 0, kappa >= 0, capacity > 0 and 0 < safety <= 1")
    face_sum, l, q = (np.asarray(a, dtype=np.float64) for a in (face_sum, l, q))
    if not (np.all(np.isfinite(face_sum)) and np.all(np.isfinite(l)) and np.all(np.isfinite(q))):
        raise ValueError("stable_dt needs finite face sums and rates")
    if np.any(face_sum < 0) or np.any(q < 0):
        raise ValueError("stable_dt needs face_sum >= 0 and q >= 0 (condition (i))")
    if np.any(l > q * capacity):
        raise ValueError(f"l > q M somewhere (M = {capacity:g}): the reaction then drives u above M, no time step "
                         "keeps u bounded (condition (ii))")
    rate = float(np.max(kappa_max * face_sum / dx**2 + q * capacity + np.maximum(0.0, -l), initial=0.0))
    return math.inf if rate == 0 else safety / rate


def substeps(dt_out: float, dt_max: float) -> tuple[int, float]:
    """Split an output interval ``dt_out`` into ``n = ceil(dt_out / dt_max)`` equal steps: returns ``(n, dt_out / n)``.

    ``n`` is the smallest count with ``dt_out / n <= dt_max`` (guarding against the rounding of the division).

    Examples
    --------
    >>> substeps(1.0, 0.3)
    (4, 0.25)
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


def step_bound(faces: Faces, coef, L, Q, capacity: float = 1.0) -> float:
    """The largest ``a + Q M + max(0, -L)`` over members and cells inside the mask: a step keeps ``u`` in
    ``[0, M]`` when it is ``<= 1`` (condition (iii)). Raises ``ValueError`` if ``L`` or ``Q`` is not finite,
    ``Q < 0`` or ``L > Q M`` (beyond 4 ulps of ``Q M``) in a cell inside the mask (conditions (i), (ii)).

    One parallel pass over ``L`` and ``Q`` (numba): cheap beside the steps it guards.

    Examples
    --------
    >>> f = Faces.from_ids(np.ones((3, 3), np.uint8), [[0, 0], [0, 1]])
    >>> L = np.zeros((1, 3, 3)); Q = np.full((1, 3, 3), 0.1)
    >>> round(step_bound(f, np.array([0.2]), L, Q), 6)  # centre cell: a = 4 * 0.2, plus Q M = 0.1
    0.9
    """
    coef = np.asarray(coef, dtype=np.float64).reshape(-1)
    L, Q = np.asarray(L), np.asarray(Q)
    if L.ndim != 3 or Q.ndim != 3 or L.shape[1:] != faces.shape or Q.shape[1:] != faces.shape:
        raise ValueError(f"L and Q must be (m or 1, {faces.shape[0]}, {faces.shape[1]}), got {L.shape}, {Q.shape}")
    m = len(coef)
    if L.shape[0] not in (1, m) or Q.shape[0] not in (1, m):
        raise ValueError(f"L and Q must have 1 or {m} members, got {L.shape[0]} and {Q.shape[0]}")
    eps = float(np.finfo(np.result_type(L.dtype, Q.dtype)).eps) if L.dtype.kind == "f" else 0.0
    worst, excess, bad = _bound(coef, faces.face_sum, faces.inside, L, Q, float(capacity), 4 * eps)
    if bad:
        raise ValueError("L and Q must be finite with Q >= 0 inside the mask (condition (i))")
    if excess > 0:
        raise ValueError(f"L > Q M inside the mask (by up to {excess:.3g}, M = {capacity:g}): the reaction would "
                         "drive u above M (condition (ii))")
    return worst


@njit(parallel=True, cache=True)
def _bound(coef, face_sum, inside, L, Q, cap, tol):
    m = coef.shape[0]
    ny, nx = face_sum.shape
    worst = np.zeros(m * ny)
    excess = np.zeros(m * ny)
    bad = np.zeros(m * ny, np.uint8)
    for item in prange(m * ny):
        k = item // ny
        i = item - k * ny
        kl = k if L.shape[0] > 1 else 0
        kq = k if Q.shape[0] > 1 else 0
        for j in range(nx):
            if inside[i, j] == 0:
                continue
            lv, qv = float(L[kl, i, j]), float(Q[kq, i, j])
            if not (math.isfinite(lv) and math.isfinite(qv)) or qv < 0:
                bad[item] = 1
                continue
            excess[item] = max(excess[item], lv - qv * cap - tol * abs(qv * cap))
            worst[item] = max(worst[item], coef[k] * face_sum[i, j] + qv * cap + max(0.0, -lv))
    return worst.max() if worst.size else 0.0, excess.max() if excess.size else 0.0, bad.any()


# ----------------------------------------------------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------------------------------------------------


class KernelArgs(NamedTuple):
    """The arguments :func:`advance` takes, in its order: ``advance(*args, nsteps=...)``."""

    u: np.ndarray  # (m, ny, nx) state
    buf: np.ndarray  # (m, ny, nx) second buffer of the ping-pong
    faces: Faces  # face weights, mask and chunk classes of the grid
    coef: np.ndarray  # (m,) kappa dt / dx²
    L: np.ndarray  # (m or 1, ny, nx) dt * l
    Q: np.ndarray  # (m or 1, ny, nx) dt * q


def prepare(u0, faces: Faces, kappa, dx: float, dt: float, l=0.0, q=0.0, dtype=np.float32) -> KernelArgs:
    """Cast and broadcast plain inputs into the arrays :func:`advance` takes (float32 by default).

    ``u0`` is ``(ny, nx)`` or ``(m, ny, nx)``; ``kappa`` (km²/day) a scalar or ``(m,)``; the rates ``l`` and
    ``q`` (1/day) anything that broadcasts to ``(m, ny, nx)`` (a scalar, ``(ny, nx)``, ``(m, 1, 1)``, ...); a rate
    that is the same for every member is kept as a shared ``(1, ny, nx)`` field. ``L = dt l`` and ``Q = dt q`` are
    0 outside the mask; ``u0`` is copied and zeroed outside the mask.

    Examples
    --------
    >>> f = Faces.from_ids(np.ones((4, 5), np.uint8), [[0, 0], [0, 1]])
    >>> args = prepare(np.full((4, 5), 0.5), f, kappa=[1.0, 2.0], dx=1.0, dt=0.1, l=1.0, q=1.0)
    >>> args.u.shape, args.coef.tolist(), args.L.shape
    ((2, 4, 5), [0.10000000149011612, 0.20000000298023224], (1, 4, 5))
    """
    dtype = np.dtype(dtype)
    if dtype not in FLOATS:
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    ny, nx = faces.shape
    u0 = np.asarray(u0, dtype=np.float64)
    u0 = u0[None] if u0.ndim == 2 else u0
    kappa = np.atleast_1d(np.asarray(kappa, dtype=np.float64))
    m = max(len(u0), len(kappa))
    for name, a in (("u0", u0), ("kappa", kappa)):
        if len(a) not in (1, m):
            raise ValueError(f"{name} has {len(a)} members, the others {m}")
    inside = faces.inside.astype(bool)
    u = np.array(np.broadcast_to(u0, (m, ny, nx)), dtype=dtype, order="C")
    u[:, ~inside] = 0

    def field(rate):
        r = np.asarray(rate, dtype=np.float64)
        r = r.reshape((1,) * (3 - r.ndim) + r.shape) if r.ndim < 3 else r
        shared = r.shape[0] == 1 or bool(np.all(r == r[:1]))
        out = np.array(np.broadcast_to(dt * (r[:1] if shared else r), (1 if shared else m, ny, nx)), dtype=dtype)
        out[:, ~inside] = 0
        return out

    coef = np.array(np.broadcast_to(kappa * dt / dx**2, (m,)), dtype=dtype)
    return KernelArgs(u, np.zeros_like(u), faces, coef, field(l), field(q))


def _check(u, buf, faces, coef, L, Q, nsteps):
    """Validate shapes, dtypes and layout (O(1): the values are :func:`step_bound`'s); return ``u.dtype``."""
    if not isinstance(u, np.ndarray) or u.ndim != 3:
        raise ValueError(f"u must be a (m, ny, nx) array, got {getattr(u, 'shape', type(u))}")
    dtype = u.dtype
    if dtype not in FLOATS:
        raise ValueError(f"u must be float32 or float64, got {dtype}")
    m, ny, nx = u.shape
    if not isinstance(faces, Faces) or faces.shape != (ny, nx):
        raise ValueError(f"faces must be a sim.faces.Faces of shape ({ny}, {nx}), got "
                         f"{getattr(faces, 'shape', type(faces))}")
    if not isinstance(buf, np.ndarray) or buf.shape != u.shape or buf.dtype != dtype:
        raise ValueError(f"buf must match u: {u.shape} {dtype}, got {getattr(buf, 'shape', None)} "
                         f"{getattr(buf, 'dtype', None)}")
    if np.may_share_memory(u, buf):
        raise ValueError("u and buf must be distinct arrays")
    if not isinstance(coef, np.ndarray) or coef.shape != (m,) or coef.dtype != dtype:
        raise ValueError(f"coef must be a ({m},) array of {dtype}, got {getattr(coef, 'shape', type(coef))} "
                         f"{getattr(coef, 'dtype', '')}")
    for name, a in (("L", L), ("Q", Q)):
        if not isinstance(a, np.ndarray) or a.ndim != 3 or a.shape[0] not in (1, m) or a.shape[1:] != (ny, nx):
            raise ValueError(f"{name} must be ({m} or 1, {ny}, {nx}), got {getattr(a, 'shape', type(a))}")
        if a.dtype != dtype:
            raise ValueError(f"{name} must have the dtype of u ({dtype}), got {a.dtype}")
        if np.may_share_memory(a, u) or np.may_share_memory(a, buf):
            raise ValueError(f"{name} must not share memory with u or buf")
    for name, a in (("u", u), ("buf", buf), ("coef", coef), ("L", L), ("Q", Q)):
        if not a.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous")
    if int(nsteps) != nsteps or nsteps < 0:
        raise ValueError(f"nsteps must be an integer >= 0, got {nsteps!r}")
    return dtype


# ----------------------------------------------------------------------------------------------------------------
# numba: the model kernel
# ----------------------------------------------------------------------------------------------------------------
# The row functions index flat (1-D) arrays at row offsets instead of taking row views. Offsets: ``on``, ``oc``,
# ``os`` of the rows north, here and south in ``src`` (the row itself at the grid edge: its face weight is 0),
# ``oo`` of the output row in ``dst``, ``lo``, ``qo`` of the row in ``L`` and ``Q``, ``xo`` of the row in
# ``xf`` (nx + 1 wide), ``yn``, ``ys`` of its north and south face rows in ``yf``, ``io`` in ``inside``; ``runs``,
# ``start``, ``stop``, ``kind`` are the grid's runs (sim.faces), ``i`` the row.


@njit(cache=True, inline="always")
def _edge(src, on, oc, os, dst, oo, L, lo, Q, qo, xf, xo, yf, yn, ys, inside, io, j, nx, coef, zero):
    """The first or last column of a row (mirror neighbour index; its face weight is 0)."""
    jw = j - 1 if j > 0 else j
    je = j + 1 if j < nx - 1 else j
    v = src[oc + j]
    lap = (yf[yn + j] * (src[on + j] - v) + yf[ys + j] * (src[os + j] - v)
           + xf[xo + j] * (src[oc + jw] - v) + xf[xo + j + 1] * (src[oc + je] - v))
    r = v + coef * lap + v * (L[lo + j] - Q[qo + j] * v)
    dst[oo + j] = r if inside[io + j] else zero


@njit(cache=True, inline="always")
def _row(src, on, oc, os, dst, oo, L, lo, Q, qo, xf, xo, yf, yn, ys, inside, io, runs, start, stop, kind, i, nx,
         coef, zero):
    """One row of one step: its runs of OUTSIDE, INTERIOR and WEIGHTED cells (:mod:`sim.faces`), then the first
    and the last column."""
    u1 = uint64(1)
    for r in range(runs[i], runs[i + 1]):
        j0, j1, f = start[r], stop[r], kind[r]
        if f == OUTSIDE:
            for j in range(j0, j1):
                dst[oo + j] = zero
        elif f == INTERIOR:  # never the first or last column: j - 1 and j + 1 stay in the row
            b, bn, bs, bo = uint64(oc + j0), uint64(on + j0), uint64(os + j0), uint64(oo + j0)
            bl, bq = uint64(lo + j0), uint64(qo + j0)
            for t in range(j1 - j0):
                j = uint64(t)
                v = src[b + j]
                lap = (src[bn + j] - v) + (src[bs + j] - v) + (src[b + j - u1] - v) + (src[b + j + u1] - v)
                dst[bo + j] = v + coef * lap + v * (L[bl + j] - Q[bq + j] * v)
        else:
            b, bn, bs, bo = uint64(oc + j0), uint64(on + j0), uint64(os + j0), uint64(oo + j0)
            bl, bq, bx = uint64(lo + j0), uint64(qo + j0), uint64(xo + j0)
            byn, bys, bi = uint64(yn + j0), uint64(ys + j0), uint64(io + j0)
            for t in range(j1 - j0):
                j = uint64(t)
                v = src[b + j]
                lap = (yf[byn + j] * (src[bn + j] - v) + yf[bys + j] * (src[bs + j] - v)
                       + xf[bx + j] * (src[b + j - u1] - v) + xf[bx + j + u1] * (src[b + j + u1] - v))
                r_ = v + coef * lap + v * (L[bl + j] - Q[bq + j] * v)
                dst[bo + j] = r_ if inside[bi + j] else zero
    _edge(src, on, oc, os, dst, oo, L, lo, Q, qo, xf, xo, yf, yn, ys, inside, io, 0, nx, coef, zero)
    if nx > 1:
        _edge(src, on, oc, os, dst, oo, L, lo, Q, qo, xf, xo, yf, yn, ys, inside, io, nx - 1, nx, coef, zero)


@njit(cache=True, inline="always")
def _offsets(k, i, ny, nx, ml, mq):
    """Offsets of row ``i`` of member ``k`` that do not depend on where the state lives."""
    lo = ((k if ml > 1 else 0) * ny + i) * nx
    qo = ((k if mq > 1 else 0) * ny + i) * nx
    return lo, qo, i * (nx + 1), i * nx, (i + 1) * nx, i * nx


@njit(parallel=True, cache=True)
def _advance(u, buf, L, Q, xf, yf, inside, runs, start, stop, kind, coef, zero, m, ny, nx, ml, mq, nsteps, block, strip_rows, ring,
             ring_stride):
    """``nsteps`` steps, up to ``block`` steps per pass over the grid; returns the number of passes.

    Every array comes flattened to 1-D; ``ring`` is (threads, block - 1, 3, ring_stride), its rows padded against
    cache-set aliasing. With ``block = 1``: a prange over the flattened (member, row) index, one pass per step.
    With ``block = kk > 1`` (temporal blocking) the work items are (member, strip of ``strip_rows`` rows): an item
    advances its strip ``[a, b)`` by ``kk`` steps in one sweep down the rows, as a wavefront: when it reads source
    row ``p`` it computes row ``p - s`` of level ``s`` (the state after ``s`` steps) for ``s = 1..kk``. Level ``s``
    is needed on rows ``[a - kk + s, b + kk - s)``: the halo rows outside ``[a, b)`` are recomputed by both
    neighbouring strips. Intermediate levels live in 3 ring rows per level, which stay in the thread's cache. The
    arithmetic per cell is the same row function whatever the blocking: results are bit-identical to ``block = 1``.
    """
    src, dst = u, buf
    if block == 1:
        for _ in range(nsteps):
            for item in prange(m * ny):
                k = item // ny
                i = item - k * ny
                i_n = i - 1 if i > 0 else i
                i_s = i + 1 if i < ny - 1 else i
                base = k * ny
                lo, qo, xo, yn, ys, io = _offsets(k, i, ny, nx, ml, mq)
                _row(src, (base + i_n) * nx, item * nx, (base + i_s) * nx, dst, item * nx, L, lo, Q, qo, xf, xo,
                     yf, yn, ys, inside, io, runs, start, stop, kind, i, nx, coef[k], zero)
            src, dst = dst, src
        return nsteps
    nstrips = (ny + strip_rows - 1) // strip_rows
    done = 0
    passes = 0
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
                    lo, qo, xo, yn, ys, io = _offsets(k, i, ny, nx, ml, mq)
                    if s == 1:  # read level 0 from src
                        base = k * ny
                        rn, rc, rs = base + i_n, base + i, base + i_s
                    else:  # read level s - 1 from the ring
                        base = ring0 + (s - 2) * 3
                        rn, rc, rs = base + i_n % 3, base + i % 3, base + i_s % 3
                    ro = k * ny + i if s == kk else ring0 + (s - 1) * 3 + i % 3
                    rd = src if s == 1 else ring  # where level s - 1 is read, and level s written
                    rstride = nx if s == 1 else ring_stride
                    wr = dst if s == kk else ring
                    wstride = nx if s == kk else ring_stride
                    _row(rd, rn * rstride, rc * rstride, rs * rstride, wr, ro * wstride, L, lo, Q, qo, xf, xo, yf, yn,
                         ys, inside, io, runs, start, stop, kind, i, nx, coef[k], zero)
        src, dst = dst, src
        done += kk
        passes += 1
    return passes


def auto_block(u_shape, dtype, fields: int = 2) -> int:
    """The temporal block :func:`advance` uses by default: 4 (:data:`_BLOCK_IN_CACHE`) while ``u``, ``buf`` and
    ``fields`` more arrays of ``u``'s size fit in ``_CACHE_BYTES`` (16 MiB), else 16. Measured on the 2-core
    development machine (32 MiB L3, shared with other guests; see benchmarks/results_kernel.md and
    results_run.md). Any block gives bit-identical results."""
    nbytes = (2 + fields) * math.prod(u_shape) * np.dtype(dtype).itemsize
    return _BLOCK_IN_CACHE if nbytes <= _CACHE_BYTES else _BLOCK


def advance(u, buf, faces: Faces, coef, L, Q, nsteps, *, block: int | None = None):
    """Advance the ensemble ``u`` (m, ny, nx) by ``nsteps`` explicit Euler steps (numba, parallel).

    Parameters
    ----------
    u, buf : (m, ny, nx) float32 or float64 arrays, distinct
        The state and a second buffer: used as a ping-pong pair, no memory is allocated for the state.
    faces : sim.faces.Faces
        The grid's face weights, mask and chunk classes (build once per grid: :func:`sim.faces.faces_for`).
    coef : (m,) array of u's dtype
        ``kappa_k dt / dx²`` per member.
    L, Q : (m, ny, nx) or (1, ny, nx) arrays of u's dtype
        ``dt l`` and ``dt q`` (module docstring); a leading 1 shares the field between members.
    nsteps : int
    block : int, optional
        Up to ``block`` steps per pass over the grid (temporal blocking, bit-identical to ``block=1``); ``None``
        picks :func:`auto_block`.

    Returns
    -------
    The array holding the result: ``u`` or ``buf`` (the other holds an intermediate state); ``buf`` exactly when
    the number of passes (``nsteps``, or ``ceil(nsteps / block)`` when blocking) is odd. With ``nsteps = 0`` it is
    ``u``, unchanged.

    Only shapes and dtypes are checked here (O(1)); check the values with :func:`step_bound` when ``L``, ``Q`` or
    ``coef`` change. ``u`` must be finite (its values outside the mask are never used, but a NaN there would
    reach its neighbours through a zero weight). Per call, a small ring buffer is allocated when blocking.

    Examples
    --------
    >>> from sim.faces import Faces
    >>> f = Faces.from_ids(np.ones((8, 8), np.uint8), [[0, 0], [0, 1]])
    >>> args = prepare(np.full((8, 8), 0.5), f, kappa=1.0, dx=1.0, dt=0.1, l=1.0, q=1.0)
    >>> out = advance(*args, nsteps=10)
    >>> round(float(out[0, 3, 3]), 4)  # logistic growth from 0.5 over t = 1 day (exact: 1 / (1 + e^-1) = 0.7311)
    0.7334
    """
    dtype = _check(u, buf, faces, coef, L, Q, nsteps)
    nsteps = int(nsteps)
    block = auto_block(u.shape, dtype, (L.shape[0] + Q.shape[0]) / u.shape[0]) if block is None else int(block)
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    if nsteps == 0 or u.size == 0:
        return u
    block = min(block, nsteps)
    m, ny, nx = u.shape
    xf, yf = faces.weights(dtype)
    with threads_for(u.size) as nw:
        if block == 1:
            strip_rows = 1
        else:  # m * strips is a multiple of the thread count: equal work per thread
            strip_rows = -(-ny // max(1, nw // math.gcd(m, nw)))
        ring_stride = nx + _RING_PAD
        ring = np.empty(numba.config.NUMBA_NUM_THREADS * (block - 1) * 3 * ring_stride, dtype=dtype)
        passes = _advance(u.reshape(-1), buf.reshape(-1), L.reshape(-1), Q.reshape(-1), xf.reshape(-1),
                          yf.reshape(-1), faces.inside.reshape(-1), faces.row_runs, faces.run_start, faces.run_stop,
                          faces.run_kind, coef, dtype.type(0),
                          m, ny, nx, L.shape[0], Q.shape[0], nsteps, block, strip_rows, ring, ring_stride)
    return buf if passes % 2 else u


# ----------------------------------------------------------------------------------------------------------------
# numpy reference
# ----------------------------------------------------------------------------------------------------------------


def advance_numpy(u, buf, faces: Faces, coef, L, Q, nsteps):
    """Reference implementation of :func:`advance` in plain numpy: same arguments, same arithmetic in the same
    order, the same ping-pong (the result is ``buf`` when ``nsteps`` is odd, else ``u``).

    Ghost cells copy the edge (``np.pad(mode="edge")``); their face weight is 0.

    Examples
    --------
    >>> from sim.faces import Faces
    >>> f = Faces.from_ids(np.array([[1, 1, 0]], np.uint8), [[0, 0], [0, 1]])
    >>> args = prepare(np.array([[1.0, 0.0, 0.7]]), f, kappa=0.25, dx=1.0, dt=1.0, dtype=np.float64)
    >>> advance_numpy(*args, nsteps=1).tolist()  # half the gradient flows across; the cell outside stays 0
    [[[0.75, 0.25, 0.0]]]
    """
    dtype = _check(u, buf, faces, coef, L, Q, nsteps)
    if u.size == 0:
        return u
    xf, yf = faces.weights(dtype)
    inside = faces.inside.astype(bool)
    wn, ws, ww, we = yf[:-1], yf[1:], xf[:, :-1], xf[:, 1:]
    src, dst = u, buf
    for _ in range(int(nsteps)):
        for k in range(u.shape[0]):
            v = src[k]
            p = np.pad(v, 1, mode="edge")
            un, us, uw, ue = p[:-2, 1:-1], p[2:, 1:-1], p[1:-1, :-2], p[1:-1, 2:]
            lap = wn * (un - v) + ws * (us - v) + ww * (uw - v) + we * (ue - v)
            lk, qk = L[k if len(L) > 1 else 0], Q[k if len(Q) > 1 else 0]
            dst[k] = np.where(inside, v + coef[k] * lap + v * (lk - qk * v), dtype.type(0))
        src, dst = dst, src
    return src
