"""The PyMOL plugin and 3D pictures, in a headless PyMOL (pymol-open-source)."""

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import STRUCTURES

import voxelize_cy as vc
from voxelize_cy import cli

pymol = pytest.importorskip("pymol")
from pymol import cmd  # noqa: E402

import voxelize_cy.pymol as vp  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def headless_pymol():
    """The process's own headless PyMOL, which the plugin's commands draw into.

    PyMOL starts it on first use, unless a pymol2 session (``render_png``'s,
    e.g. in an earlier test file) was made in the process before: then it is
    started here, without a thread."""
    try:
        cmd.reinitialize()
    except pymol.CmdException:
        raise
    except RuntimeError:  # "Missing PyMOL instance"
        from pymol2 import SingletonPyMOL

        SingletonPyMOL().start()


@pytest.fixture
def structure(tmp_path):
    """1aa5 loaded in PyMOL as the object ``s`` (a fresh session)."""
    cmd.reinitialize()
    plain = tmp_path / "1aa5.cif"
    plain.write_bytes(gzip.decompress((STRUCTURES / "1aa5.cif.gz").read_bytes()))
    cmd.load(str(plain), "s")
    return plain


def pixels(path):
    import matplotlib.image

    return matplotlib.image.imread(str(path))[..., :3]


def share_near(image, color, tolerance=0.25):
    """Fraction of the pixels whose colour is near ``color`` (in hue: the channel
    colours are blended with white by transparency, so compare directions)."""
    rgb = image.reshape(-1, 3).astype(float)
    rgb = rgb[(rgb.max(axis=1) - rgb.min(axis=1)) > 0.15]  # coloured, not grey/white
    target = np.asarray(color, dtype=float)
    target = target - target.min()
    shifted = rgb - rgb.min(axis=1, keepdims=True)
    cos = (shifted @ target) / (np.linalg.norm(shifted, axis=1) * np.linalg.norm(target)
                                + 1e-12)
    return float(np.mean(cos > 1 - tolerance)) * len(rgb) / (image.shape[0] * image.shape[1])


def test_the_commands_are_registered():
    assert "voxelize" in cmd.keyword and "load_voxels" in cmd.keyword


def test_voxelize_draws_cgo_objects_with_the_channel_colours(structure, tmp_path):
    cmd.do("voxelize s and elem C+N+O, length=18, resolution=1.0, channels=C N O, "
           "radius=C=1.7 N=1.55 O=1.52, threshold=0.3")
    names = cmd.get_names("objects")
    for name in ("voxels_C", "voxels_N", "voxels_O", "voxels_outline"):
        assert name in names and cmd.get_type(name) == "object:cgo"
    # The outline is the grid's box around the selection's centroid.
    center = np.asarray(cmd.get_coords("s and elem C+N+O")).mean(axis=0)
    lo, hi = (np.array(v) for v in cmd.get_extent("voxels_outline"))
    np.testing.assert_allclose(lo, center - 9.0, atol=1e-3)
    np.testing.assert_allclose(hi, center + 9.0, atol=1e-3)
    cmd.hide("everything", "s")
    cmd.bg_color("white")
    cmd.zoom("voxels_outline")
    png = tmp_path / "v.png"
    cmd.png(str(png), width=160, height=120, ray=1)
    image = pixels(png)
    assert image.std() > 0.05  # not blank
    for name in ("carbon", "nitrogen", "oxygen"):
        assert share_near(image, cmd.get_color_tuple(name)) > 0.002, name


def test_voxelize_with_a_centre_and_one_channel(structure):
    objects = vp.voxelize("s", center="0,8,2", length=10, channels=".*", outline=0,
                          name="one")
    assert objects == ["one_other"]
    lo, hi = (np.array(v) for v in cmd.get_extent("one_other"))
    assert np.all(lo >= np.array([0, 8, 2]) - 5 - 1e-6)
    assert np.all(hi <= np.array([0, 8, 2]) + 5 + 1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(selection="none"), "has no atoms"),
    (dict(selection="s", channels="C,N"), "didn't match any channels"),
    (dict(selection="s", length=400), "too large to draw"),
    (dict(selection="s", length=150, resolution=0.2, threshold=0.0), "voxels to draw"),
    (dict(selection="s", center="nowhere"), "neither 3 numbers nor a selection"),
])
def test_voxelize_errors_are_pymol_errors(structure, kwargs, message):
    with pytest.raises(vp.CmdException, match=message):
        vp.voxelize(**kwargs)


def test_load_voxels_draws_what_the_cli_wrote(tmp_path, monkeypatch):
    cmd.reinitialize()
    monkeypatch.chdir(tmp_path)
    assert cli.main(["image", str(STRUCTURES / "1aa5.cif.gz"), "-o", "img.npz",
                     "--center", "1", "8", "2", "--length", "12"]) == 0
    objects = vp.load_voxels("img.npz", threshold=0.1)
    assert "img_C" in objects and "img_outline" in objects
    lo, hi = (np.array(v) for v in cmd.get_extent("img_outline"))
    np.testing.assert_allclose(lo, [1 - 6, 8 - 6, 2 - 6], atol=1e-3)
    np.testing.assert_allclose(hi, [1 + 6, 8 + 6, 2 + 6], atol=1e-3)
    np.save(tmp_path / "plain.npy", np.load("img.npz")["image"])
    objects = vp.load_voxels(str(tmp_path / "plain.npy"), resolution=0.5, center="0,0,0",
                             channel=2, outline=0)
    assert objects == ["plain_channel2"]
    with pytest.raises(vp.CmdException, match="load_voxels"):
        vp.load_voxels(str(tmp_path / "absent.npz"))


