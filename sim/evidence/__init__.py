"""The record and how the model is judged by it (UCDP GED).

- :mod:`sim.evidence.observed`: read and check a GED CSV, filter it (years, violence type, location precision);
- :mod:`sim.evidence.aggregate`: events and deaths per grid cell, admin-1 unit or country, by year or month;
- :mod:`sim.evidence.likelihood`: the observation model, risk × exposure → expected deaths, negative binomial;
- :mod:`sim.evidence.scores`: log-MAE, CRPS, Brier and interval coverage of ensemble predictions;
- :mod:`sim.evidence.baselines`: zero, persistence and three-year-mean baselines on rolling origins.
"""
