"""Benchmark voxelize_cy against its peers on the workloads of _workloads.py.

Implementations, each measured in this same run (ms per image, median of
``--repeats`` runs after a warm-up):

- ``voxelize_cy``: ``image_from_atoms`` per image, one thread, the same table
  on every call;
- ``fresh copy``: the same, with a new copy of the table on every call (the
  seed loader's pattern);
- ``voxelize_cy batch 1T`` / ``batch NT``: ``images_from_atoms`` on 1 / all threads;
- ``pure Python``: the original algorithm (tests/oracle_voxelize.py, overlap
  volumes from the `overlap` package), on fewer images: it is slow;
- ``macromol_voxelize``: the C++ peer, when installed (``pip install
  'voxelize_cy[bench]'``), single-threaded by design; it takes turns with
  voxelize_cy on the same (fewer) images, and its ratio is to voxelize_cy's
  time there;
- ``floor``: the least work any implementation must do (zero the output, one
  pass over the coordinates, one write per atom–voxel pair), measured with
  ``voxelize_cy.core._kernels.benchmark_floor``.

Usage::

    python profiling/benchmark.py                       # all three workloads
    python profiling/benchmark.py --workloads seed --images 200
    python profiling/benchmark.py --json bench.json --plot bench.png
"""

from __future__ import annotations

import os

# numpy's OpenBLAS pool is never used here, but its idle workers compete for the
# cores of a small machine; one thread keeps the timings steady (all peers alike).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _workloads import (  # noqa: E402
    CHANNELS,
    WORKLOADS,
    centres,
    cpu_model,
    image_params,
    load_1qjg,
    median_ms_per_image,
)

import voxelize_cy as vc  # noqa: E402
from voxelize_cy.core import _kernels  # noqa: E402


def bench_voxelize_cy(atoms, params, repeats):
    cache = {}

    def run():
        for p in params:
            vc.image_from_atoms(atoms, p, cache)

    return median_ms_per_image(run, len(params), repeats)


def bench_fresh_copies(atoms, params, repeats):
    """The seed loader's pattern: every call gets its own copy of the table
    (made before the clock starts: the copy is the caller's cost, not ours)."""
    copies = [atoms.copy() for _ in params]

    def run():
        for table, p in zip(copies, params):
            vc.image_from_atoms(table, p)

    return median_ms_per_image(run, len(params), repeats)


def bench_batch(atoms, params, repeats, threads):
    out = np.empty((len(params), len(CHANNELS)) + params[0].grid.shape)

    def run():
        vc.images_from_atoms(atoms, params, num_threads=threads, out=out)

    return median_ms_per_image(run, len(params), repeats)


def bench_pure_python(atoms, params, repeats):
    import oracle_voxelize as original

    grids = [original.Grid(p.grid.length_voxels, p.grid.resolution_A, p.grid.center_A)
             for p in params]
    o_params = [original.ImageParams(g, CHANNELS, p.element_radii_A)
                for g, p in zip(grids, params)]
    cache = {}

    def run():
        for p in o_params:
            original.image_from_atoms(atoms, p, cache)

    return median_ms_per_image(run, len(o_params), repeats, warmup=False)


def macromol_setup(atoms, workload):
    """The atoms as macromol_voxelize wants them (channels and radius columns)."""
    import macromol_voxelize as mmvox
    import polars as pl

    frame = pl.DataFrame({c: atoms[c].to_numpy() for c in ("element", "x", "y", "z", "occupancy")})
    frame = mmvox.set_atom_channels_by_element(frame, [["C"], ["N"], ["O"], ["*"]])
    frame = mmvox.set_atom_radius_A(frame, workload.radius_A)
    return mmvox, frame


def bench_macromol(atoms, params, workload, rounds):
    """macromol_voxelize and voxelize_cy (one thread, as ``bench_voxelize_cy``)
    on the same images, taking turns pass by pass (the order swapped every
    round), so that a drifting machine slows both alike: (macromol ms, ours
    ms, max |difference|), medians over the rounds, ms per image."""
    mmvox, frame = macromol_setup(atoms, workload)
    mm_params = [mmvox.ImageParams(
        channels=len(CHANNELS),
        grid=mmvox.Grid(length_voxels=p.grid.length_voxels, resolution_A=p.grid.resolution_A,
                        center_A=np.asarray(p.grid.center_A)),
        dtype=np.float64) for p in params]
    cache = {}

    def theirs():
        for p in mm_params:
            mmvox.image_from_atoms(frame, p)

    def ours():
        for p in params:
            vc.image_from_atoms(atoms, p, cache)

    seconds = {theirs: [], ours: []}
    theirs(), ours()  # warm-up
    for r in range(rounds):
        for run in ((theirs, ours) if r % 2 == 0 else (ours, theirs)):
            start = time.perf_counter()
            run()
            seconds[run].append(time.perf_counter() - start)
    ms_theirs, ms_ours = (statistics.median(seconds[run]) / len(params) * 1e3
                          for run in (theirs, ours))
    # Same images?  (macromol_voxelize returns (image, atoms kept)).
    diff = 0.0
    for p, mp in zip(params[:5], mm_params[:5]):
        mine = vc.image_from_atoms(atoms, p)
        other = mmvox.image_from_atoms(frame, mp)[0]
        diff = max(diff, float(np.abs(mine - other).max()))
    return ms_theirs, ms_ours, diff


