"""Every memory layout numpy and Arrow give a column: the right image or a clear error.

The same table is built in each layout (native and byte-swapped floats of
every width, integer coordinates and their byte-swapped forms, strided and
read-only arrays, sliced and chunked Arrow arrays, every Arrow string type,
dictionaries with every index width, categorical codes, byte-swapped
unicode) and each image is compared with the one of the plain table (native
float64 columns holding the same values, object elements): single calls,
batches, prepared tables and gradients.  Layouts that cannot hold
coordinates or elements get an error naming the column.
"""

import re

import numpy as np
import pandas as pd
import pytest

import voxelize_cy as vc

pa = pytest.importorskip("pyarrow")

COORDS = ("x", "y", "z", "occupancy")


@pytest.fixture(scope="module")
def plain():
    """A table whose numbers every width holds exactly (multiples of 1/8 below
    128: float16 has 11 significant bits), with the params of an image in it."""
    rng = np.random.default_rng(18)
    n = 300
    xyz = np.round(rng.uniform(-6, 6, size=(n, 3)) * 8) / 8
    occupancy = np.round(rng.uniform(0.25, 1.0, size=n) * 8) / 8
    elements = rng.choice(np.array(["C", "N", "O", "S", "FE"], dtype=object), size=n)
    table = {"element": elements, "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2],
             "occupancy": occupancy}
    params = vc.ImageParams(vc.Grid(12, 1.0, np.array([0.5, -0.25, 0.0])),
                            ["C", "N", "O", ".*"], {"C": 1.5, "N": 1.4, "O": 1.3, "*": 1.8})
    return table, params


@pytest.fixture(scope="module")
def integral():
    """A table with integer coordinates and occupancy 1 (for integer columns)."""
    rng = np.random.default_rng(181)
    n = 200
    xyz = rng.integers(-6, 7, size=(n, 3)).astype(np.float64)
    elements = rng.choice(np.array(["C", "N", "O"], dtype=object), size=n)
    table = {"element": elements, "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2],
             "occupancy": np.ones(n)}
    params = vc.ImageParams(vc.Grid(10, 1.0, np.array([0.25, 0.5, -0.5])),
                            ["C", "N", "O"], 0.9)
    return table, params


def shape_of(params):
    return (len(params.channels),) + tuple(params.grid.shape)


def swapped(values, dtype):
    """``values`` as ``dtype`` in the other byte order (same numbers)."""
    native = np.asarray(values).astype(dtype)
    other = native.dtype.newbyteorder("S")
    out = native.astype(other)
    assert not out.dtype.isnative and np.array_equal(out.astype(native.dtype), native)
    return out


def every_entry_point(table, params):
    """name -> result of each entry point on ``table`` (float64 arrays)."""
    grad_image = np.linspace(-1.0, 1.0, int(np.prod(shape_of(params)))).reshape(shape_of(params))
    return {
        "image": vc.image_from_atoms(table, params),
        "float32 image": vc.image_from_atoms(table, params, dtype=np.float32),
        "batch": vc.images_from_atoms(table, [params, params])[1],
        "prepared": vc.image_from_atoms(vc.prepare_atoms(table), params),
        "prepared batch": vc.images_from_atoms(vc.prepare_atoms(table), [params])[0],
        "gradients": vc.atom_gradients(table, params, grad_image),
    }


def assert_same_results(table, reference_table, params):
    got = every_entry_point(table, params)
    want = every_entry_point(reference_table, params)
    for name in want:
        assert got[name].dtype == want[name].dtype, name
        assert np.array_equal(got[name], want[name]), name
    assert want["image"].sum() > 1.0  # atoms are in the image: the test can fail


FLOAT_WIDTHS = ["f2", "f4", "f8"]
if hasattr(np, "longdouble") and np.dtype(np.longdouble).itemsize > 8:
    FLOAT_WIDTHS.append("g")


