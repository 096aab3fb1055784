"""A sample's conditions (10) next to the population (n -> infinity) certificate.

:func:`sample_vs_population` runs :func:`blasso.certificates.population.population_certificate`
for the same target and puts its margin curve beside the sample's, so that a
failure can be read as structural (the population ``eta_V`` exceeds 1 too) or
as a sampling effect (the population is certified with a margin the sample's
fluctuation eats).

The sample-size estimate, and what it assumes: at the sample's worst direction
``theta_v`` the fluctuation is ``e_n = |eta_V^n(theta_v)| - |eta_V(theta_v)|`` and
the population leaves a margin ``mu = 1 - |eta_V(theta_v)|`` there.  If the
fluctuation of the empirical pre-certificate decays like ``n^{-1/2}`` (the
central-limit rate of the empirical process; log factors and the dependence of
``p_V`` on the sample ignored), it fits in the margin for
``N ~ n (e_n / mu)^2``.  One sample, one direction: an order of magnitude, not
a bound (the sup over all directions fluctuates more).
"""

from __future__ import annotations

import numpy as np

from ..measure import Measure

__all__ = ["POPULATION_RADII_DEG", "sample_vs_population", "population_of", "sample_comparison"]

#: Radii (degrees) of the population margin curve (issue 11).
POPULATION_RADII_DEG = (0.5, 1, 2, 5, 10, 20, 30, 45, 60)


def sample_vs_population(n: int, target: Measure, cond, *, time_budget: float = 60.0, seed: int = 0) -> dict:
    """Population certificate of ``target`` and its comparison with a sample's :class:`ConditionsResult`.

    Parameters
    ----------
    n : int
        Sample size of ``cond``.
    target : Measure
        The target whose conditions (10) ``cond`` decided.
    cond : blasso.certificates.verdict.ConditionsResult
        The sample's verdict (its margin curve at :data:`POPULATION_RADII_DEG`
        for a row-by-row comparison).
    time_budget : float
        Seconds for the population certificate.  An orthonormal target (to
        1e-9) is certified as the exactly orthonormal teacher with the same
        signs (``canonical=True``: rotation equivariance, and the exact
        symmetries of ``e_1..e_m``), which the reading says.

    Returns
    -------
    dict
        ``population`` (the population result), ``rows`` (``[r_deg, sample_lo,
        sample_hi, population_lo, population_hi]``: ``max |eta_V|`` outside
        the r-balls), ``reading`` (one sentence) and ``n_estimate``.
    """
    pop, why = population_of(target, time_budget=time_budget, seed=seed)
    return sample_comparison(n, target, cond, pop, why)


def population_of(target: Measure, *, time_budget: float = 60.0, seed: int = 0,
                  radii_deg=POPULATION_RADII_DEG, canonical: bool = True) -> tuple:
    """``(PopulationResult, None)``, or ``(None, reason)`` when the population certificate refuses the target.

    :func:`blasso.certificates.population.population_certificate` with the
    settings of ``certify --population`` (a repeated atom, for instance, makes
    the population Gram matrix singular: that is a reason, not an error).
    """
    from blasso.certificates.population import population_certificate

    from ..validation import BlassoInputError

    try:
        return population_certificate(target, target.d, radii_deg=radii_deg, time_budget=time_budget, rng=seed,
                                      canonical=canonical), None
    except BlassoInputError as exc:
        return None, f"population certificate not computed: {exc}"


def sample_comparison(n: int, target: Measure, cond, pop, why: str | None = None) -> dict:
    """The dict of :func:`sample_vs_population` from an already computed population result ``pop``.

    ``pop`` is None when the certificate was refused (``why`` says why).
    """
    from blasso.certificates.population import population_precertificate

    if pop is None:
        return {"population": {"verdict": "inconclusive", "reason": why, "margin_curve": []}, "rows": [],
                "n_estimate": None, "reading": f"sample {cond.verdict}; {why}"}
    sample = {round(float(np.degrees(c["r"])), 6): c for c in cond.curve}
    rows = []
    for r_deg, lo, hi in pop.margin_curve:
        s = sample.get(round(float(r_deg), 6), {})
        rows.append([float(r_deg), s.get("max_eta_lo"), s.get("max_eta_hi"), lo, hi])
    est = _n_estimate(n, target, cond, population_precertificate(target))
    reading = _reading(cond.verdict, pop.verdict, est)
    if (pop.info.get("canonical") or {}).get("applied"):
        reading += (" (population certificate of the exactly orthonormal teacher with these signs, by rotation"
                    " equivariance; the float atoms are orthonormal to"
                    f" {pop.info['canonical']['max_gram_deviation']:.1e})")
    return {"population": pop.to_dict(), "rows": rows, "n_estimate": est, "reading": reading}


def _n_estimate(n: int, target: Measure, cond, pre) -> dict | None:
    th = cond.violating_theta
    if th is None or cond.violating_eta is None:
        return None
    e_pop = float(abs(pre.eta(np.asarray(th)[None])[0]))
    e_n = abs(float(cond.violating_eta))
    mu = 1.0 - e_pop
    out = {"theta": np.asarray(th).tolist(), "sample_eta": e_n, "population_eta": e_pop, "population_margin": mu,
           "fluctuation": e_n - e_pop, "n": n,
           "assumes": "fluctuation ~ n^(-1/2) at the sample's worst direction (one sample, one direction)"}
    out["n_needed"] = float(n * ((e_n - e_pop) / mu) ** 2) if mu > 0 and e_n > e_pop else None
    return out


def _reading(sample: str, pop: str, est: dict | None) -> str:
    if pop == "fails":
        return "structural: the population eta_V exceeds 1 as well (no sample size fixes it)"
    if sample == "fails" and pop == "certified":
        tail = ""
        if est and est.get("n_needed"):
            tail = (f"; at the worst direction the fluctuation {est['fluctuation']:.3g} must fit in the population"
                    f" margin {est['population_margin']:.3g}: n ~ {est['n_needed']:.3g} at rate n^-1/2")
        return "a sampling effect: the population certificate holds" + tail
    if pop == "inconclusive":
        return f"sample {sample}; the population certificate is inconclusive (budget): structural or not is open"
    if sample == pop:
        return f"sample and population agree: {sample}"
    return f"sample {sample}, population {pop}"
