"""Where the atoms of an image come from.

``AtomSource`` is what the kernels draw from: it screens its rows, selects
the atoms of an image (in row order, centres in the image frame), and gives
each selected atom its element kind.  ``TableSource`` holds a table's
columns as given (no copy when they are float64 and contiguous) and scans
them per image; the prepared tables of ``_prepared.pyx`` answer the same
questions from a spatial index.
"""

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t

import numpy as np

from libc.math cimport floor
from libc.string cimport memcmp, memset

from voxelize_cy.core._codes cimport (
    SCREEN_NONE,
    SCREEN_ORIGINAL,
)
from voxelize_cy.core._select cimport select_rows

from voxelize_cy.core._numbers import _contiguous, float64_column
from voxelize_cy.core._strings cimport COLUMN_NOT_STR, Key, element_column

cnp.import_array()


cdef extern from "scan.h" nogil:
    int vcy_rows_are_valid(const double *x, const double *y, const double *z,
                           const double *occupancy, Py_ssize_t n)
    int vcy_rows_are_finite(const double *x, const double *y, const double *z,
                            const double *occupancy, Py_ssize_t n)


cdef int no_rows_to_check(const void *data, int screen) noexcept nogil:
    return 1


cdef int nothing_to_select(const void *data, const GridSpec *g, const Frame *f,
                           int screen, SelBuf *out) noexcept nogil:
    return 0


cdef class AtomSource:
    """Base of the atom sources: no atoms.  Subclasses set ``view`` (their
    nogil screen and selection) and the element methods."""

    def __cinit__(self, *args, **kwargs):
        self.view.data = NULL
        self.view.rows_are_valid = no_rows_to_check
        self.view.select = nothing_to_select
        self.n_rows = 0
        self.has_elements = False

    cdef KindSpace new_kind_space(self):
        return None

    cdef int encode(self, KindSpace space, SelAtom *atoms, Py_ssize_t n) except -1:
        return 0

    cdef list kind_strings(self, KindSpace space):
        return space.strings if space is not None else []

    cpdef Py_ssize_t n_source_rows(self):
        """Rows of the table the atoms came from (atoms' ``row`` are below it)."""
        return self.n_rows

    cdef void base_props(self, AtomProps *props) noexcept:
        props.kind_radius = NULL
        props.kind_channel = NULL
        props.n_kinds = 0
        props.pos_radius = self.pos_radius
        props.pos_ch_start = self.pos_ch_start
        props.pos_ch = self.pos_ch
        props.n_pos = self.n_rows


cdef const double *data_of(object array):
    return <const double *>cnp.PyArray_DATA(array) if cnp.PyArray_DIMS(array)[0] else NULL


cdef int columns_are_valid(const void *data, int screen) noexcept nogil:
    cdef const Columns *cols = <const Columns *>data
    if screen == SCREEN_NONE or cols.n == 0:
        return 1
    if screen == SCREEN_ORIGINAL:
        return vcy_rows_are_valid(cols.x, cols.y, cols.z, cols.occupancy, cols.n)
    return vcy_rows_are_finite(cols.x, cols.y, cols.z, cols.occupancy, cols.n)


cdef int select_columns(const void *data, const GridSpec *g, const Frame *f,
                        int screen, SelBuf *out) noexcept nogil:
    return select_rows(<const Columns *>data, g, f, screen, out)


cdef Py_ssize_t position_of(ElementColumn labels, bytes name) except -2:
    """The only position of ``name`` among the column labels; -1 when absent
    or not unique (the caller then takes pandas' public path)."""
    cdef Key key
    cdef Py_ssize_t i, found = -1
    cdef const char *wanted = name
    cdef Py_ssize_t length = len(name)
    for i in range(labels.n):
        labels.key(i, &key)
        if key.length == length and memcmp(key.ptr, wanted, length) == 0:
            if found >= 0:
                return -1
            found = i
    return found


def pandas_columns(object df, tuple names):
    """The stored arrays of the named columns of a pandas DataFrame.

    The labels are compared as bytes and the arrays read through the
    frame's block manager (private pandas API): about 2 µs for five columns,
    where ``df[name]`` takes 5 µs a column, and no index engine is built for a
    fresh copy.  None when anything is unusual (a label missing or repeated,
    labels that are not strings, another pandas): the caller then takes the
    public path, which also gives the error messages.
    """
    cdef list out = []
    cdef ElementColumn labels
    cdef Py_ssize_t i
    try:
        labels = element_column(df.columns._values)
        manager = df._mgr
        blocks = manager.blocks
        block_of = manager.blknos
        place_of = manager.blklocs
        if labels.layout == COLUMN_NOT_STR or labels.n != len(block_of):
            return None
        for name in names:
            i = position_of(labels, name.encode())
            if i < 0:
                return None
            values = blocks[block_of[i]].values
            out.append(values[place_of[i]] if values.ndim == 2 else values)
    except Exception:
        return None
    return out


