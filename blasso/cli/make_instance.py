"""``blasso make-instance``: generate a teacher-student instance and save it as .npz
(API: :func:`blasso.make_instance`, :func:`blasso.save_instance`)."""

from __future__ import annotations

from blasso.instance import save_instance
from blasso.report import atomic_output, with_suffix
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
    out.print(f"wrote {args.out}: {inst.summary()}")
    return {"figures": {"path": args.out, **inst.to_dict()}, "measures": {"teacher": inst.teacher_measure()},
            "sizes": inst.sizes(), "seeds": {"instance_seed": inst.seed}}
