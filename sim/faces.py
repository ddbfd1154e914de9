r"""Face weights of the model grid: how easily risk diffuses through each face between two neighbouring cells.

The diffusion term of the model is ``div(kappa_k w(x) grad u)``: every member ``k`` has its own diffusivity
``kappa_k``, all members share the face weights ``w >= 0``. On the equal-area grid with square cells the
conservative 5-point discretisation needs one weight per face, stored on a staggered layout:

* ``xface`` (ny, nx + 1): ``xface[i, j]`` is the face between cells ``(i, j - 1)`` and ``(i, j)``; column 0 and
  column ``nx`` are the grid's west and east edge (weight 0: no flux through the edge);
* ``yface`` (ny + 1, nx): ``yface[i, j]`` is the face between cells ``(i - 1, j)`` and ``(i, j)``; rows 0 and
  ``ny`` are the north and south edge (weight 0).

So cell ``(i, j)`` has the weights ``yface[i, j]`` (north), ``yface[i + 1, j]`` (south), ``xface[i, j]`` (west)
and ``xface[i, j + 1]`` (east). A face that touches a cell outside the mask has weight 0, so nothing flows into or
out of unmodelled cells (the ocean, countries not modelled). One weight per face makes the flux antisymmetric:
what leaves a cell through a face enters its neighbour, and pure diffusion conserves mass.

:meth:`Faces.from_ids` builds the weights from a grid of unit ids (country ids today, admin-1 ids later: 0 = not
modelled) and a symmetric permeability table ``perm`` of shape (n+1, n+1): the face between cells with ids ``a``
and ``b`` gets ``perm[a, b]`` (1 inside a unit, a border's permeability between two units, 0 closes it).
:meth:`Faces.from_weights` takes any face weights (e.g. terrain).

The object also holds what the kernel (:mod:`sim.kernel`) derives from the weights once per grid, never per call:

* the **runs** of each row: the columns ``1 .. nx - 2`` cut into runs of one kind: :data:`OUTSIDE` (cells
  outside the mask: the kernel writes zeros), :data:`INTERIOR` (cells inside with all four face weights exactly 1:
  the kernel's branch-free loop without weight loads, which LLVM vectorises) and :data:`WEIGHTED` (the rest:
  coasts, borders whose permeability is not 1; a branch-free loop that loads the weights and selects 0 outside the
  mask, also vectorised). An interior or outside stretch shorter than :data:`MIN_RUN` cells joins the weighted run
  around it, so runs are long enough to vectorise, and the weighted loop costs only the cells that need weights.
  The first and last column take the kernel's scalar edge update. Stored flat: the runs of row ``i`` are
  ``row_runs[i] .. row_runs[i + 1] - 1``, each with ``run_start``, ``run_stop`` (columns) and ``run_kind``;
* ``face_sum`` (ny, nx): the sum of each cell's four face weights, which enters the stability bound
  (:func:`sim.kernel.stable_dt`).

Build a grid's faces once with :func:`faces_for` (cached on the ids' and the table's content) and share them
between runs and members.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np

__all__ = ["INTERIOR", "MIN_RUN", "OUTSIDE", "WEIGHTED", "Faces", "faces_for"]

#: Shortest INTERIOR or OUTSIDE run kept apart from the WEIGHTED cells around it (cells).
MIN_RUN = 16
#: Cell and run classes.
WEIGHTED, INTERIOR, OUTSIDE = 0, 1, 2

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class Faces:
    """The face weights of one grid, shared by every ensemble member (see the module docstring).

    Attributes: ``xface`` (ny, nx+1) and ``yface`` (ny+1, nx) float64 weights, ``inside`` (ny, nx) uint8 mask
    (1 = modelled), the runs ``row_runs`` (ny+1,), ``run_start``, ``run_stop`` (int64) and ``run_kind`` (uint8),
    ``face_sum`` (ny, nx) float64, ``shape``.
    Treat the arrays as read-only: they are shared (they are flagged non-writeable).

    Examples
    --------
    >>> ids = np.array([[1, 1, 2], [1, 0, 2]], np.uint8)
    >>> perm = np.array([[0, 0, 0], [0, 1, 0.5], [0, 0.5, 1]])
    >>> f = Faces.from_ids(ids, perm)
    >>> f.xface[0].tolist()  # west edge, 1|1, 1|2 border, east edge
    [0.0, 1.0, 0.5, 0.0]
    >>> f.face_sum.tolist()
    [[2.0, 1.5, 1.5], [1.0, 0.0, 1.0]]
    """

    def __init__(self, xface, yface, inside):
        inside = np.ascontiguousarray(inside, dtype=bool)
        if inside.ndim != 2:
            raise ValueError(f"the mask must be 2-D (ny, nx), got shape {inside.shape}")
        ny, nx = inside.shape
        xface = np.array(xface, dtype=np.float64, order="C")
        yface = np.array(yface, dtype=np.float64, order="C")
        if xface.shape != (ny, nx + 1) or yface.shape != (ny + 1, nx):
            raise ValueError(f"for a ({ny}, {nx}) grid xface must be ({ny}, {nx + 1}) and yface ({ny + 1}, {nx}), "
                             f"got {xface.shape} and {yface.shape}")
        for name, w in (("xface", xface), ("yface", yface)):
            if not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValueError(f"{name}: face weights must be finite and >= 0")
        if np.any(xface[:, 0]) or np.any(xface[:, -1]) or np.any(yface[0]) or np.any(yface[-1]):
            raise ValueError("face weights on the grid edge (xface[:, 0], xface[:, -1], yface[0], yface[-1]) must be 0")
        xin = np.zeros((ny, nx + 1), bool)
        xin[:, 1:-1] = inside[:, :-1] & inside[:, 1:]
        yin = np.zeros((ny + 1, nx), bool)
        yin[1:-1] = inside[:-1] & inside[1:]
        if np.any(xface[~xin]) or np.any(yface[~yin]):
            raise ValueError("a face that touches a cell outside the mask must have weight 0")
        self.shape = (ny, nx)
        self.xface, self.yface = xface, yface
        self.inside = inside.astype(np.uint8)
        self.face_sum = xface[:, :-1] + xface[:, 1:] + yface[:-1] + yface[1:]
        self.row_runs, self.run_start, self.run_stop, self.run_kind = _runs(self.inside, xface, yface)
        for a in (self.xface, self.yface, self.inside, self.face_sum, self.row_runs, self.run_start, self.run_stop,
                  self.run_kind):
            a.flags.writeable = False
        self._cast: dict = {}

    # ------------------------------------------------------------------------------------------- builders
    @classmethod
    def from_ids(cls, ids, perm) -> "Faces":
        """Weights from unit ids (ny, nx) (any integer dtype; 0 = not modelled) and a symmetric table ``perm``
        (n+1, n+1) with ``perm[0, :] = perm[:, 0] = 0``: the face between ids ``a`` and ``b`` weighs ``perm[a, b]``.

        Examples
        --------
        >>> Faces.from_ids(np.ones((2, 2), np.uint8), [[0, 0], [0, 1]]).face_sum.tolist()
        [[2.0, 2.0], [2.0, 2.0]]
        """
        ids = np.asarray(ids)
        perm = np.asarray(perm, dtype=np.float64)
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"ids must be a 2-D integer array, got {ids.dtype} {ids.shape}")
        if perm.ndim != 2 or perm.shape[0] != perm.shape[1]:
            raise ValueError(f"perm must be a square (n+1, n+1) table, got shape {perm.shape}")
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= len(perm)):
            raise ValueError(f"ids must lie in 0..{len(perm) - 1} (the rows of perm), got {int(ids.min())}.."
                             f"{int(ids.max())}")
        if np.any(perm[0]) or np.any(perm[:, 0]):
            raise ValueError("perm[0, :] and perm[:, 0] must be 0 (no flux into unmodelled cells)")
        if not np.array_equal(perm, perm.T):
            raise ValueError("perm must be symmetric (perm[a, b] == perm[b, a])")
        if not np.all(np.isfinite(perm)) or np.any(perm < 0):
            raise ValueError("perm must be finite and non-negative")
        ny, nx = ids.shape
        xface = np.zeros((ny, nx + 1))
        xface[:, 1:-1] = perm[ids[:, :-1], ids[:, 1:]]
        yface = np.zeros((ny + 1, nx))
        yface[1:-1] = perm[ids[:-1], ids[1:]]
        return cls(xface, yface, ids > 0)

    @classmethod
    def from_weights(cls, xface, yface, inside) -> "Faces":
        """Faces from explicit staggered weights (see the module docstring) and the mask ``inside`` (ny, nx)."""
        return cls(xface, yface, inside)

    # ------------------------------------------------------------------------------------------- for the kernel
    def weights(self, dtype) -> tuple[np.ndarray, np.ndarray]:
        """``(xface, yface)`` cast to ``dtype`` (float32 or float64), C-contiguous, cached."""
        dtype = np.dtype(dtype)
        if dtype not in _FLOATS:
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        if dtype not in self._cast:
            pair = (self.xface.astype(dtype), self.yface.astype(dtype))
            for a in pair:
                a.flags.writeable = False
            self._cast[dtype] = pair
        return self._cast[dtype]

    @property
    def face_sum_max(self) -> float:
        """The largest sum of a cell's four face weights (at most ``4 max(perm)``)."""
        return float(self.face_sum.max(initial=0.0))

    def run_cells(self) -> dict[str, int]:
        """How many cells each kind of run covers (the first and last column are counted as ``edge``)."""
        lengths = self.run_stop - self.run_start
        counts = np.bincount(self.run_kind, weights=lengths, minlength=3).astype(int)
        edge = self.shape[0] * min(2, self.shape[1])
        return {"interior": int(counts[INTERIOR]), "weighted": int(counts[WEIGHTED]),
                "outside": int(counts[OUTSIDE]), "edge": edge}

    def __repr__(self) -> str:
        c = self.run_cells()
        total = max(1, self.shape[0] * self.shape[1])
        return (f"Faces({self.shape[0]}x{self.shape[1]}, {int(self.inside.sum())} cells inside; runs cover "
                + ", ".join(f"{v / total:.0%} {k}" for k, v in c.items()) + f"; {len(self.run_kind)} runs)")


