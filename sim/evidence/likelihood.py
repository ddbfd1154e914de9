r"""The observation model: how modelled risk becomes the deaths UCDP records, and how likely the record is.

The model's risk ``u`` is dimensionless; GED counts deaths. The link between them has to say where deaths can be
recorded at all (where people are), how sharply they concentrate where risk is high, and how much the record
scatters around its expectation. For member ``m`` (one model run), unit ``i`` (admin-1 unit or country; a cell is
a unit of one cell), period ``t`` of length ``Δt_t`` years and cells ``c`` of unit ``i`` (``A_ic = 1``):

.. math::

    λ_{m,t,c} = e^{α}\, u_{m,t,c}^{γ}\, (p_c / p_{ref})^{β}                   \qquad \text{deaths per year in cell } c

    μ_{m,i,t} = Δt_t \sum_c A_{ic}\, λ_{m,t,c} = e^{α}\, Δt_t\, X_{m,i,t}(γ, β)  \qquad \text{expected deaths}

    y_{i,t} \sim \mathrm{NB}(\text{mean } μ_{m,i,t},\ \text{dispersion } φ),\qquad
    \mathrm{Var}\,y = μ + μ^2/φ

    \log \mathrm{NB}(y; μ, φ) = \ln Γ(y+φ) - \ln Γ(φ) - \ln Γ(y+1) + φ \ln\frac{φ}{φ+μ} + y \ln\frac{μ}{φ+μ}

Why this form:

- **Multiplicative in risk and exposure** (``u^γ · p^β``): no people, no recorded deaths (``β > 0``; cells with
  ``p_c = 0`` contribute nothing); no risk, no deaths (``γ > 0``). ``β = 1`` is a constant per-capita rate;
  ``β < 1`` the usual sub-linear scaling of violence with population (cities are not proportionally more
  violent); ``γ > 1`` concentrates deaths where risk is highest. Both are fitted, not assumed.
- **Summed over cells before the count law**: expected deaths add (Poisson superposition), and GED places only
  91% of deaths to the cell: the likelihood is evaluated at the unit level where the record is reliable
  (admin-1 or country, with the precision rule of :mod:`sim.evidence.observed`).
- **``e^α`` is a scale** the dynamics cannot know (``u`` has no units): it is profiled out (below), so calibration
  compares dynamic parameters at their best scale. ``p_ref`` (default 10,000 people) only makes ``α``
  readable: ``e^α`` is deaths per year in a cell with ``u = 1`` and ``p_ref`` people.
- **Negative binomial**, not Poisson: one GED event can kill a hundred people, so unit-year deaths scatter far
  beyond Poisson (Mali 2014-2019: 191 to 1,281). NB2's variance ``μ + μ²/φ`` keeps the relative spread constant
  (≈ ``1/√φ``) for large ``μ``, i.e. errors are multiplicative, which is how forecasts are scored (log scale).
  ``φ → ∞`` is Poisson.

Profiling ``α``. With ``s = ∂ℓ/∂\ln μ = φ (y − μ)/(φ + μ)`` the score in ``α`` is ``Σ s``. For Poisson
(``φ = ∞``) it has the closed form

.. math::  e^{\hat α} = \frac{\sum_{i,t} y_{i,t}}{\sum_{i,t} Δt_t X_{i,t}};

for finite ``φ`` the log-likelihood is strictly concave in ``α`` (``∂²ℓ/∂α² = −Σ φ(y+φ)μ/(φ+μ)² < 0``), so
Newton's method from the Poisson value converges to the unique root in a few steps (:func:`profile_alpha`).
``γ``, ``β`` and ``\ln φ`` are fitted by L-BFGS-B on the profile likelihood with its analytic gradient
(:func:`fit_observation`); uncertainty is the inverse observed information (Hessian of the full
negative log-likelihood at the optimum by central differences of the analytic gradient), and intervals are Wald
intervals on ``(α, γ, β, \ln φ)``. The twin test (``tests/test_likelihood.py``) draws counts from this model with
known parameters and checks that these intervals cover the truth at their nominal rate.

Members. :func:`loglik` returns the log-likelihood per member (``mode="members"``: one value per run, for a
sweep or ABC where each member is a parameter set) or of the ensemble as a predictive mixture
(``mode="ensemble"``: ``Σ_{i,t} \ln \frac{1}{M} Σ_m \mathrm{NB}(y; μ_m, φ)``, the ignorance score of a forecast).

Example
-------
>>> import numpy as np
>>> from sim.evidence.likelihood import CellExposure, fit_observation, nb_logpmf
>>> rng = np.random.default_rng(0)
>>> risk = rng.uniform(0.05, 1, (1, 6, 200)); pop = rng.lognormal(8, 1.5, 200); unit = np.arange(200) % 20
>>> cells = CellExposure(risk, pop, unit, n_units=20)
>>> mu = np.exp(1.0) * cells.aggregate(1.5, 0.7)[0]                  # (units, periods)
>>> y = rng.negative_binomial(3.0, 3.0 / (3.0 + mu))
>>> fit = fit_observation(y, cells)
>>> sorted(fit.params)
['alpha', 'beta', 'gamma', 'phi']
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, sparse, special

from geo.errors import SpilloverError

PARAMS: tuple[str, ...] = ("alpha", "gamma", "beta", "log_phi")
#: Bounds of the fitted parameters (γ and β are exponents; φ from extreme over-dispersion to nearly Poisson).
BOUNDS: dict[str, tuple[float, float]] = {
    "alpha": (-50.0, 50.0), "gamma": (0.05, 8.0), "beta": (0.0, 3.0), "log_phi": (np.log(1e-3), np.log(1e6)),
}
DEFAULT_POP_REF = 1e4
#: Largest |∂(−ℓ)/∂θ| of a free parameter accepted as converged.
GRADIENT_TOL = 1e-3
#: Above this dispersion the NB coefficient is computed through the beta function (accurate to ~1e-9 below it,
#: ~1e-6 up to 1e9 and ~1e-11 at 1e12 above it, checked against 50-digit arithmetic).
_LARGE_PHI = 1e6


# ------------------------------------------------------------------------------------------ the count law
def nb_logpmf(y, mu, phi) -> np.ndarray:
    """Negative-binomial log-pmf with mean ``mu`` and dispersion ``phi`` (``phi=np.inf``: Poisson), broadcast.

    ``mu = 0`` gives 0 for ``y = 0`` and ``-inf`` otherwise.

    Examples
    --------
    >>> from scipy.stats import nbinom
    >>> bool(np.isclose(nb_logpmf(3, 2.5, 1.7), nbinom.logpmf(3, 1.7, 1.7 / (1.7 + 2.5))))
    True
    """
    y, mu, phi = np.asarray(y, float), np.asarray(mu, float), np.asarray(phi, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        finite = np.isfinite(phi)
        phi_f = np.where(finite, phi, 1.0)
        poisson = special.xlogy(y, mu) - mu - special.gammaln(y + 1)
        tail = -phi_f * np.log1p(mu / phi_f) + special.xlogy(y, mu) - special.xlogy(y, mu + phi_f)
        nb = special.gammaln(y + phi_f) - special.gammaln(phi_f) - special.gammaln(y + 1) + tail
        if np.any(phi_f > _LARGE_PHI):
            # ln Γ(y+φ) − ln Γ(φ) cancels catastrophically for large φ; ln C = −ln(y+φ) − ln B(φ, y+1) does not
            large = -np.log(y + phi_f) - special.betaln(phi_f, y + 1) + tail
            nb = np.where(phi_f > _LARGE_PHI, large, nb)
        out = np.where(finite, nb, poisson)
        out = np.where((mu == 0) & (y > 0), -np.inf, out)
        out = np.where((mu == 0) & (y == 0), 0.0, out)
    return out


def nb_sample(rng: np.random.Generator, mu, phi, size=None) -> np.ndarray:
    """Draws of NB(mean ``mu``, dispersion ``phi``) (Poisson for ``phi=inf``), as a Gamma-Poisson mixture."""
    mu = np.asarray(mu, float)
    if np.isinf(phi):
        return rng.poisson(mu, size=size)
    shape = np.broadcast_shapes(mu.shape, size) if size is not None else mu.shape
    rate = rng.gamma(phi, 1.0 / phi, size=shape) * mu
    return rng.poisson(rate)


def loglik(y, mu, phi, mask=None, mode: str = "members") -> np.ndarray:
    """Log-likelihood of observed counts ``y`` (units, periods) under expected counts ``mu`` (members, units, periods).

    Parameters
    ----------
    y : observed counts, shape (units, periods); NaN marks a unit-period that was not observed.
    mu : expected counts, shape (members, units, periods) (or (units, periods) for one member).
    phi : dispersion (scalar, or one per member).
    mask : optional boolean (units, periods), True where ``y`` counts.
    mode : ``"members"``: one log-likelihood per member, shape (members,); ``"ensemble"``: the log-likelihood of
        the ensemble's predictive mixture, a scalar.

    Examples
    --------
    >>> loglik(np.array([[3.0, 0.0]]), np.array([[[2.0, 0.5]], [[4.0, 0.1]]]), phi=5.0).shape
    (2,)
    """
    y, mu = np.asarray(y, float), np.asarray(mu, float)
    if mu.ndim == y.ndim:
        mu = mu[None]
    if mu.shape[1:] != y.shape:
        raise SpilloverError(f"expected counts of shape (members, {y.shape[0]}, {y.shape[1]}) for observations of "
                             f"shape {y.shape}, got {mu.shape}")
    keep = np.isfinite(y) if mask is None else (np.asarray(mask, bool) & np.isfinite(y))
    phi = np.asarray(phi, float)
    phi = phi.reshape(-1, 1, 1) if phi.ndim == 1 else phi
    terms = nb_logpmf(np.where(keep, y, 0.0), mu, phi)
    if mode == "members":
        return np.where(keep, terms, 0.0).sum(axis=(1, 2))
    if mode == "ensemble":
        mixture = special.logsumexp(terms, axis=0) - np.log(mu.shape[0])
        return float(np.where(keep, mixture, 0.0).sum())
    raise SpilloverError(f"unknown likelihood mode {mode!r}; valid: 'members', 'ensemble'")


# -------------------------------------------------------------------------------------------- profiling α
def profile_alpha(y, exposure, phi=np.inf, dt=1.0, mask=None, per_member: bool = False,
                  tol: float = 1e-12, max_iter: int = 100) -> np.ndarray | float:
    """Maximum-likelihood ``α`` given exposures ``X`` (members, units, periods), ``φ`` and period lengths ``dt``.

    Poisson (``phi=inf``): the closed form ``log(Σy / Σ dt X)``; NB: Newton on the concave score from there.
    ``per_member=True`` gives one ``α`` per member (each run its own scale), else one shared by all members.

    Examples
    --------
    >>> x = np.array([[[1.0, 2.0], [3.0, 4.0]]]); y = np.array([[2.0, 4.0], [6.0, 8.0]])
    >>> float(profile_alpha(y, x)) == float(np.log(2.0))
    True
    """
    y, x = np.asarray(y, float), np.asarray(exposure, float)
    if x.ndim == y.ndim:
        x = x[None]
    keep = np.isfinite(y) if mask is None else (np.asarray(mask, bool) & np.isfinite(y))
    yk = np.where(keep, y, 0.0)
    ex = np.where(keep, x * np.asarray(dt, float), 0.0)  # dt broadcasts over the periods axis
    axes = (1, 2) if per_member else (0, 1, 2)
    total_y = np.broadcast_to(yk, ex.shape).sum(axis=axes)
    total_x = ex.sum(axis=axes)
    if np.any(total_x <= 0):
        raise SpilloverError("the exposure is zero wherever deaths are counted (no risk where people live): "
                             "alpha is not identifiable")
    with np.errstate(divide="ignore"):
        alpha = np.log(np.maximum(total_y, 1e-300) / total_x)  # no deaths at all: alpha → -inf, kept finite
    phi = np.asarray(phi, float)
    if np.all(np.isinf(phi)):
        return alpha if per_member else float(alpha)
    phi_b = phi.reshape(-1, 1, 1) if phi.ndim == 1 else phi
    for _ in range(max_iter):
        a = alpha.reshape(-1, 1, 1) if per_member else alpha
        mu = np.exp(a) * ex
        denom = phi_b + mu
        score = np.where(keep, phi_b * (yk - mu) / denom, 0.0).sum(axis=axes)
        info = np.where(keep, phi_b * (yk + phi_b) * mu / denom**2, 0.0).sum(axis=axes)
        step = score / np.maximum(info, 1e-300)
        step = np.clip(step, -5.0, 5.0)  # damp the first steps when the Poisson start is far off
        alpha = alpha + step
        if np.all(np.abs(step) < tol * (1 + np.abs(alpha))):
            break
    return alpha if per_member else float(alpha)


def profile_loglik(y, exposure, dt=1.0, mask=None, phi=None) -> dict:
    """Per member: ``max_{α, φ} ℓ`` given exposures (members, units, periods), with the maximisers.

    This is what calibration calls per run: the dynamic parameters are judged at their best observation scale
    and dispersion. ``phi`` fixed (scalar) profiles ``α`` only.

    Returns ``{"loglik": (members,), "alpha": (members,), "phi": (members,)}``.

    Examples
    --------
    >>> x = np.ones((3, 4, 5)); y = np.full((4, 5), 2.0)
    >>> [round(float(v), 6) for v in profile_loglik(y, x, phi=np.inf)["alpha"]]
    [0.693147, 0.693147, 0.693147]
    """
    y, x = np.asarray(y, float), np.asarray(exposure, float)
    if x.ndim == y.ndim:
        x = x[None]
    out = {"loglik": np.empty(len(x)), "alpha": np.empty(len(x)), "phi": np.empty(len(x))}
    lo, hi = BOUNDS["log_phi"]
    for m in range(len(x)):
        def negative(log_phi, m=m):
            ph = np.exp(log_phi)
            a = profile_alpha(y, x[m:m + 1], ph, dt, mask)
            return -loglik(y, np.exp(a) * x[m:m + 1] * dt, ph, mask)[0], a

        if phi is None:
            best = optimize.minimize_scalar(lambda v: negative(v)[0], bounds=(lo, hi), method="bounded",
                                            options={"xatol": 1e-6})
            log_phi = float(best.x)
        else:
            log_phi = float(np.log(phi))
        value, a = negative(log_phi)
        out["loglik"][m], out["alpha"][m], out["phi"][m] = -value, a, np.exp(log_phi)
    return out


# ---------------------------------------------------------------------------------- cells to unit exposures
@dataclass
class CellExposure:
    """Cell-level risk and population with their units, aggregating ``X(γ, β) = Σ_c A_ic u^γ (p/p_ref)^β``.

    Parameters
    ----------
    risk : (members, periods, cells) or (periods, cells): the model's risk per cell, mean over each period.
    pop : (cells,) people per cell (any source: ``geo.population`` or a scenario's surface).
    unit_index : (cells,) int, the unit of each cell in ``0..n_units-1``; -1 for cells in no unit.
    n_units : number of units.
    dt : period lengths in years, scalar or (periods,) (1 for years, days/365.25 for months).
    pop_ref : reference population of a cell (``e^α`` is deaths per year at ``u = 1`` and ``p = pop_ref``).

    Cells with no people or no unit are dropped once here (only ``ln u`` of the other cells is kept, so the full
    grid may be passed: ``risk.reshape(members, periods, -1)``); risk 0 contributes 0 for every ``γ > 0``.
    """

    risk: np.ndarray
    pop: np.ndarray
    unit_index: np.ndarray
    n_units: int
    dt: float | np.ndarray = 1.0
    pop_ref: float = DEFAULT_POP_REF
    _members: int = field(init=False, repr=False)
    _periods: int = field(init=False, repr=False)
    _log_u: np.ndarray = field(init=False, repr=False)
    _log_p: np.ndarray = field(init=False, repr=False)
    _sum: sparse.csr_matrix = field(init=False, repr=False)

    def __post_init__(self):
        risk = np.asarray(self.risk)
        if risk.ndim == 2:
            risk = risk[None]
        pop, unit = np.asarray(self.pop, float).ravel(), np.asarray(self.unit_index).ravel()
        if risk.ndim != 3 or risk.shape[2] != pop.size or unit.size != pop.size:
            raise SpilloverError(f"risk must be (members, periods, cells) with cells = {pop.size} (pop) = "
                                 f"{unit.size} (unit_index), got {risk.shape}")
        if np.any(pop < 0) or not np.all(np.isfinite(pop)):
            raise SpilloverError("population must be finite and >= 0 in every cell")
        if np.any(unit >= self.n_units):
            raise SpilloverError(f"unit_index has ids >= n_units={self.n_units}")
        keep = (unit >= 0) & (pop > 0)
        # only the cells that count are kept, in float64: memory is members × periods × counted cells
        kept = np.asarray(risk[:, :, keep], dtype=float)
        if np.any(kept < 0) or not np.all(np.isfinite(kept)):
            raise SpilloverError("risk must be finite and >= 0 in every cell with people and a unit")
        self._members, self._periods = risk.shape[0], risk.shape[1]
        self.risk = None  # not kept: the log below is all that is needed
        with np.errstate(divide="ignore"):
            self._log_u = np.log(kept)
        self._log_p = np.log(pop[keep] / self.pop_ref)
        cols = unit[keep].astype(np.int64)
        self._sum = sparse.csr_matrix((np.ones(cols.size), (np.arange(cols.size), cols)),
                                      shape=(cols.size, self.n_units))
        self.dt = np.broadcast_to(np.asarray(self.dt, float), (self._periods,)).copy()

    @property
    def shape(self) -> tuple[int, int, int]:
        """(members, units, periods) of the aggregates."""
        return (self._members, self.n_units, self._periods)

    def aggregate(self, gamma: float, beta: float, derivatives: bool = False):
        """``X`` (members, units, periods); with ``derivatives``, also ``Σ w ln u`` and ``Σ w ln(p/p_ref)``."""
        m, t, _ = self._log_u.shape
        x = np.empty((m, t, self.n_units))
        xu = np.empty_like(x) if derivatives else None
        xp = np.empty_like(x) if derivatives else None
        for k in range(m):  # member by member: memory stays (periods, cells)
            lu = self._log_u[k]
            w = np.exp(gamma * lu + beta * self._log_p[None, :])  # ln u = -inf → w = 0
            x[k] = self._sum.T.dot(w.T).T
            if derivatives:
                xu[k] = self._sum.T.dot(np.where(w > 0, w * lu, 0.0).T).T
                xp[k] = self._sum.T.dot((w * self._log_p[None, :]).T).T
        x = x.transpose(0, 2, 1)
        if not derivatives:
            return x
        return x, xu.transpose(0, 2, 1), xp.transpose(0, 2, 1)


# ------------------------------------------------------------------------------------------------ fitting
@dataclass(frozen=True)
class ObservationFit:
    """Maximum-likelihood observation parameters with their uncertainty.

    ``params``: ``alpha``, ``gamma``, ``beta``, ``phi``; ``theta``/``cov``: the estimate and covariance on the
    fitting scale ``(alpha, gamma, beta, log_phi)`` (fixed parameters have zero variance); ``loglik`` at the
    optimum; ``n_obs`` unit-periods used; ``converged``: the free parameters' gradient vanishes (a parameter on
    a bound, e.g. ``beta = 0``, is named in ``message``, and its Wald interval means little).
    """

    params: dict
    theta: np.ndarray
    cov: np.ndarray
    loglik: float
    n_obs: int
    fixed: tuple[str, ...]
    converged: bool
    message: str = ""

    def stderr(self) -> dict:
        """Standard errors on the fitting scale (``log_phi`` for φ)."""
        return dict(zip(PARAMS, np.sqrt(np.maximum(np.diag(self.cov), 0.0))))

    def interval(self, name: str, level: float = 0.9) -> tuple[float, float]:
        """Wald interval of ``name`` (``alpha``, ``gamma``, ``beta``, ``phi`` or ``log_phi``) at ``level``.

        φ's interval is the exponentiated interval of ``log_phi`` (so it is not symmetric).
        """
        key = "log_phi" if name == "phi" else name
        if key not in PARAMS:
            raise SpilloverError(f"unknown parameter {name!r}; valid: alpha, gamma, beta, phi, log_phi")
        k = PARAMS.index(key)
        half = special.ndtri(0.5 + level / 2) * np.sqrt(max(self.cov[k, k], 0.0))
        lo, hi = self.theta[k] - half, self.theta[k] + half
        return (float(np.exp(lo)), float(np.exp(hi))) if name == "phi" else (float(lo), float(hi))

    def to_dict(self) -> dict:
        """JSON-ready summary (for ``fit.json``)."""
        se = self.stderr()
        return {"params": {k: float(v) for k, v in self.params.items()},
                "stderr": {k: float(v) for k, v in se.items()},
                "interval_90": {k: list(self.interval(k)) for k in ("alpha", "gamma", "beta", "phi")},
                "loglik": float(self.loglik), "n_obs": int(self.n_obs), "fixed": list(self.fixed),
                "converged": bool(self.converged), "message": self.message}


def _full_nll_and_grad(theta, y, cells: CellExposure, keep):
    """Negative log-likelihood and its gradient in ``(alpha, gamma, beta, log_phi)`` (one shared α)."""
    alpha, gamma, beta, log_phi = theta
    phi = np.exp(log_phi)
    x, xu, xp = cells.aggregate(gamma, beta, derivatives=True)
    dt = cells.dt[None, None, :]
    mu = np.exp(alpha) * dt * x
    yk = np.broadcast_to(np.where(keep, y, 0.0), mu.shape)
    kb = np.broadcast_to(keep, mu.shape)
    ll = np.where(kb, nb_logpmf(yk, mu, phi), 0.0).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        dlog_g = np.where(x > 0, xu / x, 0.0)
        dlog_b = np.where(x > 0, xp / x, 0.0)
    if np.isinf(phi):  # Poisson
        s = np.where(kb, yk - mu, 0.0)
        dlog_phi = 0.0
    else:
        s = np.where(kb, phi * (yk - mu) / (phi + mu), 0.0)  # ∂ℓ/∂ln μ
        dlog_phi = phi * np.where(kb, special.digamma(yk + phi) - special.digamma(phi) + log_phi + 1.0
                                  - np.log(mu + phi) - (yk + phi) / (mu + phi), 0.0).sum()
    grad = np.array([s.sum(), (s * dlog_g).sum(), (s * dlog_b).sum(), dlog_phi])
    return -ll, -grad


def fit_observation(y, cells: CellExposure, fixed: dict | None = None, start: dict | None = None,
                    mask=None) -> ObservationFit:
    """Maximum-likelihood ``α, γ, β, φ`` of observed counts ``y`` (units, periods) given cell risk and population.

    ``α`` is profiled (:func:`profile_alpha`) inside L-BFGS-B over ``(γ, β, ln φ)``; then the full optimum is
    polished and its observed information inverted for the covariance. ``fixed`` holds parameters not fitted
    (``{"gamma": 1.0}``; ``phi`` may be ``np.inf`` only for a Poisson fit of the others). One ``α`` is shared by
    all members (members as replicate runs of the same parameters).

    Examples
    --------
    >>> fit = fit_observation(y, cells, fixed={"beta": 1.0})  # doctest: +SKIP
    >>> fit.interval("gamma", 0.9)  # doctest: +SKIP
    """
    y = np.asarray(y, float)
    if y.shape != cells.shape[1:]:
        raise SpilloverError(f"observations must be (units, periods) = {cells.shape[1:]}, got {y.shape}")
    keep = np.isfinite(y) if mask is None else (np.asarray(mask, bool) & np.isfinite(y))
    if np.any(y[keep] < 0) or np.any(y[keep] != np.round(y[keep])):
        raise SpilloverError("observed counts must be whole numbers >= 0")
    fixed = dict(fixed or {})
    if "phi" in fixed:
        fixed["log_phi"] = float(np.log(fixed.pop("phi")))
    unknown = [k for k in fixed if k not in PARAMS]
    if unknown:
        raise SpilloverError(f"unknown fixed parameter(s) {unknown}; valid: alpha, gamma, beta, phi")
    init = {"alpha": 0.0, "gamma": 1.0, "beta": 1.0, "log_phi": 0.0}
    init.update({("log_phi" if k == "phi" else k): (np.log(v) if k == "phi" else v) for k, v in (start or {}).items()})
    init.update(fixed)
    free = [k for k in ("gamma", "beta", "log_phi") if k not in fixed]
    fit_alpha = "alpha" not in fixed

    def theta_of(vec):
        values = dict(init)
        values.update(dict(zip(free, vec)))
        if fit_alpha:
            x = cells.aggregate(values["gamma"], values["beta"])
            values["alpha"] = profile_alpha(y, x, np.exp(values["log_phi"]), cells.dt, keep)
        return np.array([values[k] for k in PARAMS])

    def objective(vec):
        theta = theta_of(vec)
        nll, grad = _full_nll_and_grad(theta, y, cells, keep)
        # at the profiled α the α-score is zero, so the profile gradient is the partial gradient (envelope theorem)
        return nll, np.array([grad[PARAMS.index(k)] for k in free])

    converged, message = True, "all parameters fixed"
    if free:
        result = optimize.minimize(objective, np.array([init[k] for k in free]), jac=True, method="L-BFGS-B",
                                   bounds=[BOUNDS[k] for k in free], options={"maxiter": 500, "ftol": 1e-13,
                                                                              "gtol": 1e-8})
        theta = theta_of(result.x)
        # L-BFGS-B may stop with an "ABNORMAL" line search at the optimum itself (the objective is flat to
        # rounding there): judge convergence by the gradient, free parameters off their bounds
        grad = objective(result.x)[1]
        at_bound = np.array([np.isclose(v, BOUNDS[k][0]) or np.isclose(v, BOUNDS[k][1])
                             for k, v in zip(free, result.x)])
        converged = bool(result.success or np.all(np.abs(grad[~at_bound]) < GRADIENT_TOL))
        message = str(result.message) + ("; at a bound: " + ", ".join(np.array(free)[at_bound])
                                         if at_bound.any() else "")
    else:
        theta = theta_of(np.array([]))
    nll, _ = _full_nll_and_grad(theta, y, cells, keep)
    estimated = [k for k in PARAMS if k not in fixed]
    cov = np.zeros((len(PARAMS), len(PARAMS)))
    if estimated:
        idx = [PARAMS.index(k) for k in estimated]
        hess = _hessian(lambda th: _full_nll_and_grad(th, y, cells, keep)[1], theta, idx)
        try:
            cov[np.ix_(idx, idx)] = np.linalg.inv(hess)
        except np.linalg.LinAlgError:
            cov[np.ix_(idx, idx)] = np.nan
            converged, message = False, "observed information is singular: a parameter is not identifiable"
    params = {"alpha": theta[0], "gamma": theta[1], "beta": theta[2], "phi": float(np.exp(theta[3]))}
    return ObservationFit(params={k: float(v) for k, v in params.items()}, theta=theta, cov=cov, loglik=-nll,
                          n_obs=int(keep.sum()), fixed=tuple(sorted(fixed)), converged=converged, message=message)


def _hessian(grad, theta, idx: list[int], rel: float = 1e-5) -> np.ndarray:
    """Symmetrised central-difference Jacobian of an analytic gradient, over the parameters ``idx`` only."""
    h = rel * np.maximum(1.0, np.abs(theta[idx]))
    out = np.empty((len(idx), len(idx)))
    for j, k in enumerate(idx):
        up, down = theta.copy(), theta.copy()
        up[k] += h[j]
        down[k] -= h[j]
        out[:, j] = (grad(up)[idx] - grad(down)[idx]) / (2 * h[j])
    return (out + out.T) / 2
