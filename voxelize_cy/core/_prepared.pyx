"""Prepared atom tables: a table checked once, its elements encoded once, and
its atoms sorted into a uniform grid of cells, so that an image costs what
its own atoms cost, whatever the size of the structure.

Layout (all arrays immutable once built):

- ``x, y, z, occupancy`` (float64) and ``row`` (int32: the atom's row in the
  table it came from) and ``code`` (int32: its element kind), sorted by cell;
- ``cell_start`` (int64, one more than there are cells): the atoms of cell
  ``c = (i * ny + j) * nz + k`` are positions ``cell_start[c]`` to
  ``cell_start[c + 1]``, in row order; the cells of one (i, j) column are
  consecutive, so a query reads one run per column;
- ``kinds``: the element string of each code (None for a non-string).

An image's atoms are those of the cells its atom box (mapped back through
the frame, if any) overlaps, tested exactly as the table scan tests them and
put back in row order, so the images are bitwise those of the table.
"""

cimport numpy as cnp
from libc.math cimport floor
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

import numpy as np

from voxelize_cy.core._geometry cimport (
    Frame,
    GridSpec,
    SelAtom,
    frame_apply,
    selection_box,
    inside_atom_box,
)
from voxelize_cy.core._kinds cimport KindSpace
from voxelize_cy.core._select cimport SelBuf, selbuf_push, sort_by_row
from voxelize_cy.core._sources cimport AtomSource, TableSource

cnp.import_array()

#: Cell edge (Å) when none is given: a few atoms per cell in a protein, and a
#: seed image's atom box (16 Å) spans 4-5 cells per axis.
DEFAULT_CELL_A = 4.0
#: Cells allowed per atom before the cells are made larger (sparse tables).
MAX_CELLS_PER_ATOM = 2


cdef struct CellIndex:
    const double *x
    const double *y
    const double *z
    const double *occupancy
    const int32_t *row
    const int32_t *code
    const int64_t *cell_start
    double origin[3]
    double cell
    double inv_cell           # 1 / cell: cell index = floor((p - origin) * inv_cell)
    int64_t dims[3]
    Py_ssize_t n


cdef int no_rows_to_check(const void *data, int screen) noexcept nogil:
    return 1  # checked when the table was prepared


cdef inline bint cell_range(const CellIndex *ix, int a, double lo, double hi,
                            int64_t *first, int64_t *last) noexcept nogil:
    """Cells along axis ``a`` that [lo, hi] overlaps; False when none.

    The cell of p is ``floor((p - origin) * inv_cell)``, here as when the
    atoms were placed: the same arithmetic is monotonic in p, so every atom in
    [lo, hi] lies in the cells returned."""
    cdef double f = floor((lo - ix.origin[a]) * ix.inv_cell)
    cdef double l = floor((hi - ix.origin[a]) * ix.inv_cell)
    if not (l >= 0 and f <= ix.dims[a] - 1):  # also False for NaN
        return False
    first[0] = 0 if f < 0 else <int64_t>f
    last[0] = ix.dims[a] - 1 if l > ix.dims[a] - 1 else <int64_t>l
    return True


