"""Bad input gets a clear error that names the problem: never a crash or a wrong image."""

import math

import numpy as np
import pandas as pd
import pytest

import voxelize_cy as vc


def atoms_df(**overrides):
    data = {"element": ["C", "N", "O"], "x": [0.0, 0.4, -0.3], "y": [0.1, -0.2, 0.3],
            "z": [0.0, 0.2, -0.1], "occupancy": [1.0, 1.0, 0.5]}
    data.update(overrides)
    return pd.DataFrame(data)


def params(length=4, resolution=1.0, center=(0.0, 0.0, 0.0), channels=("C", "N", ".*"),
           radii=0.6):
    return vc.ImageParams(vc.Grid(length, resolution, np.array(center)), list(channels), radii)


# (what, atoms, error type, message regex)
BAD_ATOMS = [
    ("NaN x", atoms_df(x=[0.0, math.nan, 0.0]), ValueError, r"atoms\['x'\] at row 1 is nan"),
    ("inf y", atoms_df(y=[0.0, 0.0, math.inf]), ValueError, r"atoms\['y'\] at row 2 is inf"),
    ("-inf z far away", atoms_df(z=[-math.inf, 0.0, 0.0]), ValueError, r"atoms\['z'\] at row 0"),
    ("NaN occupancy", atoms_df(occupancy=[1.0, math.nan, 1.0]), ValueError,
     r"atoms\['occupancy'\] at row 1 is nan"),
    ("inf occupancy", atoms_df(occupancy=[math.inf, 1.0, 1.0]), ValueError,
     r"atoms\['occupancy'\] at row 0"),
    ("negative occupancy", atoms_df(occupancy=[1.0, 1.0, -0.5]), ValueError,
     r"atoms\['occupancy'\] at row 2 is -0.5"),
    ("missing column", atoms_df().drop(columns=["occupancy"]), ValueError,
     r"missing column\(s\) \['occupancy'\]"),
    ("missing columns", atoms_df().drop(columns=["x", "element"]), ValueError,
     r"missing column\(s\) \['element', 'x'\]"),
    ("text coordinates", atoms_df(x=["0", "1", "2"]), TypeError, r"atoms\['x'\] must be numeric"),
    ("bool coordinates", atoms_df(z=[True, False, True]), TypeError, r"atoms\['z'\] must be numeric"),
    ("None element", atoms_df(element=["C", None, "O"]), ValueError,
     r"atoms\['element'\] at row 1 is (None|nan)"),
    ("number element", atoms_df(element=["C", 6, "O"]), ValueError,
     r"atoms\['element'\] at row 1 is 6"),
    ("not a table", [("C", 0, 0, 0, 1)], TypeError, r"atoms must be a pandas DataFrame"),
    ("mismatched lengths", {"element": np.array(["C", "N"], dtype=object), "x": [0.0, 0.1],
                            "y": [0.0], "z": [0.0, 0.0], "occupancy": [1.0, 1.0]},
     ValueError, r"differ in length"),
    ("2-D column", {"element": np.array(["C"], dtype=object), "x": [[0.0]], "y": [0.0],
                    "z": [0.0], "occupancy": [1.0]}, ValueError, r"must be 1-D"),
]


@pytest.mark.parametrize("what, atoms, error, message", BAD_ATOMS, ids=[b[0] for b in BAD_ATOMS])
def test_bad_atoms(what, atoms, error, message):
    with pytest.raises(error, match=message):
        vc.image_from_atoms(atoms, params())
    with pytest.raises(error, match=message):
        vc.images_from_atoms(atoms, [params(), params(center=(1.0, 0.0, 0.0))])


BAD_GRIDS = [
    ("zero length", lambda: vc.Grid(0, 1.0), ValueError, r"length_voxels must be >= 1, got 0"),
    ("negative length", lambda: vc.Grid(-3, 1.0), ValueError, r"length_voxels must be >= 1"),
    ("float length", lambda: vc.Grid(15.0, 1.0), TypeError, r"length_voxels must be an integer"),
    ("text length", lambda: vc.Grid("15", 1.0), TypeError, r"length_voxels must be an integer"),
    ("bool length", lambda: vc.Grid(True, 1.0), TypeError, r"length_voxels must be an integer"),
    ("zero resolution", lambda: vc.Grid(5, 0.0), ValueError, r"resolution_A must be finite and > 0"),
    ("negative resolution", lambda: vc.Grid(5, -1.0), ValueError, r"resolution_A"),
    ("NaN resolution", lambda: vc.Grid(5, math.nan), ValueError, r"resolution_A"),
    ("inf resolution", lambda: vc.Grid(5, math.inf), ValueError, r"resolution_A"),
    ("text resolution", lambda: vc.Grid(5, "1.0"), TypeError, r"resolution_A must be a number"),
]


