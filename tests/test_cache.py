"""The binary structure cache: written atomically, read back equal to the mmCIF."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import STRUCTURES

import voxelize_cy as vc
from voxelize_cy.io import cache, convert

pytest.importorskip("pyarrow")

NAMES = ["1qjg", "3v4i", "171l", "1aa5", "4rek", "2ypi"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("compression", ["uncompressed", "lz4"])
def test_cache_equals_the_mmcif_table(tmp_path, name, compression):
    source = STRUCTURES / f"{name}.cif.gz"
    expected = vc.atoms_from_file(source)
    path = cache.write_cache(expected, tmp_path / cache.cache_name(source),
                             compression=compression)
    assert path.name == f"{name}.feather"
    got = vc.atoms_from_file(path)
    assert list(got.columns) == ["monomer", "element", "x", "y", "z", "occupancy"]
    assert got.equals(expected)
    assert got.dtypes.equals(expected.dtypes)


def test_filters_apply_to_caches_as_to_mmcif(tmp_path):
    source = STRUCTURES / "1qjg.cif.gz"
    path = cache.write_cache(vc.atoms_from_file(source), tmp_path / "1qjg.feather")
    for hydrogens, waters in [(False, True), (True, False), (False, False)]:
        expected = vc.atoms_from_file(source, hydrogens=hydrogens, waters=waters)
        got = vc.atoms_from_file(path, hydrogens=hydrogens, waters=waters)
        assert got.equals(expected), (hydrogens, waters)
    with pytest.raises(ValueError, match="structure cache"):
        vc.atoms_from_file(path, chain="A")
    with pytest.raises(ValueError, match="structure cache"):
        vc.atoms_from_file(path, model=2)


def test_arrow_suffix_and_images_from_a_cache(tmp_path):
    source = STRUCTURES / "171l.cif.gz"
    atoms = vc.atoms_from_file(source)
    path = cache.write_cache(atoms, tmp_path / "171l.arrow")
    params = vc.ImageParams(vc.Grid(15, 1.0, atoms[["x", "y", "z"]].to_numpy()[50]),
                            ["C", "N", "O", ".*"], 0.5)
    assert np.array_equal(vc.image_from_atoms(vc.atoms_from_file(path), params),
                          vc.image_from_atoms(atoms, params))


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    import pyarrow.feather

    def fail(table, where, **kwargs):
        with open(where, "wb") as f:
            f.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(pyarrow.feather, "write_feather", fail)
    atoms = vc.atoms_from_file(STRUCTURES / "1aa5.cif.gz")
    with pytest.raises(OSError, match="disk full"):
        cache.write_cache(atoms, tmp_path / "1aa5.feather")
    assert list(tmp_path.iterdir()) == []


def test_files_that_are_not_caches(tmp_path):
    import pyarrow as pa
    import pyarrow.feather

    other = tmp_path / "other.feather"
    pyarrow.feather.write_feather(pa.table({"a": [1, 2]}), other)
    with pytest.raises(ValueError, match="not a structure cache"):
        vc.atoms_from_file(other)
    junk = tmp_path / "junk.feather"
    junk.write_bytes(b"not arrow at all")
    with pytest.raises(ValueError, match="junk.feather: is not a readable structure cache"):
        vc.atoms_from_file(junk)
    with pytest.raises(ValueError, match="missing column"):
        cache.write_cache(pd.DataFrame({"x": [1.0]}), tmp_path / "x.feather")
    with pytest.raises(ValueError, match="compression"):
        cache.write_cache(vc.atoms_from_file(STRUCTURES / "1aa5.cif.gz"),
                          tmp_path / "y.feather", compression="gzip")


def test_convert_structures_in_process_and_in_workers(tmp_path):
    sources = [STRUCTURES / f"{n}.cif.gz" for n in ("1aa5", "171l", "2ypi")]
    seen = []
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        results = convert.convert_structures(sources + [tmp_path / "absent.cif"], out,
                                           jobs=jobs, on_result=seen.append)
        assert [r.status for r in results] == ["written"] * 3 + ["failed"]
        assert "no such structure file" in results[3].message
        for source, result in zip(sources, results):
            assert result.n_atoms == len(vc.atoms_from_file(source))
            assert vc.atoms_from_file(result.output).equals(vc.atoms_from_file(source))
    assert len(seen) == 8
    again = convert.convert_structures(sources, tmp_path / "jobs1", jobs=1)
    assert [r.status for r in again] == ["skipped"] * 3


def test_two_inputs_with_one_cache_name(tmp_path):
    (tmp_path / "a").mkdir()
    copy = tmp_path / "a" / "1aa5.cif.gz"
    copy.write_bytes((STRUCTURES / "1aa5.cif.gz").read_bytes())
    results = convert.convert_structures([STRUCTURES / "1aa5.cif.gz", copy], tmp_path / "out",
                                       jobs=1)
    assert [r.status for r in results] == ["written", "failed"]
    assert "same cache name" in results[1].message


def test_without_pyarrow_reading_a_cache_names_the_extra(tmp_path):
    path = cache.write_cache(vc.atoms_from_file(STRUCTURES / "1aa5.cif.gz"),
                             tmp_path / "1aa5.feather")
    blocker = tmp_path / "block" / "pyarrow"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('hidden for the test')\n")
    code = ("import voxelize_cy as vc\n"
            "try:\n"
            f"    vc.atoms_from_file({str(path)!r})\n"
            "except ImportError as err:\n"
            "    print(err)\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "block"))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "pip install 'voxelize_cy[cache]'" in result.stdout
