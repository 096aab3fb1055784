"""The consequence of the near-field law for the optimum, on exact solves (docs/near_field.rst).

For the paper's teacher (m orthonormal positive atoms, inputs uniform on the
sphere) and instances chosen from a ``blasso theory near-field`` report (the
same samples: seeds of the sweep store), with and without a violation of
conditions (10), ``blasso.studies.theory.theory_lam`` solves the BLASSO at
every ``lam`` (``lam_path``, certified brackets) and basis pursuit at
``lam = 0``, and reads the support per teacher atom.  One JSON line per
instance goes to ``--out`` as soon as it is solved (a killed run keeps what it
had; ``--resume`` skips the instances already there); ``--summary`` tabulates
how often the support splits, the cluster masses and radii against ``lam`` and
``n``, and whether the teacher is the basis-pursuit solution.

    python benchmarks/near_field_exact.py --source benchmarks/results/near_field/d2_m2.json \
        --ns 1000,3162,10000,31623 --per-n 2,2 --out benchmarks/results/near_field/exact_d2_m2.jsonl
    python benchmarks/near_field_exact.py --summary benchmarks/results/near_field/exact_d2_m2.jsonl \
        --summary-json benchmarks/results/near_field/exact_d2_m2_summary.json \
        --summary-rst docs/near_field_tables/exact_d2_m2.inc

(``python benchmarks/near_field_docs.py`` writes every table of the docs page.)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def _pick(records: list, n: int, violating: int, other: int) -> list:
    """Seeds at ``n``: the first ``violating`` that fail (10) and the first ``other`` that do not."""
    at = sorted((r for r in records if r["n"] == n), key=lambda r: r["seed"])
    bad = [r for r in at if r["verdict"] == "fails"][:violating]
    good = [r for r in at if r["verdict"] != "fails"][:other]
    return bad + good


def _compact(st, rec: dict, n: int, wall: float) -> dict:
    rows = [{k: r[k] for k in ("lam", "support_atoms", "raw_atoms", "dust_mass", "rel_width", "clusters", "outside_mass", "outside_count",
                               "extra_mass", "flat_distance", "split", "exactly_m", "uniqueness")} for r in st.rows]
    bp = st.basis_pursuit
    return {"n": n, "seed": rec["seed"], "conditions": rec["verdict"], "margin": rec["margin"],
            "violation_angle_n": None if rec["angle"] is None else rec["angle"] * n,
            "rows": rows, "basis_pursuit": {k: bp[k] for k in ("tv", "lower", "rel_gap", "residual", "n_atoms",
                                                              "teacher_tv", "clusters", "lower_source")},
            "verdicts": st.verdicts, "bound_9": st.verdict, "wall_s": wall}


def run(args) -> None:
    from blasso.studies.near_field import _spec
    from blasso.studies.sweep.tasks import build_instance
    from blasso.studies.theory import theory_lam

    study = json.loads(Path(args.source).read_text())["figures"]
    d, m = study["d"], study["m"]
    lams = [float(v) for v in args.lams.split(",")]
    nv, no = (int(v) for v in args.per_n.split(","))
    out = Path(args.out)
    done = set()
    if args.resume and out.exists():
        done = {(j["n"], j["seed"]) for j in map(json.loads, out.read_text().splitlines())}
    for n in (int(float(v)) for v in args.ns.split(",")):
        for rec in _pick(study["records"], n, nv, no):
            if (n, rec["seed"]) in done:
                continue
            inst = build_instance(_spec(d, m, {n: [rec["seed"]]}, 60.0).tasks[0].params)
            t0 = time.perf_counter()
            st = theory_lam(inst, lams, sup_budget=args.sup_budget, time_budget=args.time_budget, check_unique=False)
            line = _compact(st, rec, n, time.perf_counter() - t0)
            with out.open("a") as f:
                f.write(json.dumps(line) + "\n")
            v = st.verdicts
            print(f"n={n} seed={rec['seed']} (10) {rec['verdict']}: atoms {[r['support_atoms'] for r in st.rows]}, "
                  f"stability {v['support_stability']['status']}, identifiability {v['identifiability']['status']}, "
                  f"clusters {v['cluster_recovery']['status']} ({line['wall_s']:.0f} s)", flush=True)


def _median(v) -> float:
    v = [x for x in v if x is not None]
    return float(np.median(v)) if v else float("nan")


def _split(r: dict) -> bool:
    """Some teacher atom is a cluster of several atoms, or there are atoms outside the clusters."""
    return not (all(c["count"] == 1 for c in r["clusters"]) and r.get("outside_count", 0) == 0)


def list_table(title: str, head: list, body: list) -> str:
    """A ``list-table`` directive (first row the header)."""
    out = [f".. list-table:: {title}", "   :header-rows: 1", ""]
    for row in [head] + body:
        out += [f"   * - {row[0]}"] + [f"     - {v}" for v in row[1:]]
    return "\n".join(out) + "\n"


def _rst(res: dict) -> str:
    """The two tables of the docs page (generated, so the page shows what the JSON lines say)."""
    head = ["(10)", "lam", "split", "atoms (median)", "extra mass median / max", "cluster radius (median, x 1/n)",
            "flat distance (median)", "rel. width (max)"]
    body = [[t["conditions_10"], "0 (BP)" if t["lam"] == 0 else f"{t['lam']:.0e}", f"{t['split']}/{t['instances']}",
             f"{t['atoms_median']:.0f}", f"{t['extra_mass_median']:.2g} / {t['extra_mass_max']:.2g}",
             f"{t['cluster_radius_n_median']:.3g}", "-" if t["lam"] == 0 else f"{t['flat_distance_median']:.2e}",
             f"{t['rel_width_max']:.1e}"] for t in res["table"]]
    head_n = ["n", "instances ((10) fail)", "split at smallest lam (any lam)", "split radius (median, x 1/n)",
              "max abs(mass - c_j) at smallest lam", "teacher = BP", "median solve time, s"]
    body_n = [[b["n"], f"{b['instances']} ({b['conditions_fail']})",
               f"{b['split_smallest_lam']} ({b['split_any_lam']})", f"{b['cluster_radius_n_median']:.3g}",
               f"{b['mass_error_max']:.1e}", f"{b['bp_teacher']}/{b['instances']}", f"{b['wall_s_median']:.0f}"]
              for b in res["by_n"]]
    return (list_table(f"per lam, {res['instances']} instances", head, body) + "\n"
            + list_table("per n", head_n, body_n))


def summarise(path) -> tuple[dict, list]:
    """The tables of a ``--out`` file: ``(summary dict, the instance lines)``."""
    lines = [json.loads(s) for s in Path(path).read_text().splitlines() if s.strip()]
    lams = [r["lam"] for r in lines[0]["rows"]]
    table = []
    for viol in (True, False):
        sel = [j for j in lines if (j["conditions"] == "fails") == viol]
        if not sel:
            continue
        for i, lam in enumerate(lams + [0.0]):
            rows = [j["rows"][i] if lam > 0 else {**j["basis_pursuit"], "support_atoms": j["basis_pursuit"]["n_atoms"]}
                    for j in sel]
            split = sum(_split(r) for r in rows)
            extra = [sum(c["extra_mass"] for c in r["clusters"]) for r in rows]
            radius_n = [max((c["radius"] or 0.0) for c in r["clusters"]) * j["n"] for r, j in zip(rows, sel)]
            table.append({"conditions_10": "fails" if viol else "not fails", "lam": lam, "instances": len(rows),
                          "split": split, "atoms_median": _median([r["support_atoms"] for r in rows]),
                          "extra_mass_median": _median(extra), "extra_mass_max": float(np.max(extra)),
                          "outside_mass_max": float(max(r.get("outside_mass", 0.0) for r in rows)),
                          "cluster_radius_n_median": _median(radius_n),
                          "flat_distance_median": _median([r.get("flat_distance") for r in rows]),
                          "rel_width_max": float(max(r.get("rel_width", r.get("rel_gap", 0.0)) for r in rows))})
    by_n = []
    for n in sorted({j["n"] for j in lines}):
        sel = [j for j in lines if j["n"] == n]
        last = [j["rows"][-1] for j in sel]
        by_n.append({"n": n, "instances": len(sel), "conditions_fail": sum(j["conditions"] == "fails" for j in sel),
                     "split_smallest_lam": sum(_split(r) for r in last),
                     "split_any_lam": sum(any(_split(r) for r in j["rows"]) for j in sel),
                     "cluster_radius_n_median": _median([max((c["radius"] or 0.0) for c in r["clusters"]) * n
                                                         for r in last if _split(r)]),
                     "mass_error_max": float(max(abs(c["mass_error"]) for r in last for c in r["clusters"])),
                     "bp_teacher": sum(j["verdicts"]["identifiability"]["status"] == "holds" for j in sel),
                     "wall_s_median": _median([j["wall_s"] for j in sel])})
    verdicts = {k: {s: sum(j["verdicts"][k]["status"] == s for j in lines) for s in ("holds", "fails", "inconclusive")}
                for k in ("support_stability", "identifiability", "cluster_recovery")}
    res = {"instances": len(lines), "ns": sorted({j["n"] for j in lines}), "table": table, "by_n": by_n,
           "verdicts": verdicts, "wall_s_total": float(sum(j["wall_s"] for j in lines))}
    return res, lines


def summary_tables(path) -> str:
    """The docs tables of a ``--out`` file as reStructuredText."""
    return _rst(summarise(path)[0])


def summary(path: str, out: str | None, rst: str | None = None) -> None:
    res, lines = summarise(path)
    table, by_n, verdicts = res["table"], res["by_n"], res["verdicts"]
    for t in table:
        print(f"(10) {t['conditions_10']:9s} lam {t['lam']:.0e}: {t['split']}/{t['instances']} split, atoms median "
              f"{t['atoms_median']:.0f}, extra mass median {t['extra_mass_median']:.2e} (max {t['extra_mass_max']:.2e}), "
              f"outside max {t['outside_mass_max']:.1e}, cluster radius median {t['cluster_radius_n_median']:.3g}/n, "
              f"flat median {t['flat_distance_median']:.2e}, widths <= {t['rel_width_max']:.1e}")
    for b in by_n:
        print(f"n {b['n']}: {b['instances']} instances ((10) fail at {b['conditions_fail']}), split at the smallest lam "
              f"{b['split_smallest_lam']} (at some lam {b['split_any_lam']}), split cluster radius median "
              f"{b['cluster_radius_n_median']:.3g}/n, |mass - c_j| <= {b['mass_error_max']:.1e}, teacher = BP "
              f"{b['bp_teacher']}/{b['instances']}, median {b['wall_s_median']:.0f} s")
    print("verdicts:", verdicts, f"; {res['wall_s_total']:.0f} s of solves")
    if out:
        Path(out).write_text(json.dumps(res, indent=1))
    if rst:
        Path(rst).write_text(_rst(res))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--source", help="a near-field report (blasso theory near-field --json)")
    p.add_argument("--ns", default="1000,3162,10000,31623,100000")
    p.add_argument("--per-n", default="2,2", help="violating,not-violating instances per n (default 2,2)")
    p.add_argument("--lams", default="1e-3,1e-4,1e-5,1e-6")
    p.add_argument("--sup-budget", type=float, default=30.0)
    p.add_argument("--time-budget", type=float, default=1800.0)
    p.add_argument("--out", help="JSON lines, one per instance (appended)")
    p.add_argument("--resume", action="store_true", help="skip the instances already in --out")
    p.add_argument("--summary", metavar="JSONL", help="tabulate a --out file instead of solving")
    p.add_argument("--summary-json", help="with --summary: also write the table here")
    p.add_argument("--summary-rst", help="with --summary: also write the tables as reStructuredText here")
    args = p.parse_args(argv)
    if args.summary:
        summary(args.summary, args.summary_json, args.summary_rst)
    else:
        run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
