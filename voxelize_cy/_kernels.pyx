"""Compiled kernels of voxelize_cy: the loops over atoms and voxels.

- ``voxelize_image``: one image, one release of the GIL: a branch-free screen
  of every row (finite coordinates, finite occupancy >= 0), the selection of
  the atoms strictly inside the image's atom box, then for each selected atom
  the candidate-voxel bounds (the original's index arithmetic), the voxel
  corner planes shared by neighbouring voxels (computed once per atom), the
  exact overlaps (the C routines of ``_overlap.c``) and the accumulation.
- ``fill_images``: the same for a batch, one image per ``prange`` iteration
  (OpenMP), bitwise identical to the one-image path.
- ``find_atoms_in_box``, ``encode_selected``, ``check_atom_rows``,
  ``same_objects``: small helpers of the Python layer.
- ``sphere_box_overlap_A3(s)``: the exact ball/box volume for single boxes.

Atoms are given as columns plus a per-row kind code (the row's element) and
per-kind radius and channel tables, so the loops touch no Python object.
Indices are proven in range before use: atoms are selected inside the atom
box, voxel bounds are clipped to ``[0, L)``, kind codes and channels are
checked against their table sizes before anything is drawn.  Input
validation with readable messages is the Python layer's job
(``voxelize_cy.voxelize``).
"""

cimport cython
from cython.parallel cimport parallel, prange
from libc.math cimport rint
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp, memcpy, memset

cimport numpy as cnp

import numpy as np

cnp.import_array()

from voxelize_cy._overlap cimport (
    VCY_UNIT_BALL_VOLUME,
    vcy_sphere_box_overlap_A3,
    vcy_unit_cap_quarter,
    vcy_unit_cdf_plane,
    vcy_unit_pair_table,
    vcy_pair,
)

cdef extern from "_validate.h" nogil:
    int vcy_rows_are_valid(const double *x, const double *y, const double *z,
                           const double *occupancy, Py_ssize_t n)


cdef extern from "_openmp_helpers.h" nogil:
    int VCY_HAVE_OPENMP
    int VCY_LINETRACE
    int VCY_DEBUG_BUILD
    int vcy_omp_max_threads()
    int vcy_omp_num_procs()

#: True when this extension was built with OpenMP (parallel batches).
OPENMP = bool(VCY_HAVE_OPENMP)
#: True when built with VOXELIZE_CY_LINETRACE=1 (line_profiler can see inside).
LINETRACE = bool(VCY_LINETRACE)
#: True when built with VOXELIZE_CY_DEBUG=1 (bounds checks, ASan/UBSan).
DEBUG = bool(VCY_DEBUG_BUILD)

ctypedef fused real_t:
    float
    double

# Error codes reported per image by the nogil kernels.
cdef enum:
    IMAGE_OK = 0
    IMAGE_NO_CHANNEL = 1      # a selected atom matched no channel
    IMAGE_NO_RADIUS = 2       # a selected atom has no radius
    IMAGE_NO_MEMORY = 3       # scratch allocation failed
    IMAGE_BAD_CHANNEL = 4     # a channel index outside [0, n_channels)
    IMAGE_BAD_ROWS = 5        # a row failed the finite-coordinate/occupancy screen
    IMAGE_BAD_CODE = 6        # a row's kind code outside [0, n_kinds)


cdef struct GridSpec:
    double center[3]
    double resolution
    double half_span          # resolution * (L - 1) / 2, as the original
    double half_resolution
    double offset             # (L - 1) / 2
    double select_lo[3]       # atoms kept when select_lo < p < select_hi
    double select_hi[3]
    int length
    int n_channels


cdef struct AtomArrays:
    const double *x
    const double *y
    const double *z
    const double *occupancy
    const int *code           # per row: the row's kind (its element), 0 <= code < n_kinds
    const double *kind_radius # per kind; NaN where the element has no radius
    const int *kind_channel   # per kind; -1: no channel matched, -2: not a str
    Py_ssize_t n
    Py_ssize_t n_kinds


def max_threads():
    """Number of threads a batch uses by default (OpenMP's max, 1 without OpenMP)."""
    return vcy_omp_max_threads()


def num_procs():
    """Number of processors OpenMP sees (1 without OpenMP)."""
    return vcy_omp_num_procs()


