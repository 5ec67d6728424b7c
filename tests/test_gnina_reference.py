"""voxelize_cy.molgrid against libmolgrid 0.5.5 on gnina's data.

The reference (tests/data/gnina_reference/, written by
``profiling/make_gnina_reference.py`` with libmolgrid in the same process as
voxelize_cy) holds, for each scenario of ``profiling/_gnina_scenarios.py``, the
examples libmolgrid draws in order, its grids of the first batch and their
gradients, and the epoch counts of its iteration schemes.  Here the same
scenarios run through ``voxelize_cy.molgrid`` and must give:

- the same examples in the same order: labels, groups, sources, coordinates,
  types and radii;
- grids within 1e-5 of the peak at the sampled voxels (the whole grid for the
  coarse one), the same per-channel sums, and atom gradients within 1e-4 of
  their largest;
- the same epoch sizes and batches per epoch, and balanced batches of
  exactly half actives.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import voxelize_cy.molgrid as molgrid
from voxelize_cy import gnina

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "data" / "gnina_reference"
sys.path.insert(0, str(HERE.parent / "profiling"))
import _gnina_scenarios as S  # noqa: E402

MANIFEST = json.loads((REFERENCE / "manifest.json").read_text())
ARRAYS = np.load(REFERENCE / "reference.npz")


@pytest.fixture(scope="module")
def caches(tmp_path_factory):
    """rec.molcache2 (written by voxelize_cy) and lig.molcache2 (libmolgrid's)."""
    folder = tmp_path_factory.mktemp("molcaches")
    gnina.molcache_from_types(folder / "rec.molcache2", S.DATA / "small.types",
                              data_root=str(S.STRUCTS), position="receptor")
    shutil.copy(S.DATA / "lig.molcache2", folder / "lig.molcache2")
    return folder


def _needs(name):
    if name == "molecules" and not gnina.have_openbabel():
        pytest.skip("molecule files need OpenBabel (the openbabel extra)")


@pytest.mark.parametrize("name", sorted(S.SCENARIOS))
def test_the_same_examples_in_the_same_order(name, caches):
    _needs(name)
    e, examples = S.draw(molgrid, name, caches)
    expected = MANIFEST["scenarios"][name]
    assert e.num_types() == expected["num_types"]
    assert e.get_type_names() == expected["type_names"]
    for i, (ex, want) in enumerate(zip(examples, expected["examples"])):
        assert ex.labels == pytest.approx(want["labels"], nan_ok=True), i
        assert (ex.group, ex.seqcont) == (want["group"], want["seqcont"]), i
        assert len(ex.coord_sets) == len(want["sets"]), i
        for k, (c, w) in enumerate(zip(ex.coord_sets, want["sets"])):
            key = f"{name}/{i}/{k}"
            assert (c.src, c.size(), c.max_type) == (w["src"], w["size"], w["max_type"]), key
            np.testing.assert_array_equal(c.coords.tonumpy(), ARRAYS[key + "/coords"],
                                          err_msg=key)
            np.testing.assert_allclose(c.radii.tonumpy(), ARRAYS[key + "/radii"],
                                       rtol=1e-6, err_msg=key)
            if key + "/types" in ARRAYS and name == "molecules":
                _check_molecule_types(c, ARRAYS[key + "/types"])
            elif key + "/types" in ARRAYS:
                np.testing.assert_array_equal(c.type_index.tonumpy(), ARRAYS[key + "/types"])
            if key + "/vectors" in ARRAYS:
                np.testing.assert_array_equal(c.type_vector.tonumpy(),
                                              ARRAYS[key + "/vectors"])


def _check_molecule_types(c, want):
    """Molecule files go through OpenBabel: libmolgrid's wheel carries its own
    build, which leaves histidine rings non-aromatic (and NE2 without its
    hydrogen) where openbabel-wheel makes them aromatic; every other atom
    must get libmolgrid's type."""
    import gemmi

    types = c.type_index.tonumpy()
    differ = np.flatnonzero(types != want)
    assert differ.size <= 0.02 * types.size
    if not differ.size:
        return
    structure = gemmi.read_structure(str(S.STRUCTS / c.src))
    residue_at = {}
    for chain in structure[0]:
        for residue in chain:
            for atom in residue:
                residue_at[tuple(np.round(np.float32(atom.pos.tolist()), 3))] = residue.name
    coords = c.coords.tonumpy()
    residues = {residue_at.get(tuple(np.round(coords[i], 3))) for i in differ}
    assert residues == {"HIS"}, residues


GRIDDED = [(scenario, grid) for scenario, grids in S.GRIDDED.items() for grid in grids]


@pytest.mark.parametrize("scenario,grid_name", GRIDDED)
def test_grids_equal_libmolgrids(scenario, grid_name, caches):
    _, examples = S.draw(molgrid, scenario, caches)
    batch_size = S.SCENARIOS[scenario][4]
    batch = molgrid.ExampleVec(examples[:batch_size])
    maker = S.grid_maker(molgrid, grid_name)
    grid = np.zeros((len(batch),) + maker.grid_dimensions(batch[0].num_types()), np.float32)
    maker.forward(batch, grid)
    key = f"{scenario}/grid/{grid_name}"
    info = MANIFEST["scenarios"][scenario]["grids"][grid_name]
    assert list(grid.shape) == info["shape"]
    peak = info["peak"]
    assert grid.max() == pytest.approx(peak, rel=1e-5)
    flat = grid.reshape(-1)
    np.testing.assert_allclose(flat[ARRAYS[key + "/index"]], ARRAYS[key + "/values"],
                               atol=1e-5 * peak)
    sums = grid.reshape(grid.shape[0], grid.shape[1], -1).sum(-1)
    np.testing.assert_allclose(sums, ARRAYS[key + "/sums"], rtol=1e-4, atol=1e-3)
    if key + "/whole" in ARRAYS:
        np.testing.assert_allclose(grid, ARRAYS[key + "/whole"], atol=1e-5 * peak)
    if key + "/atom_gradients" in ARRAYS:
        _check_gradients(maker, batch[0], grid.shape[1:], key)


def _check_gradients(maker, ex, shape, key):
    merged = ex.merge_coordinates()
    diff = S.upstream_gradient(shape)
    atom_grad = np.zeros((merged.size(), 3), np.float32)
    center = ex.coord_sets[-1].center()
    if merged.has_vector_types():
        type_grad = np.zeros((merged.size(), merged.num_types()), np.float32)
        maker.backward(center, merged, diff, atom_grad, type_grad)
        want = ARRAYS[key + "/type_gradients"]
        np.testing.assert_allclose(type_grad, want, atol=1e-4 * np.abs(want).max())
    else:
        maker.backward(center, merged, diff, atom_grad)
    want = ARRAYS[key + "/atom_gradients"]
    np.testing.assert_allclose(atom_grad, want, atol=1e-4 * np.abs(want).max())


@pytest.mark.parametrize("case", MANIFEST["epochs"],
                         ids=lambda c: f"{c['scheme']}-{c['batch_size']}-"
                                       f"{'-'.join(sorted(c['settings'])) or 'plain'}")
def test_epoch_sizes_and_batches_per_epoch(case):
    counted = S.count_epochs(molgrid, case["settings"], case["scheme"], case["batch_size"])
    for key in ("small", "large", "size", "batches", "small_nums", "large_nums", "actives"):
        assert counted[key] == case[key], key
    if case["settings"].get("balanced"):
        assert all(a * 2 in (case["batch_size"], case["batch_size"] - 1,
                             case["batch_size"] + 1) for a in counted["actives"])
        if case["batch_size"] % 2 == 0:
            assert set(counted["actives"]) == {case["batch_size"] // 2}
