"""Caches that never lie: checksums, verify and repair, errors that name the file.

Each damage a copied, truncated or rotting cache meets (a flipped byte, a
truncated shard, a garbage index, another format version, a denied read, a
write that fails half-way) gets an error naming the file, the structure and
the remedy, and ``voxelize-cy verify`` finds it; ``--repair`` rebuilds an index
from the shards.  The fuzz test at the end damages every kind of file at
random.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")

import voxelize_cy as vc  # noqa: E402
import voxelize_cy.data  # noqa: E402,F401
from voxelize_cy import gnina, io  # noqa: E402
from voxelize_cy.cli import main as cli  # noqa: E402

HERE = Path(__file__).resolve().parent
SOURCES = sorted(str(p) for p in (HERE / "data" / "structures").glob("*.cif.gz"))
LIBMOLGRID = HERE / "data" / "libmolgrid"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A sharded cache (three shards of two) and single-file caches of the six
    test structures, with the tables they must give."""
    root = tmp_path_factory.mktemp("caches")
    io.convert_to_shards(SOURCES, root / "shards", shard_size=2, jobs=1)
    io.convert_structures(SOURCES, root / "single", jobs=1)
    tables = {io.shards.structure_id(s): vc.atoms_from_file(s) for s in SOURCES}
    return root, tables


def _copy(made, tmp_path, name="shards") -> Path:
    target = tmp_path / name
    shutil.copytree(made[0] / name, target)
    return target


def _flip_a_coordinate_byte(path: Path, batch: int = 0, row: int = 10) -> None:
    data = bytearray(path.read_bytes())
    x = pa.ipc.open_file(pa.py_buffer(bytes(data))).get_batch(batch).column("x")
    at = bytes(data).find(x.to_numpy()[row].tobytes())
    data[at + 3] ^= 0x10
    path.write_bytes(bytes(data))


def _verify(capsys, *argv) -> tuple:
    code = cli(["verify", *map(str, argv)])
    out = capsys.readouterr().out
    return code, [line for line in out.splitlines() if line.strip()]


# -- checksums -----------------------------------------------------------------

def test_checksums_follow_the_contents_not_the_layout(made):
    root, tables = made
    cache = io.StructureCache(root / "shards")
    batch = cache.batch("1aa5")
    table = pa.Table.from_batches([batch])
    assert io.structure_checksum(batch) == io.structure_checksum(table)
    assert io.structure_checksum(batch.slice(1)) != io.structure_checksum(batch)
    index = pa.ipc.open_file(str(root / "shards" / io.INDEX_NAME)).read_all()
    assert index.schema.metadata[b"voxelize_cy.format"] == str(io.FORMAT_VERSION).encode()
    single = pa.ipc.open_file(str(root / "single" / "1aa5.feather")).read_all()
    assert int(single.schema.metadata[b"voxelize_cy.checksum"]) == \
        io.structure_checksum(batch)


# -- a flipped byte ------------------------------------------------------------

def test_a_flipped_byte_is_caught_by_verify(made, tmp_path, capsys):
    root, tables = made
    cache_dir = _copy(made, tmp_path)
    _flip_a_coordinate_byte(cache_dir / "shard-00001.arrow")
    with pytest.raises(io.CacheError, match=r"shard-00001.arrow: structure '1qjg': checksum "
                                            r"mismatch.*verify .* --repair") as caught:
        io.StructureCache(cache_dir, verify=True)["1qjg"]
    assert caught.value.structure == "1qjg" and caught.value.path.endswith("00001.arrow")
    verified = io.StructureCache(cache_dir, verify=True)
    for name in ("171l", "1aa5", "2ypi", "3v4i", "4rek"):  # the others read
        assert verified[name].equals(tables[name])
    code, lines = _verify(capsys, cache_dir)
    assert code == 1 and len(lines) == 1 and "1qjg" in lines[0] and "00001" in lines[0]
    report = io.repair_shards(cache_dir)
    assert report.kept == 5 and [name for name, _ in report.lost] == ["1qjg"]
    assert "1qjg" not in io.StructureCache(cache_dir)
    io.convert_to_shards(SOURCES, cache_dir, shard_size=2, jobs=1)  # converted again
    assert io.StructureCache(cache_dir, verify=True)["1qjg"].equals(tables["1qjg"])


