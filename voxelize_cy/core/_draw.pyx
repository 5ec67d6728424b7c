"""Drawing selected atoms into an image (nogil; see _draw.pxd for the interface).

For each atom: the candidate voxel block (the original's index arithmetic),
the voxel corner planes shared by neighbouring voxels, the signed cumulative
volumes Q of the unit ball on those planes (``overlap.c``), and per voxel the
8-term difference of Q: the exact overlap.  A fill rule scales it into a
voxel value and an aggregation rule combines that with the voxel.

The default rules (fraction of the atom, summed) reproduce the original
module bit for bit; the others are macromol_voxelize's.  Every index is
proven in range: the candidate block is clipped to [0, L), channels are
checked against the image's channel count by ``check_atoms`` before
``draw_atoms`` runs, and scratch space is sized by ``work_doubles``.
"""

from libc.math cimport INFINITY, ceilf, fabs, floorf, isfinite, sqrt
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

from voxelize_cy.core._codes cimport (
    AGG_MAX,
    AGG_SUM,
    AGG_SUM_WIDE,
    CHANNEL_NONE,
    CHANNEL_NOT_STR,
    CHANNEL_SEVERAL,
    FILL_BINARY,
    FILL_FRACTION_ATOM,
    FILL_GAUSSIAN,
    FILL_OVERLAP_A3,
    IMAGE_BAD_CHANNEL,
    IMAGE_BAD_CODE,
    IMAGE_BAD_RADIUS,
    IMAGE_NOT_STR,
    IMAGE_NO_CHANNEL,
    IMAGE_NO_MEMORY,
    IMAGE_NO_RADIUS,
    IMAGE_OK,
    IMAGE_RADIUS_ABOVE_MAX,
)
from voxelize_cy.core._density cimport (
    vcy_density,
    vcy_density_axes,
    vcy_density_block_f32,
    vcy_density_block_f64,
    vcy_density_grad_block_f32,
    vcy_density_grad_block_f64,
    vcy_density_small_f32,
    vcy_density_small_f64,
    vcy_density_slab,
)
from voxelize_cy.core._overlap cimport (
    VCY_UNIT_BALL_VOLUME,
    vcy_block,
    vcy_block_add_f32,
    vcy_block_add_f64,
    vcy_block_atan2,
    vcy_block_best_path,
    vcy_block_init,
    vcy_block_path,
    vcy_block_set_path,
    vcy_block_plane,
    vcy_block_prepare,
    vcy_block_slab,
    vcy_block_work_doubles,
    vcy_small_block,
    vcy_small_block_general,
)
from voxelize_cy.core._fill cimport FillSpec
from voxelize_cy.core._geometry cimport (
    GridSpec,
    SelAtom,
    axis_bounds,
    axis_planes,
    density_bounds,
    voxel_center_A,
)

cdef extern from "memory.h" nogil:
    void vcy_zero_streaming(void *p, size_t nbytes)
    void vcy_copy_streaming(void *dst, const void *src, size_t nbytes)

ctypedef fused real_t:
    float
    double


cdef Py_ssize_t work_doubles(int length) noexcept nogil:
    """Scratch doubles one image needs: per-axis planes and far distances,
    three Q planes, a slab's voxel values, and the block's axis and pair
    tables (overlap_block.h)."""
    cdef Py_ssize_t m = length + 1
    # (the densities take 9 m + m * m, and 3 m floats for libmolgrid's ties)
    return 6 * m + 4 * m * m + vcy_block_work_doubles(<int>m)


cdef double atom_radius(const AtomProps *props, const SelAtom *atom) noexcept nogil:
    """The atom's radius: per position when given, else its kind's."""
    if props.pos_radius != NULL:
        return props.pos_radius[atom.pos]
    return props.kind_radius[atom.kind]


