"""Entry points of the compiled core: one image, a batch of images.

- ``draw_image``: one image.  The GIL is released to screen the rows and
  select the atoms of the image (``_sources``/``_select``), taken to read the
  elements of the selected rows and look up their radius and channel
  (``_kinds``), and released again to check and draw the atoms (``_draw``).
- ``draw_batch``: the same for a batch: selection and drawing run one image
  per ``prange`` iteration (OpenMP), bitwise identical to ``draw_image``.
- ``find_atoms_in_box``, ``sphere_box_overlap_A3(s)``, ``benchmark_floor``:
  small helpers of the Python layer, the tests and the benchmarks.

Input validation with readable messages is the Python layer's job; here,
sizes and indices are checked before any pointer is used.
"""

cimport cython
cimport numpy as cnp
from cython.parallel cimport parallel, prange
from libc.stdint cimport int32_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memset

import numpy as np

from voxelize_cy.core._codes cimport (
    AGG_MAX,
    IMAGE_BAD_ROWS,
    IMAGE_NO_MEMORY,
    IMAGE_OK,
    SCREEN_FINITE,
    SCREEN_NONE,
    SELECT_BAD_ROWS,
    SELECT_OK,
)
from voxelize_cy.core._draw cimport (
    AtomProps,
    check_atoms,
    draw_atoms,
    draw_fresh,
    work_doubles,
)
from voxelize_cy.core._fill cimport FillSpec, set_density_shape, set_fill
from voxelize_cy.core._geometry cimport (
    Frame,
    GridSpec,
    SelAtom,
    fill_grid_spec,
    widen_atom_box,
)
from voxelize_cy.core._gradients cimport atom_gradients, gradient_work_doubles
from voxelize_cy.core._kinds cimport ElementResolver, KindSpace, KindTables
from voxelize_cy.core._overlap cimport vcy_sphere_box_overlap_A3
from voxelize_cy.core._select cimport Columns, SelBuf, select_rows, selbuf_free, selbuf_init
from voxelize_cy.core._sources cimport AtomSource, SourceView

cnp.import_array()


cdef extern from "openmp_helpers.h" nogil:
    int VCY_HAVE_OPENMP
    int VCY_LINETRACE
    int VCY_DEBUG_BUILD
    int vcy_omp_max_threads()
    int vcy_omp_num_procs()

# A batch image's channels are drawn in a per-thread scratch channel (then
# streamed out) when one channel takes at most this much: it stays in cache.
cdef enum:
    CHANNEL_SCRATCH_MAX_BYTES = 1 << 20

#: True when this extension was built with OpenMP (parallel batches).
OPENMP = bool(VCY_HAVE_OPENMP)
#: True when built with VOXELIZE_CY_LINETRACE=1 (line_profiler can see inside).
LINETRACE = bool(VCY_LINETRACE)
#: True when built with VOXELIZE_CY_DEBUG=1 (bounds checks, ASan/UBSan).
DEBUG = bool(VCY_DEBUG_BUILD)


def max_threads():
    """Number of threads a batch uses by default (OpenMP's max, 1 without OpenMP)."""
    return vcy_omp_max_threads()


def num_procs():
    """Number of processors OpenMP sees (1 without OpenMP)."""
    return vcy_omp_num_procs()


cdef int image_info(cnp.ndarray img, int ndim, int *length, int *n_channels,
                    bint *is_float32) except -1:
    """Shape and dtype of a C-contiguous float32/float64 (…, C, L, L, L) array."""
    if cnp.PyArray_NDIM(img) != ndim or not cnp.PyArray_IS_C_CONTIGUOUS(img):
        raise ValueError(f"image must be a C-contiguous {ndim}-D array")
    cdef int t = cnp.PyArray_TYPE(img)
    if t != cnp.NPY_FLOAT32 and t != cnp.NPY_FLOAT64:
        raise TypeError("image must be float32 or float64")
    is_float32[0] = t == cnp.NPY_FLOAT32
    cdef cnp.npy_intp *shape = cnp.PyArray_DIMS(img)
    n_channels[0] = <int>shape[ndim - 4]
    length[0] = <int>shape[ndim - 3]
    if shape[ndim - 2] != length[0] or shape[ndim - 1] != length[0] or length[0] < 1:
        raise ValueError("image must be (..., C, L, L, L)")
    return 0


