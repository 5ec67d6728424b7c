"""The original's images for six real structures, reproduced to 1e-10 (tests/data/golden)."""

import json

import numpy as np
import pytest
from conftest import DATA, golden_atoms

import voxelize_cy as vc

CASES = json.loads((DATA / "golden" / "cases.json").read_text())
PARAMS = [pytest.param(c, id=c["id"]) for c in CASES]


def params_of(case):
    return vc.ImageParams(
        grid=vc.Grid(case["length_voxels"], case["resolution_A"], np.array(case["center_A"])),
        channels=case["channels"],
        element_radii_A=case["element_radii_A"],
    )


@pytest.fixture(scope="module")
def tables(golden):
    _, npz = golden
    structures = sorted({c["structure"] for c in CASES})
    return {s: golden_atoms(npz, s) for s in structures}


@pytest.mark.parametrize("case", PARAMS)
def test_golden_image(case, golden, tables):
    _, npz = golden
    expected = npz[f"{case['id']}/image"]
    img = vc.image_from_atoms(tables[case["structure"]], params_of(case))
    assert img.shape == expected.shape and img.dtype == np.float64
    assert np.abs(img - expected).max() <= 1e-10


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_golden_batch_equals_single(golden, tables, dtype):
    """The batch path on the golden cases of one shape equals the one-image path."""
    seed_cases = [c for c in CASES if c["id"].split("-")[1] == "seed"]
    if not seed_cases:
        pytest.skip("no seed cases")
    atoms = [tables[c["structure"]] for c in seed_cases]
    params = [params_of(c) for c in seed_cases]
    batch = vc.images_from_atoms(atoms, params, num_threads=2, dtype=dtype)
    single = np.stack([vc.image_from_atoms(a, p, dtype=dtype) for a, p in zip(atoms, params)])
    np.testing.assert_array_equal(batch, single)
    _, npz = golden
    expected = np.stack([npz[f"{c['id']}/image"] for c in seed_cases])
    tol = 1e-10 if dtype == np.float64 else 1e-6
    assert np.abs(batch - expected).max() <= tol
