"""Images as OpenDX and CCP4/MRC maps, read back with an independent reader."""

import numpy as np
import pytest
from conftest import STRUCTURES

import voxelize_cy as vc
from voxelize_cy import cli
from voxelize_cy.maps import (
    channel_file_names,
    grid_origin_A,
    read_dx,
    write_dx,
    write_mrc,
)


def test_dx_round_trip(tmp_path):
    values = np.random.default_rng(0).random((3, 4, 5))
    path = write_dx(tmp_path / "a.dx", values, [1.5, -2.0, 0.25], 0.75)
    got, origin, spacing = read_dx(path)
    assert np.array_equal(got, values)
    assert origin.tolist() == [1.5, -2.0, 0.25] and spacing.tolist() == [0.75] * 3
    text = path.read_text()
    assert "object 1 class gridpositions counts 3 4 5" in text
    assert "delta 0.75 0 0" in text


def test_mrc_round_trip_with_gemmi(tmp_path):
    gemmi = pytest.importorskip("gemmi")
    values = np.random.default_rng(1).random((4, 4, 4)).astype(np.float32)
    path = write_mrc(tmp_path / "a.mrc", values, [-1.5, 3.0, 0.0], 0.5)
    ccp4 = gemmi.read_ccp4_map(str(path))
    assert [ccp4.header_i32(w) for w in (1, 2, 3)] == [4, 4, 4]
    start = np.array([ccp4.header_i32(w) for w in (5, 6, 7)])
    assert (start * 0.5).tolist() == [-1.5, 3.0, 0.0]
    assert np.array_equal(np.array(ccp4.grid, copy=False), values)
    with pytest.raises(ValueError, match="whole multiples"):
        write_mrc(tmp_path / "b.mrc", values, [0.1, 0, 0], 0.5)


def test_channel_file_names():
    names = channel_file_names("out/m.dx", ["C", "N|O", ".*", "S|SE", "N|O"])
    assert [n.name for n in names] == ["m_C.dx", "m_N_O.dx", "m_other.dx", "m_S_SE.dx",
                                      "m_N_O_4.dx"]


@pytest.mark.parametrize("suffix", [".dx", ".mrc"])
def test_the_cli_writes_maps_that_match_the_image(tmp_path, monkeypatch, suffix):
    monkeypatch.chdir(tmp_path)
    structure = STRUCTURES / "1aa5.cif.gz"
    # An odd length and a centre on the 0.5 Å lattice: the MRC origin is expressible.
    status = cli.main(["image", str(structure), "-o", f"m{suffix}", "--center", "1.0",
                       "8.5", "2.0", "--length", "15", "--resolution", "0.5"])
    assert status == 0
    params = vc.ImageParams(vc.Grid(15, 0.5, np.array([1.0, 8.5, 2.0])),
                            ["C", "N", "O", ".*"], 0.5)
    image = vc.image_from_atoms(vc.atoms_from_file(structure), params)
    origin = grid_origin_A([1.0, 8.5, 2.0], 15, 0.5)
    for c, label in enumerate(["C", "N", "O", "other"]):
        path = tmp_path / f"m_{label}{suffix}"
        if suffix == ".dx":
            values, got_origin, spacing = read_dx(path)
            np.testing.assert_array_equal(values, image[c])
            np.testing.assert_allclose(got_origin, origin)
            assert spacing.tolist() == [0.5] * 3
        else:
            import gemmi

            ccp4 = gemmi.read_ccp4_map(str(path))
            np.testing.assert_allclose(np.array(ccp4.grid, copy=False), image[c], rtol=1e-6,
                                       atol=1e-7)
            start = np.array([ccp4.header_i32(w) for w in (5, 6, 7)]) * 0.5
            np.testing.assert_allclose(start, origin)
            assert ccp4.grid.unit_cell.a == pytest.approx(7.5)
