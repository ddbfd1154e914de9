r"""Naive baselines scored on rolling origins inside the record: what the model has to beat.

Following ViEWS (views-evaluation ADR-030, views-baseline), every forecast is made from an **origin** ``O`` (the
first forecast year; the forecast is made on 1 January of ``O``) with a causal split ``train_end = O − 1``: only
years ``≤ O − 1`` are seen, and the years ``O .. last`` are forecast (horizon ``h = year − O + 1``). Origins
2016, 2017 and 2018 with ``last = 2019`` give 4 + 3 + 2 forecast years per unit.

Point baselines, per unit ``i`` (``y_{i,t}``: observed deaths in year ``t``):

- ``zero``: ``\hat y = 0``;
- ``persistence`` (ViEWS' last-observation-carried-forward): ``\hat y = y_{i,O−1}`` for every horizon;
- ``mean3`` (ViEWS' average): ``\hat y = \frac13 (y_{i,O−3} + y_{i,O−2} + y_{i,O−1})``.

Their distributional versions (members are needed for CRPS, Brier and coverage; the point forecast scored by
log-MAE stays the point value above whatever the spread):

- ``zero``: every member 0 (a point mass);
- ``persistence``, ``mean3`` with a ``spread``:

  - ``"point"``: every member equals ``\hat y`` (a point mass; CRPS is then the absolute error);
  - ``"nb"``: a negative binomial with mean ``\hat y`` and dispersion ``φ_h`` fitted by maximum likelihood **on
    the training years only**, to the same baseline's own ``h``-step errors there (pairs ``(\hat y_{i,t},
    y_{i,t})`` with ``\hat y`` formed from years ``≤ t − h``, ``t ≤ O − 1``, ``\hat y > 0``), so the spread
    widens with the horizon as the record says it should; a mean of 0 stays a point mass at 0;
  - ``"empirical"`` (default): the baseline's own training errors at horizon ``h`` resampled: where ``\hat y = 0``,
    the deaths observed in training where it forecast 0 (onsets at their observed rate); where ``\hat y > 0``,
    ``\exp(\ln(1 + \hat y) + e) − 1`` with ``e`` a training log-ratio error ``ln(1 + y) − ln(1 + \hat y)``.

  Where fewer than :data:`MIN_PAIRS` training pairs exist for ``h`` the shorter horizon's are used;

- ``conflictology`` (ViEWS' climatology): members resampled with replacement from the unit's last three training
  years ``y_{i,O−3..O−1}``.

Each prediction (baseline, origin, unit, year) draws from its own generator seeded by those keys and ``seed``, so
results do not depend on the order in which predictions are made. Scores are pooled over all origins, units and
forecast years of a level (:func:`rolling_origin_scores`).

Example
-------
>>> import numpy as np
>>> history = np.array([[0, 0, 10, 20, 40, 80]], float)  # one unit, years 2014..2019
>>> years = tuple(range(2014, 2020))
>>> point_forecast("persistence", history, years, origin=2018)[:, 0].tolist()
[20.0]
>>> point_forecast("mean3", history, years, origin=2018)[:, 0].tolist()
[10.0]
"""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from geo.errors import SpilloverError
from sim.evidence.likelihood import BOUNDS, nb_logpmf, nb_sample
from sim.evidence.scores import BRIER_THRESHOLD, COVERAGE_LEVEL, summarise

BASELINES: tuple[str, ...] = ("zero", "persistence", "mean3", "conflictology")
SPREADS: tuple[str, ...] = ("empirical", "nb", "point")
WINDOW = 3
#: Fewest training pairs with a positive mean needed to fit a horizon's dispersion.
MIN_PAIRS = 5
DEFAULT_MEMBERS = 1000
DEFAULT_ORIGINS: tuple[int, ...] = (2016, 2017, 2018)


def _check(name: str) -> None:
    if name not in BASELINES:
        raise SpilloverError(f"unknown baseline {name!r}; valid: {list(BASELINES)}")


def _column(years: tuple[int, ...], year: int) -> int:
    try:
        return years.index(year)
    except ValueError:
        raise SpilloverError(f"year {year} is not in the record's years {years[0]}..{years[-1]}") from None


