"""Workloads and timing helpers shared by the profiling scripts.

The project's three benchmark workloads (seed, gym, fine): structure 1qjg (first
model, every atom, 7,509 atoms) passed whole on every call, centres on atoms
drawn with ``numpy.random.default_rng(0)``, channels C, N, O, '.*', one radius.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Reference structures, copied into the repository (tests/data/README.md).
STRUCTURES = REPO_ROOT / "tests" / "data" / "structures"
CHANNELS = ["C", "N", "O", ".*"]

# The pure-Python original algorithm lives with the tests (it needs `overlap`).
sys.path.insert(0, str(REPO_ROOT / "tests"))


@dataclass(frozen=True)
class Workload:
    """One benchmark workload: grid length (voxels), resolution (Å), radius (Å)."""

    name: str
    length_voxels: int
    resolution_A: float
    radius_A: float


WORKLOADS = {
    "seed": Workload("seed", 15, 1.0, 0.5),
    "gym": Workload("gym", 35, 0.75, 0.75),
    "fine": Workload("fine", 32, 0.5, 1.0),
}


def cpu_model() -> str:
    """The CPU's model name as ``lscpu`` gives it, and its core count."""
    import os
    import platform
    import subprocess

    name = platform.processor() or "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                name = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores"


def load_1qjg() -> pd.DataFrame:
    """1qjg, first model, every atom, as the original's atom table."""
    from voxelize_cy import atoms_from_file

    return atoms_from_file(STRUCTURES / "1qjg.cif.gz")[
        ["element", "x", "y", "z", "occupancy"]]


def atoms_with_pdbecif(path: Path) -> pd.DataFrame:
    """The original's way: pdbecif parses the whole mmCIF into dicts of strings
    (first model, every atom site); pdbecif comes with the ``bench`` extra."""
    import gzip
    import tempfile

    from pdbecif.mmcif_io import CifFileReader

    with tempfile.NamedTemporaryFile("wb", suffix=".cif") as plain:
        with gzip.open(path, "rb") as f:
            plain.write(f.read())
        plain.flush()
        data = CifFileReader().read(plain.name, output="cif_dictionary")
    block = next(iter(data.values()))
    site = block["_atom_site"]
    model = np.asarray(site["pdbx_PDB_model_num"])
    keep = model == model[0]
    return pd.DataFrame({
        "monomer": np.asarray(site["label_comp_id"], dtype=object)[keep],
        "element": np.asarray(site["type_symbol"], dtype=object)[keep],
        "x": np.asarray(site["Cartn_x"], dtype=float)[keep],
        "y": np.asarray(site["Cartn_y"], dtype=float)[keep],
        "z": np.asarray(site["Cartn_z"], dtype=float)[keep],
        "occupancy": np.asarray(site["occupancy"], dtype=float)[keep],
    })


def centres(atoms: pd.DataFrame, n: int) -> np.ndarray:
    """(n, 3) image centres: atoms at default_rng(0).integers(n_atoms, size=n)."""
    index = np.random.default_rng(0).integers(len(atoms), size=n)
    return atoms[["x", "y", "z"]].to_numpy()[index]


def median_seconds(fn, repeats: int = 3, warmup: bool = True) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs, after one warm-up run."""
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def best_seconds(fn, number: int = 20, repeats: int = 7) -> float:
    """Seconds per call of ``fn()``: the fastest of ``repeats`` runs of ``number``
    calls each (timeit's rule: the fastest run is the one least disturbed by
    the rest of the machine)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def median_ms_per_image(fn, n_images: int, repeats: int = 3, warmup: bool = True) -> float:
    """Median over ``repeats`` runs of ``fn()`` (which makes ``n_images``), in ms per image."""
    return median_seconds(fn, repeats, warmup) / n_images * 1e3


def image_params(workload: Workload, centers):
    """One voxelize_cy ImageParams per centre for ``workload``."""
    import voxelize_cy as vc

    return [vc.ImageParams(vc.Grid(workload.length_voxels, workload.resolution_A, c),
                           CHANNELS, workload.radius_A) for c in centers]


def linked_structures(folder: Path, n: int) -> list:
    """``n`` structure files in ``folder``: the six test structures linked under
    ``s0000_171l.cif.gz``, ``s0001_1aa5.cif.gz``, ... (a large input set)."""
    import os

    sources = sorted(STRUCTURES.glob("*.cif.gz"))
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(n):
        source = sources[k % len(sources)]
        link = folder / f"s{k:04d}_{source.name}"
        os.symlink(source, link)
        paths.append(str(link))
    return paths


def print_results(lines, output, data=None, indent=1) -> None:
    """Print ``lines`` and write them to the file ``output`` (a path, or '-'
    for none), with ``data`` (when given) as JSON beside it (.json)."""
    import json

    text = "\n".join(lines) + "\n"
    print(text)
    if output == "-":
        return
    Path(output).write_text(text)
    if data is not None:
        Path(output).with_suffix(".json").write_text(json.dumps(data, indent=indent) + "\n")


def write_results(name: str, lines, data) -> None:
    """Print ``lines`` and write them to profiling/results/<name>.txt, with
    ``data`` as <name>.json."""
    print_results(lines, Path(__file__).resolve().parent / "results" / f"{name}.txt", data)