cdef int select_cells(const void *data, const GridSpec *g, const Frame *f, int screen,
                      SelBuf *out) noexcept nogil:
    """The atoms of the image, from the cells its box overlaps, in row order."""
    cdef const CellIndex *ix = <const CellIndex *>data
    cdef double lo[3]
    cdef double hi[3]
    cdef double p[3]
    cdef int64_t first[3]
    cdef int64_t last[3]
    cdef int64_t i, j, start, stop, q
    cdef int a
    cdef double x, y, z
    if ix.n == 0:
        return 0
    selection_box(f, g, lo, hi)
    for a in range(3):
        if not cell_range(ix, a, lo[a], hi[a], &first[a], &last[a]):
            return 0
    for i in range(first[0], last[0] + 1):
        for j in range(first[1], last[1] + 1):
            start = ix.cell_start[(i * ix.dims[1] + j) * ix.dims[2] + first[2]]
            stop = ix.cell_start[(i * ix.dims[1] + j) * ix.dims[2] + last[2] + 1]
            for q in range(start, stop):
                x = ix.x[q]
                y = ix.y[q]
                z = ix.z[q]
                if f.active:
                    if not (x >= lo[0] and x <= hi[0] and y >= lo[1] and y <= hi[1]
                            and z >= lo[2] and z <= hi[2]):
                        continue
                    frame_apply(f, x, y, z, p)
                    x = p[0]
                    y = p[1]
                    z = p[2]
                if not inside_atom_box(g, x, y, z):
                    continue
                if selbuf_push(out, x, y, z, ix.occupancy[q], ix.row[q], q) < 0:
                    return -1
                out.atoms[out.n - 1].kind = ix.code[q]
    return sort_by_row(out)


cdef class PreparedAtoms(AtomSource):
    """An atom table prepared for many images: see ``voxelize_cy.prepare_atoms``."""

    cdef CellIndex index
    cdef readonly object x, y, z, occupancy, row, code, cell_start
    cdef readonly list kinds
    cdef Py_ssize_t source_rows
    # For error messages: what the element column held (its dtype or Arrow
    # type) and the value of each row whose element is not a str.
    cdef readonly str element_type
    cdef readonly dict not_str_values

    def __cinit__(self, *args, **kwargs):
        self.view.data = &self.index
        self.view.rows_are_valid = no_rows_to_check
        self.view.select = select_cells

    cdef KindSpace new_kind_space(self):
        return None

    cdef int encode(self, KindSpace space, SelAtom *atoms, Py_ssize_t n) except -1:
        return 0  # the kinds were set during the selection

    cdef list kind_strings(self, KindSpace space):
        return self.kinds

    cpdef Py_ssize_t n_source_rows(self):
        return self.source_rows

    cdef void attach(self, x, y, z, occupancy, row, code, cell_start, list kinds,
                     origin, double cell, dims, Py_ssize_t n_source_rows):
        for array in (x, y, z, occupancy, row, code, cell_start):
            array.flags.writeable = False
        self.x, self.y, self.z, self.occupancy = x, y, z, occupancy
        self.row, self.code, self.cell_start = row, code, cell_start
        self.kinds = kinds
        self.source_rows = n_source_rows
        self.element_type = None
        self.not_str_values = {}
        cdef Py_ssize_t n = x.shape[0]
        self.n_rows = n
        self.has_elements = True
        self.index.n = n
        self.index.x = <const double *>cnp.PyArray_DATA(x)
        self.index.y = <const double *>cnp.PyArray_DATA(y)
        self.index.z = <const double *>cnp.PyArray_DATA(z)
        self.index.occupancy = <const double *>cnp.PyArray_DATA(occupancy)
        self.index.row = <const int32_t *>cnp.PyArray_DATA(row)
        self.index.code = <const int32_t *>cnp.PyArray_DATA(code)
        self.index.cell_start = <const int64_t *>cnp.PyArray_DATA(cell_start)
        self.index.cell = cell
        self.index.inv_cell = 1.0 / cell
        for a in range(3):
            self.index.origin[a] = origin[a]
            self.index.dims[a] = dims[a]
        self.pos_radius = NULL
        self.pos_ch_start = NULL
        self.pos_ch = NULL

    def __len__(self):
        return self.index.n

    @property
    def cell_A(self):
        """Edge of the index's cells, Å."""
        return self.index.cell

    @property
    def cells(self):
        """Cells of the index along x, y and z."""
        return tuple(int(self.index.dims[a]) for a in range(3))

    @property
    def bounds_A(self):
        """``(lower, upper)`` corners of the box of the atoms, Å."""
        if self.index.n == 0:
            return np.zeros(3), np.zeros(3)
        return (np.array([self.x.min(), self.y.min(), self.z.min()]),
                np.array([self.x.max(), self.y.max(), self.z.max()]))

    @property
    def nbytes(self):
        """Bytes held by the arrays."""
        return sum(a.nbytes for a in (self.x, self.y, self.z, self.occupancy, self.row,
                                      self.code, self.cell_start))

    def __repr__(self):
        return (f"PreparedAtoms({self.index.n} atoms, {len(self.kinds)} elements, "
                f"{self.cells[0]}x{self.cells[1]}x{self.cells[2]} cells of "
                f"{self.index.cell:g} Å, {self.nbytes / 2**20:.1f} MiB)")

    def __reduce__(self):
        origin = tuple(self.index.origin[a] for a in range(3))
        return (_restore, (self.x, self.y, self.z, self.occupancy, self.row, self.code,
                           self.cell_start, self.kinds, origin, self.index.cell,
                           self.cells, self.source_rows, self.element_type,
                           self.not_str_values))

    def to_pandas(self):
        """The table in its original row order, as a pandas DataFrame
        (``element, x, y, z, occupancy``)."""
        import pandas as pd

        order = np.argsort(self.row, kind="stable")
        kinds = np.array(self.kinds + [None], dtype=object)
        return pd.DataFrame({
            "element": kinds[np.asarray(self.code)[order]],
            "x": self.x[order], "y": self.y[order], "z": self.z[order],
            "occupancy": self.occupancy[order],
        })


