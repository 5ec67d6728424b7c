"""Rigid frames inside the kernel: frame=, frames=, random_frame, bad frames."""

import numpy as np
import pandas as pd
import pytest
from conftest import golden_atoms
from hypothesis import given, settings
from hypothesis import strategies as st

import voxelize_cy as vc


@pytest.fixture(scope="module")
def structures(golden):
    _, npz = golden
    return {s: golden_atoms(npz, s) for s in ("1qjg", "171l", "4rek")}


PARAMS = [
    vc.ImageParams(vc.Grid(15, 1.0), ["C", "N", "O", ".*"], 0.5),
    vc.ImageParams(vc.Grid(24, 0.75), ["C", "N|O", "S|SE", ".*"], {"C": 1.7, "N": 1.55,
                                                                  "*": 1.8}),
]


@pytest.mark.parametrize("name", ["1qjg", "171l", "4rek"])
@pytest.mark.parametrize("p", range(len(PARAMS)))
def test_framed_image_equals_voxelizing_a_transformed_copy(structures, name, p):
    atoms = structures[name]
    params = PARAMS[p]
    rng = np.random.default_rng(7 + p)
    xyz = atoms[["x", "y", "z"]].to_numpy()
    for _ in range(6):
        frame = vc.random_frame(xyz[rng.integers(len(xyz))], rng)
        framed = vc.image_from_atoms(atoms, params, frame=frame)
        copied = vc.image_from_atoms(vc.transform_atoms(atoms, frame), params)
        assert framed.sum() > 1
        assert np.abs(framed - copied).max() <= 1e-12


def test_identity_frame_is_bitwise_the_unframed_image(structures):
    atoms = structures["1qjg"]
    center = atoms[["x", "y", "z"]].to_numpy()[100]
    params = vc.ImageParams(vc.Grid(15, 1.0, center), ["C", "N", "O", ".*"], 0.5)
    assert np.array_equal(vc.image_from_atoms(atoms, params, frame=np.eye(4)),
                          vc.image_from_atoms(atoms, params))
    shift = np.eye(4)
    shift[:3, 3] = -center
    moved = vc.ImageParams(vc.Grid(15, 1.0), ["C", "N", "O", ".*"], 0.5)
    np.testing.assert_allclose(vc.image_from_atoms(atoms, moved, frame=shift),
                               vc.image_from_atoms(atoms, params), atol=1e-12)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batch_of_frames_equals_single_framed_calls(structures, threads, dtype):
    atoms = structures["171l"]
    rng = np.random.default_rng(3)
    xyz = atoms[["x", "y", "z"]].to_numpy()
    frames = np.stack([vc.random_frame(xyz[i], rng) for i in rng.integers(len(xyz), size=9)])
    params = PARAMS[0]
    batch = vc.images_from_atoms(atoms, params, frames=frames, num_threads=threads,
                                 dtype=dtype)
    assert batch.shape == (9, 4, 15, 15, 15)
    for b in range(9):
        single = vc.image_from_atoms(atoms, params, frame=frames[b], dtype=dtype)
        assert np.array_equal(batch[b], single), b
    # One frame for every image, several params.
    centers = [vc.ImageParams(vc.Grid(15, 1.0, c), params.channels, 0.5) for c in
               np.random.default_rng(1).normal(0, 3, (4, 3))]
    batch = vc.images_from_atoms(atoms, centers, frames=frames[0], num_threads=threads)
    for b in range(4):
        assert np.array_equal(batch[b], vc.image_from_atoms(atoms, centers[b],
                                                            frame=frames[0]))


def test_frames_and_params_must_agree_in_number(structures):
    frames = np.stack([np.eye(4)] * 3)
    with pytest.raises(ValueError, match="frames has 3"):
        vc.images_from_atoms(structures["171l"], PARAMS[:1] * 2, frames=frames)


def bad(update):
    frame = np.eye(4)
    update(frame)
    return frame


@pytest.mark.parametrize("frame, message", [
    (np.eye(3), "4x4"),
    (np.eye(4)[None], "4x4"),
    (bad(lambda f: f.__setitem__((0, 3), np.nan)), "finite"),
    (bad(lambda f: f.__setitem__((1, 1), np.inf)), "finite"),
    (bad(lambda f: f.__setitem__((3, 0), 0.5)), "last row"),
    (bad(lambda f: f.__setitem__((3, 3), 2.0)), "last row"),
    (bad(lambda f: f.__setitem__((0, 1), 0.3)), "shear or a scale"),
    (bad(lambda f: f.__setitem__((2, 2), 1.01)), "shear or a scale"),
    (bad(lambda f: f.__setitem__((2, 2), -1.0)), "reflection"),
    (np.full((4, 4), "a"), "could not convert|4x4"),
])
def test_bad_frames_are_refused(frame, message):
    atoms = {"element": ["C"], "x": [0.0], "y": [0.0], "z": [0.0], "occupancy": [1.0]}
    with pytest.raises(ValueError, match=message):
        vc.image_from_atoms(atoms, PARAMS[0], frame=frame)
    if np.asarray(frame).shape == (4, 4):
        with pytest.raises(ValueError, match=message):
            vc.images_from_atoms(atoms, PARAMS[0], frames=[np.eye(4), frame])


