"""Arctangents per grid corner of the exact fill, before and after the block kernels.

For each workload (1qjg, the bench_molgrid.py grids), every atom an image
draws is replayed in Python: its candidate block (the original's voxel
indices for c - r and c + r, clipped to the grid), its corner planes in units
of r (clamped to [-1, 1]), and the number of arctangents each version of the
kernel evaluates for it:

- before (the kernel up to commit 1e140f7): libm ``atan2``, three per pair
  term whose corner lies inside the ball, for the (y, z) table and, on every
  x plane the slabs need (the last one mirrored from the first when both lie
  beyond the ball), the (x, z) row and one (x, y) pair per y plane (planes
  that only slabs wholly inside the ball would need are counted too: an upper
  bound, 0.4% above callgrind's count on seed images);
- after (overlap_small.c, overlap_block.c): the vectorised polynomial,
  three per batch slot: 4 slots (3-plane small kernel), 12 (4-plane small
  kernel) or the pairs inside the ball of the three tables (general kernel);
  no libm call.

``--check-callgrind DIR`` also counts the libm ``atan2`` calls of the build
in DIR (a checkout built in place, e.g. a worktree of 1e140f7) under valgrind
for a few seed images, and compares them with the replay's "before" count.

Usage::

    python profiling/atan2_per_corner.py                # results/atan2_per_corner.txt
    python profiling/atan2_per_corner.py --check-callgrind /tmp/old-checkout
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from _workloads import centres, load_1qjg, print_results

HERE = Path(__file__).resolve().parent
GNINA_RADII = {"C": 1.9, "N": 1.8, "O": 1.7, "*": 2.0}
WORKLOADS = {"seed": (15, 1.0, 0.5), "gym": (35, 0.75, 0.75), "gnina": (48, 0.5, GNINA_RADII)}


def planes(c, r, center, length, res):
    """Corner planes (unit coordinates, clamped) of one axis, or None."""
    half_span = res * (length - 1) / 2
    first = np.rint((half_span + ((c - r) - center)) / res)
    last = np.rint((half_span + ((c + r) - center)) / res)
    first, last = max(first, 0), min(last, length - 1)
    if not first <= last:
        return None
    offset = (length - 1) / 2.0
    n = int(last - first) + 1
    faces = [center + ((first + m) - offset) * res - res / 2 for m in range(n)]
    faces.append(center + ((first + n - 1) - offset) * res + res / 2)
    return np.clip((np.array(faces) - c) / r, -1.0, 1.0)


def inside_pairs(a, b):
    """Pairs (a_j, b_k), both inside the ball and their corner inside it."""
    a, b = np.abs(a)[:, None], np.abs(b)[None, :]
    return int(((a < 1) & (b < 1) & (1 - a * a - b * b > 0)).sum())


def counts_for_atom(ux, uy, uz):
    """(corners, atan2 before, arctangents after) of one atom's block."""
    nx, ny, nz = len(ux) - 1, len(uy) - 1, len(uz) - 1
    corners = (nx + 1) * (ny + 1) * (nz + 1)
    # before: the (y, z) table, then the x planes the slabs need
    before = inside_pairs(uy, uz)
    mirror = nx >= 2 and ux[0] == -1.0 and ux[nx] == 1.0
    for i in range(nx + 1):
        if mirror and i == nx:
            continue
        a = np.array([ux[i]])
        before += inside_pairs(a, uz) + inside_pairs(a, uy)
    before *= 3
    # after
    interior = [int((np.abs(u) < 1).sum()) for u in (ux, uy, uz)]
    if max(nx, ny, nz) <= 2 and max(interior) <= 1:
        after = 3 * 4
    elif max(nx, ny, nz) <= 3 and max(interior) <= 2:
        after = 3 * 12
    else:
        after = 3 * (inside_pairs(ux, uy) + inside_pairs(ux, uz) + inside_pairs(uy, uz))
    return corners, before, after


