"""Every form of atom table gives bitwise the same image, equal to the goldens.

pandas (Python strings, Arrow strings of each width, object, categorical,
Arrow dictionaries), polars (String, Categorical, Enum, several chunks),
pyarrow tables, dicts of numpy arrays, and tables edited between calls.
"""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, golden_atoms

import voxelize_cy as vc

CASES = json.loads((DATA / "golden" / "cases.json").read_text())
# One case of each kind, on three structures.
PICKED = [c for c in CASES if c["structure"] in ("1qjg", "171l", "2ypi")
          and c["id"].endswith("-0")]


def params_of(case):
    return vc.ImageParams(vc.Grid(case["length_voxels"], case["resolution_A"],
                                  np.array(case["center_A"])),
                          case["channels"], case["element_radii_A"])


def forms(table):
    """name -> the same table in another form."""
    elements = table["element"].to_numpy(dtype=object)
    kinds = sorted({e for e in elements if isinstance(e, str)})
    strings = [e if isinstance(e, str) else None for e in elements]  # NaN -> None
    has_missing = len(kinds) and any(not isinstance(e, str) for e in elements)
    cols = {c: table[c].to_numpy(dtype=np.float64) for c in ("x", "y", "z", "occupancy")}
    out = {
        "pandas default": pd.DataFrame({"element": list(elements), **cols}),
        "pandas python strings": pd.DataFrame(
            {"element": pd.array(elements, dtype=pd.StringDtype("python")), **cols}),
        "pandas object": pd.DataFrame({"element": pd.Series(elements, dtype=object), **cols}),
        "pandas categorical": pd.DataFrame({"element": pd.Categorical(elements), **cols}),
        "pandas categorical, int16 codes": pd.DataFrame({"element": pd.Categorical(
            elements, categories=[f"unused{i}" for i in range(200)] + kinds), **cols}),
        "pandas deep copy": pd.DataFrame({"element": list(elements), **cols}).copy(deep=True),
        "pandas sliced (row offset)": pd.concat(
            [pd.DataFrame({"element": ["C"] * 3, **{c: [1e4] * 3 for c in cols}}),
             pd.DataFrame({"element": list(elements), **cols})],
            ignore_index=True).iloc[3:],
        "dict, object array": {"element": elements, **cols},
        "dict, list": {"element": list(elements), **{c: list(v) for c, v in cols.items()}},
    }
    if not has_missing:  # a unicode array cannot hold a missing value
        out["dict, unicode array"] = {"element": elements.astype(str), **cols}
    try:
        import pyarrow as pa
    except ImportError:
        pa = None
    if pa is not None:
        for name, arrow_type in (("string", pa.string()), ("large_string", pa.large_string()),
                                 ("string_view", pa.string_view())):
            out[f"pandas ArrowDtype({name})"] = pd.DataFrame(
                {"element": pd.array(pa.array(strings, type=arrow_type),
                                     dtype=pd.ArrowDtype(arrow_type)), **cols})
        dictionary = pa.array(strings).dictionary_encode()
        out["pandas ArrowDtype(dictionary)"] = pd.DataFrame(
            {"element": pd.array(dictionary, dtype=pd.ArrowDtype(dictionary.type)), **cols})
        half = len(elements) // 3
        chunked = pa.chunked_array([pa.array(strings[:half]),
                                    pa.array(strings[half:])])
        out["pandas Arrow, two chunks"] = pd.DataFrame(
            {"element": pd.array(chunked, dtype=pd.ArrowDtype(pa.string())), **cols})
        out["pyarrow Table"] = pa.table({"element": pa.array(strings), **cols})
        out["dict, pyarrow array"] = {"element": pa.array(strings), **cols}
    try:
        import polars as pl
    except ImportError:
        pl = None
    if pl is not None:
        frame = pl.DataFrame({"element": strings, **cols})
        out["polars String"] = frame
        out["polars Categorical"] = frame.with_columns(pl.col("element").cast(pl.Categorical))
        out["polars Enum"] = frame.with_columns(
            pl.col("element").cast(pl.Enum(kinds)))
        half = len(elements) // 2
        out["polars, two chunks"] = pl.concat([frame[:half], frame[half:]], rechunk=False)
    return out


@pytest.fixture(scope="module")
def golden_tables(golden):
    _, npz = golden
    return {s: golden_atoms(npz, s) for s in {c["structure"] for c in PICKED}}