def test_rotation_within_the_tolerance_is_accepted():
    frame = vc.random_frame([1.0, 2.0, 3.0], 5)
    frame[:3, :3] *= 1 + 3e-7
    atoms = {"element": ["C"], "x": [1.0], "y": [2.0], "z": [3.0], "occupancy": [1.0]}
    assert vc.image_from_atoms(atoms, PARAMS[0], frame=frame).sum() == pytest.approx(1, rel=1e-5)


def test_random_frame_moves_the_origin_to_zero_and_rotates():
    origin = np.array([12.5, -3.25, 40.0])
    for seed in range(20):
        frame = vc.random_frame(origin, seed)
        np.testing.assert_allclose(frame @ np.append(origin, 1), [0, 0, 0, 1], atol=1e-12)
        rotation = frame[:3, :3]
        np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-14)
        assert np.linalg.det(rotation) == pytest.approx(1.0)
        assert np.array_equal(frame[3], [0, 0, 0, 1])
    assert np.array_equal(vc.random_frame(origin, 4), vc.random_frame(origin, 4))
    assert not np.array_equal(vc.random_frame(origin, 4), vc.random_frame(origin, 5))


def test_random_frames_are_uniform_rotations():
    """Haar measure on SO(3): E[R] = 0, and the rotation angle t has
    P(t < pi/2) = (pi/2 - 1)/pi."""
    rng = np.random.default_rng(11)
    rotations = np.stack([vc.random_frame(np.zeros(3), rng)[:3, :3] for _ in range(20000)])
    assert np.abs(rotations.mean(axis=0)).max() < 0.02
    angles = np.arccos(np.clip((np.trace(rotations, axis1=1, axis2=2) - 1) / 2, -1, 1))
    assert np.mean(angles < np.pi / 2) == pytest.approx((np.pi / 2 - 1) / np.pi, abs=0.01)


def test_random_frame_checks_its_origin():
    with pytest.raises(ValueError, match="origin_A"):
        vc.random_frame([0, 0], 1)
    with pytest.raises(ValueError, match="origin_A"):
        vc.random_frame([0, np.nan, 0], 1)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(1, 12),
       resolution=st.sampled_from([0.5, 1.0, 1.5]), radius=st.floats(0.2, 3.0))
def test_framed_equals_copy_for_random_scenes(seed, length, resolution, radius):
    rng = np.random.default_rng(seed)
    n = 60
    atoms = pd.DataFrame({"element": rng.choice(["C", "N", "O"], n),
                          "x": rng.normal(20, 6, n), "y": rng.normal(-5, 6, n),
                          "z": rng.normal(3, 6, n), "occupancy": rng.uniform(0, 1, n)})
    frame = vc.random_frame(atoms[["x", "y", "z"]].to_numpy()[0], rng)
    params = vc.ImageParams(vc.Grid(length, resolution), ["C", "N", ".*"], radius)
    framed = vc.image_from_atoms(atoms, params, frame=frame)
    copied = vc.image_from_atoms(vc.transform_atoms(atoms, frame), params)
    assert np.abs(framed - copied).max() <= 1e-12


def test_errors_come_from_atoms_moved_into_the_image():
    atoms = pd.DataFrame({"element": ["C", "XX"], "x": [0.0, 50.0], "y": [0.0, 0.0],
                          "z": [0.0, 0.0], "occupancy": [1.0, 1.0]})
    params = vc.ImageParams(vc.Grid(9, 1.0), ["C"], 0.5)
    assert vc.image_from_atoms(atoms, params).sum() == pytest.approx(1)
    frame = np.eye(4)
    frame[0, 3] = -50.0  # brings XX to the centre, C far away
    with pytest.raises(RuntimeError, match="element XX didn't match any channels"):
        vc.image_from_atoms(atoms, params, frame=frame)


@pytest.mark.parametrize("n", [0, 1, 4, 7])
def test_random_frames_are_random_frame_in_turn(n):
    """random_frames draws the rotations at once: bitwise the frames of calling
    random_frame on each origin in turn, and the generator ends in the same state."""
    for seed in range(40):
        origins = np.random.default_rng(seed + 100).normal(size=(n, 3)) * 20
        rng, one_by_one = np.random.default_rng(seed), np.random.default_rng(seed)
        frames = vc.images.frames.random_frames(origins, rng)
        expected = [vc.random_frame(o, one_by_one) for o in origins]
        assert frames.shape == (n, 4, 4)
        assert np.array_equal(frames, np.array(expected).reshape(n, 4, 4))
        assert rng.random() == one_by_one.random()
    with pytest.raises(ValueError, match="origins_A"):
        vc.images.frames.random_frames(np.zeros((2, 2)), np.random.default_rng(0))
