"""images_from_atoms: bitwise equal to per-image calls; dtype=, out=, broadcasting, errors."""

import os
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest

import voxelize_cy as vc
from voxelize_cy.core import _kernels


def random_table(seed, n=300, box=12.0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "element": rng.choice(["C", "N", "O", "S", "FE"], n),
        "x": rng.uniform(-box, box, n),
        "y": rng.uniform(-box, box, n),
        "z": rng.uniform(-box, box, n),
        "occupancy": rng.choice([1.0, 0.5, 0.3], n),
    })


def params_at(centers, length=9, resolution=1.0, radii=0.6, channels=("C", "N", "O", ".*")):
    return [vc.ImageParams(vc.Grid(length, resolution, np.asarray(c, dtype=float)),
                           list(channels), radii) for c in centers]


@pytest.fixture(scope="module")
def tables():
    return [random_table(s) for s in range(3)]


@pytest.fixture(scope="module")
def centers():
    return np.random.default_rng(9).uniform(-8, 8, (12, 3))


@pytest.mark.parametrize("num_threads", [1, 2, 4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batch_equals_single_one_table_many_centres(tables, centers, num_threads, dtype):
    params = params_at(centers)
    batch = vc.images_from_atoms(tables[0], params, num_threads=num_threads, dtype=dtype)
    single = np.stack([vc.image_from_atoms(tables[0], p, dtype=dtype) for p in params])
    assert batch.dtype == dtype and batch.shape == (12, 4, 9, 9, 9)
    assert np.array_equal(batch, single)
    assert batch.sum() > 0


@pytest.mark.parametrize("length", [9, 70])  # 70: a channel past the in-cache scratch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batch_channel_by_channel_equals_single_with_empty_and_shared_channels(
        tables, length, dtype):
    """Batch images are made channel by channel (in a scratch channel, a channel
    without atoms zeroed apart); channels no atom reaches, and atoms in several
    channels (which take the whole-image path), give the single images."""
    centers = np.array([[0.0, 0.0, 0.0], [200.0, 0.0, 0.0], [3.0, -2.0, 1.0]])
    for channels in (("C", "N", "XE", "O", ".*"), ("C", "[CN]", "XE", ".*")):
        params = params_at(centers, length=length, resolution=1.0, channels=channels)
        batch = vc.images_from_atoms(tables[1], params, dtype=dtype, num_threads=2)
        single = np.stack([vc.image_from_atoms(tables[1], p, dtype=dtype) for p in params])
        assert np.array_equal(batch, single)
        assert not batch[:, 2].any() and not batch[1].any() and batch[0].sum() > 0


@pytest.mark.parametrize("num_threads", [1, 2, 4])
def test_batch_mixed_tables_and_params(tables, centers, num_threads):
    atoms = [tables[i % 3] for i in range(12)]
    params = params_at(centers[:6], radii={"C": 0.7, "N": 0.65, "*": 0.5}) + params_at(
        centers[6:], resolution=0.8, radii=0.9)
    batch = vc.images_from_atoms(atoms, params, num_threads=num_threads)
    single = np.stack([vc.image_from_atoms(a, p) for a, p in zip(atoms, params)])
    assert np.array_equal(batch, single)


def test_broadcast_one_params_many_tables(tables):
    p = params_at([[0.0, 0.0, 0.0]])[0]
    batch = vc.images_from_atoms(tables, p, num_threads=2)
    assert batch.shape[0] == 3
    for b, t in enumerate(tables):
        assert np.array_equal(batch[b], vc.image_from_atoms(t, p))


def test_single_table_and_single_params_give_a_batch_of_one(tables):
    p = params_at([[1.0, 2.0, 3.0]])[0]
    batch = vc.images_from_atoms(tables[0], p)
    assert batch.shape == (1, 4, 9, 9, 9)
    assert np.array_equal(batch[0], vc.image_from_atoms(tables[0], p))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_out_is_filled_in_place_and_reused(tables, centers, dtype):
    params = params_at(centers)
    out = np.full((12, 4, 9, 9, 9), 7.0, dtype=dtype)
    got = vc.images_from_atoms(tables[1], params, out=out, dtype=dtype, num_threads=2)
    assert got is out
    expected = vc.images_from_atoms(tables[1], params, dtype=dtype, num_threads=1)
    assert np.array_equal(out, expected)
    # Reuse with other inputs: nothing of the previous call survives.
    vc.images_from_atoms(tables[2], params, out=out, dtype=dtype)
    assert np.array_equal(out, vc.images_from_atoms(tables[2], params, dtype=dtype))


def test_image_from_atoms_out_and_dtype(tables):
    p = params_at([[0.5, -0.5, 0.0]])[0]
    ref = vc.image_from_atoms(tables[0], p)
    out = np.full(ref.shape, -1.0)
    assert vc.image_from_atoms(tables[0], p, out=out) is out
    assert np.array_equal(out, ref)
    out32 = np.full(ref.shape, 3.0, dtype=np.float32)
    vc.image_from_atoms(tables[0], p, out=out32, dtype=np.float32)
    np.testing.assert_allclose(out32, ref, rtol=1e-6, atol=1e-7)
    assert vc.image_from_atoms(tables[0], p, dtype="float32").dtype == np.float32


@pytest.mark.parametrize("bad_out, error", [
    (np.zeros((2, 4, 9, 9, 9), dtype=np.float32), TypeError),       # wrong dtype
    (np.zeros((3, 4, 9, 9, 8)), ValueError),                        # wrong shape
    (np.zeros((3, 4, 9, 9, 18))[..., ::2], ValueError),             # not contiguous
    ([[0.0]], TypeError),                                           # not an array
])
def test_bad_out_is_rejected(tables, bad_out, error):
    params = params_at(np.zeros((3, 3)))
    if isinstance(bad_out, np.ndarray) and bad_out.shape[0] == 2:
        params = params[:2]
    with pytest.raises(error, match="out"):
        vc.images_from_atoms(tables[0], params, out=bad_out)


def test_read_only_out_is_rejected(tables):
    out = np.zeros((1, 4, 9, 9, 9))
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        vc.images_from_atoms(tables[0], params_at([[0, 0, 0]]), out=out)


def test_mismatched_shapes_are_rejected(tables):
    p = params_at([[0, 0, 0]])[0]
    other_length = params_at([[0, 0, 0]], length=11)[0]
    other_channels = params_at([[0, 0, 0]], channels=("C", ".*"))[0]
    with pytest.raises(ValueError, match="length_voxels"):
        vc.images_from_atoms(tables[0], [p, other_length])
    with pytest.raises(ValueError, match="channel count"):
        vc.images_from_atoms(tables[0], [p, other_channels])
    with pytest.raises(ValueError, match="atoms has 3 tables and img_params has 2 entries"):
        vc.images_from_atoms(tables, [p, p])
    with pytest.raises(ValueError, match="empty"):
        vc.images_from_atoms([], p)
    with pytest.raises(TypeError, match="dtype"):
        vc.images_from_atoms(tables[0], p, dtype=np.int32)
    with pytest.raises(ValueError, match="num_threads"):
        vc.images_from_atoms(tables[0], p, num_threads=0)
    with pytest.raises(TypeError, match="num_threads"):
        vc.images_from_atoms(tables[0], p, num_threads=1.5)


def test_batch_raises_the_originals_errors_for_the_first_bad_image(tables):
    atoms = pd.DataFrame({"element": ["C", "XX"], "x": [0.0, 30.0], "y": 0.0, "z": 0.0,
                          "occupancy": 1.0})
    p_ok = params_at([[0, 0, 0]], channels=("C",))[0]
    p_bad = params_at([[30, 0, 0]], channels=("C",))[0]
    # XX matches no channel but only matters in the second image.
    assert vc.images_from_atoms(atoms, [p_ok, p_ok]).shape[0] == 2
    with pytest.raises(RuntimeError, match="element XX didn't match any channels"):
        vc.images_from_atoms(atoms, [p_ok, p_bad])
    p_radius = params_at([[30, 0, 0]], channels=(".*",), radii={"C": 0.5})[0]
    with pytest.raises(KeyError):
        vc.images_from_atoms(atoms, [p_radius])


def test_batch_reports_bad_rows_with_the_table_number(tables):
    bad = tables[0].copy()
    bad.loc[5, "y"] = np.nan
    with pytest.raises(ValueError, match=r"atoms\[1\]: atoms\['y'\] at row 5"):
        vc.images_from_atoms([tables[0], bad], params_at([[0, 0, 0]])[0])


def test_num_threads_default_honours_omp_num_threads(tmp_path):
    code = "from voxelize_cy.core import _kernels; print(_kernels.max_threads())"
    env = dict(os.environ, OMP_NUM_THREADS="3")
    # cwd outside the source tree, so the installed (built) package is imported.
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, cwd=tmp_path).stdout
    assert int(out) == (3 if _kernels.OPENMP else 1)


def test_single_calls_from_python_threads_equal_serial(tables, centers):
    """image_from_atoms releases the GIL; concurrent calls give serial results."""
    params = params_at(centers)
    expected = [vc.image_from_atoms(tables[0], p) for p in params]
    results = {}

    def work(k):
        cache = {}
        results[k] = [vc.image_from_atoms(tables[0], p, cache) for p in params]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        for got, want in zip(results[k], expected):
            assert np.array_equal(got, want)
