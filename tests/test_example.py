"""The built-in example: an ideal α-helix built by our own code."""

import numpy as np
import pytest

import voxelize_cy as vc
from voxelize_cy.io.example import _SIDE_CHAINS, EXAMPLE_SEQUENCE


def backbone(atoms, sequence=EXAMPLE_SEQUENCE):
    xyz = atoms[["x", "y", "z"]].to_numpy()
    starts, i = [], 0
    for code in sequence:
        starts.append(i)
        i += 4 + (0 if code == "G" else 1 + len(_SIDE_CHAINS.get(code, [])))
    assert i == len(atoms)
    take = lambda k: np.array([xyz[s + k] for s in starts])  # noqa: E731
    return take(0), take(1), take(2), take(3)  # N, CA, C, O


def test_columns_and_determinism():
    atoms = vc.example_atoms()
    assert list(atoms.columns) == ["monomer", "element", "x", "y", "z", "occupancy"]
    assert atoms.equals(vc.example_atoms())
    assert set(atoms["element"]) == {"C", "N", "O", "S"}
    assert (atoms["occupancy"] == 1.0).all()


def test_ideal_geometry_of_an_alpha_helix():
    n, ca, c, o = backbone(vc.example_atoms())
    dist = lambda a, b: np.linalg.norm(a - b, axis=-1)  # noqa: E731
    np.testing.assert_allclose(dist(n, ca), 1.458, atol=1e-9)
    np.testing.assert_allclose(dist(ca, c), 1.525, atol=1e-9)
    np.testing.assert_allclose(dist(c[:-1], n[1:]), 1.329, atol=1e-9)
    np.testing.assert_allclose(dist(c, o), 1.231, atol=1e-9)
    # i -> i+4 backbone hydrogen bonds: O(i) ... N(i+4) about 2.9-3.1 A.
    hbond = dist(o[:-4], n[4:])
    assert ((hbond > 2.8) & (hbond < 3.2)).all(), hbond
    # 1.5 A rise per residue along the helix.
    rise = dist(ca[-1], ca[0]) / (len(ca) - 1)
    assert 1.45 < rise < 1.6


def test_other_sequences_and_errors():
    assert len(vc.example_atoms("GGG")) == 12
    with pytest.raises(ValueError, match="unknown residue"):
        vc.example_atoms("AXA")
    with pytest.raises(ValueError, match="empty"):
        vc.example_atoms("")