@pytest.mark.parametrize("form", ["dict", "pandas"])
@pytest.mark.parametrize("byte_order", ["native", "swapped"])
@pytest.mark.parametrize("width", FLOAT_WIDTHS)
def test_floats_of_every_width_and_byte_order(plain, width, byte_order, form):
    table, params = plain
    columns = {}
    for name in COORDS:
        native = table[name].astype(np.dtype(width))
        columns[name] = native if byte_order == "native" else swapped(native, width)
    layout = {"element": table["element"], **columns}
    if form == "pandas":
        layout = pd.DataFrame(layout)
    assert_same_results(layout, table, params)


@pytest.mark.parametrize("byte_order", ["native", "swapped"])
@pytest.mark.parametrize("width", ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"])
def test_integer_coordinates(integral, width, byte_order):
    table, params = integral
    if byte_order == "swapped" and np.dtype(width).itemsize == 1:
        pytest.skip("one-byte integers have no byte order")
    columns = {}
    for name in COORDS:
        values = table[name]
        if width.startswith("u"):
            values = values + 8  # unsigned: shift the structure, and the grid with it
        native = values.astype(width)
        columns[name] = native if byte_order == "native" else swapped(native, width)
    reference = dict(table)
    reference_params = params
    if width.startswith("u"):
        reference = {**table, **{c: table[c] + 8 for c in ("x", "y", "z")}}
        columns["occupancy"] = columns["occupancy"] - (8 if byte_order == "native" else 0)
        if byte_order == "swapped":
            columns["occupancy"] = swapped(np.ones(len(values)), width)
        center = np.asarray(params.grid.center_A) + 8
        reference_params = vc.ImageParams(vc.Grid(params.grid.length_voxels,
                                                  params.grid.resolution_A, center),
                                          params.channels, params.element_radii_A)
    assert_same_results({"element": table["element"], **columns}, reference,
                        reference_params)


def test_strided_read_only_and_fortran_views(plain):
    table, params = plain
    n = len(table["x"])
    wide = np.zeros((n, 8))
    for i, name in enumerate(COORDS):
        wide[:, 2 * i] = table[name]
    strided = {"element": table["element"],
               **{name: wide[:, 2 * i] for i, name in enumerate(COORDS)}}
    assert not strided["x"].flags.c_contiguous
    assert_same_results(strided, table, params)

    frozen = {name: np.array(values) for name, values in table.items()}
    for values in frozen.values():
        values.flags.writeable = False
    assert_same_results(frozen, table, params)

    reversed_twice = {name: np.ascontiguousarray(values[::-1])[::-1]
                      for name, values in table.items()}
    assert reversed_twice["x"].strides[0] < 0
    assert_same_results(reversed_twice, table, params)

    fortran = np.asfortranarray(np.stack([table[c] for c in COORDS], axis=1))
    as_columns = {"element": table["element"],
                  **{name: fortran[:, i] for i, name in enumerate(COORDS)}}
    assert_same_results(as_columns, table, params)


STRING_TYPES = {"string": pa.string(), "large_string": pa.large_string(),
                "string_view": pa.string_view()}
INDEX_TYPES = [pa.int8(), pa.int16(), pa.int32(), pa.int64(),
               pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64()]


def arrow_layouts(elements):
    """name -> the element column as an Arrow array of that layout."""
    values = list(elements)
    out = {}
    for name, string_type in STRING_TYPES.items():
        plain_array = pa.array(values, string_type)
        out[name] = plain_array
        padded = pa.array(["pad", "pad", "pad"] + values + ["tail"], string_type)
        out[f"{name}, sliced"] = padded.slice(3, len(values))
        out[f"{name}, chunked"] = pa.chunked_array(
            [plain_array.slice(0, 7), plain_array.slice(7, 0), plain_array.slice(7)])
        dictionary = plain_array.dictionary_encode()
        for index_type in INDEX_TYPES:
            encoded = pa.DictionaryArray.from_arrays(dictionary.indices.cast(index_type),
                                                     dictionary.dictionary)
            out[f"{name}, dictionary {index_type}"] = encoded
        out[f"{name}, dictionary, sliced chunks"] = pa.chunked_array(
            [dictionary.slice(0, 11), dictionary.slice(11)])
    return out


def test_every_arrow_element_layout(plain):
    table, params = plain
    layouts = arrow_layouts(table["element"])
    assert len(layouts) == 3 * (3 + len(INDEX_TYPES) + 1)
    for name, column in layouts.items():
        for form, atoms in (("dict", {**table, "element": column}),
                            ("pyarrow table", pa.table({**table, "element": column}))):
            try:
                assert_same_results(atoms, table, params)
            except AssertionError as err:
                raise AssertionError(f"{name} in a {form}: {err}") from None


def test_sliced_and_chunked_arrow_coordinates(plain):
    table, params = plain
    n = len(table["x"])
    arrow = {}
    for name in COORDS:
        padded = pa.array(np.concatenate([[1e4, 1e4], table[name], [1e4]]))
        arrow[name] = pa.chunked_array([padded.slice(2, 5), padded.slice(7, n - 5)])
    atoms = pa.table({"element": pa.array(list(table["element"])), **arrow})
    assert atoms.column("x").num_chunks == 2
    assert_same_results(atoms, table, params)
    as_float32 = pa.table({"element": list(table["element"]),
                           **{c: pa.array(table[c], pa.float32()) for c in COORDS}})
    assert_same_results(as_float32, table, params)
    as_float16 = pa.table({"element": list(table["element"]),
                           **{c: pa.array(table[c].astype(np.float16), pa.float16())
                              for c in COORDS}})
    assert_same_results(as_float16, table, params)


def test_element_storage_in_numpy_and_pandas(plain):
    table, params = plain
    elements = table["element"]
    width = max(len(e) for e in elements)
    layouts = {
        "unicode": elements.astype(f"<U{width}"),
        "byte-swapped unicode": elements.astype(f">U{width}"),
        "categorical": pd.Categorical(elements),
        "categorical, int16 codes": pd.Categorical(
            elements, categories=[f"unused{i}" for i in range(300)] + sorted(set(elements))),
        "pandas Arrow dictionary": pd.array(
            pa.array(list(elements)).dictionary_encode(), dtype=pd.ArrowDtype(
                pa.dictionary(pa.int8(), pa.string()))),
        "pandas large_string": pd.array(list(elements),
                                        dtype=pd.ArrowDtype(pa.large_string())),
    }
    for name, column in layouts.items():
        for form in ("dict", "pandas"):
            atoms = {**table, "element": column}
            if form == "pandas":
                atoms = pd.DataFrame(atoms)
            try:
                assert_same_results(atoms, table, params)
            except AssertionError as err:
                raise AssertionError(f"{name} in a {form}: {err}") from None


def test_polars_layouts(plain):
    pl = pytest.importorskip("polars")
    table, params = plain
    for dtype in (pl.Float32, pl.Float64):
        frame = pl.DataFrame({"element": list(table["element"]),
                              **{c: table[c] for c in COORDS}}).with_columns(
            [pl.col(c).cast(dtype) for c in COORDS])
        assert_same_results(frame, table, params)
    # from byte-swapped numpy columns (older polars refuse them: nothing to read
    # then), in several chunks
    try:
        swapped_frame = pl.DataFrame({"element": list(table["element"]),
                                      **{c: swapped(table[c], "f8") for c in COORDS}})
    except TypeError:
        swapped_frame = pl.DataFrame({"element": list(table["element"]),
                                      **{c: table[c] for c in COORDS}})
    chunked = pl.concat([swapped_frame[:50], swapped_frame[50:]], rechunk=False)
    assert chunked.n_chunks() == 2
    assert_same_results(chunked, table, params)


@pytest.mark.parametrize("column, dtype_word", [
    (lambda n: np.zeros(n, dtype=np.complex128), "complex128"),
    (lambda n: np.zeros(n, dtype=bool), "bool"),
    (lambda n: np.zeros(n, dtype="datetime64[s]"), "datetime64"),
    (lambda n: np.array(["1.0"] * n), "<U3"),
    (lambda n: np.zeros((n, 2)), "1-D"),
])
def test_unusable_coordinate_layouts_name_the_column(plain, column, dtype_word):
    table, params = plain
    n = len(table["x"])
    atoms = {**table, "y": column(n)}
    with pytest.raises((TypeError, ValueError), match=r"atoms\['y'\].*" + re.escape(dtype_word)):
        vc.image_from_atoms(atoms, params)
    with pytest.raises((TypeError, ValueError), match=r"atoms\['y'\]"):
        vc.prepare_atoms(atoms)
    with pytest.raises((TypeError, ValueError), match=r"atoms\['y'\]"):
        vc.atom_gradients(atoms, params, np.zeros(shape_of(params)))


def test_byte_swapped_outputs_and_gradients(plain):
    table, params = plain
    image = vc.image_from_atoms(table, params)
    out = np.zeros(shape_of(params), dtype=">f8")
    with pytest.raises(TypeError, match="out has dtype >f8; expected float64"):
        vc.image_from_atoms(table, params, out=out)
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got >f4"):
        vc.image_from_atoms(table, params, dtype=">f4")
    assert not out.any()  # nothing written into the refused array
    grad_image = np.linspace(-1, 1, image.size).reshape(image.shape)
    want = vc.atom_gradients(table, params, grad_image)
    assert np.array_equal(vc.atom_gradients(table, params, grad_image.astype(">f8")), want)
    want32 = vc.atom_gradients(table, params, grad_image.astype("<f4"))
    assert np.array_equal(vc.atom_gradients(table, params, grad_image.astype(">f4")), want32)
    assert np.abs(want32 - want).max() < 1e-5 * np.abs(want).max()
    # a byte-swapped frame is read by value
    frame = vc.random_frame(np.asarray(params.grid.center_A), np.random.default_rng(0))
    assert np.array_equal(vc.image_from_atoms(table, params, frame=frame.astype(">f8")),
                          vc.image_from_atoms(table, params, frame=frame))


# --------------------------------------------------------------------------
# Errors that name what the element column holds
# --------------------------------------------------------------------------

def bad_element_tables(n):
    """name -> (element column, the value at row 3 as the message shows it,
    what the message says the column holds)."""
    ints = np.arange(n)
    return {
        "integers": (ints, "3", "dtype int64"),
        "bytes, numpy": (np.array([b"C"] * n), "b'C'", "dtype |S1"),
        "bytes, Arrow binary": (pa.array([b"C"] * n, pa.binary()), "b'C'",
                                "Arrow type binary"),
        "bytes, Arrow large_binary": (pa.array([b"N"] * n, pa.large_binary()), "b'N'",
                                      "Arrow type large_binary"),
        "lists, Arrow": (pa.array([[1]] * n), "[1]", "Arrow type list<item: int64>"),
        "lists, Python": ([[1]] * n, "[1]", "list"),
        "integer categories": (pd.Categorical(ints), "3", "categories of dtype int64"),
        "Arrow integers": (pa.array(ints), "3", "Arrow type int64"),
    }


@pytest.mark.parametrize("name", list(bad_element_tables(1)))
def test_non_string_elements_are_named_with_their_value_and_type(name):
    n = 6
    column, shown, holds = bad_element_tables(n)[name]
    x = np.full(n, 50.0)
    x[3] = 0.0  # only row 3 is in the image
    atoms = {"element": column, "x": x, "y": np.zeros(n), "z": np.zeros(n),
             "occupancy": np.ones(n)}
    params = vc.ImageParams(vc.Grid(6, 1.0), [".*"], 1.0)
    pattern = (rf"atoms\['element'\] at row 3 is {re.escape(shown)} \(.*in a column of "
               rf".*{re.escape(holds)}\); expected a str such as 'C'")
    for form, table in (("dict", atoms), ("pandas", pd.DataFrame(atoms))):
        if form == "pandas" and isinstance(column, (pa.Array, pa.ChunkedArray)):
            table = pa.table(atoms)  # Arrow columns: a pyarrow Table
        with pytest.raises(ValueError, match=pattern if form == "dict" else
                           rf"row 3 is {re.escape(shown)} \(") as err:
            vc.image_from_atoms(table, params)
        assert "is None" not in str(err.value)
        with pytest.raises(ValueError, match=rf"row 3 is {re.escape(shown)} \("):
            vc.images_from_atoms(table, [params])
        with pytest.raises(ValueError, match=rf"row 3 is {re.escape(shown)} \("):
            vc.atom_gradients(table, params, np.zeros(shape_of(params)))
        prepared = vc.prepare_atoms(table)
        with pytest.raises(ValueError, match=rf"row 3 is {re.escape(shown)} \("):
            vc.image_from_atoms(prepared, params)
        import pickle
        with pytest.raises(ValueError, match=rf"row 3 is {re.escape(shown)} \("):
            vc.image_from_atoms(pickle.loads(pickle.dumps(prepared)), params)


def test_a_missing_element_is_called_missing():
    atoms = {"element": pa.array(["C", None, "N"]), "x": np.zeros(3), "y": np.zeros(3),
             "z": np.zeros(3), "occupancy": np.ones(3)}
    params = vc.ImageParams(vc.Grid(6, 1.0), [".*"], 1.0)
    with pytest.raises(ValueError, match=r"row 1 is None \(a missing value, in a column of "
                                         r"Arrow type string\)"):
        vc.image_from_atoms(atoms, params)


def test_polars_non_string_elements():
    pl = pytest.importorskip("polars")
    atoms = pl.DataFrame({"element": [6, 7, 8], "x": [0.0] * 3, "y": [0.0] * 3,
                          "z": [0.0] * 3, "occupancy": [1.0] * 3})
    params = vc.ImageParams(vc.Grid(6, 1.0), [".*"], 1.0)
    with pytest.raises(ValueError, match=r"row 0 is 6 \(int, in a column of dtype Int64\)"):
        vc.image_from_atoms(atoms, params)


@pytest.mark.parametrize("channels, index, pattern", [
    (["C(", ".*"], 0, "C("),
    (["C", "N", "[O", ".*"], 2, "[O"),
    (["C", "*"], 1, "*"),
])
def test_invalid_channel_pattern_names_pattern_and_index(channels, index, pattern):
    params = vc.ImageParams(vc.Grid(6, 1.0), channels, 1.0)
    atoms = {"element": ["C"], "x": [0.0], "y": [0.0], "z": [0.0], "occupancy": [1.0]}
    for call in (lambda: vc.image_from_atoms(atoms, params),
                 lambda: vc.images_from_atoms(atoms, [params]),
                 lambda: vc.atom_gradients(atoms, params, np.zeros(shape_of(params)))):
        with pytest.raises(re.error) as err:
            call()
        assert isinstance(err.value, vc.ChannelPatternError)
        message = str(err.value)
        assert f"img_params.channels[{index}] = {pattern!r}" in message
        assert "not a valid regular expression" in message
        assert err.value.pos is not None and err.value.pattern == pattern


def test_macromol_api_from_every_numeric_layout():
    """voxelize_cy.macromol reads polars' Arrow buffers in place: tables made
    from byte-swapped, narrow and integer numpy columns give the float64 image."""
    pl = pytest.importorskip("polars")
    import voxelize_cy.macromol as vm

    rng = np.random.default_rng(22)
    n = 120
    base = {"x": np.round(rng.uniform(-5, 5, n) * 8) / 8,
            "y": np.round(rng.uniform(-5, 5, n) * 8) / 8,
            "z": np.round(rng.uniform(-5, 5, n) * 8) / 8,
            "occupancy": np.round(rng.uniform(0.25, 1, n) * 8) / 8,
            "radius_A": np.round(rng.uniform(0.5, 2, n) * 8) / 8}
    elements = rng.choice(["C", "N", "O", "S"], n)
    params = vm.ImageParams(channels=3, grid=vm.Grid(length_voxels=10, resolution_A=1.0))

    def image(columns):
        try:
            table = pl.DataFrame({"element": elements, **columns})
        except TypeError:  # older polars refuse byte-swapped numpy arrays
            table = pl.DataFrame({"element": elements, **{
                name: values.astype(values.dtype.newbyteorder("="))
                for name, values in columns.items()}})
        table = vm.set_atom_channels_by_element(table, [["C"], ["N"], ["*"]])
        return vm.image_from_atoms(table, params)[0]

    want = image(base)
    assert want.sum() > 1.0
    for width in ("f2", "f4", "f8"):
        for byte_order in ("native", "swapped"):
            columns = {name: values.astype(width) if byte_order == "native"
                       else swapped(values, width) for name, values in base.items()}
            assert np.array_equal(image(columns), want), (width, byte_order)
