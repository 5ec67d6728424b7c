"""See images over their structure in PyMOL.

Inside PyMOL (``import voxelize_cy.pymol``, ``run`` of this file, or this file
installed as a plugin) two commands appear:

``voxelize SELECTION [, center [, length [, resolution [, channels [, radius
[, threshold [, outline [, name [, state]]]]]]]]]``
    Voxelize the atoms of the selection with voxelize_cy and draw each channel
    as semi-transparent cubes, one colour per channel, opacity from the
    voxel's value, and the grid's outline.

``load_voxels PATH [, resolution [, center [, channel [, threshold [, outline
[, name [, index]]]]]]]``
    Draw an image saved by ``voxelize-cy image -o out.npz`` (or ``.npy`` with
    ``resolution`` and ``center``, or macromol_voxelize's ``write_npz``),
    where the structure it was made from is.

``render_png`` draws an image over a structure file in a headless PyMOL and
writes a ray-traced PNG (the command line's ``--view 3d``).

PyMOL comes with the ``pymol`` extra: ``pip install "voxelize_cy[pymol]"``
(pymol-open-source).
"""

from __future__ import annotations

import gzip
import re
import tempfile
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

try:
    import pymol as _pymol_package
    from pymol import cmd
    from pymol.cgo import ALPHA, BEGIN, COLOR, END, LINES, NORMAL, TRIANGLES, VERTEX
except ImportError:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "voxelize_cy.pymol needs PyMOL: pip install 'voxelize_cy[pymol]' "
        "(pymol-open-source)"
    ) from None

from voxelize_cy.images.draw import image_from_atoms
from voxelize_cy.images.model import Grid, ImageParams
from voxelize_cy.images.text_params import CommandError, parse_channels, parse_radius
from voxelize_cy.pictures.outputs import load_image

__all__ = ["voxelize", "load_voxels", "render_png", "cgo_voxels", "cgo_outline",
           "channel_colors"]

CmdException = getattr(_pymol_package, "CmdException", RuntimeError)

#: Largest number of voxels drawn as cubes (each up to 12 triangles).
MAX_DRAWN_VOXELS = 150_000
_ELEMENT_COLORS = {"C": "carbon", "N": "nitrogen", "O": "oxygen", "S": "sulfur",
                   "P": "phosphorus", "H": "hydrogen", "FE": "iron", "ZN": "zinc",
                   "SE": "selenium", "CL": "chlorine", "MG": "magnesium", "CA": "calcium"}
_OTHER_COLORS = ["magenta", "cyan", "yellow", "orange", "slate", "green", "salmon",
                 "white"]


def channel_colors(channels: Sequence[str], pymol_cmd=None) -> List[tuple]:
    """An RGB colour per channel: the element's colour when the pattern starts
    with an element symbol (``C``, ``N|O``, ``S|SE``), else a palette colour."""
    pymol_cmd = pymol_cmd or cmd
    colors, spare = [], iter(_OTHER_COLORS * 4)
    used = set()
    for pattern in channels:
        first = re.split(r"[|()\[\]\s.*+?]", str(pattern).upper())[0]
        name = _ELEMENT_COLORS.get(first)
        if name is None or name in used:
            name = next(spare)
        used.add(name)
        colors.append(tuple(pymol_cmd.get_color_tuple(name)))
    return colors


_FACES = [  # (normal, 4 corners of the face as offsets in {0, 1}^3)
    ((-1, 0, 0), [(0, 0, 0), (0, 1, 0), (0, 1, 1), (0, 0, 1)]),
    ((1, 0, 0), [(1, 0, 0), (1, 0, 1), (1, 1, 1), (1, 1, 0)]),
    ((0, -1, 0), [(0, 0, 0), (0, 0, 1), (1, 0, 1), (1, 0, 0)]),
    ((0, 1, 0), [(0, 1, 0), (1, 1, 0), (1, 1, 1), (0, 1, 1)]),
    ((0, 0, -1), [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)]),
    ((0, 0, 1), [(0, 0, 1), (0, 1, 1), (1, 1, 1), (1, 0, 1)]),
]