cdef int check_atoms(const GridSpec *g, const AtomProps *props, const FillSpec *fill,
                     const SelAtom *atoms, Py_ssize_t n, Py_ssize_t *bad) noexcept nogil:
    """Every atom's kind, radius and channels valid?  The first failure, in
    order, as a status (``bad[0]`` = its index in ``atoms``); radius before
    channel, as the original looks them up."""
    cdef Py_ssize_t a, t
    cdef int kind, ch
    cdef double r
    cdef bint by_kind = props.pos_radius == NULL or props.pos_ch_start == NULL
    for a in range(n):
        bad[0] = a
        kind = atoms[a].kind
        if by_kind:
            if not (0 <= kind < props.n_kinds):
                return IMAGE_BAD_CODE
            if props.kind_channel[kind] == CHANNEL_NOT_STR:
                return IMAGE_NOT_STR
        if props.pos_radius != NULL:
            if not (0 <= atoms[a].pos < props.n_pos):
                return IMAGE_BAD_CODE
            r = props.pos_radius[atoms[a].pos]
            if not (isfinite(r) and (r > 0 or (r == 0 and fill.code != FILL_FRACTION_ATOM))):
                return IMAGE_BAD_RADIUS
            if r > g.max_radius:
                return IMAGE_RADIUS_ABOVE_MAX
        elif not (props.kind_radius[kind] > 0):
            return IMAGE_NO_RADIUS
        if props.pos_ch_start != NULL:
            if not (0 <= atoms[a].pos < props.n_pos):
                return IMAGE_BAD_CODE
            for t in range(props.pos_ch_start[atoms[a].pos],
                           props.pos_ch_start[atoms[a].pos + 1]):
                if not (0 <= props.pos_ch[t] < g.n_channels):
                    return IMAGE_BAD_CHANNEL
        else:
            ch = props.kind_channel[kind]
            if ch < 0:
                return IMAGE_NO_CHANNEL
            if ch >= g.n_channels:
                return IMAGE_BAD_CHANNEL
    bad[0] = -1
    return IMAGE_OK


cdef inline void put(real_t *p, double v, int agg) noexcept nogil:
    """Combine ``v`` with the voxel at ``p`` by the aggregation rule."""
    cdef real_t cv
    if agg == AGG_SUM:
        p[0] += <real_t>v
    elif agg == AGG_SUM_WIDE:
        p[0] = <real_t>(<double>p[0] + v)
    else:
        cv = <real_t>v
        if p[0] < cv:
            p[0] = cv


cdef inline void put_all(real_t *img, Py_ssize_t voxel, const int64_t *channels,
                         int n_channels, Py_ssize_t channel_size, double v,
                         int agg, int32_t *owner, int32_t atom) noexcept nogil:
    """``put`` into each channel; with ``owner``, AGG_MAX also records which
    atom holds each voxel's maximum (the first to reach it, as a strict
    ``<`` keeps it)."""
    cdef int t
    cdef Py_ssize_t at
    cdef real_t cv
    for t in range(n_channels):
        at = <Py_ssize_t>channels[t] * channel_size + voxel
        if owner != NULL:
            cv = <real_t>v
            if img[at] < cv:
                img[at] = cv
                owner[at] = atom
        else:
            put(img + at, v, agg)


cdef inline void write_value(real_t *img, real_t *img0, bint one, Py_ssize_t voxel,
                             double v, const int64_t *channels, int n_channels,
                             Py_ssize_t channel_size, int agg, int32_t *owner,
                             int32_t atom) noexcept nogil:
    """Combine ``v`` with ``voxel`` (an offset within a channel) of each of the
    atom's channels: every write of an atom's value goes through here, or
    through the plain sums (one channel, AGG_SUM) of the whole-row loops.
    ``one``: a single channel, starting at ``img0``, and no owners."""
    if one:
        put(img0 + voxel, v, agg)
    else:
        put_all(img, voxel, channels, n_channels, channel_size, v, agg, owner, atom)


cdef bint density_of(const GridSpec *g, const FillSpec *fill, double r, vcy_density *d,
                     double *reach) noexcept nogil:
    """The density of an atom of radius ``r`` (before the radius scale) and how
    far it reaches; False when it adds nothing (a zero radius)."""
    cdef double rs = r * fill.radius_scale
    if not (rs > 0):
        return False
    d.tie_off[0] = d.tie_off[1] = d.tie_off[2] = NULL
    d.binary = fill.code == FILL_BINARY
    d.inv_r2 = 1.0 / (rs * rs)
    if d.binary:
        d.inner2 = rs * rs
        d.outer2 = rs * rs
        d.qa = d.qb = d.qc = 0
        reach[0] = rs
    else:
        d.inner2 = (fill.gauss_mult * rs) * (fill.gauss_mult * rs)
        d.outer2 = (fill.final_mult * rs) * (fill.final_mult * rs)
        d.qa = fill.qa
        d.qb = fill.qb
        d.qc = fill.qc
        reach[0] = fill.final_mult * rs
    return True


