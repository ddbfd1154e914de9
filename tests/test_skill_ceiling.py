"""benchmarks/skill_ceiling.py: the least absolute deviations fit behind the stated log-MAE ceiling."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from skill_ceiling import lad  # noqa: E402


def test_lad_recovers_a_median_line_through_heavy_tailed_noise():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 5, 400)
    y = 0.5 + 2.0 * x + rng.standard_cauchy(400) * 0.2  # median of the noise is 0, its mean does not exist
    beta = lad(np.column_stack([np.ones_like(x), x]), y)
    assert np.allclose(beta, [0.5, 2.0], atol=0.1)


def test_lad_is_the_sample_median_for_a_constant_and_minimises_absolute_error():
    y = np.array([0.0, 0.0, 0.0, 1.0, 5.0, 9.0, 40.0])
    (b,) = lad(np.ones((len(y), 1)), y)
    assert b == 1.0
    for other in (0.0, 0.9, 1.1, 5.0):
        assert np.abs(y - b).sum() <= np.abs(y - other).sum()