cdef inline Py_ssize_t work_doubles(int length) noexcept nogil:
    """Scratch doubles one image needs: per-axis planes, caps and far distances,
    the (y, z) pair table, three Q planes and an (x, z) pair row."""
    cdef Py_ssize_t m = length + 1
    cdef Py_ssize_t pair = sizeof(vcy_pair) // sizeof(double) + 1
    return 8 * m + 3 * m * m + pair * (m * m + m)


cdef void fill_grid_spec(GridSpec *g, double cx, double cy, double cz,
                         double resolution, int length, int n_channels,
                         double max_radius) noexcept:
    cdef double reach = length * resolution / 2 + max_radius
    g.center[0] = cx
    g.center[1] = cy
    g.center[2] = cz
    g.resolution = resolution
    g.half_span = resolution * (length - 1) / 2
    g.half_resolution = resolution / 2
    g.offset = (length - 1) / 2.0
    g.length = length
    g.n_channels = n_channels
    for a in range(3):
        g.select_lo[a] = g.center[a] - reach
        g.select_hi[a] = g.center[a] + reach


cdef Py_ssize_t select_atoms(const AtomArrays *atoms, const GridSpec *g,
                             Py_ssize_t *selected) noexcept nogil:
    """Rows strictly inside the atom box, in row order; returns their count.

    (A branch-free version was slower: few rows are inside, so the branches
    predict well.)
    """
    cdef Py_ssize_t i, n = 0
    cdef double x, y, z
    for i in range(atoms.n):
        x = atoms.x[i]
        y = atoms.y[i]
        z = atoms.z[i]
        if (x > g.select_lo[0] and x < g.select_hi[0] and
                y > g.select_lo[1] and y < g.select_hi[1] and
                z > g.select_lo[2] and z < g.select_hi[2]):
            selected[n] = i
            n += 1
    return n


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
        # inv_r is 0 when 1/r would overflow (r below ~1e-308): divide then.
        t = t * inv_r if inv_r != 0 else t / r
        if m > 0:
            far2[m - 1] = t_prev * t_prev if t_prev * t_prev > t * t else t * t
        t_prev = t
        if t < -1:
            t = -1
        elif t > 1:
            t = 1
        u[m] = t


