"""The voxelize-cy command line, through subprocesses."""

import os
import subprocess
import sys

import numpy as np
import pytest

import voxelize_cy as vc
from conftest import STRUCTURES

PDB_TEXT = """\
ATOM      1  N   ALA A   1       0.104   0.134  -0.504  1.00  0.00           N
ATOM      2  CA  ALA A   1       0.639   1.071   0.147  1.00  0.00           C
ATOM      3  C   ALA A   1       2.100   0.800   0.400  1.00  0.00           C
ATOM      4  O   ALA A   1       2.600  -0.300   0.200  1.00  0.00           O
ATOM      5  SG  CYS A   2      -1.000  -1.000   1.000  1.00  0.00           S
END
"""


def run(*args, cwd):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "voxelize_cy", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def pdb_file(tmp_path):
    path = tmp_path / "mini.pdb"
    path.write_text(PDB_TEXT)
    return path


def test_image_equals_image_from_atoms(tmp_path, pdb_file):
    out = tmp_path / "img.npy"
    result = run("image", pdb_file, "--center", 0.5, 0.2, 0.1, "-o", out, "--length", 9,
                 "--resolution", 0.75, "--radius", 0.8, "--channels", "C", "N", "O", ".*",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    got = np.load(out)
    params = vc.ImageParams(vc.Grid(9, 0.75, np.array([0.5, 0.2, 0.1])),
                            ["C", "N", "O", ".*"], 0.8)
    expected = vc.image_from_atoms(vc.atoms_from_file(pdb_file), params)
    assert got.dtype == np.float64
    assert np.array_equal(got, expected)


def test_image_float32_and_png(tmp_path, pdb_file):
    pytest.importorskip("matplotlib")
    out, png = tmp_path / "img.npy", tmp_path / "img.png"
    result = run("image", pdb_file, "--center", 0, 0, 0, "-o", out, "--dtype", "float32",
                 "--png", png, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert np.load(out).dtype == np.float32
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_batch_with_progress_and_threads(tmp_path, pdb_file):
    centers = tmp_path / "centers.csv"
    centers.write_text("x,y,z\n0,0,0\n1.5,0.5,-0.5\n-1,-1,1\n")
    out = tmp_path / "stack.npy"
    result = run("batch", pdb_file, "--centers", centers, "-o", out, "--length", 7,
                 "--threads", 2, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    stack = np.load(out)
    assert stack.shape == (3, 4, 7, 7, 7)
    atoms = vc.atoms_from_file(pdb_file)
    for b, c in enumerate([(0, 0, 0), (1.5, 0.5, -0.5), (-1, -1, 1)]):
        params = vc.ImageParams(vc.Grid(7, 1.0, np.array(c, dtype=float)),
                                ["C", "N", "O", ".*"], 0.5)
        assert np.array_equal(stack[b], vc.image_from_atoms(atoms, params))
    assert "\r[" not in result.stderr  # no progress bar when stderr is not a terminal


def test_progress_bar_draws_on_a_terminal():
    from voxelize_cy.cli import ProgressBar

    class Terminal:
        text = ""

        def isatty(self):
            return True

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    term = Terminal()
    bar = ProgressBar(10, stream=term)
    bar.update(5)
    bar.update(10)
    bar.close()
    assert "5/10" in term.text and "10/10" in term.text and term.text.endswith("\n")


def test_demo_writes_npy_and_png(tmp_path):
    pytest.importorskip("matplotlib")
    result = run("demo", "-o", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    img = np.load(tmp_path / "out" / "demo.npy")
    assert img.shape == (4, 24, 24, 24)
    # Every atom of the example lies well inside the image.
    example = vc.example_atoms()
    assert img.sum() == pytest.approx(len(example), rel=1e-12)
    assert (tmp_path / "out" / "demo.png").read_bytes()[:4] == b"\x89PNG"
    assert "wrote" in result.stdout


def test_demo_without_arguments_uses_the_default_folder(tmp_path):
    result = run("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "voxelize_demo" / "demo.npy").exists()


@pytest.mark.parametrize("args, message", [
    (["image", "absent.cif", "--center", 0, 0, 0, "-o", "x.npy"], "no such structure file"),
    (["image", "corrupt.cif", "--center", 0, 0, 0, "-o", "x.npy"], "cannot read"),
    (["image", "mini.pdb", "--center", 0, 0, "abc", "-o", "x.npy"], "not a number"),
    (["image", "mini.pdb", "--center", 0, 0, "nan", "-o", "x.npy"], "not a finite number"),
    (["image", "mini.pdb", "--center", 0, 0, 0, "-o", "x.npy", "--length", 0], "must be >= 1"),
    (["image", "mini.pdb", "--center", 0, 0, 0, "-o", "x.npy", "--radius", -1], "must be > 0"),
    (["image", "mini.pdb", "--center", 0, 0, 0, "-o", "x.npy", "--channels", "C", "N"],
     "element O didn't match any channels"),
    (["image", "mini.pdb", "--center", 0, 0, 0, "-o", "x.npy", "--chain", "Q"], "no chain 'Q'"),
    (["image", "mini.pdb", "--center", 0, 0, 0, "-o", "nodir/x.npy"], "output folder does not exist"),
    (["batch", "mini.pdb", "--centers", "absent.csv", "-o", "x.npy"], "no such centers file"),
    (["batch", "mini.pdb", "--centers", "bad.csv", "-o", "x.npy"], "expected 3 columns"),
    (["frobnicate"], "invalid choice"),
])
def test_errors_are_one_line_and_exit_2(tmp_path, pdb_file, args, message):
    (tmp_path / "corrupt.cif").write_text("data_x\nloop_\n_atom_site.id\n'oops\n")
    (tmp_path / "bad.csv").write_text("1,2\n")
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    if args[0] != "frobnicate" and "not a" not in message and "must be" not in message:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_png_without_matplotlib_is_a_clear_error(tmp_path, pdb_file):
    # Hide matplotlib from the subprocess.
    blocker = tmp_path / "block" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('hidden for the test')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "block"))
    result = subprocess.run([sys.executable, "-m", "voxelize_cy", "image", str(pdb_file),
                             "--center", "0", "0", "0", "-o", "x.npy", "--png", "p.png"],
                            cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "voxelize-cy: error: --png needs matplotlib: pip install 'voxelize_cy[plot]'")


def test_real_structure_through_the_cli(tmp_path):
    path = STRUCTURES / "1aa5.cif.gz"
    result = run("image", path, "--center", 0.779, 0.442, 9.89, "-o", tmp_path / "a.npy",
                 "--length", 15, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = vc.image_from_atoms(vc.atoms_from_file(path), vc.ImageParams(
        vc.Grid(15, 1.0, np.array([0.779, 0.442, 9.89])), ["C", "N", "O", ".*"], 0.5))
    assert np.array_equal(np.load(tmp_path / "a.npy"), expected)


def test_version():
    result = subprocess.run([sys.executable, "-m", "voxelize_cy", "--version"],
                            capture_output=True, text=True, cwd="/")
    assert result.returncode == 0 and vc.__version__ in result.stdout
