"""Training the student network with Algorithm 1 (what ``blasso gd`` reports)."""

from __future__ import annotations

from ..instance import Instance
from ..progress import as_progress
from ..validation import BlassoInputError

__all__ = ["train_network"]


def train_network(inst: Instance, lam: float, M: int, *, penalty: str = "l1", step: str = "norm",
                  alpha: float | str = "auto", seed: int = 0, iters: int = 100000, ftol: float = 0.0,
                  gtol: float = 0.0, check_every: int = 1000, n_trace: int = 60, record_units: bool = False,
                  callback=None, progress=None) -> dict:
    """Initialise ``M`` units (seed ``seed``), pick ``alpha`` if ``"auto"``, run :func:`blasso.solvers.gd.run_gd`.

    Parameters
    ----------
    inst : Instance
    lam : float
    M : int
        Student width.
    penalty, step : str
        ``l1``/``l2``; ``norm`` (Algorithm 1) or ``constant`` (plain GD).
    alpha : float or "auto"
        ``auto`` = :func:`blasso.solvers.gd.choose_alpha` (Algorithm 1 only).
    seed : int
        Seed of the initial directions.
    iters, ftol, gtol, check_every, n_trace, record_units, callback :
        Passed to :func:`blasso.solvers.gd.run_gd` (``iters`` is ``max_iter``).
    progress : callable, optional
        A :mod:`blasso.progress` hook.

    Returns
    -------
    dict
        ``result`` (:class:`blasso.solvers.gd.GDResult`), ``alpha`` (used), ``alpha_probe``
        (the probe's report or None), ``measure`` (atoms above 1e-6 max|c|, sorted).
    """
    from blasso.solvers.gd import choose_alpha, init_network, run_gd

    say = as_progress(progress)
    init = init_network(M, inst.d, seed)
    probe = None
    if isinstance(alpha, str):
        if alpha != "auto":
            raise BlassoInputError(f"alpha must be a positive number or 'auto'; got {alpha!r}")
        if step != "norm":
            raise BlassoInputError("--alpha auto is for Algorithm 1 (--step norm); give a number for plain GD")
        probe = choose_alpha(inst.X, inst.y, lam, init=init, penalty=penalty)
        alpha = probe["alpha"]
        say(f"alpha auto: probe J after {probe['probe_iter']} iterations {probe['probe']} -> alpha = {alpha:g}")
    say(f"Algorithm 1: M={M}, penalty {penalty}, step {step}, alpha={alpha:g}, lam={lam:g}, n={inst.n}, "
        f"d={inst.d}, up to {iters} iterations ...")
    res = run_gd(inst.X, inst.y, lam, init=init, penalty=penalty, step=step, alpha=alpha, max_iter=iters,
                 ftol=ftol, gtol=gtol, check_every=check_every, n_trace=n_trace, record_units=record_units,
                 callback=callback, progress=say)
    return {"result": res, "alpha": alpha, "alpha_probe": probe, "measure": res.measure(prune_rtol=1e-6).sorted()}
