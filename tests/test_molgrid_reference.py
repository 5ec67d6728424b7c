"""fill='gaussian' and fill='binary' against libmolgrid's GridMaker.

The reference grids and gradients in tests/data/molgrid/ were written by
``profiling/make_molgrid_reference.py`` with libmolgrid 0.5.5 (its own venv,
numpy 1.26; see tests/data/README.md): six structures, grids of 15^3 at 1 A,
35^3 at 0.75 A and 48^3 at 0.5 A, Gaussians with G = 1, G = 1.5 (radius
scale 0.9) and G = -1 (truncated), and binary grids.  libmolgrid works in
float32 from float32 coordinates: the same float32 numbers go into our
table, and images are compared in float32 to 1e-6 of the grid's peak.
"""

import json

import numpy as np
import pytest
from conftest import DATA

import voxelize_cy as vc

REFERENCE = DATA / "molgrid"
MANIFEST = json.loads((REFERENCE / "manifest.json").read_text())
CHANNELS = ["C", "N", "O", ".*"]
RADII = {"C": 1.9, "N": 1.8, "O": 1.7, "*": 2.0}
NAMES = {0: "C", 1: "N", 2: "O", 3: "S"}


def table_of(npz):
    """The reference's atoms as our table: float32 coordinates (as libmolgrid
    read them), an element per channel index (S stands for 'other', radius
    2.0 A as every other element of that channel)."""
    coords = npz["coords"].astype(np.float64)
    types = npz["types"]
    elements = np.array([NAMES[int(t)] for t in types], dtype=object)
    radii = npz["radii"].astype(np.float64)
    expected = np.array([RADII.get(e, RADII["*"]) for e in elements])
    assert np.allclose(radii, expected, rtol=1e-6)  # the radii the grid used
    return {"element": elements, "x": coords[:, 0], "y": coords[:, 1], "z": coords[:, 2],
            "occupancy": np.ones(len(coords))}


def options(config):
    fill = "binary" if config["binary"] else "gaussian"
    return dict(fill=fill, agg="max" if config["binary"] else "sum",
                radius_scale=config["radius_scale"],
                gaussian_radius_multiple=config["gaussian_radius_multiple"])


def cases():
    for name, entry in MANIFEST["structures"].items():
        for config in entry["configs"]:
            yield pytest.param(name, config, id=f"{name}-{config['key']}")


@pytest.fixture(scope="module")
def references():
    return {name: np.load(REFERENCE / f"{name}.npz") for name in MANIFEST["structures"]}


def reference_case(references, name, config):
    """(npz, key, atoms, params) of one reference grid."""
    npz = references[name]
    key = config["key"]
    center = npz[f"{key}/center"].astype(np.float64)
    params = vc.ImageParams(vc.Grid(config["length"], config["resolution"], center),
                            CHANNELS, RADII)
    return npz, key, table_of(npz), params


@pytest.mark.parametrize("name, config", list(cases()))
def test_images_equal_libmolgrid(references, name, config):
    npz, key, atoms, params = reference_case(references, name, config)
    image = vc.image_from_atoms(atoms, params, dtype=np.float32, **options(config))
    peak = float(npz[f"{key}/peak"])
    assert peak > 0
    tolerance = 1e-6 * peak
    flat = image.ravel()
    voxels = npz[f"{key}/voxels"]
    theirs = npz[f"{key}/values"]
    if f"{key}/image" in npz.files:  # the whole grid: every voxel
        voxels = np.arange(flat.size)
        theirs = npz[f"{key}/image"].ravel()
    differ = np.flatnonzero(np.abs(flat[voxels] - theirs) > tolerance)
    # Where they differ by more than 1e-6 of the peak: we must hold the exact
    # density (float64, evaluated here atom by atom), and libmolgrid must be
    # within its own float32 rounding of it (or the voxel sits on a
    # discontinuity of the truncated or binary density, decided either way).
    assert differ.size <= 0.05 * voxels.size
    exact, bound, tie = exact_density(atoms, params, config, voxels[differ])
    assert np.all((np.abs(flat[voxels[differ]] - exact) <= tolerance + 1e-6 * np.abs(exact))
                  | tie)
    assert np.all((np.abs(theirs[differ] - exact) <= tolerance + bound) | tie)
    # and an independent check of ours on a few voxels where they agree
    agree = np.setdiff1d(np.arange(voxels.size), differ)[:50]
    exact_agree, _, tie_agree = exact_density(atoms, params, config, voxels[agree])
    assert np.all((np.abs(flat[voxels[agree]] - exact_agree) <= tolerance) | tie_agree)


