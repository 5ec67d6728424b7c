"""Write tests/data/molgrid/: libmolgrid's Gaussian and binary grids and gradients.

The tests compare ``fill='gaussian'`` / ``'binary'`` and their gradients with
libmolgrid's ``GridMaker.forward`` / ``backward`` on the six structures of
tests/data/structures, without needing libmolgrid: this script runs it once
(in the venv bench_molgrid.py makes: numpy<2, molgrid 0.5.5) and stores, per
structure, the inputs (float32 coordinates as libmolgrid read them, channel
index, radii) and for every configuration the grid's peak, per-channel sums
and its values at 3,000 sampled voxels (half among the voxels molgrid set,
half anywhere), plus the whole grid for the 15^3 ones; and libmolgrid's atom
gradients for a fixed upstream gradient (the rows it moves).

Configurations: grids 15^3 at 1 A, 35^3 at 0.75 A, 48^3 at 0.5 A (each at a
random atom of the structure, numpy default_rng(19)); Gaussian with G = 1
(radius scale 1), G = 1.5 with radius scale 0.9, a truncated Gaussian
(G = -1), and the binary grid (radius scale 0.9).  Channels C, N, O, other;
radii C 1.9, N 1.8, O 1.7, other 2.0 A (gnina's xs radii).

Usage::

    python profiling/make_molgrid_reference.py        # rewrites tests/data/molgrid/
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from _workloads import REPO_ROOT, STRUCTURES
from bench_molgrid import GNINA_RADII, MolgridWorker, channel_index, per_atom_radii

import voxelize_cy as vc

OUT = REPO_ROOT / "tests" / "data" / "molgrid"
GRIDS = [(15, 1.0), (35, 0.75), (48, 0.5)]
#: name -> (binary, radius_scale, gaussian_radius_multiple)
DENSITIES = {
    "gauss-G1": (False, 1.0, 1.0),
    "gauss-G1.5-s0.9": (False, 0.9, 1.5),
    "gauss-truncated": (False, 1.0, -1.0),
    "binary-s0.9": (True, 0.9, 1.0),
}
SAMPLES = 3000


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    worker = MolgridWorker()
    info = worker.ask(cmd="info")
    rng = np.random.default_rng(19)
    manifest = {"molgrid": info["molgrid"], "molgrid_numpy": info["numpy"],
                "voxelize_cy_at_generation": vc.__version__, "structures": {}}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for path in sorted(STRUCTURES.glob("*.cif.gz")):
                name = path.name.split(".")[0]
                atoms = vc.atoms_from_file(path)
                elements = atoms["element"].to_numpy(dtype=object)
                coords = atoms[["x", "y", "z"]].to_numpy().astype(np.float32)
                types = channel_index(elements)
                radii = per_atom_radii(elements, GNINA_RADII).astype(np.float32)
                inputs = Path(tmp) / f"{name}.npz"
                np.savez(inputs, coords=coords, types=types.astype(np.float32),
                         **{"radii/ref": radii})
                worker.ask(cmd="load", npz=str(inputs))
                arrays = {"coords": coords, "types": types.astype(np.int8),
                          "radii": radii}
                configs = []
                for length, resolution in GRIDS:
                    center = coords[rng.integers(len(coords))].astype(np.float32)
                    for density, (binary, scale, multiple) in DENSITIES.items():
                        key = f"L{length}-{density}"
                        command = dict(workload="ref", length=length, resolution=resolution,
                                       channels=4, centers=[center.tolist()],
                                       binary=binary, radius_scale=scale,
                                       gaussian_radius_multiple=multiple)
                        backward = not binary and length != 35
                        out = Path(tmp) / f"{name}-{key}.npz"
                        worker.ask(cmd="images", out=str(out), backward=backward, **command)
                        result = np.load(out)
                        image = result["images"][0]
                        flat = image.ravel()
                        set_voxels = np.flatnonzero(flat)
                        picks = np.concatenate([
                            rng.choice(set_voxels, min(SAMPLES // 2, set_voxels.size),
                                       replace=False) if set_voxels.size else
                            np.empty(0, np.int64),
                            rng.choice(flat.size, SAMPLES // 2, replace=False)])
                        arrays[f"{key}/center"] = center
                        arrays[f"{key}/voxels"] = picks.astype(np.int32)
                        arrays[f"{key}/values"] = flat[picks]
                        arrays[f"{key}/peak"] = np.float32(flat.max())
                        arrays[f"{key}/channel_sums"] = image.reshape(4, -1).sum(
                            axis=1, dtype=np.float64)
                        if length == 15:
                            arrays[f"{key}/image"] = image
                        if backward:
                            gradient = result["gradients"][0]
                            rows = np.flatnonzero(np.abs(gradient).sum(axis=1))
                            arrays[f"{key}/grad_rows"] = rows.astype(np.int32)
                            arrays[f"{key}/grad"] = gradient[rows]
                        configs.append({"key": key, "length": length,
                                        "resolution": resolution, "binary": binary,
                                        "radius_scale": scale,
                                        "gaussian_radius_multiple": multiple,
                                        "backward": backward})
                np.savez_compressed(OUT / f"{name}.npz", **arrays)
                manifest["structures"][name] = {"atoms": int(len(coords)),
                                                "configs": configs}
                print(f"{name}: {len(coords)} atoms, {len(configs)} grids", flush=True)
    finally:
        worker.close()
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
