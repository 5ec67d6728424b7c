"""libmolgrid's side of bench_molgrid.py: runs in the molgrid venv (numpy < 2).

Started by ``bench_molgrid.py`` with the venv's python; reads one JSON command
per line on stdin and answers one JSON line on stdout:

- ``{"cmd": "load", "npz": PATH}``: coordinates ``coords`` (N, 3), channel
  index ``types`` (N,) and one radius array per workload ``radii/<name>``
  (a workload may have its own atoms: ``coords/<name>``, ``types/<name>``);
- ``{"cmd": "time", "workload": NAME, "length": L, "resolution": R,
  "channels": C, "centers": [[x, y, z], ...], "binary": false,
  "radius_scale": 1.0, "gaussian_radius_multiple": 1.0, "backward": false}``:
  one pass over the centres; answers ``{"seconds": s}`` (wall time of the
  pass, the molgrid calls only: ``forward``, or with ``"backward": true``
  ``backward`` alone);
- ``{"cmd": "images", ..., "out": PATH}``: the same images (and, with
  ``"backward": true``, the atom gradients for a fixed upstream gradient)
  written to an ``.npz``;
- ``{"cmd": "info"}``: molgrid's and numpy's versions.

One thread: libmolgrid's CPU GridMaker is serial.
"""

import json
import sys
import time

import numpy as np


def main():
    import molgrid

    state = {}
    out = sys.stdout
    for line in sys.stdin:
        command = json.loads(line)
        kind = command["cmd"]
        if kind == "quit":
            break
        if kind == "info":
            answer = {"molgrid": getattr(molgrid, "__version__", "?"), "numpy": np.__version__}
        elif kind == "load":
            data = np.load(command["npz"])
            state = {key: np.ascontiguousarray(data[key], dtype=np.float32) for key in data}
            answer = {"atoms": int(state["coords"].shape[0])}
        elif kind in ("time", "images"):
            answer = run(molgrid, state, command, record=kind == "images")
        else:
            answer = {"error": f"unknown command {kind!r}"}
        out.write(json.dumps(answer) + "\n")
        out.flush()


def run(molgrid, state, command, record):
    length = command["length"]
    resolution = command["resolution"]
    channels = command["channels"]
    maker = molgrid.GridMaker(
        resolution=resolution, dimension=resolution * (length - 1),
        binary=command.get("binary", False), radius_type_indexed=False,
        radius_scale=command.get("radius_scale", 1.0),
        gaussian_radius_multiple=command.get("gaussian_radius_multiple", 1.0))
    assert tuple(maker.spatial_grid_dimensions()) == (length,) * 3
    workload = command["workload"]
    coords_array = state.get("coords/" + workload, state["coords"])
    coords = molgrid.Grid2f(coords_array)
    types = molgrid.Grid1f(state.get("types/" + workload, state["types"]))
    radii = molgrid.Grid1f(state["radii/" + workload])
    image = np.zeros((channels, length, length, length), dtype=np.float32)
    grid = molgrid.Grid4f(image)
    backward = command.get("backward", False)
    if backward:
        upstream = np.ascontiguousarray(
            np.linspace(-1.0, 1.0, image.size, dtype=np.float32).reshape(image.shape))
        atom_grad = np.zeros(coords_array.shape, dtype=np.float32)
        upstream_grid = molgrid.Grid4f(upstream)
        atom_grad_grid = molgrid.Grid2f(atom_grad)
    images, grads = [], []
    seconds = 0.0
    for center in command["centers"]:
        c = molgrid.float3(*[float(v) for v in center])
        if backward:  # the backward pass alone is timed
            if record:
                maker.forward(c, coords, types, radii, grid)
            start = time.perf_counter()
            maker.backward(c, coords, types, radii, upstream_grid, atom_grad_grid)
        else:
            start = time.perf_counter()
            maker.forward(c, coords, types, radii, grid)
        seconds += time.perf_counter() - start
        if record:
            images.append(image.copy())
            if backward:
                grads.append(atom_grad.copy())
    if record:
        arrays = {"images": np.stack(images)}
        if backward:
            arrays["gradients"] = np.stack(grads)
        np.savez(command["out"], **arrays)
    return {"seconds": seconds}


if __name__ == "__main__":
    main()