def point_forecast(name: str, history: np.ndarray, years: tuple[int, ...], origin: int) -> np.ndarray:
    """Point forecast of baseline ``name`` from ``origin`` for every unit: shape (1, units), flat in the horizon.

    ``history`` is (units, years) of observed deaths; only years ``< origin`` are read.
    """
    _check(name)
    end = _column(years, origin - 1) + 1  # columns [0, end) are the training years
    if name in ("mean3", "conflictology") and end < WINDOW:
        raise SpilloverError(f"baseline {name!r} needs {WINDOW} training years before origin {origin}; "
                             f"the record starts in {years[0]}")
    seen = np.asarray(history, float)[:, :end]
    if name == "zero":
        return np.zeros((1, seen.shape[0]))
    if name == "persistence":
        return seen[:, -1][None, :]
    return seen[:, -WINDOW:].mean(axis=1)[None, :]  # mean3; conflictology's point is its mean too


def fit_dispersion(obs, mean) -> float:
    """Maximum-likelihood NB dispersion ``φ`` of counts ``obs`` around given means (pairs with mean 0 skipped).

    >>> rng = np.random.default_rng(1); mu = np.full(4000, 20.0)
    >>> round(fit_dispersion(nb_sample(rng, mu, 2.0), mu), 1)
    2.0
    """
    from scipy import optimize

    y, mu = np.asarray(obs, float), np.asarray(mean, float)
    keep = mu > 0
    y, mu = y[keep], mu[keep]
    if y.size == 0:
        raise SpilloverError("no pairs with a positive mean to fit a dispersion to")
    lo, hi = BOUNDS["log_phi"]
    best = optimize.minimize_scalar(lambda v: -nb_logpmf(y, mu, np.exp(v)).sum(), bounds=(lo, hi),
                                    method="bounded", options={"xatol": 1e-6})
    return float(np.exp(best.x))


def _training_pairs(name: str, history: np.ndarray, years: tuple[int, ...], origin: int, h: int):
    """(forecasts, observations) of baseline ``name`` at horizon ``h`` inside the years before ``origin``."""
    end = _column(years, origin - 1) + 1
    pred, obs = [], []
    for t in range(end):  # target year column t, forecast made from origin column t - h + 1
        o = t - h + 1
        if o < 1 or (name == "mean3" and o < WINDOW):
            continue
        pred.append(point_forecast(name, history[:, :o], years[:o], years[o - 1] + 1)[0])
        obs.append(history[:, t])
    if not pred:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(pred), np.concatenate(obs)


def horizon_dispersions(name: str, history: np.ndarray, years: tuple[int, ...], origin: int,
                        horizons: int) -> dict[int, float]:
    """``φ_h`` for ``h = 1..horizons`` of baseline ``name``, fitted on its errors inside the training years."""
    phis: dict[int, float] = {}
    for h in range(1, horizons + 1):
        pred, obs = _training_pairs(name, history, years, origin, h)
        if int((pred > 0).sum()) >= MIN_PAIRS:
            phis[h] = fit_dispersion(obs, pred)
        elif h > 1:
            phis[h] = phis[h - 1]
        else:
            raise SpilloverError(f"baseline {name!r} from origin {origin}: fewer than {MIN_PAIRS} training pairs "
                                 f"to fit the {h}-year dispersion; use a later origin")
    return phis