cdef double read_fill(int fill, object density, bint libmolgrid_ties,
                      FillSpec *spec) except? -1:
    """``spec`` from the entry points' ``fill`` code and ``density``: None (the
    exact fills), or ``(radius_scale, gaussian_radius_multiple, reach)``, a
    density fill's libmolgrid options and how far an atom reaches in its
    radii.  Returns that reach (1 without a density)."""
    cdef double radius_scale, radius_multiple, reach = 1.0
    set_fill(spec, fill)
    if density is not None:
        radius_scale, radius_multiple, reach = density
        set_density_shape(spec, radius_scale, radius_multiple)
        spec.libmolgrid_ties = libmolgrid_ties
    return reach


cdef void set_up_grid(GridSpec *g, double cx, double cy, double cz, double resolution_A,
                      int length, int n_channels, double max_radius_A,
                      double reach) noexcept nogil:
    """One image's grid: the original's atom box, widened by a density fill's
    ``reach`` (the set-up every pass, single or batched, starts with)."""
    fill_grid_spec(g, cx, cy, cz, resolution_A, length, n_channels, max_radius_A)
    widen_atom_box(g, reach)


cdef void set_frame(Frame *f, const double *numbers) noexcept nogil:
    """A frame from its 12 numbers (R row-major, then t); NULL: the identity."""
    cdef int i
    f.active = numbers != NULL
    if numbers == NULL:
        return
    for i in range(9):
        f.rot[i] = numbers[i]
    for i in range(3):
        f.shift[i] = numbers[9 + i]


cdef int begin_pass(cnp.ndarray img, GridSpec *g, FillSpec *spec, Frame *f,
                    bint *is_float32, double cx, double cy, double cz, double resolution_A,
                    double max_radius_A, int fill, object density, object frame) except -1:
    """The start of a pass over one (C, L, L, L) image: check the image, read
    the fill, set up its grid and read the frame."""
    cdef int length, n_channels
    image_info(img, 4, &length, &n_channels, is_float32)
    cdef double reach = read_fill(fill, density, False, spec)
    set_up_grid(g, cx, cy, cz, resolution_A, length, n_channels, max_radius_A, reach)
    read_frame(frame, f)
    return 0


cdef int read_frame(object frame, Frame *f) except -1:
    """``frame``: None (identity) or 12 float64 numbers, R row-major then t."""
    cdef const double[::1] v
    if frame is None:
        set_frame(f, NULL)
        return 0
    v = frame
    if v.shape[0] != 12:
        raise ValueError("frame must hold 12 numbers (R row-major, then t)")
    set_frame(f, &v[0])
    return 0


cdef int select_image_rows(const SourceView *view, const GridSpec *g, const Frame *f,
                           int screen, SelBuf *buf) noexcept nogil:
    """Fill ``buf`` with the rows of ``view`` within reach of the image (moved by
    ``f``): ``IMAGE_OK``, ``IMAGE_BAD_ROWS`` (``screen`` found a bad row; nothing
    selected) or ``IMAGE_NO_MEMORY``."""
    if selbuf_init(buf, 256) < 0:
        return IMAGE_NO_MEMORY
    cdef int selected = view.select(view.data, g, f, screen, buf)
    if selected == SELECT_BAD_ROWS:
        return IMAGE_BAD_ROWS
    if selected != SELECT_OK:
        return IMAGE_NO_MEMORY
    return IMAGE_OK


cdef int kinds_of(AtomSource source, ElementResolver resolver, object channel_cache,
                  SelAtom *atoms, Py_ssize_t n, AtomProps *props,
                  list keep) except -1:
    """Encode the atoms' elements and fill ``props`` with their kind tables;
    the objects that own the tables are appended to ``keep``."""
    source.base_props(props)
    if not source.has_elements:
        return 0
    cdef KindSpace space = source.new_kind_space()
    source.encode(space, atoms, n)
    cdef KindTables tables = KindTables(resolver, channel_cache)
    tables.update(source.kind_strings(space))
    keep.append(tables)
    props.kind_radius = tables.radius
    props.kind_channel = tables.channel
    props.n_kinds = tables.n_resolved
    return 0


