"""PNG previews of images: one panel per channel, max-intensity projection along z.

matplotlib comes from the ``plot`` extra (``pip install 'voxelize_cy[plot]'``);
it is imported only when a picture is drawn.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np

__all__ = ["save_image_png", "PlottingUnavailable"]


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


def save_image_png(
    img: np.ndarray,
    path: "os.PathLike | str",
    channels: Optional[Sequence[str]] = None,
    title: Optional[str] = None,
    resolution_A: Optional[float] = None,
) -> None:
    """Write a PNG of ``img`` (C, L, L, L): per channel, the maximum along z.

    Parameters
    ----------
    img : numpy.ndarray
        Image of shape ``(C, L, L, L)`` (axes channel, x, y, z).
    path : path-like
        Where to write the PNG.
    channels : sequence of str, optional
        Panel titles (the channel patterns); default ``channel 0``, ….
    title : str, optional
        Figure title.
    resolution_A : float, optional
        Voxel size, to label the axes in Å instead of voxels.

    Raises
    ------
    PlottingUnavailable
        matplotlib is not installed.
    ValueError
        ``img`` is not 4-D.
    """
    img = np.asarray(img)
    if img.ndim != 4:
        raise ValueError(f"expected an image of shape (C, L, L, L), got {img.shape}")
    plt = _pyplot()
    n = img.shape[0]
    names = list(channels) if channels is not None else [f"channel {i}" for i in range(n)]
    projection = img.max(axis=3)  # (C, L_x, L_y)
    vmax = float(projection.max()) or 1.0
    extent = None
    unit = "voxels from centre"
    if resolution_A:
        side = img.shape[1] * resolution_A
        extent = (-side / 2, side / 2, -side / 2, side / 2)
        unit = "Å from centre"
    fig, axes = plt.subplots(1, n, figsize=(3.0 * n + 1.2, 3.4), squeeze=False,
                             constrained_layout=True)
    for c, ax in enumerate(axes[0]):
        # Rows of the panel are y, columns x, y upwards.
        shown = ax.imshow(projection[c].T, origin="lower", cmap="viridis", vmin=0,
                          vmax=vmax, extent=extent, interpolation="nearest")
        ax.set_title(f"{names[c]!s}  (sum {img[c].sum():.2f})", fontsize=10)
        ax.set_xlabel(f"x ({unit})")
        if c == 0:
            ax.set_ylabel(f"y ({unit})")
    fig.colorbar(shown, ax=list(axes[0]), shrink=0.85,
                 label="max over z of the atom fraction per voxel")
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