cdef bint density_block(const GridSpec *g, const FillSpec *fill, double r, double cx, double cy,
                        double cz, vcy_density *d, double *c, int *lo, int *n) noexcept nogil:
    """One atom's density (``density_of``), its centre ``c`` and the block of
    voxel centres its density reaches: first index ``lo[a]`` and count
    ``n[a]`` per axis.  False when the atom adds nothing to the image."""
    cdef double reach
    cdef int a, hi
    if not density_of(g, fill, r, d, &reach):
        return False
    c[0] = cx
    c[1] = cy
    c[2] = cz
    for a in range(3):
        if not density_bounds(c[a], reach, a, g, &lo[a], &hi):
            return False
        n[a] = hi - lo[a] + 1
    return True


cdef void density_axes(const GridSpec *g, const vcy_density *d, const double *c,
                       const int *lo, const int *n, double *work) noexcept nogil:
    """The per-axis terms of a block, in ``work`` (3 (L + 1) doubles each):
    the offsets p - c of the x, then y, then z centres from ``work``, their
    squares from ``work + 3 (L + 1)``, the Gaussian factors
    exp(-2 (p - c)^2 / r^2) from ``work + 6 (L + 1)`` (x at n[0] entries, y
    after it, z after that)."""
    cdef int a, t, at = 0
    cdef Py_ssize_t m3 = 3 * (g.length + 1)
    for a in range(3):
        for t in range(n[a]):
            work[at + t] = voxel_center_A(g, a, lo[a] + t) - c[a]
        at += n[a]
    vcy_density_axes(work, at, 0.0 if d.binary else d.inv_r2, work + m3, work + 2 * m3)


cdef void tie_axes(const GridSpec *g, const FillSpec *fill, vcy_density *d, double r,
                   const double *c, const int *lo, const int *n, float *off) noexcept nogil:
    """Set ``d``'s ties (see vcy_density) for the block ``lo``, ``n`` of an
    atom of radius ``r`` (before the scale) at ``c``: libmolgrid's float32
    offsets of the voxel centres (``off``: ``n[0] + n[1] + n[2]`` floats; its
    origin the first centre, its points origin + i res), +inf outside the box
    its bounds give the atom, its cut, and the band of squared distances in
    which float32 rounding can decide (8 ulps of the largest coordinate)."""
    cdef float res_f = <float>g.resolution
    cdef float rs_f = <float>r * <float>fill.radius_scale
    cdef float reach_f = rs_f * <float>fill.final_mult
    cdef float origin_f, a_f, low, high, x
    cdef int a, t, index, first, last, at = 0
    cdef double cut2 = d.inner2 if d.binary else d.outer2
    cdef double magnitude = 0.0, eps
    for a in range(3):
        origin_f = <float>voxel_center_A(g, a, 0)
        a_f = <float>c[a]
        low = a_f - reach_f - origin_f
        high = a_f + reach_f - origin_f
        first = <int>floorf(low / res_f) if low > 0 else 0
        last = 0
        if high > 0:
            last = <int>ceilf(high / res_f) if high / res_f < g.length else g.length
        for t in range(n[a]):
            index = lo[a] + t
            x = origin_f + <float>index * res_f
            off[at + t] = x - a_f if first <= index < last else INFINITY
        d.tie_off[a] = off + at
        at += n[a]
        magnitude = max(magnitude, fabs(c[a]) + fabs(origin_f) + g.length * g.resolution)
    d.tie_cut = rs_f * rs_f if d.binary else reach_f
    d.tie_cut2 = cut2
    eps = 8 * magnitude * 2.0 ** -24
    d.tie_band2 = 2 * sqrt(cut2) * eps + eps * eps


cdef void density_grad_block(const vcy_density *d, const int *n, const double *axes,
                             Py_ssize_t m3, const void *grad, bint is_float32,
                             Py_ssize_t row, Py_ssize_t plane, double *s) noexcept nogil:
    """The Gaussian's gradient over a block of dL/d(value) (``grad`` at the
    block's first voxel, rows ``row`` and planes ``plane`` apart); ``axes`` as
    ``density_axes`` fills it (offsets, squares at ``m3``, factors at ``2 m3``)."""
    if is_float32:
        vcy_density_grad_block_f32(d, n[0], n[1], n[2], axes, axes + m3, axes + 2 * m3,
                                   <const float *>grad, row, plane, s)
    else:
        vcy_density_grad_block_f64(d, n[0], n[1], n[2], axes, axes + m3, axes + 2 * m3,
                                   <const double *>grad, row, plane, s)


