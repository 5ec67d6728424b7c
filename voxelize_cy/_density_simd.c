/*
 * _density_simd.c -- libmolgrid's densities over blocks of voxel centres,
 * vectorised and compiled for the same SIMD paths as the exact fill's block
 * kernels (_overlap_block.c picks the path; vcy_block_path()).  The formulas
 * are those of _density.c: the Gaussian as a product of per-axis factors
 * inside G r, the quadratic tail beyond, the binary step; see _density.h for
 * the interface.
 */
#include "_density.h"

#include <math.h>

#include "_overlap_block.h"
#include "_overlap_simd.h"

/* libmolgrid's density over one slab (see _density.h). */
VCY_INLINE void density_slab_impl(const vcy_density *d, double dx2, const double *dy2,
                                  int ny, const double *dz2, int nz, double ex,
                                  const double *ey, const double *ez, double *out)
{
    const double inner2 = d->inner2, outer2 = d->outer2, inv_r2 = d->inv_r2;
    const double qa = d->qa, qb = d->qb, qc = d->qc;
    for (int j = 0; j < ny; ++j) {
        const double dxy2 = dx2 + dy2[j];
        const double exy = ex * ey[j];
        double *row = out + (long)j * nz;
        if (d->binary) {
            /* inner2 holds r^2 for the binary density */
            for (int k = 0; k < nz; ++k) row[k] = (dxy2 + dz2[k] < inner2) ? 1.0 : 0.0;
            continue;
        }
        for (int k = 0; k < nz; ++k) {
            const double rsq = dxy2 + dz2[k];
            const double t = sqrt(rsq * inv_r2);
            double q = (qa * t + qb) * t + qc;
            q = (q > 0.0 && rsq < outer2) ? q : 0.0;
            row[k] = (rsq <= inner2) ? exy * ez[k] : q;
        }
    }
}

/* Squares and Gaussian factors exp(-2 o^2 / r^2) of n offsets o. */
VCY_INLINE void density_axes_impl(const double *restrict off, int n, double inv_r2,
                                  double *restrict sq, double *restrict fac)
{
    for (int t = 0; t < n; ++t) {
        sq[t] = off[t] * off[t];
        fac[t] = exp_nonpositive(-2.0 * sq[t] * inv_r2);
    }
}

/* A whole block of libmolgrid's density added into one channel (the plain
 * sum): img[(i L + j) L + k] += weight * value(i, j, k), rows along k. */
#define VCY_DENSITY_BLOCK(name, real_t)                                               \
    VCY_INLINE void name(const vcy_density *d, int n0, int n1, int n2,               \
                         const double *restrict sq, const double *restrict fac,       \
                         real_t *restrict img, long L, double weight)                 \
    {                                                                                 \
        const double inner2 = d->inner2, outer2 = d->outer2, inv_r2 = d->inv_r2;      \
        const double qa = d->qa, qb = d->qb, qc = d->qc;                              \
        const double *sy = sq + n0, *sz = sq + n0 + n1;                               \
        const double *fy = fac + n0, *fz = fac + n0 + n1;                             \
        for (int i = 0; i < n0; ++i) {                                                \
            for (int j = 0; j < n1; ++j) {                                            \
                const double dxy2 = sq[i] + sy[j];                                    \
                if (!(dxy2 < outer2)) continue;                                       \
                const double exy = fac[i] * fy[j];                                    \
                real_t *restrict row = img + (i * L + j) * L;                         \
                if (d->binary) {                                                      \
                    for (int k = 0; k < n2; ++k)                                      \
                        row[k] += (real_t)(weight * ((dxy2 + sz[k] < inner2) ? 1.0 : 0.0)); \
                    continue;                                                         \
                }                                                                     \
                for (int k = 0; k < n2; ++k) {                                        \
                    const double rsq = dxy2 + sz[k];                                  \
                    const double t = sqrt(rsq * inv_r2);                              \
                    double q = (qa * t + qb) * t + qc;                                \
                    q = (q > 0.0 && rsq < outer2) ? q : 0.0;                          \
                    row[k] += (real_t)(weight * ((rsq <= inner2) ? exy * fz[k] : q)); \
                }                                                                     \
            }                                                                         \
        }                                                                             \
    }

VCY_DENSITY_BLOCK(density_block_f32_impl, float)
VCY_DENSITY_BLOCK(density_block_f64_impl, double)

/* The Gaussian's gradient over a whole block, from one channel of dL/d(image):
 * s += sum g(i, j, k) h(d) (p - c), h as in _density.c. */
