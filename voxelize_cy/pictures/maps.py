"""Maps in the formats molecular viewers read: OpenDX and CCP4/MRC.

One channel of an image is a scalar field on the grid's voxel centres.
Written as an OpenDX file (explicit origin and spacing) or a CCP4/MRC map,
it loads in PyMOL, VMD, ChimeraX or 3Dmol superimposed on the structure:
``load out_C.dx`` then ``isomesh mesh, out_C, 0.1`` in PyMOL, no plugin.

Voxel (i, j, k) of an image centred at ``c`` with L voxels of ``res`` Å has
its centre at ``c + ((i, j, k) - (L - 1) / 2) * res``; that is the grid
point written for it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import List, Sequence, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["grid_origin_A", "write_dx", "read_dx", "write_mrc", "channel_file_names"]

PathLike = Union[str, os.PathLike]


def grid_origin_A(center_A: ArrayLike, length_voxels: int, resolution_A: float) -> np.ndarray:
    """The centre of voxel (0, 0, 0), in Å."""
    return np.asarray(center_A, dtype=np.float64) - (length_voxels - 1) / 2 * resolution_A


def channel_file_names(path: PathLike, channels: Sequence[str]) -> list:
    """One file name per channel: ``out.dx`` -> ``out_C.dx``, ``out_N_O.dx`` …

    The channel pattern is made file-name safe (``.*`` -> ``other``, other
    characters that are not letters or digits -> ``_``), and made unique.
    """
    path = Path(path)
    names, used = [], set()
    for i, pattern in enumerate(channels):
        label = "other" if pattern in (".*", ".+") else re.sub(r"[^A-Za-z0-9]+", "_",
                                                            pattern).strip("_")
        label = label or f"channel{i}"
        if label in used:
            label = f"{label}_{i}"
        used.add(label)
        names.append(path.with_name(f"{path.stem}_{label}{path.suffix}"))
    return names


def write_dx(path: PathLike, values: np.ndarray, origin_A: ArrayLike, spacing_A: float,
             name: str = "voxelize_cy") -> Path:
    """Write a 3-D array (axes x, y, z) as an OpenDX scalar field.

    Parameters
    ----------
    path : str or path-like
    values : (nx, ny, nz) array
    origin_A : 3 floats, the position of ``values[0, 0, 0]`` in Å
    spacing_A : float, the distance between grid points in Å
    name : str, the field's name in the file

    Returns
    -------
    pathlib.Path
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 3:
        raise ValueError(f"a DX field is 3-D, got shape {values.shape}")
    nx, ny, nz = values.shape
    ox, oy, oz = (float(v) for v in np.asarray(origin_A, dtype=np.float64))
    h = float(spacing_A)
    flat = values.ravel()  # z varies fastest, as DX wants
    lines = [
        f"# {name}: written by voxelize_cy",
        f"object 1 class gridpositions counts {nx} {ny} {nz}",
        f"origin {ox!r} {oy!r} {oz!r}",
        f"delta {h!r} 0 0",
        f"delta 0 {h!r} 0",
        f"delta 0 0 {h!r}",
        f"object 2 class gridconnections counts {nx} {ny} {nz}",
        f"object 3 class array type double rank 0 items {flat.size} data follows",
    ]
    full = flat.size - flat.size % 3
    body = "\n".join(" ".join(repr(float(v)) for v in row)
                     for row in flat[:full].reshape(-1, 3).tolist())
    tail = " ".join(repr(float(v)) for v in flat[full:])
    text = "\n".join(lines) + "\n" + body + ("\n" if body else "") + (
        tail + "\n" if tail else "")
    text += (f'attribute "dep" string "positions"\n'
             f'object "{name}" class field\n'
             f'component "positions" value 1\n'
             f'component "connections" value 2\n'
             f'component "data" value 3\n')
    path = Path(path)
    path.write_text(text)
    return path


def read_dx(path: PathLike) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read an OpenDX scalar field written on an axis-aligned grid.

    Returns
    -------
    values : (nx, ny, nz) float64 array
    origin_A : (3,) array
    spacing_A : (3,) array, the grid spacing along x, y and z
    """
    counts = origin = None
    deltas: List[List[float]] = []
    numbers: List[float] = []
    reading = False
    with open(path) as f:
        for line in f:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if reading:
                if words[0] in ("attribute", "object", "component"):
                    reading = False
                else:
                    numbers.extend(map(float, words))
                    continue
            if words[:4] == ["object", "1", "class", "gridpositions"]:
                counts = tuple(int(w) for w in words[-3:])
            elif words[0] == "origin":
                origin = np.array([float(w) for w in words[1:4]])
            elif words[0] == "delta":
                deltas.append([float(w) for w in words[1:4]])
            elif words[0] == "object" and "data" in words and words[-1] == "follows":
                reading = True
    if counts is None or origin is None or len(deltas) != 3:
        raise ValueError(f"{path} is not a DX scalar field on a regular grid")
    step = np.array(deltas)
    if np.count_nonzero(step - np.diag(np.diag(step))):
        raise ValueError(f"{path}: the grid is not axis-aligned")
    values = np.array(numbers)
    if values.size != np.prod(counts):
        raise ValueError(f"{path}: {values.size} values for a {counts} grid")
    return values.reshape(counts), origin, np.diag(step).copy()


def write_mrc(path: PathLike, values: np.ndarray, origin_A: ArrayLike, spacing_A: float) -> Path:
    """Write a 3-D array (axes x, y, z) as a CCP4/MRC map with gemmi.

    The map's unit cell is the grid's box and its start indices place
    ``values[0, 0, 0]`` at ``origin_A``; that needs ``origin_A`` to be a whole
    number of spacings from (0, 0, 0) (a ``ValueError`` says so otherwise;
    OpenDX files have no such limit).
    """
    import gemmi

    values = np.asarray(values, dtype=np.float32)
    if values.ndim != 3:
        raise ValueError(f"a map is 3-D, got shape {values.shape}")
    h = float(spacing_A)
    start = np.asarray(origin_A, dtype=np.float64) / h
    whole = np.rint(start)
    if np.abs(start - whole).max() > 1e-6:
        raise ValueError(
            f"a CCP4/MRC map can place its grid only at whole multiples of the voxel "
            f"size ({h} Å) from the origin, but this grid starts at "
            f"{np.round(np.asarray(origin_A, dtype=float), 4).tolist()} Å; centre the "
            f"image so that its first voxel centre is a multiple of {h} Å, or write "
            f"an OpenDX (.dx) file, which has an explicit origin"
        )
    nx, ny, nz = values.shape
    ccp4 = gemmi.Ccp4Map()
    ccp4.grid = gemmi.FloatGrid(np.ascontiguousarray(values),
                                gemmi.UnitCell(nx * h, ny * h, nz * h, 90, 90, 90),
                                gemmi.SpaceGroup("P 1"))
    ccp4.update_ccp4_header(2, True)
    # Columns, rows, sections are x, y, z; the start words place the box.
    for word, value in zip((5, 6, 7), whole.astype(int)):
        ccp4.set_header_i32(word, int(value))
    path = Path(path)
    ccp4.write_ccp4_map(str(path))
    return path
