"""voxelize_cy and libmolgrid side by side, in one run, taking turns, one thread each.

libmolgrid (gnina's gridder, ``pip install molgrid``) is built against numpy 1,
so it runs in its own venv (``profiling/.venv-molgrid``, made on first use
with ``numpy<2``, ``molgrid==0.5.5`` and ``openbabel-wheel``) as a worker
process (``_molgrid_worker.py``).  The two take turns block by block over the
same centres on 1qjg (every atom, hydrogens included), so a drifting machine
slows both alike; each side times only its own calls.

Workloads (float32 images; one thread):

- ``seed``:  15³ at 1 Å, 4 element channels C, N, O, other, radius 0.5 Å;
- ``gym``:   35³ at 0.75 Å, the same channels, radius 0.75 Å;
- ``gnina``: 48³ at 0.5 Å (gnina's default 24 Å box), gnina's 14 receptor
  channels with their XS radii (``channels='gnina-receptor'``: 1qjg typed once
  with ``add_channels``; libmolgrid gets the same heavy atoms, channel indices
  and radii, as its defaultGninaReceptorTyper gives them).

Columns: libmolgrid's Gaussian (``GridMaker.forward``), voxelize_cy's Gaussian
(``fill='gaussian'``, the same density) and exact fill (``fill='fraction_voxel'``,
the exact overlap over the voxel volume: the same unit as a density), ms per
image, medians over the rounds, and molgrid's time over ours (> 1:
voxelize_cy faster); for gnina's grid also the backward passes
(``GridMaker.backward`` against ``atom_gradients(fill='gaussian')``); and
the largest difference of the images (and gradients) over the largest value.

Usage::

    python profiling/bench_molgrid.py                 # writes results/bench_molgrid.txt
    python profiling/bench_molgrid.py --rounds 5 --images 20 --workloads gym
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from _workloads import (  # noqa: E402
    CHANNELS,
    REPO_ROOT,
    centres,
    cpu_model,
    load_1qjg,
    print_results,
)

import voxelize_cy as vc  # noqa: E402
import voxelize_cy.core._draw  # noqa: E402,F401  (simd_path)

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-molgrid"
PEER_PACKAGES = ["numpy<2", "molgrid==0.5.5", "openbabel-wheel"]
GNINA_RADII = {"C": 1.9, "N": 1.8, "O": 1.7, "*": 2.0}

#: name -> (length_voxels, resolution_A, radii: a number, element -> radius, or
#: the name of a channel set)
WORKLOADS = {
    "seed": (15, 1.0, 0.5),
    "gym": (35, 0.75, 0.75),
    "gnina": (48, 0.5, "gnina-receptor"),
}


def channel_count(workload) -> int:
    radii = WORKLOADS[workload][2]
    return vc.CHANNEL_SETS[radii].n_channels if isinstance(radii, str) else len(CHANNELS)


def workload_atoms(atoms, workload):
    """The table voxelize_cy draws for ``workload`` (typed for a channel set)."""
    radii = WORKLOADS[workload][2]
    return vc.add_channels(atoms, radii) if isinstance(radii, str) else atoms


def molgrid_inputs(atoms, workload):
    """(coords, channel index, radius) of the atoms libmolgrid grids, or None
    for the shared element-channel inputs."""
    radii = WORKLOADS[workload][2]
    if not isinstance(radii, str):
        return None
    channel, radius = vc.atom_channels(atoms, radii)
    keep = channel >= 0
    return atoms[["x", "y", "z"]].to_numpy()[keep], channel[keep], radius[keep], keep


def molgrid_python() -> Path:
    """The molgrid venv's python, made on first use."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"making {VENV} ({' '.join(PEER_PACKAGES)}) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES],
                       check=True)
    return python


class MolgridWorker:
    """The worker process: one JSON command per line."""

    def __init__(self, cpu=None):
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        command = [str(molgrid_python()), str(HERE / "_molgrid_worker.py")]
        if cpu is not None:  # on the driver's core: the two take turns on one core
            command = ["taskset", "-c", str(cpu)] + command
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=env)

    def ask(self, **command):
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        while line and not line.startswith("{"):  # molgrid prints on import
            line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the molgrid worker stopped")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def close(self):
        self.process.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
        self.process.stdin.close()
        self.process.wait()


def channel_index(elements) -> np.ndarray:
    """C, N, O, other -> 0..3 (the channels C, N, O, '.*')."""
    index = np.full(len(elements), 3, dtype=np.int64)
    for i, element in enumerate(("C", "N", "O")):
        index[np.asarray(elements) == element] = i
    return index


