"""How far each pass is from the least work its image needs on this CPU.

For each workload of ``bench_molgrid.py`` (1qjg, float32 images, one thread:
seed 15³ at 1 Å, gym 35³ at 0.75 Å, gnina 48³ at 0.5 Å with 14 channels) the
floor of a pass is

    (vector instructions the pass cannot do without) / (this CPU's measured
    rate of independent vector FMAs at its widest width)
    + (the image's bytes) / (this CPU's measured rate of writing, or for the
    backward pass reading, an array of that size once)

and the script prints the pass's measured time (``image_from_atoms`` into a
reused ``out``; ``atom_gradients`` for the backward pass) over that floor.

The instructions are counted from the voxel–atom pairs of the workload's
images, counted exactly here per atom, times the fewest vector instructions
a pair needs, in lanes of the widest vector (16 float32 or 8 float64 with
AVX-512):

- **Gaussian** (float32, as libmolgrid): pairs = voxel centres within the
  density's reach (1.5 r).  Per pair 5: the separable squared distance
  (1 add: dx² + dy² is per row), the separable factor (1 multiply: ex·ey is
  per row), the reach test (1 compare), the add into the image (a load-add
  and a store).
- **backward** (the Gaussian's, float32): the same pairs.  Per pair 7: the
  factor and the reach test (2 as above, the distance's add 1), the upstream
  gradient times the factor (a load-multiply), three FMAs into the x, y, z
  sums.
- **exact** (``fill='fraction_voxel'``, float64: the overlap's cancellation
  needs it): the closed form of ``OVERLAP.md`` at its fewest: per point
  (p, q) of a pair of axes inside the unit disc, the pair's terms (one square
  root, three arctangents of one division and 12 FMAs each, 10 more for the
  weight: 55); per voxel corner inside the ball, the corner volume from its
  three pairs (20); per voxel that meets the ball, the 8-term difference
  taken axis by axis (3), the scale (1) and the add into the image (2): 6.

Corners outside the ball and voxels beyond it cost nothing in this floor,
nor does finding the atoms, so it is a lower bound that no implementation of
these values can reach, ours included.

Usage::

    python profiling/floor.py [--images 20] [--rounds 7] [--workloads seed gym gnina]

Writes ``profiling/results/floor.txt`` and ``floor.json``.  Needs a C compiler
(``cc``, or ``$CC``) for the FMA-rate probe.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _workloads import centres, cpu_model, load_1qjg, write_results
from bench_molgrid import (
    WORKLOADS,
    channel_count,
    time_ours,
    time_ours_backward,
    upstream_gradient,
    workload_atoms,
)

import voxelize_cy as vc
import voxelize_cy.core._draw  # noqa: F401  (simd_path)

#: Fewest vector instructions per unit of work (see the module docstring).
GAUSSIAN_PER_PAIR = 5
BACKWARD_PER_PAIR = 7
EXACT_PER_DISC_POINT = 55
EXACT_PER_CORNER = 20
EXACT_PER_VOXEL = 6
GAUSSIAN_REACH = 1.5  # (1 + 2 G^2) / (2 G) radii, G = 1

#: The probe: 8 independent chains of vector FMAs (8 per iteration), on the
#: widest path the CPU has; returns the seconds ``n`` iterations took.
_PROBE = r"""
#include <immintrin.h>
#include <time.h>
static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}
#define CHAINS(T, SET, FMA, SUM)                                              \
    T a0 = SET(1.0), a1 = SET(1.1), a2 = SET(1.2), a3 = SET(1.3),            \
      a4 = SET(1.4), a5 = SET(1.5), a6 = SET(1.6), a7 = SET(1.7);            \
    const T m = SET(0.999999), c = SET(1e-7);                                \
    double start = now();                                                    \
    for (long i = 0; i < n; ++i) {                                           \
        a0 = FMA(a0, m, c); a1 = FMA(a1, m, c); a2 = FMA(a2, m, c);          \
        a3 = FMA(a3, m, c); a4 = FMA(a4, m, c); a5 = FMA(a5, m, c);          \
        a6 = FMA(a6, m, c); a7 = FMA(a7, m, c);                              \
    }                                                                        \
    double seconds = now() - start;                                          \
    *sink = SUM(a0) + SUM(a1) + SUM(a2) + SUM(a3) + SUM(a4) + SUM(a5)        \
          + SUM(a6) + SUM(a7);                                               \
    return seconds;