def horizon_log_errors(name: str, history: np.ndarray, years: tuple[int, ...], origin: int,
                       horizons: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Baseline ``name``'s ``h``-year training errors, per ``h``: ``(onsets, log_errors)``.

    ``onsets``: the deaths observed where the baseline forecast 0; ``log_errors``: ``ln(1 + y) − ln(1 + ŷ)`` where
    it forecast more than 0.
    """
    errors: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for h in range(1, horizons + 1):
        pred, obs = _training_pairs(name, history, years, origin, h)
        zero = pred == 0
        # sorted: the pools (and so each unit's draws) do not depend on the order of the units
        kinds = [np.sort(obs[zero]), np.sort(np.log1p(obs[~zero]) - np.log1p(pred[~zero]))]
        for k in range(2):
            if kinds[k].size < MIN_PAIRS and h > 1:
                kinds[k] = errors[h - 1][k]  # too few long-horizon pairs: the shorter horizon's errors
            elif kinds[k].size == 0:
                kinds[k] = np.zeros(1)  # nothing of that kind seen in training: no onset, no spread
        errors[h] = (kinds[0], kinds[1])
    return errors


def _rng(seed: int, name: str, origin: int, unit: str, year: int) -> np.random.Generator:
    keys = [seed, BASELINES.index(name), origin, zlib.crc32(str(unit).encode()), year]
    return np.random.default_rng(keys)


def baseline_members(name: str, history: np.ndarray, years: tuple[int, ...], origin: int, last: int,
                     units: tuple[str, ...], members: int = DEFAULT_MEMBERS, seed: int = 0,
                     spread: str = "empirical") -> np.ndarray:
    """Members of baseline ``name`` from ``origin`` to ``last``: shape (members, units, last − origin + 1).

    ``spread`` (persistence, mean3): ``"empirical"`` resamples the baseline's own training errors on the log
    scale, ``"nb"`` draws a negative binomial around the point value, ``"point"`` repeats the point value (a
    point mass: its CRPS is the absolute error); see the module docstring.
    """
    _check(name)
    if spread not in SPREADS:
        raise SpilloverError(f"unknown baseline spread {spread!r}; valid: {list(SPREADS)}")
    history = np.asarray(history, float)
    if history.shape[0] != len(units):
        raise SpilloverError(f"history has {history.shape[0]} units, {len(units)} unit codes given")
    horizons = last - origin + 1
    if horizons < 1:
        raise SpilloverError(f"origin {origin} is after the last forecast year {last}")
    point = point_forecast(name, history, years, origin)[0]
    out = np.zeros((members, len(units), horizons))
    if name == "zero":
        return out
    end = _column(years, origin - 1) + 1
    window = history[:, end - WINDOW:end] if name == "conflictology" else None
    if spread == "point" and name != "conflictology":
        out[:] = point[None, :, None]
        return out
    if name == "conflictology":
        spread_of = {}
    elif spread == "nb":
        spread_of = horizon_dispersions(name, history, years, origin, horizons)
    else:
        spread_of = horizon_log_errors(name, history, years, origin, horizons)
    for i, unit in enumerate(units):
        for h in range(1, horizons + 1):
            rng = _rng(seed, name, origin, unit, origin + h - 1)
            if name == "conflictology":
                out[:, i, h - 1] = rng.choice(window[i], size=members, replace=True)
            elif spread == "empirical" and point[i] == 0:
                out[:, i, h - 1] = rng.choice(spread_of[h][0], size=members, replace=True)
            elif spread == "empirical":
                draws = np.log1p(point[i]) + rng.choice(spread_of[h][1], size=members, replace=True)
                out[:, i, h - 1] = np.maximum(np.expm1(draws), 0.0)
            elif point[i] > 0:
                out[:, i, h - 1] = nb_sample(rng, np.full(members, point[i]), spread_of[h])
    return out


def rolling_origin_scores(history: np.ndarray, years: tuple[int, ...], units: tuple[str, ...],
                          origins: tuple[int, ...] = DEFAULT_ORIGINS, last: int | None = None,
                          baselines: tuple[str, ...] = BASELINES, members: int = DEFAULT_MEMBERS, seed: int = 0,
                          threshold: float = BRIER_THRESHOLD, level: float = COVERAGE_LEVEL,
                          predictions=None, spread: str = "empirical", groups: dict | None = None) -> pd.DataFrame:
    """Scores of each baseline (and of given predictions) pooled over rolling origins; one row per forecaster.

    Parameters
    ----------
    history : (units, years) observed deaths of one level (e.g. ``ObservedCounts.array().T``).
    years, units : their labels.
    origins : first forecast years; each sees only years before it.
    last : last forecast year (default: the record's last year).
    baselines : which baselines to score.
    predictions : optional ``{name: callable(origin, last) -> members}`` of other forecasters (the calibrated
        model), scored on exactly the same unit-years; ``members`` is (M, units, last − origin + 1), or a pair
        ``(members, point)`` with the point forecast (units, last − origin + 1) for log-MAE (default: the median).

    spread : how persistence and mean3 get members (:func:`baseline_members`).
    groups : optional ``{name: unit codes}`` scored apart as well (e.g. Mali, Burkina Faso, Niger), besides
        ``"all"``; baselines' spreads are fitted on all units.

    Returns
    -------
    DataFrame with columns ``group, forecaster, n, log_mae, rmsle, crps, brier_25, coverage_90`` (plus ``origins``).

    Examples
    --------
    >>> counts = aggregate(read_ged(path), by="country", years=(2010, 2019))  # doctest: +SKIP
    >>> table = counts.array()  # doctest: +SKIP
    >>> rolling_origin_scores(table.values.T, tuple(table.period.values), tuple(table.unit.values))  # doctest: +SKIP
    """
    history = np.asarray(history, float)
    years = tuple(int(y) for y in years)
    units = tuple(units)
    last = years[-1] if last is None else int(last)
    if last > years[-1]:
        raise SpilloverError(f"last forecast year {last} is after the record's last year {years[-1]}")
    groups = {"all": units, **(groups or {})}
    masks = {}
    for group, members_of in groups.items():
        unknown = [u for u in members_of if u not in units]
        if unknown:
            raise SpilloverError(f"group {group!r} names unit(s) {unknown} that are not in the record")
        masks[group] = np.isin(np.array(units, dtype=object), list(members_of))

    def baseline(name):
        def forecast(origin, last_year):
            x = baseline_members(name, history, years, origin, last_year, units, members, seed, spread)
            if name == "conflictology":  # a distribution only: its point is the members' median
                return x, None
            return x, np.repeat(point_forecast(name, history, years, origin).T, x.shape[2], axis=1)
        return forecast

    forecasters = {name: baseline(name) for name in baselines}
    forecasters.update(predictions or {})
    rows = []
    for name, forecast in forecasters.items():
        pooled: dict[str, list] = {g: [[], [], []] for g in groups}
        for origin in origins:
            got = forecast(origin, last)
            x, point = got if isinstance(got, tuple) else (got, None)
            x = np.asarray(x, float)
            cols = slice(_column(years, origin), _column(years, last) + 1)
            y = history[:, cols]
            if x.shape[1:] != y.shape:
                raise SpilloverError(f"forecaster {name!r} from origin {origin} gave members of shape {x.shape}, "
                                     f"expected (members, {y.shape[0]}, {y.shape[1]})")
            point = np.median(x, axis=0) if point is None else np.asarray(point, float)
            for group, mask in masks.items():
                pooled[group][0].append(x[:, mask].reshape(x.shape[0], -1))
                pooled[group][1].append(y[mask].reshape(-1))
                pooled[group][2].append(point[mask].reshape(-1))
        for group, (xs, ys, ps) in pooled.items():
            m = min(p.shape[0] for p in xs)
            scores = summarise(np.concatenate([p[:m] for p in xs], axis=1), np.concatenate(ys),
                               threshold=threshold, level=level, point=np.concatenate(ps))
            rows.append({"group": group, "forecaster": name, **scores,
                         "origins": ",".join(str(o) for o in origins)})
    return pd.DataFrame(rows)


def baseline_skill(counts, origins: tuple[int, ...] = DEFAULT_ORIGINS, last: int | None = None,
                   groups: dict | None = None, members: int = DEFAULT_MEMBERS, seed: int = 0,
                   quantity: str = "deaths_best", predictions=None) -> pd.DataFrame:
    """Every baseline (persistence and mean3 with each spread) on the yearly ``counts`` of one level.

    ``counts`` is an :class:`~sim.evidence.aggregate.ObservedCounts` by year; ``predictions`` as in
    :func:`rolling_origin_scores` (scored once, beside the baselines). Returns the rows of
    :func:`rolling_origin_scores` with a ``level`` column; forecasters are named ``persistence (point)``,
    ``persistence (nb)``, ``persistence (empirical)``, ``mean3 (...)``, ``zero``, ``conflictology``.

    Examples
    --------
    >>> baseline_skill(aggregate(events, by="admin1", years=(2010, 2019)),
    ...                groups={"MLI+BFA+NER": mli_bfa_ner_units})  # doctest: +SKIP
    """
    if counts.period != "year":
        raise SpilloverError("baseline skill is computed on yearly counts; aggregate with period='year'")
    table = counts.array(quantity)
    history, years, units = table.values.T, tuple(int(p) for p in table["period"].values), tuple(table["unit"].values)
    common = dict(origins=origins, last=last, members=members, seed=seed, groups=groups)
    frames = [rolling_origin_scores(history, years, units, baselines=("zero",), predictions=predictions, **common)]
    for spread in SPREADS:
        part = rolling_origin_scores(history, years, units, baselines=("persistence", "mean3"), spread=spread,
                                     **common)
        part["forecaster"] = part["forecaster"] + f" ({spread})"
        frames.append(part)
    frames.append(rolling_origin_scores(history, years, units, baselines=("conflictology",), **common))
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "level", counts.level)
    return out.sort_values(["group", "forecaster"], key=lambda s: s.map(_order) if s.name == "forecaster" else s,
                           kind="stable").reset_index(drop=True)


def _order(name: str) -> int:
    keys = ["zero", "persistence (point)", "persistence (nb)", "persistence (empirical)", "mean3 (point)",
            "mean3 (nb)", "mean3 (empirical)", "conflictology"]
    return keys.index(name) if name in keys else -1