def cgo_voxels(values: np.ndarray, center_A, resolution_A: float, color: tuple,
               threshold: float = 0.05, max_alpha: float = 0.6) -> list:
    """A CGO list of cubes for one channel ``values`` (L, L, L): the voxels at
    or above ``threshold`` of the channel's largest value, opacity rising
    with the value.

    Only the faces between a drawn voxel and an undrawn one (or the grid's
    edge) are emitted: a blob of voxels is drawn as its surface, so the
    opacity does not pile up inside it and PyMOL has far fewer triangles to
    ray-trace.
    """
    values = np.asarray(values, dtype=np.float64)
    top = float(values.max()) if values.size else 0.0
    if not top > 0:
        return []
    shown = values >= threshold * top
    n_shown = int(shown.sum())
    if n_shown > MAX_DRAWN_VOXELS:
        raise CommandError(
            f"{n_shown:,} voxels to draw, more than the {MAX_DRAWN_VOXELS:,} PyMOL can "
            f"show well; raise the threshold or use fewer voxels")
    origin = np.asarray(center_A, dtype=np.float64) - values.shape[0] * resolution_A / 2
    padded = np.pad(shown, 1)
    faces = []
    for normal, quad in _FACES:
        # Exposed: the neighbour across this face is not drawn.
        neighbour = padded[tuple(slice(1 + d, padded.shape[a] - 1 + d)
                                 for a, d in enumerate(normal))]
        ijk = np.argwhere(shown & ~neighbour)
        if not len(ijk):
            continue
        alpha = max_alpha * np.minimum(1.0, values[tuple(ijk.T)] / top)
        corners = origin + (ijk[:, None, :] + np.array(quad)[None]) * resolution_A
        # Two triangles (0, 1, 2), (0, 2, 3); each vertex is NORMAL n VERTEX p.
        triangle_corners = corners[:, [0, 1, 2, 0, 2, 3], :]
        n = len(ijk)
        vertex = np.empty((n, 6, 8))
        vertex[:, :, 0] = NORMAL
        vertex[:, :, 1:4] = normal
        vertex[:, :, 4] = VERTEX
        vertex[:, :, 5:8] = triangle_corners
        face = np.empty((n, 2 + 6 * 8))
        face[:, 0] = ALPHA
        face[:, 1] = alpha
        face[:, 2:] = vertex.reshape(n, -1)
        faces.append(face.ravel())
    return [BEGIN, TRIANGLES, COLOR, *color, *np.concatenate(faces).tolist(), END]


def cgo_outline(center_A, length_A: float, color=(1.0, 1.0, 0.0)) -> list:
    """The 12 edges of the grid's box as CGO lines."""
    lo = np.asarray(center_A, dtype=np.float64) - length_A / 2
    corners = [lo + length_A * np.array(c) for c in
               [(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 1, 0), (0, 0, 1), (1, 0, 1),
                (0, 1, 1), (1, 1, 1)]]
    edges = [(0, 1), (0, 2), (1, 3), (2, 3), (4, 5), (4, 6), (5, 7), (6, 7),
             (0, 4), (1, 5), (2, 6), (3, 7)]
    cgo = [BEGIN, LINES, COLOR, *color]
    for a, b in edges:
        cgo += [VERTEX, *map(float, corners[a]), VERTEX, *map(float, corners[b])]
    return cgo + [END]


def _channel_name(pattern: str, index: int) -> str:
    label = "other" if pattern in (".*", ".+") else re.sub(r"[^A-Za-z0-9]+", "_",
                                                         pattern).strip("_")
    return label or f"channel{index}"


def _draw(img, center_A, resolution_A, channels, name, threshold, outline, pymol_cmd):
    """Load one CGO object per channel (``name_<channel>``) and the outline."""
    img = np.asarray(img)
    colors = channel_colors(channels, pymol_cmd)
    pymol_cmd.set("transparency_mode", 1)
    objects = []
    for c, pattern in enumerate(channels):
        cgo = cgo_voxels(img[c], center_A, resolution_A, colors[c], threshold)
        obj = f"{name}_{_channel_name(pattern, c)}"
        pymol_cmd.delete(obj)
        if cgo:
            pymol_cmd.load_cgo(cgo, obj)
            objects.append(obj)
    if outline:
        pymol_cmd.delete(f"{name}_outline")
        pymol_cmd.load_cgo(cgo_outline(center_A, img.shape[1] * resolution_A),
                           f"{name}_outline")
        objects.append(f"{name}_outline")
    return objects


