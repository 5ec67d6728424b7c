"""The backward pass: the exact gradient of an image with respect to its atoms.

Given dL/d(image) (``grad``, shaped like the image), each atom's gradient is

    dL/dc = sum over its voxels v and channels k of grad[k, v] * d value[k, v] / dc,

and for the overlap V of the atom's ball with voxel v, dV/dc_x = A(x0) - A(x1):
the areas of the ball's cross-sections in the voxel's two x faces (see
``vcy_unit_disc_plane`` in overlap.c).  Voxels share faces, so per atom the
face areas come from one table of signed cumulative disc areas per plane,
and the sum is taken plane by plane:

    sum over voxels i of G_i (A_i - A_i+1) = sum over planes m of A_m (G_m - G_m-1),

with G_i the voxel's summed gradient over the atom's channels (0 outside the
atom's candidate block, whose outer faces the ball does not cross).  A value
is ``weight * V * s`` (s = 1 / ball volume, 1, or 1 / voxel volume for the
three fill rules), so the atom's gradient is ``weight * s * r^2`` times the
unit-ball sums.  With the max aggregation, a voxel's gradient goes to the
atom that holds its maximum.
"""

from libc.stdint cimport int32_t, int64_t

from voxelize_cy.core._codes cimport (
    FILL_FRACTION_ATOM,
    FILL_GAUSSIAN,
    FILL_OVERLAP_A3,
)
from voxelize_cy.core._draw cimport (
    AtomProps,
    atom_radius,
    density_axes,
    density_block,
    density_grad_block,
)
from voxelize_cy.core._fill cimport FillSpec
from voxelize_cy.core._geometry cimport GridSpec, SelAtom, axis_bounds, axis_planes
from voxelize_cy.core._density cimport (
    vcy_density,
)
from voxelize_cy.core._overlap cimport (
    VCY_UNIT_BALL_VOLUME,
    vcy_unit_disc_plane,
)

ctypedef fused real_t:
    float
    double


cdef Py_ssize_t gradient_work_doubles(int length) noexcept nogil:
    """Scratch doubles per image: the block's summed gradient, one plane of
    cumulative areas, and the planes along each axis (or, for densities,
    three arrays per axis)."""
    cdef Py_ssize_t m = length + 1
    return <Py_ssize_t>length * length * length + m * m + 9 * m


cdef inline double face_area(const double *t, int stride, int j, int k) noexcept nogil:
    """Area of face (j, k) from the plane's cumulative table (stride = columns)."""
    return ((t[(j + 1) * stride + k + 1] - t[j * stride + k + 1])
            - (t[(j + 1) * stride + k] - t[j * stride + k]))


cdef inline double face_sum(const double *u0, int n0, Py_ssize_t s0,
                           const double *u1, int n1, Py_ssize_t s1,
                           const double *u2, int n2, Py_ssize_t s2,
                           const double *block, double *table) noexcept nogil:
    """One component of the block's surface integral: over the n0 + 1 planes
    of one axis (at unit coordinates ``u0``), each face's area on the unit
    disc times the jump of ``block`` across it.  A plane's faces are indexed
    over the other two axes (``u1``, ``u2``); ``s0``, ``s1``, ``s2`` are the
    block's strides along the three axes."""
    cdef double total = 0, area, above, below
    cdef int f, a, b
    cdef Py_ssize_t at
    for f in range(n0 + 1):
        if not (u0[f] > -1 and u0[f] < 1):
            continue
        vcy_unit_disc_plane(u0[f], u1, n1 + 1, u2, n2 + 1, table)
        for a in range(n1):
            for b in range(n2):
                area = face_area(table, n2 + 1, a, b)
                at = f * s0 + a * s1 + b * s2
                above = block[at] if f < n0 else 0
                below = block[at - s0] if f > 0 else 0
                total += area * (above - below)
    return total


cdef inline void block_gradient(const real_t *grad, const int32_t *owner, int32_t atom,
                                const int64_t *channels, int n_channels, Py_ssize_t L,
                                const int *lo, const int *n, double *block) noexcept nogil:
    """``block[(i n1 + j) n2 + k]``: the block's dL/d(value), summed over the
    atom's channels (those it holds the maximum of, with ``owner``)."""
    cdef Py_ssize_t size = L * L * L, voxel, at
    cdef int i, j, k, t
    cdef double s
    for i in range(n[0]):
        for j in range(n[1]):
            for k in range(n[2]):
                voxel = ((lo[0] + i) * L + lo[1] + j) * L + lo[2] + k
                s = 0
                for t in range(n_channels):
                    at = <Py_ssize_t>channels[t] * size + voxel
                    if owner == NULL or owner[at] == atom:
                        s += grad[at]
                block[(i * n[1] + j) * n[2] + k] = s


cdef void grad_density(const real_t *grad, const int32_t *owner, int32_t atom,
                       const GridSpec *g, const FillSpec *fill, double cx, double cy, double cz,
                       double r, double weight, const int64_t *channels, int n_channels,
                       double *work, double *out) noexcept nogil:
    """Add the atom's dL/d(centre) for the Gaussian density (analytic: see
    density.c) to ``out``."""
    cdef vcy_density d
    cdef double c[3]
    cdef int lo[3]
    cdef int n[3]
    if not density_block(g, fill, r, cx, cy, cz, &d, c, lo, n):
        return
    cdef Py_ssize_t L = g.length, size = L * L * L
    cdef Py_ssize_t m3 = 3 * (L + 1)
    cdef double *block = work                               # n0 * n1 * n2
    cdef double *axes = block + size
    density_axes(g, &d, c, lo, n, axes)
    cdef double sums[3]
    sums[0] = sums[1] = sums[2] = 0
    if n_channels == 1 and owner == NULL:  # straight from the image's channel
        density_grad_block(&d, n, axes, m3,
                           grad + channels[0] * size + (lo[0] * L + lo[1]) * L + lo[2],
                           real_t is float, L, L * L, sums)
    else:  # summed over the atom's channels (those it holds the maximum of) first
        block_gradient(grad, owner, atom, channels, n_channels, L, lo, n, block)
        density_grad_block(&d, n, axes, m3, block, False, n[2], n[1] * n[2], sums)
    out[0] += weight * sums[0]
    out[1] += weight * sums[1]
    out[2] += weight * sums[2]


