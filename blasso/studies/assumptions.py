"""The main paper's assumptions (Akiyama & Suzuki 2021) checked on an instance.

One :class:`Check` per assumption of the paper -- 3.1, 3.2, 4.1, 4.3, 4.4,
4.5, 4.6, 4.7 -- and one for conditions (10), each with the measured quantity,
the threshold and ``holds`` / ``fails`` / ``inconclusive`` with the reason.
The assumptions about the optimum ``nu*`` (4.1, 4.3, 4.4, 4.5) are checked
for two targets: the teacher (the ``lam -> 0`` limit of Theorem 3.5) and the
computed BLASSO optimum at ``lam`` (Theorem 4.8).

What each verdict rests on:

* 3.1 (inputs i.i.d. uniform on the sphere): unit norms (to ``1e-12``) and two
  classical tests of uniformity, Rayleigh's (the mean,
  ``d n |x_bar|^2 ~ chi2_d``) and Bingham's (the second moments,
  ``n d (d+2)/2 (tr S^2 - 1/d) ~ chi2_{(d-1)(d+2)/2}``); ``fails`` when
  either rejects at level 0.005 (0.01 with Bonferroni): a statistical
  verdict, the p-values are reported.
* 3.2 (teacher ``a_j > 0``, orthogonal ``w_j``): exact sign test, largest
  ``|cos(w_i, w_j)|`` against ``1e-12``.
* 4.3 (``<x_i, theta_j> != 0``): exact, in rational arithmetic for products
  that float cannot tell from 0.
* 4.4 (``kappa > 0``, the smallest eigenvalue of the empirical Gram matrix of
  the support features): ``kappa`` against a bound of its rounding error
  (Weyl's inequality with ``gamma_k`` bounds on the entries).
* 4.5 and conditions (10) for the teacher: the rigorous verdict of
  :func:`blasso.certificates.verdict.check_conditions` (non-degeneracy of ``eta_V``;
  4.5 at ``lam -> 0`` is (10)'s strict inequality off the support).
* 4.1 for the teacher: the teacher is the stable ``lam -> 0`` limit of the
  BLASSO (m spikes) iff ``eta_V`` is non-degenerate (Duval & Peyre 2015),
  i.e. it follows conditions (10).  When they fail next to an atom with the
  far field certified by the rigorous margin curve
  (:func:`blasso.certificates.verdict.near_field_reading`), the reason says
  so: a near-field violation at ``r = O(1/n)`` (``docs/near_field.rst``).
* At the computed optimum the atoms are only approximate.  With the certified
  bracket ``[J_lo, J_up]`` of ``J*``, strong convexity of the data fit gives
  ``||Phi nu - Phi nu*||^2 / (2n) <= J(nu) - J* <= J_up - J_lo``, hence
  ``sup |eta_p - eta_{p*}| <= delta = sqrt(2 (J_up - J_lo)) max|x| / lam`` for
  the dual ``p = (y - Phi nu)/lam`` of the computed ``nu``: 4.5 outside balls
  around the computed atoms is rigorous when ``sup |eta_p| + delta < 1`` there;
  the rest is reported as measured, ``inconclusive`` with that reason.
* 4.6 (``F(Theta_k) <= C_F``): the largest ``F`` on a GD trace (``blasso gd
  --save``); a finite recorded trace bounds it at the recorded iterations.
* 4.7 (``||x_i|| <= 1``): exact, in rational arithmetic near the boundary.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..features import feature_matrix
from ..instance import Instance
from ..measure import Measure
from ..validation import BlassoInputError, check_lam

__all__ = ["STATUSES", "ASSUMPTION_IDS", "Check", "AssumptionsReport", "check_assumptions", "load_gd_trace",
           "uniformity_tests"]

STATUSES = ("holds", "fails", "inconclusive")
ASSUMPTION_IDS = ("3.1", "3.2", "4.1", "4.3", "4.4", "4.5", "4.6", "4.7", "conditions-10")
#: Assumptions about the optimum, reported for the teacher and the computed optimum.
TARGETED = ("4.1", "4.3", "4.4", "4.5")
_U = 2.0 ** -53

_WHAT = {
    "3.1": "inputs i.i.d. uniform on the sphere",
    "3.2": "teacher a_j > 0, orthogonal w_j",
    "4.1": "nu* unique, a finite sum of Diracs",
    "4.3": "no sample orthogonal to an atom",
    "4.4": "Gram matrix of the support features: kappa > 0",
    "4.5": "non-degenerate: |eta| < 1 off the support",
    "4.6": "F bounded along GD: C_F",
    "4.7": "||x_i|| <= 1",
    "conditions-10": "eta_0 = sign on the support, |eta_0| < 1 elsewhere",
}


@dataclass
class Check:
    """One assumption on one target."""

    id: str
    status: str
    value: object
    threshold: object
    reason: str
    target: str | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"status": self.status, "value": self.value, "threshold": self.threshold, "reason": self.reason,
                "target": self.target, **self.extra}


@dataclass
class AssumptionsReport:
    """All checks: ``checks[id]`` (teacher / data) and ``optimum[id]`` for 4.1, 4.3, 4.4, 4.5."""

    checks: dict
    optimum: dict
    lam: float | None
    wall_s: float
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {}
        for k in ASSUMPTION_IDS:
            d = self.checks[k].to_dict()
            d["what"] = _WHAT[k]
            if k in TARGETED:
                d["targets"] = {"teacher": self.checks[k].to_dict()}
                if k in self.optimum:
                    d["targets"]["optimum"] = self.optimum[k].to_dict()
            out[k] = d
        return {"assumptions": out, "lam": self.lam, "assumptions_wall_s": self.wall_s, **self.info}

    def table_rows(self) -> list[list]:
        """``[id, what, teacher/data, optimum]`` rows."""
        def cell(c: Check | None) -> str:
            return "-" if c is None else f"{c.status}: {_fmt(c.value)}"
        return [[k, _WHAT[k], cell(self.checks[k]), cell(self.optimum.get(k)) if k in TARGETED else ""]
                for k in ASSUMPTION_IDS]


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    return str(v)


# ---------------------------------------------------------------- data checks
def uniformity_tests(X: np.ndarray) -> dict:
    """Rayleigh and Bingham tests of uniformity on the sphere (p-values; rows normalised)."""
    from scipy.stats import chi2

    n, d = X.shape
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    xbar = U.mean(axis=0)
    rayleigh = d * n * float(xbar @ xbar)
    S = U.T @ U / n
    bingham = n * d * (d + 2) / 2.0 * (float(np.sum(S * S)) - 1.0 / d)
    dof_b = (d - 1) * (d + 2) / 2.0
    return {"rayleigh_stat": rayleigh, "rayleigh_p": float(chi2.sf(rayleigh, d)),
            "bingham_stat": bingham, "bingham_p": float(chi2.sf(bingham, dof_b))}


def _a31(X: np.ndarray) -> Check:
    dev = float(np.max(np.abs(np.linalg.norm(X, axis=1) - 1.0)))
    if dev > 1e-12:
        return Check("3.1", "fails", {"max_norm_deviation": dev}, "|  ||x_i|| - 1 | <= 1e-12",
                     f"inputs are not on the sphere (a norm is off by {dev:.3g})")
    t = uniformity_tests(X)
    pmin = min(t["rayleigh_p"], t["bingham_p"])
    value = {"rayleigh_p": t["rayleigh_p"], "bingham_p": t["bingham_p"]}
    if X.shape[0] < 2 * X.shape[1]:
        return Check("3.1", "inconclusive", value, "p >= 0.005", f"too few samples (n = {X.shape[0]}) to test")
    if pmin < 0.005:
        return Check("3.1", "fails", value, "p >= 0.005 (each test, 0.01 overall)",
                     f"uniformity rejected (smallest p-value {pmin:.2g})", extra=t)
    return Check("3.1", "holds", value, "p >= 0.005 (each test, 0.01 overall)",
                 f"unit norms; uniformity not rejected by the Rayleigh and Bingham tests (p >= {pmin:.2g})", extra=t)


def _a32(inst: Instance) -> Check:
    if not inst.has_teacher:
        return Check("3.2", "inconclusive", None, "a_j > 0, |cos(w_i, w_j)| <= 1e-12", "the instance has no teacher")
    a, W = inst.teacher_a, inst.teacher_W
    U = W / np.linalg.norm(W, axis=1, keepdims=True)
    G = np.abs(U @ U.T)
    np.fill_diagonal(G, 0.0)
    cmax = float(G.max()) if len(a) > 1 else 0.0
    value = {"min_a": float(a.min()), "max_abs_cos": cmax}
    bad = [] if np.all(a > 0) else [f"{int(np.sum(a <= 0))} output weight(s) <= 0"]
    if cmax > 1e-12:
        bad.append(f"directions not orthogonal (max |cos| = {cmax:.3g})")
    if bad:
        return Check("3.2", "fails", value, "a_j > 0, |cos(w_i, w_j)| <= 1e-12", "; ".join(bad))
    return Check("3.2", "holds", value, "a_j > 0, |cos(w_i, w_j)| <= 1e-12", "positive weights, orthogonal directions")


def _exact_dot(a: np.ndarray, b: np.ndarray) -> Fraction:
    return sum((Fraction(float(u)) * Fraction(float(v)) for u, v in zip(a, b)), Fraction(0))


def _a47(X: np.ndarray) -> Check:
    nrm = np.linalg.norm(X, axis=1)
    worst = int(np.argmax(nrm))
    over = [i for i in np.flatnonzero(nrm > 1 - 1e-12) if _exact_dot(X[i], X[i]) > 1]
    beyond = [i for i in over if _exact_dot(X[i], X[i]) > (1 + Fraction(2) ** -50) ** 2]
    if beyond:
        return Check("4.7", "fails", float(nrm[worst]), "max ||x_i|| <= 1",
                     f"{len(beyond)} row(s) with ||x_i|| > 1, e.g. row {beyond[0]} (exact)")
    if over:
        return Check("4.7", "holds", float(nrm[worst]), "max ||x_i|| <= 1",
                     f"{len(over)} row(s) exceed 1 by float rounding only (< 2**-50, exact check): rows normalised"
                     " in floating point; the scaling the assumption fixes is met")
    return Check("4.7", "holds", float(nrm[worst]), "max ||x_i|| <= 1", "every row has ||x_i|| <= 1 (exact)")


def _a43(X: np.ndarray, theta: np.ndarray, target: str) -> Check:
    G = np.abs(theta @ X.T)
    margin = float(G.min())
    scale = np.linalg.norm(theta, axis=1)[:, None] * np.linalg.norm(X, axis=1)[None]
    zero = [(int(j), int(i)) for j, i in zip(*np.nonzero(G <= 1e-12 * scale))
            if _exact_dot(theta[j], X[i]) == 0 and np.any(X[i] != 0)]
    if zero:
        return Check("4.3", "fails", margin, "min |<x_i, theta_j>| > 0",
                     f"sample {zero[0][1]} is exactly orthogonal to atom {zero[0][0]}", target)
    return Check("4.3", "holds", margin, "min |<x_i, theta_j>| > 0",
                 "no sample orthogonal to an atom (exact)", target)


def _a44(X: np.ndarray, theta: np.ndarray, target: str) -> Check:
    n = X.shape[0]
    A = feature_matrix(X, theta)
    Gm = A.T @ A / n
    kappa = float(np.linalg.eigvalsh(Gm)[0])
    m = theta.shape[0]
    k = n + X.shape[1] + 2
    err = 4.0 * (k * _U / (1 - k * _U)) * float(np.linalg.norm(Gm)) * m + 16 * m * _U * float(np.linalg.norm(Gm))
    if kappa > err:
        return Check("4.4", "holds", kappa, f"> {err:.2g} (rounding bound)", "support features linearly independent"
                     " in the empirical norm", target)
    return Check("4.4", "fails" if kappa < -err else "inconclusive", kappa, f"> {err:.2g} (rounding bound)",
                 "kappa not above its rounding error: support features (numerically) dependent", target)


def load_gd_trace(path) -> dict:
    """The trace of a ``blasso gd --save`` file: ``{"F": ..., "iter": ...}``."""
    from ..report import read_saved_run     # no pickle, one-line errors (a JSON report, random bytes, ...)

    path = Path(path)
    data = read_saved_run(path, what=f"--gd-trace {str(path)!r}")
    out = {k[len("trace_"):]: np.asarray(v) for k, v in data.items() if k.startswith("trace_")}
    if "F" not in out or out["F"].size == 0:
        raise BlassoInputError(f"--gd-trace {path}: no trace_F array (write it with blasso gd --save)")
    return out


def _a46(trace: dict | None) -> Check:
    if trace is None:
        return Check("4.6", "inconclusive", None, "max_k F(Theta_k) < inf",
                     "no GD trace given (pass --gd-trace FILE from blasso gd --save)")
    F = np.asarray(trace["F"], dtype=float)
    if not np.all(np.isfinite(F)):
        return Check("4.6", "fails", float("inf"), "max_k F(Theta_k) < inf", "F is not finite along the trace")
    return Check("4.6", "holds", float(F.max()), "max_k F(Theta_k) < inf",
                 f"C_F = max F over {F.size} recorded iterations (first F = {F[0]:.4g})")


# ------------------------------------------------------------ targets
def _teacher_certificate(inst: Instance, time_budget: float, rng, progress) -> tuple[dict, object]:
    """4.1, 4.3, 4.4, 4.5 and conditions (10) for the teacher."""
    from blasso.certificates.verdict import check_conditions

    if not inst.has_teacher:
        none = {k: Check(k, "inconclusive", None, "-", "the instance has no teacher", "teacher")
                for k in TARGETED + ("conditions-10",)}
        return none, None
    nu = inst.teacher_measure()
    out = {"4.3": _a43(inst.X, nu.theta, "teacher"), "4.4": _a44(inst.X, nu.theta, "teacher")}
    cond = check_conditions(inst.X, nu, time_budget=time_budget, rng=rng, progress=progress)
    curve = [[c["r"], c["margin_lo"], c["margin_hi"]] for c in cond.curve]
    out["conditions-10"] = Check("conditions-10", {"certified": "holds", "fails": "fails"}.get(cond.verdict,
                                 "inconclusive"), cond.margin, "margin 1 - sup|eta_V| > 0", cond.reason, "teacher",
                                 {"verdict": cond.verdict, "margin_curve": curve})
    st = out["conditions-10"].status
    out["4.5"] = Check("4.5", st, cond.margin, "sup |eta_V| < 1 off the support",
                       f"lam -> 0: the non-degeneracy of eta_V (conditions (10)): {cond.verdict}"
                       + (f" ({cond.info['near_field']['text']})" if cond.info.get("near_field") else ""), "teacher",
                       {"margin_curve": curve})
    why = {"holds": "eta_V non-degenerate: for small lam the BLASSO optimum is m spikes near the teacher"
                    " (Duval & Peyre 2015)",
           "fails": "eta_V exceeds 1: for small lam the BLASSO optimum is not m spikes near the teacher"
                    " (support stability needs a non-degenerate eta_V, Duval & Peyre 2015)"}
    near = cond.info.get("near_field")
    if st == "fails" and near is not None:  # the rigorous margin curve certifies the far field
        why["fails"] = (f"{near['text']}: for small lam the optimum splits atom {near['atom']} into a cluster within "
                        f"about {np.degrees(near['angle_rad']):.2g} deg (support stability fails; the cluster masses"
                        " can still tend to the teacher's, see blasso theory lam and docs/near_field)")
        for k in ("conditions-10", "4.5"):
            out[k].extra["near_field"] = near
    out["4.1"] = Check("4.1", st, len(nu), "m spikes, non-degenerate eta_V",
                       why.get(st, f"conditions (10) {cond.verdict}: {cond.reason}"), "teacher")
    return out, cond


def _optimum(inst: Instance, lam: float, time_budget: float, seed: int, progress) -> tuple[dict, dict]:
    """4.1, 4.3, 4.4, 4.5 at the certified BLASSO optimum (column generation, any d).

    With the certified bracket the uniqueness test of
    :func:`blasso.solvers.exact.uniqueness` decides: when it proves the optimum
    unique, its support features are independent (4.4), ``|eta_{p*}| < 1``
    off the support (4.5) and ``nu*`` is a finite sum of Diracs (4.1); each
    true atom is within ``eps_k`` of a computed one, so 4.3 holds when every
    sample's hyperplane is farther than that.  Otherwise the rows say why not.
    """
    from .ground_truth import ground_truth

    X, y = inst.X, inst.y
    gt = ground_truth(X, y, lam, None, time_budget=max(60.0, 2.0 * time_budget),
                      sup_budget=max(5.0, 0.5 * time_budget), progress=progress)
    nu = gt.measure
    lo = gt.J_lower if gt.J_lower is not None else -np.inf
    delta = float(np.sqrt(2.0 * max(0.0, gt.J - lo)) * np.linalg.norm(X, axis=1).max() / lam)
    u = gt.uniqueness or {}
    rel = (gt.J - lo) / max(abs(gt.J), 1e-300)
    info = {"J_upper": gt.J, "J_lower": gt.J_lower, "atoms": len(nu), "eta_perturbation_delta": delta,
            "rel_width": rel, "ground_truth": gt.ground_truth, "uniqueness": u}
    approx = f"certified optimum ({len(nu)} atoms, bracket rel. width {rel:.1e}, sup|eta_p - eta_p*| <= {delta:.2g})"
    why = u.get("reason", "uniqueness test not run")
    unique = bool(u.get("unique"))
    out = {"4.1": Check("4.1", "holds" if unique else "inconclusive", len(nu), "unique, finitely many atoms",
                        (f"proven unique ({why}) at the {approx}" if unique else
                         f"uniqueness not proven: {why} ({approx})"), "optimum", dict(info))}
    out["4.3"] = _a43_optimum(X, nu, u, approx)
    c44 = _a44(X, nu.theta, "optimum")
    out["4.4"] = (Check("4.4", "holds", c44.value, "sigma_min(Phi_S*) > 0",
                        f"the optimum's support features are independent: sigma_min {u.get('sigma_min', 0):.3g} > "
                        f"perturbation bound {u.get('feature_perturbation', 0):.3g} (uniqueness step 3)", "optimum")
                  if unique else Check("4.4", "inconclusive", c44.value, c44.threshold,
                                       f"kappa at the computed atoms; not carried to nu* ({why})", "optimum"))
    p = (y - nu.evaluate(X)) / lam
    if unique:
        out["4.5"] = Check("4.5", "holds", u.get("off_support_margin"), "sup|eta_p*| < 1 off the support",
                           f"rigorous sup off the support cells + delta < 1 (margin {u.get('off_support_margin'):.3g})"
                           " and |eta_p*| = 1 at one point per support cell (uniqueness steps 1-2)", "optimum")
    else:
        from blasso.certificates.sup import sup_abs_eta

        out["4.5"] = _a45_optimum(p, X, nu, delta, time_budget, seed, sup_abs_eta)
    return out, info


def _a43_optimum(X: np.ndarray, nu: Measure, u: dict, approx: str) -> Check:
    """4.3 for ``nu*``: every hyperplane farther from ``theta_k`` than the displacement bound ``eps_k``."""
    xh = X / np.where(np.linalg.norm(X, axis=1) > 0, np.linalg.norm(X, axis=1), 1.0)[:, None]
    G = np.abs(nu.theta @ xh.T) if len(nu) else np.zeros((0, X.shape[0]))
    margin = float(G.min()) if G.size else float("nan")
    eps = np.asarray(u.get("atom_displacement") or [], dtype=float)
    if u.get("unique") and eps.size == len(nu) and np.all(G.min(axis=1) > eps):
        return Check("4.3", "holds", margin, "min |<x_i, theta*_j>| > 0",
                     f"every sample's hyperplane is farther from each atom than its displacement bound "
                     f"(max eps {eps.max():.2g} < min |<x_i/|x_i|, theta_k>| = {margin:.2g})", "optimum")
    return Check("4.3", "inconclusive", margin, "min |<x_i, theta*_j>| > 0",
                 f"measured at the {approx}; not carried to nu* ({u.get('reason', 'uniqueness not proven')})",
                 "optimum")


def _a45_optimum(p, X, nu: Measure, delta: float, time_budget: float, seed: int, sup_abs_eta) -> Check:
    """sup |eta_p| outside 5-degree balls around the computed atoms, carried to the true p* by ``delta``."""
    from ..sphere import random_sphere

    rng = np.random.default_rng(seed)
    T = random_sphere(20000, X.shape[1], rng)
    far = np.min(np.arccos(np.clip(T @ nu.theta.T, -1, 1)), axis=1) > np.radians(5.0)
    from ..features import eta

    far_max = float(np.abs(eta(p, X, T[far])).max()) if far.any() else float("nan")
    br = sup_abs_eta(p, X, time_budget=max(1.0, 0.2 * time_budget), rng=rng)
    value = {"sup_eta_lo": br.lo, "sup_eta_hi": br.hi, "sampled_far_max": far_max, "delta": delta}
    if br.rigorous and br.hi + delta < 1.0:
        return Check("4.5", "holds", value, "sup|eta_p*| < 1 off the support",
                     "the true certificate is < 1 everywhere off supp nu* (rigorous sup + delta)", "optimum")
    return Check("4.5", "inconclusive", value, "sup|eta_p*| < 1 off the support",
                 f"sampled max of |eta_p| more than 5 deg from the computed atoms: {far_max:.6f}; the optimum is not"
                 f" known well enough to decide (delta = {delta:.2g})", "optimum")


def check_assumptions(inst: Instance, *, lam: float | None = None, gd_trace: dict | None = None,
                      time_budget: float = 60.0, seed: int = 0, progress=None) -> AssumptionsReport:
    """Check the paper's assumptions 3.1-4.7 and conditions (10) on an instance.

    Parameters
    ----------
    inst : Instance
    lam : float, optional
        Regularisation of the BLASSO optimum (the second target of 4.1, 4.3,
        4.4, 4.5); default the instance's ``lam``; without one only the teacher
        target is checked.
    gd_trace : dict, optional
        A GD trace with key ``F`` (:func:`load_gd_trace`) for 4.6.
    time_budget : float
        Seconds for the rigorous sups (about half for conditions (10), half
        for the optimum).
    seed : int
    progress : callable, optional
        A :mod:`blasso.progress` hook.

    Returns
    -------
    AssumptionsReport
    """
    t0 = time.perf_counter()
    if not isinstance(inst, Instance):
        raise BlassoInputError(f"inst must be a blasso.instance.Instance; got {type(inst).__name__}")
    lam = inst.lam if lam is None else lam
    lam = None if lam is None else check_lam(lam)
    rng = np.random.default_rng(seed)
    checks = {"3.1": _a31(inst.X), "3.2": _a32(inst), "4.6": _a46(gd_trace), "4.7": _a47(inst.X)}
    share = 0.5 if lam is not None else 1.0
    teacher, _ = _teacher_certificate(inst, share * time_budget, rng, progress)
    checks.update(teacher)
    optimum, info = ({}, {})
    if lam is not None:
        optimum, info = _optimum(inst, lam, (1 - share) * time_budget + 1.0, seed, progress)
    return AssumptionsReport(checks, optimum, lam, time.perf_counter() - t0, {"optimum": info})
