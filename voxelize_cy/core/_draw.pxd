# Drawing selected atoms into an image: the exact overlap of each atom's ball
# with the voxels of its candidate block, turned into voxel values by a fill
# rule and combined with what the voxel holds by an aggregation rule.
#
# Interface of _draw.pyx for the other kernel modules (cimport it).

from libc.stdint cimport int32_t, int64_t

from voxelize_cy.core._geometry cimport GridSpec, SelAtom


# Status of one image, reported by the nogil kernels (0: done).
cdef enum:
    IMAGE_OK = 0
    IMAGE_NO_CHANNEL = 1      # an atom's element matched no channel
    IMAGE_NO_RADIUS = 2       # an atom's element has no radius
    IMAGE_NO_MEMORY = 3       # scratch allocation failed
    IMAGE_BAD_CHANNEL = 4     # a channel index outside [0, n_channels)
    IMAGE_BAD_ROWS = 5        # a row failed the finite-coordinate/occupancy screen
    IMAGE_BAD_CODE = 6        # an atom's kind outside [0, n_kinds)
    IMAGE_NOT_STR = 7         # an atom's element is not a string (None, a number, ...)
    IMAGE_BAD_RADIUS = 8      # a per-atom radius that is not a finite number >= 0
                              # (> 0 for FILL_FRACTION_ATOM)
    IMAGE_RADIUS_ABOVE_MAX = 9  # a per-atom radius above the image's max_radius

# Fill rules: what one atom puts in a voxel (times its occupancy).
cdef enum:
    FILL_FRACTION_ATOM = 0    # overlap / ball volume (the original)
    FILL_OVERLAP_A3 = 1       # overlap volume, Å³
    FILL_FRACTION_VOXEL = 2   # overlap / voxel volume
    FILL_GAUSSIAN = 3         # libmolgrid's Gaussian density at the voxel centre
    FILL_BINARY = 4           # 1 where the voxel centre lies inside the ball

# Aggregation rules: how that value meets the voxel's current value.
cdef enum:
    AGG_SUM = 0               # img += (dtype) value (the original)
    AGG_MAX = 1               # img = max(img, (dtype) value)
    AGG_SUM_WIDE = 2          # img = (dtype) ((double) img + value): a float32
                              # image summed in double (macromol_voxelize)


cdef struct AtomProps:
    # Per kind (the atom's element): NaN radius when the element has none;
    # channel -1 when no pattern matched, -2 when the element is not a str.
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

cdef int check_atoms(const GridSpec *g, const AtomProps *props, int fill,
                     const SelAtom *atoms, Py_ssize_t n, Py_ssize_t *bad) noexcept nogil

cdef void draw_atoms(void *img, bint is_float32, const GridSpec *g, const AtomProps *props,
                     int fill, int agg, const SelAtom *atoms, Py_ssize_t n,
                     double *work, int32_t *owner) noexcept nogil

cdef int draw_fresh(void *img, bint is_float32, const GridSpec *g, const AtomProps *props,
                    int fill, int agg, const SelAtom *atoms, Py_ssize_t n,
                    double *work, void *scratch) noexcept nogil

cdef double atom_radius(const AtomProps *props, const SelAtom *atom) noexcept nogil

from voxelize_cy.core._overlap cimport vcy_density

cdef void density_grad_block(const vcy_density *d, const int *n, const double *axes,
                             Py_ssize_t m3, const void *grad, bint is_float32,
                             Py_ssize_t row, Py_ssize_t plane, double *s) noexcept nogil

cdef bint density_block(const GridSpec *g, int fill, double r, double cx, double cy,
                        double cz, vcy_density *d, double *c, int *lo, int *n) noexcept nogil

cdef void density_axes(const GridSpec *g, const vcy_density *d, const double *c,
                       const int *lo, const int *n, double *work) noexcept nogil