#define VCY_DENSITY_GRAD_BLOCK(name, real_t)                                          \
    VCY_INLINE void name(const vcy_density *d, int n0, int n1, int n2,               \
                         const double *restrict off, const double *restrict sq,       \
                         const double *restrict fac, const real_t *restrict grad,     \
                         long L, double *s)                                           \
    {                                                                                 \
        const double inner2 = d->inner2, outer2 = d->outer2, inv_r2 = d->inv_r2;      \
        const double qa = d->qa, qb = d->qb, qc = d->qc;                              \
        const double *oy = off + n0, *oz = off + n0 + n1;                             \
        const double *sy = sq + n0, *sz = sq + n0 + n1;                               \
        const double *fy = fac + n0, *fz = fac + n0 + n1;                             \
        double sx = 0.0, sy_ = 0.0, sz_ = 0.0;                                        \
        for (int i = 0; i < n0; ++i) {                                                \
            double plane_h = 0.0;                                                     \
            for (int j = 0; j < n1; ++j) {                                            \
                const double dxy2 = sq[i] + sy[j];                                    \
                if (!(dxy2 < outer2)) continue;                                       \
                const double exy = fac[i] * fy[j];                                    \
                const real_t *restrict row = grad + (i * L + j) * L;                  \
                double row_h = 0.0, row_z = 0.0;                                      \
                for (int k = 0; k < n2; ++k) {                                        \
                    const double rsq = dxy2 + sz[k];                                  \
                    const double t = sqrt(rsq * inv_r2);                              \
                    const double q = (qa * t + qb) * t + qc;                          \
                    const double tt = t > 0.0 ? t : 1.0;                              \
                    const double h_outer = (q > 0.0 && rsq < outer2)                  \
                                               ? -(2.0 * qa * t + qb) * inv_r2 / tt : 0.0; \
                    const double h = (rsq <= inner2) ? 4.0 * exy * fz[k] * inv_r2 : h_outer; \
                    const double gh = (double)row[k] * h;                             \
                    row_h += gh;                                                      \
                    row_z += gh * oz[k];                                              \
                }                                                                     \
                plane_h += row_h;                                                     \
                sy_ += row_h * oy[j];                                                 \
                sz_ += row_z;                                                         \
            }                                                                         \
            sx += plane_h * off[i];                                                   \
        }                                                                             \
        s[0] += sx;                                                                   \
        s[1] += sy_;                                                                  \
        s[2] += sz_;                                                                  \
    }

VCY_DENSITY_GRAD_BLOCK(density_grad_f32_impl, float)
VCY_DENSITY_GRAD_BLOCK(density_grad_f64_impl, double)

/* A density block of at most N x N x N voxel centres added into
 * one channel (the plain sum), in one pass with constant trip counts: offsets
 * from the voxel centres (first[a] + t * res - c[a], t < N, padded past
 * n[a]), their 3 N Gaussian factors in one batch, the N^3 values, the rows
 * added.  N = 2, 3 or 4. */
#define VCY_DENSITY_SMALL(name, real_t, N)                                            \
    VCY_INLINE void name(const vcy_density *d, const double *first, double res,      \
                         const double *c, const int *n, real_t *img, long L,          \
                         double weight)                                               \
    {                                                                                 \
        double off[3 * N], sq[3 * N], fac[3 * N];                                     \
        for (int t = 0; t < 3 * N; ++t) {                                             \
            const int a = t / N, m = t % N;                                           \
            off[t] = (first[a] + m * res) - c[a];                                     \
            sq[t] = off[t] * off[t];                                                  \
            fac[t] = exp_nonpositive(-2.0 * sq[t] * d->inv_r2);                       \
        }                                                                             \
        const double inner2 = d->inner2, outer2 = d->outer2, inv_r2 = d->inv_r2;      \
        const double qa = d->qa, qb = d->qb, qc = d->qc;                              \
        double v[N][N][N];                                                            \
        for (int i = 0; i < N; ++i)                                                   \
            for (int j = 0; j < N; ++j) {                                             \
                const double dxy2 = sq[i] + sq[N + j];                                \
                const double exy = fac[i] * fac[N + j];                               \
                for (int k = 0; k < N; ++k) {                                         \
                    const double rsq = dxy2 + sq[2 * N + k];                          \
                    double value;                                                     \
                    if (d->binary) {                                                  \
                        value = (rsq < inner2) ? 1.0 : 0.0;                           \
                    } else {                                                          \
                        const double t = sqrt(rsq * inv_r2);                          \
                        double q = (qa * t + qb) * t + qc;                            \
                        q = (q > 0.0 && rsq < outer2) ? q : 0.0;                      \
                        value = (rsq <= inner2) ? exy * fac[2 * N + k] : q;           \
                    }                                                                 \
                    v[i][j][k] = weight * value;                                      \
                }                                                                     \
            }                                                                         \
        for (int i = 0; i < n[0]; ++i)                                                \
            for (int j = 0; j < n[1]; ++j) {                                          \
                real_t *restrict row = img + ((long)i * L + j) * L;                   \
                for (int k = 0; k < n[2]; ++k) row[k] += (real_t)v[i][j][k];          \
            }                                                                         \
    }

