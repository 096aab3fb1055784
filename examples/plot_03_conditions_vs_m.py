"""
Conditions (10) for the paper's teacher, m = 1 to 5
===================================================

:func:`blasso.certificates.check_conditions` decides conditions (10) for a target
measure over the whole sphere: ``certified`` needs an outward-rounded upper
bound of ``sup |eta_V|`` off the atoms' cells below 1; ``fails`` needs a
direction where ``|eta_V|``, evaluated in ball arithmetic, exceeds 1.  Here the
paper's teacher (orthonormal directions, positive weights) in d = 5 on n = 400
inputs, with m = 1 ... 5 neurons.
"""

import matplotlib.pyplot as plt
import numpy as np

import blasso
from blasso.certificates import check_conditions

ms = [1, 2, 3, 4, 5]
rows = []
for m in ms:
    inst = blasso.make_instance(teacher="paper", n=400, d=5, m=m, seed=0)
    cond = check_conditions(inst.X, inst.teacher_measure(), time_budget=30)
    rows.append((m, cond.verdict, cond.sup.lo, cond.sup.hi))
    print(f"m = {m}: {cond.verdict:12s} sup |eta_V| off the atom cells in [{cond.sup.lo:.9f}, {cond.sup.hi:.9f}]")

# %%
# The margin ``1 - sup |eta_V|``
# ------------------------------
# Both ends of the bracket of ``sup |eta_V|`` give a bracket of the margin; its
# lower end (from the rigorous upper bound of the sup) decides ``certified``,
# its upper end (from a point value) decides ``fails``.  The check stops as soon
# as the verdict is decided, so a bracket can be wide.  The m = 1 margin is
# positive but tiny: next to the atom ``|eta_V|`` is ``cos`` of an angle of
# order ``1/n``.  Symmetric log scale, linear within 1e-8 of zero.

fig, ax = plt.subplots(figsize=(6.5, 3.8))
for m, verdict, lo, hi in rows:
    colour = {"certified": "tab:green", "fails": "tab:red"}.get(verdict, "tab:gray")
    ax.plot([m, m], [1 - hi, 1 - lo], color=colour, lw=6, solid_capstyle="butt")
    ax.plot([m], [1 - hi], "o", color=colour)
    ax.annotate(verdict, (m, 1 - hi), textcoords="offset points", xytext=(8, -3), fontsize=8)
ax.axhline(0.0, color="k", lw=0.8, ls="--")
ax.set_yscale("symlog", linthresh=1e-8)
ax.set_xticks(ms)
ax.set_xlim(0.5, 5.8)
ax.set_xlabel("teacher width m (d = 5, n = 400, seed 0)")
ax.set_ylabel("margin 1 - sup |eta_V|")
ax.set_title("conditions (10) for the paper's teacher")
fig.tight_layout()
