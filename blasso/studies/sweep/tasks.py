"""Task kinds of a sweep: pure functions ``params -> JSON-able dict``.

Each builds the task's instance from its parameters (the seed from
:func:`blasso.studies.sweep.keys.data_seed`) and calls one existing verb of the
toolkit.  Top-level scalar entries are the task's *figures* (the CSV columns);
lists and dicts are details kept in the store.  Every kind has one boolean
*success* figure (:data:`SUCCESS`), the quantity the phase diagrams average:

``certify``      conditions (10) for the teacher (:func:`blasso.certificates.verdict.check_conditions`):
                 ``verdict``, the rigorous bracket ``sup_lo``/``sup_hi`` of ``sup |eta_V|`` off the
                 atom cells, ``margin``, the margin curve at the population radii and the far-field
                 margin (outside 60 degrees) next to which the population margin is drawn;
                 success ``certified``.
``recover``      the certified BLASSO optimum at ``lam`` (:func:`blasso.solvers.refine.convex_reference`
                 with the rigorous sphere sup) against the teacher: atoms, matched, spurious mass,
                 squared weight and angle errors, the bracket; success ``recovered``: exactly m
                 atoms, all matched to the teacher, no spurious mass, bracket within 1e-4 relative.
``gd``           Algorithm 1 against that optimum (:func:`blasso.studies.compare.gd_vs_convex`):
                 gap, verdict; success ``reached`` (verdict ``same-measure``).
``assumptions``  :func:`blasso.studies.assumptions.check_assumptions`: one status per
                 assumption; success ``all_hold``: every one holds except 4.6, which needs a GD
                 trace and is not measured by this task.
"""

from __future__ import annotations

import importlib
import math

import numpy as np

from blasso.instance import Instance, make_instance
from blasso.jsonio import to_jsonable
from blasso.measure import Measure
from blasso.validation import BlassoInputError

from .keys import data_seed

__all__ = ["SUCCESS", "FAR_RADIUS_DEG", "RADII_DEG", "build_instance", "run_kind", "option"]

#: The boolean figure each kind's phase diagram averages.
SUCCESS = {"certify": "certified", "recover": "recovered", "gd": "reached", "assumptions": "all_hold"}

#: Radii (degrees) of the certify margin curve: those of the population certificate, row by row.
RADII_DEG = (0.5, 1, 2, 5, 10, 20, 30, 45, 60)

#: The far-field radius (degrees) of the margin compared with the population's.
FAR_RADIUS_DEG = 60.0

_DEFAULTS = {"time_budget": 60.0, "grid_size": 2000, "rounds": 6, "sup_budget": 10.0, "M": 20, "iters": 100_000,
             "match_angle": 0.1}


def option(params: dict, name: str):
    """An option of the task (the ``M`` axis overrides the ``M`` option), or its default."""
    if name == "M" and "M" in params:
        return params["M"]
    opts = params.get("options", {})
    if name == "cert_budget":
        return opts.get("cert_budget", 0.8 * opts.get("time_budget", _DEFAULTS["time_budget"]))
    return opts.get(name, _DEFAULTS[name])


def build_instance(params: dict) -> Instance:
    """The task's instance (seed derived from its instance parameters)."""
    return make_instance(teacher=params.get("teacher", "paper"), n=params["n"], d=params["d"], m=params["m"],
                         seed=data_seed(params), inputs=params.get("inputs", "sphere"),
                         noise=params.get("noise", 0.0), basis=params.get("basis", "random"),
                         lam=params.get("lam") or None)


def _algo_seed(params: dict) -> int:
    return data_seed(params) % (2**32)


def certify(inst: Instance, params: dict) -> dict:
    from blasso.certificates.verdict import check_conditions

    radii = tuple(math.radians(r) for r in RADII_DEG)
    res = check_conditions(inst.X, inst.teacher_measure(), time_budget=option(params, "cert_budget"),
                           rng=_algo_seed(params), radii=radii)
    curve = [[float(r), c["max_eta_lo"], c["max_eta_hi"]] for r, c in zip(RADII_DEG, res.curve)]
    far = next((c for r, c in zip(RADII_DEG, res.curve) if r == FAR_RADIUS_DEG), None)
    return {
        "verdict": res.verdict, "certified": res.verdict == "certified", "reason": res.reason,
        "margin": res.margin, "sup_lo": None if res.sup is None else res.sup.lo,
        "sup_hi": None if res.sup is None else res.sup.hi,
        "sup_method": None if res.sup is None else res.sup.method,
        "far_margin": None if far is None else far["margin_hi"],
        "far_margin_lo": None if far is None else far["margin_lo"],
        "p_V_norm": float(np.linalg.norm(res.pre.p)), "lipschitz_L": res.info.get("lipschitz_L"),
        "margin_curve": curve, "cert_wall_s": res.wall_s,
    }