cdef void add_atom(real_t *img, const GridSpec *g, double cx, double cy, double cz,
                   double r, double weight, int channel, double *work) noexcept nogil:
    """Add one atom (weight = occupancy) to channel ``channel`` of ``img``."""
    cdef int lo_x, hi_x, lo_y, hi_y, lo_z, hi_z
    if not axis_bounds(cx, r, 0, g, &lo_x, &hi_x):
        return
    if not axis_bounds(cy, r, 1, g, &lo_y, &hi_y):
        return
    if not axis_bounds(cz, r, 2, g, &lo_z, &hi_z):
        return

    cdef int nx = hi_x - lo_x + 1, ny = hi_y - lo_y + 1, nz = hi_z - lo_z + 1
    cdef int ny1 = ny + 1, nz1 = nz + 1
    cdef Py_ssize_t m1 = g.length + 1
    cdef double *ux = work
    cdef double *uy = ux + m1
    cdef double *uz = uy + m1
    cdef double *fx = uz + m1
    cdef double *fy = fx + m1
    cdef double *fz = fy + m1
    cdef double *cap_y = fz + m1
    cdef double *cap_z = cap_y + m1
    cdef double *q_lo = cap_z + m1
    cdef double *q_hi = q_lo + m1 * m1
    cdef double *q_first = q_hi + m1 * m1
    cdef vcy_pair *p_yz = <vcy_pair *>(q_first + m1 * m1)
    cdef vcy_pair *p_xz = p_yz + m1 * m1
    cdef double *q_tmp

    cdef double inv_r = 1.0 / r
    if not (inv_r < 1.7976931348623157e308):
        inv_r = 0  # overflow: axis_planes divides instead
    axis_planes(cx, r, inv_r, 0, lo_x, nx, g, ux, fx)
    axis_planes(cy, r, inv_r, 1, lo_y, ny, g, uy, fy)
    axis_planes(cz, r, inv_r, 2, lo_z, nz, g, uz, fz)

    # Fraction of the ball in a voxel that lies wholly inside it, and the cap on
    # any voxel's fraction (the smaller of the ball and the voxel).
    cdef double s = g.resolution / r
    cdef double inside = s * s * s / VCY_UNIT_BALL_VOLUME
    cdef double upper = inside if inside < 1.0 else 1.0
    cdef double inv_ball = 1.0 / VCY_UNIT_BALL_VOLUME

    cdef double max_fy = 0, max_fz = 0
    cdef int i, j, k, t, plane_lo = -1, plane_hi = -1
    cdef bint tables_ready = False
    # When the block's first and last x planes both lie beyond the ball
    # (u = -1 and +1, the usual case for small atoms), Q on the last plane is
    # exactly minus Q on the first: keep the first and negate it.
    cdef bint mirror = nx >= 2 and ux[0] == -1.0 and ux[nx] == 1.0
    cdef bint first_saved = False
    cdef int plane_size = ny1 * nz1
    for j in range(ny):
        if fy[j] > max_fy:
            max_fy = fy[j]
    for k in range(nz):
        if fz[k] > max_fz:
            max_fz = fz[k]

    cdef Py_ssize_t L = g.length
    cdef Py_ssize_t base
    cdef double frac, v, fxy
    cdef real_t *row
    for i in range(nx):
        base = ((<Py_ssize_t>channel * L + (lo_x + i)) * L + lo_y) * L + lo_z
        if fx[i] + max_fy + max_fz <= 1.0:
            # The whole slab lies inside the ball.
            v = weight * inside
            for j in range(ny):
                row = img + base + j * L
                for k in range(nz):
                    row[k] += <real_t>v
            continue

        if not tables_ready:
            for j in range(ny1):
                cap_y[j] = vcy_unit_cap_quarter(uy[j] if uy[j] >= 0 else -uy[j])
            for k in range(nz1):
                cap_z[k] = vcy_unit_cap_quarter(uz[k] if uz[k] >= 0 else -uz[k])
            vcy_unit_pair_table(uy, ny1, uz, nz1, p_yz)
            tables_ready = True

        # Signed cumulative volumes on the slab's two corner planes; a plane
        # computed for the previous slab is reused.
        if plane_hi == i:
            q_tmp = q_lo
            q_lo = q_hi
            q_hi = q_tmp
            plane_lo = i
        elif plane_lo != i:
            vcy_unit_cdf_plane(ux[i], uy, cap_y, ny1, uz, cap_z, nz1, p_yz, q_lo, p_xz)
            plane_lo = i
            if mirror and i == 0:
                memcpy(q_first, q_lo, plane_size * sizeof(double))
                first_saved = True
        if first_saved and i + 1 == nx:
            for t in range(plane_size):
                q_hi[t] = -q_first[t]
        else:
            vcy_unit_cdf_plane(ux[i + 1], uy, cap_y, ny1, uz, cap_z, nz1, p_yz, q_hi, p_xz)
        plane_hi = i + 1

        for j in range(ny):
            row = img + base + j * L
            fxy = fx[i] + fy[j]
            for k in range(nz):
                if fxy + fz[k] <= 1.0:
                    frac = inside
                else:
                    frac = (((q_hi[(j + 1) * nz1 + k + 1] - q_hi[j * nz1 + k + 1])
                             - (q_hi[(j + 1) * nz1 + k] - q_hi[j * nz1 + k]))
                            - ((q_lo[(j + 1) * nz1 + k + 1] - q_lo[j * nz1 + k + 1])
                               - (q_lo[(j + 1) * nz1 + k] - q_lo[j * nz1 + k]))) * inv_ball
                    if not (frac > 0):
                        continue
                    if frac > upper:
                        frac = upper
                row[k] += <real_t>(weight * frac)


cdef int add_selected_atoms(real_t *img, const GridSpec *g, const AtomArrays *atoms,
                            const Py_ssize_t *selected, Py_ssize_t n_selected,
                            double *work, Py_ssize_t *bad_row) noexcept nogil:
    """Check then add the selected atoms in row order; an error code on failure.

    Every selected atom is checked before any is drawn, in row order, radius
    first, as the original looks them up.
    """
    cdef Py_ssize_t a, row
    cdef int kind, ch
    for a in range(n_selected):
        row = selected[a]
        kind = atoms.code[row]
        if not (0 <= kind < atoms.n_kinds):
            bad_row[0] = row
            return IMAGE_BAD_CODE
        if not (atoms.kind_radius[kind] > 0):
            bad_row[0] = row
            return IMAGE_NO_RADIUS
        ch = atoms.kind_channel[kind]
        if ch < 0:
            bad_row[0] = row
            return IMAGE_NO_CHANNEL
        if ch >= g.n_channels:
            bad_row[0] = row
            return IMAGE_BAD_CHANNEL
    for a in range(n_selected):
        row = selected[a]
        kind = atoms.code[row]
        add_atom(img, g, atoms.x[row], atoms.y[row], atoms.z[row],
                 atoms.kind_radius[kind], atoms.occupancy[row], atoms.kind_channel[kind],
                 work)
    return IMAGE_OK