def floor_inputs(atoms, params):
    """Per image: the flat voxel index of every (atom, voxel) pair the image has."""
    xyz = atoms[["x", "y", "z"]].to_numpy()
    channel_of = {"C": 0, "N": 1, "O": 2}
    channels = np.array([channel_of.get(e, 3) for e in atoms["element"]])
    per_image = []
    for p in params:
        g = p.grid
        L, res, r = g.length_voxels, g.resolution_A, p.element_radii_A
        reach = g.length_A / 2 + r
        inside = np.all((xyz > g.center_A - reach) & (xyz < g.center_A + reach), axis=1)
        flat = []
        for c, ch in zip(xyz[inside], channels[inside]):
            lo = np.rint((res * (L - 1) / 2 + (c - r - g.center_A)) / res).astype(int)
            hi = np.rint((res * (L - 1) / 2 + (c + r - g.center_A)) / res).astype(int)
            lo, hi = np.maximum(lo, 0), np.minimum(hi, L - 1)
            if np.any(hi < lo):
                continue
            i, j, k = np.meshgrid(*[np.arange(lo[a], hi[a] + 1) for a in range(3)],
                                  indexing="ij")
            flat.append(((ch * L + i) * L + j) * L + k)
        per_image.append((tuple(g.center_A), reach,
                          np.concatenate([f.ravel() for f in flat]) if flat
                          else np.zeros(0, dtype=np.intp)))
    return per_image


