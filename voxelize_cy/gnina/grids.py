"""Grids of gnina examples: libmolgrid's ``GridMaker`` on voxelize_cy's kernels.

:class:`GninaGridder` draws typed atoms on libmolgrid's grid (``L =
round(dimension / resolution) + 1`` points a side, the first at ``centre -
dimension / 2``) with libmolgrid's Gaussian or binary density, or with the
exact overlap (``fill='exact'``: the fraction of each voxel the atom's ball
covers), for a whole batch at once on all cores.  Random rotations and
translations are frames inside the kernel (only the atoms within reach are
moved).  The backward pass gives each atom's gradient (the kernels' exact
derivatives) and, for vector types, each type weight's gradient.
"""

from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

import numpy as np

from voxelize_cy.gnina.coordinates import TypedAtoms, merge
from voxelize_cy.images import (
    TypedSource,
    gradients_of_typed,
    images_from_typed,
    random_frame,
    rows_in_reach,
    typed_source_of,
    typed_source_of_sets,
    typed_sources_of_batch,
)

__all__ = ["GninaGridder", "GRID_FILLS", "density_at", "density_derivatives", "type_offsets"]

#: ``fill=`` choices: libmolgrid's Gaussian density, its binary occupancy, and
#: the exact overlap of each atom's ball with each voxel (fraction of the voxel).
GRID_FILLS = {"gaussian": "gaussian", "binary": "binary", "exact": "fraction_voxel"}


def density_at(distance_A: np.ndarray, radius_A: float, gaussian_radius_multiple: float,
               binary: bool = False) -> np.ndarray:
    """libmolgrid's density of an atom of (scaled) radius ``radius_A`` at
    ``distance_A``: exp(-2 d²/r²) up to G r, then the quadratic that meets it
    with equal value and slope and reaches 0 at (1 + 2G²)/(2G) r (a negative G
    truncates at ``abs(G) r``); with ``binary``, 1 inside r."""
    d = np.asarray(distance_A, dtype=np.float64)
    if radius_A <= 0:
        return np.zeros_like(d)
    if binary:
        return (d < radius_A).astype(np.float64)
    g = float(gaussian_radius_multiple)
    x = d / radius_A
    values = np.exp(-2.0 * x * x)
    if g < 0:
        return np.where(x <= -g, values, 0.0)
    e = math.exp(-2.0 * g * g)
    quad = e * (4 * g * g * x * x - (4 * g + 8 * g ** 3) * x + (4 * g ** 4 + 4 * g * g + 1))
    final = (1 + 2 * g * g) / (2 * g)
    return np.where(x <= g, values, np.where(x < final, quad, 0.0))


def density_derivatives(distance_A: np.ndarray, radius_A: float,
                        gaussian_radius_multiple: float):
    """``(f, f', f'')`` of :func:`density_at` (Gaussian) with respect to the
    distance, for the second-order backward pass."""
    d = np.asarray(distance_A, dtype=np.float64)
    g = float(gaussian_radius_multiple)
    r2 = radius_A * radius_A
    f = density_at(d, radius_A, g)
    gauss = np.exp(-2.0 * d * d / r2)
    inner = d <= abs(g) * radius_A
    d1 = np.where(inner, -4.0 * d / r2 * gauss, 0.0)
    d2 = np.where(inner, (-4.0 / r2 + 16.0 * d * d / (r2 * r2)) * gauss, 0.0)
    if g > 0:
        e = math.exp(-2.0 * g * g)
        a, b = e * 4 * g * g, -e * (4 * g + 8 * g ** 3)
        quadratic = ~inner & (d < (1 + 2 * g * g) / (2 * g) * radius_A)
        d1 = np.where(quadratic, 2 * a * d / r2 + b / radius_A, d1)
        d2 = np.where(quadratic, 2 * a / r2, d2)
    return f, d1, d2


def type_offsets(sets: Sequence[TypedAtoms], offset_empty_sets: bool = True) -> List[int]:
    """The first channel of each set of an example: each set's types after the
    previous sets' (libmolgrid's index merge does not count a set with no
    atoms: ``offset_empty_sets=False``)."""
    offsets, at = [], 0
    for atoms in sets:
        offsets.append(at)
        if offset_empty_sets or len(atoms):
            at += atoms.num_types
    return offsets


