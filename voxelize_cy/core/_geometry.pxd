# Geometry shared by the compiled kernels: the image grid, rigid frames and
# the selected atoms.  Everything here is a plain C struct or an inline
# function (no Python objects), usable without the GIL.
#
# Conventions: coordinates in Å; voxel index (i, j, k) along (x, y, z); the
# image frame is the frame the grid lives in; a frame maps the table's
# coordinates p to the image frame as R p + t.

from libc.math cimport fabs, rint


cdef struct GridSpec:
    double center[3]
    double resolution
    double inv_resolution     # 1 / resolution
    double half_span          # resolution * (L - 1) / 2, as the original
    double half_resolution
    double offset             # (L - 1) / 2
    double select_lo[3]       # atoms are kept when select_lo < p < select_hi
    double select_hi[3]
    double reach              # L * resolution / 2 + max_radius
    double max_radius         # no atom drawn may be larger
    int length
    int n_channels


cdef struct Frame:
    bint active               # False: the identity (no arithmetic at all)
    double rot[9]             # row-major R
    double shift[3]           # t


cdef struct SelAtom:
    double x, y, z            # centre in the image frame, Å
    double weight             # occupancy
    Py_ssize_t row            # row of the caller's table (order, errors, gradients)
    Py_ssize_t pos            # position in the source's storage (per-row columns)
    int kind                  # element kind (set by the encoder), -1 before


cdef inline void fill_grid_spec(GridSpec *g, double cx, double cy, double cz,
                                double resolution, int length, int n_channels,
                                double max_radius) noexcept nogil:
    """The grid's numbers, and the original's atom box ``center ± reach``."""
    cdef double reach = length * resolution / 2 + max_radius
    cdef int a
    g.center[0] = cx
    g.center[1] = cy
    g.center[2] = cz
    g.resolution = resolution
    g.inv_resolution = 1.0 / resolution
    g.half_span = resolution * (length - 1) / 2
    g.half_resolution = resolution / 2
    g.offset = (length - 1) / 2.0
    g.length = length
    g.n_channels = n_channels
    g.reach = reach
    g.max_radius = max_radius
    for a in range(3):
        g.select_lo[a] = g.center[a] - reach
        g.select_hi[a] = g.center[a] + reach


cdef inline void widen_atom_box(GridSpec *g, double radius_factor) noexcept nogil:
    """Atoms reach ``radius_factor`` times their radius (a density fill): the
    atom box grows to ``center ± (L res / 2 + max_radius * radius_factor)``
    (``max_radius`` itself, the largest radius allowed, is unchanged)."""
    cdef int a
    if not (radius_factor > 1):
        return
    g.reach = g.length * g.resolution / 2 + g.max_radius * radius_factor
    for a in range(3):
        g.select_lo[a] = g.center[a] - g.reach
        g.select_hi[a] = g.center[a] + g.reach


cdef inline bint density_bounds(double c, double reach, int axis, const GridSpec *g,
                                int *lo, int *hi) noexcept nogil:
    """Voxels whose centres may lie within ``reach`` of ``c`` along one axis,
    clipped to [0, L); False if none.  The range is widened by 1e-9 voxel
    (beyond the rounding of these few operations), so that no centre within
    reach is left out: the kernels test each voxel's distance themselves."""
    cdef double a = (c - reach - g.center[axis]) * g.inv_resolution + g.offset - 1e-9
    cdef double b = (c + reach - g.center[axis]) * g.inv_resolution + g.offset + 1e-9
    cdef int first, last
    # ceil(a) and floor(b) by truncation (no libm call): a <= 0 gives 0, and
    # b < 0 an empty range, so only non-negative values are truncated.
    if not (b >= 0 and a <= g.length - 1):  # also False for NaN
        return False
    first = 0 if a <= 0 else <int>a
    if first < a:
        first += 1
    last = g.length - 1 if b >= g.length - 1 else <int>b
    if not (first <= last):
        return False
    lo[0] = first
    hi[0] = last
    return True


cdef inline double voxel_center_A(const GridSpec *g, int axis, int index) noexcept nogil:
    """Centre of voxel ``index`` along ``axis`` (the original's arithmetic)."""
    return g.center[axis] + (index - g.offset) * g.resolution


cdef inline bint inside_atom_box(const GridSpec *g, double x, double y,
                                 double z) noexcept nogil:
    """The original's strict test: x, y and z inside ``center ± reach``."""
    return (x > g.select_lo[0] and x < g.select_hi[0] and
            y > g.select_lo[1] and y < g.select_hi[1] and
            z > g.select_lo[2] and z < g.select_hi[2])