def per_atom_radii(elements, radii) -> np.ndarray:
    if not isinstance(radii, dict):
        return np.full(len(elements), float(radii))
    return np.array([radii.get(e, radii["*"]) for e in elements])


def voxelize_cy_params(workload, center):
    length, resolution, radii = WORKLOADS[workload]
    grid = vc.Grid(length, resolution, np.asarray(center))
    if isinstance(radii, str):
        return vc.ImageParams(grid, radii, None)
    return vc.ImageParams(grid, CHANNELS, radii)


def time_ours(atoms, workload, centers, fill, out):
    """Seconds for one pass of single calls over ``centers`` (float32, one thread)."""
    params = [voxelize_cy_params(workload, c) for c in centers]
    start = time.perf_counter()
    for p in params:
        vc.image_from_atoms(atoms, p, dtype=np.float32, fill=fill, out=out)
    return time.perf_counter() - start


def upstream_gradient(shape):
    """The upstream gradient both sides' backward passes get (as the worker's)."""
    return np.linspace(-1.0, 1.0, int(np.prod(shape)), dtype=np.float32).reshape(shape)


def time_ours_backward(atoms, workload, centers, upstream):
    params = [voxelize_cy_params(workload, c) for c in centers]
    start = time.perf_counter()
    for p in params:
        vc.atom_gradients(atoms, p, upstream, fill="gaussian")
    return time.perf_counter() - start