cdef inline void pad_rows(int *n, int *lo, int length) noexcept nogil:
    """Widen a block's rows to 8 or 16 voxels where the image has them (on
    past the block's end, or back from it at the image's edge): whole
    vectors, no scalar tail.  The voxels added lie beyond the atom's reach,
    so their values are 0 and the image is bitwise the same."""
    cdef int width = 8 if 4 < n[2] < 8 else (16 if 8 < n[2] < 16 else 0)
    if width == 0 or width > length:
        return
    if lo[2] + width > length:
        lo[2] = length - width
    n[2] = width


cdef void add_density(real_t *img, const GridSpec *g, const FillSpec *fill, int agg, double cx,
                      double cy, double cz, double r, double weight,
                      const int64_t *channels, int n_channels, double *work,
                      int32_t *owner, int32_t atom) noexcept nogil:
    """Add one atom's Gaussian or binary density (times ``weight``)."""
    cdef vcy_density d
    cdef double c[3]
    cdef int lo[3]
    cdef int n[3]
    if not density_block(g, fill, r, cx, cy, cz, &d, c, lo, n):
        return
    cdef int a
    cdef Py_ssize_t m = g.length + 1
    cdef Py_ssize_t L = g.length
    cdef Py_ssize_t channel_size = L * L * L, base
    cdef real_t *img0 = img + <Py_ssize_t>channels[0] * channel_size
    cdef bint one = n_channels == 1 and owner == NULL
    cdef bint plain = one and agg == AGG_SUM
    cdef bint ties = fill.libmolgrid_ties and (d.binary or fill.gauss_mult == fill.final_mult)
    cdef double first[3]
    if plain and not ties and n[0] <= 4 and n[1] <= 4 and n[2] <= 4:
        # a small block (the usual atom): everything in one call
        for a in range(3):
            first[a] = voxel_center_A(g, a, lo[a])
        base = (lo[0] * L + lo[1]) * L + lo[2]
        if real_t is float:
            vcy_density_small_f32(&d, first, g.resolution, c, n, img0 + base, L, weight)
        else:
            vcy_density_small_f64(&d, first, g.resolution, c, n, img0 + base, L, weight)
        return
    if plain:
        pad_rows(n, lo, <int>L)
    density_axes(g, &d, c, lo, n, work)
    cdef Py_ssize_t m3 = 3 * m
    cdef double *slab = work + 9 * m
    cdef int i, j, k
    cdef double v
    if ties:  # float32 offsets after the slab (work_doubles has room)
        tie_axes(g, fill, &d, r, c, lo, n, <float *>(slab + m * m))
    if plain:  # the whole block in one call
        base = (lo[0] * L + lo[1]) * L + lo[2]
        if real_t is float:
            vcy_density_block_f32(&d, n[0], n[1], n[2], work + m3, work + 2 * m3,
                                  img0 + base, L, weight)
        else:
            vcy_density_block_f64(&d, n[0], n[1], n[2], work + m3, work + 2 * m3,
                                  img0 + base, L, weight)
        return
    for i in range(n[0]):
        d.tie_i = i
        vcy_density_slab(&d, work[m3 + i], work + m3 + n[0], n[1],
                         work + m3 + n[0] + n[1], n[2], work[2 * m3 + i],
                         work + 2 * m3 + n[0], work + 2 * m3 + n[0] + n[1], slab)
        base = ((lo[0] + i) * L + lo[1]) * L + lo[2]
        for j in range(n[1]):
            for k in range(n[2]):
                v = slab[j * n[2] + k]
                if v > 0:
                    write_value(img, img0, one, base + j * L + k, weight * v, channels,
                                n_channels, channel_size, agg, owner, atom)


