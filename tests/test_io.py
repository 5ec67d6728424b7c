"""atoms_from_file: mmCIF/PDB (gzipped too) with gemmi, the original's columns."""

import gzip
import shutil

import numpy as np
import pytest
from conftest import STRUCTURES as STRUCTURE_DIR

import voxelize_cy as vc

STRUCTURES = ["1qjg", "3v4i", "171l", "1aa5", "4rek", "2ypi"]

PDB_TEXT = """\
HEADER    TEST
MODEL        1
ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N
ATOM      2  CA AALA A   1      11.639   6.071  -5.147  0.60  0.00           C
ATOM      3  CA BALA A   1      11.700   6.000  -5.100  0.40  0.00           C
ATOM      4  H   ALA A   1      10.000   6.000  -6.000  1.00  0.00           H
HETATM    5 FE   HEM B   2       1.000   2.000   3.000  1.00  0.00          FE
HETATM    6  O   HOH C   3       4.000   5.000   6.000  1.00  0.00           O
ENDMDL
MODEL        2
ATOM      1  N   ALA A   1      12.104   6.134  -6.504  1.00  0.00           N
ENDMDL
END
"""

CIF_TEXT = """\
data_TEST
loop_
_atom_site.group_PDB
_atom_site.id
_atom_site.type_symbol
_atom_site.label_atom_id
_atom_site.label_alt_id
_atom_site.label_comp_id
_atom_site.label_asym_id
_atom_site.label_seq_id
_atom_site.Cartn_x
_atom_site.Cartn_y
_atom_site.Cartn_z
_atom_site.occupancy
_atom_site.auth_asym_id
_atom_site.pdbx_PDB_model_num
ATOM   1 N  N   . GLY A 1 1.0 2.0 3.0 1.00 A 1
ATOM   2 C  CA  A GLY A 1 2.0 2.5 3.5 0.70 A 1
ATOM   3 C  CA  B GLY A 1 2.1 2.4 3.4 0.30 A 1
HETATM 4 CL CL  . CL  B . 9.0 9.0 9.0 1.00 B 1
HETATM 5 D  D1  . HOH C . 5.0 5.0 5.0 1.00 C 1
ATOM   6 N  N   . GLY A 1 1.5 2.0 3.0 1.00 A 2
"""


@pytest.fixture
def pdb_file(tmp_path):
    path = tmp_path / "small.pdb"
    path.write_text(PDB_TEXT)
    return path


@pytest.fixture
def cif_file(tmp_path):
    path = tmp_path / "small.cif"
    path.write_text(CIF_TEXT)
    return path


def gzipped(path):
    out = path.with_name(path.name + ".gz")
    with open(path, "rb") as src, gzip.open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


@pytest.mark.parametrize("structure", STRUCTURES)
def test_real_structures_match_the_originals_atoms(structure, golden):
    _, npz = golden
    path = STRUCTURE_DIR / f"{structure}.cif.gz"
    atoms = vc.atoms_from_file(path)
    assert list(atoms.columns) == ["monomer", "element", "x", "y", "z", "occupancy"]
    for column in ("x", "y", "z", "occupancy"):
        assert atoms[column].dtype == np.float64
        np.testing.assert_array_equal(atoms[column].to_numpy(), npz[f"{structure}/{column}"])
    np.testing.assert_array_equal(atoms["element"].to_numpy().astype(str),
                                  npz[f"{structure}/element"])


def test_pdb_file(pdb_file):
    atoms = vc.atoms_from_file(pdb_file)
    assert atoms["element"].tolist() == ["N", "C", "C", "H", "FE", "O"]
    assert atoms["monomer"].tolist() == ["ALA", "ALA", "ALA", "ALA", "HEM", "HOH"]
    # Alternate conformations kept, with their occupancies.
    assert atoms["occupancy"].tolist() == [1.0, 0.6, 0.4, 1.0, 1.0, 1.0]
    np.testing.assert_allclose(atoms[["x", "y", "z"]].to_numpy()[0], [11.104, 6.134, -6.504])


def test_pdb_gzipped_equals_plain(pdb_file):
    plain = vc.atoms_from_file(pdb_file)
    assert vc.atoms_from_file(gzipped(pdb_file)).equals(plain)


