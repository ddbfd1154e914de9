"""The plain fused Fisher-KPP kernels the benchmarks compare the model kernel with (:mod:`sim.kernel`).

    du/dt = D laplace(u) + r u (1 - u)     on a (ny, nx) grid, uniform coefficients, no mask, zero-flux edges

explicit Euler with ``D_coef = D dt / dx²`` and ``r_dt = r dt``. :func:`fisher_kpp_advance` is numba (parallel
over rows, branch-free interior loop that LLVM vectorises); :func:`fisher_kpp_advance_numpy` is numpy slicing
with ``out=``, no allocation in the loop. This is the ceiling a model kernel on the same number of cells can
approach: it reads and writes one float per cell update and nothing else.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.threads import FLOATS, threads_for

__all__ = ["fisher_kpp_advance", "fisher_kpp_advance_numpy"]



@njit(parallel=True, cache=True)
def _fisher_kpp(u, buf, d_coef, r_dt, one, nsteps):
    """``u_new = u + d_coef * lap + r_dt * u * (1 - u)`` on a (ny, nx) grid, mirror ghost cells at the edges."""
    ny, nx = u.shape
    src, dst = u, buf
    for _ in range(nsteps):
        for i in prange(ny):
            un = src[i - 1] if i > 0 else src[i]
            uc = src[i]
            us = src[i + 1] if i < ny - 1 else src[i]
            out = dst[i]
            for j in range(1, nx - 1):  # interior columns: branch-free, vectorised
                v = uc[j]
                lap = (un[j] - v) + (us[j] - v) + (uc[j - 1] - v) + (uc[j + 1] - v)
                out[j] = v + d_coef * lap + r_dt * v * (one - v)
            for j in (0, nx - 1):  # edge columns (a 1-column grid computes its only cell twice, identically)
                jw = j - 1 if j > 0 else j
                je = j + 1 if j < nx - 1 else j
                v = uc[j]
                lap = (un[j] - v) + (us[j] - v) + (uc[jw] - v) + (uc[je] - v)
                out[j] = v + d_coef * lap + r_dt * v * (one - v)
        src, dst = dst, src
    return nsteps


def _check_fk(u, buf, nsteps):
    if not (isinstance(u, np.ndarray) and u.ndim == 2 and u.dtype in FLOATS and u.flags.c_contiguous
            and u.size > 0):
        raise ValueError("u must be a non-empty C-contiguous (ny, nx) float32 or float64 array")
    if not (isinstance(buf, np.ndarray) and buf.shape == u.shape and buf.dtype == u.dtype
            and buf.flags.c_contiguous) or np.may_share_memory(u, buf):
        raise ValueError("buf must be a distinct C-contiguous array like u")
    if int(nsteps) != nsteps or nsteps < 0:
        raise ValueError(f"nsteps must be an integer >= 0, got {nsteps!r}")


def fisher_kpp_advance(u, buf, D_coef, r_dt, nsteps):
    """``nsteps`` steps of ``u += D_coef * lap(u) + r_dt * u (1 - u)`` (numba, parallel over rows).

    ``D_coef = D dt / dx²`` and ``r_dt = r dt``; uniform coefficients, no mask, zero flux through the edges.
    Returns the array holding the result: ``buf`` if ``nsteps`` is odd, else ``u``.
    """
    _check_fk(u, buf, nsteps)
    t = u.dtype.type
    with threads_for(u.size):
        _fisher_kpp(u, buf, t(D_coef), t(r_dt), t(1), int(nsteps))
    return buf if nsteps % 2 else u


def fisher_kpp_advance_numpy(u, buf, D_coef, r_dt, nsteps):
    """:func:`fisher_kpp_advance` in numpy without allocation in the loop (slices and ``out=``).

    Three work arrays are allocated once per call. The face differences are added to and subtracted from the
    Laplacian, which is the flux form; the sum order differs from the numba kernel (results agree to rounding).
    """
    _check_fk(u, buf, nsteps)
    t = u.dtype.type
    D_coef, r_dt = t(D_coef), t(r_dt)
    ny, nx = u.shape
    lap = np.empty_like(u)
    fy = np.empty((max(ny - 1, 0), nx), u.dtype)
    fx = np.empty((ny, max(nx - 1, 0)), u.dtype)
    src, dst = u, buf
    for _ in range(int(nsteps)):
        lap.fill(0)
        np.subtract(src[1:], src[:-1], out=fy)  # flux through the faces between rows i and i+1
        np.add(lap[:-1], fy, out=lap[:-1])
        np.subtract(lap[1:], fy, out=lap[1:])
        np.subtract(src[:, 1:], src[:, :-1], out=fx)  # ... between columns j and j+1
        np.add(lap[:, :-1], fx, out=lap[:, :-1])
        np.subtract(lap[:, 1:], fx, out=lap[:, 1:])
        np.subtract(t(1), src, out=dst)  # dst = u + D lap + r_dt u (1 - u)
        np.multiply(dst, src, out=dst)
        np.multiply(dst, r_dt, out=dst)
        np.multiply(lap, D_coef, out=lap)
        np.add(dst, lap, out=dst)
        np.add(dst, src, out=dst)
        src, dst = dst, src
    return src