cdef inline void exact_scales(const GridSpec *g, int fill, double r, double *inside,
                              double *upper, double *scale) noexcept nogil:
    """How an exact fill turns unit-ball volumes (Q differences) into voxel
    values: times ``scale``; ``inside`` is the value of a voxel wholly inside
    the ball and ``upper`` caps any voxel's value (the smaller of the ball and
    the voxel)."""
    cdef double s = g.resolution / r
    cdef double ball, r3
    if fill == FILL_FRACTION_ATOM:
        inside[0] = s * s * s / VCY_UNIT_BALL_VOLUME
        upper[0] = inside[0] if inside[0] < 1.0 else 1.0
        scale[0] = 1.0 / VCY_UNIT_BALL_VOLUME
        return
    r3 = r * r * r
    if fill == FILL_OVERLAP_A3:
        inside[0] = g.resolution * g.resolution * g.resolution
        scale[0] = r3
    else:
        inside[0] = 1.0
        scale[0] = r3 / (g.resolution * g.resolution * g.resolution)
    ball = VCY_UNIT_BALL_VOLUME * scale[0]
    upper[0] = inside[0] if inside[0] < ball else ball


cdef void add_atom(real_t *img, const GridSpec *g, const FillSpec *fill, int agg, double cx,
                   double cy, double cz, double r, double weight, const int64_t *channels,
                   int n_channels, double *work, int32_t *owner, int32_t atom) noexcept nogil:
    """Add one atom (weight = occupancy) to each of its ``channels`` of ``img``."""
    cdef int code = fill.code
    if code == FILL_GAUSSIAN or code == FILL_BINARY:
        add_density(img, g, fill, agg, cx, cy, cz, r, weight, channels, n_channels, work,
                    owner, atom)
        return
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
    cdef double *q_lo = fz + m1
    cdef double *q_hi = q_lo + m1 * m1
    cdef double *q_first = q_hi + m1 * m1
    cdef double *slab = q_first + m1 * m1        # ny x nz voxel values
    cdef double *q_tmp
    cdef vcy_block block

    cdef double inv_r = 1.0 / r
    if not (inv_r < 1.7976931348623157e308):
        inv_r = 0  # overflow: axis_planes divides instead
    axis_planes(cx, r, inv_r, 0, lo_x, nx, g, ux, fx)
    axis_planes(cy, r, inv_r, 1, lo_y, ny, g, uy, fy)
    axis_planes(cz, r, inv_r, 2, lo_z, nz, g, uz, fz)

    cdef double inside, upper, scale
    exact_scales(g, code, r, &inside, &upper, &scale)

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
    cdef Py_ssize_t channel_size = L * L * L
    cdef Py_ssize_t base, voxel
    cdef double frac, v
    cdef double small[36]
    # One channel (the usual case): write through a row pointer; the original
    # rule (AGG_SUM) keeps its own loop, bit for bit as before.
    cdef bint one = n_channels == 1 and owner == NULL
    cdef bint plain = one and agg == AGG_SUM
    cdef real_t *row
    cdef real_t *img0 = img + <Py_ssize_t>channels[0] * channel_size

    # A ball of about a voxel: every voxel value in one call (overlap_small.c).
    if vcy_small_block(ux, nx, uy, ny, uz, nz, fx, fy, fz, inside, upper, scale, small):
        for i in range(nx):
            for j in range(ny):
                base = ((lo_x + i) * L + lo_y + j) * L + lo_z
                row = img0 + base
                for k in range(nz):
                    frac = small[(i * 3 + j) * 4 + k]
                    if plain:
                        row[k] += <real_t>(weight * frac)
                    elif frac > 0:
                        write_value(img, img0, one, base + k, weight * frac, channels,
                                    n_channels, channel_size, agg, owner, atom)
        return
    for i in range(nx):
        base = ((lo_x + i) * L + lo_y) * L + lo_z
        if fx[i] + max_fy + max_fz <= 1.0:
            # The whole slab lies inside the ball.
            v = weight * inside
            for j in range(ny):
                row = img0 + base + j * L
                for k in range(nz):
                    if plain:
                        row[k] += <real_t>v
                    else:
                        write_value(img, img0, one, base + j * L + k, v, channels,
                                    n_channels, channel_size, agg, owner, atom)
            continue

        if not tables_ready:
            vcy_block_init(&block, slab + m1 * m1, <int>m1, nx + 1, ny1, nz1)
            vcy_block_prepare(&block, ux, uy, uz)
            tables_ready = True

        # Signed cumulative volumes on the slab's two corner planes; a plane
        # computed for the previous slab is reused.
        if plane_hi == i:
            q_tmp = q_lo
            q_lo = q_hi
            q_hi = q_tmp
            plane_lo = i
        elif plane_lo != i:
            vcy_block_plane(&block, i, q_lo)
            plane_lo = i
            if mirror and i == 0:
                memcpy(q_first, q_lo, plane_size * sizeof(double))
                first_saved = True
        if first_saved and i + 1 == nx:
            for t in range(plane_size):
                q_hi[t] = -q_first[t]
        else:
            vcy_block_plane(&block, i + 1, q_hi)
        plane_hi = i + 1

        vcy_block_slab(q_lo, q_hi, ny, nz, fx[i], fy, fz, inside, upper, scale, slab)
        if plain:
            if real_t is float:
                vcy_block_add_f32(img0 + base, L, ny, nz, slab, weight)
            else:
                vcy_block_add_f64(img0 + base, L, ny, nz, slab, weight)
            continue
        for j in range(ny):
            for k in range(nz):
                frac = slab[j * nz + k]
                if frac > 0:
                    write_value(img, img0, one, base + j * L + k, weight * frac, channels,
                                n_channels, channel_size, agg, owner, atom)


