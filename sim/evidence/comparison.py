"""Two scenarios forecast from one origin, member by member: ``DIR/comparison.csv`` of ``spillover forecast --against``.

What it decides: how the forecast under ``SCENARIO`` differs from the forecast under ``--against`` (e.g. foreign forces
leaving against staying) once parameter uncertainty and count noise are shared. Both forecasts use the same fit, the
same posterior members and the same random stream per member (:func:`sim.evidence.forecast.forecast_members` with
``against``), so the difference of member ``k``

.. math:: d^{(k)}_{i,t} = y^{(k)}_{i,t}(\\text{SCENARIO}) - y^{(k)}_{i,t}(\\text{against})

isolates what the two timelines change. Each row gives, per unit and year, both medians, the mean and the 5-50-95%
quantiles of ``d`` and the share of members with more (``p_more``) and with fewer (``p_fewer``) deaths under
``SCENARIO``; where the timelines agree up to a year, ``d = 0`` in every member.

Example
-------
>>> rows = comparison_rows(level, fc, names)  # doctest: +SKIP
>>> rows[0]  # doctest: +SKIP
{'level': 'country', 'unit': 'BFA', 'name': 'Burkina Faso', 'year': 2020, 'deaths_q50': 1630.0,
 'against_deaths_q50': 1188.0, 'difference_mean': 612.3, 'difference_q05': -402.0, ...}
"""
from __future__ import annotations

import numpy as np

#: The columns of ``comparison.csv``, in order.
COLUMNS = ("level", "unit", "name", "year", "deaths_q50", "against_deaths_q50", "difference_mean", "difference_q05",
           "difference_q50", "difference_q95", "p_more", "p_fewer")


def comparison_rows(lv, fc: dict, names: dict | None = None) -> list[dict]:
    """Rows of ``comparison.csv`` for one level from a forecast made with ``against`` (see the module docstring)."""
    a, b = fc["members"], fc["against_members"]
    d = a - b
    qa, qb = np.median(a, axis=0), np.median(b, axis=0)
    qd = np.quantile(d, [0.05, 0.5, 0.95], axis=0)
    rows = []
    for i, unit in enumerate(lv.units):
        for h, year in enumerate(fc["years"]):
            rows.append({"level": lv.name, "unit": unit, "name": (names or {}).get(unit, unit), "year": year,
                         "deaths_q50": float(qa[i, h]), "against_deaths_q50": float(qb[i, h]),
                         "difference_mean": float(d[:, i, h].mean()), "difference_q05": float(qd[0, i, h]),
                         "difference_q50": float(qd[1, i, h]), "difference_q95": float(qd[2, i, h]),
                         "p_more": float((d[:, i, h] > 0).mean()), "p_fewer": float((d[:, i, h] < 0).mean())})
    return rows