cdef void grad_atom(const real_t *grad, const int32_t *owner, int32_t atom,
                    const GridSpec *g, const FillSpec *fill, double cx, double cy, double cz,
                    double r, double weight, const int64_t *channels, int n_channels, double *work,
                    double *out) noexcept nogil:
    """Add the atom's dL/d(centre) (image frame, 3 numbers) to ``out``."""
    if fill.code == FILL_GAUSSIAN:
        grad_density(grad, owner, atom, g, fill, cx, cy, cz, r, weight, channels,
                     n_channels, work, out)
        return
    cdef int lo[3]
    cdef int hi[3]
    cdef double c[3]
    c[0] = cx
    c[1] = cy
    c[2] = cz
    cdef int a, t
    for a in range(3):
        if not axis_bounds(c[a], r, a, g, &lo[a], &hi[a]):
            return
    cdef int nx = hi[0] - lo[0] + 1, ny = hi[1] - lo[1] + 1, nz = hi[2] - lo[2] + 1
    cdef Py_ssize_t m1 = g.length + 1
    cdef double *block = work                               # nx * ny * nz
    cdef double *table = block + <Py_ssize_t>g.length * g.length * g.length
    cdef double *ux = table + m1 * m1
    cdef double *uy = ux + m1
    cdef double *uz = uy + m1
    cdef double *far = uz + m1                               # unused distances
    cdef double inv_r = 1.0 / r
    if not (inv_r < 1.7976931348623157e308):
        inv_r = 0
    axis_planes(cx, r, inv_r, 0, lo[0], nx, g, ux, far)
    axis_planes(cy, r, inv_r, 1, lo[1], ny, g, uy, far)
    axis_planes(cz, r, inv_r, 2, lo[2], nz, g, uz, far)

    # The block's gradient, summed over the atom's channels (those it holds
    # the maximum of, with the max aggregation).
    cdef Py_ssize_t L = g.length
    cdef int n[3]
    n[0] = nx
    n[1] = ny
    n[2] = nz
    block_gradient(grad, owner, atom, channels, n_channels, L, lo, n, block)

    # Faces of constant x indexed (j, k) over (y, z); of constant y, (i, k);
    # of constant z, (i, j).  The block's strides: ny * nz, nz, 1.
    cdef Py_ssize_t sj = nz, si = <Py_ssize_t>ny * nz
    cdef double sx = face_sum(ux, nx, si, uy, ny, sj, uz, nz, 1, block, table)
    cdef double sy = face_sum(uy, ny, sj, ux, nx, si, uz, nz, 1, block, table)
    cdef double sz = face_sum(uz, nz, 1, ux, nx, si, uy, ny, sj, block, table)

    cdef double scale
    if fill.code == FILL_FRACTION_ATOM:
        scale = weight / (VCY_UNIT_BALL_VOLUME * r)
    elif fill.code == FILL_OVERLAP_A3:
        scale = weight * r * r
    else:
        scale = weight * r * r / (g.resolution * g.resolution * g.resolution)
    out[0] += scale * sx
    out[1] += scale * sy
    out[2] += scale * sz


cdef void gradients_typed(const real_t *grad, const int32_t *owner, const GridSpec *g,
                          const AtomProps *props, const FillSpec *fill, const SelAtom *atoms,
                          Py_ssize_t n, double *work, double *out) noexcept nogil:
    cdef Py_ssize_t a, pos
    cdef int64_t channel
    cdef const int64_t *channels
    cdef int n_channels
    cdef double r
    for a in range(n):
        out[3 * a] = out[3 * a + 1] = out[3 * a + 2] = 0
        pos = atoms[a].pos
        r = atom_radius(props, &atoms[a])
        if not (r > 0):
            continue
        if props.pos_ch_start != NULL:
            channels = props.pos_ch + props.pos_ch_start[pos]
            n_channels = <int>(props.pos_ch_start[pos + 1] - props.pos_ch_start[pos])
        else:
            channel = props.kind_channel[atoms[a].kind]
            channels = &channel
            n_channels = 1
        grad_atom(grad, owner, <int32_t>a, g, fill, atoms[a].x, atoms[a].y, atoms[a].z, r,
                  atoms[a].weight, channels, n_channels, work, out + 3 * a)


cdef void atom_gradients(const void *grad, bint is_float32, const int32_t *owner,
                         const GridSpec *g, const AtomProps *props, const FillSpec *fill,
                         const SelAtom *atoms, Py_ssize_t n, double *work,
                         double *out) noexcept nogil:
    """``out[3a:3a+3]`` = dL/d(centre) of ``atoms[a]`` in the image frame, for
    ``atoms`` checked by ``check_atoms``; ``grad`` is dL/d(image), C-contiguous
    (C, L, L, L); ``work`` holds ``gradient_work_doubles(L)`` doubles;
    ``owner`` (max aggregation) from ``draw_atoms``, else NULL."""
    if is_float32:
        gradients_typed(<const float *>grad, owner, g, props, fill, atoms, n, work, out)
    else:
        gradients_typed(<const double *>grad, owner, g, props, fill, atoms, n, work, out)
