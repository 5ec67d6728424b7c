"""The ``properties`` channel set against moleculekit's getChannels.

The reference in tests/data/moleculekit/ was written by
``profiling/make_property_channels_reference.py`` (moleculekit 1.17.19 with
OpenBabel 3.1.0: ``Molecule(path)``, ``mol.bonds = mol._getBonds()``,
``getChannels(mol, validitychecks=False)``), one row per row of
``atoms_from_file(path, names=True)`` that moleculekit typed (it keeps the first
alternate location only).
"""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import DATA

import voxelize_cy as vc
from voxelize_cy.chemistry.property_channels import PROPERTY_CHANNELS, property_channels

REFERENCE = DATA / "moleculekit"
MANIFEST = json.loads((REFERENCE / "manifest.json").read_text())
PROTEIN = {"ALA", "ARG", "ASN", "ASP", "CYS", "GLN", "GLU", "GLY", "HIS", "ILE", "LEU",
           "LYS", "MET", "PHE", "PRO", "SER", "THR", "TRP", "TYR", "VAL"}


@pytest.fixture(scope="module")
def structures():
    out = {}
    for name in sorted(MANIFEST["structures"]):
        atoms = vc.atoms_from_file(DATA / "structures" / f"{name}.cif.gz", names=True)
        out[name] = (atoms, np.load(REFERENCE / f"{name}.npz"))
    return out


def test_channel_names_are_moleculekits():
    assert list(PROPERTY_CHANNELS) == MANIFEST["channels"]
    assert vc.CHANNEL_SETS["properties"].channel_names == PROPERTY_CHANNELS


def test_agreement_with_moleculekit(structures):
    """>= 99% of protein atoms and >= 95% of the others get moleculekit's eight
    channels exactly (all eight right), per structure with more than 100 such
    atoms and over all six."""
    totals = {"protein": [0, 0], "other": [0, 0]}
    for name, (atoms, ref) in structures.items():
        ours, radius = property_channels(atoms)
        same = (ours == ref["channels"]).all(axis=1)
        typed = ref["typed"]
        protein = atoms["monomer"].isin(PROTEIN).to_numpy()
        for kind, mask in (("protein", typed & protein), ("other", typed & ~protein)):
            agree, n = int(same[mask].sum()), int(mask.sum())
            totals[kind][0] += agree
            totals[kind][1] += n
            if n > 100:
                assert agree / n >= (0.99 if kind == "protein" else 0.95), (name, kind)
        assert (radius > 0).all()
    assert totals["protein"][0] / totals["protein"][1] >= 0.995
    assert totals["other"][0] / totals["other"][1] >= 0.99
    assert totals["protein"][1] > 30000 and totals["other"][1] > 3000


def test_each_channel_is_exercised(structures):
    """Every channel is set somewhere in the reference and in ours (donors come
    from the hydrogens of 1qjg, 1aa5 and 4rek; the metal from 3v4i's Mg)."""
    seen_ref = np.zeros(8, bool)
    seen_ours = np.zeros(8, bool)
    for atoms, ref in structures.values():
        seen_ref |= ref["channels"].any(axis=0)
        seen_ours |= property_channels(atoms)[0].any(axis=0)
    assert seen_ref.all() and seen_ours.all()


def test_typed_table_images_and_masks(structures):
    atoms, _ = structures["2ypi"]
    typed = vc.add_channels(atoms, "properties")
    mask = typed["properties_channels"].to_numpy()
    members, radius = property_channels(atoms)
    np.testing.assert_array_equal((mask[:, None] >> np.arange(8)) & 1, members)
    np.testing.assert_array_equal(typed["properties_radius_A"], radius)
    params = vc.ImageParams(vc.Grid(16, 1.0, atoms[["x", "y", "z"]].to_numpy()[500]),
                            "properties", None)
    image = vc.image_from_atoms(typed, params, fill="gaussian")
    # an atom in two channels adds its density to both: channel by channel, the
    # image equals the image of the atoms in that channel alone
    for c in range(8):
        alone = typed.assign(properties_channels=np.where(members[:, c], 1 << c, 0)
                             .astype(np.uint8))
        np.testing.assert_array_equal(image[c], vc.image_from_atoms(alone, params,
                                                                    fill="gaussian")[c])
    bad = typed.assign(properties_channels=typed["properties_channels"].astype(np.uint16) | 256)
    with pytest.raises(ValueError, match="beyond properties's 8 channels"):
        vc.image_from_atoms(bad, params)


def test_alternate_locations_are_typed_each_with_the_rest(structures):
    """moleculekit keeps the first alternate location; the others are typed as
    if they were the only one, so a residue's B atoms get the A atoms' channels
    when their chemistry is the same."""
    atoms, ref = structures["4rek"]
    ours, _ = property_channels(atoms)
    second = (atoms["alt"] == "B").to_numpy()
    assert second.sum() > 800 and not ref["typed"][second].any()
    first = atoms[atoms["alt"] == "A"]
    by_name = {(r.chain, r.residue, r.atom_name): i for i, r in zip(first.index,
                                                                     first.itertuples())}
    pairs = [(by_name[(r.chain, r.residue, r.atom_name)], i)
             for i, r in zip(atoms.index[second], atoms[second].itertuples())
             if (r.chain, r.residue, r.atom_name) in by_name]
    a_rows, b_rows = np.array(pairs).T
    assert (ours[a_rows] == ours[b_rows]).all(axis=1).mean() > 0.97


def test_residue_columns_are_needed_for_ionizable_channels():
    atoms = vc.example_atoms()
    plain = pd.DataFrame({c: atoms[c] for c in ("element", "x", "y", "z", "occupancy")})
    members, _ = property_channels(plain)  # no residue names: no ionizable atom
    assert not members[:, 4:6].any() and members[:, 7].all()
