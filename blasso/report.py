"""The report contract: one JSON object per command, provenance, safe output paths, atomic writes.

Report (JSON schema: ``blasso/report_schema.json``, documented in ``docs/report.md``)::

    {"command": "solve", "version": "0.1.0", "schema": 1,
     "status": "ok" | "error" | "interrupted",
     "argv": [...],                                  # the command line after "blasso"
     "inputs": {"files": [{"role", "path", "sha256", "bytes"}], "seeds": {...}, "sizes": {...}},
     "versions": {"python", "numpy", "scipy", "cvxpy", "solver": {NAME: version}},
     "figures": {...},                               # what the command printed, by name
     "measures": {NAME: {"d", "theta", "c"}},        # sparse measures (load back as Measure)
     "solver_status": {LABEL: status},               # e.g. {"grid LASSO": "optimal"}
     "outputs": [{"role", "path"}],                  # files this run wrote (paths as written)
     "error": null | {"kind", "message"},
     "wall_s": 1.23}

Files are never lost: :func:`check_output_path` refuses, before any work, an
output that is a directory when a file is meant, sits in an unwritable or
missing folder, is one of the command's inputs, or already exists (unless
``force``).  No output creates a chain of folders: a file output's folder must
exist, and a folder output (``--plot DIR``, ``--out DIR``) may be created by
the command but its parent must exist, so a mistyped path fails instead of
silently creating folders.  :func:`atomic_output` writes through a temporary file in the same
folder, fsyncs it and renames it over the target (:func:`os.replace`), so an
interrupted or killed run leaves the previous file byte-identical.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .jsonio import to_jsonable
from .measure import Measure
from .validation import BlassoInputError

__all__ = ["SCHEMA_VERSION", "STATUSES", "SCHEMA_PATH", "sha256_file", "file_record", "library_versions",
           "measure_record", "check_output_path", "atomic_output", "write_text_atomic", "write_json_atomic",
           "save_npz_atomic", "load_schema", "load_report", "read_saved_run", "with_suffix"]

#: Version of the report layout (bump when a required field changes).
SCHEMA_VERSION = 1
STATUSES = ("ok", "error", "interrupted")
SCHEMA_PATH = Path(__file__).with_name("report_schema.json")

#: Package that provides each solver name (for ``versions.solver``).
_SOLVER_PACKAGES = {"ECOS": "ecos", "CLARABEL": "clarabel", "SCS": "scs", "FAST": "blasso", "HIGHS": "scipy"}


# ------------------------------------------------------------------ provenance
def sha256_file(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def file_record(role: str, path: str | Path) -> dict:
    """``{"role", "path", "sha256", "bytes"}`` of an existing input file."""
    p = Path(path)
    return {"role": role, "path": str(p), "sha256": sha256_file(p), "bytes": p.stat().st_size}


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def library_versions(solvers: Iterable[str] = ()) -> dict:
    """Versions of Python, numpy, scipy, cvxpy and of the named solvers (without importing them)."""
    out = {"python": platform.python_version(), "numpy": np.__version__,
           "scipy": _dist_version("scipy"), "cvxpy": _dist_version("cvxpy"), "solver": {}}
    for name in sorted({str(s).upper() for s in solvers}):
        out["solver"][name] = _dist_version(_SOLVER_PACKAGES.get(name, name.lower()))
    return out


def measure_record(nu: Measure) -> dict:
    """A measure as ``{"d", "theta", "c"}`` (plain lists), the report's measure layout."""
    return {"d": int(nu.d), "theta": np.asarray(nu.theta).tolist(), "c": np.asarray(nu.c).tolist()}