def draw_image(cnp.ndarray img, AtomSource source not None, ElementResolver resolver,
               object channel_cache, double cx, double cy, double cz, double resolution_A,
               double max_radius_A, object frame, int fill, int agg, int screen,
               bint return_rows=False, object density=None):
    """Add the atoms of ``source`` inside the image to ``img`` (not zeroed here).

    ``img`` is a C-contiguous ``(C, L, L, L)`` float32/float64 array.  Returns
    ``(status, row)``: ``(0, -1)`` when done; ``IMAGE_BAD_ROWS`` when the row
    screen failed (nothing drawn; the caller names the row); otherwise the
    status of the first atom (in row order) that cannot be drawn, and its
    row, with nothing drawn.  With ``return_rows``, a third item: the rows
    drawn (intp, row order).  ``density``: ``(radius_scale,
    gaussian_radius_multiple, reach)`` for the Gaussian and binary fills
    (libmolgrid's options, and how far an atom reaches in its radii: the atom
    box grows by it).
    """
    cdef GridSpec g
    cdef FillSpec spec
    cdef Frame f
    cdef bint is_float32
    begin_pass(img, &g, &spec, &f, &is_float32, cx, cy, cz, resolution_A, max_radius_A,
               fill, density, frame)
    cdef int length = g.length, n_channels = g.n_channels
    cdef SelBuf buf
    buf.atoms = NULL
    cdef int status = IMAGE_OK
    cdef Py_ssize_t bad = -1, row = -1
    cdef AtomProps props
    cdef double *work = NULL
    cdef list keep = []
    cdef void *data = cnp.PyArray_DATA(img)
    cdef SourceView view
    try:
        view = source.view
        with nogil:
            status = select_image_rows(&view, &g, &f, screen, &buf)
        if status != IMAGE_OK or buf.n == 0:
            if return_rows:
                return status, -1, np.empty(0, dtype=np.intp)
            return status, -1
        kinds_of(source, resolver, channel_cache, buf.atoms, buf.n, &props, keep)
        with nogil:
            status = check_atoms(&g, &props, &spec, buf.atoms, buf.n, &bad)
            if status == IMAGE_OK:
                work = <double *>malloc(work_doubles(length) * sizeof(double))
                if work == NULL:
                    status = IMAGE_NO_MEMORY
                else:
                    draw_atoms(data, is_float32, &g, &props, &spec, agg, buf.atoms, buf.n,
                               work, NULL)
        if bad >= 0:
            row = buf.atoms[bad].row
        if return_rows:
            return status, row, rows_of(&buf)
        return status, row
    finally:
        free(work)
        selbuf_free(&buf)


cdef object rows_of(const SelBuf *buf):
    """The rows of the selected atoms (intp array)."""
    rows = np.empty(buf.n, dtype=np.intp)
    cdef Py_ssize_t[::1] view = rows
    cdef Py_ssize_t i
    for i in range(buf.n):
        view[i] = buf.atoms[i].row
    return rows


cdef int check_batch(Py_ssize_t n_images, Py_ssize_t n_sources, list resolvers,
                     list caches, const int[::1] source_of_image,
                     const int[::1] resolver_of_image, const double[:, ::1] centers_A,
                     const double[::1] resolutions_A, const double[::1] max_radii_A,
                     object frames, int num_threads) except -1:
    """Every per-image array of ``draw_batch`` of one entry per image, and every
    index into ``sources`` and ``resolvers`` in range."""
    cdef Py_ssize_t b
    cdef const double[:, ::1] frame_values
    if (source_of_image.shape[0] != n_images or resolver_of_image.shape[0] != n_images
            or centers_A.shape[0] != n_images or centers_A.shape[1] != 3
            or resolutions_A.shape[0] != n_images or max_radii_A.shape[0] != n_images):
        raise ValueError("per-image arrays must have one entry per image")
    if len(caches) != len(resolvers):
        raise ValueError("one channel cache (or None) per resolver")
    if num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    for b in range(n_images):
        if not (0 <= source_of_image[b] < n_sources
                and 0 <= resolver_of_image[b] < len(resolvers)):
            raise IndexError(f"image {b}: source or resolver index out of range")
    if frames is not None:
        frame_values = frames
        if frame_values.shape[0] != n_images or frame_values.shape[1] != 12:
            raise ValueError("frames must be (B, 12)")
    return 0


