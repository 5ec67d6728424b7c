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
    from voxelize_cy.io.convert import convert_structures

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
    """The README's voxelize_cy.torch recipe, run verbatim, checked against
    atom_gradients and by torch's gradcheck."""
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
    voxelize = namespace["voxelize"]
    atoms = namespace["atoms"].iloc[:12]
    small = torch.tensor(atoms[["x", "y", "z"]].to_numpy(), requires_grad=True)
    params = vc.ImageParams(vc.Grid(10, 1.0, atoms[["x", "y", "z"]].to_numpy().mean(axis=0)),
                            [".*"], 1.4)
    assert torch.autograd.gradcheck(
        lambda p: voxelize(p, atoms["element"].to_numpy(), params,
                           atoms["occupancy"].to_numpy()),
        (small,), eps=1e-6, atol=1e-6, rtol=1e-4)


def readme_cli_examples():
    """The ``$ voxelize-cy ...`` lines of the README's command-line examples."""
    text = (ROOT / "README.md").read_text()
    after = text.split("<!-- cli examples", 1)[1]
    block = re.search(r"```console\n(.+?)\n```", after, flags=re.S).group(1)
    return [line[2:] for line in block.splitlines() if line.startswith("$ ")]


def test_the_cli_examples_run_as_written(tmp_path, monkeypatch, capsys):
    """Every README command-line example, in order, in a folder holding what the
    README says it holds; each must exit 0 and write the files it names."""
    import shlex
    import shutil

    import numpy as np
    import pytest

    from voxelize_cy import cli

    examples = readme_cli_examples()
    assert len(examples) >= 6 and all(e.startswith("voxelize-cy ") for e in examples)
    for name in ("1aa5.cif.gz", "1qjg.cif.gz"):
        shutil.copy(ROOT / "tests" / "data" / "structures" / name, tmp_path)
    (tmp_path / "centers.csv").write_text("x,y,z\n-1.5,9.1,2.4\n3.0,8.0,0.5\n-6.0,12.0,4.0\n")
    monkeypatch.chdir(tmp_path)
    try:
        import pyarrow  # noqa: F401
        have_pyarrow = True
    except ImportError:
        have_pyarrow = False

    for example in examples:
        argv = shlex.split(example)[1:]
        if not have_pyarrow and ("convert" in argv or any(".feather" in a for a in argv)):
            continue  # the structure cache needs the cache extra
        status = cli.main(argv)
        out, err = capsys.readouterr()
        assert status == 0, (example, err)
        assert "warning" not in err.lower(), (example, err)  # every image has atoms
        outputs = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-o", "--png")]
        for output in outputs:
            if output.endswith(".dx"):  # one map per channel
                assert len(list(tmp_path.glob(output[:-3] + "_*.dx"))) == 4, example
            elif argv[0] == "convert":
                assert sorted(p.name for p in (tmp_path / output).iterdir()) == [
                    "1aa5.feather", "1qjg.feather"]
            else:
                assert (tmp_path / output).stat().st_size > 0, example
    stack = np.load(tmp_path / "stack.npy")
    assert stack.shape[0] == 3 and stack.dtype == np.float32
    if not have_pyarrow:
        pytest.skip("the cache examples need pyarrow (the cache extra)")
    assert np.load(tmp_path / "cached.npy").shape == (4, 15, 15, 15)


def test_the_picture_commands_run_as_written(tmp_path, monkeypatch, capsys):
    """The commands under "Seeing the image" that make docs/*.png, run in a
    copy of the paths they name; the 3D one only where PyMOL is installed."""
    import importlib.util
    import shlex
    import shutil

    import pytest

    from voxelize_cy import cli

    text = (ROOT / "README.md").read_text()
    section = text.split("## Seeing the image", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.+?)\n```", section, flags=re.S).group(1)
    commands = [shlex.split(line)[1:] for line in block.splitlines()
                if line.startswith("voxelize-cy ")]
    assert len(commands) == 2
    assert {a for argv in commands for a in argv if a.startswith("docs/")} == {
        "docs/1aa5_3d.png", "docs/1aa5_preview.png"}
    structure = tmp_path / "tests" / "data" / "structures" / "1aa5.cif.gz"
    structure.parent.mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "data" / "structures" / "1aa5.cif.gz", structure)
    (tmp_path / "docs").mkdir()
    monkeypatch.chdir(tmp_path)
    ran = 0
    for argv in commands:
        if "3d" in argv and importlib.util.find_spec("pymol") is None:
            continue
        assert cli.main(argv) == 0, (argv, capsys.readouterr().err)
        ran += 1
        for i, arg in enumerate(argv[:-1]):
            if arg in ("-o", "--png"):
                assert (tmp_path / argv[i + 1]).stat().st_size > 0, argv
    if ran < len(commands):
        pytest.skip("the 3D picture needs PyMOL (the pymol extra)")


def test_the_gnina_channels_recipe_runs_as_written(monkeypatch):
    """The README's gnina-receptor block, verbatim, from the repository root."""
    import numpy as np

    monkeypatch.chdir(ROOT)
    namespace = {}
    exec(compile(readme_block("gnina-channels"), "README.md", "exec"), namespace)
    image, grad, typed = namespace["image"], namespace["grad"], namespace["typed"]
    assert image.shape == (14, 48, 48, 48) and image.dtype == np.float32
    assert image[0].sum() > 0 and grad.shape == (len(typed), 3)
    assert np.abs(grad).sum() > 0
