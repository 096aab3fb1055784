"""Sphinx configuration of the blasso documentation.

Build (from the repository top, with the ``docs`` extra installed)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Local extensions live in ``docs/_ext``: ``blasso_cli`` renders the ``--help`` of every
command from the argparse parsers, ``md_include`` includes the two Markdown pages that
tests own (``report.md``, ``bad_inputs.md``), ``gallery_limits`` fails the build when
a gallery example runs longer than 60 s.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import blasso  # noqa: E402  (the installed package: pip install -e '.[docs]')

os.environ.setdefault("MPLBACKEND", "Agg")

project = "blasso"
author = "the blasso authors"
copyright = "the blasso authors, MIT license"
version = release = blasso.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "blasso_cli",
    "md_include",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.md5", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.ipynb"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["blasso.css"]
html_title = f"blasso {release}"

html_theme = "pydata_sphinx_theme"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
# the left navigation only where a section has pages (guide, gallery, API); none on single pages
html_sidebars = {page: [] for page in ("index", "getting_started", "mathematics", "verdicts", "findings",
                                       "performance", "cli", "report", "bad_inputs", "development")}

# -- API reference: autodoc + autosummary + numpydoc --------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True}
autodoc_member_order = "bysource"
autodoc_typehints = "none"          # the numpydoc "Parameters" sections carry the types
numpydoc_show_class_members = False  # autosummary pages list members; no second table per class
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# -- Gallery ---------------------------------------------------------------------------------
# Every examples/plot_*.py is run at build time and becomes a page with its figures;
# the file name orders the gallery.  Adding an example = adding one such file.
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "reset_modules": ("matplotlib", "gallery_limits.time_limit"),
    "reset_modules_order": "both",
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 0,
    "show_memory": False,
    "show_signature": False,
    "capture_repr": ("_repr_html_",),
}
