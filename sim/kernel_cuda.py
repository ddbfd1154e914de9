r"""The model kernel on an NVIDIA GPU (numba.cuda): the update of :mod:`sim.kernel`, one thread per member and cell.

Same equation, arrays and arithmetic order as :func:`sim.kernel.advance_numpy`::

    lap   = w_N (u_N - u) + w_S (u_S - u) + w_W (u_W - u) + w_E (u_E - u)
    u_new = u + coef_k * lap + u * (L - Q * u)          inside the mask, 0 outside

on the staggered face weights of :class:`sim.faces.Faces`. One launch per step on a 3-D grid of blocks (columns
in x, 32 threads a block, so a warp reads 32 consecutive floats; rows in y; members in z), ping-ponging between
two device arrays; ``L``, ``Q`` and the weights stay on the device between launches. :class:`DeviceRun` keeps the
state on the device across calls (the model loop copies it back only at snapshots); :func:`advance_cuda` is a
host-to-host convenience with :func:`sim.kernel.advance`'s signature.

Where it runs
-------------
* On a machine with an NVIDIA GPU, with NVIDIA's ``numba-cuda`` package (``pip install -e '.[cuda]'``; numba's
  built-in ``numba.cuda`` is deprecated in its favour). Select it with ``numerics.device = "cuda"``.
* Anywhere, under numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1`` set before numba is first imported): the
  kernel then runs in Python, thread by thread, on small grids only. The tests do this in a separate process
  (tests/test_kernel_cuda.py) against the numpy reference, so CI needs no GPU.

On a real GPU, NVVM contracts ``a * b + c`` into fused multiply-adds (numba.cuda does not expose turning that
off), so results differ from the CPU kernel by rounding (a few ulps per step), not bit for bit; under the
simulator they are the numpy reference's exactly.
"""
from __future__ import annotations

import math

import numpy as np
from numba import cuda  # importing numba.cuda needs no GPU; the simulator swaps this name inside the kernel

from sim.faces import Faces

__all__ = ["DeviceRun", "advance_cuda", "available", "require"]

#: Threads per block along columns and rows.
BLOCK_X, BLOCK_Y = 32, 8

_KERNELS: dict = {}


def available() -> bool:
    """Whether a CUDA device (or the CUDA simulator) can run the kernel. Never raises."""
    try:
        return bool(cuda.is_available())
    except Exception:  # no numba.cuda, no driver, a broken toolkit: not available
        return False


def require() -> None:
    """Raise :class:`geo.errors.SpilloverError` with what to do when no CUDA device can run the kernel."""
    if not available():
        from geo.errors import SpilloverError

        raise SpilloverError(
            "numerics.device = 'cuda' but no CUDA GPU is available here (numba.cuda.is_available() is False); "
            "run on a machine with an NVIDIA GPU and driver, with the [cuda] extra installed "
            "(pip install -e '.[cuda]'), or set numerics.device = 'cpu'")


def _step(src, dst, xf, yf, inside, coef, L, Q):
    """One step for the thread of (column, row, member) ``cuda.grid(3)`` (compiled by :func:`_kernel`)."""
    j, i, k = cuda.grid(3)
    m, ny, nx = src.shape
    if j >= nx or i >= ny or k >= m:
        return
    if inside[i, j] == 0:
        dst[k, i, j] = 0
        return
    i_n = i - 1 if i > 0 else i
    i_s = i + 1 if i < ny - 1 else i
    jw = j - 1 if j > 0 else j
    je = j + 1 if j < nx - 1 else j
    kl = k if L.shape[0] > 1 else 0
    kq = k if Q.shape[0] > 1 else 0
    v = src[k, i, j]
    lap = (yf[i, j] * (src[k, i_n, j] - v) + yf[i + 1, j] * (src[k, i_s, j] - v)
           + xf[i, j] * (src[k, i, jw] - v) + xf[i, j + 1] * (src[k, i, je] - v))
    dst[k, i, j] = v + coef[k] * lap + v * (L[kl, i, j] - Q[kq, i, j] * v)


def _kernel():
    """The compiled step kernel (compiled on first use: importing this module needs no GPU)."""
    if "step" not in _KERNELS:
        _KERNELS["step"] = cuda.jit(fastmath=False)(_step)
    return _KERNELS["step"]


class DeviceRun:
    """An ensemble's state, rates and face weights on the GPU, advanced there step after step.

    Parameters are those of :func:`sim.kernel.advance` (host arrays; ``u`` is copied to the device). Update the
    rates with :meth:`set_rates` (an in-place copy to the device arrays), advance with :meth:`advance`, read the
    state back with :meth:`state`.

    Examples
    --------
    >>> run = DeviceRun(u, faces, coef, L, Q)   # doctest: +SKIP
    >>> run.advance(30); u_host = run.state()    # doctest: +SKIP
    """

    def __init__(self, u, faces: Faces, coef, L, Q):
        from sim.kernel import _check

        require()
        dtype = _check(u, np.empty_like(u), faces, coef, L, Q, 0)
        self.shape, self.dtype = u.shape, dtype
        xf, yf = faces.weights(dtype)
        self._xf, self._yf = cuda.to_device(xf), cuda.to_device(yf)
        self._inside = cuda.to_device(faces.inside)
        self._coef = cuda.to_device(coef)
        self._L, self._Q = cuda.to_device(L), cuda.to_device(Q)
        self._src = cuda.to_device(u)
        self._dst = cuda.device_array_like(self._src)
        m, ny, nx = u.shape
        self._blocks = (math.ceil(nx / BLOCK_X), math.ceil(ny / BLOCK_Y), m)
        self._threads = (BLOCK_X, BLOCK_Y, 1)

    def set_rates(self, L=None, Q=None) -> None:
        """Copy new ``L`` and/or ``Q`` (same shapes and dtype as at construction) into the device arrays."""
        for name, host, dev in (("L", L, self._L), ("Q", Q, self._Q)):
            if host is None:
                continue
            if host.shape != dev.shape or host.dtype != self.dtype:
                raise ValueError(f"{name} must stay {dev.shape} {self.dtype}, got {host.shape} {host.dtype}")
            dev.copy_to_device(np.ascontiguousarray(host))

    def advance(self, nsteps: int) -> None:
        """``nsteps`` steps on the device (one launch each); returns when they are queued."""
        step = _kernel()
        for _ in range(int(nsteps)):
            step[self._blocks, self._threads](self._src, self._dst, self._xf, self._yf, self._inside, self._coef,
                                              self._L, self._Q)
            self._src, self._dst = self._dst, self._src

    def state(self, out=None) -> np.ndarray:
        """The current state copied to the host (into ``out`` if given)."""
        if out is None:
            return self._src.copy_to_host()
        self._src.copy_to_host(out)
        return out

    def synchronize(self) -> None:
        cuda.synchronize()


def advance_cuda(u, buf, faces: Faces, coef, L, Q, nsteps):
    """:func:`sim.kernel.advance` on the GPU, host arrays in and out: the result is written to (and returned as)
    ``buf`` when ``nsteps`` is odd, else ``u`` (the same ping-pong as the CPU kernels)."""
    if int(nsteps) == 0 or u.size == 0:
        return u
    run = DeviceRun(u, faces, coef, L, Q)
    run.advance(nsteps)
    out = buf if int(nsteps) % 2 else u
    return run.state(out)
