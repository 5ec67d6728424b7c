"""The voxelize-cy command line: in-process through ``cli.main`` (fast), and
through subprocesses where the process itself matters."""

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import STRUCTURES

import voxelize_cy as vc
from voxelize_cy import cli

PDB_TEXT = """\
ATOM      1  N   ALA A   1       0.104   0.134  -0.504  1.00  0.00           N
ATOM      2  CA  ALA A   1       0.639   1.071   0.147  1.00  0.00           C
ATOM      3  C   ALA A   1       2.100   0.800   0.400  1.00  0.00           C
ATOM      4  O   ALA A   1       2.600  -0.300   0.200  1.00  0.00           O
ATOM      5  SG  CYS A   2      -1.000  -1.000   1.000  1.00  0.00           S
END
"""
CHANNELS = ["C", "N", "O", ".*"]


def run(*args, cwd):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "voxelize_cy", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def cli_run(tmp_path, monkeypatch, capsys):
    """Run ``voxelize-cy ARGS`` in-process in tmp_path: (status, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def call(*args):
        try:
            status = cli.main([str(a) for a in args])
        except SystemExit as exit_:  # argparse's own errors
            status = exit_.code
        out, err = capsys.readouterr()
        return status, out, err

    return call


@pytest.fixture
def pdb_file(tmp_path):
    path = tmp_path / "mini.pdb"
    path.write_text(PDB_TEXT)
    return path


def image_of(path, center, length=21, resolution=1.0, channels=CHANNELS, radius=0.5):
    params = vc.ImageParams(vc.Grid(length, resolution, np.asarray(center, dtype=float)),
                            list(channels), radius)
    atoms = vc.atoms_from_file(path)
    atoms["element"] = atoms["element"].str.upper()
    return vc.image_from_atoms(atoms, params)


def test_image_equals_image_from_atoms(cli_run, pdb_file):
    status, out, err = cli_run("image", pdb_file, "--center", 0.5, 0.2, 0.1, "-o", "img.npy",
                               "--length", 9, "--resolution", 0.75, "--radius", 0.8,
                               "--channels", "C", "N", "O", ".*")
    assert status == 0, err
    got = np.load("img.npy")
    assert got.dtype == np.float64
    assert np.array_equal(got, image_of(pdb_file, [0.5, 0.2, 0.1], 9, 0.75, radius=0.8))
    assert "wrote img.npy" in out


def test_fill_and_aggregation_options(cli_run, pdb_file):
    """--fill, --agg, --radius-scale, --gaussian-radius-multiple: the API's images."""
    params = vc.ImageParams(vc.Grid(9, 0.75, np.array([0.5, 0.2, 0.1])), CHANNELS, 1.2)
    atoms = vc.atoms_from_file(pdb_file)
    atoms["element"] = atoms["element"].str.upper()
    for options, kw in ((["--fill", "gaussian", "--radius-scale", 0.9,
                          "--gaussian-radius-multiple", 1.5],
                         dict(fill="gaussian", radius_scale=0.9, gaussian_radius_multiple=1.5)),
                        (["--fill", "binary", "--agg", "max"], dict(fill="binary", agg="max")),
                        (["--fill", "overlap_A3", "--agg", "max"],
                         dict(fill="overlap_A3", agg="max"))):
        status, _, err = cli_run("image", pdb_file, "--center", 0.5, 0.2, 0.1, "-o", "f.npy",
                                 "--length", 9, "--resolution", 0.75, "--radius", 1.2,
                                 *options)
        assert status == 0, err
        want = vc.image_from_atoms(atoms, params, **kw)
        assert want.max() > 0
        assert np.array_equal(np.load("f.npy"), want), options
    status, _, err = cli_run("image", pdb_file, "-o", "g.npy", "--radius-scale", 0.9)
    assert status == 2 and "need --fill gaussian or binary" in err
    status, _, err = cli_run("image", pdb_file, "-o", "g.npy", "--fill", "blur")
    assert status == 2 and "invalid choice" in err


