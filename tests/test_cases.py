"""Every case of tests/data/spec/cases.json: the original's behaviour, helper by helper."""

import json
import math
from itertools import product

import numpy as np
import pandas as pd
import pytest
from conftest import DATA

import voxelize_cy as vc

SPEC = json.loads((DATA / "spec" / "cases.json").read_text())


def section(prefix):
    """The cases of the section whose key starts with ``prefix`` (pytest params)."""
    keys = [k for k in SPEC if k.startswith(prefix)]
    assert len(keys) == 1, f"no unique section {prefix!r} in cases.json"
    return [pytest.param(c, id=f"{prefix}-{i}") for i, c in enumerate(SPEC[keys[0]])]


def make_grid(g):
    return vc.Grid(g["length_voxels"], g["resolution_A"], np.array(g["center_A"], dtype=float))


@pytest.mark.parametrize("case", section("get_element_radius"))
def test_get_element_radius(case):
    assert vc._get_element_radius(case["radii"], case["element"]) == case["expected"]


def test_get_element_radius_missing_raises_keyerror():
    with pytest.raises(KeyError):
        vc._get_element_radius({"C": 1.0}, "N")


@pytest.mark.parametrize("case", section("get_element_channel"))
def test_get_element_channel(case):
    cache = {}
    if case["expected"] == "RuntimeError":
        with pytest.raises(RuntimeError, match=f"element {case['element']} didn't match"):
            vc._get_element_channel(case["channels"], case["element"], cache)
        assert cache == {}
    else:
        got = vc._get_element_channel(case["channels"], case["element"], cache)
        assert got == case["expected"]
        assert cache == {case["element"]: case["expected"]}
        # A second call is answered from the cache.
        assert vc._get_element_channel([], case["element"], cache) == case["expected"]


@pytest.mark.parametrize("case", section("get_voxel_center_coords"))
def test_get_voxel_center_coords(case):
    grid = make_grid(case["grid"])
    got = vc._get_voxel_center_coords(grid, np.array(case["voxels"]))
    np.testing.assert_allclose(got, np.array(case["coords"], dtype=float), atol=1e-12)


@pytest.mark.parametrize("case", section("find_voxels_containing_coords"))
def test_find_voxels_containing_coords(case):
    grid = make_grid(case["grid"])
    got = vc._find_voxels_containing_coords(grid, np.array(case["coords"], dtype=float))
    np.testing.assert_array_equal(got, np.array(case["voxels"]))


@pytest.mark.parametrize("case", section("discard_voxels_outside_image"))
def test_discard_voxels_outside_image(case):
    grid = make_grid(case["grid"])
    got = vc._discard_voxels_outside_image(grid, np.array(case["voxels"]))
    np.testing.assert_array_equal(got, np.array(case["expected"]))


@pytest.mark.parametrize("case", section("find_voxels_possibly_contacting_sphere"))
def test_find_voxels_possibly_contacting_sphere(case):
    grid = make_grid(case["grid"])
    sphere = vc.Sphere(np.array(case["center_A"], dtype=float), case["radius_A"])
    got = {tuple(v) for v in vc._find_voxels_possibly_contacting_sphere(grid, sphere)}
    lo, hi = case["min_index"], case["max_index"]
    expected = set(product(*(range(lo[i], hi[i] + 1) for i in range(3))))
    assert got >= expected
    # ... and never a voxel outside the image.
    assert all(0 <= i < grid.length_voxels for v in got for i in v)


@pytest.mark.parametrize("case", section("sphere_cube_overlap"))
def test_sphere_cube_overlap(case):
    sphere = vc.Sphere(np.array(case["center_A"], dtype=float), case["radius_A"])
    cube = vc.Cube(np.array(case["cube_center_A"], dtype=float), case["cube_length_A"])
    got = vc._calc_sphere_cube_overlap_volume_A3(sphere, cube)
    assert got / sphere.volume_A3 == pytest.approx(case["expected"], abs=1e-13)


def test_sphere_centred_on_cube_corner_is_pi_over_6():
    sphere = vc.Sphere(np.array([1.0, 1.0, 1.0]), 1.0)
    cube = vc.Cube(np.zeros(3), 2.0)
    assert vc._calc_sphere_cube_overlap_volume_A3(sphere, cube) == pytest.approx(
        math.pi / 6, rel=1e-14
    )


