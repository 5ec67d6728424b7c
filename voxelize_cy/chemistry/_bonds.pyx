# cython: language_level=3
"""Bonded atom pairs from distances, in C (a cell list): the first step of
``voxelize_cy.chemistry.perception``."""

import numpy as np
cimport numpy as cnp
from libc.math cimport floor

cnp.import_array()


cdef Py_ssize_t _lower_bound(const cnp.int64_t[::1] keys, cnp.int64_t key) noexcept nogil:
    cdef Py_ssize_t lo = 0, hi = keys.shape[0], mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


def bonded_pairs(xyz, radius_A, double tolerance_A=0.45, double min_distance_A=0.4):
    """Pairs (i < j) with ``min_distance_A <= d <= r_i + r_j + tolerance_A``.

    Parameters
    ----------
    xyz : (N, 3) float64 array, Å
    radius_A : (N,) float64 array; atoms with a negative radius bond to nothing
    tolerance_A, min_distance_A : float

    Returns
    -------
    (i, j) : two int64 arrays, sorted by i then j
    """
    cdef const double[:, ::1] p = np.ascontiguousarray(xyz, dtype=np.float64)
    cdef const double[::1] r = np.ascontiguousarray(radius_A, dtype=np.float64)
    cdef Py_ssize_t n = p.shape[0]
    if p.shape[1] != 3 or r.shape[0] != n:
        raise ValueError("xyz must be (N, 3) and radius_A (N,)")
    empty = (np.empty(0, np.int64), np.empty(0, np.int64))
    if n < 2:
        return empty
    radius = np.asarray(r)
    usable = radius >= 0
    if not usable.any():
        return empty
    cdef double cell = 2 * float(radius[usable].max()) + tolerance_A
    if not cell > 0:
        return empty
    coords = np.asarray(p)
    low = coords.min(axis=0)
    cells_np = np.floor((coords - low) / cell).astype(np.int64) + 1
    dims = cells_np.max(axis=0) + 2
    keys_np = (cells_np[:, 0] * dims[1] + cells_np[:, 1]) * dims[2] + cells_np[:, 2]
    order_np = np.argsort(keys_np, kind="stable")
    sorted_np = np.ascontiguousarray(keys_np[order_np])
    cdef const cnp.int64_t[::1] keys = keys_np
    cdef const cnp.int64_t[::1] order = order_np
    cdef const cnp.int64_t[::1] sorted_keys = sorted_np
    cdef cnp.int64_t dy = dims[1], dz = dims[2]
    cdef double tol = tolerance_A, min2 = min_distance_A * min_distance_A
    cdef Py_ssize_t a, b, k, start, count = 0, capacity = 8 * n + 16
    cdef int ox, oy, oz
    cdef cnp.int64_t key
    cdef double dxv, dyv, dzv, d2, cut
    first_np = np.empty(capacity, np.int64)
    second_np = np.empty(capacity, np.int64)
    cdef cnp.int64_t[::1] first = first_np
    cdef cnp.int64_t[::1] second = second_np
    while True:
        count = 0
        with nogil:
            for a in range(n):
                if r[a] < 0:
                    continue
                for ox in range(-1, 2):
                    for oy in range(-1, 2):
                        for oz in range(-1, 2):
                            key = keys[a] + (ox * dy + oy) * dz + oz
                            start = _lower_bound(sorted_keys, key)
                            k = start
                            while k < n and sorted_keys[k] == key:
                                b = order[k]
                                k += 1
                                if b <= a or r[b] < 0:
                                    continue
                                dxv = p[a, 0] - p[b, 0]
                                dyv = p[a, 1] - p[b, 1]
                                dzv = p[a, 2] - p[b, 2]
                                d2 = dxv * dxv + dyv * dyv + dzv * dzv
                                cut = r[a] + r[b] + tol
                                if d2 > cut * cut or d2 < min2:
                                    continue
                                if count < capacity:
                                    first[count] = a
                                    second[count] = b
                                count += 1
        if count <= capacity:
            break
        capacity = count
        first_np = np.empty(capacity, np.int64)
        second_np = np.empty(capacity, np.int64)
        first = first_np
        second = second_np
    i = first_np[:count]
    j = second_np[:count]
    sort = np.lexsort((j, i))
    return i[sort], j[sort]
