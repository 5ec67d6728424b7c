"""voxelize_cy.torch: the image as a differentiable torch function (needs torch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import voxelize_cy as vc  # noqa: E402
from voxelize_cy.torch import Voxelizer, voxelize  # noqa: E402


def small_scene(n=10, seed=0):
    atoms = vc.example_atoms().iloc[:n]
    xyz = atoms[["x", "y", "z"]].to_numpy()
    params = vc.ImageParams(vc.Grid(10, 1.0, xyz.mean(axis=0)), ["C", "N", "O", ".*"],
                            {"C": 1.5, "N": 1.4, "O": 1.3, "*": 1.6})
    coords = torch.tensor(xyz, dtype=torch.float64, requires_grad=True)
    return atoms, params, coords


@pytest.mark.parametrize("fill, options", [
    ("fraction_atom", {}), ("fraction_voxel", {}),
    ("gaussian", {}), ("gaussian", {"radius_scale": 0.9, "gaussian_radius_multiple": 1.5}),
])
def test_gradcheck(fill, options):
    atoms, params, coords = small_scene()
    elements = atoms["element"].to_numpy()
    occupancy = atoms["occupancy"].to_numpy()
    assert torch.autograd.gradcheck(
        lambda c: voxelize(c, elements, params, occupancy, fill=fill, **options),
        (coords,), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_forward_is_image_from_atoms_and_backward_is_atom_gradients():
    atoms, params, coords = small_scene(20)
    image = voxelize(coords, atoms["element"], params, atoms["occupancy"].to_numpy())
    assert image.dtype == torch.float64 and image.shape == (4, 10, 10, 10)
    want = vc.image_from_atoms(atoms.reset_index(drop=True), params)
    assert np.array_equal(image.detach().numpy(), want)
    upstream = torch.randn(image.shape, dtype=torch.float64)
    (image * upstream).sum().backward()
    expected = vc.atom_gradients(atoms.reset_index(drop=True), params, upstream.numpy())
    np.testing.assert_allclose(coords.grad.numpy(), expected, rtol=1e-12, atol=1e-14)


def test_frames_make_a_batch_and_sum_the_gradients():
    atoms, params, coords = small_scene(8)
    rng = np.random.default_rng(1)
    frames = np.stack([vc.random_frame(np.asarray(params.grid.center_A), rng)
                       for _ in range(3)])
    # the frames keep the grid centre fixed: map it back onto the centre
    frames[:, :3, 3] += np.asarray(params.grid.center_A)
    images = voxelize(coords, atoms["element"], params, frames=frames)
    assert images.shape == (3, 4, 10, 10, 10)
    table = atoms.reset_index(drop=True)
    for b in range(3):
        assert np.array_equal(images[b].detach().numpy(),
                              vc.image_from_atoms(table, params, frame=frames[b]))
    assert torch.autograd.gradcheck(
        lambda c: voxelize(c, atoms["element"], params, frames=frames), (coords,),
        eps=1e-6, atol=1e-6, rtol=1e-4)


def test_module_float32_and_binary():
    atoms, params, coords = small_scene(12)
    layer = Voxelizer(params, fill="gaussian", radius_scale=0.9)
    assert "fill='gaussian'" in repr(layer)
    coords32 = coords.detach().float().requires_grad_(True)
    image = layer(coords32, atoms["element"])
    assert image.dtype == torch.float32
    image.sum().backward()
    assert coords32.grad is not None and coords32.grad.dtype == torch.float32
    binary = voxelize(coords, atoms["element"], params, fill="binary", agg="max")
    assert set(np.unique(binary.detach().numpy())) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="no gradient"):
        binary.sum().backward()
    with pytest.raises(ValueError, match=r"coords must be an \(N, 3\) tensor"):
        voxelize(coords[:, :2], atoms["element"], params)


def test_channel_set_layer_gradcheck():
    """A table typed with a channel set: channels and radii from its columns,
    coordinates from the tensor; gradcheck in float64 (exact and Gaussian)."""
    atoms = vc.example_atoms().iloc[:30].reset_index(drop=True)
    typed = vc.add_channels(atoms, "gnina-receptor")
    centre = atoms[["x", "y", "z"]].to_numpy().mean(axis=0)
    params = vc.ImageParams(vc.Grid(8, 1.0, centre), "gnina-receptor", None)
    coords = torch.tensor(atoms[["x", "y", "z"]].to_numpy(), dtype=torch.float64,
                          requires_grad=True)
    image = voxelize(coords, typed, params, fill="gaussian")
    assert image.shape == (14, 8, 8, 8)
    np.testing.assert_array_equal(image.detach().numpy(),
                                  vc.image_from_atoms(typed, params, fill="gaussian"))
    for fill in ("gaussian", "fraction_atom"):
        assert torch.autograd.gradcheck(
            lambda c: voxelize(c, typed, params, fill=fill), (coords,), eps=1e-6, atol=1e-6)
    layer = Voxelizer(params, fill="gaussian")
    assert "14 channels" in repr(layer)


def test_dataset_under_distributed_sampler_and_workers(tmp_path):
    """StructureViews with DistributedSampler (2 ranks) and DataLoader worker
    processes: every structure once per epoch, and the same items whatever the
    number of workers; another epoch draws other views."""
    from conftest import DATA
    from torch.utils.data import DataLoader
    from torch.utils.data.distributed import DistributedSampler

    from voxelize_cy.data import StructureViews

    sources = sorted(str(p) for p in (DATA / "structures").glob("*.cif.gz"))
    vc.convert_to_shards(sources, tmp_path, shard_size=4, jobs=1)

    def epoch_items(workers, epoch):
        seen = {}
        for rank in (0, 1):
            dataset = StructureViews(tmp_path, length_voxels=8, resolution_A=1.5,
                                     channels=["C", "N", "O", ".*"], radii_A=1.0,
                                     views=2, seed=7)
            sampler = DistributedSampler(dataset, num_replicas=2, rank=rank, shuffle=True,
                                         seed=3)
            sampler.set_epoch(epoch)
            dataset.set_epoch(epoch)
            loader = DataLoader(dataset, batch_size=2, sampler=sampler, num_workers=workers,
                                multiprocessing_context="spawn" if workers else None)
            for batch in loader:
                for k, name in enumerate(batch["id"]):
                    assert name not in seen, f"{name} twice in epoch {epoch}"
                    seen[name] = batch["image"][k].numpy()
        return seen

    serial = epoch_items(0, 0)
    assert sorted(serial) == ["171l", "1aa5", "1qjg", "2ypi", "3v4i", "4rek"]
    assert all(image.shape == (2, 4, 8, 8, 8) and image.dtype == np.float32
               for image in serial.values())
    workers = epoch_items(2, 0)
    for name, image in serial.items():
        np.testing.assert_array_equal(workers[name], image)
    later = epoch_items(0, 1)
    assert any(not np.array_equal(later[name], serial[name]) for name in serial)