cdef int fill_one_image(real_t *img, Py_ssize_t img_size, const GridSpec *g,
                        const AtomArrays *atoms, Py_ssize_t *selected, double *work,
                        Py_ssize_t *bad_row) noexcept nogil:
    """Zero ``img`` and voxelize ``atoms`` into it (the batch's per-image work).

    ``selected`` (room for every row) and ``work`` (``work_doubles``) are the
    calling thread's scratch buffers, reused from image to image.
    """
    memset(img, 0, img_size * sizeof(real_t))
    if atoms.n == 0:
        return IMAGE_OK
    return add_selected_atoms(img, g, atoms, selected, select_atoms(atoms, g, selected),
                              work, bad_row)


def check_atom_rows(const double[::1] x, const double[::1] y, const double[::1] z,
                    const double[::1] occupancy):
    """First row with a non-finite coordinate or a bad occupancy.

    Returns ``(row, what)`` with ``what`` one of ``'x'``, ``'y'``, ``'z'``,
    ``'occupancy'``, or ``(-1, None)`` when every row is valid.  Arrays must
    have equal lengths (checked by the caller).
    """
    cdef Py_ssize_t i, n = x.shape[0], bad = -1
    cdef double acc = 0
    with nogil:
        # Branch-free screen: (v - v) is 0 for finite v and NaN otherwise.
        for i in range(n):
            acc += (x[i] - x[i]) + (y[i] - y[i]) + (z[i] - z[i]) + (occupancy[i] - occupancy[i])
            if occupancy[i] < 0:
                acc += occupancy[i] - occupancy[i] + 1
        if acc != 0:
            for i in range(n):
                if (not (x[i] - x[i] == 0) or not (y[i] - y[i] == 0) or
                        not (z[i] - z[i] == 0) or not (occupancy[i] >= 0) or
                        not (occupancy[i] - occupancy[i] == 0)):
                    bad = i
                    break
    if bad < 0:
        return -1, None
    for name, col in (("x", x), ("y", y), ("z", z)):
        if not (col[bad] - col[bad] == 0):
            return bad, name
    return bad, "occupancy"


def find_atoms_in_box(const double[::1] x, const double[::1] y, const double[::1] z,
                      center_A, double resolution_A, int length_voxels,
                      double max_radius_A, const double[::1] occupancy=None):
    """Rows strictly inside ``center ± (L * res / 2 + max_radius)`` (intp, row order).

    The original's ``_discard_atoms_outside_image`` rule; NaN never passes.
    With ``occupancy`` given, every row is also screened for finite
    coordinates and a finite occupancy >= 0; ``None`` is returned if the
    screen fails (``check_atom_rows`` then names the row).
    """
    cdef GridSpec g
    fill_grid_spec(&g, center_A[0], center_A[1], center_A[2], resolution_A,
                   length_voxels, 1, max_radius_A)
    cdef AtomArrays atoms
    cdef Py_ssize_t n_rows = x.shape[0]
    if y.shape[0] != n_rows or z.shape[0] != n_rows:
        raise ValueError("x, y and z differ in length")
    if occupancy is not None and occupancy.shape[0] != n_rows:
        raise ValueError("occupancy and x differ in length")
    atoms.x = &x[0] if n_rows else NULL
    atoms.y = &y[0] if n_rows else NULL
    atoms.z = &z[0] if n_rows else NULL
    atoms.n = n_rows
    selected = np.empty(n_rows, dtype=np.intp)
    cdef Py_ssize_t[::1] sel = selected
    cdef Py_ssize_t n = 0
    cdef bint rows_ok = True
    # A few microseconds of work: done under the GIL, so that a call to
    # image_from_atoms releases it once (for the accumulation), which lets
    # Python threads overlap with fewer GIL hand-offs.
    if n_rows:
        n = select_atoms(&atoms, &g, &sel[0])
        if occupancy is not None:
            rows_ok = vcy_rows_are_valid(&x[0], &y[0], &z[0], &occupancy[0], n_rows)
    if not rows_ok:
        return None
    return selected[:n]


