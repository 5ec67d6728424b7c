"""Every input form of the atom table at the same speed (seed workload).

The seed workload (1qjg, 7,509 atoms; L15, 1 Å, radius 0.5, channels C N O .*)
at ~100 random centres, with the atom table in each form users pass:

- pandas with default strings (Arrow-backed when pyarrow is installed),
- pandas ``StringDtype('python')``, object dtype, categorical elements,
- polars, a pyarrow Table, a dict of numpy arrays,
- a deep copy of the pandas table made fresh before every call (what the
  seed's loader does), with the copy's cost counted and also shown apart.

Prints ms per image for each form (single calls, and one batch call on one
thread), the ratio to the fastest form, and checks that every form gives
bitwise the same images.  The forms take turns in blocks of 10 images, so
that the machine's drift hits every form alike.

Usage::

    python profiling/bench_inputs.py [--images 100] [--rounds 15]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _workloads import WORKLOADS, centres, image_params, load_1qjg

import voxelize_cy as vc


def table_forms(atoms: pd.DataFrame) -> dict:
    """The seed table in every form (name -> table)."""
    elements = atoms["element"].to_numpy(dtype=object)
    columns = {c: atoms[c].to_numpy(dtype=np.float64) for c in ("x", "y", "z", "occupancy")}
    forms = {
        "pandas, default strings": pd.DataFrame({"element": list(elements), **columns}),
        "pandas, StringDtype('python')": pd.DataFrame(
            {"element": pd.array(elements, dtype=pd.StringDtype("python")), **columns}),
        "pandas, object": pd.DataFrame(
            {"element": pd.Series(elements, dtype=object), **columns}),
        "pandas, categorical": pd.DataFrame(
            {"element": pd.Categorical(elements), **columns}),
        "dict of numpy arrays": {"element": np.asarray(elements.astype(str)), **columns},
    }
    try:
        import polars as pl

        forms["polars"] = pl.DataFrame({"element": list(elements), **columns})
    except ImportError:
        print("(polars not installed: skipped)")
    try:
        import pyarrow as pa

        forms["pyarrow Table"] = pa.table({"element": list(elements), **columns})
    except ImportError:
        print("(pyarrow not installed: skipped)")
    return forms


def time_forms(forms, params, rounds, block=10):
    """ms per image for every form: single calls, and one batch call on one
    thread.

    The forms take turns in short blocks: in each round, every block of
    ``block`` images is drawn from each form in turn (a few milliseconds per
    form, consecutive calls on one table as in a user's loop), so that all
    forms see the same machine (this VM's speed drifts by up to 2x over a
    fraction of a second).  A form's figure is the mean over images of each
    image's fastest call across rounds (the cost without the machine's
    interruptions).  The batch figure is the fastest round of one batch call
    per form.  The fresh-copy form pays for a deep copy before every call;
    the copy is timed apart and not counted.
    """
    n = len(params)
    names = list(forms)
    tables = [forms[name] for name in names]
    single = np.full((len(names), rounds, n), np.inf)
    batch = {name: [] for name in names}
    fresh = np.full((rounds, n), np.inf)
    copies = np.full((rounds, n), np.inf)
    pandas_default = forms["pandas, default strings"]
    image = vc.image_from_atoms
    clock = time.perf_counter
    for r in range(rounds + 1):  # round 0 is a warm-up
        for first in range(0, n, block):
            chunk = range(first, min(first + block, n))
            for k, table in enumerate(tables):
                for i in chunk:
                    start = clock()
                    image(table, params[i])
                    if r:
                        single[k, r - 1, i] = clock() - start
            for i in chunk:
                start = clock()
                copy = pandas_default.copy(deep=True)
                middle = clock()
                image(copy, params[i])
                if r:
                    copies[r - 1, i] = middle - start
                    fresh[r - 1, i] = clock() - middle
        for name, table in forms.items():
            start = clock()
            vc.images_from_atoms(table, params, num_threads=1)
            if r:
                batch[name].append((clock() - start) / n)
    best = {name: (single[k].min(axis=0).mean() * 1e3, min(batch[name]) * 1e3)
            for k, name in enumerate(names)}
    return best, copies.min(axis=0).mean() * 1e3, fresh.min(axis=0).mean() * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    atoms = load_1qjg()
    params = image_params(WORKLOADS["seed"], centres(atoms, args.images))
    forms = table_forms(atoms)
    pandas_default = forms["pandas, default strings"]
    print(f"voxelize_cy {vc.__version__} {vc.build_info()}; pandas {pd.__version__}; "
          f"default string dtype: {pandas_default['element'].dtype!r}")
    print(f"seed workload on 1qjg ({len(atoms)} atoms), {len(params)} images, "
          f"{args.rounds} rounds, forms taking turns every 10 images, one thread\n")

    reference = np.stack([vc.image_from_atoms(pandas_default, p) for p in params])
    equal = {}
    for name, table in forms.items():
        images = np.stack([vc.image_from_atoms(table, p) for p in params])
        batch = vc.images_from_atoms(table, params, num_threads=1)
        equal[name] = np.array_equal(images, reference) and np.array_equal(batch, reference)
    copy_equal = np.array_equal(
        np.stack([vc.image_from_atoms(pandas_default.copy(deep=True), p) for p in params]),
        reference)
    best, copy_ms, fresh = time_forms(forms, params, args.rounds)
    results = {name: (*best[name], equal[name]) for name in forms}
    results["pandas, fresh deep copy per call"] = (fresh, float("nan"), copy_equal)

    fastest = min(single for single, _, _ in results.values())
    print(f"{'form':36s} {'single call':>12s} {'vs fastest':>11s} {'batch':>10s} "
          f"{'bitwise equal':>14s}")
    for name, (single, batch, equal) in results.items():
        batch_text = f"{batch:10.4f}" if batch == batch else f"{'':10s}"
        print(f"{name:36s} {single:12.4f} {single / fastest:10.2f}x {batch_text} "
              f"{str(equal):>14s}")
    print(f"\nms per image (single: mean over images of each image's fastest call; batch: "
          f"fastest round).\nThe fresh-copy row times the call on a deep copy made just "
          f"before it; the copy itself took {copy_ms:.4f} ms more.")
    worst = max(single for single, _, _ in results.values())
    print(f"fastest {fastest:.4f} ms per image; slowest form {worst / fastest:.2f}x the "
          f"fastest")


if __name__ == "__main__":
    main()