def test_comma_separated_channels_and_per_element_radii(cli_run, pdb_file):
    status, _, err = cli_run("image", pdb_file, "--center", 0, 0, 0, "-o", "a.npy",
                             "--channels", "C,N,O,.*", "--radius", "C=1.7,N=1.55,O=1.52,*=1.8")
    assert status == 0, err
    img = np.load("a.npy")
    assert img.shape == (4, 21, 21, 21)
    radii = {"C": 1.7, "N": 1.55, "O": 1.52, "*": 1.8}
    assert np.array_equal(img, image_of(pdb_file, [0, 0, 0], radius=radii))
    # Several arguments are taken whole: a pattern with a comma stays one pattern.
    status, _, err = cli_run("image", pdb_file, "--center", 0, 0, 0, "-o", "b.npy",
                             "--channels", "C{1,2}", ".*")
    assert status == 0, err
    assert np.load("b.npy").shape[0] == 2
    status, _, err = cli_run("image", pdb_file, "-o", "c.npy", "--radius", "C=1.7,N")
    assert status == 2 and "ELEMENT=RADIUS" in err


def test_output_format_follows_the_suffix(cli_run, pdb_file):
    pytest.importorskip("matplotlib")
    status, out, err = cli_run("image", pdb_file, "--center", 0, 0, 0, "-o", "out.png")
    assert status == 0, err
    assert Path("out.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not Path("out.png.npy").exists()
    assert "wrote out.png" in out
    status, out, err = cli_run("image", pdb_file, "--center", 1, 2, 3, "-o", "out.npz")
    assert status == 0, err
    with np.load("out.npz") as saved:
        assert np.array_equal(saved["image"], image_of(pdb_file, [1, 2, 3]))
        assert saved["resolution_A"] == 1.0 and list(saved["center_A"]) == [1, 2, 3]
        assert list(saved["channels"]) == CHANNELS
    status, _, err = cli_run("image", pdb_file, "-o", "out.xyz")
    assert status == 2 and "cannot tell what to write" in err and ".npy" in err


def test_maps_per_channel(cli_run, pdb_file):
    status, out, err = cli_run("image", pdb_file, "--center", 0.5, 0.5, 0.5, "-o", "m.dx",
                               "--length", 8, "--channels", "C,N,O,.*")
    assert status == 0, err
    for name in ("m_C.dx", "m_N.dx", "m_O.dx", "m_other.dx"):
        assert Path(name).exists() and f"wrote {name}" in out


def test_image_without_a_centre_uses_the_centroid(cli_run, pdb_file):
    status, out, err = cli_run("image", pdb_file, "-o", "c.npy")
    assert status == 0, err
    atoms = vc.atoms_from_file(pdb_file)
    centroid = atoms[["x", "y", "z"]].to_numpy().mean(axis=0)
    assert np.array_equal(np.load("c.npy"), image_of(pdb_file, centroid))
    assert "centroid" in out
    assert np.load("c.npy").sum() == pytest.approx(5.0)


def test_image_of_a_real_structure_without_coordinates(cli_run):
    status, out, err = cli_run("image", STRUCTURES / "1aa5.cif.gz", "-o", "img.npy")
    assert status == 0, err
    img = np.load("img.npy")
    assert img.shape == (4, 21, 21, 21) and img.sum() > 10
    assert "warning" not in err


@pytest.mark.parametrize("selection, atoms", [("A/2", ["SG"]), ("A/1/CA", ["CA"]),
                                              ("A/1", ["N", "CA", "C", "O"])])
def test_center_on_a_residue_or_atom(cli_run, pdb_file, selection, atoms):
    status, out, err = cli_run("image", pdb_file, "--center-on", selection, "-o", "s.npy",
                               "--length", 5)
    assert status == 0, err
    table = {"N": (0.104, 0.134, -0.504), "CA": (0.639, 1.071, 0.147),
             "C": (2.100, 0.800, 0.400), "O": (2.600, -0.300, 0.200),
             "SG": (-1.000, -1.000, 1.000)}
    center = np.mean([table[a] for a in atoms], axis=0)
    np.testing.assert_allclose(np.load("s.npy"), image_of(pdb_file, center, 5), atol=1e-12)


@pytest.mark.parametrize("selection, message", [
    ("B/1", "no chain 'B'"), ("A/9", "no residue 9"), ("A/1/XX", "has no atom 'XX'"),
    ("A", "CHAIN/RESIDUE"), ("A/x", "not a number")])
def test_bad_selections(cli_run, pdb_file, selection, message):
    status, _, err = cli_run("image", pdb_file, "--center-on", selection, "-o", "s.npy")
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1


def test_an_empty_image_is_a_warning_naming_centre_and_extent(cli_run, pdb_file):
    status, out, err = cli_run("image", pdb_file, "--center", 100, 0, 0, "-o", "e.npy")
    assert status == 0
    assert "warning: no atom" in err and "(100.00, 0.00, 0.00)" in err
    assert "x -1.0..2.6" in err
    assert not np.load("e.npy").any()


def test_elements_are_upper_cased(cli_run, tmp_path):
    cif = tmp_path / "lower.cif"
    cif.write_text("data_x\nloop_\n_atom_site.group_PDB\n_atom_site.type_symbol\n"
                   "_atom_site.label_comp_id\n_atom_site.Cartn_x\n_atom_site.Cartn_y\n"
                   "_atom_site.Cartn_z\n_atom_site.occupancy\n_atom_site.pdbx_PDB_model_num\n"
                   "_atom_site.auth_asym_id\nATOM c ALA 0 0 0 1 1 A\nATOM n ALA 1 0 0 1 1 A\n")
    assert vc.atoms_from_file(cif)["element"].tolist() == ["c", "n"]  # as written
    status, _, err = cli_run("image", cif, "--center", 0, 0, 0, "-o", "l.npy",
                             "--channels", "C,N")
    assert status == 0, err
    assert np.load("l.npy").sum(axis=(1, 2, 3)) == pytest.approx([1.0, 1.0])


def test_options_are_never_abbreviated(cli_run, pdb_file, tmp_path):
    (tmp_path / "c.csv").write_text("x,y,z\n0,0,0\n")
    status, _, err = cli_run("batch", pdb_file, "--center", "c.csv", "-o", "x.npy")
    assert status == 2 and "--center" in err
    status, _, err = cli_run("image", pdb_file, "--res", "0.5", "-o", "x.npy")
    assert status == 2 and "--res" in err


def test_a_huge_grid_is_refused_before_allocating(cli_run, pdb_file):
    status, _, err = cli_run("image", pdb_file, "-o", "h.npy", "--length", 2000)
    assert status == 2
    assert "would take 238.4 GiB" in err and "16 GiB" in err


@pytest.mark.parametrize("header, rows", [
    ("x,y,z", [(0, 0, 0), (1.5, 0.5, -0.5)]),
    ("z,y,x", [(0, 0, 0), (-0.5, 0.5, 1.5)]),
    ("Z, X, label, Y", [(0, 0, "a", 0), (-0.5, 1.5, "b", 0.5)]),
    (None, [(0, 0, 0), (1.5, 0.5, -0.5)]),
])
def test_batch_reads_centres_by_header_name(cli_run, pdb_file, tmp_path, header, rows):
    lines = ([header] if header else []) + [",".join(map(str, r)) for r in rows]
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n")
    status, out, err = cli_run("batch", pdb_file, "--centers", "c.csv", "-o", "s.npy",
                               "--length", 7, "--threads", 2)
    assert status == 0, err
    stack = np.load("s.npy")
    assert stack.shape == (2, 4, 7, 7, 7)
    for b, c in enumerate([(0, 0, 0), (1.5, 0.5, -0.5)]):
        assert np.array_equal(stack[b], image_of(pdb_file, c, 7))
    assert ("by the header" in err) == (header is not None)
    assert ("no header" in err) == (header is None)


def test_batch_takes_the_image_options_and_a_preview(cli_run, pdb_file, tmp_path):
    pytest.importorskip("matplotlib")
    (tmp_path / "c.csv").write_text("0,0,0\n1,1,1\n")
    status, out, err = cli_run("batch", pdb_file, "--centers", "c.csv", "-o", "s.npz",
                               "--png", "first.png", "--channels", "C,N,O,.*",
                               "--radius", "C=1.7,*=1.5", "--dtype", "float32")
    assert status == 0, err
    with np.load("s.npz") as saved:
        assert saved["images"].shape == (2, 4, 21, 21, 21)
        assert saved["images"].dtype == np.float32
        assert saved["centers_A"].tolist() == [[0, 0, 0], [1, 1, 1]]
    assert Path("first.png").read_bytes()[:4] == b"\x89PNG"
    assert "wrote first.png" in out


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


def test_demo_writes_npy_npz_and_png(cli_run, tmp_path):
    pytest.importorskip("matplotlib")
    status, out, err = cli_run("demo", "-o", tmp_path / "out")
    assert status == 0, err
    img = np.load(tmp_path / "out" / "demo.npy")
    assert img.shape == (4, 24, 24, 24)
    assert img.sum() == pytest.approx(len(vc.example_atoms()), rel=1e-12)
    assert (tmp_path / "out" / "demo.png").read_bytes()[:4] == b"\x89PNG"
    assert np.array_equal(np.load(tmp_path / "out" / "demo.npz")["image"], img)


def test_demo_without_arguments_uses_the_default_folder(tmp_path):
    result = run("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "voxelize_demo" / "demo.npy").exists()


@pytest.mark.parametrize("args, message", [
    (["image", "absent.cif", "-o", "x.npy"], "no such structure file"),
    (["image", "corrupt.cif", "-o", "x.npy"], "cannot read"),
    (["image", "mini.pdb", "--center", 0, 0, "abc", "-o", "x.npy"], "not a number"),
    (["image", "mini.pdb", "--center", 0, 0, "nan", "-o", "x.npy"], "not a finite number"),
    (["image", "mini.pdb", "-o", "x.npy", "--length", 0], "must be >= 1"),
    (["image", "mini.pdb", "-o", "x.npy", "--radius", -1], "must be a finite number > 0"),
    (["image", "mini.pdb", "--center", 0, 0, 0, "-o", "x.npy", "--channels", "C", "N"],
     "element O didn't match any channels"),
    (["image", "mini.pdb", "-o", "x.npy", "--radius", "C=1"], "no radius for element 'N'"),
    (["image", "mini.pdb", "-o", "x.npy", "--chain", "Q"], "no chain 'Q'"),
    (["image", "mini.pdb", "-o", "nodir/x.npy"], "output folder does not exist"),
    (["image", "mini.pdb", "-o", "x.npy", "--channels", "C,(,N"], "not a regular expression"),
    (["batch", "mini.pdb", "--centers", "absent.csv", "-o", "x.npy"], "no such centers file"),
    (["batch", "mini.pdb", "--centers", "bad.csv", "-o", "x.npy"], "expected 3 columns"),
    (["batch", "mini.pdb", "--centers", "named.csv", "-o", "x.npy"], "has no column z"),
    (["batch", "mini.pdb", "--centers", "bad.csv", "-o", "x.png"], "batch writes .npy or .npz"),
    (["frobnicate"], "invalid choice"),
])
def test_errors_are_one_line_and_exit_2(cli_run, tmp_path, pdb_file, args, message):
    (tmp_path / "corrupt.cif").write_text("data_x\nloop_\n_atom_site.id\n'oops\n")
    (tmp_path / "bad.csv").write_text("1,2\n")
    (tmp_path / "named.csv").write_text("x,y,q\n1,2,3\n")
    status, _, err = cli_run(*args)
    assert status == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_png_without_matplotlib_is_a_clear_error(tmp_path, pdb_file):
    blocker = tmp_path / "block" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('hidden for the test')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "block"))
    result = subprocess.run([sys.executable, "-m", "voxelize_cy", "image", str(pdb_file),
                             "-o", "x.npy", "--png", "p.png"],
                            cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "voxelize-cy: error: --png needs matplotlib: pip install 'voxelize_cy[plot]'")