def _restore(x, y, z, occupancy, row, code, cell_start, kinds, origin, cell, dims,
             n_source_rows, element_type=None, not_str_values=None):
    cdef PreparedAtoms prepared = PreparedAtoms.__new__(PreparedAtoms)
    n = len(x)
    n_cells = int(np.prod(dims))
    arrays = [np.ascontiguousarray(a, dtype=t) for a, t in (
        (x, np.float64), (y, np.float64), (z, np.float64), (occupancy, np.float64),
        (row, np.int32), (code, np.int32), (cell_start, np.int64))]
    if (any(a.ndim != 1 or a.shape[0] != n for a in arrays[:6])
            or arrays[6].shape[0] != n_cells + 1 or arrays[6][0] != 0
            or arrays[6][n_cells] != n or (n and np.any(np.diff(arrays[6]) < 0))
            or (n and not (0 <= arrays[4].min() and arrays[4].max() < n_source_rows))
            or (n and not (0 <= arrays[5].min() and arrays[5].max() < len(kinds)))
            or not cell > 0):
        raise ValueError("inconsistent PreparedAtoms state")
    prepared.attach(arrays[0], arrays[1], arrays[2], arrays[3], arrays[4], arrays[5],
                    arrays[6], list(kinds), origin, float(cell), dims, n_source_rows)
    prepared.element_type = element_type
    prepared.not_str_values = dict(not_str_values or {})
    return prepared


