"""The sequence every drawing call makes, written once.

Each entry point (``image_from_atoms``, ``images_from_atoms``,
``atom_gradients``, the typed batches of gnina's data and the macromol API)
goes through the same steps: check its parameters; turn ``fill=`` and
``agg=`` into kernel codes (:func:`kernel_modes`, with the density options);
read its tables into sources; run the kernel pass, retrying an unscreened
pass when the original's row screen fails only on ``-0.0`` occupancies; and
raise the error of the first bad row (:func:`run_kernel`).  The errors come
from one table, :data:`STATUS_ERRORS`, worded by a :class:`RowReport` that
knows the caller's table.
"""

from __future__ import annotations

from typing import Callable, Dict, NamedTuple, Optional, Tuple

import numpy as np

from voxelize_cy.core import Aggregation, Fill, ImageStatus, Screen
from voxelize_cy.images._checks import density_options

#: ``fill=`` choices: what an atom puts in a voxel, times its occupancy.
FILLS = {
    "fraction_atom": Fill.FILL_FRACTION_ATOM,    # overlap / ball volume (the original's)
    "overlap_A3": Fill.FILL_OVERLAP_A3,          # overlap volume in Å³
    "fraction_voxel": Fill.FILL_FRACTION_VOXEL,  # overlap / voxel volume
    "gaussian": Fill.FILL_GAUSSIAN,  # libmolgrid's Gaussian density at the voxel centre
    "binary": Fill.FILL_BINARY,      # 1 where the voxel centre lies inside the ball
}
#: ``agg=`` choices: how atoms that share a voxel and channel combine.
AGGREGATIONS = {"sum": Aggregation.AGG_SUM, "max": Aggregation.AGG_MAX}


class KernelModes(NamedTuple):
    """The kernels' ``fill``, ``agg`` and ``density`` arguments of one call."""

    fill: int
    agg: int
    density: Optional[Tuple[float, float, float]]


def mode(value, choices, name):
    """The code of a ``fill=``/``agg=`` choice, given by name in any case, with
    or without underscores ('overlap_A3', 'OverlapA3'), or as an enum member
    of that name (macromol_voxelize's FillAlgorithm, AggAlgorithm)."""
    code = choices.get(value) if type(value) is str else None
    if code is not None:  # the usual spelling: one dict lookup
        return code
    key = getattr(value, "name", value)
    if isinstance(key, str):
        key = key.replace("_", "").lower()
        for choice, code in choices.items():
            if key == choice.replace("_", "").lower():
                return code
    raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def kernel_modes(fill="fraction_atom", agg="sum", radius_scale=1.0,
                 gaussian_radius_multiple=1.0, *, gradient=False,
                 aggregations=AGGREGATIONS) -> KernelModes:
    """``fill=``, ``agg=`` and the density options as the kernels take them.

    Parameters
    ----------
    fill, agg : str or enum member
        Names from :data:`FILLS` and ``aggregations``.
    radius_scale, gaussian_radius_multiple : float
        libmolgrid's density options (``fill='gaussian'`` or ``'binary'``).
    gradient : bool
        For a backward pass: ``fill='binary'`` (a step) is refused.
    aggregations : dict
        The ``agg=`` choices (macromol sums float32 images in double).

    Returns
    -------
    KernelModes

    Raises
    ------
    ValueError, TypeError
        An unknown choice or a bad option, named.
    """
    fill_code = FILLS["fraction_atom"] if fill == "fraction_atom" else mode(fill, FILLS,
                                                                           "fill")
    agg_code = aggregations["sum"] if agg == "sum" else mode(agg, aggregations, "agg")
    if gradient and fill_code == Fill.FILL_BINARY:
        raise ValueError("fill='binary' has no gradient (a step in the atom's position); "
                         "use fill='gaussian' or an exact fill")
    return KernelModes(fill_code, agg_code,
                       density_options(fill_code, radius_scale, gaussian_radius_multiple))


