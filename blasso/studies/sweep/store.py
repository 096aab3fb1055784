"""The sweep's SQLite store: one row per task, written by the coordinating process only.

Table ``tasks``: ``key`` (primary key: a task can never appear twice),
``task``, ``params`` (canonical JSON), ``status`` (``pending`` / ``done`` /
``failed``), ``error``, ``result`` (JSON), ``wall_s``, ``host``, ``attempts``,
``updated`` (Unix time), ``code`` (fingerprint of the sources that computed it).  Table ``runs``: one row per ``sweep run`` (start,
end, executor, workers, tasks done) for the total wall time and the ETA.
Table ``meta``: the toolkit version that created the store.

WAL journal, one transaction per result (committed as it arrives), so a
coordinator killed at any moment loses at most the tasks in flight, which
are still ``pending`` and run again on the next ``sweep run``.  A second
coordinator on the same store is refused while the first runs (an advisory
lock on ``FILE.lock``, released by the kernel even when its holder is killed).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from pathlib import Path

from blasso import __version__
from blasso.validation import BlassoInputError

from .keys import canonical

__all__ = ["Store", "STATUSES"]

STATUSES = ("pending", "done", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    key TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    error TEXT,
    result TEXT,
    wall_s REAL,
    host TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated REAL,
    code TEXT
);
CREATE INDEX IF NOT EXISTS tasks_status ON tasks (status);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started REAL NOT NULL,
    finished REAL,
    executor TEXT,
    workers INTEGER,
    planned INTEGER,
    completed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);
"""


class Store:
    """A sweep store (``Store(path)``; ``create=False`` refuses a missing file).

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, path, *, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise BlassoInputError(f"--store {str(self.path)!r}: no such sweep store")
        try:
            self.db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            cols = {r[1] for r in self.db.execute("PRAGMA table_info(tasks)")}
            if "code" not in cols:                       # a store from before the column
                self.db.execute("ALTER TABLE tasks ADD COLUMN code TEXT")
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('version', ?)", (__version__,))
        except sqlite3.DatabaseError as exc:
            raise BlassoInputError(f"--store {str(self.path)!r}: not a sweep store ({exc})") from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def coordinator(self):
        """Hold the store's coordinator lock (``BlassoInputError`` if another process holds it)."""
        import fcntl

        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BlassoInputError(f"--store {str(self.path)!r}: another 'sweep run' is writing it "
                                       f"(lock {str(lock)!r}); wait for it or stop it") from None
            yield self
        finally:
            os.close(fd)

    # ------------------------------------------------------------------ writes
    def add(self, tasks) -> int:
        """Insert the tasks not yet in the store as ``pending``; returns how many were new."""
        before = self.count()
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR IGNORE INTO tasks (key, task, params, status) VALUES (?, ?, ?, 'pending')",
                                [(t.key, t.params["task"], canonical(t.params)) for t in tasks])
        return self.count() - before

    def record(self, outcome: dict) -> None:
        """Store one outcome of :func:`blasso.studies.sweep.runner.run_task` (one transaction)."""
        result = None if outcome.get("result") is None else json.dumps(outcome["result"], allow_nan=False)
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE tasks SET status = ?, error = ?, result = ?, wall_s = ?, host = ?, "
                            "attempts = attempts + 1, updated = ?, code = ? WHERE key = ?",
                            (outcome["status"], outcome.get("error"), result, outcome.get("wall_s"),
                             outcome.get("host"), time.time(), outcome.get("code"), outcome["key"]))

    def start_run(self, executor: str, workers: int, planned: int) -> int:
        cur = self.db.execute("INSERT INTO runs (started, executor, workers, planned) VALUES (?, ?, ?, ?)",
                              (time.time(), executor, workers, planned))
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, completed: int) -> None:
        self.db.execute("UPDATE runs SET finished = ?, completed = ? WHERE id = ?", (time.time(), completed, run_id))

    def progress_run(self, run_id: int, completed: int) -> None:
        self.db.execute("UPDATE runs SET completed = ?, finished = ? WHERE id = ?", (completed, time.time(), run_id))

    # ------------------------------------------------------------------- reads
    def count(self, status: str | None = None) -> int:
        if status is None:
            return int(self.db.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])
        return int(self.db.execute("SELECT COUNT(*) FROM tasks WHERE status = ?", (status,)).fetchone()[0])

    def counts(self) -> dict:
        """``{status: count}`` for every status (zeros included)."""
        out = dict.fromkeys(STATUSES, 0)
        out.update(dict(self.db.execute("SELECT status, COUNT(*) FROM tasks GROUP BY status").fetchall()))
        return out

    def todo(self, keys, *, retry_failed: bool = False) -> list:
        """The keys among ``keys`` still to compute (``pending``, and ``failed`` with ``retry_failed``)."""
        want = ("pending", "failed") if retry_failed else ("pending",)
        status = dict(self.db.execute("SELECT key, status FROM tasks").fetchall())
        return [k for k in keys if status.get(k) in want]

    def rows(self) -> list:
        """Every task as a dict: ``key, task, params, status, error, result, wall_s, host, attempts, code``."""
        cur = self.db.execute("SELECT key, task, params, status, error, result, wall_s, host, attempts, code "
                              "FROM tasks ORDER BY rowid")
        out = []
        for key, task, params, status, error, result, wall, host, att, code in cur.fetchall():
            out.append({"key": key, "task": task, "params": json.loads(params), "status": status, "error": error,
                        "result": None if result is None else json.loads(result), "wall_s": wall, "host": host,
                        "attempts": att, "code": code})
        return out

    def runs(self) -> list:
        cur = self.db.execute("SELECT id, started, finished, executor, workers, planned, completed FROM runs "
                              "ORDER BY id")
        names = ("id", "started", "finished", "executor", "workers", "planned", "completed")
        return [dict(zip(names, r)) for r in cur.fetchall()]