def test_a_flipped_byte_in_a_single_file_cache(made, tmp_path, capsys):
    single = _copy(made, tmp_path, "single")
    target = single / "2ypi.feather"
    _flip_a_coordinate_byte(target)
    with pytest.raises(io.CacheError, match="2ypi.feather: checksum mismatch.*--force"):
        io.read_cache(target, verify=True)
    code, lines = _verify(capsys, single)
    assert code == 1 and len(lines) == 1 and "2ypi.feather" in lines[0]
    assert _verify(capsys, single / "1aa5.feather") == (0, [f"{single / '1aa5.feather'}: "
                                                             f"intact"])


# -- a truncated shard, a garbage index ------------------------------------------

def test_a_truncated_shard_names_itself_and_repair_keeps_the_rest(made, tmp_path, capsys):
    root, tables = made
    cache_dir = _copy(made, tmp_path)
    shard = cache_dir / "shard-00002.arrow"
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])
    cache = io.StructureCache(cache_dir)
    with pytest.raises(io.CacheError, match=r"shard-00002.arrow: structure '3v4i': is not a "
                                            r"readable shard.*--repair"):
        cache["3v4i"]
    assert cache["1aa5"].equals(tables["1aa5"])
    code, lines = _verify(capsys, cache_dir)
    assert code == 1 and len(lines) == 2 and {"3v4i", "4rek"} == {
        name for line in lines for name in ("3v4i", "4rek") if f"'{name}'" in line}
    report = io.repair_shards(cache_dir)
    assert sorted(name for name, _ in report.lost) == ["3v4i", "4rek"]
    assert (cache_dir / "shard-00002.arrow.damaged").exists()
    assert _verify(capsys, cache_dir)[0] == 0
    results = io.convert_to_shards(SOURCES, cache_dir, shard_size=2, jobs=1)
    assert [r.status for r in results].count("written") == 2
    assert io.StructureCache(cache_dir, verify=True)["4rek"].equals(tables["4rek"])


def test_a_garbage_index_names_the_file_and_is_rebuilt(made, tmp_path, capsys):
    root, tables = made
    cache_dir = _copy(made, tmp_path)
    (cache_dir / io.INDEX_NAME).write_bytes(b"garbage")
    for attempt in (lambda: io.StructureCache(cache_dir),
                    lambda: io.convert_to_shards(SOURCES, cache_dir, shard_size=2, jobs=1)):
        with pytest.raises(io.CacheError, match=r"index.arrow: is not a readable sharded-cache "
                                                r"index.*verify .* --repair.*--force"):
            attempt()
    code, lines = _verify(capsys, cache_dir, "--repair")
    assert code == 0 and "6 structures kept, 0 lost" in lines[0]
    cache = io.StructureCache(cache_dir, verify=True)
    assert cache.ids == list(tables) and all(cache[n].equals(t) for n, t in tables.items())
    (cache_dir / io.INDEX_NAME).write_bytes(b"garbage")  # --force repairs, then converts
    results = io.convert_to_shards(SOURCES, cache_dir, shard_size=2, jobs=1, force=True)
    assert [r.status for r in results] == ["written"] * 6
    assert len(io.StructureCache(cache_dir, verify=True)) == 6


def test_a_missing_index_points_to_repair(made, tmp_path):
    cache_dir = _copy(made, tmp_path)
    (cache_dir / io.INDEX_NAME).unlink()
    with pytest.raises(io.CacheError, match="index.arrow: is missing.*--repair"):
        io.StructureCache(cache_dir)
    assert io.repair_shards(cache_dir).kept == 6


# -- versions, permissions ---------------------------------------------------------

def _rewrite_metadata(path: Path, metadata) -> None:
    table = pa.ipc.open_file(pa.py_buffer(path.read_bytes())).read_all()
    with pa.OSFile(str(path), "wb") as sink, \
            pa.ipc.new_file(sink, table.schema.with_metadata(metadata)) as writer:
        writer.write_table(table.replace_schema_metadata(metadata))


def test_another_format_version_says_which(made, tmp_path):
    cache_dir = _copy(made, tmp_path)
    _rewrite_metadata(cache_dir / io.INDEX_NAME, {b"voxelize_cy.format": b"7"})
    with pytest.raises(io.CacheError, match="index.arrow: has format version 7; this "
                                            "voxelize_cy reads format 2"):
        io.StructureCache(cache_dir)
    single = _copy(made, tmp_path, "single")
    _rewrite_metadata(single / "171l.feather", {})
    with pytest.raises(io.CacheError, match="171l.feather: has no format version"):
        vc.atoms_from_file(single / "171l.feather")


