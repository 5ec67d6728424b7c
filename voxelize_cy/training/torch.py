"""PyTorch layer: images as a differentiable function of the atoms' coordinates.

``voxelize(coords, elements, params)`` is ``image_from_atoms`` on a torch
tensor of coordinates, with ``atom_gradients`` as its backward pass: the
exact overlap's exact gradient, or the Gaussian's analytic one.  With
``frames`` (B, 4, 4) it makes one image per frame of the same atoms, as
``images_from_atoms(frames=...)`` does, and the backward pass sums over them.
``Voxelizer`` is the same as an ``nn.Module``.

Only the coordinates carry a gradient; elements, occupancies and the image
parameters are fixed inputs.  Tensors are moved to the CPU for the kernels
and the image is returned on the coordinates' device, in their dtype (float64
coordinates give a float64 image: ``torch.autograd.gradcheck`` passes).

Needs the ``torch`` extra (``pip install "voxelize_cy[torch]"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, Optional, Sequence

import numpy as np
import torch

from voxelize_cy.chemistry.channel_sets import CHANNEL_SETS
from voxelize_cy.images.draw import image_from_atoms, images_from_atoms
from voxelize_cy.images.gradients import atom_gradients

__all__ = ["Voxelizer", "voxelize"]


def _table(coords: torch.Tensor, elements, occupancy):
    xyz = coords.detach().to("cpu", torch.float64).numpy()
    if xyz.ndim != 2 or xyz.shape[1] != 3:
        raise ValueError(f"coords must be an (N, 3) tensor, got shape {tuple(coords.shape)}")
    n = xyz.shape[0]
    if isinstance(occupancy, torch.Tensor):
        occupancy = occupancy.detach().to("cpu", torch.float64).numpy()
    if hasattr(elements, "columns") or isinstance(elements, Mapping):
        # the table's other columns (e.g. typed with add_channels); coords replace x, y, z
        names = list(elements.columns if hasattr(elements, "columns") else elements.keys())
        table = {name: np.asarray(elements[name]) for name in names
                 if name not in ("x", "y", "z")}
        if any(len(column) != n for column in table.values()):
            raise ValueError(f"the table's columns must have one row per coordinate ({n})")
        if occupancy is not None or "occupancy" not in table:
            table["occupancy"] = np.ones(n) if occupancy is None else occupancy
        table.update(x=xyz[:, 0], y=xyz[:, 1], z=xyz[:, 2])
        return table
    if occupancy is None:
        occupancy = np.ones(n)
    return {"element": elements, "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2],
            "occupancy": occupancy}


class _Voxelize(torch.autograd.Function):
    """The autograd function behind ``voxelize`` (see the module doc)."""

    @staticmethod
    def forward(ctx, coords, elements, occupancy, params, frames, options):
        table = _table(coords, elements, occupancy)
        dtype = np.float64 if coords.dtype == torch.float64 else np.float32
        if frames is None:
            image = image_from_atoms(table, params, dtype=dtype, **options)
        else:
            image = images_from_atoms(table, params, frames=frames, dtype=dtype,
                                          **options)
        ctx.table, ctx.params, ctx.frames, ctx.options = table, params, frames, options
        ctx.device = coords.device
        return torch.from_numpy(image).to(coords.device)

    @staticmethod
    def backward(ctx, grad_image):
        grad = grad_image.detach().to("cpu", torch.float64).numpy()
        if ctx.frames is None:
            out = atom_gradients(ctx.table, ctx.params, grad, **ctx.options)
        else:
            out = np.zeros((len(ctx.table["x"]), 3))
            for b, frame in enumerate(ctx.frames):
                out += atom_gradients(ctx.table, ctx.params, grad[b], frame=frame,
                                          **ctx.options)
        return (torch.from_numpy(out).to(ctx.device, grad_image.dtype),
                None, None, None, None, None)


def voxelize(coords: torch.Tensor, elements, params, occupancy=None, *,
             frames=None, fill: str = "fraction_atom", agg: str = "sum",
             radius_scale: float = 1.0, gaussian_radius_multiple: float = 1.0
             ) -> torch.Tensor:
    """The image of atoms at ``coords``, differentiable in ``coords``.

    Parameters
    ----------
    coords : torch.Tensor
        ``(N, 3)`` coordinates (Å), float32 or float64, any device.
    elements : sequence of str, or a table
        ``N`` elements (matched against ``params.channels``); or the atoms'
        table (pandas/polars DataFrame or dict of columns) whose other
        columns go with the coordinates, e.g. one typed with
        ``voxelize_cy.add_channels`` for ``params.channels='gnina-receptor'``
        (its x, y, z are replaced by ``coords``).
    params : ImageParams
        The grid, channels and radii, as for ``image_from_atoms``.
    occupancy : array or tensor, optional
        ``N`` occupancies (default 1).
    frames : (B, 4, 4) array, optional
        One image per rigid frame (``images_from_atoms(frames=...)``).
    fill, agg, radius_scale, gaussian_radius_multiple : optional
        As for ``image_from_atoms``; ``fill='binary'`` has no gradient.

    Returns
    -------
    torch.Tensor
        ``(C, L, L, L)``, or ``(B, C, L, L, L)`` with frames, in the dtype
        and on the device of ``coords``.
    """
    options: Dict[str, object] = {"fill": fill, "agg": agg}
    if fill in ("gaussian", "binary"):
        options.update(radius_scale=radius_scale,
                       gaussian_radius_multiple=gaussian_radius_multiple)
    if frames is not None:
        frames = np.asarray(frames.detach().cpu() if isinstance(frames, torch.Tensor)
                            else frames, dtype=np.float64)
        frames = frames[None] if frames.ndim == 2 else frames
    if not (hasattr(elements, "columns") or isinstance(elements, Mapping)):
        elements = np.asarray(elements, dtype=object)
    return _Voxelize.apply(coords, elements, occupancy, params, frames, options)


class Voxelizer(torch.nn.Module):
    """``voxelize`` as a module: the image parameters and fill fixed at
    construction, the atoms given to ``forward``.

    Parameters
    ----------
    params : ImageParams
    fill, agg, radius_scale, gaussian_radius_multiple : optional
        As for ``image_from_atoms``.
    """

    def __init__(self, params, *, fill: str = "fraction_atom", agg: str = "sum",
                 radius_scale: float = 1.0, gaussian_radius_multiple: float = 1.0):
        super().__init__()
        self.params = params
        self.options: Dict[str, Any] = dict(fill=fill, agg=agg, radius_scale=radius_scale,
                            gaussian_radius_multiple=gaussian_radius_multiple)

    def forward(self, coords: torch.Tensor, elements: Sequence[str],
                occupancy: Optional[object] = None, frames=None) -> torch.Tensor:
        """The image(s) of the atoms (see ``voxelize``)."""
        return voxelize(coords, elements, self.params, occupancy, frames=frames,
                        **self.options)

    def extra_repr(self) -> str:
        grid = self.params.grid
        channels = self.params.channels
        count = (CHANNEL_SETS[channels].n_channels if isinstance(channels, str)
                 else len(channels))
        return (f"{count} channels, {grid.length_voxels}^3 voxels of "
                f"{grid.resolution_A} A, fill={self.options['fill']!r}")
