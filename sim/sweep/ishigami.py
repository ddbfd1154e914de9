"""The Ishigami function: a test model with known Sobol' indices, run through the sweep's own code path.

``y = sin x1 + a sin² x2 + b x3⁴ sin x1`` with ``a = 7``, ``b = 0.1`` and inputs uniform on ``[-π, π]``
(``spillover sweep ... --model ishigami``; SALib's ``Ishigami.evaluate``).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

#: The Ishigami function's parameters (a test model with known Sobol' indices; see :func:`ishigami_indices`).
ISHIGAMI_PARAMETERS = {
    f"x{i}": {"default": 0.0, "type": "float", "units": "", "lo": -math.pi, "hi": math.pi, "lo_open": False,
              "doc": f"Ishigami input x{i} (uniform on [-π, π])"}
    for i in (1, 2, 3)
}


def evaluate(params: Sequence[dict]) -> np.ndarray:
    """``y`` for each dict of ``x1``, ``x2``, ``x3``."""
    from SALib.test_functions import Ishigami

    x = np.array([[p[f"x{i}"] for i in (1, 2, 3)] for p in params], dtype=float).reshape(-1, 3)
    return np.asarray(Ishigami.evaluate(x), dtype=float)


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, np.ndarray]:
    """The exact first-order and total Sobol' indices of the Ishigami function (inputs uniform on [-π, π]).

    Examples
    --------
    >>> np.round(ishigami_indices()["S1"], 4).tolist()
    [0.3139, 0.4424, 0.0]
    """
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return {"S1": np.array([v1, v2, 0.0]) / var, "ST": np.array([v1 + v13, v2, v13]) / var}