def replay(atoms, workload, n_images):
    length, res, radii = WORKLOADS[workload]
    elements = atoms["element"].to_numpy(dtype=object)
    xyz = atoms[["x", "y", "z"]].to_numpy()
    if isinstance(radii, dict):
        radius = np.array([radii.get(e, radii["*"]) for e in elements])
    else:
        radius = np.full(len(atoms), float(radii))
    totals = np.zeros(3)
    n_atoms = 0
    for center in centres(atoms, n_images):
        for p, r in zip(xyz, radius):
            axes = [planes(p[a], r, center[a], length, res) for a in range(3)]
            if any(u is None for u in axes):
                continue
            totals += counts_for_atom(*axes)
            n_atoms += 1
    return n_atoms / n_images, totals / n_images


def callgrind_atan2_calls(code_dir, n_images):
    """libm atan2 calls for n_images seed images (minus a 0-image run)."""
    script = f"""
import sys
sys.path.insert(0, {str(code_dir)!r}); sys.path.insert(0, {str(HERE)!r})
from _workloads import load_1qjg, centres, image_params, WORKLOADS
import voxelize_cy as vc
assert vc.__file__.startswith({str(code_dir)!r}), vc.__file__
atoms = load_1qjg()
for p in image_params(WORKLOADS['seed'], centres(atoms, int(sys.argv[1]))):
    vc.image_from_atoms(atoms, p)
"""
    calls = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run.py"
        path.write_text(script)
        for n in (0, n_images):
            out = Path(tmp) / f"cg.{n}"
            subprocess.run(["valgrind", "--tool=callgrind", "--compress-strings=no",
                            "--compress-pos=no", f"--callgrind-out-file={out}",
                            sys.executable, str(path), str(n)], check=True,
                           capture_output=True)
            count = 0
            # every atan2 call enters glibc's __ieee754_atan2* once
            raw = out.read_text(errors="replace").splitlines()
            for i, line in enumerate(raw):
                if line.startswith("cfn=") and "__ieee754_atan2" in line and i + 1 < len(raw):
                    if raw[i + 1].startswith("calls="):
                        count += int(raw[i + 1].split("=")[1].split()[0])
            calls.append(count)
    return calls[1] - calls[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--check-callgrind", metavar="DIR",
                        help="a checkout of the old kernel, built in place")
    parser.add_argument("--output", default=str(HERE / "results" / "atan2_per_corner.txt"))
    args = parser.parse_args(argv)
    atoms = load_1qjg()
    lines = ["$ python profiling/atan2_per_corner.py " + " ".join(argv or sys.argv[1:]),
             f"1qjg, {args.images} images per workload (centres as bench_molgrid.py)", "",
             f"{'workload':<8} {'atoms/image':>11} {'corners/image':>13} "
             f"{'libm atan2 before':>18} {'per corner':>10} {'poly atan after':>16} "
             f"{'per corner':>10} {'libm after':>10}"]
    for workload in WORKLOADS:
        n_atoms, (corners, before, after) = replay(atoms, workload, args.images)
        lines.append(f"{workload:<8} {n_atoms:>11.1f} {corners:>13.0f} {before:>18.0f} "
                     f"{before / corners:>10.3f} {after:>16.0f} {after / corners:>10.3f} "
                     f"{0:>10}")
        print(lines[-1], flush=True)
    if args.check_callgrind:
        n = 3
        measured = callgrind_atan2_calls(Path(args.check_callgrind).resolve(), n)
        _, (_, before, _) = replay(atoms, "seed", n)
        lines += ["", f"check: callgrind counts {measured} libm atan2 calls for {n} seed "
                      f"images of the old build in {args.check_callgrind}; the replay "
                      f"predicts {before * n:.0f}"]
        print(lines[-1])
    print_results(lines, args.output)


if __name__ == "__main__":
    main()