cdef inline void frame_apply(const Frame *f, double x, double y, double z,
                             double *out) noexcept nogil:
    """``R p + t`` (each row summed left to right, then t added)."""
    out[0] = f.rot[0] * x + f.rot[1] * y + f.rot[2] * z + f.shift[0]
    out[1] = f.rot[3] * x + f.rot[4] * y + f.rot[5] * z + f.shift[1]
    out[2] = f.rot[6] * x + f.rot[7] * y + f.rot[8] * z + f.shift[2]


cdef inline void frame_table_box(const Frame *f, const GridSpec *g, double *lo,
                                 double *hi) noexcept nogil:
    """A box in the table's frame that holds every point whose image lies in
    the atom box: the atom box mapped back by ``R^T (p - t)``, with its
    bounding box widened by 1e-5 of the magnitudes involved.  R^T is R's
    inverse only to the 1e-6 that frame validation allows, so the pad keeps
    the box a superset; the exact test is then done on the mapped point."""
    cdef double c[3]
    cdef double d[3]
    cdef double half, pad
    cdef int a, b
    for a in range(3):
        d[a] = g.center[a] - f.shift[a]
    for a in range(3):
        # Row a of R^T is column a of R.
        c[a] = f.rot[a] * d[0] + f.rot[3 + a] * d[1] + f.rot[6 + a] * d[2]
        half = 0
        for b in range(3):
            half += fabs(f.rot[3 * b + a])
        half *= g.reach
        pad = 1e-5 * (fabs(c[a]) + half + fabs(d[0]) + fabs(d[1]) + fabs(d[2]))
        lo[a] = c[a] - half - pad
        hi[a] = c[a] + half + pad


cdef inline void selection_box(const Frame *f, const GridSpec *g, double *lo,
                               double *hi) noexcept nogil:
    """The box in the table's frame that holds every atom the image may
    draw: ``frame_table_box`` under a frame, the grid's selection box
    otherwise."""
    cdef int a
    if f.active:
        frame_table_box(f, g, lo, hi)
    else:
        for a in range(3):
            lo[a] = g.select_lo[a]
            hi[a] = g.select_hi[a]


cdef inline bint axis_bounds(double c, double r, int axis, const GridSpec *g,
                             int *lo, int *hi) noexcept nogil:
    """Candidate voxel range along one axis, clipped to [0, L); False if empty.

    The index of the voxel containing p is the original's
    ``rint((res * (L - 1) / 2 + (p - center)) / res)``, for p = c - r and c + r.
    """
    cdef double first = rint((g.half_span + ((c - r) - g.center[axis])) / g.resolution)
    cdef double last = rint((g.half_span + ((c + r) - g.center[axis])) / g.resolution)
    if first < 0:
        first = 0
    if last > g.length - 1:
        last = g.length - 1
    if not (first <= last):
        return False
    lo[0] = <int>first
    hi[0] = <int>last
    return True


cdef inline void axis_planes(double c, double r, double inv_r, int axis, int lo, int n,
                             const GridSpec *g, double *u, double *far2) noexcept nogil:
    """Voxel corner planes along one axis, in units of r from the atom centre.

    u[m] (m = 0..n) is plane m clamped to [-1, 1]; far2[m] (m < n) is the larger
    squared (unclamped) distance of voxel m's two planes, for the fully-inside
    test.  Plane m is the lower face of voxel lo + m; plane n the upper face of
    the last voxel, both built as the original builds a cube's vertices.
    ``inv_r`` is 0 when 1/r would overflow (r below ~1e-308): then divide.
    """
    cdef int m
    cdef double t, t_prev = 0, voxel_center
    for m in range(n + 1):
        if m < n:
            voxel_center = g.center[axis] + ((lo + m) - g.offset) * g.resolution
            t = (voxel_center - g.half_resolution) - c
        else:
            voxel_center = g.center[axis] + ((lo + n - 1) - g.offset) * g.resolution
            t = (voxel_center + g.half_resolution) - c
        t = t * inv_r if inv_r != 0 else t / r
        if m > 0:
            far2[m - 1] = t_prev * t_prev if t_prev * t_prev > t * t else t * t
        t_prev = t
        if t < -1:
            t = -1
        elif t > 1:
            t = 1
        u[m] = t
