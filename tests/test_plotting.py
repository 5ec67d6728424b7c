"""The 2D preview: one panel per channel, the projection's data, atoms, titles."""

import numpy as np
import pytest

import voxelize_cy as vc

pytest.importorskip("matplotlib")
from voxelize_cy.plotting import preview_figure, save_image_png  # noqa: E402


@pytest.fixture(scope="module")
def example():
    atoms = vc.example_atoms()
    center = atoms[["x", "y", "z"]].to_numpy().mean(axis=0)
    params = vc.ImageParams(vc.Grid(20, 1.0, center), ["C", "N", "O", "S"],
                            {"C": 1.7, "N": 1.55, "O": 1.52, "S": 1.8})
    return atoms, center, vc.image_from_atoms(atoms, params)


@pytest.mark.parametrize("projection, axis", [("sum", "z"), ("max", "x"), ("sum", "y")])
def test_panels_hold_the_projection_of_each_channel(example, projection, axis):
    atoms, center, img = example
    fig = preview_figure(img, ["C", "N", "O", "S"], resolution_A=1.0, center_A=center,
                         atoms=atoms, projection=projection, axis=axis)
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 4
    a = "xyz".index(axis)
    reduce = np.sum if projection == "sum" else np.max
    for c, ax in enumerate(panels):
        shown = np.asarray(ax.images[0].get_array())
        np.testing.assert_allclose(shown, reduce(img[c], axis=a).T)
        assert ax.get_title().startswith(f"channel {c}: {['C', 'N', 'O', 'S'][c]}")
        assert f"sum {img[c].sum():.2f}" in ax.get_title()
        # The atoms inside the grid, projected, in Å of the structure's frame.
        points = ax.collections[0].get_offsets()
        assert len(points) == len(atoms)
        other = [i for i in range(3) if i != a]
        xyz = atoms[["x", "y", "z"]].to_numpy()
        np.testing.assert_allclose(np.sort(points[:, 0]), np.sort(xyz[:, other[0]]))
        lo, hi = ax.get_xlim()
        assert lo == pytest.approx(center[other[0]] - 10) and hi == pytest.approx(
            center[other[0]] + 10)
    colorbars = [ax for ax in fig.axes if not ax.images and ax.get_ylabel()]
    assert len(colorbars) == 4
    assert "20³ voxels of 1 Å" in fig._suptitle.get_text()


def test_png_file_and_bad_arguments(example, tmp_path):
    atoms, center, img = example
    save_image_png(img, tmp_path / "p.png", channels=["C", "N", "O", "S"], resolution_A=1.0,
                   center_A=center, atoms=atoms)
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="projection"):
        preview_figure(img, projection="mean")
    with pytest.raises(ValueError, match="axis"):
        preview_figure(img, axis="w")
    with pytest.raises(ValueError, match="shape"):
        preview_figure(img[0])
