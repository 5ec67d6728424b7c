"""libmolgrid's torch bindings: grids as tensors, ``Coords2Grid`` and datasets.

``tensor_as_grid`` views a CPU tensor as a grid; ``Coords2GridFunction`` /
``BatchedCoords2GridFunction`` / ``Coords2Grid`` make grids a differentiable
function of coordinates and type vectors (first and second derivatives);
``MolMapDataset`` and ``MolIterDataset`` serve ``.types`` files to a
``DataLoader``.  Needs torch (the ``torch`` extra).
"""

from __future__ import annotations

from itertools import islice

import numpy as np
import torch

from voxelize_cy.molgrid._grids import GRID_CLASSES, no_gpu
from voxelize_cy.molgrid._gridmaker import GridMaker
from voxelize_cy.molgrid._provider import ExampleDataset, ExampleProvider
from voxelize_cy.molgrid._transform import Transform

__all__ = ["tensor_as_grid", "make_grid_tensor", "Coords2GridFunction",
           "Grid2CoordsGradientFunction", "BatchedCoords2GridFunction", "Coords2Grid",
           "MolMapDataset", "MolIterDataset", "MolDataset"]


def tensor_as_grid(t: torch.Tensor):
    """A grid view of a C-contiguous float32/float64 CPU tensor (no copy)."""
    if t.device.type != "cpu":
        raise no_gpu(f"tensor_as_grid of a {t.device} tensor")
    if t.dtype not in (torch.float32, torch.float64):
        raise ValueError(f"Tensor base type {t.dtype} not supported as grid type.")
    code = "f" if t.dtype == torch.float32 else "d"
    return GRID_CLASSES[f"Grid{t.dim()}{code}"](t.detach().numpy())


def make_grid_tensor(gridmaker: GridMaker, center, coords):
    """A new float32 tensor of the densities of a CoordinateSet."""
    return gridmaker.make_tensor(center, coords)


def _grad_tensor(values: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(values)).to(dtype=like.dtype,
                                                              device=like.device)


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


class Grid2CoordsGradientFunction(torch.autograd.Function):
    """The backward pass of a grid as a function, so that it can be
    differentiated again (second derivatives)."""

    @staticmethod
    def forward(ctx, gmaker, center, coords, types, radii, grid_gradient):
        ctx.save_for_backward(coords, types, radii, grid_gradient)
        ctx.gmaker, ctx.center = gmaker, center
        grad_coords = np.zeros(tuple(coords.shape), np.float32)
        grad_types = np.zeros(tuple(types.shape), np.float32)
        gmaker.backward(center, _np(coords), _np(types), _np(radii), _np(grid_gradient),
                        grad_coords, grad_types)
        return _grad_tensor(grad_coords, coords), _grad_tensor(grad_types, types)

    @staticmethod
    def backward(ctx, grad_coords, grad_types):
        coords, types, radii, grid_gradient = ctx.saved_tensors
        shape = tuple(grid_gradient.shape)
        ddgrid = np.zeros(shape, np.float32)
        ddcoords = np.zeros(tuple(coords.shape), np.float32)
        ddtypes = np.zeros(tuple(types.shape), np.float32)
        ctx.gmaker.backward_gradients(ctx.center, _np(coords), _np(types), _np(radii),
                                      _np(grid_gradient), _np(grad_coords), _np(grad_types),
                                      ddgrid, ddcoords, ddtypes)
        return (None, None, _grad_tensor(ddcoords, coords), _grad_tensor(ddtypes, types),
                None, _grad_tensor(ddgrid, grid_gradient))


class Coords2GridFunction(torch.autograd.Function):
    """Coordinates ``(N, 3)``, type vectors ``(N, T)`` and radii ``(N,)`` to a
    ``(T, L, L, L)`` grid, differentiable in the coordinates and types."""

    @staticmethod
    def forward(ctx, gmaker, center, coords, types, radii):
        ctx.save_for_backward(coords, types, radii)
        ctx.gmaker, ctx.center = gmaker, center
        if types.dim() != 2:
            raise ValueError("Vector types required in Coords2Grid.")
        out = np.zeros(gmaker.grid_dimensions(types.shape[1]), np.float32)
        gmaker.forward(center, _np(coords), _np(types), _np(radii), out)
        return _grad_tensor(out, coords)

    @staticmethod
    def backward(ctx, grid_gradient):
        coords, types, radii = ctx.saved_tensors
        grad_coords, grad_types = Grid2CoordsGradientFunction.apply(
            ctx.gmaker, ctx.center, coords, types, radii, grid_gradient)
        return None, None, grad_coords, grad_types, None


class BatchedCoords2GridFunction(torch.autograd.Function):
    """The batched form: ``(B, N, 3)``, ``(B, N, T)``, ``(B, N)`` to
    ``(B, T, L, L, L)``."""

    @staticmethod
    def forward(ctx, gmaker, center, coords, types, radii):
        ctx.save_for_backward(coords, types, radii)
        ctx.gmaker, ctx.center = gmaker, center
        batch = coords.shape[0]
        if batch != types.shape[0] or batch != radii.shape[0]:
            raise RuntimeError("Inconsistent batch sizes in Coords2Grid inputs")
        if types.dim() != 3:
            raise ValueError("Vector types required in BatchedCoords2Grid.")
        out = np.zeros((batch,) + gmaker.grid_dimensions(types.shape[2]), np.float32)
        for i in range(batch):
            gmaker.forward(center, _np(coords[i]), _np(types[i]), _np(radii[i]), out[i])
        return _grad_tensor(out, coords)

    @staticmethod
    def backward(ctx, grid_gradient):
        coords, types, radii = ctx.saved_tensors
        grad_coords = np.zeros(tuple(coords.shape), np.float32)
        grad_types = np.zeros(tuple(types.shape), np.float32)
        for i in range(coords.shape[0]):
            ctx.gmaker.backward(ctx.center, _np(coords[i]), _np(types[i]), _np(radii[i]),
                                _np(grid_gradient[i]), grad_coords[i], grad_types[i])
        return (None, None, _grad_tensor(grad_coords, coords), _grad_tensor(grad_types, types),
                None)


