"""Shared fixtures: small instances that solve in well under a second."""

import numpy as np
import pytest

from blasso import make_grid, make_instance


@pytest.fixture(scope="session")
def small_instance():
    """Paper teacher, d=3, m=2, n=40 (noiseless)."""
    return make_instance(teacher="paper", n=40, d=3, m=2, seed=3)


@pytest.fixture(scope="session")
def small_grid():
    return make_grid("fibonacci", 150, 3)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