F32 = np.finfo(np.float32).eps


def exact_density(atoms, params, config, voxels):
    """For each voxel (flat index): the density in float64 (sum, or max for the
    binary grid, over the atoms of its channel), a bound on what float32
    coordinates and arithmetic change in it (libmolgrid reads coordinates as
    float32: at 50 A an ulp is 4e-6 A), and whether an atom lies on a
    discontinuity (the truncated Gaussian's or binary density's cut-off,
    within 1e-5 of it)."""
    scale = config["radius_scale"]
    g = config["gaussian_radius_multiple"]
    truncated = g < 0
    g = abs(g)
    final = g if truncated else (1 + 2 * g * g) / (2 * g)
    e = np.exp(-2 * g * g)
    qa, qb, qc = e * 4 * g * g, -e * (4 * g + 8 * g ** 3), e * (4 * g ** 4 + 4 * g * g + 1)
    length = config["length"]
    channel, rest = np.divmod(np.asarray(voxels), length ** 3)
    ijk = np.stack(np.unravel_index(rest, (length,) * 3), axis=1)
    centers = vc._get_voxel_center_coords(params.grid, ijk)
    xyz = np.stack([atoms["x"], atoms["y"], atoms["z"]], axis=1)
    elements = atoms["element"]
    radius = np.array([RADII.get(e, RADII["*"]) for e in elements]) * scale
    atom_channel = np.array([CHANNELS.index(e) if e in CHANNELS else 3 for e in elements])
    exact = np.zeros(len(voxels))
    bound = np.zeros(len(voxels))
    tie = np.zeros(len(voxels), dtype=bool)
    for v, (c, p) in enumerate(zip(channel, centers)):
        mine = atom_channel == c
        r = radius[mine]
        d = np.linalg.norm(xyz[mine] - p, axis=1)
        t = d / r
        ulp = np.spacing(np.abs(xyz[mine]).astype(np.float32)).max(axis=1).astype(float)
        ulp += np.spacing(np.float32(np.abs(p).max()))
        if config["binary"]:
            exact[v] = float(np.any(d < r))
            tie[v] = bool(np.any(np.abs(d - r) <= 1e-5 * r))
            continue
        gauss = np.exp(-2 * t * t)
        quad = np.maximum((qa * t + qb) * t + qc, 0) if not truncated else 0 * t
        value = np.where(t <= g, gauss, np.where(t < final, quad, 0.0))
        slope = np.where(t <= g, 4 * t / r * gauss,
                         np.where(t < final, np.abs(2 * qa * t + qb) / r, 0.0))
        exact[v] = value.sum()
        bound[v] = (slope * 2 * np.sqrt(3) * ulp).sum() + 16 * F32 * value.sum()
        if truncated:
            tie[v] = bool(np.any(np.abs(t - g) <= 1e-5 * g))
    return exact, bound, tie


@pytest.mark.parametrize("name, config", [c for c in cases() if c.values[1]["backward"]
                                          and c.values[1]["gaussian_radius_multiple"] > 0])
def test_gradients_equal_libmolgrid_backward(references, name, config):
    npz, key, atoms, params = reference_case(references, name, config)
    shape = (4,) + (config["length"],) * 3
    upstream = np.linspace(-1.0, 1.0, int(np.prod(shape)), dtype=np.float32).reshape(shape)
    ours = vc.atom_gradients(atoms, params, upstream, **options(config))
    rows = npz[f"{key}/grad_rows"]
    theirs = npz[f"{key}/grad"].astype(np.float64)
    scale = np.abs(theirs).max()
    assert scale > 0
    # every atom libmolgrid moves, we move alike; no other atom moves
    np.testing.assert_allclose(ours[rows], theirs, rtol=0, atol=1e-5 * scale)
    others = np.setdiff1d(np.arange(len(ours)), rows)
    assert np.abs(ours[others]).max(initial=0) <= 1e-5 * scale
