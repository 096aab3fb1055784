"""
The paper's assumptions, one row each
=====================================

:func:`blasso.check_assumptions` checks the assumptions of Akiyama & Suzuki
(2021) on an instance -- 3.1 (uniform inputs), 3.2 (teacher), 4.1, 4.3, 4.4,
4.5 (the optimum: unique, off the sample hyperplanes, independent features,
non-degenerate certificate), 4.6 (F bounded along GD), 4.7 (``||x_i|| <= 1``)
and conditions (10) -- for the teacher and for the certified BLASSO optimum at
``lam``.  4.6 needs a gradient-descent run: :func:`blasso.gd` gives one.
"""

import blasso

inst = blasso.make_instance(teacher="paper", n=100, d=3, m=2, seed=0)
run = blasso.gd(inst, 1e-3, M=20, iters=20000)
print(run)
res = blasso.check_assumptions(inst, 1e-3, gd_trace=run, time_budget=20)
print(res)
print(res.reason)
for k in ("conditions-10", "4.5"):
    print(f"{k} (teacher): {res.report.checks[k].reason}")
print(f"4.1 (optimum): {res.report.optimum['4.1'].reason}")

# %%
# The table
# ---------
# ``res.plot()`` colours each check by its status.  The teacher satisfies the
# paper's structural assumptions but not conditions (10): ``eta_V`` exceeds 1
# between its two atoms, so for small ``lam`` the BLASSO optimum is not two
# spikes at the teacher (4.1 and 4.5 fail with it).  At ``lam = 1e-3`` the
# rows of the computed optimum say what the certified bracket proves about it.

ax = res.plot()
