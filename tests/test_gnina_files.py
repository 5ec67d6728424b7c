"""gnina's files: .types, .gninatypes and molcache2, read and written, and
every damaged input a clear error that names the file (and the .types line)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

import voxelize_cy.molgrid as molgrid
from voxelize_cy import gnina
from voxelize_cy.cli import main
from voxelize_cy.gnina import GninaDataError

DATA = Path(__file__).resolve().parent / "data" / "libmolgrid"
STRUCTS = DATA / "structs"
REC = "4kqp/4kqp_rec_0.gninatypes"
LIG = "4kqp/4kqp_min_0.gninatypes"


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# -- .types files -----------------------------------------------------------------

def test_types_labels_come_from_the_first_line(tmp_path):
    path = write(tmp_path / "a.types",
                 f"1 6.05 0.16 {REC} {LIG}  # a comment\n\n"
                 f"0 -1e-3 nan {REC} none\n"
                 f"# a whole comment line\n"
                 f"1 2 3 {REC} {LIG} {LIG}\n")
    table = gnina.read_types(path)
    assert len(table) == 3 and table.num_labels == 3
    np.testing.assert_array_equal(table.labels[0], np.float32([1, 6.05, 0.16]))
    assert np.isnan(table.labels[1, 2]) and table.labels[1, 1] == np.float32(-1e-3)
    assert table.files(0) == (REC, LIG) and table.files(1) == (REC, "none")
    assert table.files(2) == (REC, LIG, LIG) and table.num_files(2) == 3
    assert table.where(2) == f"{path}, line 5"
    assert table.names == [REC, LIG, "none"]


def test_types_groups_and_a_given_label_count(tmp_path):
    path = write(tmp_path / "g.types", f"7 1 {REC} {LIG}\n8 0 {REC} {LIG}\n")
    table = gnina.read_types(path, has_group=True)
    assert table.groups.tolist() == [7, 8] and table.labels.tolist() == [[1.0], [0.0]]
    table = gnina.read_types(path, num_labels=2)
    assert table.labels.tolist() == [[7.0, 1.0], [8.0, 0.0]]
    with pytest.raises(GninaDataError, match=r"g\.types, line 1: the group id is 'x'"):
        gnina.read_types(write(tmp_path / "g.types", f"x 1 {REC}\n"), has_group=True)


@pytest.mark.parametrize("text, match", [
    (f"1 2 {REC} {LIG}\n1 oops {REC} {LIG}\n",
     r"bad\.types, line 2: label 2 of 2 is 'oops', not a number"),
    (f"1 2 {REC}\n1\n", r"bad\.types, line 2: has 1 field\(s\) after the group"),
    (f"1 2 {REC}\n1 2\n", r"bad\.types, line 2: names no molecule file after its labels"),
    ("# nothing\n\n", r"holds no example"),
])
def test_types_errors_name_the_file_and_line(tmp_path, text, match):
    with pytest.raises(GninaDataError, match=match):
        gnina.read_types(write(tmp_path / "bad.types", text))


def test_a_missing_or_unreadable_types_file(tmp_path):
    with pytest.raises(GninaDataError, match=r"nothere\.types: no such \.types file"):
        gnina.read_types(tmp_path / "nothere.types")
    binary = tmp_path / "b.types"
    binary.write_bytes(b"1 \xff\xfe rec lig\n")
    with pytest.raises(GninaDataError, match="not a text file"):
        gnina.read_types(binary)


def test_a_types_line_naming_a_missing_file_is_an_error_naming_both(tmp_path):
    path = write(tmp_path / "m.types", f"1 {REC} {LIG}\n0 {REC} 4kqp/nothere.gninatypes\n")
    e = gnina.GninaExamples(path, data_root=str(STRUCTS))
    e.next()
    with pytest.raises(GninaDataError) as caught:
        e.next()
    message = str(caught.value)
    assert "nothere.gninatypes: no such file" in message
    assert f"listed in {path}, line 2" in message
    # the same through voxelize_cy.molgrid
    p = molgrid.ExampleProvider(data_root=str(STRUCTS))
    p.populate(path)
    p.next()
    with pytest.raises(GninaDataError, match=r"m\.types, line 2"):
        p.next()


# -- .gninatypes ---------------------------------------------------------------------

def test_gninatypes_round_trip(tmp_path):
    coords, types = gnina.read_gninatypes(STRUCTS / LIG)
    assert coords.dtype == np.float32 and coords.shape == (16, 3) and types.dtype == np.int32
    gnina.write_gninatypes(tmp_path / "x.gninatypes", coords, types)
    again = gnina.read_gninatypes(tmp_path / "x.gninatypes")
    np.testing.assert_array_equal(again[0], coords)
    np.testing.assert_array_equal(again[1], types)
    assert (tmp_path / "x.gninatypes").read_bytes() == (STRUCTS / LIG).read_bytes()


def test_a_truncated_gninatypes_is_an_error_naming_it(tmp_path):
    data = (STRUCTS / LIG).read_bytes()
    cut = tmp_path / "cut.gninatypes"
    cut.write_bytes(data[:-5])
    with pytest.raises(GninaDataError, match=r"cut\.gninatypes: 251 bytes is not a whole "
                                              r"number of 16-byte atom records"):
        gnina.read_gninatypes(cut)
    # libmolgrid drops the partial record silently; here the .types line is named too
    types = write(tmp_path / "t.types", f"1 {REC} cut.gninatypes\n")
    e = gnina.GninaExamples(types, data_root=str(tmp_path), molcaches=[])
    e.extractor.stores[0].data_root = str(STRUCTS)
    with pytest.raises(GninaDataError, match=r"truncated.*listed in .*t\.types, line 1"):
        e.next()


@pytest.mark.parametrize("type_value, coordinate, match", [
    (28, 1.0, "atom 3 has type 28; smina's atom types are 0-27"),
    (-1, 1.0, "atom 3 has type -1"),
    (2, float("nan"), "atom 3 has coordinates"),
])
def test_damaged_gninatypes_records(tmp_path, type_value, coordinate, match):
    records = np.zeros(5, gnina.ATOM_RECORD)
    records["type"] = 2
    records["type"][3] = type_value
    records["x"][3] = coordinate
    path = tmp_path / "d.gninatypes"
    path.write_bytes(records.tobytes())
    with pytest.raises(GninaDataError, match=match):
        gnina.read_gninatypes(path)


# -- molcache2 --------------------------------------------------------------------

def test_libmolgrids_molcache_is_read_and_checked():
    cache = gnina.MolCache2(DATA / "lig.molcache2")
    assert len(cache) > 100 and LIG in cache and not cache.has_checksums
    coords, types = cache.atoms(LIG)
    want = gnina.read_gninatypes(STRUCTS / LIG)
    np.testing.assert_array_equal(coords, want[0])
    np.testing.assert_array_equal(types, want[1])
    assert cache.verify() == []


def test_molcache_written_and_read_back_with_checksums(tmp_path):
    out = tmp_path / "lig.molcache2"
    written = gnina.molcache_from_types(out, DATA / "small.types", data_root=str(STRUCTS),
                                        position="ligand")
    cache = gnina.MolCache2(out, verify=True)
    table = gnina.read_types(DATA / "small.types")
    ligands = {name for row in range(len(table)) for name in table.files(row)[1:]}
    assert written == len(cache) == len(ligands) and cache.has_checksums
    for name in sorted(ligands)[:20]:
        coords, types = cache.atoms(name)
        want = gnina.read_gninatypes(STRUCTS / name)
        np.testing.assert_array_equal(coords, want[0])
        np.testing.assert_array_equal(types, want[1])
    assert cache.verify() == []
    assert out.stat().st_mode & 0o044  # readable by others, as open() would make it


def _small_cache(tmp_path) -> Path:
    out = tmp_path / "c.molcache2"
    coords, types = gnina.read_gninatypes(STRUCTS / LIG)
    gnina.write_molcache2(out, [(LIG, coords, types), ("other", coords[:3], types[:3])])
    return out


def test_a_flipped_byte_is_caught_by_the_checksum(tmp_path):
    out = _small_cache(tmp_path)
    data = bytearray(out.read_bytes())
    data[12 + 4 + 5] ^= 0x10  # a coordinate byte of the first structure's first atom
    out.write_bytes(bytes(data))
    cache = gnina.MolCache2(out)
    cache.atoms(LIG)  # bounds and types still look right
    with pytest.raises(GninaDataError, match="does not match its checksum"):
        gnina.MolCache2(out, verify=True).atoms(LIG)
    damaged = cache.verify()
    assert len(damaged) == 1 and LIG in damaged[0] and str(out) in damaged[0]


def test_molcache_bad_header_and_offsets(tmp_path):
    out = _small_cache(tmp_path)
    data = out.read_bytes()
    bad = tmp_path / "bad.molcache2"
    bad.write_bytes(struct.pack("<i", 7) + data[4:])
    with pytest.raises(GninaDataError, match=r"bad\.molcache2: starts with 7, not -1: it is "
                                             r"not a molcache2 file"):
        gnina.MolCache2(bad)
    bad.write_bytes(data[:4] + struct.pack("<Q", len(data) + 100) + data[12:])
    with pytest.raises(GninaDataError, match="index starts at byte .* past its end"):
        gnina.MolCache2(bad)
    index_start = struct.unpack_from("<Q", data, 4)[0]
    entry = index_start + 1 + len(LIG)  # the first entry's record offset
    bad.write_bytes(data[:entry] + struct.pack("<Q", len(data) * 2) + data[entry + 8:])
    with pytest.raises(GninaDataError, match="outside the records.*an offset past its end"):
        gnina.MolCache2(bad)
    bad.write_bytes(data[:-3])
    with pytest.raises(GninaDataError, match="cut short by the end of the file"):
        gnina.MolCache2(bad)
    bad.write_bytes(b"\xff\xff")
    with pytest.raises(GninaDataError, match="shorter than a molcache2 header"):
        gnina.MolCache2(bad)
    with pytest.raises(GninaDataError, match="no such molcache2 file"):
        gnina.MolCache2(tmp_path / "none.molcache2")


def test_molcache_atom_count_past_the_records(tmp_path):
    out = _small_cache(tmp_path)
    data = bytearray(out.read_bytes())
    struct.pack_into("<I", data, 12, 1 << 20)  # the first record's atom count
    out.write_bytes(bytes(data))
    with pytest.raises(GninaDataError, match="says it has 1048576 atoms, which run past"):
        gnina.MolCache2(out)


def test_molcache_writer_refuses_bad_names(tmp_path):
    coords, types = gnina.read_gninatypes(STRUCTS / LIG)
    with pytest.raises(ValueError, match="at most 255 bytes"):
        gnina.write_molcache2(tmp_path / "x.molcache2", [("n" * 300, coords, types)])
    with pytest.raises(ValueError, match="given twice"):
        gnina.write_molcache2(tmp_path / "x.molcache2", [("a", coords, types)] * 2)
    assert not (tmp_path / "x.molcache2").exists()
    assert not list(tmp_path.glob(".x.molcache2*"))  # no temporary left behind


def test_the_molcache_command(tmp_path, capsys):
    out = tmp_path / "rec.molcache2"
    assert main(["molcache", str(out), "--types", str(DATA / "small.types"),
                 "--data-root", str(STRUCTS)]) == 0
    assert "wrote 60 receptor structures" in capsys.readouterr().out
    assert len(gnina.MolCache2(out)) == 60
    assert main(["molcache", str(out), "--types", str(tmp_path / "no.types")]) == 2
    assert "no.types: no such .types file" in capsys.readouterr().err


def test_checksum_is_crc32_of_the_record(tmp_path):
    out = _small_cache(tmp_path)
    cache = gnina.MolCache2(out)
    record = cache.record_bytes(LIG)
    assert cache._crc[12] == zlib.crc32(record)
