"""libmolgrid's grids: ``Grid{1..8}{f,d}``, ``MGrid{1..8}{f,d}``, ``float3``.

A ``Grid`` is a view of memory it does not own (a numpy array, another grid,
a raw pointer); an ``MGrid`` owns its memory (zeroed).  Both index like
libmolgrid's: ``g[i]`` is the sub-grid at ``i`` (a view), ``g[i, j]`` with
every index a number.  Here the memory is always a numpy array, so every grid
is also usable as one (``tonumpy`` copies, as libmolgrid's does).

There is no GPU: ``.gpu()``, ``togpu`` and the ``*CUDA`` grids raise
:class:`NoGPUError`, which says what to use on the CPU.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any, Dict, Optional, Tuple, Type

import numpy as np

__all__ = ["NoGPUError", "float3", "FloatPtr", "DoublePtr", "tofloatptr", "todoubleptr",
           "tonumpy", "Grid", "MGrid", "as_array", "GRID_CLASSES", "no_gpu",
           "get_gpu_enabled", "set_gpu_enabled", "get_gpu_device", "set_gpu_device"]


class NoGPUError(RuntimeError):
    """A GPU call on a machine where voxelize_cy.molgrid computes on the CPU."""


def no_gpu(what: str = "this call") -> NoGPUError:
    """The error for a GPU call: what to use instead."""
    return NoGPUError(
        f"{what} asks for the GPU, and voxelize_cy.molgrid grids on the CPU (all cores, "
        f"faster than libmolgrid's CPU path): use .cpu() grids, numpy arrays or CPU "
        f"torch tensors; a CUDA tensor given as an output is filled on the CPU and copied")


_gpu_enabled = [False]


def get_gpu_enabled() -> bool:
    """Whether new grids should go on the GPU: always False here."""
    return _gpu_enabled[0]


def set_gpu_enabled(value: bool) -> None:
    """Ask for grids on the GPU by default (``True`` raises :class:`NoGPUError`)."""
    if value:
        raise no_gpu("set_gpu_enabled(True)")
    _gpu_enabled[0] = False


def get_gpu_device() -> int:
    """The current GPU device (none here: raises :class:`NoGPUError`)."""
    raise no_gpu("get_gpu_device()")


def set_gpu_device(device: int) -> None:
    """Select a GPU device (none here: raises :class:`NoGPUError`)."""
    raise no_gpu(f"set_gpu_device({device})")


class float3:
    """Three floats ``x, y, z`` (libmolgrid's ``float3``), float32 like CUDA's."""

    __slots__ = ("_v",)

    def __init__(self, x=0.0, y=None, z=None):
        if y is None and z is None and not np.isscalar(x):
            x, y, z = (float(v) for v in x)
        self._v = np.array([x, y, z], np.float32)

    x = property(lambda self: float(self._v[0]), lambda self, v: self._v.__setitem__(0, v))
    y = property(lambda self: float(self._v[1]), lambda self, v: self._v.__setitem__(1, v))
    z = property(lambda self: float(self._v[2]), lambda self, v: self._v.__setitem__(2, v))

    def __getitem__(self, i: int) -> float:
        if not -3 <= i < 3:
            raise IndexError("float3")
        return float(self._v[i])

    def __len__(self) -> int:
        return 3

    def __iter__(self):
        return iter(self._v.tolist())

    def __array__(self, dtype=None, copy=None):
        return self._v.astype(dtype or np.float32, copy=True)

    def __eq__(self, other) -> bool:
        try:
            return tuple(self) == tuple(float(v) for v in other)
        except TypeError:
            return NotImplemented

    def __repr__(self) -> str:
        return f"float3({self.x}, {self.y}, {self.z})"


def as_float3(value) -> np.ndarray:
    """A centre (float3, tuple, array, torch tensor) as float32 (3,)."""
    if isinstance(value, float3):
        return value._v.copy()
    values = np.asarray(_cpu_numpy(value) if _is_tensor(value) else value, np.float32)
    if values.shape != (3,):
        raise ValueError(f"a centre needs 3 numbers, got {value!r}")
    return values


class _Pointer:
    """A raw address (libmolgrid's ``FloatPtr``/``DoublePtr``)."""

    ctype: Any = ctypes.c_float

    def __init__(self, address: int):
        self.address = int(address)


class FloatPtr(_Pointer):
    """Address of float32 memory."""

    ctype = ctypes.c_float


class DoublePtr(_Pointer):
    """Address of float64 memory."""

    ctype = ctypes.c_double


def tofloatptr(address: int) -> FloatPtr:
    """An integer address as a float pointer (for ``Grid*f(ptr, *dims)``)."""
    return FloatPtr(address)


def todoubleptr(address: int) -> DoublePtr:
    """An integer address as a double pointer (for ``Grid*d(ptr, *dims)``)."""
    return DoublePtr(address)


# -- torch, looked up only when present ---------------------------------------

def _is_tensor(value) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _cpu_numpy(tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy()


def as_array(value, ndim: Optional[int] = None, dtype=None, name: str = "grid") -> np.ndarray:
    """The numpy memory behind a grid, array or CPU tensor (no copy), checked
    for ``ndim`` and ``dtype``; a CUDA tensor raises :class:`NoGPUError`
    (callers that can copy back use :class:`OutputArray`)."""
    if isinstance(value, GRID_BASES):
        array = value._a
    elif isinstance(value, np.ndarray):
        array = value
    elif _is_tensor(value):
        if value.device.type != "cpu":
            raise no_gpu(f"a {value.device} tensor as {name}")
        array = value.detach().numpy()
    else:
        raise TypeError(f"{name} must be a grid, a numpy array or a torch tensor, got "
                        f"{type(value).__name__}")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {array.shape}")
    if dtype is not None and array.dtype != dtype:
        raise TypeError(f"{name} must be {np.dtype(dtype)}, got {array.dtype}")
    return array


class OutputArray:
    """Somewhere to write a result: the memory of a grid, array or CPU tensor,
    or, for a CUDA tensor, a CPU array copied into it by :meth:`done`."""

    def __init__(self, value, ndim: int, dtype=np.float32, name: str = "out"):
        self.target = None
        if _is_tensor(value) and value.device.type != "cpu":
            self.target = value
            self.array = np.zeros(tuple(value.shape), np.dtype(str(value.dtype)
                                                               .replace("torch.", "")))
        else:
            self.array = as_array(value, ndim, None, name)
        if self.array.ndim != ndim:
            raise ValueError(f"{name} must have {ndim} dimensions, got shape "
                             f"{self.array.shape}")
        if self.array.dtype != dtype:
            raise TypeError(f"{name} must be {np.dtype(dtype)}, got {self.array.dtype}")
        if not self.array.flags.writeable:
            raise ValueError(f"{name} is read-only")

    def done(self) -> None:
        """Copy the result to a CUDA target."""
        if self.target is not None:
            import torch

            self.target.copy_(torch.from_numpy(self.array))


# -- grids ---------------------------------------------------------------------

class Grid:
    """A view of an N-dimensional float array (libmolgrid's ``Grid``)."""

    __slots__ = ("_a",)
    _ndim = 0
    _dtype = np.float32
    _managed = False

    def __init__(self, source, *dims):
        self._a = self._wrap(source, dims)

    @classmethod
    def _wrap(cls, source, dims) -> np.ndarray:
        if isinstance(source, _Pointer):
            if len(dims) != cls._ndim:
                raise ValueError(f"{cls.__name__}(ptr, ...) needs {cls._ndim} dimensions")
            if source.ctype is not (ctypes.c_float if cls._dtype == np.float32
                                    else ctypes.c_double):
                raise TypeError(f"{cls.__name__} needs a {cls._dtype.__name__} pointer")
            size = int(np.prod(dims))
            buffer: Any = (source.ctype * size).from_address(source.address) if size else []
            return np.ctypeslib.as_array(buffer).reshape(dims) if size else \
                np.zeros(dims, cls._dtype)
        if dims:
            raise TypeError(f"{cls.__name__}(array) takes no dimensions")
        array = as_array(source, cls._ndim, cls._dtype, cls.__name__)
        if not array.flags.c_contiguous:
            raise ValueError(f"{cls.__name__} needs C-contiguous memory")
        return array

    @classmethod
    def _view(cls, array: np.ndarray) -> "Grid":
        grid = cls.__new__(cls)
        grid._a = array
        return grid

    # sizes
    @property
    def shape(self) -> Tuple[int, ...]:
        """The dimensions."""
        return tuple(self._a.shape)

    def size(self) -> int:
        """Number of elements."""
        return int(self._a.size)

    def dimension(self, i: int) -> int:
        """Dimension ``i``."""
        return int(self._a.shape[i])

    def __len__(self) -> int:
        return int(self._a.shape[0])

    def type(self) -> str:
        """``'float32'`` or ``'float64'``."""
        return self._a.dtype.name

    def data(self) -> int:
        """Address of the first element."""
        return int(self._a.ctypes.data)

    # elements
    def _sub(self, array):
        family = MGRIDS if self._managed else GRIDS
        return family[(array.ndim, self._a.dtype.char)]._view(array)

    def __getitem__(self, index):
        if isinstance(index, tuple):
            if len(index) != self._ndim:
                raise IndexError(f"{type(self).__name__} takes {self._ndim} indices, got "
                                 f"{len(index)}")
            return float(self._a[self._checked(index)])
        i = self._checked((index,))[0]
        if self._ndim == 1:
            return float(self._a[i])
        return self._sub(self._a[i])

    def __setitem__(self, index, value) -> None:
        index = index if isinstance(index, tuple) else (index,)
        if len(index) != self._ndim:
            raise IndexError(f"{type(self).__name__} needs {self._ndim} indices to set an "
                             f"element, got {len(index)}")
        self._a[self._checked(index)] = value

    def _checked(self, index):
        out = []
        for axis, i in enumerate(index):
            i = int(i)
            if not 0 <= i < self._a.shape[axis]:
                raise IndexError(f"index {i} is out of range for dimension {axis} of size "
                                 f"{self._a.shape[axis]}")
            out.append(i)
        return tuple(out)

    # copies
    def copyTo(self, other) -> int:
        """Copy into ``other`` (a grid, array or tensor), as many elements as
        both hold, in order; returns how many."""
        if _is_tensor(other) and other.device.type != "cpu":
            import torch

            n = min(self.size(), other.numel())
            flat = torch.from_numpy(self._a.reshape(-1)[:n].copy())
            other.view(-1)[:n].copy_(flat.to(other.dtype))
            return n
        target = as_array(other, None, None, "the copy's target")
        n = min(self.size(), target.size)
        target.reshape(-1)[:n] = self._a.reshape(-1)[:n]
        return n

    def copyFrom(self, other) -> int:
        """Copy from ``other`` (a grid, array or tensor), as many elements as
        both hold, in order; returns how many."""
        source = (_cpu_numpy(other) if _is_tensor(other)
                  else as_array(other, None, None, "the copy's source"))
        n = min(self.size(), source.size)
        self._a.reshape(-1)[:n] = np.ravel(source)[:n]
        return n

    def fill_zero(self) -> None:
        """Set every element to 0."""
        self._a[...] = 0

    def tonumpy(self) -> np.ndarray:
        """A numpy copy."""
        return self._a.copy()

    def __array__(self, dtype=None, copy=None):
        return self._a.astype(dtype or self._a.dtype, copy=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shape={self.shape})"


class MGrid(Grid):
    """An N-dimensional float array that owns its memory (``MGrid``)."""

    __slots__ = ()
    _managed = True

    def __init__(self, *dims):
        if len(dims) != self._ndim:
            raise TypeError(f"{type(self).__name__} takes {self._ndim} dimensions, got "
                            f"{len(dims)}")
        self._a = np.zeros(tuple(int(d) for d in dims), self._dtype)

    def cpu(self) -> Grid:
        """A ``Grid`` view of the memory."""
        return GRIDS[(self._ndim, self._a.dtype.char)]._view(self._a)

    def gpu(self):
        """The GPU view: there is no GPU (raises :class:`NoGPUError`)."""
        raise no_gpu(f"{type(self).__name__}.gpu()")

    def clone(self) -> "MGrid":
        """A copy with its own memory."""
        copy = type(self).__new__(type(self))
        copy._a = self._a.copy()
        return copy

    def oncpu(self) -> bool:
        """Always True."""
        return True

    def ongpu(self) -> bool:
        """Always False."""
        return False

    def tocpu(self, copy: bool = True) -> None:
        """Nothing to do: the memory is on the CPU."""

    def togpu(self, copy: bool = True) -> None:
        """There is no GPU (raises :class:`NoGPUError`)."""
        raise no_gpu(f"{type(self).__name__}.togpu()")


class _CudaGrid(Grid):
    """libmolgrid's GPU grids: there is no GPU here."""

    __slots__ = ()

    def __init__(self, *args, **kwargs):
        raise no_gpu(type(self).__name__)


GRIDS: Dict[Tuple[int, str], Type[Grid]] = {}
MGRIDS: Dict[Tuple[int, str], Type[MGrid]] = {}
GRID_CLASSES: Dict[str, Any] = {}
GRID_BASES = (Grid,)

for _n in range(1, 9):
    for _code, _dtype in (("f", np.float32), ("d", np.float64)):
        _char = np.dtype(_dtype).char
        _attrs = {"__slots__": (), "_ndim": _n, "_dtype": _dtype, "__module__": __name__}
        GRIDS[(_n, _char)] = type(f"Grid{_n}{_code}", (Grid,), dict(_attrs))
        MGRIDS[(_n, _char)] = type(f"MGrid{_n}{_code}", (MGrid,), dict(_attrs))
        GRID_CLASSES[f"Grid{_n}{_code}"] = GRIDS[(_n, _char)]
        GRID_CLASSES[f"MGrid{_n}{_code}"] = MGRIDS[(_n, _char)]
        GRID_CLASSES[f"Grid{_n}{_code}CUDA"] = type(f"Grid{_n}{_code}CUDA", (_CudaGrid,),
                                                    dict(_attrs))


def tonumpy(grid) -> np.ndarray:
    """A numpy copy of a grid."""
    return np.array(as_array(grid), copy=True)
