"""Planted task kinds for tests/test_sweep.py (``task = "_sweep_tasks:boom"``); importable through PYTHONPATH."""

import time


def boom(inst, params, options):
    raise ValueError(f"planted failure at n = {params['n']}")


def nap(inst, params, options):
    time.sleep(60.0)
    return {"slept": True}
