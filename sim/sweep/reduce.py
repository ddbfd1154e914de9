r"""Per-unit reductions of an ensemble state, for metrics accumulated on the fly (no time series kept).

For an ensemble state ``u`` of shape ``(m, ny, nx)`` and a raster of unit ids (a country, an admin-1 unit, …;
negative = not counted), :func:`unit_sums` returns for every member ``j`` and unit ``k``::

    total[j, k]    = Σ_{cells c in k} u[j, c]
    weighted[j, k] = Σ_{cells c in k} u[j, c] · w[c]           (w: an exposure raster, e.g. population)
    above[j, k]    = #{cells c in k : u[j, c] ≥ threshold[j]}

in float64 (the threshold is compared in the state's dtype, as :class:`sim.output.CountrySeries` does), each sum
taken over the unit's cells in row-major order, one member at a time. That order is fixed, so a member's sums are the same bit for bit whatever the other members of its batch (a run's metrics do not
depend on its batch), and equal to ``np.bincount(ids, weights=u[j].ravel())`` (which adds in the same order).

:class:`UnitIndex` compresses the raster once per grid into the counted cells (flat index, unit, weight), so a
snapshot costs one pass over the counted cells of each member and no Python work per cell. The numba function
reads ``u`` with any strides: members side by side in memory (``u.strides[0]`` smallest, as a kernel that keeps
members in the innermost loop produces) are read cell by cell, all members at once; members one after the other
are read member by member (in parallel over members when there are enough of them). Both orders add each member's cells in the same sequence,
so they agree exactly. :func:`unit_sums_numpy` is the reference the tests compare it with.

:func:`level_sums` takes one state and several unit rasters at once (a run's countries and admin-1 units,
:class:`LevelIndex`): one pass over the union of their cells gives every level's totals and counts above the
threshold, the same bits as :func:`unit_sums` level by level.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numba import njit, prange

#: Fewest state values (members × counted cells) read in parallel threads.
PARALLEL_MIN = 1 << 20


@dataclass(frozen=True)
class UnitIndex:
    """The counted cells of a unit-id raster, compressed once per grid.

    Parameters
    ----------
    cells : (k,) int64 flat indices (row-major) of the cells with a unit id ≥ 0, ascending.
    unit : (k,) int64 their unit ids, in ``[0, n_units)``.
    weight : (k,) float64 their weights (1 where no exposure is given).
    n_units : number of units.
    shape : the raster's shape.
    """

    cells: np.ndarray
    unit: np.ndarray
    weight: np.ndarray
    n_units: int
    shape: tuple[int, int]

    @classmethod
    def from_raster(cls, unit_id: np.ndarray, weight: np.ndarray | None = None,
                    n_units: int | None = None) -> "UnitIndex":
        """Compress a ``(ny, nx)`` raster of unit ids (negative: not counted) and an optional weight raster.

        Examples
        --------
        >>> ids = np.array([[0, 0, -1], [1, 1, 1]])
        >>> index = UnitIndex.from_raster(ids)
        >>> index.cells.tolist(), index.unit.tolist(), index.n_units
        ([0, 1, 3, 4, 5], [0, 0, 1, 1, 1], 2)
        """
        ids = np.asarray(unit_id)
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"unit_id must be a 2-D integer raster, got {ids.dtype} of shape {ids.shape}")
        flat = ids.ravel().astype(np.int64)
        cells = np.flatnonzero(flat >= 0).astype(np.int64)
        unit = flat[cells]
        count = int(unit.max()) + 1 if len(unit) else 0
        if n_units is not None:
            if count > n_units:
                raise ValueError(f"unit_id holds id {count - 1} but n_units is {n_units}")
            count = int(n_units)
        if weight is None:
            w = np.ones(len(cells))
        else:
            weight = np.asarray(weight, dtype=np.float64)
            if weight.shape != ids.shape:
                raise ValueError(f"weight raster {weight.shape} does not match the unit raster {ids.shape}")
            w = weight.ravel()[cells]
            if not np.isfinite(w).all():
                raise ValueError("the weight raster has NaN or infinite values in counted cells")
        return cls(cells, unit, np.ascontiguousarray(w), count, (int(ids.shape[0]), int(ids.shape[1])))


def unit_sums(u: np.ndarray, index: UnitIndex, threshold: np.ndarray | float = np.inf
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(total, weighted, above)``, each ``(m, n_units)`` float64 (see the module docstring).

    Examples
    --------
    >>> ids = np.array([[0, 0, -1], [1, 1, 1]])
    >>> u = np.array([[[0.2, 0.6, 0.9], [0.1, 0.5, 0.7]]], dtype=np.float32)
    >>> total, weighted, above = unit_sums(u, UnitIndex.from_raster(ids), threshold=0.5)
    >>> np.round(total, 3).tolist(), above.tolist()
    ([[0.8, 1.3]], [[1.0, 2.0]])
    """
    u2 = _members_by_cell(u, index)
    m = u2.shape[0]
    thr = np.broadcast_to(np.asarray(threshold, dtype=u2.dtype), (m,)).copy()
    total = np.zeros((m, index.n_units))
    weighted = np.zeros((m, index.n_units))
    above = np.zeros((m, index.n_units))
    if m and len(index.cells):
        if u2.strides[0] < u2.strides[1]:  # members side by side: one pass over the cells, all members at once
            _sums_cells_outer(u2, index.cells, index.unit, index.weight, thr, total, weighted, above)
        elif m > 1 and m * len(index.cells) >= PARALLEL_MIN:
            _sums_members_outer(u2, index.cells, index.unit, index.weight, thr, total, weighted, above)
        else:
            _sums_members_serial(u2, index.cells, index.unit, index.weight, thr, total, weighted, above)
    return total, weighted, above