def test_real_structure_through_the_cli(cli_run, tmp_path):
    path = STRUCTURES / "1aa5.cif.gz"
    status, _, err = cli_run("image", path, "--center", 0.779, 0.442, 9.89, "-o", "a.npy",
                             "--length", 15)
    assert status == 0, err
    assert np.array_equal(np.load(tmp_path / "a.npy"), image_of(path, [0.779, 0.442, 9.89], 15))


def test_version():
    result = subprocess.run([sys.executable, "-m", "voxelize_cy", "--version"],
                            capture_output=True, text=True, cwd="/")
    assert result.returncode == 0 and vc.__version__ in result.stdout


# ----------------------------------------------------------------- convert


def broken_inputs(folder: Path):
    """name -> a structure file that cannot be converted, and why."""
    good = (STRUCTURES / "1aa5.cif.gz").read_bytes()
    (folder / "truncated.cif.gz").write_bytes(good[: len(good) // 2])
    (folder / "empty.cif").write_text("")
    (folder / "noatoms.cif").write_text("data_x\n_cell.length_a 10\n")
    (folder / "plain.cif.gz").write_bytes(gzip.decompress(good))
    return {"truncated.cif.gz": "cannot read", "empty.cif": "", "noatoms.cif": "no _atom_site",
            "plain.cif.gz": "not gzip-compressed", "missing.cif": "no such structure file"}


def test_convert_good_and_bad_files(cli_run, tmp_path):
    pytest.importorskip("pyarrow")
    bad = broken_inputs(tmp_path)
    good = [STRUCTURES / "1aa5.cif.gz", STRUCTURES / "171l.cif.gz"]
    status, out, err = cli_run("convert", *good, *bad, "-o", "cache", "--jobs", 2)
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == len(bad)
    for name, reason in bad.items():
        line = next(line for line in lines if name in line)
        assert reason in line
    assert "2 written, 0 up to date, 5 failed" in out
    files = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert files == ["171l.feather", "1aa5.feather"]  # nothing half-written remains
    for path in good:
        cached = vc.atoms_from_file(tmp_path / "cache" / vc.io.cache_name(path))
        assert cached.equals(vc.atoms_from_file(path))


def test_convert_skips_newer_caches_unless_forced(cli_run, tmp_path):
    pytest.importorskip("pyarrow")
    source = tmp_path / "1aa5.cif.gz"
    shutil.copy(STRUCTURES / "1aa5.cif.gz", source)
    assert cli_run("convert", source, "-o", "cache")[0] == 0
    cache = tmp_path / "cache" / "1aa5.feather"
    stamp = cache.stat().st_mtime_ns
    status, out, _ = cli_run("convert", source, "-o", "cache")
    assert status == 0 and "0 written, 1 up to date" in out
    assert cache.stat().st_mtime_ns == stamp
    status, out, _ = cli_run("convert", source, "-o", "cache", "--force")
    assert status == 0 and "1 written" in out
    os.utime(source, ns=(cache.stat().st_mtime_ns + 10**9,) * 2)  # the structure changed
    status, out, _ = cli_run("convert", source, "-o", "cache")
    assert "1 written" in out


def test_convert_to_an_unwritable_folder(cli_run, tmp_path, monkeypatch):
    """(Permissions cannot stop root, who runs CI: the refusal is simulated.)"""
    pytest.importorskip("pyarrow")
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    status, _, err = cli_run("convert", STRUCTURES / "1aa5.cif.gz", "-o", tmp_path / "out")
    assert status == 2
    assert "cannot write to output folder" in err and "Permission denied" in err
    assert len(err.strip().splitlines()) == 1


def test_convert_to_a_folder_that_is_a_file(cli_run, tmp_path):
    pytest.importorskip("pyarrow")
    (tmp_path / "afile").write_text("")
    status, _, err = cli_run("convert", STRUCTURES / "1aa5.cif.gz", "-o", tmp_path / "afile")
    assert status == 2 and "cannot write to output folder" in err
    assert len(err.strip().splitlines()) == 1