@pytest.mark.parametrize("what, make, error, message", BAD_GRIDS, ids=[b[0] for b in BAD_GRIDS])
def test_bad_grids(what, make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_numpy_integer_length_is_accepted():
    grid = vc.Grid(np.int64(3), np.float32(1.0))
    img = vc.image_from_atoms(atoms_df(), vc.ImageParams(grid, [".*"], 0.5))
    assert img.shape == (1, 3, 3, 3)


BAD_PARAMS = [
    ("centre of 2", dict(center=(0.0, 0.0)), ValueError, r"grid.center_A must be 3 numbers"),
    ("NaN centre", dict(center=(0.0, math.nan, 0.0)), ValueError, r"grid.center_A must be finite"),
    ("inf centre", dict(center=(math.inf, 0.0, 0.0)), ValueError, r"grid.center_A must be finite"),
    ("zero radius", dict(radii=0.0), ValueError, r"element_radii_A must be finite and > 0, got 0.0"),
    ("negative radius", dict(radii=-0.5), ValueError, r"element_radii_A must be finite and > 0"),
    ("NaN radius", dict(radii=math.nan), ValueError, r"element_radii_A must be finite and > 0"),
    ("inf radius", dict(radii=math.inf), ValueError, r"element_radii_A"),
    ("negative dict radius", dict(radii={"C": 0.5, "*": -1.0}), ValueError,
     r"element_radii_A\['\*'\] must be finite and > 0"),
    ("text radius", dict(radii={"C": "big"}), TypeError, r"element_radii_A\['C'\] must be a number"),
    ("empty radii", dict(radii={}), ValueError, r"element_radii_A is an empty dict"),
    ("list radii", dict(radii=[0.5]), TypeError, r"element_radii_A must be a number or a dict"),
    ("no channels", dict(channels=()), ValueError, r"channels is empty"),
    ("str channels", dict(channels="CNO"), TypeError, r"channels must be a list"),
    ("non-str channel", dict(channels=("C", 7)), TypeError, r"channels holds 7"),
]


@pytest.mark.parametrize("what, kwargs, error, message", BAD_PARAMS, ids=[b[0] for b in BAD_PARAMS])
def test_bad_params(what, kwargs, error, message):
    if "center" in kwargs:
        p = vc.ImageParams(vc.Grid(4, 1.0, np.array(kwargs["center"])), ["C", ".*"], 0.5)
    elif isinstance(kwargs.get("channels"), str):
        p = vc.ImageParams(vc.Grid(4, 1.0), kwargs["channels"], 0.5)
    else:
        p = params(**kwargs)
    with pytest.raises(error, match=message):
        vc.image_from_atoms(atoms_df(), p)
    with pytest.raises(error, match=message):
        vc.images_from_atoms(atoms_df(), p)


def test_wrong_object_types():
    with pytest.raises(TypeError, match="img_params must be an ImageParams"):
        vc.image_from_atoms(atoms_df(), {"grid": None})
    with pytest.raises(TypeError, match="img_params.grid must be a Grid"):
        vc.image_from_atoms(atoms_df(), vc.ImageParams(None, ["C"], 0.5))
    with pytest.raises(TypeError, match="channel_cache must be a dict"):
        vc.image_from_atoms(atoms_df(), params(), channel_cache=[])
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        vc.image_from_atoms(atoms_df(), params(), dtype=np.int64)
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        vc.image_from_atoms(atoms_df(), params(), dtype="not a dtype")


def test_stale_channel_cache_cannot_index_outside_the_image():
    cache = {"C": 7}
    with pytest.raises(ValueError, match="maps element 'C' to channel 7, but the image has 3"):
        vc.image_from_atoms(atoms_df(), params(), channel_cache=cache)
    with pytest.raises(ValueError, match="maps element 'C' to channel 7"):
        vc.images_from_atoms(atoms_df(), params(), channel_cache=cache)


def test_original_errors_are_kept():
    with pytest.raises(RuntimeError, match="element O didn't match any channels"):
        vc.image_from_atoms(atoms_df(), params(channels=("C", "N")))
    with pytest.raises(KeyError):
        vc.image_from_atoms(atoms_df(), params(radii={"C": 0.5, "N": 0.5}))


@pytest.mark.parametrize("table", [
    atoms_df().iloc[:0],
    {"element": np.array([], dtype=object), "x": [], "y": [], "z": [], "occupancy": []},
])
def test_empty_table_gives_zero_image(table):
    img = vc.image_from_atoms(table, params())
    assert img.shape == (3, 4, 4, 4) and not img.any()
    batch = vc.images_from_atoms(table, [params(), params()])
    assert batch.shape == (2, 3, 4, 4, 4) and not batch.any()


def test_one_voxel_grid_and_atoms_far_away():
    p = params(length=1, resolution=2.0)
    img = vc.image_from_atoms(atoms_df(x=[0.0, 1e300, -1e300]), p)
    assert img.shape == (3, 1, 1, 1)
    assert img[0, 0, 0, 0] == pytest.approx(1.0)  # C: r = 0.6 inside the 2 A voxel
    assert img[1:].sum() == 0


def test_negative_zero_occupancy_is_valid():
    img = vc.image_from_atoms(atoms_df(occupancy=[-0.0, 1.0, 1.0]), params())
    assert img[0].sum() == 0 and img[1].sum() == pytest.approx(1.0)


def long_table(n=203, seed=3):
    """Atoms spread over 40 A, most of them outside a small image: the row
    scan's vector loops (8 and 4 rows at a time) and its tail all see rows."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"element": rng.choice(["C", "N", "O", "S"], n),
                         "x": rng.uniform(-20, 20, n), "y": rng.uniform(-20, 20, n),
                         "z": rng.uniform(-20, 20, n), "occupancy": np.ones(n)})


@pytest.mark.parametrize("column, value, message", [
    ("x", math.nan, "is nan"), ("y", math.inf, "is inf"), ("z", -math.inf, "is -inf"),
    ("occupancy", math.nan, "is nan"), ("occupancy", -0.25, "is -0.25"),
])
def test_a_bad_row_is_found_wherever_it_is(column, value, message):
    """Every position of a long table: in the vector body of the scan, at a
    vector's edge, in the tail; also far outside the image."""
    p = params(length=6, resolution=1.0)
    for row in (0, 1, 3, 4, 7, 8, 9, 15, 16, 100, 191, 192, 199, 200, 202):
        table = long_table()
        table.loc[row, column] = value
        with pytest.raises(ValueError, match=rf"atoms\['{column}'\] at row {row} {message}"):
            vc.image_from_atoms(table, p)


def test_negative_zero_occupancies_in_a_long_table_are_valid():
    table = long_table()
    want = vc.image_from_atoms(table, params(length=6))
    table.loc[[0, 8, 13, 100, 202], "occupancy"] = -0.0
    kept = table["occupancy"].to_numpy() != 0
    got = vc.image_from_atoms(table, params(length=6))
    assert np.array_equal(got, vc.image_from_atoms(table[kept].reset_index(drop=True),
                                                   params(length=6)))
    assert got.sum() <= want.sum()


def test_image_too_large_raises_memory_error():
    p = params(length=200_000)
    with pytest.raises(MemoryError):
        vc.image_from_atoms(atoms_df(), p)
    with pytest.raises(MemoryError):
        vc.images_from_atoms(atoms_df(), [p, p])


def test_integer_and_float32_columns_are_converted():
    df = atoms_df(x=[0, 1, -1], occupancy=np.array([1, 1, 1], dtype=np.float32))
    img = vc.image_from_atoms(df, params())
    ref = vc.image_from_atoms(df.astype({"x": float, "occupancy": float}), params())
    assert np.array_equal(img, ref)


def test_categorical_and_arrow_like_element_columns():
    df = atoms_df()
    ref = vc.image_from_atoms(df, params())
    cat = df.assign(element=df["element"].astype("category"))
    assert np.array_equal(vc.image_from_atoms(cat, params()), ref)
    obj = df.assign(element=df["element"].astype(object))
    assert np.array_equal(vc.image_from_atoms(obj, params()), ref)


def test_duplicate_column_names_use_the_public_path():
    df = atoms_df()
    df.insert(0, "dup", 1.0)
    df.insert(1, "dup", 2.0, allow_duplicates=True)
    ref = vc.image_from_atoms(atoms_df(), params())
    assert np.array_equal(vc.image_from_atoms(df, params()), ref)


def test_params_mutation_between_calls_is_seen():
    p = params(radii=0.5)
    a = vc.image_from_atoms(atoms_df(), p)
    p.element_radii_A = 1.5
    b = vc.image_from_atoms(atoms_df(), p)
    assert not np.array_equal(a, b)
    assert a.sum() == pytest.approx(b.sum())  # all atoms are inside either way