cdef void draw_typed(real_t *img, const GridSpec *g, const AtomProps *props, const FillSpec *fill,
                     int agg, const SelAtom *atoms, Py_ssize_t n,
                     double *work, int32_t *owner) noexcept nogil:
    draw_listed(img, g, props, fill, agg, atoms, NULL, n, work, owner)


cdef void draw_listed(real_t *img, const GridSpec *g, const AtomProps *props, const FillSpec *fill,
                      int agg, const SelAtom *atoms, const Py_ssize_t *listed,
                      Py_ssize_t n, double *work, int32_t *owner) noexcept nogil:
    """Add atoms ``listed[0:n]`` (indices into ``atoms``, in that order), or
    ``atoms[0:n]`` when ``listed`` is NULL."""
    cdef Py_ssize_t i, a, pos
    cdef int64_t channel
    cdef const int64_t *channels
    cdef int n_channels
    cdef double r
    for i in range(n):
        a = listed[i] if listed != NULL else i
        pos = atoms[a].pos
        r = atom_radius(props, &atoms[a])
        if not (r > 0):
            continue  # a zero radius (allowed for volume fills) adds nothing
        if props.pos_ch_start != NULL:
            channels = props.pos_ch + props.pos_ch_start[pos]
            n_channels = <int>(props.pos_ch_start[pos + 1] - props.pos_ch_start[pos])
            if n_channels == 0:
                continue
        else:
            channel = props.kind_channel[atoms[a].kind]
            channels = &channel
            n_channels = 1
        add_atom(img, g, fill, agg, atoms[a].x, atoms[a].y, atoms[a].z, r,
                 atoms[a].weight, channels, n_channels, work, owner, <int32_t>a)


cdef void draw_in_channel(real_t *channel_img, const GridSpec *g, const AtomProps *props,
                          const FillSpec *fill, int agg, const SelAtom *atoms,
                          const Py_ssize_t *listed,
                          Py_ssize_t n, double *work) noexcept nogil:
    """Add atoms ``listed[0:n]``, each of one channel, to the ``(L, L, L)``
    image ``channel_img`` of that channel."""
    cdef Py_ssize_t i, a
    cdef int64_t channel = 0
    cdef double r
    for i in range(n):
        a = listed[i]
        r = atom_radius(props, &atoms[a])
        if r > 0:  # a zero radius (allowed for volume fills) adds nothing
            add_atom(channel_img, g, fill, agg, atoms[a].x, atoms[a].y, atoms[a].z, r,
                     atoms[a].weight, &channel, 1, work, NULL, <int32_t>a)


cdef void draw_atoms(void *img, bint is_float32, const GridSpec *g, const AtomProps *props,
                     const FillSpec *fill, int agg, const SelAtom *atoms, Py_ssize_t n,
                     double *work, int32_t *owner) noexcept nogil:
    """Add ``atoms`` (checked by ``check_atoms``) to ``img``, in order.

    ``img`` is a C-contiguous ``(C, L, L, L)`` float32 or float64 image;
    ``work`` holds ``work_doubles(L)`` doubles.  With ``owner`` (an int32
    array the image's size, -1 filled) and AGG_MAX, ``owner`` receives the
    index in ``atoms`` of the atom that holds each voxel's maximum.
    """
    if is_float32:
        draw_typed(<float *>img, g, props, fill, agg, atoms, n, work, owner)
    else:
        draw_typed(<double *>img, g, props, fill, agg, atoms, n, work, owner)