def test_cif_file_and_gzip(cif_file):
    atoms = vc.atoms_from_file(cif_file)
    assert atoms["element"].tolist() == ["N", "C", "C", "CL", "D"]
    assert atoms["occupancy"].tolist() == [1.0, 0.7, 0.3, 1.0, 1.0]
    assert vc.atoms_from_file(gzipped(cif_file)).equals(atoms)


def test_models_chains_hydrogens_waters(pdb_file, cif_file):
    assert vc.atoms_from_file(pdb_file, model=2)["x"].tolist() == [12.104]
    assert vc.atoms_from_file(cif_file, model=2)["x"].tolist() == [1.5]
    assert vc.atoms_from_file(pdb_file, chain="B")["element"].tolist() == ["FE"]
    assert "H" not in vc.atoms_from_file(pdb_file, hydrogens=False)["element"].tolist()
    assert "D" not in vc.atoms_from_file(cif_file, hydrogens=False)["element"].tolist()
    assert "HOH" not in vc.atoms_from_file(pdb_file, waters=False)["monomer"].tolist()
    assert "HOH" not in vc.atoms_from_file(cif_file, waters=False)["monomer"].tolist()


def test_unknown_model_or_chain_names_what_exists(pdb_file, cif_file):
    with pytest.raises(ValueError, match="no model 3; models: 1, 2"):
        vc.atoms_from_file(pdb_file, model=3)
    with pytest.raises(ValueError, match=r"no chain 'Z'; chains: A, B, C"):
        vc.atoms_from_file(pdb_file, chain="Z")
    with pytest.raises(ValueError, match="no model 9; models: 1, 2"):
        vc.atoms_from_file(cif_file, model=9)


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such structure file"):
        vc.atoms_from_file(tmp_path / "absent.cif")
    bad_cif = tmp_path / "bad.cif"
    bad_cif.write_text("data_x\nloop_\n_atom_site.id\n'unterminated\n")
    with pytest.raises(ValueError, match="bad.cif"):
        vc.atoms_from_file(bad_cif)
    not_gzip = tmp_path / "fake.cif.gz"
    not_gzip.write_bytes(b"this is not gzip data")
    with pytest.raises(ValueError, match="fake.cif.gz"):
        vc.atoms_from_file(not_gzip)
    empty = tmp_path / "empty.cif"
    empty.write_text("data_empty\n_entry.id EMPTY\n")
    with pytest.raises(ValueError, match="no _atom_site"):
        vc.atoms_from_file(empty)
    with pytest.raises(ValueError, match="directory"):
        vc.atoms_from_file(tmp_path)


def test_loaded_atoms_voxelize(pdb_file):
    atoms = vc.atoms_from_file(pdb_file)
    params = vc.ImageParams(vc.Grid(8, 1.0, np.array([11.0, 6.0, -6.0])), ["C", "N", ".*"], 0.5)
    img = vc.image_from_atoms(atoms, params)
    assert img[0].sum() == pytest.approx(1.0)  # two half-occupied CA conformers
    assert img[1].sum() == pytest.approx(1.0)


def test_write_b_factors(tmp_path, pdb_file):
    import gemmi

    atoms = vc.atoms_from_file(pdb_file)
    out = vc.write_b_factors(pdb_file, np.arange(len(atoms)) * 1.5, tmp_path / "b.cif")
    block = gemmi.cif.read(str(out)).sole_block()
    table = block.find("_atom_site.", ["B_iso_or_equiv", "pdbx_PDB_model_num"])
    b = [float(row[0]) for row in table if row[1] == "1"]
    assert b == [0.0, 1.5, 3.0, 4.5, 6.0, 7.5]
    assert all(float(row[0]) == 0.0 for row in table if row[1] == "2")  # untouched
    again = vc.atoms_from_file(out)
    assert again[["x", "y", "z"]].equals(atoms[["x", "y", "z"]])
    with pytest.raises(ValueError, match="has 6 atoms, but 2 values"):
        vc.write_b_factors(pdb_file, [1.0, 2.0], tmp_path / "c.cif")
    with pytest.raises(ValueError, match="finite"):
        vc.write_b_factors(pdb_file, [np.nan] * 6, tmp_path / "d.cif")