@pytest.mark.parametrize("case", PICKED, ids=[c["id"] for c in PICKED])
def test_every_form_gives_the_golden_image_bitwise(case, golden, golden_tables):
    _, npz = golden
    expected = npz[f"{case['id']}/image"]
    params = params_of(case)
    reference = vc.image_from_atoms(golden_tables[case["structure"]], params)
    assert np.abs(reference - expected).max() <= 1e-10
    for name, table in forms(golden_tables[case["structure"]]).items():
        img = vc.image_from_atoms(table, params)
        assert np.array_equal(img, reference), name
        batch = vc.images_from_atoms(table, [params, params], num_threads=2)
        assert np.array_equal(batch[0], reference) and np.array_equal(batch[1], reference), name


def test_polars_two_chunks_really_has_two_chunks(golden_tables):
    pytest.importorskip("polars")
    table = forms(golden_tables["171l"])["polars, two chunks"]
    assert table["element"].n_chunks() == 2


def labelled_table(labels):
    """Atoms on a line through the origin, one per label."""
    n = len(labels)
    return {"element": labels, "x": np.linspace(-3, 3, n), "y": np.zeros(n),
            "z": np.zeros(n), "occupancy": np.ones(n)}


@pytest.mark.parametrize("labels", [
    ["C", "CA_LONG_LABEL_OVER_12_BYTES", "É", "碳", "N"],  # view strings out of line, UTF-8
    ["", "C", ""],                                          # empty strings
])
def test_unusual_labels_in_every_string_storage(labels):
    params = vc.ImageParams(vc.Grid(9, 1.0), ["C", "CA_.*", "É|碳", ".*"], 0.6)
    table = labelled_table(labels)
    reference = vc.image_from_atoms(table, params)
    assert reference.sum() == pytest.approx(len(labels))
    for name, other in forms(pd.DataFrame(table)).items():
        assert np.array_equal(vc.image_from_atoms(other, params), reference), name


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_a_missing_element_inside_the_image_names_its_row(missing):
    table = pd.DataFrame(labelled_table(["C", "N", "O"]))
    table["element"] = table["element"].astype(object)
    table.loc[1, "element"] = missing
    params = vc.ImageParams(vc.Grid(9, 1.0), ["C", ".*"], 0.6)
    for name, other in forms(table).items():
        with pytest.raises(ValueError, match="row 1"):
            vc.image_from_atoms(other, params)


def test_a_missing_element_outside_the_image_is_ignored():
    table = labelled_table(["C", "N", "O"])
    table["x"] = np.array([0.0, 100.0, 0.5])
    table["element"] = np.array(["C", None, "O"], dtype=object)
    params = vc.ImageParams(vc.Grid(9, 1.0), ["C", ".*"], 0.6)
    reference = vc.image_from_atoms(
        {k: (v[[0, 2]] if isinstance(v, np.ndarray) else v) for k, v in table.items()}, params)
    for name, other in forms(pd.DataFrame(table)).items():
        assert np.array_equal(vc.image_from_atoms(other, params), reference), name


def test_numbers_or_bytes_as_elements_are_refused_naming_the_row():
    params = vc.ImageParams(vc.Grid(9, 1.0), [".*"], 0.6)
    for elements in (np.array([6, 7, 8]), np.array([b"C", b"N", b"O"])):
        with pytest.raises(ValueError, match=r"row 0 .*expected a str"):
            vc.image_from_atoms(labelled_table(elements), params)


def test_edits_between_calls_are_seen():
    """Nothing is cached per table: an edited table gives the edited image."""
    table = pd.DataFrame(labelled_table(["C", "C", "C"]))
    table["element"] = table["element"].astype(object)
    params = vc.ImageParams(vc.Grid(9, 1.0), ["C", "N"], 0.6)
    before = vc.image_from_atoms(table, params)
    assert before[1].sum() == 0
    table.loc[1, "element"] = "N"          # in place, same column object
    after = vc.image_from_atoms(table, params)
    assert after[1].sum() == pytest.approx(1.0)
    table.loc[2, "x"] = 100.0             # moved out of the image
    assert vc.image_from_atoms(table, params).sum() == pytest.approx(2.0)
    elements = np.array(["C", "C", "C"], dtype=object)
    as_dict = {**labelled_table(["C"] * 3), "element": elements}
    vc.image_from_atoms(as_dict, params)
    elements[0] = "N"                      # the same array, edited
    assert vc.image_from_atoms(as_dict, params)[1].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("make", [
    lambda: pd.DataFrame({"element": pd.Series([], dtype=str), "x": [], "y": [], "z": [],
                          "occupancy": []}),
    lambda: {"element": np.array([], dtype=str), "x": np.array([]), "y": np.array([]),
             "z": np.array([]), "occupancy": np.array([])},
])
def test_empty_tables(make):
    params = vc.ImageParams(vc.Grid(5, 1.0), [".*"], 0.5)
    assert not vc.image_from_atoms(make(), params).any()