def test_a_denied_read_names_the_file(made, tmp_path, monkeypatch):
    cache_dir = _copy(made, tmp_path)
    real = pa.memory_map

    def denied(path, *args, **kwargs):
        if str(path).endswith("shard-00001.arrow"):
            raise PermissionError(13, "Permission denied", path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pa, "memory_map", denied)
    with pytest.raises(PermissionError, match="shard-00001.arrow: permission denied"):
        io.StructureCache(cache_dir)["1qjg"]


# -- writes that fail, readers during growth -----------------------------------------

def test_a_write_failure_names_the_file_and_errno_and_a_rerun_completes(tmp_path):
    """A file size limit stops the conversion on the shard that exceeds it: the
    error names that file and EFBIG, the finished shards read, no temporary
    file stays, and a rerun without the limit completes."""
    script = f"""
import resource, sys
import voxelize_cy.io as io
sources = {SOURCES!r}
resource.setrlimit(resource.RLIMIT_FSIZE, (800_000, 800_000))
try:
    io.convert_to_shards(sources, {str(tmp_path)!r}, shard_size=2, jobs=1)
except OSError as err:
    print("ERROR", err.errno, err)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=tmp_path)  # outside the source tree: the installed package
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.startswith("ERROR 27 ") and "cannot write" in out and "EFBIG" in out
    assert "shard-0000" in out
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".partial")]
    written = io.StructureCache(tmp_path, verify=True)
    assert 0 < len(written) < 6 and all(len(written[n]) for n in written)
    io.convert_to_shards(SOURCES, tmp_path, shard_size=2, jobs=1)
    assert len(io.StructureCache(tmp_path, verify=True)) == 6


def test_a_reader_opened_during_growth_sees_no_error(tmp_path):
    seen = []

    def read_while_converting(result):
        if (tmp_path / io.INDEX_NAME).exists():
            cache = io.StructureCache(tmp_path, verify=True)
            seen.append(len(cache))
            for name in cache:
                assert len(cache[name]) > 0

    io.convert_to_shards(SOURCES, tmp_path, shard_size=2, jobs=1,
                         on_result=read_while_converting)
    assert seen and max(seen) >= 2 and len(io.StructureCache(tmp_path)) == 6


# -- keywords ------------------------------------------------------------------------

def test_unknown_keywords_are_refused_by_name(tmp_path):
    with pytest.raises(TypeError, match=r"\['executor'\].*convert_to_shards"):
        io.convert_structures(SOURCES[:1], tmp_path, executor=object())
    with pytest.raises(TypeError, match=r"convert_to_shards\(\) got unknown keyword "
                                        r"argument\(s\) \['chains'\]"):
        io.convert_to_shards(SOURCES[:1], tmp_path, chains="A")
    with pytest.raises(TypeError, match=r"StructureViews\(\) got unknown keyword.*\['fil'\]"):
        vc.data.StructureViews(tmp_path, length_voxels=8, resolution_A=1.0,
                               channels=["C"], fil="gaussian")
    with pytest.raises(TypeError, match="unknown keyword"):
        gnina.GninaExamples(str(LIBMOLGRID / "small.types"), shufle=True)


# -- gnina files ----------------------------------------------------------------------

def test_verify_checks_molcaches_and_types_sets(tmp_path, capsys):
    cache = tmp_path / "rec.molcache2"
    gnina.molcache_from_types(cache, LIBMOLGRID / "small.types",
                              data_root=str(LIBMOLGRID / "structs"), position="receptor")
    assert _verify(capsys, cache)[0] == 0
    data = bytearray(cache.read_bytes())
    data[200] ^= 0x01
    cache.write_bytes(bytes(data))
    code, lines = _verify(capsys, cache)
    assert code == 1 and len(lines) == 1 and "rec.molcache2" in lines[0] and "checksum" in lines[0]
    types = tmp_path / "set.types"
    good = (LIBMOLGRID / "small.types").read_text().splitlines()[:3]
    types.write_text("\n".join(good + ["1 2.0 missing/rec.gninatypes " + good[0].split()[-1]])
                     + "\n")
    code, lines = _verify(capsys, types, "--data-root", LIBMOLGRID / "structs")
    assert code == 1 and len(lines) == 1
    assert "missing/rec.gninatypes" in lines[0] and "set.types, line 4" in lines[0]


# -- fuzz ----------------------------------------------------------------------------

def _damage(data: bytes, rng: random.Random) -> bytes:
    """A truncation, flipped bits, a changed size or offset word, or bytes cut
    out or repeated."""
    data = bytearray(data)
    kind = rng.randrange(5)
    if kind == 0:
        return bytes(data[:rng.randrange(len(data))])
    if kind == 1:
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return bytes(data)
    if kind == 2:  # a 4-byte word (sizes, offsets, lengths) replaced
        at = rng.randrange(0, len(data) - 4)
        data[at:at + 4] = rng.getrandbits(32).to_bytes(4, "little")
        return bytes(data)
    if kind == 3:
        at = rng.randrange(len(data))
        return bytes(data[:at] + data[at + rng.randint(1, 64):])
    at = rng.randrange(len(data))
    return bytes(data[:at] + data[at:at + rng.randint(1, 64)] + data[at:])


def test_damaged_files_never_crash_nor_lie_when_verified(made, tmp_path):
    """Seeded damage to shards, indexes, single-file caches, molcache2 and
    gninatypes files: every read either raises one of the documented errors or
    (with verify=True) returns exactly the original table."""
    root, tables = made
    rng = random.Random(29)
    molcache = tmp_path / "rec.molcache2"
    gnina.molcache_from_types(molcache, LIBMOLGRID / "small.types",
                              data_root=str(LIBMOLGRID / "structs"), position="receptor")
    pristine_cache = gnina.MolCache2(molcache)
    molcache_atoms = {n: pristine_cache.atoms(n) for n in list(pristine_cache)[:20]}
    pristine_cache.close()
    gninatypes = LIBMOLGRID / "structs" / next(iter(molcache_atoms))
    errors = (io.CacheError, gnina.GninaDataError, OSError, KeyError)
    outcomes = {"raised": 0, "exact": 0}
    for trial in range(150):
        work = tmp_path / f"t{trial}"
        target = rng.choice(["shard", "index", "single", "molcache", "gninatypes"])
        try:
            if target in ("shard", "index"):
                cache_dir = _copy(made, work)
                victim = (cache_dir / io.INDEX_NAME if target == "index"
                          else cache_dir / f"shard-0000{rng.randrange(3)}.arrow")
                victim.write_bytes(_damage(victim.read_bytes(), rng))
                for name in tables:  # default lookups: a table or an error, never a crash
                    try:
                        io.StructureCache(cache_dir)[name]
                    except errors:
                        pass
                cache = io.StructureCache(cache_dir, verify=True)
                for name in cache:
                    got = cache[name]
                    assert got.equals(tables[name]), (trial, target, name)
                    outcomes["exact"] += 1
            elif target == "single":
                victim = work / "1aa5.feather"
                work.mkdir()
                victim.write_bytes(_damage((root / "single" / "1aa5.feather").read_bytes(),
                                           rng))
                assert io.read_cache(victim, verify=True).equals(tables["1aa5"]), trial
                outcomes["exact"] += 1
            elif target == "molcache":
                work.mkdir()
                victim = work / "rec.molcache2"
                victim.write_bytes(_damage(molcache.read_bytes(), rng))
                damaged = gnina.MolCache2(victim, verify=True)
                try:
                    for name, (coords, types) in molcache_atoms.items():
                        got_coords, got_types = damaged.atoms(name)
                        assert np.array_equal(got_coords, coords), (trial, name)
                        assert np.array_equal(got_types, types), (trial, name)
                        outcomes["exact"] += 1
                finally:
                    damaged.close()
            else:
                work.mkdir()
                victim = work / "x.gninatypes"
                victim.write_bytes(_damage(gninatypes.read_bytes(), rng))
                coords, types = gnina.read_gninatypes(victim)
                # no checksum in the format: it must at least parse to whole records
                assert coords.shape == (types.shape[0], 3)
        except errors:
            outcomes["raised"] += 1
    assert outcomes["raised"] > 20 and outcomes["exact"] > 20, outcomes
