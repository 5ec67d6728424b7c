"""Saving images in the format a file name asks for.

=========  ===============================================================
suffix     what is written
=========  ===============================================================
``.npy``   the image array alone
``.npz``   ``image``, ``resolution_A``, ``center_A`` (as macromol_voxelize's
           ``write_npz``), plus ``channels`` and ``length_voxels``
``.png``   a preview picture (needs the ``plot`` extra)
``.dx``    one OpenDX map per channel, ``out_<channel>.dx``
``.mrc``   one CCP4/MRC map per channel (also ``.map``, ``.ccp4``)
=========  ===============================================================

``load_image`` reads ``.npy`` and ``.npz`` back, with the grid when the
file has it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, List, Optional, Sequence, Union

import numpy as np
from numpy.typing import ArrayLike

from voxelize_cy.pictures.maps import (
    channel_file_names,
    grid_origin_A,
    write_dx,
    write_mrc,
)

__all__ = ["IMAGE_SUFFIXES", "save_image", "load_image"]

PathLike = Union[str, os.PathLike]
IMAGE_SUFFIXES = (".npy", ".npz", ".png", ".dx", ".mrc", ".map", ".ccp4")


def output_kind(path: PathLike) -> str:
    """The suffix of ``path`` if it is one ``save_image`` writes; ``ValueError``
    naming the choices otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ValueError(
            f"cannot tell what to write from the name {str(path)!r}: use one of "
            f"{', '.join(IMAGE_SUFFIXES)}"
        )
    return suffix


def save_image(path: PathLike, img: np.ndarray, *, center_A: Optional[ArrayLike] = None,
               resolution_A: Optional[float] = None,
               channels: Optional[Sequence[str]] = None,
               title: Optional[str] = None, atoms: Any = None) -> List[Path]:
    """Save an image ``(C, L, L, L)`` in the format ``path``'s suffix names.

    Parameters
    ----------
    path : str or path-like
        Ending in ``.npy``, ``.npz``, ``.png``, ``.dx``, ``.mrc``/``.map``/``.ccp4``.
    img : numpy.ndarray
        ``(C, L, L, L)``.
    center_A, resolution_A : the grid (needed for .npz, .dx, .mrc; used by .png)
    channels : the channel patterns (file names of maps, titles of panels)
    title : a title for the .png preview
    atoms : atom table, optional
        Drawn as points over the .png preview.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    kind = output_kind(path)
    path = Path(path)
    img = np.asarray(img)
    if img.ndim != 4:
        raise ValueError(f"expected an image of shape (C, L, L, L), got {img.shape}")
    names = list(channels) if channels is not None else [f"channel{i}"
                                                        for i in range(img.shape[0])]
    if kind == ".npy":
        np.save(path, img)
        return [path]
    if kind == ".png":
        from voxelize_cy.pictures.plotting import save_image_png

        save_image_png(img, path, channels=names, title=title, resolution_A=resolution_A,
                       center_A=center_A, atoms=atoms)
        return [path]
    if center_A is None or resolution_A is None:
        raise ValueError(f"writing {kind} needs the grid: center_A and resolution_A")
    center = np.asarray(center_A, dtype=np.float64)
    if kind == ".npz":
        np.savez(path, image=img, resolution_A=float(resolution_A), center_A=center,
                 channels=np.array(names, dtype=str), length_voxels=img.shape[1])
        return [path]
    origin = grid_origin_A(center, img.shape[1], float(resolution_A))
    files = channel_file_names(path, names)
    for c, file in enumerate(files):
        if kind == ".dx":
            write_dx(file, img[c], origin, float(resolution_A), name=f"channel {names[c]}")
        else:
            write_mrc(file, img[c], origin, float(resolution_A))
    return files


def load_image(path: PathLike) -> dict:
    """Read an image saved as ``.npy`` or ``.npz``.

    Returns
    -------
    dict
        ``image`` always; ``resolution_A``, ``center_A`` and ``channels`` when
        the file holds them (``.npz`` from ``save_image`` or from
        macromol_voxelize's ``write_npz``).
    """
    path = Path(path)
    if path.suffix.lower() == ".npy":
        return {"image": np.load(path)}
    with np.load(path) as data:
        if "image" not in data:
            raise ValueError(f"{path} holds no 'image' array (it has {list(data)})")
        out = {"image": data["image"]}
        if "resolution_A" in data:
            out["resolution_A"] = float(data["resolution_A"])
        if "center_A" in data:
            out["center_A"] = np.asarray(data["center_A"], dtype=np.float64)
        if "channels" in data:
            out["channels"] = [str(c) for c in data["channels"]]
    return out
