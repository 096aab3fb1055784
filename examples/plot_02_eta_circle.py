"""
The dual certificate on the circle (d = 2)
==========================================

In d = 2 every direction is an angle, and the dual certificate
``eta_p(theta) = (1/n) sum_i p_i relu(<theta, x_i>)`` can be drawn whole.  The
conditions (10) of Akiyama & Suzuki ask for a ``p`` whose ``eta_p`` equals the
sign of each atom's weight at the atom and stays strictly inside ``(-1, 1)``
everywhere else.  :func:`blasso.certify` decides this rigorously through the
vanishing-derivative pre-certificate ``p_V``, and ``result.plot()`` draws it
(the picture ``blasso certify --plot DIR`` writes for d = 2).

Two teachers with two atoms on the same 50 inputs: the paper's (both weights
positive, orthogonal directions) and one with mixed signs.
"""

import matplotlib.pyplot as plt
import numpy as np

import blasso

fig, axes = plt.subplots(2, 1, figsize=(9, 8), layout="constrained")
certs = {}
for ax, teacher in zip(axes, ["paper", "mixed-signs"]):
    inst = blasso.make_instance(teacher=teacher, n=50, d=2, m=2, seed=0)
    cert = blasso.certify(inst, time_budget=20)
    certs[teacher] = cert
    print(f"{teacher}: {cert}")
    print(f"    {cert.reason}")
    cert.plot(ax=ax)

# %%
# Reading the picture
# -------------------
# For the paper's teacher ``eta_V`` touches 1 at both atoms but climbs above 1
# between them (the marked direction): no certificate interpolates the signs,
# conditions (10) fail, and the violation is found at a direction and evaluated
# in ball arithmetic.  With mixed signs ``eta_V`` is +1 at one atom, -1 at the
# other and strictly inside elsewhere; ``certified`` rests on a rigorous sup
# over the whole circle.  The violation for the paper's teacher is small: a
# zoom on the band just above 1 shows it, a coarse grid of directions can miss it.

cond = certs["paper"].report.conditions
inst = certs["paper"].instance
t0 = np.degrees(np.arctan2(cond.violating_theta[1], cond.violating_theta[0]))
t = np.radians(np.linspace(t0 - 30, t0 + 30, 4000))
fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
ax.plot(np.degrees(t), blasso.eta(cond.pre.p, inst.X, np.column_stack([np.cos(t), np.sin(t)])), label="eta_V")
ax.axhline(1, color="k", lw=0.6, ls="--", label="|eta| = 1")
ax.plot([t0], [cond.violating_eta], "X", color="k", mfc="yellow", ms=9,
        label=f"violating direction, eta_V = {cond.violating_eta:.6f}")
ax.set_xlabel("angle of theta (deg)")
ax.set_ylabel("eta_V(theta)")
ax.set_title("paper's teacher, zoom on the violation", fontsize=9)
ax.legend(fontsize=8)