VCY_DENSITY_SMALL(density_small4_f32, float, 4)
VCY_DENSITY_SMALL(density_small4_f64, double, 4)
VCY_DENSITY_SMALL(density_small2_f32, float, 2)
VCY_DENSITY_SMALL(density_small2_f64, double, 2)
VCY_DENSITY_SMALL(density_small3_f32, float, 3)
VCY_DENSITY_SMALL(density_small3_f64, double, 3)

/* The 2-, 3- or 4-wide block, the smallest that holds n. */
VCY_INLINE void density_small_f32_impl(const vcy_density *d, const double *first,
                                       double res, const double *c, const int *n,
                                       float *img, long L, double weight)
{
    const int widest = n[0] > n[1] ? (n[0] > n[2] ? n[0] : n[2]) : (n[1] > n[2] ? n[1] : n[2]);
    if (widest <= 2)
        density_small2_f32(d, first, res, c, n, img, L, weight);
    else if (widest == 3)
        density_small3_f32(d, first, res, c, n, img, L, weight);
    else
        density_small4_f32(d, first, res, c, n, img, L, weight);
}

VCY_INLINE void density_small_f64_impl(const vcy_density *d, const double *first,
                                       double res, const double *c, const int *n,
                                       double *img, long L, double weight)
{
    const int widest = n[0] > n[1] ? (n[0] > n[2] ? n[0] : n[2]) : (n[1] > n[2] ? n[1] : n[2]);
    if (widest <= 2)
        density_small2_f64(d, first, res, c, n, img, L, weight);
    else if (widest == 3)
        density_small3_f64(d, first, res, c, n, img, L, weight);
    else
        density_small4_f64(d, first, res, c, n, img, L, weight);
}

#define VCY_DENSITY_PATH_FUNCTIONS(suffix, attr)                                      \
    attr static void dblock32_##suffix(const vcy_density *d, int n0, int n1, int n2,  \
                                       const double *sq, const double *fac, float *img, \
                                       long L, double weight)                         \
    {                                                                                 \
        density_block_f32_impl(d, n0, n1, n2, sq, fac, img, L, weight);               \
    }                                                                                 \
    attr static void dblock64_##suffix(const vcy_density *d, int n0, int n1, int n2,  \
                                       const double *sq, const double *fac,           \
                                       double *img, long L, double weight)            \
    {                                                                                 \
        density_block_f64_impl(d, n0, n1, n2, sq, fac, img, L, weight);               \
    }                                                                                 \
    attr static void dgrad32_##suffix(const vcy_density *d, int n0, int n1, int n2,   \
                                      const double *off, const double *sq,            \
                                      const double *fac, const float *grad, long L,   \
                                      double *s)                                      \
    {                                                                                 \
        density_grad_f32_impl(d, n0, n1, n2, off, sq, fac, grad, L, s);               \
    }                                                                                 \
    attr static void dgrad64_##suffix(const vcy_density *d, int n0, int n1, int n2,   \
                                      const double *off, const double *sq,            \
                                      const double *fac, const double *grad, long L,  \
                                      double *s)                                      \
    {                                                                                 \
        density_grad_f64_impl(d, n0, n1, n2, off, sq, fac, grad, L, s);               \
    }                                                                                 \
    attr static void dsmall32_##suffix(const vcy_density *d, const double *first,     \
                                       double res, const double *c, const int *n,      \
                                       float *img, long L, double weight)              \
    {                                                                                 \
        density_small_f32_impl(d, first, res, c, n, img, L, weight);                  \
    }                                                                                 \
    attr static void dsmall64_##suffix(const vcy_density *d, const double *first,     \
                                       double res, const double *c, const int *n,      \
                                       double *img, long L, double weight)             \
    {                                                                                 \
        density_small_f64_impl(d, first, res, c, n, img, L, weight);                  \
    }                                                                                 \
    attr static void axes_##suffix(const double *off, int n, double inv_r2, double *sq, \
                                   double *fac)                                       \
    {                                                                                 \
        density_axes_impl(off, n, inv_r2, sq, fac);                                   \
    }                                                                                 \
    attr static void density_##suffix(const vcy_density *d, double dx2,               \
                                      const double *dy2, int ny, const double *dz2,   \
                                      int nz, double ex, const double *ey,            \
                                      const double *ez, double *out)                  \
    {                                                                                 \
        density_slab_impl(d, dx2, dy2, ny, dz2, nz, ex, ey, ez, out);                 \
    }