cdef bint sources_pass_screen(list sources, const int[::1] source_of_image, int screen,
                              int[::1] status) except -1:
    """Screen each source's rows once; False (and IMAGE_BAD_ROWS for the first
    image of the first source that fails) when one fails."""
    cdef AtomSource source
    cdef SourceView view
    cdef int rows_ok
    cdef Py_ssize_t s, b
    for s in range(len(sources)):
        source = <AtomSource?>sources[s]
        view = source.view
        with nogil:
            rows_ok = view.rows_are_valid(view.data, screen)
        if not rows_ok:
            for b in range(source_of_image.shape[0]):
                if source_of_image[b] == s:
                    status[b] = IMAGE_BAD_ROWS
                    return False
    return True


cdef int batch_kinds(list sources, const int[::1] source_of_image, list resolvers,
                     list caches, const int[::1] resolver_of_image, SelBuf *bufs,
                     AtomProps *props, const int[::1] status, list keep) except -1:
    """Each selected image's kind tables: one kind space per source, one set of
    tables per (source, resolver) pair, shared by the images that use them
    (their owners appended to ``keep``)."""
    cdef Py_ssize_t b, n_images = source_of_image.shape[0]
    cdef dict spaces = {}
    cdef dict tables_of = {}
    cdef AtomSource source
    cdef KindSpace space
    cdef KindTables tables
    for b in range(n_images):
        if status[b] != IMAGE_OK:
            continue
        source = <AtomSource>sources[source_of_image[b]]
        source.base_props(&props[b])
        if not source.has_elements:
            continue
        space = spaces.get(source_of_image[b])
        if space is None:
            space = spaces[source_of_image[b]] = source.new_kind_space()
        source.encode(space, bufs[b].atoms, bufs[b].n)
    for b in range(n_images):
        source = <AtomSource>sources[source_of_image[b]]
        if status[b] != IMAGE_OK or not source.has_elements:
            continue
        key = (source_of_image[b], resolver_of_image[b])
        tables = tables_of.get(key)
        if tables is None:
            tables = tables_of[key] = KindTables(resolvers[resolver_of_image[b]],
                                                 caches[resolver_of_image[b]])
            tables.update(source.kind_strings(spaces[source_of_image[b]]))
        props[b].kind_radius = tables.radius
        props[b].kind_channel = tables.channel
        props[b].n_kinds = tables.n_resolved
    keep.append(tables_of)
    return 0