__attribute__((target("avx512f"))) static inline double first512(__m512 v)
{ return _mm512_cvtss_f32(v); }
__attribute__((target("avx2"))) static inline double first256(__m256 v)
{ return _mm256_cvtss_f32(v); }
static double first128(__m128 v) { return _mm_cvtss_f32(v); }
static __m128 fma128(__m128 a, __m128 b, __m128 c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }

__attribute__((target("avx512f"))) double fma_avx512(long n, double *sink)
{ CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps, first512) }
__attribute__((target("avx2,fma"))) double fma_avx2(long n, double *sink)
{ CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps, first256) }
double fma_sse2(long n, double *sink)
{ CHAINS(__m128, _mm_set1_ps, fma128, first128) }
"""


def fma_rate(path: str) -> float:
    """Vector FMAs per second on one core at the width of ``path`` (the best of
    several runs of the compiled probe)."""
    with tempfile.TemporaryDirectory() as tmp:
        source, library = Path(tmp) / "probe.c", Path(tmp) / "probe.so"
        source.write_text(_PROBE)
        compiler = os.environ.get("CC", "cc")
        try:
            subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", str(library),
                            str(source)], check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as err:
            raise SystemExit(f"floor.py: cannot compile the FMA probe with {compiler!r} "
                             f"(set CC): {getattr(err, 'stderr', err)}") from None
        probe = getattr(ctypes.CDLL(str(library)), f"fma_{path}")
        probe.restype = ctypes.c_double
        probe.argtypes = [ctypes.c_long, ctypes.POINTER(ctypes.c_double)]
        sink = ctypes.c_double()
        n = 2_000_000
        seconds = min(probe(n, ctypes.byref(sink)) for _ in range(15))
        if sink.value != sink.value:
            raise RuntimeError("the FMA probe's sums are NaN")
        return 8 * n / seconds


def lanes(path: str, itemsize: int) -> int:
    """Elements of ``itemsize`` bytes in one vector of ``path``."""
    return {"avx512": 64, "avx2": 32, "sse2": 16}[path] // itemsize


def memory_seconds(nbytes: int, write: bool) -> float:
    """Seconds to write (zero) or read (sum) a hot array of ``nbytes`` once."""
    buffer = np.ones(max(1, nbytes // 4), np.float32)
    best = float("inf")
    for _ in range(50):
        start = time.perf_counter()
        if write:
            buffer.fill(0)
        else:
            buffer.sum()
        best = min(best, time.perf_counter() - start)
    return best


def atoms_of(atoms, workload):
    """(xyz, radius) of the atoms ``workload`` draws."""
    radii = WORKLOADS[workload][2]
    xyz = atoms[["x", "y", "z"]].to_numpy(np.float64)
    if isinstance(radii, str):
        channel, radius = vc.atom_channels(atoms, radii)
        keep = channel >= 0
        return xyz[keep], np.asarray(radius, np.float64)[keep]
    return xyz, np.full(len(xyz), float(radii))


def image_work(xyz, radius, center, length, resolution):
    """The units of work of one image: Gaussian pairs, exact voxels, corners
    inside the balls and disc points (summed over the three axis pairs)."""
    half = resolution * length / 2
    lo_A = center - half
    near = np.all(np.abs(xyz - center) < half + GAUSSIAN_REACH * radius[:, None], axis=1)
    counts = np.zeros(4, np.int64)
    for c, r in zip(xyz[near], radius[near]):
        planes = [lo_A[a] + resolution * np.arange(length + 1) for a in range(3)]
        centers_A = [p[:-1] + resolution / 2 for p in planes]
        # Gaussian pairs: voxel centres within reach
        d2 = [(centers_A[a] - c[a]) ** 2 for a in range(3)]
        within = d2[0][:, None, None] + d2[1][None, :, None] + d2[2][None, None, :]
        counts[0] += int(np.count_nonzero(within < (GAUSSIAN_REACH * r) ** 2))
        # exact voxels: the ball meets the voxel (distance to the box < r)
        gap = [np.maximum(0, np.maximum(planes[a][:-1] - c[a], c[a] - planes[a][1:])) ** 2
               for a in range(3)]
        meet = gap[0][:, None, None] + gap[1][None, :, None] + gap[2][None, None, :]
        counts[1] += int(np.count_nonzero(meet < r * r))
        # corners inside the ball, and points inside the disc of each pair of axes
        u2 = [((planes[a] - c[a]) / r) ** 2 for a in range(3)]
        inside = u2[0][:, None, None] + u2[1][None, :, None] + u2[2][None, None, :]
        counts[2] += int(np.count_nonzero(inside < 1))
        for a, b in ((0, 1), (0, 2), (1, 2)):
            counts[3] += int(np.count_nonzero(u2[a][:, None] + u2[b][None, :] < 1))
    return counts


def floors(work, path, rate, write_s, read_s):
    """Seconds of each pass's floor for one image's ``work``."""
    gaussian_pairs, voxels, corners, disc = work
    f32, f64 = lanes(path, 4), lanes(path, 8)
    exact = (EXACT_PER_DISC_POINT * disc + EXACT_PER_CORNER * corners
             + EXACT_PER_VOXEL * voxels) / f64
    return {"exact": exact / rate + write_s,
            "gaussian": GAUSSIAN_PER_PAIR * gaussian_pairs / f32 / rate + write_s,
            "backward": BACKWARD_PER_PAIR * gaussian_pairs / f32 / rate + read_s}


def measured(atoms, workload, centers, rounds):
    """Seconds per image of each pass (the fastest round), one thread."""
    length = WORKLOADS[workload][0]
    drawn = workload_atoms(atoms, workload)
    out = np.zeros((channel_count(workload),) + (length,) * 3, np.float32)
    upstream = upstream_gradient(out.shape)
    passes = {"exact": lambda: time_ours(drawn, workload, centers, "fraction_voxel", out),
              "gaussian": lambda: time_ours(drawn, workload, centers, "gaussian", out),
              "backward": lambda: time_ours_backward(drawn, workload, centers, upstream)}
    best = {}
    for name, run in passes.items():
        run()
        best[name] = min(run() for _ in range(rounds)) / len(centers)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS),
                        choices=list(WORKLOADS))
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    atoms = load_1qjg()
    path = vc.core._draw.simd_path()
    rate = fma_rate(path)
    lines = [
        "$ python profiling/floor.py " + " ".join(sys.argv[1:] if argv is None else argv),
        f"CPU: {cpu_model()}; Python {platform.python_version()}; voxelize_cy "
        f"{vc.__version__}, SIMD path {path}; measured: {rate / 1e9:.2f} G vector FMAs/s "
        f"on one core ({lanes(path, 4)} float32 lanes)",
        f"1qjg, float32 images, one thread; {args.images} images, the fastest of "
        f"{args.rounds} rounds; ms per image; x floor: measured / floor",
        "",
        f"{'workload':<8} {'pass':<9} {'pairs':>8} {'floor':>8} {'measured':>9} "
        f"{'x floor':>8}",
    ]
    results = {"cpu": cpu_model(), "simd_path": path, "fma_per_s": rate, "workloads": {}}
    for workload in args.workloads:
        length, resolution, _ = WORKLOADS[workload]
        centers = centres(atoms, args.images)
        xyz, radius = atoms_of(atoms, workload)
        work = np.mean([image_work(xyz, radius, c, length, resolution) for c in centers],
                       axis=0)
        nbytes = channel_count(workload) * length ** 3 * 4
        floor = floors(work, path, rate, memory_seconds(nbytes, True),
                       memory_seconds(nbytes, False))
        times = measured(atoms, workload, centers, args.rounds)
        pairs = {"exact": work[1], "gaussian": work[0], "backward": work[0]}
        results["workloads"][workload] = {
            "work": dict(zip(("gaussian_pairs", "exact_voxels", "corners_inside",
                              "disc_points"), work.tolist())),
            "floor_ms": {k: v * 1e3 for k, v in floor.items()},
            "measured_ms": {k: v * 1e3 for k, v in times.items()},
            "times_floor": {k: times[k] / floor[k] for k in floor}}
        for name in ("exact", "gaussian", "backward"):
            lines.append(f"{workload:<8} {name:<9} {pairs[name]:>8.0f} "
                         f"{floor[name] * 1e3:>8.4f} {times[name] * 1e3:>9.4f} "
                         f"{times[name] / floor[name]:>7.1f}x")
    lines += ["", "pairs: voxel-atom pairs per image (exact: voxels the ball meets; "
              "gaussian, backward: voxel centres within 1.5 r); floor: see the "
              "docstring of profiling/floor.py"]
    write_results("floor", lines, results)


if __name__ == "__main__":
    main()
