# Drawing selected atoms into an image: the exact overlap of each atom's ball
# with the voxels of its candidate block, turned into voxel values by a fill
# rule and combined with what the voxel holds by an aggregation rule.
#
# Interface of _draw.pyx for the other kernel modules (cimport it).

from libc.stdint cimport int32_t, int64_t

from voxelize_cy.core._fill cimport FillSpec
from voxelize_cy.core._geometry cimport GridSpec, SelAtom


# The status, fill and aggregation codes are declared once, in _codes.pxd
# (src/codes.h).

cdef struct AtomProps:
    # Per kind (the atom's element): NaN radius when the element has none;
    # channel CHANNEL_NONE when no pattern matched, CHANNEL_NOT_STR when the
    # element is not a str (_codes.pxd).
    const double *kind_radius
    const int *kind_channel
    Py_ssize_t n_kinds
    # Per storage position, overriding the kind tables when not NULL: a
    # radius, and a list of channels (pos_ch[pos_ch_start[p]:pos_ch_start[p+1]]).
    const double *pos_radius
    const int64_t *pos_ch_start
    const int64_t *pos_ch
    Py_ssize_t n_pos


cdef Py_ssize_t work_doubles(int length) noexcept nogil

cdef int check_atoms(const GridSpec *g, const AtomProps *props, const FillSpec *fill,
                     const SelAtom *atoms, Py_ssize_t n, Py_ssize_t *bad) noexcept nogil

cdef void draw_atoms(void *img, bint is_float32, const GridSpec *g, const AtomProps *props,
                     const FillSpec *fill, int agg, const SelAtom *atoms, Py_ssize_t n,
                     double *work, int32_t *owner) noexcept nogil

cdef int draw_fresh(void *img, bint is_float32, const GridSpec *g, const AtomProps *props,
                    const FillSpec *fill, int agg, const SelAtom *atoms, Py_ssize_t n,
                    double *work, void *scratch) noexcept nogil

cdef double atom_radius(const AtomProps *props, const SelAtom *atom) noexcept nogil

from voxelize_cy.core._density cimport vcy_density

cdef void density_grad_block(const vcy_density *d, const int *n, const double *axes,
                             Py_ssize_t m3, const void *grad, bint is_float32,
                             Py_ssize_t row, Py_ssize_t plane, double *s) noexcept nogil

cdef bint density_block(const GridSpec *g, const FillSpec *fill, double r, double cx, double cy,
                        double cz, vcy_density *d, double *c, int *lo, int *n) noexcept nogil

cdef void density_axes(const GridSpec *g, const vcy_density *d, const double *c,
                       const int *lo, const int *n, double *work) noexcept nogil
