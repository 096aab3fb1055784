"""
The support of the optimum along lam
====================================

Theorem 3.5 of Akiyama & Suzuki says that as ``lam -> 0`` the BLASSO optimum
has the teacher's atoms, with errors ``O(m lam^2)`` -- *if* conditions (10)
hold.  ``blasso.solve(..., exact=True)`` gives the certified optimum at each
``lam``; here a teacher with two atoms of opposite signs in d = 2, for which
(10) is certified, and ``lam`` from 1e-4 to 0.2, just below ``lam_max`` (0.214
here: from there on the zero measure is optimal).
"""

import matplotlib.pyplot as plt
import numpy as np

import blasso
from blasso.studies.compare import match_atoms

inst = blasso.make_instance(teacher="mixed-signs", n=60, d=2, m=2, seed=0)
print(blasso.certify(inst, time_budget=10))
teacher = inst.teacher_measure()
lams = np.logspace(-4, np.log10(0.2), 9)
rows = []
for lam in lams:
    ex = blasso.solve(inst, lam, grid_size=720, exact=True).exact
    nu = ex.measure
    m = match_atoms(nu, teacher, match_angle=np.pi / 2)
    err = max(m["angles"], default=np.nan)
    rows.append((lam, len(nu), nu.tv, np.degrees(err), ex.rel_width))
    print(f"lam = {lam:.2e}: {len(nu)} atoms, TV {nu.tv:.5f}, largest angle to the teacher {np.degrees(err):.3g} deg, "
          f"bracket width {ex.rel_width:.0e}")

# %%
# Atoms, mass and distance to the teacher
# ---------------------------------------
# At every ``lam`` the optimum has exactly two atoms, one near each teacher
# atom; their angle to the teacher falls like ``lam`` (slope 1 on log-log axes:
# the squared error ``O(m lam^2)`` of Theorem 3.5), and the total variation
# shrinks from the teacher's 2 towards 0 at ``lam_max``.

lam, count, tv, angle, _ = map(np.array, zip(*rows))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
ax1.loglog(lam, angle, "o-", label="largest angle to a teacher atom")
ax1.set_xlabel("lam")
ax1.set_ylabel("angle (deg)")
ax1.set_title(f"certified optimum vs the teacher (n = {inst.n}, d = 2, m = 2)", fontsize=9)
ax1.legend(fontsize=8)
ax2.semilogx(lam, tv, "s-", color="C1", label="TV of the optimum")
ax2.axhline(teacher.tv, color="k", ls="--", lw=0.8, label="TV of the teacher")
ax2.set_xlabel("lam")
ax2.set_ylabel("total variation")
for x, y, k in zip(lam, tv, count):
    ax2.annotate(f"{k}", (x, y), textcoords="offset points", xytext=(0, 6), fontsize=7, ha="center")
ax2.set_title("total variation (labels: number of atoms)", fontsize=9)
ax2.legend(fontsize=8)
