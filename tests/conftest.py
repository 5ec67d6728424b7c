"""Shared fixtures: the reference data in tests/data and the test options."""

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TESTS_DIR = Path(__file__).resolve().parent
#: Reference data copied from the project's shared material (see data/README.md).
DATA = TESTS_DIR / "data"
STRUCTURES = DATA / "structures"

# Let tests import the pure-Python oracle next to them.
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))


def pytest_addoption(parser):
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="run the slow checks (100,000-configuration overlap sweep, leak check)",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow") or os.environ.get("VOXELIZE_CY_RUN_SLOW") == "1":
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


def data_path(*parts):
    """Path inside tests/data; a missing file is an error, never a skip."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: tests/data is part of the repository")
    return path


@pytest.fixture(scope="session")
def spec_cases():
    """The original's behaviour, case by case (tests/data/spec/cases.json)."""
    return json.loads(data_path("spec", "cases.json").read_text())


@pytest.fixture(scope="session")
def golden():
    """(cases, npz) of the original's images for real structures."""
    cases = json.loads(data_path("golden", "cases.json").read_text())
    npz = np.load(data_path("golden", "golden.npz"))
    return cases, npz


def golden_atoms(npz, structure):
    """The atoms the original received for ``structure``, as a pandas DataFrame."""
    import pandas as pd

    return pd.DataFrame(
        {
            "element": npz[f"{structure}/element"],
            "x": npz[f"{structure}/x"],
            "y": npz[f"{structure}/y"],
            "z": npz[f"{structure}/z"],
            "occupancy": npz[f"{structure}/occupancy"],
        }
    )
