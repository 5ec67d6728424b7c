"""Selecting the atoms of an image from a table's columns (nogil).

The original keeps the rows whose x, y and z all lie strictly inside the
image's atom box ``center ± (L * res / 2 + max_radius)``, in row order.  With
a frame, the box is first mapped back into the table's frame (a slightly
larger axis-aligned box), rows inside it are mapped into the image frame, and
the original's strict test is applied to the mapped centre.  Only selected
rows are ever mapped.
"""

from libc.stdlib cimport free, malloc, realloc

from voxelize_cy.core._codes cimport (
    SELECT_BAD_ROWS,
    SELECT_NO_MEMORY,
    SELECT_OK,
)
from voxelize_cy.core._geometry cimport frame_apply, inside_atom_box, selection_box


cdef extern from "scan.h" nogil:
    Py_ssize_t vcy_scan_box(const double *x, const double *y, const double *z,
                            const double *o, Py_ssize_t start, Py_ssize_t n,
                            const double *lo, const double *hi, int screen,
                            Py_ssize_t *hits, Py_ssize_t cap, Py_ssize_t *n_hits, int *bad)

cdef enum:
    HITS_PER_PASS = 1024


cdef int selbuf_init(SelBuf *buf, Py_ssize_t capacity) noexcept nogil:
    """An empty buffer with room for ``capacity`` atoms; -1 when out of memory."""
    if capacity < 16:
        capacity = 16
    buf.n = 0
    buf.capacity = capacity
    buf.atoms = <SelAtom *>malloc(capacity * sizeof(SelAtom))
    return 0 if buf.atoms != NULL else -1


cdef void selbuf_free(SelBuf *buf) noexcept nogil:
    free(buf.atoms)
    buf.atoms = NULL
    buf.n = buf.capacity = 0


cdef int selbuf_push(SelBuf *buf, double x, double y, double z, double weight,
                     Py_ssize_t row, Py_ssize_t pos) noexcept nogil:
    """Append one atom; -1 when out of memory."""
    cdef SelAtom *grown
    if buf.n == buf.capacity:
        grown = <SelAtom *>realloc(buf.atoms, 2 * buf.capacity * sizeof(SelAtom))
        if grown == NULL:
            return -1
        buf.atoms = grown
        buf.capacity *= 2
    cdef SelAtom *a = &buf.atoms[buf.n]
    a.x = x
    a.y = y
    a.z = z
    a.weight = weight
    a.row = row
    a.pos = pos
    a.kind = -1
    buf.n += 1
    return 0


cdef int select_rows(const Columns *cols, const GridSpec *g, const Frame *f, int screen,
                     SelBuf *out) noexcept nogil:
    """Append the rows of ``cols`` inside the image's atom box to ``out``, in
    row order, with their centres in the image frame.

    Returns ``SELECT_OK``, ``SELECT_NO_MEMORY``, or ``SELECT_BAD_ROWS`` when
    ``screen`` (see scan.h) found a bad row (the selection is then incomplete and must not be drawn).
    """
    cdef Py_ssize_t hits[HITS_PER_PASS]
    cdef Py_ssize_t start = 0, n_hits, k, row
    cdef int bad = 0
    cdef double lo[3]
    cdef double hi[3]
    cdef double p[3]
    selection_box(f, g, lo, hi)
    while start < cols.n:
        start = vcy_scan_box(cols.x, cols.y, cols.z, cols.occupancy, start, cols.n, lo, hi,
                             screen, hits, HITS_PER_PASS, &n_hits, &bad)
        for k in range(n_hits):
            row = hits[k]
            if f.active:
                frame_apply(f, cols.x[row], cols.y[row], cols.z[row], p)
                if not inside_atom_box(g, p[0], p[1], p[2]):
                    continue
            else:
                p[0] = cols.x[row]
                p[1] = cols.y[row]
                p[2] = cols.z[row]
            if selbuf_push(out, p[0], p[1], p[2], cols.occupancy[row], row, row) < 0:
                return SELECT_NO_MEMORY
    return SELECT_BAD_ROWS if bad else SELECT_OK


cdef int sort_by_row(SelBuf *buf) noexcept nogil:
    """Put the atoms of ``buf`` in row order (stable LSD radix sort on the
    row, one byte per pass, only the bytes the largest row needs); -1 when
    out of memory."""
    cdef Py_ssize_t n = buf.n, i, largest = 0, total, count
    cdef Py_ssize_t counts[256]
    cdef int shift, digit
    cdef SelAtom *tmp
    cdef SelAtom *swap
    cdef bint sorted_already = True
    if n < 2:
        return 0
    for i in range(n):
        if buf.atoms[i].row > largest:
            largest = buf.atoms[i].row
        if i and buf.atoms[i].row < buf.atoms[i - 1].row:
            sorted_already = False
    if sorted_already:
        return 0
    tmp = <SelAtom *>malloc(buf.capacity * sizeof(SelAtom))
    if tmp == NULL:
        return -1
    shift = 0
    while (largest >> shift) > 0:
        for digit in range(256):
            counts[digit] = 0
        for i in range(n):
            counts[(buf.atoms[i].row >> shift) & 255] += 1
        total = 0
        for digit in range(256):
            count = counts[digit]
            counts[digit] = total
            total += count
        for i in range(n):
            digit = (buf.atoms[i].row >> shift) & 255
            tmp[counts[digit]] = buf.atoms[i]
            counts[digit] += 1
        swap = buf.atoms
        buf.atoms = tmp
        tmp = swap
        shift += 8
    free(tmp)
    return 0
