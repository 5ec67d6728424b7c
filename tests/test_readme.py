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
