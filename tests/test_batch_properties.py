"""Property tests: a batch with mixed parameters equals its single calls, bitwise.

Regression for a batch that shared one element -> channel cache between
params with different channel lists (issue 14): the second image drew its
atoms into the first one's channels.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import voxelize_cy as vc

ELEMENTS = ["C", "N", "O", "S", "FE", "ZN"]
CHANNEL_LISTS = [
    ["C", "N", "O", ".*"],
    ["O", "N", "C", ".*"],
    [".*", "C", "N", "O"],
    ["N|O", "C", "S|SE", ".*"],
    ["FE|ZN", "O", "C", "N|S"],
]
RADII = st.one_of(
    st.floats(0.3, 2.0),
    st.fixed_dictionaries(
        {"C": st.floats(0.3, 2.0), "N": st.floats(0.3, 2.0), "*": st.floats(0.3, 2.0)},
        optional={"O": st.floats(0.3, 2.0), "FE": st.floats(0.3, 2.0)}),
)


def table(seed, n=250, box=9.0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "element": rng.choice(ELEMENTS, n),
        "x": rng.uniform(-box, box, n),
        "y": rng.uniform(-box, box, n),
        "z": rng.uniform(-box, box, n),
        "occupancy": rng.choice([1.0, 0.5, 0.25], n),
    })


TABLES = [table(s) for s in range(3)]


@st.composite
def batches(draw):
    length = draw(st.integers(1, 10))
    n = draw(st.integers(1, 6))
    params = []
    for _ in range(n):
        center = draw(st.lists(st.floats(-6, 6), min_size=3, max_size=3))
        grid = vc.Grid(length, draw(st.sampled_from([0.5, 0.75, 1.0, 1.3])), np.array(center))
        params.append(vc.ImageParams(grid, list(draw(st.sampled_from(CHANNEL_LISTS))),
                                     draw(RADII)))
    tables = draw(st.one_of(
        st.sampled_from(TABLES),
        st.lists(st.sampled_from(TABLES), min_size=n, max_size=n)))
    return tables, params


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches(), dtype=st.sampled_from([np.float64, np.float32]),
       threads=st.sampled_from([1, 2]))
def test_mixed_batch_equals_single_calls(batch, dtype, threads):
    tables, params = batch
    images = vc.images_from_atoms(tables, params, dtype=dtype, num_threads=threads)
    for b, p in enumerate(params):
        atoms = tables if isinstance(tables, pd.DataFrame) else tables[b]
        assert np.array_equal(images[b], vc.image_from_atoms(atoms, p, dtype=dtype)), b


def test_issue_example_two_channel_orders():
    atoms = TABLES[0]
    g = vc.Grid(15, 1.0, np.zeros(3))
    p_cno = vc.ImageParams(grid=g, channels=["C", "N", "O", ".*"], element_radii_A=0.5)
    p_onc = vc.ImageParams(grid=g, channels=["O", "N", "C", ".*"], element_radii_A=0.5)
    batch = vc.images_from_atoms(atoms, [p_cno, p_onc])
    assert np.array_equal(batch[0], vc.image_from_atoms(atoms, p_cno))
    assert np.array_equal(batch[1], vc.image_from_atoms(atoms, p_onc))
    # Channel 0 holds carbon in one and oxygen in the other.
    assert not np.array_equal(batch[0][0], batch[1][0])
    assert np.array_equal(batch[0][0], batch[1][2])


def test_one_user_cache_for_two_channel_lists_is_refused():
    g = vc.Grid(9, 1.0, np.zeros(3))
    params = [vc.ImageParams(g, ["C", "N", "O", ".*"], 0.5),
              vc.ImageParams(g, ["O", "N", "C", ".*"], 0.5)]
    with pytest.raises(ValueError, match="different channel lists"):
        vc.images_from_atoms(TABLES[0], params, channel_cache={})
    # One channel list with a shared user cache is fine, and fills the cache.
    cache = {}
    vc.images_from_atoms(TABLES[0], [params[0], params[0]], channel_cache=cache)
    assert cache["C"] == 0 and cache["O"] == 2
