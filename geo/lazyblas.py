"""Keep ``scipy.linalg`` out of numba's start-up: numba's import-time BLAS probe answered without importing SciPy.

When numba loads its registries (the first call of any jitted function in a process, cached or not), it imports
``numba.np.arraymath``, which decides once whether ``np.dot`` & co. may use BLAS: ``_HAVE_BLAS = _check_blas()``,
where ``_check_blas`` calls ``numba.np.linalg.ensure_blas()``, which imports ``scipy.linalg.cython_blas`` (and with
it the whole ``scipy.linalg`` package, ~0.2 s on the 2-core machine: 0.25 s of a default ``spillover run``'s
0.7 s of numba start-up) and checks its Fortran integer width. No sahel-spillover kernel uses numba's linear
algebra, so that import is pure start-up cost.

:func:`install` puts a meta-path finder in front of ``numba.np.linalg``'s import (nothing else is touched, and
nothing is imported until numba imports that module itself). When the module has run, its ``ensure_blas`` is
replaced by a wrapper that answers *only the probe* (``numba.np.arraymath`` being imported, before its
``_HAVE_BLAS`` exists) from the file system: ``scipy/linalg/cython_blas`` with an extension-module suffix is
present, so ``_HAVE_BLAS`` is True, as it is with the real probe on any working SciPy. Every other call (numba calls
``ensure_blas()`` again when it compiles ``np.dot``, ``np.linalg.*`` …) goes to numba's own function: SciPy is
imported then and the integer width checked then, so numba's linear algebra works as before, only later. Where
the file is missing (no SciPy) the real probe runs and numba decides as it always did.

Differences from numba's own behaviour, only where SciPy is broken: a ``cython_blas`` that is present but fails
to import, or has the wrong integer width, is reported when a BLAS function is compiled instead of when numba
starts (numba itself would have fallen back to its plain loops for ``np.dot``, or refused to start).

``SPILLOVER_NUMBA_BLAS_PROBE=eager`` turns this off (numba's probe as shipped). :func:`install` is called by
``import geo`` and ``import sim`` (so before any of their jitted functions can run); it does nothing once
``numba.np.arraymath`` has been imported.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys

#: ``SPILLOVER_NUMBA_BLAS_PROBE``: ``lazy`` (default) or ``eager``.
ENV = "SPILLOVER_NUMBA_BLAS_PROBE"
TARGET = "numba.np.linalg"
PROBE_MODULE = "numba.np.arraymath"


def install() -> bool:
    """Answer numba's import-time BLAS probe without SciPy from now on (see the module docstring); whether it is
    in place (False: turned off by :data:`ENV`, or too late because ``numba.np.arraymath`` is imported)."""
    if os.environ.get(ENV, "lazy").strip().lower() == "eager" or PROBE_MODULE in sys.modules:
        return False
    if TARGET in sys.modules:
        patch(sys.modules[TARGET])
        return True
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
    return True


def patch(linalg) -> None:
    """Replace ``linalg.ensure_blas`` (``numba.np.linalg``'s) by the wrapper that answers the probe (idempotent)."""
    real = linalg.ensure_blas
    if getattr(real, "_probe_answered_from_files", False):
        return

    def ensure_blas():
        probing = sys.modules.get(PROBE_MODULE)
        if probing is not None and not hasattr(probing, "_HAVE_BLAS") and cython_blas_present():
            return None  # numba.np.arraymath's import-time probe: SciPy's BLAS is there, imported when used
        return real()

    ensure_blas.__doc__ = real.__doc__
    ensure_blas.__wrapped__ = real
    ensure_blas._probe_answered_from_files = True
    linalg.ensure_blas = ensure_blas


def cython_blas_present() -> bool:
    """Whether ``scipy.linalg.cython_blas`` exists as an extension module file (nothing imported)."""
    scipy = sys.modules.get("scipy")
    spec = getattr(scipy, "__spec__", None) if scipy is not None else importlib.util.find_spec("scipy")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            if os.path.isfile(os.path.join(folder, "linalg", "cython_blas" + suffix)):
                return True
    return False


class _Finder:
    """A meta-path finder for :data:`TARGET` only: the regular spec, with a loader that patches after executing."""

    def find_spec(self, name, path=None, target=None):
        if name != TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
            return spec  # not a plain source module (frozen, zipped …): numba's probe as shipped
        spec.loader = _PatchingLoader(spec.loader.name, spec.loader.path)
        return spec


class _PatchingLoader(importlib.machinery.SourceFileLoader):
    def exec_module(self, module) -> None:
        super().exec_module(module)
        patch(module)