class Coords2Grid(torch.nn.Module):
    """A layer: coordinates, type vectors and radii (one example or a batch)
    to grids about ``center``."""

    def __init__(self, gmaker: GridMaker, center=(0, 0, 0)):
        super().__init__()
        self.gmaker = gmaker
        self.center = center

    def forward(self, coords, types, radii):
        coords, types, radii = coords.contiguous(), types.contiguous(), radii.contiguous()
        if coords.dim() == 3 and types.dim() == 3 and radii.dim() == 2:
            return BatchedCoords2GridFunction.apply(self.gmaker, self.center, coords, types,
                                                    radii)
        if coords.dim() == 2 and types.dim() == 2 and radii.dim() == 1:
            return Coords2GridFunction.apply(self.gmaker, self.center, coords, types, radii)
        raise RuntimeError("Invalid input dimensions in forward of Coords2Grid")

    def extra_repr(self) -> str:
        return "resolution {:.2f}, dimension {}, center {:.3f},{:.3f},{:.3f}".format(
            self.gmaker.get_resolution(), self.gmaker.get_dimension(), *self.center)


def _example_tensors(ex, translation: float, rotation: bool):
    """``(length, center, coords, types, radii, labels)`` of an example."""
    center = torch.tensor(list(ex.coord_sets[-1].center()))
    merged = ex.merge_coordinates()
    if translation > 0 or rotation:
        Transform(ex.coord_sets[-1].center(), translation, rotation).forward(merged, merged)
    if merged.has_vector_types() and merged.size() > 0:
        types = torch.tensor(merged.type_vector.tonumpy(), dtype=torch.long).float()
    else:
        types = torch.tensor(merged.type_index.tonumpy(), dtype=torch.long).float()
    coords = torch.tensor(merged.coords.tonumpy())
    radii = torch.tensor(merged.radii.tonumpy())
    return len(coords), center, coords, types, radii, torch.tensor(ex.labels)


def _settings_state(settings):
    from voxelize_cy.molgrid._provider import SETTINGS

    return {name: getattr(settings, name) for name in SETTINGS}


def _padded(parts):
    """``(lengths, centers, coords, types, radii, labels)`` of examples'
    tensors: the per-atom ones padded into batch tensors."""
    lengths, centers, coords, types, radii, labels = zip(*parts)
    pad = torch.nn.utils.rnn.pad_sequence
    return (lengths, torch.stack(centers), pad(coords, batch_first=True),
            pad(types, batch_first=True), pad(radii, batch_first=True), torch.stack(labels))


class _PicklesAsSettings:
    """Datasets that travel to DataLoader workers as their settings and
    ``.types`` files (the worker populates its own)."""

    def __getstate__(self):
        if self.typers is not None:
            raise NotImplementedError(f"{type(self).__name__} pickles only with gnina's "
                                      f"default typers")
        state = _settings_state(self.examples.settings())
        state.update(random_translation=self._random_translation,
                     random_rotation=self._random_rotation)
        return state, self.types_files

    def __setstate__(self, state):
        kwargs, files = dict(state[0]), state[1]
        self.__init__(*files, **kwargs)


class MolMapDataset(_PicklesAsSettings, torch.utils.data.Dataset):
    """A map-style dataset of ``.types`` files: ``(length, center, coords,
    types, radii, labels)`` per example (collate with :meth:`collateMolDataset`)."""

    def __init__(self, *args, random_translation: float = 0.0, random_rotation: bool = False,
                 **kwargs):
        self._random_translation, self._random_rotation = random_translation, random_rotation
        self.typers = kwargs.pop("typers", None)
        self.examples = ExampleDataset(*(self.typers or ()), **kwargs)
        self.types_files = list(args)
        self.examples.populate(self.types_files)

    def __len__(self):
        return len(self.examples)

    def __getitem__(self, idx):
        return _example_tensors(self.examples[idx], self._random_translation,
                                self._random_rotation)


    @staticmethod
    def collateMolDataset(batch):
        """Pad a list of examples into batch tensors."""
        lengths, *tensors = _padded(batch)
        return (torch.tensor(lengths), *tensors)


MolDataset = MolMapDataset  # libmolgrid's earlier name


class MolIterDataset(_PicklesAsSettings, torch.utils.data.IterableDataset):
    """An iterable dataset of ``.types`` files, one padded batch at a time
    (use with ``DataLoader(batch_size=None)``); workers take turns."""

    def __init__(self, *args, random_translation: float = 0.0, random_rotation: bool = False,
                 **kwargs):
        self._random_translation, self._random_rotation = random_translation, random_rotation
        self.typers = kwargs.pop("typers", None)
        self.examples = ExampleProvider(*(self.typers or ()), **kwargs)
        self.types_files = list(args)
        self.examples.populate(self.types_files)
        self._num_labels = self.examples.num_labels()

    def generate(self):
        for batch in self.examples:
            yield self.batch_to_tensors(batch)

    def batch_to_tensors(self, batch):
        parts = [_example_tensors(ex, self._random_translation, self._random_rotation)
                 for ex in batch]
        lengths, centers, coords, types, radii, labels = _padded(parts)
        return (torch.tensor(lengths, dtype=torch.int64), centers.float(), coords, types,
                radii, labels.float())

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        if info is None:
            return self.generate()
        return islice(self.generate(), info.id, None, info.num_workers)

