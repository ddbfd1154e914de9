"""The Ishigami function: a test model with known Sobol' indices, run through the sweep's own code path."""
from __future__ import annotations

import math

import numpy as np


#: The Ishigami function's parameters (a test model with known Sobol' indices; see :func:`ishigami_indices`).
ISHIGAMI_PARAMETERS = {
    f"x{i}": {"default": 0.0, "type": "float", "units": "", "lo": -math.pi, "hi": math.pi, "lo_open": False,
              "doc": f"Ishigami input x{i} (uniform on [-π, π])"}
    for i in (1, 2, 3)
}



def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, np.ndarray]:
    """The exact first-order and total Sobol' indices of the Ishigami function (inputs uniform on [-π, π])."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return {"S1": np.array([v1, v2, 0.0]) / var, "ST": np.array([v1 + v13, v2, v13]) / var}