def recover(inst: Instance, params: dict) -> dict:
    from blasso.sphere import geodesic_distance

    from ..compare import match_atoms
    from ..ground_truth import ground_truth

    lam = params["lam"]
    cr = ground_truth(inst.X, inst.y, lam, None, sup_budget=max(5.0, option(params, "sup_budget")),
                      time_budget=max(30.0, 0.8 * option(params, "time_budget")), check_unique=False)
    T = inst.teacher_measure()
    nu = cr.measure
    if len(nu):
        keep = np.abs(nu.c) > 1e-6 * float(np.abs(nu.c).max())
        nu = Measure(nu.theta[keep], nu.c[keep]).merge(0.02)
    angle = option(params, "match_angle")
    mt = match_atoms(nu, T, match_angle=angle)
    spur = 0.0
    if len(nu):
        spur = float(np.abs(nu.c[geodesic_distance(nu.theta, T.theta).min(axis=1) > angle]).sum())
    bracket = None if cr.J_lower is None else (cr.J - cr.J_lower) / max(abs(cr.J), 1e-300)
    exact = len(nu) == len(T) == len(mt["pairs"]) and spur == 0.0
    return {
        "recovered": bool(exact and bracket is not None and bracket <= 1e-4),
        "n_atoms": len(nu), "n_matched": len(mt["pairs"]), "spurious_mass": spur,
        "err_r2": float(sum((a - b) ** 2 for a, b in zip(mt["c_nu"], mt["c_ref"]))),
        "err_theta2": float(sum(t ** 2 for t in mt["angles"])),
        "max_matched_angle": max(mt["angles"], default=0.0), "tv": nu.tv, "teacher_tv": T.tv,
        "J": cr.J, "J_lower": cr.J_lower, "bracket_rel": bracket, "solve_wall_s": cr.wall_s,
        "ground_truth": cr.ground_truth,
    }


def gd(inst: Instance, params: dict) -> dict:
    from ..compare import gd_vs_convex

    rep = gd_vs_convex(inst.X, inst.y, params["lam"], option(params, "M"), grid_size=option(params, "grid_size"),
                       seed=_algo_seed(params), max_iter=option(params, "iters"),
                       refine_rounds=option(params, "rounds"), sup_budget=option(params, "sup_budget")).to_dict()
    g = rep["gd"]
    return {
        "reached": rep["verdict"] == "same-measure", "verdict": rep["verdict"], "J_gd": rep["J_gd"],
        "J_convex": rep["J_convex"], "J_lower": rep.get("J_lower"), "objective_gap": rep["objective_gap"],
        "objective_gap_rel": rep["objective_gap_rel"], "objective_gap_upper": rep.get("objective_gap_upper"),
        "distance_rel": rep["distance_rel"], "unmatched_mass_rel": rep["unmatched_mass_rel"],
        "n_matched": rep["n_matched"], "n_atoms_gd": rep["n_atoms_gd"], "n_atoms_convex": rep["n_atoms_convex"],
        "M": g["M"], "n_iter": g["n_iter"], "stop_reason": g["stop_reason"], "gd_wall_s": g["wall_s"],
        "reasons": rep["reasons"],
    }


def assumptions(inst: Instance, params: dict) -> dict:
    from ..assumptions import check_assumptions

    lam = params.get("lam") or None
    rep = check_assumptions(inst, lam=lam, time_budget=option(params, "cert_budget"), seed=_algo_seed(params))
    d = rep.to_dict()
    status = {f"status_{k}": v["status"] for k, v in d["assumptions"].items()}
    measured = [v for k, v in status.items() if k != "status_4.6"]     # 4.6 needs a GD trace: not measured here
    return {"all_hold": all(s == "holds" for s in measured), **status, "assumptions": d["assumptions"]}


_KINDS = {"certify": certify, "recover": recover, "gd": gd, "assumptions": assumptions}


def run_kind(params: dict) -> dict:
    """Run one task (its instance built from ``params``); the JSON-able result."""
    kind = params["task"]
    inst = build_instance(params)
    if kind in _KINDS:
        out = _KINDS[kind](inst, params)
    else:
        mod, _, name = kind.partition(":")
        try:
            fn = getattr(importlib.import_module(mod), name)
        except (ImportError, AttributeError) as exc:
            raise BlassoInputError(f"task kind {kind!r}: cannot import it ({exc})") from None
        out = fn(inst, params, params.get("options", {}))
        if not isinstance(out, dict):
            raise BlassoInputError(f"task kind {kind!r} returned {type(out).__name__}, not a dict")
    return to_jsonable(out)
