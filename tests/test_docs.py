"""The manual's code runs as written.

Every ```python block of every page under ``docs/`` is executed, page by page
in one namespace, in a folder that holds what the pages name: the six test
structures (``1aa5.cif.gz`` …, and ``tests/data/structures/`` itself),
``1aa5.pdb``, and the binary cache of the six in ``cache/`` and
``structure_cache/``.  Pages whose optional dependency is missing (torch,
polars, distributed) are skipped with the reason.  The recipes below also
check what their blocks compute; the command-line examples are run line by line.
"""

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)
STRUCTURES = ROOT / "tests" / "data" / "structures"
OPTIONAL = {"torch", "polars", "distributed", "pyarrow", "matplotlib", "pymol"}


def python_blocks(page):
    return re.findall(r"```python\n(.+?)\n```", page.read_text(), flags=re.S)


@pytest.fixture(scope="module")
def example_folder(tmp_path_factory):
    """A folder with the files the pages' examples name."""
    import gemmi

    folder = tmp_path_factory.mktemp("docs")
    (folder / "tests" / "data").mkdir(parents=True)
    (folder / "tests" / "data" / "structures").symlink_to(STRUCTURES)
    (folder / "tests" / "data" / "libmolgrid").symlink_to(ROOT / "tests" / "data" / "libmolgrid")
    sources = sorted(STRUCTURES.glob("*.cif.gz"))
    for source in sources:
        shutil.copy(source, folder)
    structure = gemmi.read_structure(str(STRUCTURES / "1aa5.cif.gz"))
    structure.write_pdb(str(folder / "1aa5.pdb"))
    try:
        from voxelize_cy.io.convert import convert_structures

        convert_structures(sources, folder / "cache", jobs=1)
        convert_structures(sources, folder / "structure_cache", jobs=1)
    except ImportError:  # no pyarrow: the pages that read a cache are skipped
        pass
    return folder


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)],
                         ids=lambda p: str(p.relative_to(DOCS)))
def test_every_python_block_runs(page, example_folder, monkeypatch):
    monkeypatch.chdir(example_folder)
    namespace = {"__name__": "__docs__"}
    for number, block in enumerate(python_blocks(page)):
        try:
            exec(compile(block, f"{page.relative_to(ROOT)} block {number + 1}", "exec"),
                 namespace)
        except ModuleNotFoundError as err:
            if err.name and err.name.split(".")[0] in OPTIONAL:
                pytest.skip(f"{page.name} needs {err.name}")
            raise


def test_the_pages_examples_are_all_found():
    """Every page with code has its blocks fenced as the runner reads them."""
    assert len([p for p in PAGES if python_blocks(p)]) >= 10
    for page in PAGES:
        text = page.read_text()
        assert text.count("```") % 2 == 0, page


def docs_block(page, marker):
    """The code block of ``docs/<page>`` that follows an HTML comment starting
    with ``marker``."""
    text = (DOCS / page).read_text()
    after = text.split(f"<!-- {marker}", 1)[1]
    return re.search(r"```python\n(.+?)\n```", after, flags=re.S).group(1)


def test_the_data_loader_recipe_runs_as_written(tmp_path, monkeypatch):
    """The manual's Dataset recipe, executed verbatim on a cache of the six
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
    exec(compile(docs_block("guide/data-loader.md", "recipe: training data loader"), "docs", "exec"),
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
    """The manual's saliency block: gradients as B-factors of a structure file."""
    import gemmi
    import numpy as np

    monkeypatch.chdir(ROOT)
    namespace = {}
    block = docs_block("guide/gradients.md", "recipe: atom saliency").replace(
        '"1aa5_saliency.cif"', repr(str(tmp_path / "1aa5_saliency.cif")))
    exec(compile(block, "docs", "exec"), namespace)
    scores = namespace["scores"]
    assert scores.shape == (len(namespace["atoms"]),) and scores.max() > 0
    written = gemmi.cif.read(str(tmp_path / "1aa5_saliency.cif")).sole_block()
    b = np.array([float(v) for v in written.find("_atom_site.", ["B_iso_or_equiv"]).column(0)])
    np.testing.assert_allclose(b, 100 * scores / scores.max(), rtol=1e-3, atol=1e-2)


def test_the_torch_recipe_runs_as_written():
    """The manual's voxelize_cy.torch recipe, run verbatim, checked against
    atom_gradients and by torch's gradcheck."""
    import pytest

    torch = pytest.importorskip("torch")
    import numpy as np

    import voxelize_cy as vc

    namespace = {}
    exec(compile(docs_block("guide/gradients.md", "recipe: torch autograd"), "docs", "exec"), namespace)
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


def cli_examples():
    """The ``$ voxelize-cy ...`` lines of the manual's command-line examples."""
    text = (DOCS / "guide" / "structures.md").read_text()
    after = text.split("<!-- cli examples", 1)[1]
    block = re.search(r"```console\n(.+?)\n```", after, flags=re.S).group(1)
    return [line[2:] for line in block.splitlines() if line.startswith("$ ")]


def test_the_cli_examples_run_as_written(tmp_path, monkeypatch, capsys):
    """Every manual's command-line example, in order, in a folder holding what the
    README says it holds; each must exit 0 and write the files it names."""
    import shlex
    import shutil

    import numpy as np
    import pytest

    from voxelize_cy import cli

    examples = cli_examples()
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

    section = (DOCS / "guide" / "pictures.md").read_text()
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
    """The manual's gnina-receptor block, verbatim, from the repository root."""
    import numpy as np

    monkeypatch.chdir(ROOT)
    namespace = {}
    exec(compile(docs_block("guide/libmolgrid.md", "gnina-channels"), "docs", "exec"), namespace)
    image, grad, typed = namespace["image"], namespace["grad"], namespace["typed"]
    assert image.shape == (14, 48, 48, 48) and image.dtype == np.float32
    assert image[0].sum() > 0 and grad.shape == (len(typed), 3)
    assert np.abs(grad).sum() > 0


def test_the_grids_in_workers_recipe_runs_as_written(monkeypatch):
    """The manual's grids_in_workers block, verbatim, from the repository root:
    grids and labels of the batches as the gridder draws them."""
    torch = pytest.importorskip("torch")
    import numpy as np

    monkeypatch.chdir(ROOT)
    namespace = {}
    exec(compile(docs_block("guide/gnina.md", "gnina-grids-in-workers"), "docs", "exec"),
         namespace)
    grids, labels, item = namespace["grids"], namespace["labels"], namespace["item"]
    assert isinstance(grids, torch.Tensor) and grids.shape == (8, 28, 48, 48, 48)
    data = namespace["data"]
    batch = data.batch(item["index"])
    np.testing.assert_array_equal(grids.numpy(), data.gridder.grid_batch(batch))
    np.testing.assert_array_equal(labels.numpy(), batch.labels)
