# Where the atoms of an image come from: a table's columns (scanned per
# image) or a prepared table with a spatial index.
#
# Interface of _sources.pyx (cimport it).

from libc.stdint cimport int32_t, int64_t

from voxelize_cy.core._draw cimport AtomProps
from voxelize_cy.core._geometry cimport Frame, GridSpec, SelAtom
from voxelize_cy.core._kinds cimport KindSpace
from voxelize_cy.core._select cimport Columns, SelBuf
from voxelize_cy.core._strings cimport ElementColumn


# Row screens (SCREEN_*) are declared in _codes.pxd.


# What the nogil parts of the kernels need of a source: plain C, so that
# OpenMP threads can use it without touching a Python object.
ctypedef int (*rows_valid_fn)(const void *data, int screen) noexcept nogil
ctypedef int (*select_fn)(const void *data, const GridSpec *g, const Frame *f,
                          int screen, SelBuf *out) noexcept nogil

cdef struct SourceView:
    const void *data
    rows_valid_fn rows_are_valid
    select_fn select


cdef class AtomSource:
    cdef readonly Py_ssize_t n_rows
    cdef SourceView view
    # Per-position radius and channel lists (NULL: by element kind).
    cdef const double *pos_radius
    cdef const int64_t *pos_ch_start
    cdef const int64_t *pos_ch
    cdef readonly bint has_elements

    cdef KindSpace new_kind_space(self)
    cdef int encode(self, KindSpace space, SelAtom *atoms, Py_ssize_t n) except -1
    cdef list kind_strings(self, KindSpace space)
    cdef void base_props(self, AtomProps *props) noexcept
    cpdef Py_ssize_t n_source_rows(self)


cdef class TableSource(AtomSource):
    cdef readonly object x, y, z, occupancy, elements_column
    cdef readonly object radius, channel_start, channels
    cdef Columns cols
    cdef readonly ElementColumn elements