def parse_expected_image(expected, shape):
    img = np.zeros(shape)
    for key, value in expected.items():
        img[tuple(int(i) for i in key.split())] = value
    return img


@pytest.mark.parametrize("case", section("add_atom_to_image"))
def test_add_atom_to_image(case):
    grid = vc.Grid(3, 1.0)
    atom = vc.Atom(
        sphere=vc.Sphere(np.array(case["center_A"], dtype=float), case["radius_A"]),
        channel=case["channel"],
        occupancy=case["occupancy"],
    )
    img = np.zeros((case["channel"] + 1, *grid.shape))
    vc._add_atom_to_image(img, grid, atom)
    np.testing.assert_allclose(img, parse_expected_image(case["expected"], img.shape), atol=1e-13)


@pytest.mark.parametrize("case", section("image_from_atoms"))
def test_image_from_atoms(case):
    rows = case["atoms"]
    atoms = pd.DataFrame(
        {
            "element": [r[0] for r in rows],
            "x": [float(r[1]) for r in rows],
            "y": [float(r[2]) for r in rows],
            "z": [float(r[3]) for r in rows],
            "occupancy": 1.0,
        }
    )
    params = vc.ImageParams(vc.Grid(2, 1.0), case["channels"], 0.5)
    img = vc.image_from_atoms(atoms, params)
    assert img.shape == (len(case["channels"]), 2, 2, 2)
    assert img.dtype == np.float64
    np.testing.assert_allclose(img, parse_expected_image(case["expected"], img.shape), atol=1e-13)


@pytest.mark.parametrize("case", section("discard_atoms_outside_image"))
def test_discard_atoms_outside_image(case):
    coords = np.array(case["coords"], dtype=float)
    atoms = pd.DataFrame(
        {"element": "C", "x": coords[:, 0], "y": coords[:, 1], "z": coords[:, 2],
         "occupancy": 1.0},
        index=np.arange(len(coords)) * 10,  # a non-default index is kept
    )
    params = vc.ImageParams(vc.Grid(2, 1.0), [".*"], 0.5)
    kept = vc._discard_atoms_outside_image(atoms, params)
    assert list(kept.index) == [10 * i for i in case["kept"]]
    np.testing.assert_array_equal(kept[["x", "y", "z"]].to_numpy(), coords[case["kept"]])


@pytest.mark.parametrize("case", section("calc_fraction_atom_in_voxel"))
def test_calc_fraction_atom_in_voxel(case):
    sphere = vc.Sphere(np.zeros(3), case["radius_A"])
    fraction = case["occupancy"] * case["overlap_A3"] / sphere.volume_A3
    assert fraction == pytest.approx(case["expected"], rel=1e-14)


def test_make_atom_and_make_cube():
    params = vc.ImageParams(vc.Grid(3, 1.0), ["C", ".*"], {"C": 0.7, "*": 0.5})
    row = next(pd.DataFrame({"element": ["N"], "x": [1.0], "y": [2.0], "z": [3.0],
                             "occupancy": [0.5]}).itertuples(index=False))
    cache = {}
    atom = vc._make_atom(row, params, cache)
    assert atom.channel == 1 and atom.occupancy == 0.5
    assert atom.sphere.radius_A == 0.5
    np.testing.assert_array_equal(atom.sphere.center_A, [1.0, 2.0, 3.0])
    assert cache == {"N": 1}
    cube = vc._make_cube(vc.Grid(3, 1.0), np.array([0, 1, 2]))
    np.testing.assert_array_equal(cube.center_A, [-1.0, 0.0, 1.0])
    assert cube.length_A == 1.0


def test_make_empty_image_and_max_radius():
    params = vc.ImageParams(vc.Grid(4, 1.0), ["C", "N", "O"], {"C": 1.0, "*": 2.5})
    img = vc._make_empty_image(params)
    assert img.shape == (3, 4, 4, 4) and img.dtype == np.float64 and not img.any()
    assert vc._get_max_element_radius(params.element_radii_A) == 2.5
    assert vc._get_max_element_radius(1.5) == 1.5


def test_grid_and_sphere_derived_values():
    grid = vc.Grid(15, 0.75)
    assert grid.length_A == pytest.approx(11.25)
    assert grid.shape == (15, 15, 15)
    np.testing.assert_array_equal(grid.center_A, np.zeros(3))
    assert vc.Sphere(np.zeros(3), 2.0).volume_A3 == pytest.approx(4 / 3 * math.pi * 8)
