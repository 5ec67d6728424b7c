"""Shared fixtures: the ../shared material (skipped when absent) and test options."""

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VOXELIZE_CY_SHARED", REPO_ROOT.parent / "shared"))
TESTS_DIR = Path(__file__).resolve().parent

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


def shared_path(*parts):
    """Path inside ../shared, or skip the test when ../shared is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present (../shared is only beside the repo in CI/dev)")
    return path


@pytest.fixture(scope="session")
def spec_cases():
    """The original's behaviour, case by case (../shared/spec/cases.json)."""
    return json.loads(shared_path("spec", "cases.json").read_text())


@pytest.fixture(scope="session")
def golden():
    """(cases, npz) of the original's images for real structures."""
    cases = json.loads(shared_path("golden", "cases.json").read_text())
    npz = np.load(shared_path("golden", "golden.npz"))
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
