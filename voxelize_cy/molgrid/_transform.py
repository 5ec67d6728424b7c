"""libmolgrid's ``Quaternion`` and ``Transform``, and the random source.

Rotations are unit (or any non-zero) quaternions applied as ``q p q⁻¹`` in
float32, as libmolgrid applies them; a ``Transform`` rotates about its centre
and then translates.  The random transforms (uniform rotations, translations
uniform in ``[-t, t]`` per axis) and the providers' shuffles draw from one
generator that :func:`set_random_seed` reseeds, as libmolgrid's one engine.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from voxelize_cy import gnina
from voxelize_cy.molgrid._grids import as_array, as_float3, float3

_ZERO = np.zeros(3, np.float32)

__all__ = ["Quaternion", "Transform", "set_random_seed", "random_engine"]

_engine = [np.random.default_rng()]


def set_random_seed(seed: int) -> None:
    """Seed the generator behind random transforms and shuffles."""
    _engine[0] = np.random.default_rng(int(seed))


def random_engine() -> np.random.Generator:
    """The generator behind random transforms and shuffles."""
    return _engine[0]


def _multiply(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hamilton products of float32 quaternions ``(..., 4)`` (real first)."""
    a, b, c, d = (p[..., i] for i in range(4))
    e, f, g, h = (q[..., i] for i in range(4))
    return np.stack([a * e - b * f - c * g - d * h, a * f + b * e + c * h - d * g,
                     a * g - b * h + c * e + d * f, a * h + b * g - c * f + d * e], axis=-1)


class Quaternion:
    """A quaternion ``a + b i + c j + d k`` in float32 (libmolgrid's)."""

    __slots__ = ("_q",)

    def __init__(self, a: float = 1.0, b: float = 0.0, c: float = 0.0, d: float = 0.0):
        self._q = np.array([a, b, c, d], np.float32)

    @classmethod
    def _of(cls, values) -> "Quaternion":
        q = cls.__new__(cls)
        q._q = np.asarray(values, np.float32)
        return q

    def R_component_1(self) -> float:
        """The real part."""
        return float(self._q[0])

    def R_component_2(self) -> float:
        """The i part."""
        return float(self._q[1])

    def R_component_3(self) -> float:
        """The j part."""
        return float(self._q[2])

    def R_component_4(self) -> float:
        """The k part."""
        return float(self._q[3])

    def real(self) -> float:
        """The real part."""
        return float(self._q[0])

    def norm(self) -> float:
        """The Cayley norm (the square of the Euclidean norm)."""
        return float(np.float32((self._q * self._q).sum(dtype=np.float32)))

    def conj(self) -> "Quaternion":
        """The conjugate."""
        return Quaternion._of(self._q * np.array([1, -1, -1, -1], np.float32))

    def inverse(self) -> "Quaternion":
        """The inverse."""
        return Quaternion._of(self.conj()._q / np.float32(self.norm()))

    def __mul__(self, other: "Quaternion") -> "Quaternion":
        return Quaternion._of(_multiply(self._q, other._q))

    def __imul__(self, other: "Quaternion") -> "Quaternion":
        self._q = _multiply(self._q, other._q)
        return self

    def __truediv__(self, other: "Quaternion") -> "Quaternion":
        return self * other.inverse()

    def __itruediv__(self, other: "Quaternion") -> "Quaternion":
        self._q = (self / other)._q
        return self

    def __eq__(self, other) -> bool:
        return isinstance(other, Quaternion) and bool((self._q == other._q).all())

    def rotate_points(self, points: np.ndarray) -> np.ndarray:
        """Rotate ``(N, 3)`` points: ``q p q̄ / |q|²`` in float32."""
        return gnina.rotate_points_f32(points, self._q, _ZERO, _ZERO)

    def rotate(self, x: float, y: float, z: float) -> float3:
        """The point rotated."""
        return float3(*self.rotate_points(np.array([[x, y, z]], np.float32))[0].tolist())

    def transform(self, x: float, y: float, z: float, center, translate) -> float3:
        """The point rotated about ``center``, then translated."""
        c, t = as_float3(center), as_float3(translate)
        point = self.rotate_points(np.array([[x, y, z]], np.float32) - c)[0] + c + t
        return float3(*point.tolist())

    def matrix(self) -> np.ndarray:
        """The 3×3 rotation (float64) this quaternion applies."""
        a, b, c, d = (float(v) for v in self._q)
        n = a * a + b * b + c * c + d * d
        return np.array([
            [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
            [2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b)],
            [2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d],
        ]) / n

    def __repr__(self) -> str:
        return "Quaternion({}, {}, {}, {})".format(*self._q.tolist())


