r"""Scores of predicted deaths against the record: log-MAE, CRPS, Brier score of ≥ 25 deaths, interval coverage.

Conflict deaths are zero-inflated and right-skewed; squared error favours predicting zero everywhere, so the
project scores on the log scale and with proper scores of the whole predictive distribution, as ViEWS does
(views-evaluation ADR-031: CRPS, Brier, coverage, RMSLE). A prediction is an ensemble of ``M`` members
``x_1..x_M`` (deaths) per unit-period, scored against the observed deaths ``y``:

.. math::

    \text{log-MAE} = \frac{1}{N}\sum_n \bigl|\ln(1 + \hat x_n) - \ln(1 + y_n)\bigr|,
        \qquad \hat x_n = \mathrm{median}_m\, x_{m,n}

    \mathrm{CRPS}(F, y) = \int (F(z) - \mathbf 1\{y \le z\})^2\, dz
        = \mathbb E|X - y| - \tfrac12\, \mathbb E|X - X'|

    \text{Brier}_{25} = \bigl(\hat p - \mathbf 1\{y \ge 25\}\bigr)^2, \qquad \hat p = \tfrac1M \#\{m: x_m \ge 25\}

    \text{coverage}_{90} = \tfrac1N \#\{n: q_{0.05,n} \le y_n \le q_{0.95,n}\}

The point forecast for log-MAE is the members' median unless one is given: since ``ln(1 + x)`` is increasing, the median of
``ln(1 + X)`` is ``ln(1 + median X)``, the value that minimises the expected absolute log error. CRPS is in deaths
(lower is better) and reduces to the absolute error for a single member; it is computed with ``scoringrules``
(``crps_ensemble``, numpy backend) using the ``"qd"`` estimator, which is exact for the ensemble's empirical
distribution (identical to the energy form above with ``E|X - X'|`` over all ``M²`` pairs); ``fair=True`` uses the
unbiased "fair" estimator (pairs ``m ≠ m'``). Quantiles are numpy's linear-interpolation quantiles; a 90% interval
covers ``y`` when ``q05 ≤ y ≤ q95`` (inclusive: counts are integers and members often tie).

Example
-------
>>> import numpy as np
>>> members = np.array([[0.0, 30.0], [10.0, 40.0], [20.0, 50.0]])  # 3 members × 2 unit-years
>>> obs = np.array([10.0, 20.0])
>>> summary = summarise(members, obs)  # medians 10 and 40; P(≥ 25) = 0 and 1
>>> round(summary["log_mae"], 4), summary["brier_25"], summary["coverage_90"]
(0.3345, 0.5, 0.5)
"""
from __future__ import annotations

import numpy as np

from geo.errors import SpilloverError

#: Deaths per unit-period at or above which a unit-period counts as "in conflict" for the Brier score
#: (the UCDP threshold of an active conflict-year).
BRIER_THRESHOLD = 25.0
COVERAGE_LEVEL = 0.9


def _pair(members, obs, member_axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    x = np.moveaxis(np.asarray(members, float), member_axis, 0)
    y = np.asarray(obs, float)
    if x.shape[1:] != y.shape:
        raise SpilloverError(f"members of shape {x.shape[1:]} (after the member axis) do not match observations of "
                             f"shape {y.shape}")
    if x.shape[0] == 0:
        raise SpilloverError("no ensemble members to score")
    return x, y


def log_mae(pred, obs) -> float:
    """Mean absolute difference of ``ln(1 + ·)`` between point predictions and observations (NaNs skipped).

    >>> round(log_mae([0, 9], [0, 0]), 6)  # ln(10) / 2
    1.151293
    """
    err = np.abs(np.log1p(np.asarray(pred, float)) - np.log1p(np.asarray(obs, float)))
    return float(np.nanmean(err))


def rmsle(pred, obs) -> float:
    """Root mean squared difference of ``ln(1 + ·)`` (ViEWS' RMSLE)."""
    err = np.log1p(np.asarray(pred, float)) - np.log1p(np.asarray(obs, float))
    return float(np.sqrt(np.nanmean(err**2)))


def crps(members, obs, member_axis: int = 0, fair: bool = False) -> np.ndarray:
    """CRPS of each ensemble forecast (members along ``member_axis``) against ``obs``; same shape as ``obs``.

    Examples
    --------
    >>> float(crps([[3.0]], [1.0])[0])  # one member: the absolute error
    2.0
    >>> round(float(crps([[0.0], [2.0]], [1.0])[0]), 6)  # E|X-y| = 1, E|X-X'| / 2 = 0.5
    0.5
    """
    import scoringrules as sr

    x, y = _pair(members, obs, member_axis)
    if fair and x.shape[0] < 2:
        raise SpilloverError("the fair CRPS needs at least two members")
    flat_x = np.moveaxis(x.reshape(x.shape[0], -1), 0, -1)
    out = sr.crps_ensemble(y.reshape(-1), flat_x, m_axis=-1, estimator="fair" if fair else "qd", backend="numpy")
    return np.asarray(out, float).reshape(y.shape)


def crps_normal(mu, sigma, obs) -> np.ndarray:
    """Closed-form CRPS of N(mu, sigma²): ``σ [z (2Φ(z) − 1) + 2φ(z) − 1/√π]``, ``z = (y − μ)/σ``.

    The analytic check of :func:`crps` (Gneiting & Raftery 2007, eq. 21).
    """
    from scipy.stats import norm

    z = (np.asarray(obs, float) - mu) / sigma
    return sigma * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))