cdef int single_channel(const AtomProps *props, const SelAtom *atom) noexcept nogil:
    """The one channel an atom is drawn in; ``CHANNEL_NONE`` for none (nothing
    drawn), ``CHANNEL_SEVERAL`` for several."""
    cdef Py_ssize_t pos = atom.pos
    cdef int64_t count
    if props.pos_ch_start == NULL:
        return props.kind_channel[atom.kind]
    count = props.pos_ch_start[pos + 1] - props.pos_ch_start[pos]
    if count == 0:
        return CHANNEL_NONE
    if count > 1:
        return CHANNEL_SEVERAL
    return <int>props.pos_ch[props.pos_ch_start[pos]]


cdef int draw_fresh(void *img, bint is_float32, const GridSpec *g, const AtomProps *props,
                    const FillSpec *fill, int agg, const SelAtom *atoms, Py_ssize_t n,
                    double *work, void *scratch) noexcept nogil:
    """Zero ``img`` and draw ``atoms`` (checked by ``check_atoms``) into it:
    bitwise the image of ``memset`` then ``draw_atoms``.

    When every atom has one channel, the image is made channel by channel (a
    stable counting sort keeps every voxel's order of terms): a channel with
    no atoms is zeroed with streaming stores, and the others are drawn into
    ``scratch`` (one channel, ``L³`` values of the image's type, reused while
    it sits in cache) and streamed out, so image memory is written once and
    never read.  Without ``scratch`` they are drawn in place.  Returns
    IMAGE_NO_MEMORY when the sort's scratch cannot be allocated (the image is
    then zeroed only).
    """
    cdef int n_channels = g.n_channels
    cdef Py_ssize_t channel_size = <Py_ssize_t>g.length * g.length * g.length
    cdef Py_ssize_t item = 4 if is_float32 else 8
    cdef Py_ssize_t channel_bytes = channel_size * item
    cdef Py_ssize_t a, c
    cdef int ch
    cdef Py_ssize_t *start
    cdef Py_ssize_t *listed
    cdef int *channel_of
    cdef char *target
    for a in range(n):
        if single_channel(props, &atoms[a]) == CHANNEL_SEVERAL:
            memset(img, 0, n_channels * channel_bytes)
            draw_atoms(img, is_float32, g, props, fill, agg, atoms, n, work, NULL)
            return IMAGE_OK
    start = <Py_ssize_t *>malloc((n_channels + 1) * sizeof(Py_ssize_t))
    listed = <Py_ssize_t *>malloc((n + 1) * sizeof(Py_ssize_t))
    channel_of = <int *>malloc((n + 1) * sizeof(int))
    if start == NULL or listed == NULL or channel_of == NULL:
        free(start)
        free(listed)
        free(channel_of)
        memset(img, 0, n_channels * channel_bytes)
        return IMAGE_NO_MEMORY
    for c in range(n_channels + 1):
        start[c] = 0
    for a in range(n):
        ch = single_channel(props, &atoms[a])
        channel_of[a] = ch
        if ch >= 0:  # in [0, n_channels): check_atoms proved it
            start[ch + 1] += 1
    for c in range(n_channels):
        start[c + 1] += start[c]
    for a in range(n):
        ch = channel_of[a]
        if ch >= 0:
            listed[start[ch]] = a
            start[ch] += 1
    # start[c] now ends channel c's list; channel c begins where c - 1 ended.
    for c in range(n_channels):
        a = start[c - 1] if c > 0 else 0
        target = <char *>img + c * channel_bytes
        if start[c] == a:  # nothing drawn here
            vcy_zero_streaming(target, channel_bytes)
            continue
        if scratch != NULL:
            memset(scratch, 0, channel_bytes)
        else:
            memset(target, 0, channel_bytes)
        if is_float32:
            draw_in_channel(<float *>(scratch if scratch != NULL else target), g, props,
                            fill, agg, atoms, listed + a, start[c] - a, work)
        else:
            draw_in_channel(<double *>(scratch if scratch != NULL else target), g, props,
                            fill, agg, atoms, listed + a, start[c] - a, work)
        if scratch != NULL:
            vcy_copy_streaming(target, scratch, channel_bytes)
    free(start)
    free(listed)
    free(channel_of)
    return IMAGE_OK


SIMD_PATHS = ("sse2", "avx2", "avx512")