def test_dx_maps_load_as_maps_with_the_grids_extent(tmp_path, monkeypatch):
    cmd.reinitialize()
    monkeypatch.chdir(tmp_path)
    assert cli.main(["image", str(STRUCTURES / "1aa5.cif.gz"), "-o", "m.dx", "--center",
                     "1", "8", "2", "--length", "10", "--resolution", "0.8"]) == 0
    cmd.load("m_C.dx")
    assert cmd.get_type("m_C") == "object:map"
    lo, hi = (np.array(v) for v in cmd.get_extent("m_C"))
    origin = np.array([1, 8, 2]) - 4.5 * 0.8  # centre of voxel (0, 0, 0)
    np.testing.assert_allclose(lo, origin, atol=1e-4)
    np.testing.assert_allclose(hi, origin + 9 * 0.8, atol=1e-4)
    cmd.isomesh("mesh_C", "m_C", 0.05)
    assert cmd.get_type("mesh_C") == "object:mesh"
    cmd.bg_color("white")
    cmd.zoom("mesh_C")
    cmd.png(str(tmp_path / "mesh.png"), width=200, height=160, ray=1)
    assert pixels(tmp_path / "mesh.png").std() > 0.02


def test_cli_view_3d_renders_over_the_structure(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status = cli.main(["image", str(STRUCTURES / "1aa5.cif.gz"), "-o", "img.npy", "--png",
                       "view.png", "--view", "3d", "--length", "8", "--no-hydrogens"])
    assert status == 0
    image = pixels(tmp_path / "view.png")
    assert image.shape[0] > 100 and image.std() > 0.05


def test_without_pymol_the_import_and_the_3d_view_say_what_to_install(tmp_path):
    blocker = tmp_path / "block" / "pymol"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('hidden for the test')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "block"))
    result = subprocess.run([sys.executable, "-c", "import voxelize_cy.pymol"], env=env,
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 1
    assert "pip install 'voxelize_cy[pymol]'" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "voxelize_cy", "image", str(STRUCTURES / "1aa5.cif.gz"),
         "-o", "x.npy", "--png", "v.png", "--view", "3d"], env=env, capture_output=True,
        text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("voxelize-cy: error:")
    assert "pip install 'voxelize_cy[pymol]'" in result.stderr


def cgo_faces(cgo):
    """(faces, alphas): each face as its 6 triangle vertices, parsed back from
    a cgo_voxels list (BEGIN, TRIANGLES, COLOR r g b, then per face ALPHA a and
    6 × (NORMAL nx ny nz VERTEX x y z), END)."""
    from pymol.cgo import ALPHA, BEGIN, COLOR, END, NORMAL, TRIANGLES, VERTEX

    assert cgo[:3] == [BEGIN, TRIANGLES, COLOR] and cgo[-1] == END
    body = np.asarray(cgo[6:-1]).reshape(-1, 50)
    assert np.all(body[:, 0] == ALPHA)
    vertices = body[:, 2:].reshape(-1, 6, 8)
    assert np.all(vertices[:, :, 0] == NORMAL) and np.all(vertices[:, :, 4] == VERTEX)
    normals = vertices[:, :, 1:4]
    assert np.all(normals == normals[:, :1])  # one normal per face
    return vertices[:, :, 5:8], body[:, 1], normals[:, 0]


def test_cgo_voxels_draws_the_surface_of_the_shown_voxels():
    values = np.zeros((4, 4, 4))
    values[1, 1, 1] = 1.0          # a lone voxel: 6 faces
    values[2:4, 3, 0] = [0.5, 0.2]  # a pair: 10 faces (the shared one is hidden)
    values[0, 3, 3] = 0.01         # below the threshold: not drawn
    center, res = np.array([10.0, -5.0, 2.0]), 0.5
    triangles, alphas, normals = cgo_faces(
        vp.cgo_voxels(values, center, res, (1.0, 0.0, 0.0), threshold=0.05))
    assert len(triangles) == 16
    origin = center - 4 * res / 2
    # Every face lies in the plane of a voxel side, facing away from the voxel.
    lone = np.all((triangles >= origin + res) & (triangles <= origin + 2 * res), axis=(1, 2))
    assert lone.sum() == 6 and sorted(map(tuple, normals[lone])) == sorted(
        [(-1, 0, 0), (1, 0, 0), (0, -1, 0), (0, 1, 0), (0, 0, -1), (0, 0, 1)])
    assert np.allclose(alphas[lone], 0.6)  # max_alpha at the channel's maximum
    pair = ~lone
    lo, hi = origin + res * np.array([2, 3, 0]), origin + res * np.array([4, 4, 1])
    assert np.all((triangles[pair] >= lo - 1e-12) & (triangles[pair] <= hi + 1e-12))
    # The shared x face between the two voxels of the pair is not drawn.
    inner_x = origin[0] + 3 * res
    assert not any(np.allclose(t[:, 0], inner_x) for t in triangles[pair])
    assert sorted(np.round(alphas[pair], 12)) == [0.12] * 5 + [0.3] * 5
    # Each face's two triangles cover its square: area res² in total.
    a, b, c = triangles[:, 0::3], triangles[:, 1::3], triangles[:, 2::3]
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=2).sum(axis=1)
    assert np.allclose(area, res ** 2)
    assert vp.cgo_voxels(np.zeros((3, 3, 3)), center, res, (1, 0, 0)) == []
