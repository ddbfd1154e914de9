"""The exact Euclidean distance transform (numba) against scipy's, and against brute force."""
from __future__ import annotations

import numpy as np
import pytest

from geo.distance import SMALL_GRID, _distance, distance_cells, distance_cells_reference


@pytest.mark.parametrize("shape, density, seed", [
    ((1, 1), 1.0, 0), ((1, 9), 0.2, 1), ((9, 1), 0.3, 2), ((40, 70), 0.01, 3), ((70, 40), 0.002, 4),
    ((123, 77), 0.0005, 5), ((64, 64), 0.5, 6),
])
def test_numba_kernel_equals_scipy(shape, density, seed):
    rng = np.random.default_rng(seed)
    seeds = rng.random(shape) < density
    seeds.flat[rng.integers(seeds.size)] = True
    np.testing.assert_allclose(_distance(seeds, 1.0), distance_cells_reference(seeds), rtol=1e-7)


def test_against_brute_force_with_seeds_on_the_edges():
    seeds = np.zeros((30, 50), bool)
    seeds[0, 49] = seeds[29, 0] = seeds[15, 20] = True
    rr, cc = np.indices(seeds.shape)
    brute = np.min([np.hypot(rr - r, cc - c) for r, c in np.argwhere(seeds)], axis=0)
    np.testing.assert_allclose(_distance(seeds, 2.5), 2.5 * brute, rtol=1e-7)


def test_large_grids_take_the_kernel_and_agree():
    rng = np.random.default_rng(7)
    seeds = rng.random((1000, SMALL_GRID // 1000 + 10)) < 1e-4
    assert seeds.size >= SMALL_GRID
    np.testing.assert_allclose(distance_cells(seeds, 3.0), 3.0 * distance_cells_reference(seeds), rtol=1e-7)


def test_no_seed_is_infinitely_far_and_bad_shapes_are_refused():
    assert np.isinf(distance_cells(np.zeros((3, 4), bool))).all()
    column_without_seed = np.zeros((4, 3), bool)
    column_without_seed[1, 0] = True  # columns 1 and 2 have no seed: reached along the rows
    np.testing.assert_allclose(_distance(column_without_seed, 1.0), distance_cells_reference(column_without_seed),
                               rtol=1e-7)
    with pytest.raises(ValueError, match="2-D"):
        distance_cells(np.zeros(5, bool))