def simd_path(name=None):
    """The SIMD path the exact fill runs on: 'sse2' (baseline x86-64), 'avx2'
    or 'avx512' (AVX-512F), picked from the CPU at first use.

    Parameters
    ----------
    name : str, optional
        Force this path ('best': the CPU's best again).  Every path gives
        bitwise the same images (the same operations in the same order);
        this is for tests and benchmarks.

    Returns
    -------
    str
        The path in use (after the change).

    Raises
    ------
    ValueError
        An unknown name, or a path this CPU (or build) does not have.
    """
    cdef int wanted
    if name is not None:
        if name == "best":
            vcy_block_set_path(-1)
        elif name not in SIMD_PATHS:
            raise ValueError(f"simd path must be one of {SIMD_PATHS + ('best',)}, got {name!r}")
        else:
            wanted = SIMD_PATHS.index(name)
            if wanted > vcy_block_best_path():
                raise ValueError(f"this CPU (or build) has no {name!r} path; it has "
                                 f"{list(SIMD_PATHS[:vcy_block_best_path() + 1])}")
            vcy_block_set_path(wanted)
    return SIMD_PATHS[vcy_block_path()]


def simd_paths():
    """The SIMD paths this CPU and build can run (see ``simd_path``)."""
    return list(SIMD_PATHS[:vcy_block_best_path() + 1])


def first_quadrant_atan2(y, x):
    """atan2(y, x) for y, x >= 0 as the exact fill computes it (a polynomial,
    vectorised; for tests): float64 arrays of one shape in, one out."""
    import numpy as np
    yy = np.ascontiguousarray(y, dtype=np.float64).ravel()
    xx = np.ascontiguousarray(x, dtype=np.float64).ravel()
    if yy.shape != xx.shape:
        raise ValueError("y and x differ in size")
    out = np.empty_like(yy)
    cdef double[::1] vy = yy, vx = xx, vo = out
    if yy.shape[0]:
        vcy_block_atan2(&vy[0], &vx[0], &vo[0], <int>yy.shape[0])
    return out.reshape(np.shape(y))


def small_block_values(u_x, u_y, u_z, far2_x, far2_y, far2_z, double inside, double upper,
                       double scale, bint general=False):
    """The voxel values the exact fill's small kernel gives one block (for tests).

    Parameters
    ----------
    u_x, u_y, u_z : 1-D float arrays of n + 1 corner planes each (n voxels),
        in units of the radius from the atom's centre, clamped to [-1, 1]
    far2_x, far2_y, far2_z : 1-D float arrays of n each, the squared unit distance
        of each voxel's farther plane
    inside, upper, scale : float
        The value of a voxel wholly inside the ball, the cap of any voxel and
        the factor from unit-ball volumes (see ``exact_scales``).
    general : bool
        True: the general tail only (not the usual block's vector tail), on the
        baseline path.

    Returns
    -------
    numpy.ndarray or None
        (nx, ny, nz) float64 values, or None when the block does not fit the
        small kernel (more than 3 voxels along an axis, or more than 2 planes
        inside the ball).
    """
    import numpy as np
    u = [np.ascontiguousarray(a, dtype=np.float64) for a in (u_x, u_y, u_z)]
    f = [np.ascontiguousarray(a, dtype=np.float64) for a in (far2_x, far2_y, far2_z)]
    n = [a.shape[0] - 1 for a in u]
    for name, planes, far2 in zip("xyz", u, f):
        if planes.ndim != 1 or planes.shape[0] < 2 or far2.shape != (planes.shape[0] - 1,):
            raise ValueError(f"u_{name} needs 2 planes or more and far2_{name} one fewer")
    cdef double[::1] ux = u[0], uy = u[1], uz = u[2], fx = f[0], fy = f[1], fz = f[2]
    cdef double frac[36]
    cdef int fits
    if general:
        fits = vcy_small_block_general(&ux[0], n[0], &uy[0], n[1], &uz[0], n[2], &fx[0], &fy[0],
                                       &fz[0], inside, upper, scale, frac)
    else:
        fits = vcy_small_block(&ux[0], n[0], &uy[0], n[1], &uz[0], n[2], &fx[0], &fy[0],
                               &fz[0], inside, upper, scale, frac)
    if not fits:
        return None
    values = np.array(<double[:36]>frac).reshape(3, 3, 4)
    return values[:n[0], :n[1], :n[2]].copy()
