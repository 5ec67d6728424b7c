# What an atom puts in a voxel: the fill code (src/codes.h) and, for the
# density fills, the density's shape.  Passed beside the grid (GridSpec,
# _geometry.pxd), which holds only the image's geometry.

from libc.math cimport exp


cdef struct FillSpec:
    int code                  # a Fill code (FILL_*, _codes.pxd)
    # Density fills (FILL_GAUSSIAN, FILL_BINARY; set_density_shape): the radius
    # scale, the Gaussian's extent G (in radii), where the density reaches 0
    # (final, in radii) and the quadratic q(d/r) = (qa d/r + qb) d/r + qc
    # that continues the Gaussian beyond G (all 0 for a truncated Gaussian).
    double radius_scale
    double gauss_mult
    double final_mult
    double qa, qb, qc
    # Where a discontinuous density (binary, truncated) jumps, decide voxel
    # centres at the cut as libmolgrid's float32 arithmetic does (its grid
    # origin: the first voxel centre; see vcy_density's ties).
    bint libmolgrid_ties


cdef inline void set_fill(FillSpec *f, int code) noexcept nogil:
    """A fill with the default density shape (radius scale 1, G = 1), no ties."""
    f.code = code
    set_density_shape(f, 1.0, 1.0)
    f.libmolgrid_ties = False


cdef inline void set_density_shape(FillSpec *f, double radius_scale,
                                   double gaussian_radius_multiple) noexcept nogil:
    """libmolgrid's Gaussian density for radius r' = r * radius_scale: exp(-2 d^2 /
    r'^2) up to d = G r', then the quadratic in d / r' with the same value and
    slope, 0 from (1 + 2 G^2) / (2 G) r' on; a negative G truncates the
    Gaussian at |G| r' (no quadratic)."""
    cdef double G = gaussian_radius_multiple, e
    f.radius_scale = radius_scale
    if G < 0:
        G = -G
        f.gauss_mult = G
        f.final_mult = G
        f.qa = f.qb = f.qc = 0
        return
    f.gauss_mult = G
    f.final_mult = (1 + 2 * G * G) / (2 * G)
    e = exp(-2 * G * G)
    f.qa = e * 4 * G * G
    f.qb = -e * (4 * G + 8 * G * G * G)
    f.qc = e * (4 * G * G * G * G + 4 * G * G + 1)