def draw_batch(cnp.ndarray out, list sources, const int[::1] source_of_image,
               list resolvers, list caches, const int[::1] resolver_of_image,
               const double[:, ::1] centers_A, const double[::1] resolutions_A,
               const double[::1] max_radii_A, object frames, int fill, int agg,
               int screen, int num_threads, object density=None,
               bint libmolgrid_ties=False):
    """Fill ``out[b]`` (zeroed here) with image b for every b, in parallel.

    Image b draws ``sources[source_of_image[b]]`` with
    ``resolvers[resolver_of_image[b]]`` (and that resolver's channel cache
    ``caches[...]``), centre ``centers_A[b]``, resolution ``resolutions_A[b]``,
    atom-box radius ``max_radii_A[b]`` and frame ``frames[b]`` (a (B, 12)
    float64 array, or None for no frames).  Each source's rows are screened
    once.

    With ``libmolgrid_ties``, a binary or truncated density decides voxel
    centres at its cut as libmolgrid's float32 arithmetic does.

    Returns ``(status, row)`` arrays of shape ``(B,)``, as ``draw_image``.
    """
    cdef int length, n_channels
    cdef bint is_float32
    image_info(out, 5, &length, &n_channels, &is_float32)
    cdef Py_ssize_t n_images = cnp.PyArray_DIMS(out)[0], b
    check_batch(n_images, len(sources), resolvers, caches, source_of_image,
                resolver_of_image, centers_A, resolutions_A, max_radii_A, frames,
                num_threads)
    cdef FillSpec spec
    cdef double reach = read_fill(fill, density, libmolgrid_ties, &spec)
    cdef const double[:, ::1] frame_values
    if frames is not None:
        frame_values = frames
    status_arr = np.zeros(n_images, dtype=np.intc)
    row_arr = np.full(n_images, -1, dtype=np.intp)
    cdef int[::1] status = status_arr
    cdef Py_ssize_t[::1] bad_row = row_arr
    if n_images == 0 or not sources_pass_screen(sources, source_of_image, screen, status):
        return status_arr, row_arr

    cdef GridSpec *grids = <GridSpec *>malloc(n_images * sizeof(GridSpec))
    cdef Frame *frame_of = <Frame *>malloc(n_images * sizeof(Frame))
    cdef SelBuf *bufs = <SelBuf *>calloc(n_images, sizeof(SelBuf))
    cdef AtomProps *props = <AtomProps *>malloc(n_images * sizeof(AtomProps))
    cdef SourceView *view_of = <SourceView *>malloc(n_images * sizeof(SourceView))
    cdef Py_ssize_t item = 4 if is_float32 else 8
    cdef Py_ssize_t image_bytes = <Py_ssize_t>n_channels * length * length * length * item
    cdef Py_ssize_t channel_bytes = <Py_ssize_t>length * length * length * item
    cdef char *base = <char *>cnp.PyArray_DATA(out)
    cdef list keep = []
    cdef double *work
    cdef void *scratch
    cdef Py_ssize_t bad
    try:
        if grids == NULL or frame_of == NULL or bufs == NULL or props == NULL or view_of == NULL:
            raise MemoryError("no memory for the batch descriptors")
        for b in range(n_images):
            set_up_grid(&grids[b], centers_A[b, 0], centers_A[b, 1], centers_A[b, 2],
                        resolutions_A[b], length, n_channels, max_radii_A[b], reach)
            set_frame(&frame_of[b], &frame_values[b, 0] if frames is not None else NULL)
            view_of[b] = (<AtomSource>sources[source_of_image[b]]).view

        # Selection: one image per iteration, without the GIL.
        with nogil, parallel(num_threads=num_threads):
            for b in prange(n_images, schedule="dynamic", chunksize=1):
                status[b] = select_image_rows(&view_of[b], &grids[b], &frame_of[b], 0,
                                              &bufs[b])
        batch_kinds(sources, source_of_image, resolvers, caches, resolver_of_image, bufs,
                    props, status, keep)

        # Drawing: one image per iteration, each thread with its own scratch.
        with nogil, parallel(num_threads=num_threads):
            work = <double *>malloc(work_doubles(length) * sizeof(double))
            scratch = NULL  # one channel, while it fits in a core's cache
            if channel_bytes <= CHANNEL_SCRATCH_MAX_BYTES:
                scratch = malloc(channel_bytes)
            for b in prange(n_images, schedule="dynamic", chunksize=1):
                bad = -1
                if status[b] == IMAGE_OK and work == NULL:
                    status[b] = IMAGE_NO_MEMORY
                if status[b] == IMAGE_OK:
                    status[b] = check_atoms(&grids[b], &props[b], &spec, bufs[b].atoms,
                                            bufs[b].n, &bad)
                if status[b] == IMAGE_OK:
                    # zeroes each channel as it draws it (bitwise memset + draw)
                    status[b] = draw_fresh(base + b * image_bytes, is_float32, &grids[b],
                                           &props[b], &spec, agg, bufs[b].atoms, bufs[b].n,
                                           work, scratch)
                else:
                    memset(base + b * image_bytes, 0, image_bytes)
                    if bad >= 0:
                        bad_row[b] = bufs[b].atoms[bad].row
            free(work)
            free(scratch)
    finally:
        if bufs != NULL:
            for b in range(n_images):
                selbuf_free(&bufs[b])
        free(bufs)
        free(grids)
        free(frame_of)
        free(props)
        free(view_of)
    return status_arr, row_arr


def find_atoms_in_box(const double[::1] x, const double[::1] y, const double[::1] z,
                      center_A, double resolution_A, int length_voxels,
                      double max_radius_A, object frame=None, bint screen=False):
    """Rows strictly inside ``center ± (L * res / 2 + max_radius)`` (intp, row order).

    The original's ``_discard_atoms_outside_image`` rule; NaN never passes.
    With ``frame`` (12 numbers, see ``frame_numbers``) the test is on the
    atoms placed by the frame.  With ``screen``, None when any coordinate is
    not finite (in the same pass).
    """
    cdef GridSpec g
    fill_grid_spec(&g, center_A[0], center_A[1], center_A[2], resolution_A,
                   length_voxels, 1, max_radius_A)
    cdef Py_ssize_t n = x.shape[0], i
    if y.shape[0] != n or z.shape[0] != n:
        raise ValueError("x, y and z differ in length")
    cdef Columns cols
    cols.x = &x[0] if n else NULL
    cols.y = &y[0] if n else NULL
    cols.z = &z[0] if n else NULL
    cols.occupancy = &x[0] if n else NULL  # no weights here: x stands in
    cols.n = n
    cdef Frame f
    read_frame(frame, &f)
    cdef SelBuf buf
    cdef int failed
    with nogil:
        failed = 1 if selbuf_init(&buf, 256) < 0 else select_rows(
            &cols, &g, &f, SCREEN_FINITE if screen else SCREEN_NONE, &buf)
    try:
        if failed == SELECT_BAD_ROWS:
            return None
        if failed:
            raise MemoryError()
        return rows_of(&buf)
    finally:
        selbuf_free(&buf)


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


