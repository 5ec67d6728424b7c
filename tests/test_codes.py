"""The kernels' codes are declared once (``core/src/codes.h``) and seen from
Python as IntEnums with the same values; every status maps to one exception."""

import re
from pathlib import Path

import pytest

from voxelize_cy.core import Aggregation, Fill, ImageStatus, Screen, SelectStatus
from voxelize_cy.images import AGGREGATIONS, FILLS, STATUS_ERRORS, RowReport

HEADER = Path(__file__).resolve().parents[1] / "voxelize_cy" / "core" / "src" / "codes.h"
ENUMS = {"vcy_image_status": ImageStatus, "vcy_fill": Fill, "vcy_aggregation": Aggregation,
         "vcy_screen": Screen, "vcy_select_status": SelectStatus}


def header_enums():
    """{C enum name: {member: value}} as codes.h writes them."""
    text = re.sub(r"/\*.*?\*/", "", HEADER.read_text(), flags=re.S)
    found = {}
    for name, body in re.findall(r"enum\s+(\w+)\s*\{(.*?)\}", text, re.S):
        found[name] = {m: int(v) for m, v in re.findall(r"(\w+)\s*=\s*(-?\d+)", body)}
    return found


@pytest.mark.parametrize("c_name", sorted(ENUMS))
def test_python_enums_have_the_c_values(c_name):
    members = header_enums()[c_name]
    python = ENUMS[c_name]
    assert {m.name: int(m) for m in python} == members
    assert all(isinstance(m, int) for m in python)  # IntEnums: usable as kernel codes


def test_every_failure_status_has_one_exception():
    failures = {s for s in ImageStatus if s != ImageStatus.IMAGE_OK}
    assert set(STATUS_ERRORS) == failures
    for status, (kind, method) in STATUS_ERRORS.items():
        assert issubclass(kind, Exception)
        error = RowReport("image 2: ").error(status, 7)
        assert isinstance(error, kind), status
        assert str(error).strip("'\"").startswith("image 2: "), status


def test_a_report_can_raise_its_own_value_error():
    class Custom(ValueError):
        pass

    class Rows(RowReport):
        value_error = Custom

    assert isinstance(Rows().error(ImageStatus.IMAGE_BAD_RADIUS, 0), Custom)
    assert isinstance(Rows().error(ImageStatus.IMAGE_NO_MEMORY, 0), MemoryError)


def test_the_choices_name_the_kernel_codes():
    assert FILLS["gaussian"] is Fill.FILL_GAUSSIAN and FILLS["binary"] is Fill.FILL_BINARY
    assert set(FILLS.values()) == set(Fill)
    assert AGGREGATIONS == {"sum": Aggregation.AGG_SUM, "max": Aggregation.AGG_MAX}


def test_no_python_module_spells_a_status_as_a_number():
    package = HEADER.parents[2]
    bare = re.compile(r"\bstatus(?:\[\w+\])?\)?\s*[!=]=\s*\d")
    offenders = [f"{p.relative_to(package)}:{i}" for p in package.rglob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1) if bare.search(line)]
    assert offenders == []
