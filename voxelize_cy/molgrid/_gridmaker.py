"""libmolgrid's ``GridMaker`` and ``GridInterpolater``.

``GridMaker`` takes every form of libmolgrid's ``forward`` and ``backward``
(a batch, an example, an example and a ``Transform``, a centre and a
``CoordinateSet``, a centre and coordinate/type/radius arrays, batched
arrays) and draws with :class:`voxelize_cy.gnina.GninaGridder`: a batch is one
call of voxelize_cy's batch kernel.  Outputs may be grids, numpy arrays or
torch tensors (a CUDA tensor is filled on the CPU and copied).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Optional

import numpy as np

from voxelize_cy import gnina
from voxelize_cy.molgrid._coords import CoordinateSet, Example, input_array
from voxelize_cy.molgrid._grids import OutputArray, as_float3
from voxelize_cy.molgrid._transform import Transform

__all__ = ["GridMaker", "GridInterpolater", "set_num_threads", "get_num_threads"]

_threads: List[Optional[int]] = [None]


def set_num_threads(num_threads: Optional[int]) -> None:
    """Threads each batch of ``GridMaker.forward`` uses (None: OpenMP's default,
    all cores; libmolgrid's CPU path uses one)."""
    if num_threads is not None and int(num_threads) < 1:
        raise ValueError(f"num_threads must be >= 1 or None, got {num_threads}")
    _threads[0] = None if num_threads is None else int(num_threads)


def get_num_threads() -> Optional[int]:
    """What :func:`set_num_threads` set (None: OpenMP's default)."""
    return _threads[0]


def _output(value, ndim: int, name: str) -> OutputArray:
    dtype = getattr(getattr(value, "_a", value), "dtype", None)
    is_double = str(dtype) in ("float64", "torch.float64")
    return OutputArray(value, ndim, np.float64 if is_double else np.float32, name)


class GridMaker:
    """Atom densities on a grid, and their gradients (libmolgrid's ``GridMaker``).

    Parameters
    ----------
    resolution, dimension : float
        Spacing and side (Å); ``round(dimension / resolution) + 1`` points a side.
    binary : bool
        1 inside an atom's radius instead of the Gaussian density.
    radius_type_indexed : bool
        Radii per type (vector types).
    radius_scale, gaussian_radius_multiple : float
        libmolgrid's density options.
    """

    def __init__(self, resolution: float = 0.5, dimension: float = 23.5, binary: bool = False,
                 radius_type_indexed: bool = False, radius_scale: float = 1.0,
                 gaussian_radius_multiple: float = 1.0):
        self._options: Dict[str, Any] = dict(resolution=float(resolution), dimension=float(dimension),
                             binary=bool(binary), radius_type_indexed=bool(radius_type_indexed),
                             radius_scale=float(radius_scale),
                             gaussian_radius_multiple=float(gaussian_radius_multiple))
        self._build()

    def _build(self) -> None:
        o = self._options
        self._gridder = gnina.GninaGridder(
            o["resolution"], o["dimension"], fill="binary" if o["binary"] else "gaussian",
            radius_scale=o["radius_scale"], gaussian_radius_multiple=o["gaussian_radius_multiple"],
            radius_type_indexed=o["radius_type_indexed"], num_threads=_threads[0])

    # settings
    def get_resolution(self) -> float:
        """Grid spacing (Å)."""
        return self._options["resolution"]

    def set_resolution(self, value: float) -> None:
        """Set the grid spacing (Å)."""
        self._options["resolution"] = float(value)
        self._build()

    def get_dimension(self) -> float:
        """Grid side (Å)."""
        return self._options["dimension"]

    def set_dimension(self, value: float) -> None:
        """Set the grid side (Å)."""
        self._options["dimension"] = float(value)
        self._build()

    def get_binary(self) -> bool:
        """Binary densities."""
        return self._options["binary"]

    def set_binary(self, value: bool) -> None:
        """Set binary densities."""
        self._options["binary"] = bool(value)
        self._build()

    def get_radii_type_indexed(self) -> bool:
        """Radii per type."""
        return self._options["radius_type_indexed"]

    def set_radii_type_indexed(self, value: bool) -> None:
        """Take radii per type (vector types)."""
        self._options["radius_type_indexed"] = bool(value)
        self._build()

    def spatial_grid_dimensions(self):
        """``(L, L, L)``."""
        L = self._gridder.length
        return (L, L, L)

    def grid_dimensions(self, ntypes: int):
        """``(ntypes, L, L, L)``."""
        return self._gridder.shape(int(ntypes))

    # forward
    def forward(self, *args, random_translation: Optional[float] = None,
                random_rotation: Optional[bool] = None, **kwargs):
        """Densities into a grid; see the class docstring for the call forms."""
        grid = kwargs.pop("grid", None)
        if kwargs:
            raise TypeError(f"forward() got unknown keyword argument(s) {sorted(kwargs)}")
        first = args[0] if args else None
        if isinstance(first, Example):
            if len(args) >= 2 and isinstance(args[1], Transform):
                return self._forward_transformed([first], [args[1]], args[2], 4)
            return self._forward_examples([first], args, grid, random_translation,
                                          random_rotation, 4)
        if isinstance(first, (list, tuple)) and first and isinstance(first[0], Example):
            return self._forward_examples(list(first), args, grid, random_translation,
                                          random_rotation, 5)
        if len(args) >= 2 and isinstance(args[1], CoordinateSet):
            return self._forward_set(as_float3(first), args[1]._atoms, args[2] if len(args) > 2
                                     else grid)
        if len(args) in (4, 5):
            center, coords, types, radii = args[:4]
            return self._forward_arrays(center, coords, types, radii,
                                        args[4] if len(args) > 4 else grid)
        raise TypeError("forward takes (example(s), grid[, random_translation, "
                        "random_rotation]), (example, transform, grid), (center, "
                        "coordinate_set, grid) or (center, coords, types, radii, grid)")

    def _forward_examples(self, examples, args, grid, translation, rotation, ndim):
        grid = args[1] if len(args) > 1 else grid
        translation = float(args[2] if len(args) > 2 else translation or 0.0)
        rotation = bool(args[3] if len(args) > 3 else rotation or False)
        transforms = [Transform(ex_center(e), translation, rotation) if (translation or rotation)
                      else Transform(ex_center(e)) for e in examples]
        return self._forward_transformed(examples, transforms, grid, ndim)

    def _forward_transformed(self, examples, transforms, grid, ndim):
        out = _output(grid, ndim, "grid")
        batch = out.array if ndim == 5 else out.array[None]
        if batch.shape[0] != len(examples):
            raise IndexError(f"the output grid holds {batch.shape[0]} examples; the batch "
                             f"has {len(examples)}")
        sets, centers = [], []
        for ex, t in zip(examples, transforms):
            if ex.num_types() != batch.shape[1]:
                raise IndexError(f"Incorrect number of channels in output grid: "
                                 f"{ex.num_types()} vs {batch.shape[1]}")
            # moved as libmolgrid moves them, in float32 (even the identity
            # rounds x - c + c): the same coordinates, to the last bit
            sets.append([replace(c._atoms, coords=t.apply(c._atoms.coords))
                         for c in ex.coord_sets])
            centers.append(t.center.astype(np.float64))
        self._draw(sets, centers, batch, examples=True)
        out.done()

    def _draw(self, sets, centers, batch, frames=None, examples=False) -> None:
        """Draw atom sets (or, with ``examples``, each example's list of sets,
        merged as libmolgrid merges them) into ``batch``."""
        self._gridder.dtype = batch.dtype
        self._gridder.num_threads = _threads[0]
        identity = frames is None or np.array_equal(frames, np.broadcast_to(
            np.eye(4), frames.shape))
        frames = None if identity else frames
        target = batch if batch.flags.c_contiguous else np.empty_like(batch, order="C")
        if examples:
            self._gridder.grid_examples(sets, np.array(centers), batch.shape[1],
                                        offset_empty_sets=False, frames=frames, out=target)
        else:
            self._gridder.grid(sets, np.array(centers), batch.shape[1], frames=frames,
                               out=target)
        if target is not batch:
            batch[...] = target

    def _forward_set(self, center, atoms: gnina.TypedAtoms, grid) -> None:
        out = _output(grid, 4, "grid")
        self._draw([atoms], [center.astype(np.float64)], out.array[None])
        out.done()

    def _forward_arrays(self, center, coords, types, radii, grid) -> None:
        xyz = input_array(coords, "coords")
        if xyz.ndim == 3:  # a batch: (B, N, 3), (B, N[, T]), (B, N)
            out = _output(grid, 5, "grid")
            centers = input_array(center, "centers", 2).astype(np.float64)
            t, r = input_array(types, "types"), input_array(radii, "radii", 2)
            sets = [_atoms_of_arrays(xyz[b], t[b], r[b], out.array.shape[1])
                    for b in range(xyz.shape[0])]
            self._draw(sets, centers, out.array)
            out.done()
            return
        out = _output(grid, 4, "grid")
        atoms = _atoms_of_arrays(xyz, input_array(types, "types"), input_array(radii, "radii"),
                                 out.array.shape[0])
        self._draw([atoms], [as_float3(center).astype(np.float64)], out.array[None])
        out.done()

    # backward
    def backward(self, center, *args) -> None:
        """Atom (and, for vector types, type) gradients of a grid gradient:
        ``(center, coordset, diff, atom_gradients[, type_gradients])`` or
        ``(center, coords, types, radii, diff, atom_gradients[, type_gradients])``."""
        c = as_float3(center)
        if isinstance(args[0], CoordinateSet):
            atoms, rest = args[0]._atoms, args[1:]
        else:
            diff = input_array(args[3], "diff", 4)
            atoms = _atoms_of_arrays(input_array(args[0], "coords", 2),
                                     input_array(args[1], "types"), input_array(args[2], "radii"),
                                     diff.shape[0])
            rest = args[3:]
        diff = input_array(rest[0], "diff", 4)
        atom_out = _output(rest[1], 2, "atomic_gradients")
        if atom_out.array.shape != (len(atoms), 3):
            raise ValueError(f"atomic_gradients must be ({len(atoms)}, 3), got "
                             f"{atom_out.array.shape}")
        atom_out.array[...] = self._gridder.atom_gradients(atoms, c, diff)
        atom_out.done()
        if len(rest) > 2:
            if not atoms.has_vector_types:
                raise ValueError("type gradients need vector types")
            type_out = _output(rest[2], 2, "type_gradients")
            type_out.array[...] = self._gridder.type_gradients(atoms, c, diff)
            type_out.done()

    def backward_gradients(self, center, *args) -> None:
        """Gradients of the backward pass (second derivatives, for double
        backpropagation): ``(center, coords, type_vectors, radii, diff,
        atom_gradients, type_gradients, diffdiff, atom_diffdiff, type_diffdiff)``
        or the same with a CoordinateSet for the first three."""
        if isinstance(args[0], CoordinateSet):
            atoms, rest = args[0]._atoms, args[1:]
        else:
            vectors = input_array(args[1], "type_vectors", 2)
            atoms = gnina.TypedAtoms(input_array(args[0], "coords", 2), None,
                                     input_array(args[2], "radii", 1), vectors.shape[1], None,
                                     vectors)
            rest = args[3:]
        diff, agrad, tgrad = (input_array(v, n) for v, n in zip(
            rest[:3], ("diff", "atom_gradients", "type_gradients")))
        outs = [_output(v, n, name) for v, n, name in zip(
            rest[3:6], (4, 2, 2), ("diffdiff", "atom_diffdiff", "type_diffdiff"))]
        grid_dd, atom_dd, type_dd = self._gridder.backward_gradients(
            atoms, as_float3(center), diff, agrad, tgrad)
        outs[0].array[...] = grid_dd
        outs[1].array[...] = atom_dd
        outs[2].array[...] = type_dd
        for o in outs:
            o.done()

    def make_ndarray(self, center, coords: CoordinateSet) -> np.ndarray:
        """A new float32 array of the densities of a CoordinateSet."""
        out = np.zeros(self.grid_dimensions(coords.max_type), np.float32)
        self.forward(center, coords, out)
        return out

    def make_tensor(self, center, coords: CoordinateSet):
        """A new float32 torch tensor of the densities of a CoordinateSet."""
        import torch

        return torch.from_numpy(self.make_ndarray(center, coords))

    def __repr__(self) -> str:
        return f"GridMaker({self._options})"


def ex_center(example: Example):
    """libmolgrid's grid centre of an example: its last set's centre."""
    return example.coord_sets[-1].center() if len(example.coord_sets) else (0.0, 0.0, 0.0)


def _atoms_of_arrays(coords, types, radii, n_channels: int) -> gnina.TypedAtoms:
    n = coords.shape[0]
    if types.ndim == 2:
        return gnina.TypedAtoms(coords, None, radii, types.shape[1], None, types,
                                radii.shape[0] != n)
    return gnina.TypedAtoms(coords, types, radii, int(n_channels))


class GridInterpolater:
    """A grid resampled onto another after a transform (trilinear interpolation).

    Parameters
    ----------
    in_resolution, in_dimension, out_resolution, out_dimension : float
        The two grids' spacings and sides (Å).
    """

    def __init__(self, in_resolution: float = 0.5, in_dimension: float = 23.5,
                 out_resolution: float = 0.5, out_dimension: float = 23.5):
        self.in_resolution, self.in_dimension = float(in_resolution), float(in_dimension)
        self.out_resolution, self.out_dimension = float(out_resolution), float(out_dimension)

    def get_in_resolution(self) -> float:
        """Input spacing."""
        return self.in_resolution

    def set_in_resolution(self, value: float) -> None:
        """Set the input spacing."""
        self.in_resolution = float(value)

    def get_out_resolution(self) -> float:
        """Output spacing."""
        return self.out_resolution

    def set_out_resolution(self, value: float) -> None:
        """Set the output spacing."""
        self.out_resolution = float(value)

    def get_in_dimension(self) -> float:
        """Input side."""
        return self.in_dimension

    def set_in_dimension(self, value: float) -> None:
        """Set the input side."""
        self.in_dimension = float(value)

    def get_out_dimension(self) -> float:
        """Output side."""
        return self.out_dimension

    def set_out_dimension(self, value: float) -> None:
        """Set the output side."""
        self.out_dimension = float(value)

    @staticmethod
    def _points(dimension: float, resolution: float) -> int:
        return int(round(np.float32(dimension) / np.float32(resolution))) + 1

    def forward(self, *args) -> None:
        """``(in, transform, out)`` (both grids about the transform's centre) or
        ``(in_center, in, transform, out_center, out)``: each output point is
        mapped back through the transform and interpolated in the input
        (0 outside it)."""
        if len(args) == 3:
            source, transform, target = args
            in_center = out_center = transform.center.astype(np.float64)
        elif len(args) == 5:
            in_center, source, transform, out_center, target = args
            in_center, out_center = as_float3(in_center), as_float3(out_center)
        else:
            raise TypeError("forward takes (in, transform, out) or (in_center, in, "
                            "transform, out_center, out)")
        values = input_array(source, "in", 4)
        out = _output(target, 4, "out")
        n_in = self._points(self.in_dimension, self.in_resolution)
        n_out = self._points(self.out_dimension, self.out_resolution)
        if values.shape[1:] != (n_in,) * 3 or out.array.shape[1:] != (n_out,) * 3:
            raise ValueError(f"the grids must be (C, {n_in}, {n_in}, {n_in}) and "
                             f"(C, {n_out}, {n_out}, {n_out}); got {values.shape} and "
                             f"{out.array.shape}")
        if values.shape[0] != out.array.shape[0]:
            raise ValueError("the two grids have different numbers of channels")
        out.array[...] = _resample(values, transform, np.asarray(in_center, np.float64),
                                   np.asarray(out_center, np.float64), self.in_dimension,
                                   self.in_resolution, self.out_dimension, self.out_resolution,
                                   n_out)
        out.done()


def _resample(values, transform, in_center, out_center, in_dim, in_res, out_dim, out_res,
              n_out) -> np.ndarray:
    axis = np.arange(n_out) * out_res
    grid = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    points = grid + (out_center - out_dim / 2)
    back = transform.unapply(points.astype(np.float32)).astype(np.float64)
    index = (back - (in_center - in_dim / 2)) / in_res
    low = np.floor(index).astype(np.int64)
    frac = index - low
    n_in = values.shape[1]
    result = np.zeros((values.shape[0], points.shape[0]), np.float64)
    for corner in range(8):
        offset = np.array([(corner >> 2) & 1, (corner >> 1) & 1, corner & 1])
        at = low + offset
        weight = np.prod(np.where(offset, frac, 1 - frac), axis=1)
        inside = ((at >= 0) & (at < n_in)).all(axis=1) & (weight != 0)
        idx = at[inside]
        result[:, inside] += values[:, idx[:, 0], idx[:, 1], idx[:, 2]] * weight[inside]
    return result.reshape(values.shape[0], n_out, n_out, n_out)