class GninaGridder:
    """libmolgrid's grids of typed atoms, drawn in batches.

    Parameters
    ----------
    resolution : float
        Grid spacing (Å).
    dimension : float
        Side (Å): ``round(dimension / resolution) + 1`` points.
    fill : {'gaussian', 'binary', 'exact'}
        What an atom puts at a grid point (see :data:`GRID_FILLS`).
    radius_scale, gaussian_radius_multiple : float
        libmolgrid's options (radii scaled by the first; the Gaussian's extent).
    radius_type_indexed : bool
        Take radii per type (vector types made with type radii).
    dtype : float32 or float64
    num_threads : int, optional
        Threads per batch (OpenMP's default without it).
    """

    def __init__(self, resolution: float = 0.5, dimension: float = 23.5, *,
                 fill: str = "gaussian", radius_scale: float = 1.0,
                 gaussian_radius_multiple: float = 1.0, radius_type_indexed: bool = False,
                 dtype=np.float32, num_threads: Optional[int] = None):
        if not (math.isfinite(resolution) and resolution > 0):
            raise ValueError(f"resolution must be finite and > 0, got {resolution!r}")
        if not (math.isfinite(dimension) and dimension >= 0):
            raise ValueError(f"dimension must be finite and >= 0, got {dimension!r}")
        if fill not in GRID_FILLS:
            raise ValueError(f"fill must be one of {list(GRID_FILLS)}, got {fill!r}")
        self.resolution = float(resolution)
        self.dimension = float(dimension)
        self.fill = fill
        self.radius_scale = float(radius_scale)
        self.gaussian_radius_multiple = float(gaussian_radius_multiple)
        self.radius_type_indexed = bool(radius_type_indexed)
        self.dtype = np.dtype(dtype)
        self.num_threads = num_threads

    # -- geometry --------------------------------------------------------------
    @property
    def length(self) -> int:
        """Grid points per side."""
        return int(round(np.float32(self.dimension) / np.float32(self.resolution))) + 1

    def shape(self, num_types: int) -> Tuple[int, int, int, int]:
        """``(num_types, L, L, L)``."""
        L = self.length
        return (int(num_types), L, L, L)

    def image_center(self, center) -> np.ndarray:
        """The kernels' image centre for a libmolgrid grid centre: its first
        point is at ``center - dimension / 2``."""
        c = np.asarray(center, np.float64).reshape(3)
        return c - self.dimension / 2 + (self.length - 1) * self.resolution / 2

    def origin(self, center) -> np.ndarray:
        """The first grid point (Å)."""
        return np.asarray(center, np.float64).reshape(3) - self.dimension / 2

    def reach_multiple(self) -> float:
        """How far an atom of radius r reaches: ``reach_multiple() * r``."""
        g = self.gaussian_radius_multiple
        if self.fill == "exact":
            return 1.0
        if self.fill == "binary":
            return self.radius_scale
        return self.radius_scale * (-g if g < 0 else (1 + 2 * g * g) / (2 * g))

    def rows_in_reach(self, coords, radius, center, frame=None) -> np.ndarray:
        """The atoms (moved by ``frame``) that can change the grid about
        ``center`` (the kernels' own test, with the largest reach)."""
        if not len(radius):
            return np.zeros(0, np.intp)
        reach = float(np.max(radius)) * self.reach_multiple()
        return rows_in_reach(coords, self.image_center(center), self.resolution,
                             self.length, reach, frame)

    # -- atoms to the kernels' sources -----------------------------------------
    def rows(self, atoms: TypedAtoms, n_channels: int):
        """``(atom, channel, radius, weight)`` of the rows an atom set draws."""
        if atoms.has_vector_types:
            return self._vector_rows(atoms, n_channels)
        if self.radius_type_indexed:
            raise ValueError("type-indexed radii need vector types (make_vector_types)")
        n = len(atoms)
        if atoms.radii.shape[0] != n:
            raise ValueError(f"radii has {atoms.radii.shape[0]} entries for {n} atoms")
        t = np.floor(atoms.index_types().astype(np.float64)).astype(np.int64)
        if n and t.max() >= n_channels:
            raise ValueError(f"type index {int(t.max())} is not below the grid's "
                             f"{n_channels} channels")
        keep = np.flatnonzero(t >= 0)
        return keep, t[keep], atoms.radii[keep].astype(np.float64), None

    def _vector_rows(self, atoms: TypedAtoms, n_channels: int):
        vectors = atoms.vector_types()
        n, ntypes = vectors.shape
        if ntypes != n_channels:
            raise ValueError(f"the atoms have {ntypes} types in their type vectors; the "
                             f"grid has {n_channels} channels")
        expected = ntypes if self.radius_type_indexed else n
        if atoms.radii.shape[0] != expected:
            what = "types" if self.radius_type_indexed else "atoms"
            raise ValueError(f"radii has {atoms.radii.shape[0]} entries for {expected} "
                             f"{what} (radius_type_indexed={self.radius_type_indexed})")
        atom, channel = np.nonzero(vectors)
        radius = (atoms.radii[channel] if self.radius_type_indexed
                  else atoms.radii[atom]).astype(np.float64)
        return atom, channel, radius, vectors[atom, channel].astype(np.float64)

    def source(self, atoms: TypedAtoms, n_channels: int) -> TypedSource:
        """The kernels' source of an atom set."""
        atom, channel, radius, weight = self.rows(atoms, n_channels)
        drawn = radius > 0
        if not drawn.all():
            atom, channel, radius = atom[drawn], channel[drawn], radius[drawn]
            weight = None if weight is None else weight[drawn]
        return typed_source_of(atoms.coords[atom], channel, radius, weight)

    def example_source(self, sets: Sequence[TypedAtoms], n_channels: int,
                       offset_empty_sets: bool = True) -> TypedSource:
        """The kernels' source of an example's sets, each set's types after the
        previous sets' (see :func:`type_offsets`): index types in one compiled
        pass a set, vector types through :func:`~voxelize_cy.gnina.merge`."""
        if all(a.has_index_types and not a.has_vector_types for a in sets):
            if self.radius_type_indexed:
                raise ValueError("type-indexed radii need vector types (make_vector_types)")
            for k, a in enumerate(sets):
                if a.radii.shape[0] != len(a):
                    raise ValueError(f"set {k}: radii has {a.radii.shape[0]} entries for "
                                     f"{len(a)} atoms")
            return typed_source_of_sets([a.coords for a in sets], [a.type_index for a in sets],
                                        [a.radii for a in sets],
                                        type_offsets(sets, offset_empty_sets), n_channels)
        return self.source(merge(sets, True, offset_empty_sets), n_channels)

    def grid_examples(self, examples: Sequence[Sequence[TypedAtoms]], centers,
                      n_channels: int, *, offset_empty_sets: bool = True, frames=None,
                      out: Optional[np.ndarray] = None) -> np.ndarray:
        """Grid b of example b's sets (each set's types after the previous
        sets'), about ``centers[b]``; as :meth:`grid` otherwise."""
        examples = [list(sets) for sets in examples]
        fill, agg = self._fill_and_agg([all(a.has_vector_types for a in sets)
                                        for sets in examples])
        sources = [self.example_source(sets, n_channels, offset_empty_sets) for sets in examples]
        return self._draw(sources, centers, n_channels, fill, agg, frames, out)

    def grid_batch(self, batch, out: Optional[np.ndarray] = None) -> np.ndarray:
        """The grids of an :class:`~voxelize_cy.gnina.ExampleBatch` (its frames
        applied), into ``out`` when given (reuse one buffer: fresh memory
        costs as much as the drawing)."""
        sources = typed_sources_of_batch(batch.coords, batch.channel.astype(np.float32),
                                         batch.radius, batch.counts, batch.n_channels)
        frames = batch.frames
        if np.array_equal(frames, np.broadcast_to(np.eye(4), frames.shape)):
            frames = None
        fill, agg = self._fill_and_agg([False] * len(batch))
        return self._draw(sources, batch.centers, batch.n_channels, fill, agg, frames, out)

    def _draw(self, sources, centers, n_channels, fill, agg, frames, out):
        centers = np.asarray(centers, np.float64).reshape(len(sources), 3)
        image_centers = centers - self.dimension / 2 + (self.length - 1) * self.resolution / 2
        return images_from_typed(
            sources, image_centers, self.resolution, self.length, n_channels, frames=frames,
            fill=fill, agg=agg, radius_scale=self._density_scale(),
            gaussian_radius_multiple=self._density_g(), dtype=self.dtype, out=out,
            num_threads=self.num_threads, libmolgrid_ties=True)

    def _fill_and_agg(self, vector: Sequence[bool]) -> Tuple[str, str]:
        """The kernels' fill and aggregation for images of vector-typed (True)
        or index-typed (False) atoms."""
        if self.fill != "binary":
            return GRID_FILLS[self.fill], "sum"
        if any(vector) and not all(vector):
            raise ValueError("a binary batch needs the same kind of types in every example")
        # binary index types set 1; binary vector types add the weights (libmolgrid)
        return "binary", "sum" if all(vector) else "max"

    # -- drawing -------------------------------------------------------------
    def grid(self, atom_sets: Sequence[TypedAtoms], centers, n_channels: int, *,
             frames=None, out: Optional[np.ndarray] = None) -> np.ndarray:
        """Grid b of ``atom_sets[b]`` about ``centers[b]`` for every b.

        Parameters
        ----------
        atom_sets : sequence of TypedAtoms
        centers : (B, 3) array
            libmolgrid grid centres (Å).
        n_channels : int
        frames : (B, 4, 4) array, optional
            Rigid frames applied to the atoms (the grid stays at the centre).
        out : (B, C, L, L, L) array, optional

        Returns
        -------
        numpy.ndarray
        """
        atom_sets = list(atom_sets)
        fill, agg = self._fill_and_agg([a.has_vector_types for a in atom_sets])
        sources = [self.source(a, n_channels) for a in atom_sets]
        return self._draw(sources, centers, n_channels, fill, agg, frames, out)

    def _density_scale(self):
        return self.radius_scale if self.fill != "exact" else 1.0

    def _density_g(self):
        return self.gaussian_radius_multiple if self.fill != "exact" else 1.0

    def random_frames(self, centers, random_translation: float, random_rotation: bool,
                      rng: np.random.Generator) -> np.ndarray:
        """Frames that rotate each example about its centre (uniformly, with
        ``random_rotation``) and move it by up to ``random_translation`` Å
        along each axis (uniformly): ``x' = R (x - c) + c + t``."""
        centers = np.asarray(centers, np.float64).reshape(-1, 3)
        frames = np.repeat(np.eye(4)[None], centers.shape[0], axis=0)
        for b, c in enumerate(centers):
            shift = rng.uniform(-random_translation, random_translation, 3) \
                if random_translation > 0 else np.zeros(3)
            rotation = random_frame(c, rng)[:3, :3] if random_rotation else np.eye(3)
            frames[b, :3, :3] = rotation
            frames[b, :3, 3] = c + shift - rotation @ c
        return frames

    # -- backward --------------------------------------------------------------
    def atom_gradients(self, atoms: TypedAtoms, center, grad_grid: np.ndarray) -> np.ndarray:
        """d(sum(grad_grid * grid))/d(coords) of every atom, ``(N, 3)``."""
        n_channels = grad_grid.shape[0]
        if grad_grid.shape != self.shape(n_channels):
            raise ValueError(f"the gradient grid has shape {grad_grid.shape}; the grid is "
                             f"{self.shape(n_channels)}")
        atom, channel, radius, weight = self.rows(atoms, n_channels)
        fill, agg = self._fill_and_agg([atoms.has_vector_types])
        if fill == "binary":
            return np.zeros((len(atoms), 3), np.float32)
        drawn = radius > 0
        atom, channel, radius = atom[drawn], channel[drawn], radius[drawn]
        weight = None if weight is None else weight[drawn]
        typed = typed_source_of(atoms.coords[atom], channel, radius, weight)
        out = gradients_of_typed(typed, grad_grid, self.image_center(center), self.resolution,
                                 fill=fill, agg=agg, radius_scale=self._density_scale(),
                                 gaussian_radius_multiple=self._density_g())
        total = np.zeros((len(atoms), 3), np.float64)
        np.add.at(total, atom, out)
        return total.astype(np.float32)

    def type_gradients(self, atoms: TypedAtoms, center, grad_grid: np.ndarray) -> np.ndarray:
        """d(sum(grad_grid * grid))/d(type weights), ``(N, T)``: each atom's
        density dotted with each channel of ``grad_grid``."""
        n_channels = grad_grid.shape[0]
        out = np.zeros((len(atoms), n_channels), np.float64)
        binary = self.fill == "binary"
        for i, t, r, block, offsets in self._blocks(atoms, center, n_channels):
            values = density_at(np.sqrt((offsets ** 2).sum(-1)), r,
                                self.gaussian_radius_multiple, binary)
            if t is None:
                out[i] += np.tensordot(grad_grid[(slice(None),) + block], values, axes=3)
            else:
                out[i, t] += np.tensordot(grad_grid[t][block], values, axes=3)
        return out.astype(np.float32)

    def _blocks(self, atoms: TypedAtoms, center, n_channels: int):
        """Per (atom, channel-or-None, radius): the index ranges and the
        offsets ``x - p`` of the grid points the atom reaches."""
        origin = self.origin(center)
        g = self.gaussian_radius_multiple
        extent = 1.0 if self.fill == "binary" else (-g if g < 0 else (1 + 2 * g * g) / (2 * g))
        L = self.length
        for i in range(len(atoms)):
            for t, radius in self._type_radii(atoms, i, n_channels):
                r = radius * self.radius_scale
                if r <= 0:
                    continue
                p = atoms.coords[i].astype(np.float64)
                lo = np.maximum(np.floor((p - origin - r * extent) / self.resolution), 0)
                hi = np.minimum(np.ceil((p - origin + r * extent) / self.resolution) + 1, L)
                lo, hi = lo.astype(int), hi.astype(int)
                if (hi <= lo).any():
                    continue
                axes = [origin[a] + np.arange(lo[a], hi[a]) * self.resolution - p[a]
                        for a in range(3)]
                offsets = np.stack(np.meshgrid(*axes, indexing="ij"), -1)
                yield i, t, r, tuple(slice(lo[a], hi[a]) for a in range(3)), offsets

    def backward_gradients(self, atoms: TypedAtoms, center, grad_grid: np.ndarray,
                           atom_upstream: np.ndarray, type_upstream: np.ndarray):
        """The second-order pass: given dL'/d(atom gradients) and dL'/d(type
        gradients) of :meth:`atom_gradients`/:meth:`type_gradients`, returns
        ``(dL'/d grad_grid, dL'/d coords, dL'/d type weights)``.

        Needs vector types and the Gaussian density (libmolgrid's condition).
        """
        if self.fill != "gaussian":
            raise ValueError("second derivatives need the Gaussian density")
        if not atoms.has_vector_types:
            raise ValueError("second derivatives need vector types")
        n_channels = grad_grid.shape[0]
        weights = atoms.vector_types().astype(np.float64)
        up_atom = np.asarray(atom_upstream, np.float64).reshape(len(atoms), 3)
        up_type = np.asarray(type_upstream, np.float64).reshape(len(atoms), n_channels)
        grid_out = np.zeros(grad_grid.shape, np.float64)
        atom_out = np.zeros((len(atoms), 3))
        type_out = np.zeros((len(atoms), n_channels))
        diff = np.asarray(grad_grid, np.float64)
        for i, t, r, block, offsets in self._blocks(atoms, center, n_channels):
            d = np.sqrt((offsets ** 2).sum(-1))
            f, f1, f2 = density_derivatives(d, r, self.gaussian_radius_multiple)
            safe = np.where(d > 0, d, 1.0)
            u = offsets / safe[..., None]
            ratio = np.where(d > 0, f1 / safe, -4.0 / (r * r))  # f'/d, its limit at 0
            grad_p = -f1[..., None] * u  # d f / d p
            channels = range(n_channels) if t is None else [t]
            for c in channels:
                w, a_up, t_up = weights[i, c], up_atom[i], up_type[i, c]
                if w == 0 and t_up == 0:
                    continue
                local = diff[c][block]
                grid_out[c][block] += w * (grad_p @ a_up) + t_up * f
                u_a = u @ a_up
                hess_a = (f2 - ratio)[..., None] * u * u_a[..., None] + ratio[..., None] * a_up
                atom_out[i] += (w * (local[..., None] * hess_a).sum((0, 1, 2))
                                + t_up * (local[..., None] * grad_p).sum((0, 1, 2)))
                type_out[i, c] += (local[..., None] * grad_p).sum((0, 1, 2)) @ a_up
        return (grid_out.astype(np.float32), atom_out.astype(np.float32),
                type_out.astype(np.float32))

    def _type_radii(self, atoms: TypedAtoms, i: int, n_channels: int):
        """(channel or None for all, radius) pairs of atom i."""
        if self.radius_type_indexed:
            return [(t, float(atoms.radii[t])) for t in range(n_channels)]
        return [(None, float(atoms.radii[i]))]
