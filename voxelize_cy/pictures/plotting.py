"""PNG previews of images: one panel per channel, a projection along an axis.

Each panel shows the sum (or maximum) of one channel along the chosen axis,
in Å of the structure's own frame, with its own colour bar; the atoms that lie
in the grid's box are drawn over it as points, and the titles name the
channel and the grid.  matplotlib comes from the ``plot`` extra
(``pip install 'voxelize_cy[plot]'``) and is imported only when a picture is
drawn.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Optional, Sequence

if TYPE_CHECKING:
    from matplotlib.figure import Figure

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["preview_figure", "save_image_png", "PlottingUnavailable"]

_AXES = {"x": 0, "y": 1, "z": 2}


class PlottingUnavailable(ImportError):
    """matplotlib is not installed."""


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise PlottingUnavailable(
            "drawing PNGs needs matplotlib: pip install 'voxelize_cy[plot]'"
        ) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _atoms_in_box(atoms, center, half):
    """(N, 3) coordinates of the atoms inside the grid's box."""
    if atoms is None or center is None:
        return np.zeros((0, 3))
    xyz = np.stack([np.asarray(atoms["x"], dtype=float), np.asarray(atoms["y"], dtype=float),
                    np.asarray(atoms["z"], dtype=float)], axis=1)
    inside = np.all(np.abs(xyz - center) <= half, axis=1)
    return xyz[inside]


def preview_figure(img: np.ndarray, channels: Optional[Sequence[str]] = None,
                   title: Optional[str] = None, resolution_A: Optional[float] = None,
                   center_A: Optional[ArrayLike] = None, atoms: Any = None,
                   projection: str = "sum", axis: str = "z") -> "Figure":
    """A matplotlib Figure previewing ``img`` ``(C, L, L, L)``.

    Parameters
    ----------
    img : numpy.ndarray
        Image of shape ``(C, L, L, L)`` (axes channel, x, y, z).
    channels : sequence of str, optional
        The channel patterns, for the panel titles.
    title : str, optional
        Figure title (default: a description of the grid).
    resolution_A, center_A : optional
        The grid, to label the axes in Å (relative to the centre without
        ``center_A``).
    atoms : atom table, optional
        Its atoms inside the grid are drawn as points.
    projection : {'sum', 'max'}
        How a channel is reduced along ``axis``.
    axis : {'x', 'y', 'z'}
        The axis projected away.

    Returns
    -------
    matplotlib.figure.Figure
        One image panel (``AxesImage``) per channel, each with a colour bar.
    """
    img = np.asarray(img)
    if img.ndim != 4:
        raise ValueError(f"expected an image of shape (C, L, L, L), got {img.shape}")
    if projection not in ("sum", "max"):
        raise ValueError(f"projection must be 'sum' or 'max', got {projection!r}")
    if axis not in _AXES:
        raise ValueError(f"axis must be 'x', 'y' or 'z', got {axis!r}")
    plt = _pyplot()
    n, L = img.shape[0], img.shape[1]
    names = list(channels) if channels is not None else [f"channel {i}" for i in range(n)]
    a = _AXES[axis]
    shown_axes = [i for i in range(3) if i != a]  # panel columns, panel rows
    reduce = np.sum if projection == "sum" else np.max
    planes = reduce(img, axis=1 + a)  # (C, first shown axis, second shown axis)
    res = float(resolution_A) if resolution_A else 1.0
    center = np.asarray(center_A, dtype=float) if center_A is not None else np.zeros(3)
    unit = "Å" if resolution_A else "voxels"
    lo = center - L * res / 2
    hi = center + L * res / 2
    extent = (lo[shown_axes[0]], hi[shown_axes[0]], lo[shown_axes[1]], hi[shown_axes[1]])
    points = _atoms_in_box(atoms, center if center_A is not None else None, L * res / 2)

    columns = min(n, 4)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 3.3 * rows + 0.6),
                             squeeze=False, constrained_layout=True)
    labels = "xyz"
    for c in range(rows * columns):
        ax = axes[c // columns][c % columns]
        if c >= n:
            ax.set_axis_off()
            continue
        shown = ax.imshow(planes[c].T, origin="lower", cmap="magma",
                          extent=extent, interpolation="nearest", vmin=0)
        if len(points):
            ax.scatter(points[:, shown_axes[0]], points[:, shown_axes[1]], s=2,
                       c="cyan", alpha=0.6, linewidths=0, label="atoms")
            ax.set_xlim(extent[0], extent[1])
            ax.set_ylim(extent[2], extent[3])
        ax.set_title(f"channel {c}: {names[c]}\nsum {img[c].sum():.2f}", fontsize=9)
        ax.set_xlabel(f"{labels[shown_axes[0]]} ({unit})")
        ax.set_ylabel(f"{labels[shown_axes[1]]} ({unit})")
        fig.colorbar(shown, ax=ax, shrink=0.8, label=f"{projection} over {axis}")
    if title is None:
        where = (f" centred at ({center[0]:.2f}, {center[1]:.2f}, {center[2]:.2f}) Å"
                 if center_A is not None else "")
        title = f"{L}³ voxels of {res:g} {unit}{where}"
    fig.suptitle(title, fontsize=10)
    return fig


def save_image_png(img: np.ndarray, path: "os.PathLike | str", channels: Optional[Sequence[str]] = None,
                   title: Optional[str] = None, resolution_A: Optional[float] = None,
                   center_A: Optional[ArrayLike] = None, atoms: Any = None,
                   projection: str = "sum", axis: str = "z") -> None:
    """Write ``preview_figure(img, ...)`` as a PNG (see ``preview_figure``).

    Raises
    ------
    PlottingUnavailable
        matplotlib is not installed.
    ValueError
        ``img`` is not 4-D, or a bad ``projection`` / ``axis``.
    """
    fig = preview_figure(img, channels, title, resolution_A, center_A, atoms, projection,
                         axis)
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
