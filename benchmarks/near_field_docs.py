"""The tables of ``docs/near_field.rst``, generated from the JSON reports (nothing copied by hand).

    python benchmarks/near_field_docs.py

reads ``benchmarks/results/near_field/``: the near-field reports
(``blasso theory near-field --json``, one per d and m; the commands are in
``command.txt`` there) and the exact solves of ``near_field_exact.py``
(``exact_d2_m2.jsonl``, ``exact_d3_m2.jsonl``), and writes one
reStructuredText fragment per table to ``docs/near_field_tables/*.inc``,
which the page includes.  Studies are refitted with the current analysis
(:func:`blasso.studies.near_field.study_from_dict`, the bootstrap seeded 0),
as ``blasso theory near-field --from-json`` does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from near_field_exact import list_table, summary_tables  # noqa: E402  (a sibling script)

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "near_field"
OUT = ROOT.parent / "docs" / "near_field_tables"

STUDIES = {
    "d2_m2": "d = 2, m = 2, 40 seeds per n",
    "d2_m1": "d = 2, m = 1, 40 seeds per n",
    "d2_m1_many": "d = 2, m = 1, 2000 seeds per n",
    "d3_m2": "d = 3, m = 2, 40 seeds per n",
    "d3_m1": "d = 3, m = 1, 40 seeds per n",
    "d3_m3": "d = 3, m = 3, 40 seeds per n",
    "d5_m5": "d = 5, m = 5 (the Fig. 2 teacher), 10 seeds per n",
    "d5_m2": "d = 5, m = 2, 10 seeds per n",
    "d5_m1": "d = 5, m = 1, 10 seeds per n",
}


def _g(v, f: str) -> str:
    return "-" if v is None else format(v, f)


def study_table(st, caption: str, wall_s: float) -> str:
    """Rows, fits and the law's check of one :class:`~blasso.studies.near_field.NearFieldStudy`."""
    head = ["n", "seeds", "(10) fail (predicted)", "median margin (predicted)", "margin q10 / q90",
            "median angle, deg (predicted)", "median far-field margin", "inconcl."]
    body = []
    for r in (row.to_dict() for row in st.rows):
        body.append([r["n"], r["seeds"],
                     f"{r['violating']} = {r['violating_fraction']:.3g} ({_g(r['pred_violating_fraction'], '.3g')})",
                     f"{_g(r['margin_median'], '.2e')} ({_g(r['pred_margin_median'], '.1e')})",
                     f"{_g(r['margin_q10'], '.1e')} / {_g(r['margin_q90'], '.1e')}",
                     f"{_g(r['angle_median_deg'], '.3g')} ({_g(r['pred_angle_median_deg'], '.2g')})",
                     _g(r["far_margin_median"], ".1e"), r["inconclusive"]])
    fits = []
    for k in ("margin", "angle"):
        v = st.fits[k]
        if v["slope"] is None or len(v["ns"]) < 3:
            fits.append(f"{k}: {len(v['ns'])} near-field n values, no fit")
        else:
            fits.append(f"{k} slope {v['slope']:.2f}, 95% interval [{v['ci'][0]:.2f}, {v['ci'][1]:.2f}], "
                        f"R^2 {v['r2']:.3f} (n = {v['ns'][0]} .. {v['ns'][-1]}; predicted {v['predicted_slope']:g})")
    fr = st.fits["fraction"]
    rate = (f"violation rate {fr['quantity'].split(' (')[0]}: {_g(fr['estimate'], '.3g')} [{fr['ci'][0]:.3g}, "
            f"{fr['ci'][1]:.3g}] ({fr['violating']}/{fr['seeds']} seeds), predicted {_g(fr['predicted'], '.3g')}")
    took = f"{wall_s / 60:.1f} min" if wall_s >= 90 else f"{wall_s:.0f} s"
    return (list_table(caption, head, body) + "\nFits: " + "; ".join(fits) + "; " + rate
            + f".  Law: **{st.check['status']}**.  Wall time of the run: {took}.\n")


def main() -> int:

    from blasso.studies.near_field import study_from_dict

    OUT.mkdir(exist_ok=True)
    for name, caption in STUDIES.items():
        rep = json.loads((RESULTS / f"{name}.json").read_text())
        st = study_from_dict(rep["figures"])
        (OUT / f"{name}.inc").write_text(study_table(st, caption, float(rep["wall_s"])))
    for name in ("exact_d2_m2", "exact_d3_m2"):
        (OUT / f"{name}.inc").write_text(summary_tables(RESULTS / f"{name}.jsonl"))
    print(f"wrote {len(STUDIES) + 2} tables to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
