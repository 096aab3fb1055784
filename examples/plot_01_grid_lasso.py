"""
A network as a measure: the grid LASSO
======================================

A two-layer ReLU network ``sum_j a_j relu(<w_j, x>)`` is the sparse measure
``sum_j c_j delta_{theta_j}`` with ``c_j = a_j ||w_j||`` and
``theta_j = w_j / ||w_j||``.  Restricting the directions to a grid on the sphere
turns the BLASSO into a finite LASSO, which :func:`blasso.solve` solves.  Here a
teacher with three atoms of mixed signs in d = 3 is fitted on a Fibonacci grid
of 4000 directions.
"""

import matplotlib.pyplot as plt
import numpy as np

import blasso

inst = blasso.make_instance(teacher="mixed-signs", n=60, d=3, m=3, seed=1)
print(inst)
res = blasso.solve(inst, 1e-3, grid_kind="fibonacci", grid_size=4000, solver="ECOS")
print(res)
print(res.reason)

teacher = inst.teacher_measure()
print(f"J(grid solution) = {res.objective:.10f}  (an upper bound on the continuous J*)")
print(f"J(teacher)       = {blasso.blasso_objective(teacher, inst.X, inst.y, res.lam):.10f}")

# %%
# Where the grid puts its mass
# ----------------------------
# Each teacher atom is surrounded by a few grid atoms: the grid cannot place a
# spike off its points, so the mass of one continuous atom spreads over its
# neighbours.  Left: longitude and latitude of every atom, area proportional to
# ``|c|``, colour by sign; crosses mark the teacher.  Right: ``res.plot()``,
# the weight of each atom against its angle to the nearest teacher atom.


def lon_lat(theta):
    return np.degrees(np.arctan2(theta[:, 1], theta[:, 0])), np.degrees(np.arcsin(np.clip(theta[:, 2], -1, 1)))


fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
nu = res.measure
lon, lat = lon_lat(nu.theta)
ax.scatter(lon, lat, s=600 * np.abs(nu.c) / np.abs(nu.c).max(), c=np.sign(nu.c), cmap="coolwarm",
           vmin=-1.5, vmax=1.5, alpha=0.7, label="grid LASSO atoms")
tlon, tlat = lon_lat(teacher.theta)
ax.scatter(tlon, tlat, marker="x", s=80, c="k", label="teacher atoms")
ax.set_xlim(-180, 180)
ax.set_ylim(-90, 90)
ax.set_xlabel("longitude (deg)")
ax.set_ylabel("latitude (deg)")
ax.set_title(f"grid LASSO, d = 3, n = {inst.n}, lam = {res.lam:g}, G = {res.grid.size}", fontsize=9)
ax.legend(loc="lower left", fontsize=8)
res.plot(ax=ax2)
