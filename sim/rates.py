r"""The kernel's reaction fields ``L = dt l`` and ``Q = dt q``, built from small tables and per-cell base fields.

The kernel (:mod:`sim.kernel`) takes per-member, per-cell fields ``L`` and ``Q`` of shape (m, ny, nx), or
(1, ny, nx) when one field serves every member. A forcing rarely needs them free-form: its rates are sums of a
few per-cell *base fields* (population, a garrison's footprint, 1) scaled by per-member *per-unit* coefficients
(a country's or an admin-1 unit's drivers in force, a member's parameters). :func:`fill_rate` computes::

    out[k, x] = dt * sum_f tables[k, f, unit[x]] * fields[f, x]          (f = 0, 1, ..., in this order)

in one parallel numba pass, in place (no allocation), accumulating in float64 and rounding once to ``out``'s
dtype; cells with ``unit == 0`` (outside the mask) get 0. ``tables`` is (m_out, nf, n_units) float64, ``fields``
(nf, ny, nx) (float32 or float64, shared by every member), ``unit`` (ny, nx) of any integer type (country or
admin-1 ids). A member dimension of 1 in ``out`` with ``tables`` of 1 member is a shared field.

Examples of forcings in this form (``p`` a population factor, ``F_g`` the footprint of garrison ``g``):

* today's logistic model: ``l = r_c - sigma_c(t)``, ``q = r_c``: one base field (ones); tables
  ``r - sigma`` and ``r`` per member and country;
* growth where people live with a capacity ``K(x)``: ``q = r_c p(x) / K(x)``: base field ``p / K``, table ``r_c``;
* suppression around garrisons: ``l = r_c p(x) - delta - sum_g s_g(t) F_g(x)``: base fields ``p``, ``1``, ``F_g``;
  tables ``r_c``, ``-delta``, ``-s_g(t)`` (0 while garrison ``g`` is absent). A change of ``s_g(t)`` (monthly,
  say) rewrites only the small table; one :func:`fill_rate` call refreshes ``L``.

:func:`rate_numpy` is the numpy reference (same order, same rounding). Check the result against the stability
bound with :func:`sim.kernel.step_bound`.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.threads import FLOATS, threads_for

__all__ = ["fill_rate", "rate_numpy"]


def _check(out_shape, out_dtype, unit, tables, fields):
    if len(out_shape) != 3:
        raise ValueError(f"out must be (m, ny, nx), got shape {out_shape}")
    m, ny, nx = out_shape
    if out_dtype not in FLOATS:
        raise ValueError(f"out must be float32 or float64, got {out_dtype}")
    if not isinstance(unit, np.ndarray) or unit.shape != (ny, nx) or not np.issubdtype(unit.dtype, np.integer):
        raise ValueError(f"unit must be a ({ny}, {nx}) integer array, got {getattr(unit, 'dtype', type(unit))} "
                         f"{getattr(unit, 'shape', '')}")
    if not isinstance(tables, np.ndarray) or tables.ndim != 3 or tables.shape[0] != m or tables.dtype != np.float64:
        raise ValueError(f"tables must be a ({m}, nf, n_units) float64 array, got "
                         f"{getattr(tables, 'dtype', type(tables))} {getattr(tables, 'shape', '')}")
    nf, n_units = tables.shape[1:]
    if not isinstance(fields, np.ndarray) or fields.shape != (nf, ny, nx) or fields.dtype not in FLOATS:
        raise ValueError(f"fields must be a ({nf}, {ny}, {nx}) float array, got "
                         f"{getattr(fields, 'dtype', type(fields))} {getattr(fields, 'shape', '')}")
    if unit.size and (int(unit.min()) < 0 or int(unit.max()) >= n_units):
        raise ValueError(f"unit ids must lie in 0..{n_units - 1} (the columns of tables), got {int(unit.min())}.."
                         f"{int(unit.max())}")
    for name, a in (("unit", unit), ("tables", tables), ("fields", fields)):
        if not a.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous")


def fill_rate(out, unit, tables, fields, dt: float) -> np.ndarray:
    """Fill ``out`` (m, ny, nx) in place with ``dt * sum_f tables[k, f, unit] * fields[f]`` (module docstring).

    Returns ``out``.

    Examples
    --------
    >>> unit = np.array([[1, 2, 0]], np.uint8)
    >>> tables = np.array([[[0.0, 0.5, 2.0]]])            # one member, one field, units 0..2
    >>> fields = np.ones((1, 1, 3), np.float32)
    >>> fill_rate(np.empty((1, 1, 3), np.float32), unit, tables, fields, dt=0.5).tolist()
    [[[0.25, 1.0, 0.0]]]
    """
    if not isinstance(out, np.ndarray) or not out.flags.c_contiguous:
        raise ValueError("out must be a C-contiguous numpy array")
    _check(out.shape, out.dtype, unit, tables, fields)
    if out.size:
        with threads_for(out.size):
            _fill(out, unit, tables, fields, float(dt))
    return out


@njit(parallel=True, cache=True)
def _fill(out, unit, tables, fields, dt):
    m, ny, nx = out.shape
    nf = fields.shape[0]
    for item in prange(m * ny):
        k = item // ny
        i = item - k * ny
        for j in range(nx):
            c = unit[i, j]
            if c == 0:
                out[k, i, j] = 0
                continue
            acc = 0.0
            for f in range(nf):
                acc = acc + tables[k, f, c] * fields[f, i, j]
            out[k, i, j] = dt * acc


def rate_numpy(out_shape, dtype, unit, tables, fields, dt: float) -> np.ndarray:
    """Reference of :func:`fill_rate` in numpy: a new array of ``out_shape`` and ``dtype``, the same sums in the same
    order (float64, rounded once)."""
    dtype = np.dtype(dtype)
    _check(tuple(out_shape), dtype, unit, tables, fields)
    m = out_shape[0]
    out = np.empty(out_shape, dtype)
    for k in range(m):
        acc = np.zeros(unit.shape)
        for f in range(tables.shape[1]):
            acc = acc + tables[k, f][unit] * fields[f].astype(np.float64)
        out[k] = np.where(unit == 0, 0.0, float(dt) * acc).astype(dtype)
    return out