def encode_selected(list elements, const Py_ssize_t[::1] selected, int[::1] code_out):
    """Kind codes for the selected rows only (each distinct element once).

    ``elements[a]`` is the element of row ``selected[a]``; ``code_out[row]``
    gets the index of that element in the returned list of distinct elements
    (first-seen order).  Other rows of ``code_out`` are left as they are.
    """
    cdef Py_ssize_t a, n = selected.shape[0]
    cdef dict index = {}
    cdef list kinds = []
    cdef object element, found
    if len(elements) != n:
        raise ValueError("elements and selected rows differ in length")
    for a in range(n):
        element = elements[a]
        found = index.get(element)
        if found is None:
            found = len(kinds)
            index[element] = found
            kinds.append(element)
        code_out[selected[a]] = found
    return kinds


cdef int set_atom_arrays(AtomArrays *atoms, const double[::1] x, const double[::1] y,
                         const double[::1] z, const double[::1] occupancy,
                         const int[::1] code, const double[::1] kind_radius,
                         const int[::1] kind_channel) except -1:
    cdef Py_ssize_t n = x.shape[0]
    if (y.shape[0] != n or z.shape[0] != n or occupancy.shape[0] != n
            or code.shape[0] != n):
        raise ValueError("atom arrays (x, y, z, occupancy, code) differ in length")
    if kind_radius.shape[0] != kind_channel.shape[0]:
        raise ValueError("kind_radius and kind_channel differ in length")
    atoms.n = n
    atoms.n_kinds = kind_radius.shape[0]
    atoms.x = &x[0] if n else NULL
    atoms.y = &y[0] if n else NULL
    atoms.z = &z[0] if n else NULL
    atoms.occupancy = &occupancy[0] if n else NULL
    atoms.code = &code[0] if n else NULL
    atoms.kind_radius = &kind_radius[0] if atoms.n_kinds else NULL
    atoms.kind_channel = &kind_channel[0] if atoms.n_kinds else NULL
    return 0


def voxelize_image(real_t[:, :, :, ::1] img,
                   const double[::1] x, const double[::1] y, const double[::1] z,
                   const double[::1] occupancy, const int[::1] code,
                   const double[::1] kind_radius, const int[::1] kind_channel,
                   center_A, double resolution_A, double max_radius_A,
                   bint screen_rows=True):
    """Add every atom inside the image's atom box to ``img`` (not zeroed here).

    One call, one release of the GIL: screen the rows (finite coordinates,
    finite occupancy >= 0), select the atoms strictly inside
    ``center ± (L * res / 2 + max_radius)``, check their kinds, draw them.
    ``img`` is C-contiguous ``(C, L, L, L)`` float32 or float64.

    Returns ``(status, row)``: status 0 when done; 5 when the row screen failed
    (nothing drawn; ``check_atom_rows`` names the row); 1 (no channel), 2 (no
    radius), 4 (channel out of range), 6 (bad code) with the first such
    selected row, nothing drawn; 3 when out of memory.
    """
    cdef GridSpec g
    cdef int length = img.shape[1]
    if img.shape[2] != length or img.shape[3] != length:
        raise ValueError(
            f"image must be (C, L, L, L), got "
            f"({img.shape[0]}, {img.shape[1]}, {img.shape[2]}, {img.shape[3]})")
    fill_grid_spec(&g, center_A[0], center_A[1], center_A[2], resolution_A,
                   length, img.shape[0], max_radius_A)
    cdef AtomArrays atoms
    set_atom_arrays(&atoms, x, y, z, occupancy, code, kind_radius, kind_channel)
    cdef Py_ssize_t bad_row = -1
    cdef int status = IMAGE_OK
    cdef Py_ssize_t *selected = NULL
    cdef double *work = NULL
    if atoms.n == 0:
        return IMAGE_OK, -1
    with nogil:
        if screen_rows and not vcy_rows_are_valid(atoms.x, atoms.y, atoms.z,
                                                  atoms.occupancy, atoms.n):
            status = IMAGE_BAD_ROWS
        else:
            selected = <Py_ssize_t *>malloc(atoms.n * sizeof(Py_ssize_t))
            work = <double *>malloc(work_doubles(length) * sizeof(double))
            if selected == NULL or work == NULL:
                status = IMAGE_NO_MEMORY
            else:
                status = add_selected_atoms(&img[0, 0, 0, 0], &g, &atoms, selected,
                                            select_atoms(&atoms, &g, selected), work,
                                            &bad_row)
            free(selected)
            free(work)
    return status, bad_row