def max_differences(worker, atoms, workload, centers, tmp):
    """max |ours - molgrid| over a few images (and over their atom gradients),
    relative to the largest value."""
    length = WORKLOADS[workload][0]
    out = Path(tmp) / f"{workload}.npz"
    worker.ask(cmd="images", workload=workload, length=length,
               resolution=WORKLOADS[workload][1], channels=channel_count(workload),
               centers=centers.tolist(), out=str(out), backward=True)
    theirs = np.load(out)
    upstream = upstream_gradient((channel_count(workload),) + (length,) * 3)
    inputs = molgrid_inputs(atoms, workload)
    rows = slice(None) if inputs is None else inputs[3]
    atoms = workload_atoms(atoms, workload)
    image_rel = grad_rel = 0.0
    for b, c in enumerate(centers):
        p = voxelize_cy_params(workload, c)
        ours = vc.image_from_atoms(atoms, p, dtype=np.float32, fill="gaussian")
        peak = float(theirs["images"][b].max())
        image_rel = max(image_rel, float(np.abs(ours - theirs["images"][b]).max()) / peak)
        grad = vc.atom_gradients(atoms, p, upstream, fill="gaussian")[rows]
        scale = float(np.abs(theirs["gradients"][b]).max())
        grad_rel = max(grad_rel, float(np.abs(grad - theirs["gradients"][b]).max()) / scale)
    return image_rel, grad_rel


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS),
                        choices=list(WORKLOADS))
    parser.add_argument("--images", type=int, default=20, help="centres per block")
    parser.add_argument("--rounds", type=int, default=15,
                        help="blocks each side times, taking turns")
    parser.add_argument("--output", default=str(HERE / "results" / "bench_molgrid.txt"),
                        help="results file ('-' for none)")
    parser.add_argument("--cpu", type=int, help="the core both sides run on (default: "
                        "the lowest this process may use)")
    args = parser.parse_args(argv)

    atoms = load_1qjg()
    elements = atoms["element"].to_numpy(dtype=object)
    # Both sides on one core, taking turns: this VM's two cores run at
    # different speeds that swap, so two processes on two cores would be
    # timed on different hardware.
    cpu = args.cpu if args.cpu is not None else min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    worker = MolgridWorker(cpu)
    info = worker.ask(cmd="info")
    lines = [
        "$ python profiling/bench_molgrid.py " + " ".join(sys.argv[1:] if argv is None
                                                          else argv),
        f"CPU: {cpu_model()}; Python {platform.python_version()}, numpy {np.__version__}; "
        f"voxelize_cy {vc.__version__} {vc.build_info()}, SIMD path "
        f"{vc.core._draw.simd_path()}; libmolgrid {info['molgrid']} (its venv's numpy "
        f"{info['numpy']})",
        f"1qjg: {len(atoms)} atoms (hydrogens included); seed, gym: 4 channels C, N, O, "
        f"other; gnina: 14 gnina-receptor channels, its heavy atoms; "
        f"float32; one thread each, both on core {cpu}; {args.rounds} rounds of "
        f"{args.images} images, taking turns; ms per image, median over rounds",
        "",
        f"{'workload':<8} {'grid':<15} {'molgrid':>8} {'ours gauss':>10} {'x':>6} "
        f"{'ours exact':>10} {'x':>6} {'max|d|/peak':>11}",
    ]
    results = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            npz = Path(tmp) / "atoms.npz"
            arrays = {"coords": atoms[["x", "y", "z"]].to_numpy(),
                      "types": channel_index(elements).astype(np.float64)}
            for name in WORKLOADS:
                inputs = molgrid_inputs(atoms, name)
                if inputs is None:
                    arrays[f"radii/{name}"] = per_atom_radii(elements, WORKLOADS[name][2])
                else:
                    arrays[f"coords/{name}"] = inputs[0]
                    arrays[f"types/{name}"] = inputs[1].astype(np.float64)
                    arrays[f"radii/{name}"] = inputs[2]
            np.savez(npz, **arrays)
            worker.ask(cmd="load", npz=str(npz))
            backward_rows = []
            for workload in args.workloads:
                length, resolution, _ = WORKLOADS[workload]
                all_centers = centres(atoms, args.images * args.rounds)
                drawn = workload_atoms(atoms, workload)
                out = np.zeros((channel_count(workload),) + (length,) * 3, dtype=np.float32)
                upstream = upstream_gradient(out.shape)
                command = dict(cmd="time", workload=workload, length=length,
                               resolution=resolution, channels=channel_count(workload))
                sides = {
                    "molgrid": lambda block: worker.ask(**command,
                                                        centers=block.tolist())["seconds"],
                    "gaussian": lambda block: time_ours(drawn, workload, block, "gaussian",
                                                        out),
                    "exact": lambda block: time_ours(drawn, workload, block,
                                                     "fraction_voxel", out),
                }
                if workload == "gnina":
                    sides["molgrid backward"] = lambda block: worker.ask(
                        **command, centers=block.tolist(), backward=True)["seconds"]
                    sides["gaussian backward"] = lambda block: time_ours_backward(
                        drawn, workload, block, upstream)
                times = {side: [] for side in sides}
                for side, run in sides.items():  # warm-up
                    run(all_centers[:2])
                for r in range(args.rounds):
                    block = all_centers[r * args.images:(r + 1) * args.images]
                    order = list(sides)
                    if r % 2:
                        order.reverse()
                    for side in order:
                        times[side].append(sides[side](block) / len(block) * 1e3)
                med = {side: statistics.median(t) for side, t in times.items()}
                image_rel, grad_rel = max_differences(worker, atoms, workload,
                                                      all_centers[:3], tmp)
                results[workload] = {"molgrid_gaussian_ms": med["molgrid"],
                                     "ours_gaussian_ms": med["gaussian"],
                                     "ours_exact_ms": med["exact"],
                                     "gaussian_ratio": med["molgrid"] / med["gaussian"],
                                     "exact_ratio": med["molgrid"] / med["exact"],
                                     "max_image_difference_over_peak": image_rel,
                                     "max_gradient_difference_over_max": grad_rel}
                grid = f"{length}^3 at {resolution:g} A"
                lines.append(
                    f"{workload:<8} {grid:<15} {med['molgrid']:>8.3f} "
                    f"{med['gaussian']:>10.3f} {med['molgrid'] / med['gaussian']:>5.2f}x "
                    f"{med['exact']:>10.3f} {med['molgrid'] / med['exact']:>5.2f}x "
                    f"{image_rel:>11.2e}")
                print(lines[-1], flush=True)
                if "molgrid backward" in med:
                    results[workload].update(
                        molgrid_backward_ms=med["molgrid backward"],
                        ours_backward_ms=med["gaussian backward"],
                        backward_ratio=med["molgrid backward"] / med["gaussian backward"])
                    backward_rows.append(
                        f"{workload + ' backward':<24} {med['molgrid backward']:>8.3f} "
                        f"{med['gaussian backward']:>10.3f} "
                        f"{med['molgrid backward'] / med['gaussian backward']:>5.2f}x "
                        f"{'':>10} {'':>6} {grad_rel:>11.2e}")
            lines += backward_rows
    finally:
        worker.close()
    lines += ["",
              "molgrid: GridMaker.forward (Gaussian, G 1), or .backward alone; ours gauss: "
              "fill='gaussian' (image_from_atoms, or atom_gradients for backward); ours "
              "exact: fill='fraction_voxel' (the exact overlap / voxel volume); x: "
              "molgrid's time / ours (> 1: voxelize_cy faster); max|d|/peak: largest "
              "|ours - molgrid| over 3 images (or their atom gradients) / the largest value "
              "(molgrid computes in float32 from float32 coordinates)"]
    print_results(lines, args.output, results, indent=2)
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT / "profiling"))
    main()