def _runs(inside: np.ndarray, xface: np.ndarray, yface: np.ndarray):
    """Run-length classes of the columns ``1 .. nx - 2`` of every row (module docstring): ``(row_runs, start,
    stop, kind)``; the runs of row ``i`` are ``row_runs[i] .. row_runs[i + 1] - 1``.

    A cell is OUTSIDE (not modelled), INTERIOR (inside, four weights exactly 1) or WEIGHTED. An INTERIOR or
    OUTSIDE stretch shorter than :data:`MIN_RUN` is taken into the WEIGHTED run around it (the weighted loop
    computes the same: ``1 * x == x``, and it selects 0 outside the mask), so that every run is either long enough
    to vectorise or a few weighted cells at a coast or border.
    """
    ny, nx = inside.shape
    cls = np.full((ny, nx), WEIGHTED, np.uint8)
    ones = (xface[:, :-1] == 1) & (xface[:, 1:] == 1) & (yface[:-1] == 1) & (yface[1:] == 1) & (inside > 0)
    cls[ones] = INTERIOR
    cls[inside == 0] = OUTSIDE
    row_runs = np.zeros(ny + 1, np.int64)
    starts, stops, kinds = [], [], []
    for i in range(ny):
        row = cls[i, 1:nx - 1]
        runs = []  # [start, stop, kind] in grid columns
        if row.size:
            cut = np.flatnonzero(np.diff(row)) + 1
            bounds = np.concatenate(([0], cut, [row.size]))
            for a, b in zip(bounds[:-1], bounds[1:]):
                kind = int(row[a])
                if kind != WEIGHTED and b - a < MIN_RUN:
                    kind = WEIGHTED
                if runs and runs[-1][2] == kind:
                    runs[-1][1] = b + 1
                else:
                    runs.append([a + 1, b + 1, kind])
        for a, b, kind in runs:
            starts.append(a)
            stops.append(b)
            kinds.append(kind)
        row_runs[i + 1] = len(starts)
    return (row_runs, np.array(starts, np.int64), np.array(stops, np.int64), np.array(kinds, np.uint8))


_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 8


def faces_for(ids, perm) -> Faces:
    """:meth:`Faces.from_ids`, cached on the content of ``ids`` and ``perm`` (the last few grids and tables).

    A sweep's runs and an ensemble's members on one grid with one permeability table share one object: the run
    classification is made once per grid, not per kernel call.

    Examples
    --------
    >>> ids = np.ones((3, 4), np.uint8)
    >>> faces_for(ids, [[0, 0], [0, 1]]) is faces_for(ids.copy(), [[0, 0], [0, 1]])
    True
    """
    ids = np.ascontiguousarray(ids)
    perm = np.ascontiguousarray(perm, dtype=np.float64)
    key = (ids.shape, ids.dtype.str, perm.shape, hashlib.sha1(ids.tobytes()).hexdigest(),
           hashlib.sha1(perm.tobytes()).hexdigest())
    hit = _CACHE.get(key)
    if hit is None:
        hit = Faces.from_ids(ids, perm)
        _CACHE[key] = hit
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return hit