cdef bint rises(const int64_t[::1] start, Py_ssize_t total) noexcept:
    """0 <= start[0], never decreasing, start[-1] <= total (the lists of a
    sliced Arrow array start where the slice does)."""
    cdef Py_ssize_t i, n = start.shape[0]
    if n == 0 or start[0] < 0 or start[n - 1] > total:
        return False
    for i in range(1, n):
        if start[i] < start[i - 1]:
            return False
    return True


cdef class TableSource(AtomSource):
    """A table's columns, scanned per image.

    Parameters
    ----------
    x, y, z, occupancy : 1-D float64 arrays of equal length (C-contiguous)
    elements : ElementColumn, optional
        The element of each row; without it every atom needs ``radius`` and
        ``channel_start``/``channels``.
    radius : 1-D float64 array, optional
        A radius per row (Å), instead of the element's.
    channel_start, channels : int64 (n + 1,) and int64 arrays, optional
        The channels of row i are ``channels[channel_start[i]:channel_start[i+1]]``
        (Arrow list offsets and values, used in place).
    """

    def __cinit__(self, x, y, z, occupancy, ElementColumn elements=None, radius=None,
                  channel_start=None, channels=None):
        x = float64_column(x, "x")
        y = float64_column(y, "y")
        z = float64_column(z, "z")
        occupancy = float64_column(occupancy, "occupancy")
        cdef Py_ssize_t n = cnp.PyArray_DIMS(x)[0]
        if (cnp.PyArray_DIMS(y)[0] != n or cnp.PyArray_DIMS(z)[0] != n
                or cnp.PyArray_DIMS(occupancy)[0] != n):
            for name, column in (("y", y), ("z", z), ("occupancy", occupancy)):
                if column.shape[0] != n:
                    raise ValueError(f"atoms columns differ in length: 'x' has {n} rows, "
                                     f"{name!r} has {column.shape[0]}")
        self.x, self.y, self.z, self.occupancy = x, y, z, occupancy
        self.cols.x = data_of(x)
        self.cols.y = data_of(y)
        self.cols.z = data_of(z)
        self.cols.occupancy = data_of(occupancy)
        self.cols.n = n
        self.n_rows = n
        if elements is not None and elements.n != n:
            raise ValueError(f"atoms columns differ in length: 'x' has {n} rows, "
                             f"'element' has {elements.n}")
        self.elements = elements
        self.has_elements = elements is not None
        self.pos_radius = NULL
        self.pos_ch_start = NULL
        self.pos_ch = NULL
        if radius is not None:
            self.radius = _contiguous(radius, np.float64, "radius", n)
            self.pos_radius = data_of(self.radius)
        if channel_start is not None:
            self.channel_start = _contiguous(channel_start, np.int64, "channel_start", n + 1)
            self.channels = np.ascontiguousarray(channels, dtype=np.int64)
            if self.channels.ndim != 1 or not rises(self.channel_start,
                                                    self.channels.shape[0]):
                raise ValueError("channel_start must rise, within 0 and len(channels)")
            self.pos_ch_start = <const int64_t *>cnp.PyArray_DATA(self.channel_start)
            self.pos_ch = (<const int64_t *>cnp.PyArray_DATA(self.channels)
                           if self.channels.shape[0] else NULL)
        if not self.has_elements and (radius is None or channel_start is None):
            raise ValueError("a table without elements needs a radius and channels per row")
        self.view.data = &self.cols
        self.view.rows_are_valid = columns_are_valid
        self.view.select = select_columns

    cdef KindSpace new_kind_space(self):
        return KindSpace(self.elements) if self.has_elements else None

    cdef int encode(self, KindSpace space, SelAtom *atoms, Py_ssize_t n) except -1:
        if space is not None:
            space.encode(atoms, n)
        return 0


def channel_lists(channel, Py_ssize_t n_channels):
    """``(channel_start, channels)`` of one channel per row (-1: none), for
    ``TableSource``: one pass in C.  Raises ValueError naming the first row
    whose channel is ``>= n_channels``."""
    values = np.ascontiguousarray(channel)
    if values.dtype.kind not in "iu" or values.ndim != 1:
        raise TypeError(f"channels must be a 1-D integer array, got {values.dtype}")
    cdef cnp.ndarray as64 = np.ascontiguousarray(values, dtype=np.int64)
    cdef const int64_t[::1] c = as64
    cdef Py_ssize_t i, n = c.shape[0], count = 0, bad = -1
    start = np.empty(n + 1, np.int64)
    cdef int64_t[::1] s = start
    with nogil:
        s[0] = 0
        for i in range(n):
            if c[i] >= n_channels and bad < 0:
                bad = i
            if c[i] >= 0:
                count += 1
            s[i + 1] = count
    if bad >= 0:
        raise ValueError(f"row {bad} has channel {c[bad]}; there are {n_channels} channels")
    out = np.empty(count, np.int64)
    cdef int64_t[::1] o = out
    count = 0
    with nogil:
        for i in range(n):
            if c[i] >= 0:
                o[count] = c[i]
                count += 1
    return start, out


