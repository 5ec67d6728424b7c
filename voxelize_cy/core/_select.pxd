# Selecting the atoms of an image: the rows that can reach it, in row order,
# with their centres in the image frame.
#
# Interface of _select.pyx (cimport it).

from voxelize_cy.core._geometry cimport Frame, GridSpec, SelAtom


cdef struct SelBuf:
    SelAtom *atoms
    Py_ssize_t n
    Py_ssize_t capacity


cdef struct Columns:
    const double *x
    const double *y
    const double *z
    const double *occupancy
    Py_ssize_t n


cdef int selbuf_init(SelBuf *buf, Py_ssize_t capacity) noexcept nogil
cdef void selbuf_free(SelBuf *buf) noexcept nogil
cdef int selbuf_push(SelBuf *buf, double x, double y, double z, double weight,
                     Py_ssize_t row, Py_ssize_t pos) noexcept nogil

cdef int select_rows(const Columns *cols, const GridSpec *g, const Frame *f, int screen,
                     SelBuf *out) noexcept nogil

cdef int sort_by_row(SelBuf *buf) noexcept nogil