def _atoms_of(selection: str, state: int, pymol_cmd):
    """The selection's atoms as voxelize_cy's table (elements upper-cased)."""
    coords = pymol_cmd.get_coords(selection, state)
    if coords is None or len(coords) == 0:
        raise CmdException(f"voxelize: the selection {selection!r} has no atoms")
    space: Dict[str, list] = {"elements": [], "occupancy": []}
    pymol_cmd.iterate_state(state, selection, "elements.append(elem); occupancy.append(q)",
                            space=space)
    xyz = np.asarray(coords, dtype=np.float64)
    return {"element": np.array([e.upper() for e in space["elements"]], dtype=object),
            "x": xyz[:, 0].copy(), "y": xyz[:, 1].copy(), "z": xyz[:, 2].copy(),
            "occupancy": np.asarray(space["occupancy"], dtype=np.float64)}


def _parse_center(center, selection, state, pymol_cmd):
    if center in (None, "", "None"):
        coords = pymol_cmd.get_coords(selection, state)
        return np.asarray(coords, dtype=np.float64).mean(axis=0)
    if isinstance(center, str):
        numbers = re.split(r"[\s,\[\]()]+", center.strip())
        numbers = [n for n in numbers if n]
        try:
            values = [float(n) for n in numbers]
        except ValueError:
            values = None
        if values is None or len(values) != 3:  # a selection
            coords = pymol_cmd.get_coords(center, state)
            if coords is None or len(coords) == 0:
                raise CmdException(f"voxelize: center {center!r} is neither 3 numbers "
                                   f"nor a selection with atoms")
            return np.asarray(coords, dtype=np.float64).mean(axis=0)
        return np.array(values)
    return np.asarray(center, dtype=np.float64)


def voxelize(selection="all", center=None, length=21, resolution=1.0,
             channels="C N O .*", radius=None, threshold=0.05, outline=1, name="voxels",
             state=-1, _self=None):
    """PyMOL command: voxelize a selection and draw its channels as cubes.

    USAGE::

        voxelize selection [, center [, length [, resolution [, channels [, radius
            [, threshold [, outline [, name [, state]]]]]]]]]

    ARGUMENTS::

        selection = the atoms to voxelize {default: all}
        center = 'x,y,z' in Å, or a selection whose centroid is the centre
            {default: the centroid of the selection}
        length = voxels per side {default: 21}
        resolution = voxel side in Å {default: 1.0}
        channels = patterns matched against the element, separated by spaces
            (commas too, from Python) {default: C N O .*}
        radius = one radius in Å, or per element: C=1.7 N=1.55 *=1.8
            {default: half the resolution}
        threshold = voxels below this fraction of the channel's largest value
            are not drawn {default: 0.05}
        outline = draw the grid's edges, 1 or 0 {default: 1}
        name = prefix of the objects made {default: voxels}
        state = the state to take coordinates from {default: -1, current}
    """
    pymol_cmd = _self or cmd
    try:
        state = int(state)
        length, resolution = int(length), float(resolution)
        # PyMOL splits a command's arguments at commas: in its command
        # language, give several channels or radii separated by spaces.
        if isinstance(channels, str):
            channels = [c for c in re.split(r"[\s,]+", channels.strip()) if c]
        pattern_list = parse_channels(list(channels) if len(channels) > 1 else channels)
        radii = (parse_radius(",".join(str(radius).split()))
                 if radius not in (None, "", "None") else resolution / 2)
        if length > 200:
            raise CommandError(f"a grid of {length}³ voxels is too large to draw; use "
                               f"length <= 200")
        atoms = _atoms_of(selection, state, pymol_cmd)
        center_A = _parse_center(center, selection, state, pymol_cmd)
        params = ImageParams(Grid(length, resolution, center_A), pattern_list, radii)
        img = image_from_atoms(atoms, params)
        objects = _draw(img, center_A, resolution, pattern_list, name, float(threshold),
                        int(outline), pymol_cmd)
    except (CommandError, RuntimeError, KeyError, ValueError, TypeError) as err:
        if isinstance(err, CmdException):
            raise
        raise CmdException(f"voxelize: {err}") from None
    print(f" voxelize: {len(atoms['x'])} atoms, image {img.shape}, sum per channel "
          f"{np.round(img.sum(axis=(1, 2, 3)), 2).tolist()}; objects {', '.join(objects)}")
    return objects