def _uniform_rotation(rng: np.random.Generator) -> Quaternion:
    """A rotation drawn uniformly (Shoemake's method)."""
    u1, u2, u3 = rng.random(3)
    return Quaternion(math.sqrt(1 - u1) * math.sin(2 * math.pi * u2),
                      math.sqrt(1 - u1) * math.cos(2 * math.pi * u2),
                      math.sqrt(u1) * math.sin(2 * math.pi * u3),
                      math.sqrt(u1) * math.cos(2 * math.pi * u3))


class Transform:
    """A rotation about a centre followed by a translation.

    ``Transform()``, ``Transform(q)``, ``Transform(q, center)``,
    ``Transform(q, center, translation)``, or ``Transform(center,
    random_translate=0.0, random_rotation=False)`` (a uniform rotation and a
    translation uniform in ``[-random_translate, random_translate]`` per axis).
    """

    def __init__(self, *args, random_translate: Optional[float] = None,
                 random_rotation: Optional[bool] = None, center=None):
        self.q = Quaternion()
        self.center = np.zeros(3, np.float32)
        self.translate = np.zeros(3, np.float32)
        if center is not None:
            args = (center,) + args
        if args and isinstance(args[0], Quaternion):
            self.q = Quaternion._of(args[0]._q.copy())
            if len(args) > 1:
                self.center = as_float3(args[1])
            if len(args) > 2:
                self.translate = as_float3(args[2])
            return
        if args:
            self.center = as_float3(args[0])
            translate = args[1] if len(args) > 1 else (random_translate or 0.0)
            rotate = args[2] if len(args) > 2 else bool(random_rotation)
            rng = random_engine()
            if translate:
                self.translate = (rng.uniform(-1.0, 1.0, 3) * float(translate)).astype(
                    np.float32)
            if rotate:
                self.q = _uniform_rotation(rng)

    # accessors, under libmolgrid's names (and its older short ones)
    def get_quaternion(self) -> Quaternion:
        """The rotation."""
        return Quaternion._of(self.q._q.copy())

    def get_rotation_center(self) -> float3:
        """The centre of rotation."""
        return float3(*self.center.tolist())

    def get_translation(self) -> float3:
        """The translation."""
        return float3(*self.translate.tolist())

    def set_quaternion(self, q: Quaternion) -> None:
        """Set the rotation."""
        self.q = Quaternion._of(q._q.copy())

    def set_rotation_center(self, center) -> None:
        """Set the centre of rotation."""
        self.center = as_float3(center)

    def set_translation(self, translation) -> None:
        """Set the translation."""
        self.translate = as_float3(translation)

    quaternion = get_quaternion
    rotation_center = get_rotation_center
    translation = get_translation

    # applying it
    def apply(self, points: np.ndarray, dotranslate: bool = True) -> np.ndarray:
        """``(N, 3)`` points transformed (float32)."""
        if not dotranslate:
            return self.q.rotate_points(points)
        return gnina.rotate_points_f32(points, self.q._q, self.center, self.translate)

    def unapply(self, points: np.ndarray, dotranslate: bool = True) -> np.ndarray:
        """``(N, 3)`` points transformed back (float32)."""
        if not dotranslate:
            return self.q.inverse().rotate_points(points)
        return gnina.rotate_points_f32(points, self.q._q, self.center, self.translate,
                                       inverse=True)

    def forward(self, source, target, dotranslate: bool = True) -> None:
        """Transform ``source`` into ``target``: (N, 3) grids or arrays,
        CoordinateSets or Examples (every set)."""
        _apply_to(self.apply, source, target, dotranslate)

    def backward(self, source, target, dotranslate: bool = True) -> None:
        """Undo the transform (for gradients: ``dotranslate=False``)."""
        _apply_to(self.unapply, source, target, dotranslate)

    def frame(self) -> np.ndarray:
        """The 4×4 frame (float64) of ``x' = R (x - c) + c + t``."""
        rotation = self.q.matrix()
        c, t = self.center.astype(np.float64), self.translate.astype(np.float64)
        frame = np.eye(4)
        frame[:3, :3] = rotation
        frame[:3, 3] = c + t - rotation @ c
        return frame


def _apply_to(operation, source, target, dotranslate) -> None:
    sets_in = getattr(source, "coord_sets", None)
    if sets_in is not None:
        for a, b in zip(sets_in, target.coord_sets):
            _apply_to(operation, a, b, dotranslate)
        return
    atoms_in = getattr(source, "_atoms", None)
    if atoms_in is not None:
        target._atoms.coords = operation(atoms_in.coords, dotranslate)
        return
    values = as_array(source, 2, np.float32, "coordinates")
    out = as_array(target, 2, np.float32, "coordinates")
    if values.shape[1] != 3 or out.shape != values.shape:
        raise ValueError(f"coordinates must be (N, 3) grids of one shape, got "
                         f"{values.shape} and {out.shape}")
    out[...] = operation(values, dotranslate)
