"""The README's two set-up commands are the contract; CI must run them verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:bash|sh)\n(.+?)\n```", section, flags=re.S)


def test_readme_has_exactly_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in c for c in commands)
    assert "voxelize-cy demo" in commands[0]
    assert ".[test]" in commands[1] and commands[1].rstrip().endswith("pytest")


def test_ci_runs_the_readme_commands_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    for command in readme_commands():
        assert command in ci, f"{command!r} not a line of .ci/run"


def readme_block(marker):
    """The code block that follows an HTML comment starting with ``marker``."""
    text = (ROOT / "README.md").read_text()
    after = text.split(f"<!-- {marker}", 1)[1]
    return re.search(r"```python\n(.+?)\n```", after, flags=re.S).group(1)


def test_the_data_loader_recipe_runs_as_written(tmp_path, monkeypatch):
    """The README's Dataset recipe, executed verbatim on a cache of the six
    structures, in a plain loop (no torch needed)."""
    import numpy as np
    import pytest

    pytest.importorskip("pyarrow")
    import voxelize_cy as vc
    from voxelize_cy.cache import convert_structures

    sources = sorted((ROOT / "tests" / "data" / "structures").glob("*.cif.gz"))
    convert_structures(sources, tmp_path / "structure_cache", jobs=1)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(readme_block("recipe: training data loader"), "README.md", "exec"),
         namespace)
    dataset = namespace["dataset"]
    assert len(dataset) == 6
    assert namespace["views"].shape == (2, 4, 15, 15, 15)
    for i in range(len(dataset)):
        views = dataset[i]
        assert views.dtype == np.float32 and views.shape == (2, 4, 15, 15, 15)
        assert views.sum() > 1
        # The same views as the one-image calls with the same frames.
        atoms = vc.atoms_from_file(dataset.paths[i])
        rng = np.random.default_rng([0, 0, i])
        picks = rng.integers(len(atoms), size=2)
        for v, pick in enumerate(picks):
            origin = atoms[["x", "y", "z"]].to_numpy()[pick]
            frame = vc.random_frame(origin, rng)
            expected = vc.image_from_atoms(atoms, dataset.params, frame=frame,
                                           dtype=np.float32)
            assert np.array_equal(views[v], expected)
    dataset.epoch = 1
    assert not np.array_equal(dataset[0], namespace["views"])


def test_the_saliency_recipe_runs_as_written(tmp_path, monkeypatch):
    """The README's saliency block: gradients as B-factors of a structure file."""
    import gemmi
    import numpy as np

    monkeypatch.chdir(ROOT)
    namespace = {}
    block = readme_block("recipe: atom saliency").replace(
        '"1aa5_saliency.cif"', repr(str(tmp_path / "1aa5_saliency.cif")))
    exec(compile(block, "README.md", "exec"), namespace)
    scores = namespace["scores"]
    assert scores.shape == (len(namespace["atoms"]),) and scores.max() > 0
    written = gemmi.cif.read(str(tmp_path / "1aa5_saliency.cif")).sole_block()
    b = np.array([float(v) for v in written.find("_atom_site.", ["B_iso_or_equiv"]).column(0)])
    np.testing.assert_allclose(b, 100 * scores / scores.max(), rtol=1e-3, atol=1e-2)


def test_the_torch_recipe_runs_as_written():
    """The README's autograd.Function, run verbatim, checked by torch's gradcheck."""
    import pytest

    torch = pytest.importorskip("torch")
    import numpy as np

    import voxelize_cy as vc

    namespace = {}
    exec(compile(readme_block("recipe: torch autograd"), "README.md", "exec"), namespace)
    xyz = namespace["xyz"]
    assert xyz.grad is not None and xyz.grad.shape == xyz.shape
    image = namespace["image"].detach().numpy()
    expected = vc.atom_gradients(namespace["atoms"], namespace["params"], 2 * image)
    np.testing.assert_allclose(xyz.grad.numpy(), expected, rtol=1e-12, atol=1e-12)
    voxelize = namespace["Voxelize"]
    atoms = namespace["atoms"].iloc[:12]
    small = torch.tensor(atoms[["x", "y", "z"]].to_numpy(), requires_grad=True)
    params = vc.ImageParams(vc.Grid(10, 1.0, atoms[["x", "y", "z"]].to_numpy().mean(axis=0)),
                            [".*"], 1.4)
    assert torch.autograd.gradcheck(
        lambda p: voxelize.apply(p, atoms["element"].to_numpy(),
                                 atoms["occupancy"].to_numpy(), params),
        (small,), eps=1e-6, atol=1e-6, rtol=1e-4)