@dataclass(frozen=True)
class LevelIndex:
    """Several :class:`UnitIndex` of one raster shape (e.g. countries and admin-1 units) fused, for
    :func:`level_sums`: the union of their counted cells (ascending) and, per cell and level, the cell's slot in
    one flat array of every level's units (level ``l``'s units at ``offsets[l]:offsets[l + 1]``; -1: the cell is
    not counted in that level)."""

    cells: np.ndarray
    slots: np.ndarray
    offsets: tuple
    shape: tuple[int, int]

    @classmethod
    def of(cls, indexes: "Sequence[UnitIndex]") -> "LevelIndex":
        """Fuse ``indexes`` (of one raster shape).

        Examples
        --------
        >>> a = UnitIndex.from_raster(np.array([[0, 0, -1], [1, 1, 1]]))
        >>> b = UnitIndex.from_raster(np.array([[-1, 0, 0], [-1, -1, 1]]))
        >>> fused = LevelIndex.of([a, b])
        >>> fused.cells.tolist(), fused.slots.tolist(), fused.offsets
        ([0, 1, 2, 3, 4, 5], [[0, -1], [0, 2], [-1, 2], [1, -1], [1, -1], [1, 3]], (0, 2, 4))
        """
        shapes = {index.shape for index in indexes}
        if len(shapes) > 1:
            raise ValueError(f"unit rasters of different shapes: {sorted(shapes)}")
        shape = shapes.pop() if shapes else (0, 0)
        counted = np.zeros(shape[0] * shape[1], dtype=bool)  # a raster-sized mask: no sort
        for index in indexes:
            counted[index.cells] = True
        cells = np.flatnonzero(counted).astype(np.int64)
        position = np.full(counted.size, -1, dtype=np.int64)
        position[cells] = np.arange(len(cells))
        offsets = np.concatenate([[0], np.cumsum([index.n_units for index in indexes])]).astype(int)
        slots = np.full((len(cells), len(indexes)), -1, dtype=np.int64)
        for level, index in enumerate(indexes):
            slots[position[index.cells], level] = index.unit + offsets[level]
        return cls(cells, slots, tuple(int(o) for o in offsets), shape)


