"""tests/data: byte-for-byte copies of the shared reference data, and the libmolgrid
reference data made by the profiling/make_*_reference.py scripts (see its README);
libmolgrid's test data is checked against its own SHA256SUMS."""

import hashlib
import re

from conftest import DATA


def listed_checksums():
    text = (DATA / "README.md").read_text()
    return dict((path, digest) for digest, path in
                re.findall(r"^([0-9a-f]{64})  (\S+)$", text, flags=re.M))


def folder_checksums(folder):
    """{path: digest} of a folder's SHA256SUMS (paths relative to tests/data)."""
    text = (DATA / folder / "SHA256SUMS").read_text()
    return {f"{folder}/{path}": digest for digest, path in
            re.findall(r"^([0-9a-f]{64})  (\S+)$", text, flags=re.M)}


def test_every_reference_file_is_listed_with_its_checksum():
    listed = listed_checksums()
    listed.update(folder_checksums("libmolgrid"))
    present = {str(p.relative_to(DATA)) for p in DATA.rglob("*")
               if p.is_file() and p.name != "README.md"}
    assert present == set(listed)
    assert len([p for p in listed if p.startswith("libmolgrid/")]) == 1094
    assert len([p for p in listed if p.startswith("gnina_reference/")]) == 2
    assert len([p for p in listed if not p.startswith((
        "molgrid/", "gnina_types/", "moleculekit/", "libmolgrid/", "gnina_reference/"))]) == 9
    assert len([p for p in listed if p.startswith("molgrid/")]) == 7
    assert len([p for p in listed if p.startswith("gnina_types/")]) == 7
    assert len([p for p in listed if p.startswith("moleculekit/")]) == 7
    for path, digest in listed.items():
        assert hashlib.sha256((DATA / path).read_bytes()).hexdigest() == digest, path