def bench_floor(atoms, params, repeats):
    x, y, z = (np.ascontiguousarray(atoms[c].to_numpy(), dtype=np.float64) for c in "xyz")
    per_image = floor_inputs(atoms, params)
    img = np.empty((len(CHANNELS),) + params[0].grid.shape)
    pairs = float(np.mean([len(f) for _, _, f in per_image]))

    def run():
        for center, reach, flat in per_image:
            _kernels.benchmark_floor(img, x, y, z, center, reach, flat.astype(np.intp))

    # The index arrays are converted outside the timed call.
    per_image = [(c, r, np.ascontiguousarray(f, dtype=np.intp)) for c, r, f in per_image]
    return median_ms_per_image(run, len(per_image), repeats), pairs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--images", type=int, default=100, help="images for voxelize_cy")
    parser.add_argument("--slow-images", type=int, default=10,
                        help="images for the pure-Python and macromol_voxelize runs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--macromol-rounds", type=int, default=9,
                        help="turns of macromol_voxelize and voxelize_cy on the slow images")
    parser.add_argument("--no-pure-python", action="store_true", help="skip the slow original")
    parser.add_argument("--json", metavar="PATH", help="write all results as JSON")
    parser.add_argument("--plot", metavar="PATH", help="write a PNG bar chart (needs matplotlib)")
    args = parser.parse_args(argv)
    print("$ python profiling/benchmark.py " + " ".join(sys.argv[1:] if argv is None else argv))
    print(f"CPU: {cpu_model()}")

    info = vc.build_info()
    print(f"voxelize_cy {info['version']}: OpenMP {'on' if info['openmp'] else 'off'}, "
          f"line tracing {'ON (slow build)' if info['linetrace'] else 'off'}, "
          f"{_kernels.max_threads()} threads; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs")
    atoms = load_1qjg()
    print(f"structure 1qjg: {len(atoms)} atoms, passed whole on every call; pandas "
          f"{pd.__version__}, element column {atoms['element'].dtype!r}\n")
    try:
        import macromol_voxelize  # noqa: F401
        have_macromol = True
    except ImportError:
        have_macromol = False
        print("macromol_voxelize not installed (pip install 'voxelize_cy[bench]'): skipped\n")

    results = {"build": info, "threads": _kernels.max_threads(), "workloads": {}}
    for name in args.workloads:
        w = WORKLOADS[name]
        all_params = image_params(w, centres(atoms, args.images))
        slow_params = all_params[: args.slow_images]
        row = {"images": args.images}
        start = time.perf_counter()
        row["voxelize_cy"] = bench_voxelize_cy(atoms, all_params, args.repeats)
        row["fresh_copy"] = bench_fresh_copies(atoms, all_params, args.repeats)
        row["batch_1T"] = bench_batch(atoms, all_params, args.repeats, 1)
        row["batch_NT"] = bench_batch(atoms, all_params, args.repeats, _kernels.max_threads())
        row["floor"], row["pairs_per_image"] = bench_floor(atoms, all_params, args.repeats)
        if not args.no_pure_python:
            row["pure_python"] = bench_pure_python(atoms, slow_params, args.repeats)
        if have_macromol:
            (row["macromol_voxelize"], row["voxelize_cy_same_images"],
             row["max_abs_diff_vs_macromol"]) = bench_macromol(atoms, slow_params, w,
                                                                args.macromol_rounds)
        row["seconds"] = time.perf_counter() - start
        results["workloads"][name] = row
        print(f"[{name}] done in {row['seconds']:.1f} s", file=sys.stderr)

    print_table(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
        print(f"\nwrote {args.json}")
    if args.plot:
        plot(results, args.plot)
        print(f"wrote {args.plot}")


def print_table(results):
    print("| workload | voxelize_cy (1 thread) | fresh copy | batch, 1 thread | batch, "
          f"{results['threads']} threads | pure Python | macromol_voxelize | floor | "
          "× pure Python | × macromol | × floor |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results["workloads"].items():
        ours = r["voxelize_cy"]
        pure = r.get("pure_python")
        mm = r.get("macromol_voxelize")
        cells = [
            name, f"{ours:.4f}", f"{r['fresh_copy']:.4f}", f"{r['batch_1T']:.4f}", f"{r['batch_NT']:.4f}",
            f"{pure:.1f}" if pure else "–", f"{mm:.2f}" if mm else "–",
            f"{r['floor']:.4f} ({r['pairs_per_image']:.0f} pairs)",
            f"{pure / ours:.0f}×" if pure else "–",
            f"{mm / r['voxelize_cy_same_images']:.0f}×" if mm else "–",
            f"{ours / r['floor']:.1f}×",
        ]
        print("| " + " | ".join(cells) + " |")
    print("\nms per image (median); ×: how many times faster voxelize_cy (1 thread) is, "
          "or for the floor, how many times slower than the floor; × macromol: against "
          "voxelize_cy on the same images, taking turns with it (voxelize_cy there: "
          + ", ".join(f"{name} {r['voxelize_cy_same_images']:.4f}"
                      for name, r in results["workloads"].items()
                      if "voxelize_cy_same_images" in r) + ").")
    for name, r in results["workloads"].items():
        if "max_abs_diff_vs_macromol" in r:
            print(f"{name}: max |voxelize_cy - macromol_voxelize| = "
                  f"{r['max_abs_diff_vs_macromol']:.2e}")


def plot(results, path):
    try:
        import matplotlib
    except ImportError:
        sys.exit("--plot needs matplotlib: pip install 'voxelize_cy[plot]'")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    series = [("pure_python", "pure Python (original)"), ("macromol_voxelize", "macromol_voxelize (C++)"),
              ("voxelize_cy", "voxelize_cy, 1 thread"),
              ("batch_NT", f"voxelize_cy batch, {results['threads']} threads"),
              ("floor", "floor (zero + scan + 1 write/pair)")]
    names = list(results["workloads"])
    fig, ax = plt.subplots(figsize=(9, 5.6), constrained_layout=True)
    width = 0.8 / len(series)
    for s, (key, label) in enumerate(series):
        values = [results["workloads"][n].get(key, np.nan) for n in names]
        xs = np.arange(len(names)) + (s - (len(series) - 1) / 2) * width
        bars = ax.bar(xs, values, width, label=label)
        for bar, v in zip(bars, values):
            if np.isfinite(v):
                ax.annotate(f"{v:.3g}", (bar.get_x() + bar.get_width() / 2, v),
                            ha="center", va="bottom", fontsize=7, rotation=90,
                            xytext=(0, 2), textcoords="offset points")
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(names)))
    ax.set_xticklabels(names)
    ax.set_ylabel("ms per image (log scale; lower is better)")
    ax.set_title("voxelize_cy vs peers, 1qjg (7,509 atoms) passed whole each call")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3)
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
