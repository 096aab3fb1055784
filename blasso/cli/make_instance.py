"""``blasso make-instance``: generate a teacher-student instance and save it as .npz."""

from __future__ import annotations

import numpy as np

from blasso.instance import save_instance
from blasso.validation import BlassoInputError

from ._common import add_data_arguments, load_data

NAME = "make-instance"
HELP = "generate an instance (teacher, inputs, labels) and save it as .npz"


def add_arguments(p) -> None:
    add_data_arguments(p)
    p.add_argument("--lam", type=float, default=None, help="regularisation stored in the file")
    p.add_argument("--out", required=True, metavar="FILE.npz", help="where to write the instance")


def run(args, out) -> dict:
    if args.instance:
        raise BlassoInputError("make-instance generates data; use --teacher/--n/--d/... instead of --instance")
    inst = load_data(args)
    if args.lam is not None:
        from blasso.validation import check_lam
        inst.lam = check_lam(args.lam, allow_zero=True)
    path = save_instance(inst, args.out)
    nu = inst.teacher_measure()
    G = nu.theta @ nu.theta.T
    off = G[~np.eye(len(nu), dtype=bool)]
    min_angle = float(np.degrees(np.arccos(np.clip(off.max(), -1, 1)))) if off.size else float("nan")
    out.print(f"wrote {path}: n={inst.n} d={inst.d} m={inst.m} teacher={inst.meta.get('teacher')} "
              f"inputs={inst.meta.get('inputs')} noise={inst.meta.get('noise')} seed={inst.seed}")
    out.print(f"teacher weights c = {np.array2string(nu.c, precision=4)}; "
              f"min pairwise angle {min_angle:.2f} deg; TV = {nu.tv:.4g}")
    return {"path": str(path), **inst.sizes(), "seed": inst.seed, "lam": inst.lam, "meta": inst.meta,
            "teacher_c": nu.c, "teacher_theta": nu.theta, "teacher_min_angle_deg": min_angle}