def bitmask_lists(mask, Py_ssize_t n_channels):
    """``(channel_start, channels)`` of rows whose channels are the set bits of
    ``mask`` (bit c: channel c < n_channels <= 64), for ``TableSource``."""
    values = np.ascontiguousarray(mask)
    if values.dtype.kind != "u" or values.ndim != 1:
        raise TypeError(f"a channel mask must be a 1-D unsigned integer array, got "
                        f"{values.dtype}")
    if n_channels > 64 or (values.dtype.itemsize * 8 > n_channels
                           and values.size and int(values.max()) >> n_channels):
        raise ValueError(f"the channel mask sets a bit beyond channel {n_channels - 1}")
    cdef cnp.ndarray as64 = np.ascontiguousarray(values, dtype=np.uint64)
    cdef const uint64_t[::1] m = as64
    cdef Py_ssize_t i, c, n = m.shape[0], count = 0
    start = np.empty(n + 1, np.int64)
    cdef int64_t[::1] s = start
    with nogil:
        s[0] = 0
        for i in range(n):
            for c in range(n_channels):
                if (m[i] >> c) & 1:
                    count += 1
            s[i + 1] = count
    out = np.empty(count, np.int64)
    cdef int64_t[::1] o = out
    count = 0
    with nogil:
        for i in range(n):
            for c in range(n_channels):
                if (m[i] >> c) & 1:
                    o[count] = c
                    count += 1
    return start, out


def typed_rows(list coords, list types, list radii, const int64_t[::1] offsets,
               Py_ssize_t n_channels):
    """The kernels' columns of index-typed atom sets, in one pass each.

    Set s gives float32 ``coords[s]`` (N, 3), ``types[s]`` (N,) and
    ``radii[s]`` (N,); its types go to channels ``offsets[s] + type``.  Atoms
    with a negative type or a radius of 0 add nothing and are left out.

    Returns ``(x, y, z, weight, radius, channel_start, channels, largest,
    kept, largest_of_set)`` (float64 columns, weights 1, one channel per row,
    the largest radius; per set, int64 rows kept and float64 largest radius).
    Raises ValueError ``(set, atom, what)`` naming a type at or past
    ``n_channels``, a coordinate or radius that is not finite, a negative
    radius.
    """
    cdef Py_ssize_t n_sets = len(coords), s, i, n, kept = 0, row = 0
    if len(types) != n_sets or len(radii) != n_sets or offsets.shape[0] != n_sets:
        raise ValueError("one types, radii and offset per coordinate set")
    cdef const float[:, ::1] xyz
    cdef const float[::1] t, r
    cdef int64_t channel
    cdef double radius, best = 0.0
    kept_arr = np.zeros(n_sets, np.int64)
    best_arr = np.zeros(n_sets, np.float64)
    cdef int64_t[::1] kept_of = kept_arr
    cdef double[::1] best_of = best_arr
    for s in range(n_sets):
        xyz, t, r = coords[s], types[s], radii[s]
        n = xyz.shape[0]
        if xyz.shape[1] != 3 or t.shape[0] != n or r.shape[0] != n:
            raise ValueError(f"set {s}: coords (N, 3), types and radii (N,) differ in size")
        for i in range(n):
            if t[i] >= 0 and r[i] > 0:
                kept += 1
    x_out, y_out, z_out = np.empty(kept), np.empty(kept), np.empty(kept)
    radius_out = np.empty(kept)
    channel_out = np.empty(kept, np.int64)
    cdef double[::1] x = x_out, y = y_out, z = z_out, rad = radius_out
    cdef int64_t[::1] ch = channel_out
    for s in range(n_sets):
        xyz, t, r = coords[s], types[s], radii[s]
        for i in range(xyz.shape[0]):
            if not (r[i] - r[i] == 0 and r[i] >= 0):
                raise ValueError((s, i, f"radius {float(r[i])!r}"))
            if not (t[i] >= 0 and r[i] > 0):
                continue
            channel = offsets[s] + <int64_t>floor(t[i])
            if channel >= n_channels:
                raise ValueError((s, i, f"type {float(t[i])!r} (channel {channel} of "
                                        f"{n_channels})"))
            if not (xyz[i, 0] - xyz[i, 0] == 0 and xyz[i, 1] - xyz[i, 1] == 0
                    and xyz[i, 2] - xyz[i, 2] == 0):
                raise ValueError((s, i, "a coordinate that is not finite"))
            x[row], y[row], z[row] = xyz[i, 0], xyz[i, 1], xyz[i, 2]
            radius = r[i]
            rad[row] = radius
            ch[row] = channel
            if radius > best:
                best = radius
            if radius > best_of[s]:
                best_of[s] = radius
            kept_of[s] += 1
            row += 1
    return (x_out, y_out, z_out, np.ones(kept), radius_out, np.arange(kept + 1, dtype=np.int64),
            channel_out, best, kept_arr, best_arr)
