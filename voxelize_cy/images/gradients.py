"""Exact gradients of an image with respect to its atoms' coordinates.

``atom_gradients(atoms, params, grad_image)`` is the backward pass of
``image_from_atoms``: given dL/d(image), it returns dL/d(x, y, z) for every row
of the table, in closed form (no approximation of the overlap and no
autograd): the derivative of a ball's overlap with a voxel along x is the
area of the ball's cross-section in the voxel's lower x face minus that in
its upper x face (see ``core/src/overlap.c``).  Uses: map a CNN's voxel saliency back
onto atoms, optimise a pose through a scoring network, train models that
emit atoms.
"""

from __future__ import annotations

from typing import Optional, Union

import numpy as np
from numpy.typing import ArrayLike

from voxelize_cy import core
from voxelize_cy.chemistry import AtomTable
from voxelize_cy.core import PreparedAtoms, all_finite
from voxelize_cy.images._call import kernel_modes, run_kernel
from voxelize_cy.images._checks import check_channel_cache
from voxelize_cy.images._resolved import ResolvedParams
from voxelize_cy.images._tables import table_source, typed_source
from voxelize_cy.images.draw import ElementRows
from voxelize_cy.images.frames import check_frame
from voxelize_cy.images.model import ImageParams

__all__ = ["atom_gradients", "check_grad_image"]


def check_grad_image(grad_image, shape, scan=True) -> np.ndarray:
    """``grad_image`` as a C-contiguous float32/float64 array of ``shape``
    (``ValueError`` naming the expected shape otherwise); with ``scan``, also a
    ValueError naming the first value that is NaN or infinite."""
    if not isinstance(grad_image, np.ndarray):
        try:
            grad_image = np.asarray(grad_image)
        except Exception:
            raise ValueError(f"grad_image must be an array of shape {tuple(shape)}") from None
    if grad_image.shape != tuple(shape):
        raise ValueError(f"grad_image has shape {grad_image.shape}; expected {tuple(shape)}, "
                         f"the shape of the image")
    if grad_image.dtype.kind == "f" and not grad_image.dtype.isnative:
        # byte-swapped float32/float64: the same numbers in the machine's order
        grad_image = grad_image.astype(grad_image.dtype.newbyteorder("="))
    if grad_image.dtype not in (np.float32, np.float64):
        raise ValueError(f"grad_image has dtype {grad_image.dtype}; expected float32 or "
                         f"float64 (of shape {tuple(shape)})")
    grad_image = np.ascontiguousarray(grad_image)
    if scan and not all_finite(grad_image):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(grad_image))[0])
        raise ValueError(f"grad_image holds {grad_image[bad]} at {bad}; every value must be "
                         f"finite (shape {tuple(shape)})")
    return grad_image


def atom_gradients(atoms: Union[AtomTable, PreparedAtoms], img_params: ImageParams,
                   grad_image: np.ndarray, channel_cache: Optional[dict] = None, *,
                   frame: Optional[ArrayLike] = None, fill: str = "fraction_atom",
                   agg: str = "sum", radius_scale: float = 1.0,
                   gaussian_radius_multiple: float = 1.0) -> np.ndarray:
    """dL/d(x, y, z) of every atom, given ``grad_image`` = dL/d(image).

    Parameters
    ----------
    atoms : atom table or PreparedAtoms
        As for ``image_from_atoms``.
    img_params : ImageParams
    grad_image : numpy.ndarray
        dL/d(image), of the image's shape ``(C, L, L, L)``, float32 or float64.
    channel_cache : dict, optional
        As for ``image_from_atoms``.
    frame : (4, 4) array, optional, keyword-only
        The frame the image was made in; the gradients are with respect to
        the table's own coordinates (through the rotation).
    fill, agg, radius_scale, gaussian_radius_multiple : keyword-only
        As for ``image_from_atoms``.  With ``agg='max'`` a voxel's gradient
        goes to the atom that holds its maximum.  ``fill='gaussian'`` has the
        Gaussian's analytic gradient; ``fill='binary'`` is a step and has
        none (``ValueError``).

    Returns
    -------
    numpy.ndarray
        ``(n_atoms, 3)`` float64: one row per row of the table, zeros for the
        atoms that do not reach the image.

    Raises
    ------
    ValueError
        A ``grad_image`` of the wrong shape or dtype, or with NaN/inf values
        where the pass reads it, i.e. within reach of an atom (the message
        names the expected shape and the first such value); the errors of
        ``image_from_atoms`` for the table and the parameters.
    """
    params = ResolvedParams(img_params)
    check_channel_cache(channel_cache)
    frame_values = None if frame is None else check_frame(frame)
    modes = kernel_modes(fill, agg, radius_scale, gaussian_radius_multiple, gradient=True)
    # NaN and inf are looked for after the pass: any value the pass reads turns
    # gradients non-finite (NaN times a zero weight included); values out of
    # every atom's reach do not change the result (a scan of the whole image
    # would cost as much as a fifth of the pass).
    grad = check_grad_image(grad_image, params.shape, scan=False)
    if params.channel_set is not None:
        source, max_radius_A = typed_source(atoms, params.channel_set)
    else:
        source, max_radius_A = table_source(atoms), params.max_radius_A
    out = np.zeros((source.n_source_rows(), 3))
    cx, cy, cz = params.center
    run_kernel(lambda screen: core.gradients(
        grad, source, params.resolver, channel_cache, cx, cy, cz, params.resolution_A,
        max_radius_A, frame_values, modes.fill, modes.agg, screen, out, modes.density),
        lambda image: ElementRows(source, params))
    if not all_finite(out):
        check_grad_image(grad, params.shape)  # names the NaN or inf it read
    return out
