"""Rigid frames: checking the 4×4 matrices users pass, in C (a per-image
check must cost well under a microsecond)."""

import numpy as np

def frame_numbers(object frame, str what="frame"):
    """Check a 4×4 rigid frame and return its 12 numbers (R row-major, then t).

    ``frame`` maps table coordinates p to the image frame: ``[p', 1] = F @ [p, 1]``.
    Raises ``ValueError`` naming the problem: not 4×4, NaN or inf, a last row
    other than 0 0 0 1, a rotation block that is not orthonormal to 1e-6 (shear,
    scale), or a reflection.
    """
    f = np.asarray(frame, dtype=np.float64)
    if f.shape != (4, 4):
        raise ValueError(f"{what} must be a 4x4 matrix, got shape {f.shape}")
    cdef const double[:, :] v = f
    out = np.empty(12, dtype=np.float64)
    cdef double[::1] o = out
    read_frame_matrix(v, o, what)
    return out


def frames_numbers(object frames):
    """``frame_numbers`` for a (B, 4, 4) stack → (B, 12)."""
    f = np.asarray(frames, dtype=np.float64)
    if f.ndim != 3 or f.shape[1:] != (4, 4):
        raise ValueError(f"frames must have shape (B, 4, 4), got {f.shape}")
    cdef const double[:, :, :] v = f
    out = np.empty((f.shape[0], 12), dtype=np.float64)
    cdef double[:, ::1] o = out
    cdef Py_ssize_t b
    for b in range(f.shape[0]):
        read_frame_matrix(v[b], o[b], f"frames[{b}]")
    return out


cdef int read_frame_matrix(const double[:, :] v, double[::1] out, str what) except -1:
    cdef int i, j, k
    cdef double s, err = 0, det
    for i in range(4):
        for j in range(4):
            if not (v[i, j] - v[i, j] == 0):
                raise ValueError(f"{what} holds {v[i, j]} at [{i}, {j}]; it must be finite")
    if not (v[3, 0] == 0 and v[3, 1] == 0 and v[3, 2] == 0 and v[3, 3] == 1):
        raise ValueError(f"{what} has last row {[v[3, 0], v[3, 1], v[3, 2], v[3, 3]]}; "
                         f"a rigid frame's last row is [0, 0, 0, 1]")
    for i in range(3):
        for j in range(3):
            s = 0
            for k in range(3):
                s += v[i, k] * v[j, k]
            s -= 1.0 if i == j else 0.0
            if s < 0:
                s = -s
            if s > err:
                err = s
    if err > 1e-6:
        raise ValueError(
            f"{what}'s rotation block is not orthonormal (R R^T differs from I by "
            f"{err:.3g} > 1e-6): a shear or a scale, not a rotation")
    det = (v[0, 0] * (v[1, 1] * v[2, 2] - v[1, 2] * v[2, 1])
           - v[0, 1] * (v[1, 0] * v[2, 2] - v[1, 2] * v[2, 0])
           + v[0, 2] * (v[1, 0] * v[2, 1] - v[1, 1] * v[2, 0]))
    if det < 0:
        raise ValueError(f"{what}'s rotation block has determinant {det:.6g}: a "
                         f"reflection (it would mirror the structure), not a rotation")
    for i in range(3):
        for j in range(3):
            out[3 * i + j] = v[i, j]
        out[9 + i] = v[i, 3]
    return 0


cdef inline void hamilton_f32(const float *p, const float *q, float *out) noexcept nogil:
    """The Hamilton product p q of float32 quaternions (real part first), each
    component summed left to right in float32."""
    cdef float a = p[0], b = p[1], c = p[2], d = p[3]
    cdef float e = q[0], f = q[1], g = q[2], h = q[3]
    out[0] = a * e - b * f - c * g - d * h
    out[1] = a * f + b * e + c * h - d * g
    out[2] = a * g - b * h + c * e + d * f
    out[3] = a * h + b * g - c * f + d * e


def quaternion_transform_f32(const float[:, ::1] points, const float[::1] q,
                             const float[::1] q_inverse, const float[::1] before_1,
                             const float[::1] before_2, const float[::1] after_1,
                             const float[::1] after_2):
    """``rotate(p - before_1 - before_2) + after_1 + after_2`` for each point,
    in float32, each operation in that order; ``rotate(v)`` is the quaternion
    product ``q (0, v) q_inverse`` (``q_inverse`` given, e.g. the conjugate
    over the norm).  A rotation about a centre then a translation, bit for
    bit as float32 code written that way computes it.

    Parameters
    ----------
    points : (N, 3) float32 array (C-contiguous)
    q, q_inverse : (4,) float32 arrays (real part first)
    before_1, before_2, after_1, after_2 : (3,) float32 arrays

    Returns
    -------
    numpy.ndarray
        ``(N, 3)`` float32.
    """
    for name, v, size in (("q", q, 4), ("q_inverse", q_inverse, 4), ("before_1", before_1, 3),
                          ("before_2", before_2, 3), ("after_1", after_1, 3),
                          ("after_2", after_2, 3)):
        if v.shape[0] != size:
            raise ValueError(f"{name} must have {size} entries, got {v.shape[0]}")
    if points.shape[1] != 3:
        raise ValueError(f"points must be (N, 3), got (N, {points.shape[1]})")
    out = np.empty((points.shape[0], 3), dtype=np.float32)
    cdef float[:, ::1] o = out
    cdef Py_ssize_t i, n = points.shape[0]
    cdef float p[4]
    cdef float t[4]
    cdef float r[4]
    cdef int k
    with nogil:
        for i in range(n):
            p[0] = 0
            for k in range(3):
                p[k + 1] = points[i, k] - before_1[k] - before_2[k]
            hamilton_f32(&q[0], p, t)
            hamilton_f32(t, &q_inverse[0], r)
            for k in range(3):
                o[i, k] = r[k + 1] + after_1[k] + after_2[k]
    return out
