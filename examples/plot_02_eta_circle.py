"""
The dual certificate on the circle (d = 2)
==========================================

In d = 2 every direction is an angle, and the dual certificate
``eta_p(theta) = (1/n) sum_i p_i relu(<theta, x_i>)`` can be drawn whole.  The
conditions (10) of Akiyama & Suzuki ask for a ``p`` whose ``eta_p`` equals the
sign of each atom's weight at the atom and stays strictly inside ``(-1, 1)``
everywhere else.  :func:`blasso.certificates.check_conditions` decides this
rigorously through the vanishing-derivative pre-certificate ``p_V``; the same
picture is what ``blasso certify --plot DIR`` draws for d = 2.

Two teachers with two atoms on the same 50 inputs: the paper's (both weights
positive, orthogonal directions) and one with mixed signs.
"""

import matplotlib.pyplot as plt
import numpy as np

import blasso
from blasso.certificates import check_conditions

t = np.linspace(-np.pi, np.pi, 20000, endpoint=False)
circle = np.column_stack([np.cos(t), np.sin(t)])

fig, axes = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True)
for ax, teacher in zip(axes, ["paper", "mixed-signs"]):
    inst = blasso.make_instance(teacher=teacher, n=50, d=2, m=2, seed=0)
    cond = check_conditions(inst.X, inst.teacher_measure())
    print(f"{teacher}: {cond.verdict} (margin {cond.margin:+.2e})")
    print(f"    {cond.reason}")
    ax.plot(t, blasso.eta(cond.pre.p, inst.X, circle), lw=1, label="eta_V")
    for level in (-1, 1):
        ax.axhline(level, color="k", lw=0.6, ls="--")
    for th, c in zip(inst.teacher_W, inst.teacher_a):
        ax.axvline(np.arctan2(th[1], th[0]), color="g" if c > 0 else "m", lw=0.8)
    if cond.violating_theta is not None:
        th = cond.violating_theta
        ax.plot([np.arctan2(th[1], th[0])], [cond.violating_eta], "rx", ms=9, label="violation")
    if cond.verdict == "fails":
        # the violation is a few 1e-4: zoom in on the band just below and above 1
        inset = ax.inset_axes([0.3, 0.08, 0.38, 0.45])
        inset.plot(t, blasso.eta(cond.pre.p, inst.X, circle), lw=1)
        inset.axhline(1, color="k", lw=0.6, ls="--")
        inset.plot([np.arctan2(th[1], th[0])], [cond.violating_eta], "rx", ms=9)
        inset.set_xlim(np.arctan2(th[1], th[0]) - 0.6, np.arctan2(th[1], th[0]) + 0.6)
        inset.set_ylim(0.998, 1.0008)
        inset.tick_params(labelsize=7)
    ax.set_ylabel("eta_V(theta)")
    ax.set_title(f"teacher '{teacher}': {cond.verdict}", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
axes[-1].set_xlabel("angle of theta (rad)")
fig.tight_layout()

# %%
# Reading the picture
# -------------------
# For the paper's teacher ``eta_V`` touches 1 at both atoms but climbs above 1
# between them (red cross): no certificate interpolates the signs, conditions
# (10) fail, and the violation is found at a direction and evaluated in ball
# arithmetic.  With mixed signs ``eta_V`` is +1 at one atom, -1 at the other and
# strictly inside elsewhere; ``certified`` rests on an outward-rounded branch
# and bound over the whole circle.  The violation for the paper's teacher is
# small (a few 1e-4 here): a dense plot shows it, a coarse grid of directions
# can miss it.