def gradients(cnp.ndarray grad, AtomSource source not None, ElementResolver resolver,
              object channel_cache, double cx, double cy, double cz, double resolution_A,
              double max_radius_A, object frame, int fill, int agg, int screen,
              double[:, ::1] out, object density=None):
    """Add to ``out[row]`` (float64, (n_rows, 3)) dL/d(x, y, z) of each atom of
    the image, in the table's own frame, given ``grad`` = dL/d(image) (a
    C-contiguous (C, L, L, L) float32/float64 array).  The atoms are those
    ``draw_image`` draws with the same arguments.  Returns ``(status, row)``
    as ``draw_image`` (nothing added unless status is 0).
    """
    cdef GridSpec g
    cdef FillSpec spec
    cdef Frame f
    cdef bint is_float32
    begin_pass(grad, &g, &spec, &f, &is_float32, cx, cy, cz, resolution_A, max_radius_A,
               fill, density, frame)
    if out.shape[1] != 3 or out.shape[0] != source.n_source_rows():
        raise ValueError("out must be (n_rows, 3)")
    cdef int length = g.length, n_channels = g.n_channels
    cdef SelBuf buf
    buf.atoms = NULL
    cdef int status = IMAGE_OK
    cdef Py_ssize_t bad = -1, row = -1, a, size
    cdef AtomProps props
    cdef double *work = NULL
    cdef double *per_atom = NULL
    cdef int32_t *owner = NULL
    cdef void *image = NULL
    cdef list keep = []
    cdef SourceView view = source.view
    cdef const void *data = cnp.PyArray_DATA(grad)
    cdef double gx, gy, gz
    try:
        with nogil:
            status = select_image_rows(&view, &g, &f, screen, &buf)
        if status != IMAGE_OK or buf.n == 0:
            return status, -1
        kinds_of(source, resolver, channel_cache, buf.atoms, buf.n, &props, keep)
        size = <Py_ssize_t>n_channels * length * length * length
        with nogil:
            status = check_atoms(&g, &props, &spec, buf.atoms, buf.n, &bad)
            if status == IMAGE_OK:
                work = <double *>malloc(max(work_doubles(length),
                                            gradient_work_doubles(length)) * sizeof(double))
                per_atom = <double *>malloc(3 * buf.n * sizeof(double))
                if work == NULL or per_atom == NULL:
                    status = IMAGE_NO_MEMORY
            if status == IMAGE_OK and agg == AGG_MAX:
                # Who holds each voxel's maximum: the forward pass, with owners.
                image = calloc(size, 4 if is_float32 else 8)
                owner = <int32_t *>malloc(size * sizeof(int32_t))
                if image == NULL or owner == NULL:
                    status = IMAGE_NO_MEMORY
                else:
                    for a in range(size):
                        owner[a] = -1
                    draw_atoms(image, is_float32, &g, &props, &spec, agg, buf.atoms, buf.n,
                               work, owner)
            if status == IMAGE_OK:
                atom_gradients(data, is_float32, owner, &g, &props, &spec, buf.atoms, buf.n,
                               work, per_atom)
                for a in range(buf.n):
                    gx = per_atom[3 * a]
                    gy = per_atom[3 * a + 1]
                    gz = per_atom[3 * a + 2]
                    row = buf.atoms[a].row
                    if f.active:  # back to the table's frame: R^T g
                        out[row, 0] += f.rot[0] * gx + f.rot[3] * gy + f.rot[6] * gz
                        out[row, 1] += f.rot[1] * gx + f.rot[4] * gy + f.rot[7] * gz
                        out[row, 2] += f.rot[2] * gx + f.rot[5] * gy + f.rot[8] * gz
                    else:
                        out[row, 0] += gx
                        out[row, 1] += gy
                        out[row, 2] += gz
                row = -1
        if bad >= 0:
            row = buf.atoms[bad].row
        return status, row
    finally:
        free(work)
        free(per_atom)
        free(owner)
        free(image)
        selbuf_free(&buf)