def same_objects(cnp.ndarray a, cnp.ndarray b):
    """True when two 1-D C-contiguous object arrays hold the very same objects.

    Compares the stored object pointers (no Python calls): with ``b`` holding
    references to its objects, equal pointers mean equal objects.
    """
    if (a.ndim != 1 or b.ndim != 1 or a.dtype.num != cnp.NPY_OBJECT
            or b.dtype.num != cnp.NPY_OBJECT or a.shape[0] != b.shape[0]
            or not cnp.PyArray_IS_C_CONTIGUOUS(a) or not cnp.PyArray_IS_C_CONTIGUOUS(b)):
        return False
    cdef size_t n = <size_t>a.shape[0]
    cdef const void *pa = cnp.PyArray_DATA(a)
    cdef const void *pb = cnp.PyArray_DATA(b)
    # A couple of microseconds: kept under the GIL, since releasing it would
    # add a GIL hand-off to every image_from_atoms call.
    return memcmp(pa, pb, n * sizeof(void *)) == 0


def fill_images(real_t[:, :, :, :, ::1] out, list tables, const int[::1] table_of_image,
                const double[:, ::1] centers_A, const double[::1] resolutions_A,
                const double[::1] max_radii_A, int num_threads):
    """Fill ``out[b]`` with image b for every b, in parallel (one image per thread).

    ``tables[t]`` is a tuple ``(x, y, z, occupancy, code, kind_radius,
    kind_channel)`` of C-contiguous arrays (float64; code and kind_channel
    int32) for one (structure, parameters) combination, as for
    ``voxelize_image``; image b uses ``tables[table_of_image[b]]`` with centre
    ``centers_A[b]`` and resolution ``resolutions_A[b]``.  The row screen is
    the caller's job (once per table).

    Returns ``(status, row)`` arrays of shape ``(B,)``: status 0 for a filled
    image, else an error code with the offending row, as ``voxelize_image``.
    """
    cdef Py_ssize_t n_images = out.shape[0], n_tables = len(tables), b, t
    cdef int length = out.shape[2], n_channels = out.shape[1]
    if out.shape[3] != length or out.shape[4] != length:
        raise ValueError("out must be (B, C, L, L, L)")
    if (table_of_image.shape[0] != n_images or centers_A.shape[0] != n_images
            or centers_A.shape[1] != 3 or resolutions_A.shape[0] != n_images
            or max_radii_A.shape[0] != n_images):
        raise ValueError("per-image arrays must have one entry per image")
    if num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")

    status_arr = np.zeros(n_images, dtype=np.intc)
    bad_row_arr = np.full(n_images, -1, dtype=np.intp)
    cdef int[::1] status = status_arr
    cdef Py_ssize_t[::1] bad_row = bad_row_arr
    if n_images == 0:
        return status_arr, bad_row_arr

    cdef AtomArrays *atom_sets = <AtomArrays *>malloc(max(n_tables, 1) * sizeof(AtomArrays))
    cdef GridSpec *grids = <GridSpec *>malloc(n_images * sizeof(GridSpec))
    cdef Py_ssize_t img_size = <Py_ssize_t>n_channels * length * length * length
    cdef Py_ssize_t max_rows = 0
    cdef Py_ssize_t *selected
    cdef double *work
    try:
        if atom_sets == NULL or grids == NULL:
            raise MemoryError("no memory for the batch descriptors")
        for t in range(n_tables):
            x, y, z, occupancy, code, kind_radius, kind_channel = tables[t]
            set_atom_arrays(&atom_sets[t], x, y, z, occupancy, code, kind_radius,
                            kind_channel)
        for b in range(n_images):
            if not (0 <= table_of_image[b] < n_tables):
                raise IndexError(f"image {b}: table index {table_of_image[b]} out of range")
            fill_grid_spec(&grids[b], centers_A[b, 0], centers_A[b, 1], centers_A[b, 2],
                           resolutions_A[b], length, n_channels, max_radii_A[b])
        for t in range(n_tables):
            if atom_sets[t].n > max_rows:
                max_rows = atom_sets[t].n
        # The tables' arrays stay referenced by ``tables`` for the whole loop.
        # Each thread allocates its scratch buffers once and reuses them.
        with nogil, parallel(num_threads=num_threads):
            selected = <Py_ssize_t *>malloc((max_rows + 1) * sizeof(Py_ssize_t))
            work = <double *>malloc(work_doubles(length) * sizeof(double))
            for b in prange(n_images, schedule="dynamic", chunksize=1):
                if selected == NULL or work == NULL:
                    status[b] = IMAGE_NO_MEMORY
                else:
                    status[b] = fill_one_image(&out[b, 0, 0, 0, 0], img_size, &grids[b],
                                               &atom_sets[table_of_image[b]], selected,
                                               work, &bad_row[b])
            free(selected)
            free(work)
    finally:
        free(atom_sets)
        free(grids)
    return status_arr, bad_row_arr