def exceedance_probability(members, threshold: float = BRIER_THRESHOLD, member_axis: int = 0) -> np.ndarray:
    """Fraction of members at or above ``threshold``."""
    x = np.moveaxis(np.asarray(members, float), member_axis, 0)
    return (x >= threshold).mean(axis=0)


def brier(members, obs, threshold: float = BRIER_THRESHOLD, member_axis: int = 0) -> np.ndarray:
    """Brier score of the event ``obs ≥ threshold`` with the members' exceedance fraction as the probability.

    >>> float(brier([[30.0], [0.0], [0.0], [40.0]], [50.0])[0])  # p = 0.5, event happened
    0.25
    """
    x, y = _pair(members, obs, member_axis)
    p = exceedance_probability(x, threshold)
    return (p - (y >= threshold)) ** 2


def interval(members, level: float = COVERAGE_LEVEL, member_axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Central ``level`` interval ``(q_lo, q_hi)`` of the members (linear-interpolation quantiles)."""
    if not 0 < level < 1:
        raise SpilloverError(f"interval level must be in (0, 1), got {level}")
    x = np.moveaxis(np.asarray(members, float), member_axis, 0)
    lo, hi = np.quantile(x, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return lo, hi


def covered(members, obs, level: float = COVERAGE_LEVEL, member_axis: int = 0) -> np.ndarray:
    """Boolean: ``obs`` lies in the members' central ``level`` interval (bounds included)."""
    x, y = _pair(members, obs, member_axis)
    lo, hi = interval(x, level)
    return (y >= lo) & (y <= hi)


def summarise(members, obs, member_axis: int = 0, threshold: float = BRIER_THRESHOLD,
              level: float = COVERAGE_LEVEL, fair: bool = False, point=None) -> dict:
    """All scores of an ensemble against observations, pooled over every unit-period (NaN observations skipped).

    ``point`` is the point forecast scored by log-MAE and RMSLE (same shape as ``obs``); default the members'
    median. A baseline defined by a point value (persistence) passes that value, so its log-MAE is the ViEWS
    point baseline's whatever distribution is put around it for the other scores.

    Returns ``{"n", "log_mae", "rmsle", "crps", "brier_25", "coverage_90"}`` (keys follow ``threshold`` and
    ``level``).
    """
    x, y = _pair(members, obs, member_axis)
    keep = np.isfinite(y)
    x, y = x[:, keep], y[keep]
    if y.size == 0:
        raise SpilloverError("no observed unit-periods to score")
    if point is None:
        point = np.median(x, axis=0)
    else:
        point = np.broadcast_to(np.asarray(point, float), keep.shape)[keep]
    return {
        "n": int(y.size),
        "log_mae": log_mae(point, y),
        "rmsle": rmsle(point, y),
        "crps": float(crps(x, y, fair=fair).mean()),
        f"brier_{threshold:g}": float(brier(x, y, threshold).mean()),
        f"coverage_{round(level * 100):d}": float(covered(x, y, level).mean()),
    }
