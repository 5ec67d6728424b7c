"""libmolgrid's grid files: OpenDX (``read_dx``, ``write_dx``, ``*_grids``) and
AutoDock maps (``write_map``), and ``CartesianGrid``.

The files are libmolgrid's byte for byte: five decimals, three values a line
and libmolgrid's origin, ``center - resolution * n / 2`` (half a voxel from
the first grid point, which is at ``center - resolution * (n - 1) / 2``), so
that files move between gnina's tools and this module unchanged and
``read_dx`` gives back the centre ``write_dx`` was given.  For maps placed on
the grid points exactly, use :func:`voxelize_cy.maps.write_dx`.
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from voxelize_cy.molgrid._grids import GRID_CLASSES, OutputArray, as_array, as_float3, float3

__all__ = ["CartesianGrid", "read_dx", "write_dx", "write_dx_grids", "read_dx_grids",
           "write_map"]


class CartesianGrid:
    """A 3-D grid with its centre and resolution."""

    def __init__(self, grid, center, resolution: float):
        self._grid = grid if hasattr(grid, "_a") else GRID_CLASSES["MGrid3f"]._view(
            np.asarray(grid, np.float32))
        self._center = as_float3(center)
        self._resolution = float(resolution)

    def grid(self):
        """The values (an ``MGrid3f``)."""
        return self._grid

    def center(self) -> float3:
        """The centre (Å)."""
        return float3(*self._center.tolist())

    def resolution(self) -> float:
        """The spacing (Å)."""
        return self._resolution


def _numbers(line: str, count: int, what: str, path: str):
    tokens = line.split()
    if len(tokens) != count:
        raise ValueError(f"{path} is not an OpenDX grid libmolgrid reads: the {what} line "
                         f"has {len(tokens)} fields, not {count}")
    return tokens


def read_dx(file_name: str) -> CartesianGrid:
    """Read a cubic OpenDX grid (as libmolgrid writes them)."""
    path = os.fspath(file_name)
    try:
        with open(path, "r", encoding="ascii") as handle:
            header = [handle.readline() for _ in range(7)]
            values = np.array(handle.read().split(), dtype=np.float32)
    except FileNotFoundError:
        raise ValueError(f"Could not read file {path}") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise ValueError(f"{path} is not an OpenDX grid: {err}") from None
    counts = _numbers(header[0], 8, "counts", path)
    n = int(counts[7])
    if int(counts[5]) != n or int(counts[6]) != n:
        raise ValueError(f"{path}: only cubic grids are read (counts {counts[5:]})")
    origin = np.array(_numbers(header[1], 4, "origin", path)[1:], np.float64)
    resolution = float(np.float32(_numbers(header[2], 4, "delta", path)[1]))
    if values.size != n ** 3:
        raise ValueError(f"{path} holds {values.size} values; a {n}³ grid needs {n ** 3}")
    center = origin + resolution * n / 2.0
    grid = GRID_CLASSES["MGrid3f"]._view(values.reshape(n, n, n))
    return CartesianGrid(grid, center.astype(np.float32), resolution)


def _dx_text(values: np.ndarray, center, resolution: float) -> str:
    n = values.shape[0]
    c = as_float3(center).astype(np.float64)
    half = resolution * n / 2.0
    lines = [f"object 1 class gridpositions counts {n} {n}  {n}",
             "origin " + " ".join(f"{v - half:.5f}" for v in c),
             f"delta {resolution:.5f} 0 0", f"delta 0 {resolution:.5f} 0",
             f"delta 0 0 {resolution:.5f}",
             f"object 2 class gridconnections counts {n} {n}  {n}",
             f"object 3 class array type double rank 0 items [ {n ** 3}] data follows"]
    flat = [f"{v:.5f}" for v in values.reshape(-1).tolist()]
    rows = [" ".join(flat[i:i + 3]) for i in range(0, len(flat), 3)]
    body = "\n".join(rows)
    return "\n".join(lines) + "\n" + body + ("\n" if len(flat) % 3 == 0 else " ")


def write_dx(file_name: str, grid, center, resolution: float, scale: float = 1.0) -> None:
    """Write a cubic 3-D grid (times ``scale``) as OpenDX."""
    values = as_array(grid, 3, None, "grid").astype(np.float64) * float(scale)
    if len(set(values.shape)) != 1:
        raise ValueError(f"OpenDX grids here are cubic; got shape {values.shape}")
    resolution = float(np.float32(resolution))
    with open(os.fspath(file_name), "w", encoding="ascii") as handle:
        handle.write(_dx_text(values, center, resolution))


def write_dx_grids(prefix: str, type_names: Sequence[str], grid, center, resolution: float,
                   scale: float = 1.0) -> None:
    """Write each channel of a 4-D grid to ``<prefix>_<name>.dx``."""
    values = as_array(grid, 4, None, "grid")
    names = list(type_names)
    if len(names) != values.shape[0]:
        raise ValueError(f"{len(names)} names for {values.shape[0]} channels")
    for name, channel in zip(names, values):
        write_dx(f"{prefix}_{name}.dx", channel, center, resolution, scale)


def read_dx_grids(prefix: str, type_names: Sequence[str], grid) -> None:
    """Read ``<prefix>_<name>.dx`` into each channel of a 4-D grid."""
    out = OutputArray(grid, 4, as_array(grid).dtype if hasattr(grid, "_a") else np.float32)
    names = list(type_names)
    if len(names) != out.array.shape[0]:
        raise ValueError(f"{len(names)} names for {out.array.shape[0]} channels")
    for channel, name in enumerate(names):
        values = read_dx(f"{prefix}_{name}.dx").grid()._a
        if values.shape != out.array.shape[1:]:
            raise ValueError(f"{prefix}_{name}.dx is {values.shape}; the grid's channels are "
                             f"{out.array.shape[1:]}")
        out.array[channel] = values
    out.done()


def write_map(file_name: str, grid, center, resolution: float, scale: float = 1.0) -> None:
    """Write a cubic 3-D grid (times ``scale``) as an AutoDock 4 map."""
    values = as_array(grid, 3, None, "grid").astype(np.float64) * float(scale)
    n = values.shape[0]
    c = as_float3(center)
    lines = ["GRID_PARAMETER_FILE", "GRID_DATA_FILE", "MACROMOLECULE",
             f"SPACING {float(np.float32(resolution)):.5g}", f"NELEMENTS {n - 1} {n - 1} {n - 1}",
             "CENTER " + " ".join(f"{float(v):.5g}" for v in c)]
    body = [f"{v:.5g}" for v in values.transpose(2, 1, 0).reshape(-1).tolist()]
    with open(os.fspath(file_name), "w", encoding="ascii") as handle:
        handle.write("\n".join(lines + body) + "\n")