VCY_DENSITY_PATH_FUNCTIONS(base, )
#if VCY_BLOCK_DISPATCH
VCY_DENSITY_PATH_FUNCTIONS(avx2, __attribute__((target("avx2"))))
VCY_DENSITY_PATH_FUNCTIONS(avx512, __attribute__((target("avx512f"))))
#endif

void vcy_density_slab(const vcy_density *d, double dx2, const double *dy2, int ny,
                      const double *dz2, int nz, double ex, const double *ey,
                      const double *ez, double *out)
{
#if VCY_BLOCK_DISPATCH
    switch (vcy_block_path()) {
    case 2: density_avx512(d, dx2, dy2, ny, dz2, nz, ex, ey, ez, out); return;
    case 1: density_avx2(d, dx2, dy2, ny, dz2, nz, ex, ey, ez, out); return;
    default: break;
    }
#endif
    density_base(d, dx2, dy2, ny, dz2, nz, ex, ey, ez, out);
}

void vcy_density_axes(const double *off, int n, double inv_r2, double *sq, double *fac)
{
#if VCY_BLOCK_DISPATCH
    switch (vcy_block_path()) {
    case 2: axes_avx512(off, n, inv_r2, sq, fac); return;
    case 1: axes_avx2(off, n, inv_r2, sq, fac); return;
    default: break;
    }
#endif
    axes_base(off, n, inv_r2, sq, fac);
}

void vcy_density_block_f32(const vcy_density *d, int n0, int n1, int n2, const double *sq,
                           const double *fac, float *img, long L, double weight)
{
#if VCY_BLOCK_DISPATCH
    switch (vcy_block_path()) {
    case 2: dblock32_avx512(d, n0, n1, n2, sq, fac, img, L, weight); return;
    case 1: dblock32_avx2(d, n0, n1, n2, sq, fac, img, L, weight); return;
    default: break;
    }
#endif
    dblock32_base(d, n0, n1, n2, sq, fac, img, L, weight);
}

void vcy_density_block_f64(const vcy_density *d, int n0, int n1, int n2, const double *sq,
                           const double *fac, double *img, long L, double weight)
{
#if VCY_BLOCK_DISPATCH
    switch (vcy_block_path()) {
    case 2: dblock64_avx512(d, n0, n1, n2, sq, fac, img, L, weight); return;
    case 1: dblock64_avx2(d, n0, n1, n2, sq, fac, img, L, weight); return;
    default: break;
    }
#endif
    dblock64_base(d, n0, n1, n2, sq, fac, img, L, weight);
}

void vcy_density_grad_block_f32(const vcy_density *d, int n0, int n1, int n2,
                                const double *off, const double *sq, const double *fac,
                                const float *grad, long L, double *s)
{
#if VCY_BLOCK_DISPATCH
    switch (vcy_block_path()) {
    case 2: dgrad32_avx512(d, n0, n1, n2, off, sq, fac, grad, L, s); return;
    case 1: dgrad32_avx2(d, n0, n1, n2, off, sq, fac, grad, L, s); return;
    default: break;
    }
#endif
    dgrad32_base(d, n0, n1, n2, off, sq, fac, grad, L, s);
}

void vcy_density_grad_block_f64(const vcy_density *d, int n0, int n1, int n2,
                                const double *off, const double *sq, const double *fac,
                                const double *grad, long L, double *s)
{
#if VCY_BLOCK_DISPATCH
    switch (vcy_block_path()) {
    case 2: dgrad64_avx512(d, n0, n1, n2, off, sq, fac, grad, L, s); return;
    case 1: dgrad64_avx2(d, n0, n1, n2, off, sq, fac, grad, L, s); return;
    default: break;
    }
#endif
    dgrad64_base(d, n0, n1, n2, off, sq, fac, grad, L, s);
}

void vcy_density_small_f32(const vcy_density *d, const double *first, double res,
                           const double *c, const int *n, float *img, long L,
                           double weight)
{
#if VCY_BLOCK_DISPATCH
    switch (vcy_block_path()) {
    case 2: dsmall32_avx512(d, first, res, c, n, img, L, weight); return;
    case 1: dsmall32_avx2(d, first, res, c, n, img, L, weight); return;
    default: break;
    }
#endif
    dsmall32_base(d, first, res, c, n, img, L, weight);
}

void vcy_density_small_f64(const vcy_density *d, const double *first, double res,
                           const double *c, const int *n, double *img, long L,
                           double weight)
{
#if VCY_BLOCK_DISPATCH
    switch (vcy_block_path()) {
    case 2: dsmall64_avx512(d, first, res, c, n, img, L, weight); return;
    case 1: dsmall64_avx2(d, first, res, c, n, img, L, weight); return;
    default: break;
    }
#endif
    dsmall64_base(d, first, res, c, n, img, L, weight);
}