def sphere_box_overlap_A3(double cx, double cy, double cz, double radius_A,
                          double x0, double x1, double y0, double y1,
                          double z0, double z1):
    """Exact volume (Å³) of a ball ∩ the box [x0,x1]×[y0,y1]×[z0,z1] (C routine)."""
    cdef double v
    with nogil:
        v = vcy_sphere_box_overlap_A3(cx, cy, cz, radius_A, x0, x1, y0, y1, z0, z1)
    return v


def sphere_box_overlaps_A3(const double[:, ::1] centers_A, const double[::1] radii_A,
                           const double[:, ::1] box_lo_A, const double[:, ::1] box_hi_A):
    """Vectorised ``sphere_box_overlap_A3`` over N (ball, box) pairs → (N,) float64."""
    cdef Py_ssize_t i, n = centers_A.shape[0]
    if (centers_A.shape[1] != 3 or box_lo_A.shape[0] != n or box_hi_A.shape[0] != n
            or box_lo_A.shape[1] != 3 or box_hi_A.shape[1] != 3 or radii_A.shape[0] != n):
        raise ValueError("expected centers (N, 3), radii (N,), box_lo (N, 3), box_hi (N, 3)")
    result = np.empty(n, dtype=np.float64)
    cdef double[::1] v = result
    with nogil:
        for i in range(n):
            v[i] = vcy_sphere_box_overlap_A3(
                centers_A[i, 0], centers_A[i, 1], centers_A[i, 2], radii_A[i],
                box_lo_A[i, 0], box_hi_A[i, 0], box_lo_A[i, 1], box_hi_A[i, 1],
                box_lo_A[i, 2], box_hi_A[i, 2])
    return result


def benchmark_floor(double[:, :, :, ::1] img, const double[::1] x, const double[::1] y,
                    const double[::1] z, center_A, double reach_A,
                    const Py_ssize_t[::1] flat_index):
    """The least work any voxelizer must do for one image (for benchmarks only).

    Zero ``img``; one pass over the coordinates counting the atoms strictly
    inside ``center ± reach_A``; one addition per (atom, voxel) pair at
    ``img.flat[flat_index[p]]``.  Returns the atom count.  Profiling uses it
    to measure, not guess, how far a workload is from its floor.
    """
    cdef Py_ssize_t i, n = x.shape[0], count = 0
    cdef Py_ssize_t size = img.shape[0] * img.shape[1] * img.shape[2] * img.shape[3]
    cdef Py_ssize_t p, n_pairs = flat_index.shape[0]
    cdef double cx = center_A[0], cy = center_A[1], cz = center_A[2]
    cdef double *flat = &img[0, 0, 0, 0]
    for p in range(n_pairs):
        if not (0 <= flat_index[p] < size):
            raise IndexError(f"flat_index[{p}] = {flat_index[p]} outside the image")
    with nogil:
        memset(flat, 0, size * sizeof(double))
        for i in range(n):
            count += ((x[i] > cx - reach_A) & (x[i] < cx + reach_A) & (y[i] > cy - reach_A)
                      & (y[i] < cy + reach_A) & (z[i] > cz - reach_A) & (z[i] < cz + reach_A))
        for p in range(n_pairs):
            flat[flat_index[p]] += 1.0
    return count
