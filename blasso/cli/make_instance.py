"""``blasso make-instance``: generate a teacher-student instance and save it as .npz."""

from __future__ import annotations

import numpy as np

from blasso.instance import save_instance
from blasso.report import atomic_output, with_suffix
from blasso.studies.instances import teacher_summary
from blasso.validation import check_lam

from ._common import OutputSpec, add_data_arguments, float_type, load_data

NAME = "make-instance"
HELP = "generate an instance (teacher, inputs, labels) and save it as .npz"


def add_arguments(p) -> None:
    add_data_arguments(p, allow_file=False)
    p.add_argument("--lam", type=float_type(minimum=0.0), default=None, help="regularisation stored in the file")
    p.add_argument("--out", required=True, metavar="FILE.npz",
                   help="where to write the instance ('.npz' is appended when missing; its folder must exist)")


def outputs(args) -> list:
    args.out = str(with_suffix(args.out, ".npz"))
    return [OutputSpec("--out", args.out)]


def run(args, out) -> dict:
    inst = load_data(args)
    if args.lam is not None:
        inst.lam = check_lam(args.lam, allow_zero=True)
    with atomic_output(args.out, suffix=".npz") as tmp:
        save_instance(inst, tmp)
    out.wrote("instance", args.out)
    summ = teacher_summary(inst)
    nu = summ["teacher"]
    out.print(f"wrote {args.out}: n={inst.n} d={inst.d} m={inst.m} teacher={inst.meta.get('teacher')} "
              f"inputs={inst.meta.get('inputs')} noise={inst.meta.get('noise')} seed={inst.seed}")
    out.print(f"teacher weights c = {np.array2string(nu.c, precision=4)}; "
              f"min pairwise angle {summ['min_angle_deg']:.2f} deg; TV = {nu.tv:.4g}")
    return {"figures": {"path": args.out, "lam": inst.lam, "meta": inst.meta, "teacher_c": nu.c,
                        "teacher_min_angle_deg": summ["min_angle_deg"], "teacher_tv": nu.tv},
            "measures": {"teacher": nu}, "sizes": inst.sizes(), "seeds": {"instance_seed": inst.seed}}