def load_voxels(path, resolution=None, center=None, channel=None, threshold=0.05,
                outline=1, name=None, index=0, _self=None):
    """PyMOL command: draw an image file over the structure.

    USAGE::

        load_voxels path [, resolution [, center [, channel [, threshold
            [, outline [, name [, index]]]]]]]

    ARGUMENTS::

        path = .npz from voxelize-cy (or macromol_voxelize's write_npz), which
            holds the grid; or .npy with resolution and center given
        resolution, center = the grid of a .npy file {defaults: 1.0, 0,0,0}
        channel = draw only this channel (its index) {default: all}
        threshold = fraction of a channel's largest value below which voxels
            are not drawn {default: 0.05}
        outline = draw the grid's edges, 1 or 0 {default: 1}
        name = prefix of the objects made {default: the file's stem}
        index = the image to draw from a batch file {default: 0}
    """
    pymol_cmd = _self or cmd
    try:
        saved = load_image(path) if str(path).endswith(".npz") else {"image": np.load(path)}
        img = np.asarray(saved["image"] if "image" in saved else saved["images"])
        if img.ndim == 5:
            img = img[int(index)]
        if img.ndim != 4 or len(set(img.shape[1:])) != 1:
            raise ValueError(f"expected an image (C, L, L, L), got shape {img.shape}")
        res = float(saved.get("resolution_A", resolution if resolution is not None else 1.0))
        center_A = saved.get("center_A")
        if center_A is None:
            center_A = (_parse_center(center, "all", -1, pymol_cmd) if center not in
                        (None, "", "None") else np.zeros(3))
        channels = saved.get("channels") or [f"channel{i}" for i in range(img.shape[0])]
        if channel not in (None, "", "None"):
            c = int(channel)
            img, channels = img[c:c + 1], [channels[c]]
        objects = _draw(img, center_A, res, channels, name or Path(path).stem,
                        float(threshold), int(outline), pymol_cmd)
    except (CommandError, OSError, ValueError, KeyError, IndexError) as err:
        raise CmdException(f"load_voxels: {err}") from None
    print(f" load_voxels: image {img.shape} at {np.round(center_A, 3).tolist()} Å, "
          f"{res:g} Å voxels; objects {', '.join(objects)}")
    return objects


def render_png(path, img, center_A, resolution_A, channels, structure=None, *,
               width=800, height=640, threshold=0.2) -> List[Path]:
    """Ray-trace ``img`` over ``structure`` (a structure file) in a headless
    PyMOL and write a PNG; returns ``[path]``."""
    try:
        from pymol2 import PyMOL
    except ImportError:  # pragma: no cover
        raise ImportError("rendering 3D pictures needs PyMOL: pip install "
                          "'voxelize_cy[pymol]'") from None
    session = PyMOL()
    session.start()
    try:
        pm = session.cmd
        pm.bg_color("white")
        if structure is not None:
            _load_structure(pm, structure)
            pm.show_as("sticks")
            pm.set("stick_radius", 0.15)
        _draw(img, center_A, resolution_A, list(channels), "voxels", threshold, 1, pm)
        pm.set("orthoscopic", 1)
        pm.set("ray_opaque_background", 1)
        pm.set("ray_trace_mode", 0)
        pm.zoom("voxels_outline", 0, complete=1)
        pm.turn("x", -20)
        pm.turn("y", 25)
        pm.zoom("voxels_outline", 1.5, complete=1)
        pm.png(str(path), width=width, height=height, ray=1)
    finally:
        session.stop()
    return [Path(path)]


def _load_structure(pymol_cmd, path):
    """Load a structure file (gzipped too) as the object ``structure``."""
    path = Path(path)
    if path.suffix.lower() in (".feather", ".arrow"):
        return  # a cache has no bonds to draw
    if path.suffix.lower() == ".gz":
        with tempfile.TemporaryDirectory() as folder:
            plain = Path(folder) / path.name[:-3]
            plain.write_bytes(gzip.decompress(path.read_bytes()))
            pymol_cmd.load(str(plain), "structure")
    else:
        pymol_cmd.load(str(path), "structure")


def __init_plugin__(app=None):
    """PyMOL's plugin hook: the commands are registered at import."""


cmd.extend("voxelize", voxelize)
cmd.extend("load_voxels", load_voxels)
if hasattr(cmd, "auto_arg") and "zoom" in cmd.auto_arg[0]:
    cmd.auto_arg[0]["voxelize"] = cmd.auto_arg[0]["zoom"]  # complete selection names