def prepare(TableSource source, double cell_A):
    """Build the ``PreparedAtoms`` of a table's columns (rows already checked).

    ``cell_A`` is the cell edge in Å, or NaN for the default; the cells are
    made larger when there would be more than two per atom.
    """
    cdef Py_ssize_t n = source.n_rows, i
    if n >= 2**31 - 1:
        raise ValueError(f"a prepared table holds fewer than 2**31 atoms, not {n}")
    cdef const double[::1] sx = source.x
    cdef const double[::1] sy = source.y
    cdef const double[::1] sz = source.z
    cdef const double[::1] so = source.occupancy
    cdef double lo[3]
    cdef double hi[3]
    cdef double cell = DEFAULT_CELL_A if not (cell_A > 0) else cell_A
    cdef int64_t dims[3]
    cdef int a
    cdef double n_cells_f
    for a in range(3):
        lo[a] = 0
        hi[a] = 0
    with nogil:
        if n:
            lo[0] = hi[0] = sx[0]
            lo[1] = hi[1] = sy[0]
            lo[2] = hi[2] = sz[0]
        for i in range(n):
            if sx[i] < lo[0]: lo[0] = sx[i]
            if sx[i] > hi[0]: hi[0] = sx[i]
            if sy[i] < lo[1]: lo[1] = sy[i]
            if sy[i] > hi[1]: hi[1] = sy[i]
            if sz[i] < lo[2]: lo[2] = sz[i]
            if sz[i] > hi[2]: hi[2] = sz[i]
    # Grow the cells until there are at most MAX_CELLS_PER_ATOM per atom.
    cdef double inv
    while True:
        inv = 1.0 / cell
        n_cells_f = 1
        for a in range(3):
            n_cells_f *= floor((hi[a] - lo[a]) * inv) + 1
        if n_cells_f <= max(MAX_CELLS_PER_ATOM * n, 1):
            break
        cell *= 1.25
    for a in range(3):
        dims[a] = <int64_t>floor((hi[a] - lo[a]) * inv) + 1
    cdef int64_t n_cells = dims[0] * dims[1] * dims[2]

    x_out = np.empty(n, dtype=np.float64)
    y_out = np.empty(n, dtype=np.float64)
    z_out = np.empty(n, dtype=np.float64)
    o_out = np.empty(n, dtype=np.float64)
    row_out = np.empty(n, dtype=np.int32)
    code_out = np.empty(n, dtype=np.int32)
    start_out = np.zeros(n_cells + 1, dtype=np.int64)
    cdef double[::1] xo = x_out, yo = y_out, zo = z_out, oo = o_out
    cdef int32_t[::1] ro = row_out
    cdef int64_t[::1] cs = start_out
    cdef int64_t *fill = <int64_t *>malloc((n_cells + 1) * sizeof(int64_t))
    if fill == NULL:
        raise MemoryError("no memory to index the atoms")
    cdef int64_t c, q
    try:
        with nogil:
            # Count the atoms of each cell (cell ids are recomputed, not stored,
            # to keep the memory needed low), then place them, stably.
            for i in range(n):
                c = ((<int64_t>floor((sx[i] - lo[0]) * inv) * dims[1]
                      + <int64_t>floor((sy[i] - lo[1]) * inv)) * dims[2]
                     + <int64_t>floor((sz[i] - lo[2]) * inv))
                cs[c + 1] += 1
            for c in range(n_cells):
                cs[c + 1] += cs[c]
            memcpy(fill, &cs[0], (n_cells + 1) * sizeof(int64_t))
            for i in range(n):
                c = ((<int64_t>floor((sx[i] - lo[0]) * inv) * dims[1]
                      + <int64_t>floor((sy[i] - lo[1]) * inv)) * dims[2]
                     + <int64_t>floor((sz[i] - lo[2]) * inv))
                q = fill[c]
                fill[c] += 1
                xo[q] = sx[i]
                yo[q] = sy[i]
                zo[q] = sz[i]
                oo[q] = so[i]
                ro[q] = <int32_t>i
    finally:
        free(fill)
    # Elements: encoded once, in the sorted order.
    cdef KindSpace space = KindSpace(source.elements)
    cdef int[::1] codes = code_out
    if n:
        space.encode_rows(<const int *>&ro[0], n, &codes[0])
    cdef PreparedAtoms prepared = PreparedAtoms.__new__(PreparedAtoms)
    prepared.attach(x_out, y_out, z_out, o_out, row_out, code_out, start_out,
                    list(space.strings), (lo[0], lo[1], lo[2]), cell,
                    (dims[0], dims[1], dims[2]), n)
    prepared.element_type = source.elements.describe()
    if None in prepared.kinds:  # rows whose element is no str: kept for the errors
        missing = prepared.kinds.index(None)
        prepared.not_str_values = {
            int(r): source.elements.value_at(int(r))
            for r in row_out[code_out == missing]}
    return prepared