# --------------------------------------------------------------- output paths
def with_suffix(path: str | Path, suffix: str) -> Path:
    """``path`` with ``suffix`` appended unless it already ends with it (``out/x`` -> ``out/x.npz``).

    An existing folder is returned as given, so that the output check refuses it
    instead of writing ``folder.npz`` next to it.
    """
    p = Path(path)
    return p if p.name.endswith(suffix) or p.is_dir() else p.with_name(p.name + suffix)


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _writable_folder(folder: Path, option: str, path: Path, *, missing: str) -> Path:
    """``folder`` must exist, be a folder and accept new files; else a one-line error about ``path``.

    ``missing`` ends the message when ``folder`` does not exist (what to do about it).
    """
    if not folder.exists():
        anc = folder.parent
        while not anc.exists() and anc != anc.parent:
            anc = anc.parent
        if anc.exists() and not anc.is_dir():     # 'afile/x/y.json': name the file in the way
            raise BlassoInputError(f"{option} {str(path)!r}: {str(anc)!r} is a file, not a folder")
        raise BlassoInputError(f"{option} {str(path)!r}: folder {str(folder)!r} does not exist; {missing}")
    if not folder.is_dir():
        raise BlassoInputError(f"{option} {str(path)!r}: {str(folder)!r} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".blasso-probe-")
    except OSError as exc:
        raise BlassoInputError(f"{option} {str(path)!r}: cannot write in folder {str(folder)!r} "
                               f"({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)
    return folder


def check_output_path(path: str | Path, *, option: str, kind: str = "file", inputs: Iterable = (),
                      force: bool = False, members: Iterable[str] = ()) -> Path:
    """Check an output path before any work; raise :class:`BlassoInputError` with a one-line reason.

    Folders: a file's folder must already exist (nothing creates it); a
    ``kind="dir"`` output may be missing (the command creates that one folder),
    but its parent must exist.  Either way the folder that receives files must
    be writable.

    Parameters
    ----------
    path : str or Path
    option : str
        The option that named it (``--json``), quoted in messages.
    kind : {"file", "dir"}
        A file to write, or a folder to write ``members`` into.
    inputs : iterable of (option, path)
        The command's input files; an output may not be one of them, even with ``force``.
    force : bool
        Allow replacing an existing output file.
    members : iterable of str
        For ``kind="dir"``: names of the files that will be written inside.

    Returns
    -------
    Path
    """
    if path is None or str(path).strip() == "":
        raise BlassoInputError(f"{option} needs a path; got {str(path)!r}")
    p = Path(path).expanduser()
    for in_opt, in_path in inputs:
        if in_path and _same_file(p, Path(in_path)):
            raise BlassoInputError(f"{option} {str(p)!r} is the {in_opt} input; refusing to overwrite it")
    if kind == "dir":
        if p.exists() and not p.is_dir():
            raise BlassoInputError(f"{option} {str(p)!r} is a file; give a folder")
        if p.exists():
            _writable_folder(p, option, p, missing="")
        else:
            _writable_folder(p.parent, option, p,
                             missing=f"{option} creates the folder {p.name!r} but not its parent; create it first")
        for name in members:
            _check_file(p / name, option=option, inputs=inputs, force=force, folder_checked=True)
        return p
    return _check_file(p, option=option, inputs=inputs, force=force)


def _check_file(p: Path, *, option: str, inputs: Iterable, force: bool, folder_checked: bool = False) -> Path:
    """The checks of a file output (``folder_checked``: its folder was checked, or will be created, by the caller)."""
    for in_opt, in_path in inputs:
        if in_path and _same_file(p, Path(in_path)):
            raise BlassoInputError(f"{option} {str(p)!r} is the {in_opt} input; refusing to overwrite it")
    if p.is_dir():
        raise BlassoInputError(f"{option} {str(p)!r} is a folder; give a file name")
    if p.exists() and not p.is_file():
        # an atomic write renames over the path: a device, pipe or socket would be replaced, even with --force
        raise BlassoInputError(f"{option} {str(p)!r} is not a regular file (a device, pipe or socket);"
                               " outputs are written atomically by renaming a new file onto the path:"
                               " give a file name")
    if p.exists() and not force:
        raise BlassoInputError(f"{option} {str(p)!r} exists; add --force to overwrite it")
    if not folder_checked:
        _writable_folder(p.parent, option, p, missing="create it first (blasso creates no folder for a file output)")
    return p


# --------------------------------------------------------------- atomic writes
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(path: str | Path, *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success fsync it and rename it onto ``path``.

    On any exception (including ``KeyboardInterrupt``) the temporary file is
    removed and ``path`` is untouched.  ``suffix`` is appended to the temporary
    name for writers that infer the format from it (``".npz"``, ``".png"``).
    The folder must exist (no side effect before the checks: a caller that
    means to create one does so itself).

    Raises
    ------
    BlassoInputError
        When the folder of ``path`` does not exist.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise BlassoInputError(f"cannot write {str(target)!r}: folder {str(target.parent)!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp" + suffix)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())       # mkstemp's 0600 would survive the rename
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    with contextlib.suppress(OSError):        # make the rename itself durable
        dfd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_json_atomic(path: str | Path, obj) -> Path:
    """Write ``obj`` (numpy values allowed; NaN/inf become null) as indented JSON, atomically."""
    return write_text_atomic(path, json.dumps(to_jsonable(obj), indent=1) + "\n")


def save_npz_atomic(path: str | Path, **arrays) -> Path:
    """``np.savez`` to exactly ``path`` (no ``.npz`` appended behind the caller's back), atomically."""
    with atomic_output(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    return Path(path)


# --------------------------------------------------------------------- loading
def load_schema() -> dict:
    """The report's JSON schema (shipped as package data)."""
    return json.loads(SCHEMA_PATH.read_text())


def _measures(raw: dict) -> dict:
    out = {}
    for name, rec in (raw or {}).items():
        theta = np.asarray(rec["theta"], dtype=float).reshape(-1, int(rec["d"]))
        out[name] = Measure(theta, np.asarray(rec["c"], dtype=float))
    return out


def read_saved_run(path: str | Path, *, what: str | None = None) -> dict:
    """Every array of a ``blasso gd --save`` file, read without unpickling, with one-line errors.

    A JSON report, a pickle, an object array, random bytes or a damaged
    archive is refused with a :class:`BlassoInputError` naming the file and
    what it is (never numpy's ``allow_pickle`` hint).

    Parameters
    ----------
    path : str or Path
    what : str, optional
        How messages name the file (default ``"saved run 'PATH'"``).

    Returns
    -------
    dict
        ``name -> ndarray``.
    """
    from .validation import read_npz_file

    p = Path(path)
    what = what or f"saved run {str(p)!r}"
    if p.is_file():
        with open(p, "rb") as f:
            head = f.read(64).lstrip()
        if head[:1] in (b"{", b"["):
            raise BlassoInputError(f"cannot read {what}: it is JSON (a --json report?), not the .npz that "
                                   "blasso gd --save writes")
    return read_npz_file(p, what=what)


def _load_npz_report(path: Path) -> dict:
    data = read_saved_run(path, what=f"saved run {str(path)!r}")
    if "report_json" not in data or "a" not in data or "W" not in data:
        raise BlassoInputError(f"{str(path)!r} is not a saved gd run (needs report_json, a, W; "
                               f"found {sorted(data)})")
    report = json.loads(str(data.pop("report_json")))
    report["measures"] = _measures(report.get("measures"))
    report["measures"]["network"] = Measure.from_network(data["a"], data["W"])
    report["arrays"] = data
    return report


def load_report(path: str | Path) -> dict:
    """Read a report (``--json`` output, or a ``gd --save`` ``.npz``) with its measures as :class:`Measure`.

    Parameters
    ----------
    path : str or Path
        A JSON report, or the ``.npz`` written by ``blasso gd --save``.

    Returns
    -------
    dict
        The report; ``report["measures"]`` maps names to :class:`blasso.measure.Measure`.
        For a ``.npz`` also ``measures["network"]`` (the final ``(a, W)`` as a measure,
        units with equal directions merged) and ``arrays`` (every saved array).
    """
    p = Path(path)
    if not p.is_file():
        raise BlassoInputError(f"report {str(p)!r} does not exist")
    if p.suffix == ".npz":
        return _load_npz_report(p)
    try:
        report = json.loads(p.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BlassoInputError(f"report {str(p)!r} is not JSON: {exc}") from None
    if not isinstance(report, dict) or "command" not in report:
        raise BlassoInputError(f"{str(p)!r} is not a blasso report (no 'command' field)")
    report["measures"] = _measures(report.get("measures"))
    return report
