"""``eta_p`` on finite sets of directions: grids, random samples, atoms.

Everything here is a LOWER bound on ``sup_theta |eta_p(theta)|`` over the
sphere: a maximum over finitely many directions can miss a violation that
sits between them.  Rigorous upper bounds live in :mod:`blasso.certificates.sup`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from blasso.features import eta
from blasso.measure import Measure
from blasso.sphere import random_sphere
from blasso.validation import check_directions, check_positive_int, check_rng, check_vector, check_X

__all__ = ["SetMax", "max_abs_eta", "max_abs_eta_random", "eta_at_atoms"]


@dataclass(frozen=True)
class SetMax:
    """``max |eta_p|`` over a finite set of directions (a lower bound on the sphere-wide sup)."""

    value: float
    theta: np.ndarray
    eta: float
    n_directions: int
    where: str

    def to_dict(self) -> dict:
        return {"value": self.value, "theta": self.theta.tolist(), "eta": self.eta,
                "n_directions": self.n_directions, "where": self.where}


def max_abs_eta(p, X, theta, *, where: str = "grid") -> SetMax:
    """``max_g |eta_p(theta_g)|`` and the direction attaining it.

    Parameters
    ----------
    p : array_like (n,)
    X : array_like (n, d)
    theta : array_like (G, d), unit rows
    where : str
        Label of the set (reported).
    """
    X = check_X(X)
    p = check_vector(p, X.shape[0], name="p")
    theta = check_directions(theta, X.shape[1], name="theta")
    vals = eta(p, X, theta)
    k = int(np.argmax(np.abs(vals)))
    return SetMax(value=float(abs(vals[k])), theta=theta[k].copy(), eta=float(vals[k]),
                  n_directions=int(theta.shape[0]), where=where)


def max_abs_eta_random(p, X, n_samples: int, rng, *, chunk: int = 200000) -> SetMax:
    """``max |eta_p|`` over ``n_samples`` uniform random directions (drawn in chunks)."""
    X = check_X(X)
    n_samples = check_positive_int(n_samples, name="n_samples")
    rng = check_rng(rng)
    best: SetMax | None = None
    for start in range(0, n_samples, chunk):
        k = min(chunk, n_samples - start)
        cand = max_abs_eta(p, X, random_sphere(k, X.shape[1], rng), where="random")
        if best is None or cand.value > best.value:
            best = cand
    return SetMax(best.value, best.theta, best.eta, n_samples, f"{n_samples} random directions")


def eta_at_atoms(p, X, nu: Measure) -> dict:
    """``eta_p`` at the atoms of ``nu`` and the deviation from ``sign(c_k)``.

    At an optimum of the BLASSO, ``eta_{p_lam}(theta_k) = sign(c_k)`` on the
    support (the subgradient condition).
    """
    X = check_X(X)
    if len(nu) == 0:
        return {"eta": np.zeros(0), "max_deviation": 0.0}
    vals = eta(p, X, nu.theta)
    dev = np.abs(vals - np.sign(nu.c))
    return {"eta": vals, "max_deviation": float(dev.max())}