def level_sums(u: np.ndarray, index: LevelIndex, threshold: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(total, above)`` of one state ``u`` (ny, nx) for every level of ``index``, in one pass over its cells.

    Each is ``(n_units,)`` float64, bit for bit what :func:`unit_sums` gives for ``u[None]`` and that level's
    :class:`UnitIndex` (every unit summed over its cells in row-major order; ``threshold`` compared in ``u``'s
    dtype).

    Examples
    --------
    >>> a = UnitIndex.from_raster(np.array([[0, 0, -1], [1, 1, 1]]))
    >>> b = UnitIndex.from_raster(np.array([[-1, 0, 0], [-1, -1, 1]]))
    >>> u = np.array([[0.2, 0.6, 0.9], [0.1, 0.5, 0.7]], dtype=np.float32)
    >>> [(np.round(t, 3).tolist(), n.tolist()) for t, n in level_sums(u, LevelIndex.of([a, b]), 0.5)]
    [([0.8, 1.3], [1.0, 2.0]), ([1.5, 0.7], [2.0, 1.0])]
    """
    if u.shape != index.shape:
        raise ValueError(f"state of shape {u.shape} does not match the unit rasters {index.shape}")
    flat = u.reshape(-1)
    total = np.zeros(index.offsets[-1])
    above = np.zeros(index.offsets[-1])
    if len(index.cells):
        _level_sums(flat, index.cells, index.slots, np.asarray(threshold, dtype=u.dtype).reshape(1), total, above)
    o = index.offsets
    return [(total[a:b], above[a:b]) for a, b in zip(o[:-1], o[1:])]


def unit_sums_numpy(u: np.ndarray, index: UnitIndex, threshold: np.ndarray | float = np.inf
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The numpy reference of :func:`unit_sums` (``np.bincount`` per member, same summation order)."""
    u2 = _members_by_cell(u, index)
    m = u2.shape[0]
    thr = np.broadcast_to(np.asarray(threshold, dtype=u2.dtype), (m,))
    out = [np.zeros((m, index.n_units)) for _ in range(3)]
    for j in range(m):
        raw = u2[j, index.cells]
        values = raw.astype(np.float64)
        out[0][j] = np.bincount(index.unit, weights=values, minlength=index.n_units)
        out[1][j] = np.bincount(index.unit, weights=values * index.weight, minlength=index.n_units)
        out[2][j] = np.bincount(index.unit, weights=(raw >= thr[j]).astype(np.float64), minlength=index.n_units)
    return out[0], out[1], out[2]


def warm(dtype="float32") -> None:
    """Load (or compile) every variant of the reduction for states of ``dtype`` (worker start-up)."""
    index = UnitIndex.from_raster(np.array([[0, 1]]))
    u = np.zeros((2, 2), np.dtype(dtype))
    out = [np.zeros((2, 2)) for _ in range(3)]
    thr = np.zeros(2, np.dtype(dtype))
    for loop in (_sums_cells_outer, _sums_members_serial, _sums_members_outer):
        loop(u, index.cells, index.unit, index.weight, thr, *out)
    _sums_cells_outer(np.asfortranarray(u), index.cells, index.unit, index.weight, thr, *out)  # members side by side


def _members_by_cell(u: np.ndarray, index: UnitIndex) -> np.ndarray:
    """``u`` as an ``(m, ny·nx)`` view (a copy only where its strides allow no view)."""
    if u.ndim != 3 or tuple(u.shape[1:]) != index.shape:
        raise ValueError(f"state of shape {u.shape} does not match the unit raster {index.shape}")
    return u.reshape(u.shape[0], -1)


@njit(cache=True)
def _sums_cells_outer(u, cells, unit, weight, thr, total, weighted, above):  # pragma: no cover - compiled
    m = u.shape[0]
    for i in range(cells.shape[0]):
        c = cells[i]
        k = unit[i]
        w = weight[i]
        for j in range(m):
            raw = u[j, c]
            v = np.float64(raw)
            total[j, k] += v
            weighted[j, k] += v * w
            if raw >= thr[j]:
                above[j, k] += 1.0


@njit(cache=True)
def _level_sums(u, cells, slots, thr, total, above):  # pragma: no cover - compiled
    levels = slots.shape[1]
    t = thr[0]
    for i in range(cells.shape[0]):
        raw = u[cells[i]]
        v = np.float64(raw)
        hit = raw >= t
        for level in range(levels):
            s = slots[i, level]
            if s >= 0:
                total[s] += v
                if hit:
                    above[s] += 1.0


def _members_outer(u, cells, unit, weight, thr, total, weighted, above):  # pragma: no cover - compiled
    m = u.shape[0]
    for j in prange(m):
        t = thr[j]
        for i in range(cells.shape[0]):
            raw = u[j, cells[i]]
            v = np.float64(raw)
            k = unit[i]
            total[j, k] += v
            weighted[j, k] += v * weight[i]
            if raw >= t:
                above[j, k] += 1.0


#: The same loop on one thread (below :data:`PARALLEL_MIN` values waking threads costs more than the work) and
#: in parallel over members.
_sums_members_serial = njit(cache=True)(_members_outer)
_sums_members_outer = njit(parallel=True, cache=True)(_members_outer)