#: What each kernel status raises, and the :class:`RowReport` method that
#: words its message for the row at fault.
STATUS_ERRORS: Dict[int, Tuple[type, str]] = {
    ImageStatus.IMAGE_NO_CHANNEL: (RuntimeError, "no_channel"),
    ImageStatus.IMAGE_NO_RADIUS: (KeyError, "no_radius"),
    ImageStatus.IMAGE_NO_MEMORY: (MemoryError, "no_memory"),
    ImageStatus.IMAGE_BAD_CHANNEL: (ValueError, "bad_channel"),
    ImageStatus.IMAGE_BAD_ROWS: (ValueError, "bad_rows"),
    ImageStatus.IMAGE_BAD_CODE: (ValueError, "cannot_draw"),
    ImageStatus.IMAGE_NOT_STR: (ValueError, "not_str"),
    ImageStatus.IMAGE_BAD_RADIUS: (ValueError, "bad_radius"),
    ImageStatus.IMAGE_RADIUS_ABOVE_MAX: (ValueError, "radius_above_max"),
}


class RowReport:
    """Words the error of a kernel status for one row of a caller's table.

    Subclasses know their table and override the messages they can say more
    about; the exception classes come from :data:`STATUS_ERRORS` (a
    subclass may raise its own ``value_error`` class instead of ValueError).
    """

    #: raised where STATUS_ERRORS says ValueError
    value_error: type = ValueError

    def __init__(self, where: str = ""):
        self.where = where

    def check_rows(self) -> None:
        """Raise the error that names the first row the original's screen
        rejects; return when there is none (``-0.0`` occupancies)."""

    def error(self, status: int, row: int) -> Exception:
        """The exception for ``status`` at ``row``."""
        kind, method = STATUS_ERRORS.get(status, (ValueError, "cannot_draw"))
        message = getattr(self, method)(row, status)
        if kind is ValueError:
            kind = self.value_error
        return kind(f"{self.where}{message}")

    def no_memory(self, row, status):
        return "no memory for the voxelization scratch space"

    def cannot_draw(self, row, status):
        return f"atom at row {row} cannot be drawn ({ImageStatus(status).name})"

    no_channel = no_radius = bad_channel = bad_rows = not_str = cannot_draw
    bad_radius = radius_above_max = cannot_draw


def _first_failure(status) -> Optional[int]:
    """The image of the first nonzero status (0 for one image's int), or None."""
    if isinstance(status, np.ndarray):
        failed = np.flatnonzero(status)
        return int(failed[0]) if failed.size else None
    return None if status == ImageStatus.IMAGE_OK else 0


def run_kernel(kernel_pass: Callable[[int], tuple], report_for: Callable[[int], RowReport],
               screen: int = Screen.SCREEN_ORIGINAL):
    """Run ``kernel_pass(screen)`` and raise the error of its first bad row.

    Parameters
    ----------
    kernel_pass : callable
        ``kernel_pass(screen)`` runs the kernel and returns its result, whose
        first two items are the status and the row at fault (ints for one
        image, arrays for a batch).
    report_for : callable
        ``report_for(image)`` gives the :class:`RowReport` of that image's
        table (image 0 for a single image).
    screen : Screen
        The row screen of the first pass.  When ``SCREEN_ORIGINAL`` fails,
        the report names the bad row; when no row is bad (only ``-0.0``
        occupancies fail the screen while valid), the pass runs again
        unscreened.

    Returns
    -------
    The kernel's result.
    """
    while True:
        result = kernel_pass(screen)
        status, row = result[0], result[1]
        image = _first_failure(status)
        if image is None:
            return result
        if isinstance(status, np.ndarray):
            status, row = int(status[image]), int(row[image])
        report = report_for(image)
        if status == ImageStatus.IMAGE_BAD_ROWS and screen == Screen.SCREEN_ORIGINAL:
            report.check_rows()
            screen = Screen.SCREEN_NONE
            continue
        raise report.error(status, row)
