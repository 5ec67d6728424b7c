"""Thread safety (shared channel_cache and ImageParams) and memory (no leak, MemoryError)."""

import gc
import os
import threading

import numpy as np
import pandas as pd
import pytest

import voxelize_cy as vc


def structure(n=2000, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "element": rng.choice(["C", "N", "O", "S", "ZN"], n),
        "x": rng.uniform(-15, 15, n), "y": rng.uniform(-15, 15, n),
        "z": rng.uniform(-15, 15, n), "occupancy": rng.choice([1.0, 0.5], n),
    })


def test_eight_threads_share_one_cache_and_params():
    """8 Python threads x 200 calls sharing one channel_cache and one ImageParams."""
    atoms = structure()
    params = vc.ImageParams(vc.Grid(12, 1.0, np.array([1.0, -2.0, 0.5])),
                            ["C", "N", "O", ".*"], {"C": 0.7, "N": 0.65, "*": 0.6})
    expected = vc.image_from_atoms(atoms, params)
    shared_cache = {}
    failures = []
    barrier = threading.Barrier(8)

    def work():
        barrier.wait()
        for _ in range(200):
            img = vc.image_from_atoms(atoms, params, shared_cache)
            if not np.array_equal(img, expected):
                failures.append(float(np.abs(img - expected).max()))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert shared_cache == {"C": 0, "N": 1, "O": 2, "S": 3, "ZN": 3}


def test_batches_from_threads_share_a_cache():
    atoms = structure()
    centers = np.random.default_rng(0).uniform(-10, 10, (16, 3))
    params = [vc.ImageParams(vc.Grid(10, 1.0, c), ["C", "N", "O", ".*"], 0.6) for c in centers]
    expected = vc.images_from_atoms(atoms, params, num_threads=1)
    cache = {}
    results = [None] * 4

    def work(k):
        results[k] = vc.images_from_atoms(atoms, params, channel_cache=cache, num_threads=2)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        assert np.array_equal(r, expected)


def rss_bytes():
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_100k_calls_do_not_leak():
    """100,000 calls (single, batch, errors) grow RSS by less than 20 MB."""
    atoms = structure(500)
    params = vc.ImageParams(vc.Grid(8, 1.0), ["C", "N", "O", ".*"], 0.6)
    bad = vc.ImageParams(vc.Grid(8, 1.0), ["C"], 0.6)
    out = np.zeros((4, 8, 8, 8))
    cache = {}
    for _ in range(2000):  # warm up allocator pools
        vc.image_from_atoms(atoms, params, cache)
    gc.collect()
    before = rss_bytes()
    for i in range(100_000):
        if i % 10 == 0:
            vc.images_from_atoms(atoms, [params, params], num_threads=2)
        elif i % 10 == 1:
            try:
                vc.image_from_atoms(atoms, bad)
            except RuntimeError:
                pass
        else:
            vc.image_from_atoms(atoms, params, cache, out=out)
    gc.collect()
    grown = rss_bytes() - before
    print(f"RSS grew by {grown / 1e6:.2f} MB over 100,000 calls")
    assert grown < 20e6
