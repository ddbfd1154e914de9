"""``initial.state``: a previous run's last snapshot as the initial risk of a new one, checked against its grid.

:func:`sim.forcing.initial_risk` takes ``u0`` from here when the scenario names a previous run's ``risk.nc`` (or its
run folder); every way the file can be wrong (missing, not NetCDF, another grid, values outside ``[0, K]``) is a
:class:`~geo.errors.SpilloverError` that says what is wrong.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from geo.errors import SpilloverError
from geo.grid import Grid

#: Carrying capacity of risk: the logistic saturates at u = 1 (a loaded state must lie in [0, K]).
CAPACITY = 1.0


def state_from_run(path: Path, grid: Grid) -> np.ndarray:
    """The last snapshot of a previous run's risk.nc (or run folder), checked against this grid: same shape,
    coordinates and modelled cells; finite and within [0, K] inside the countries. Anything else is a
    :class:`SpilloverError` saying what is wrong."""
    import netCDF4

    where = f"initial.state: {path}"
    if path.is_dir():
        if not (path / "risk.nc").is_file():
            raise SpilloverError(f"{where} is a folder without risk.nc; give the risk.nc of a previous run")
        path, where = path / "risk.nc", f"initial.state: {path / 'risk.nc'}"
    if not path.exists():
        raise SpilloverError(f"{where} does not exist; give the risk.nc of a previous run")
    try:
        ds = netCDF4.Dataset(path, "r")
    except (OSError, RuntimeError, ValueError) as exc:
        raise SpilloverError(f"{where} is not a NetCDF file ({' '.join(str(exc).split())[:80]}); give the risk.nc "
                             "of a previous run") from None
    try:
        ds.set_auto_mask(False)
        if "risk" not in ds.variables:
            raise SpilloverError(f"{where} has no variable 'risk'; give the risk.nc of a previous run")
        risk = ds.variables["risk"]
        if tuple(risk.dimensions) != ("time", "y", "x") or risk.shape[0] == 0:
            raise SpilloverError(f"{where}: 'risk' has dimensions {tuple(risk.dimensions)} and shape {risk.shape}; "
                                 "valid: (time, y, x) with at least one snapshot")
        if tuple(risk.shape[1:]) != tuple(grid.shape):
            raise SpilloverError(f"{where} has a {tuple(risk.shape[1:])} grid but this scenario's grid is "
                                 f"{grid.shape}; use the same grid settings (grid.cell_km, grid.countries, grid.crs)")
        for axis, mine in (("x", grid.x), ("y", grid.y)):
            if axis in ds.variables:
                theirs = np.asarray(ds.variables[axis][:], dtype=float)
                if theirs.shape != mine.shape or not np.allclose(theirs, mine, rtol=0, atol=1.0):
                    raise SpilloverError(f"{where}: its {axis} coordinates differ from this scenario's grid; use "
                                         "the same grid settings (grid.cell_km, grid.countries, grid.crs)")
        if "country_id" in ds.variables:
            ids = np.asarray(ds.variables["country_id"][:])
            if ids.shape != grid.shape or not np.array_equal(ids > 0, grid.mask):
                raise SpilloverError(f"{where}: its modelled cells differ from this scenario's "
                                     f"({int((ids > 0).sum()):,} against {int(grid.mask.sum()):,}); use the same "
                                     "grid.countries")
        last = np.asarray(risk[risk.shape[0] - 1, :, :], dtype=float)
    except (OSError, RuntimeError, IndexError, KeyError) as exc:
        raise SpilloverError(f"{where} cannot be read ({' '.join(str(exc).split())[:80]}); give the risk.nc of a "
                             "previous run") from None
    finally:
        ds.close()
    inside = last[grid.mask]
    bad = ~np.isfinite(inside)
    if bad.any():
        raise SpilloverError(f"{where}: {int(bad.sum()):,} cells inside the modelled countries are not finite (NaN "
                             f"or infinite) in its last snapshot; valid: risk in [0, {CAPACITY:g}] everywhere inside")
    out_of_range = (inside < 0) | (inside > CAPACITY)
    if out_of_range.any():
        raise SpilloverError(f"{where}: {int(out_of_range.sum()):,} cells inside the modelled countries are outside "
                             f"[0, {CAPACITY:g}] (from {inside.min():.4g} to {inside.max():.4g}) in its last snapshot; "
                             f"valid: risk in [0, {CAPACITY:g}]")
    return np.where(grid.mask, last, 0.0)
