/*
 * density.c -- libmolgrid's Gaussian and binary densities at voxel centres,
 * over blocks of voxels, vectorised and compiled for the same SIMD paths as
 * the exact fill's block kernels (overlap_block.c picks the path;
 * vcy_block_path()); see density.h for the interface.
 *
 * The Gaussian exp(-2 d^2 / r^2) separates into three per-axis factors, so a
 * voxel inside G r costs two multiplications; between G r and the final
 * radius the quadratic (qa t + qb) t + qc in t = d / r continues it with the
 * same value and slope (libmolgrid's GridMaker), clamped at 0.  The binary
 * density is 1 where d < r.
 *
 * Gradient: d value / dc = h (p - c), with h = 4 value / r^2 inside G r and
 * h = -(2 qa t + qb) / (r^2 t) in the quadratic part (0 beyond the final
 * radius).
 */
#include "density.h"

#include <math.h>

#include "overlap_block.h"
#include "overlap_simd.h"

/* The Gaussian's value at squared distance rsq from the atom's centre; gauss
 * is exp(-2 rsq / r^2) (the product of the per-axis factors, used inside
 * G r).  Branch-free (selects, no short-circuit), so that loops over it
 * vectorise; every kernel computes a voxel's value with these operations. */
#define VCY_GAUSS_CONSTS(d)                                                           \
    const double inv_r2 = (d)->inv_r2, inner2 = (d)->inner2, outer2 = (d)->outer2;    \
    const double qa = (d)->qa, qb = (d)->qb, qc = (d)->qc

VCY_INLINE double gauss_value(double rsq, double gauss, double inv_r2, double inner2,
                              double outer2, double qa, double qb, double qc)
{
    const double t = sqrt(rsq * inv_r2);
    double q = (qa * t + qb) * t + qc;
    q = ((q > 0.0) & (rsq < outer2)) ? q : 0.0;
    return (rsq <= inner2) ? gauss : q;
}

/* h with d value / dc = h (p - c), the Gaussian's; branch-free as gauss_value.
 * The quadratic is qa (t - t_f)^2 (its two roots meet at the final radius
 * t_f: _fill.pxd), positive inside it, so unlike gauss_value the slope needs
 * no test of q: within the final radius it is the quadratic's (0 from there;
 * qa = qb = 0 where the Gaussian is truncated).  The factors of t are grouped
 * so that the loop-invariant products (-2 qa / r^2, -qb / r^2, 4 / r^2) are
 * computed once per block. */
VCY_INLINE double gauss_slope(double rsq, double gauss, double inv_r2, double inner2,
                              double outer2, double qa, double qb, double qc)
{
    const double t = sqrt(rsq * inv_r2);
    const double tt = t > 0.0 ? t : 1.0;
    const double h_outer = (rsq < outer2)
                               ? ((-2.0 * qa * inv_r2) * t + (-qb * inv_r2)) / tt : 0.0;
    (void)qc;
    return (rsq <= inner2) ? gauss * (4.0 * inv_r2) : h_outer;
}

/* The voxels [*k0, *k1) of a row, at squared in-plane distance dxy2, that can
 * be within the final radius: the others have value and slope 0 (squared
 * offsets along a row fall, then rise, so they are the two ends). */
VCY_INLINE void row_span(const double *sz, int n, double dxy2, double outer2,
                         int *k0, int *k1)
{
    int lo = 0, hi = n;
    while (lo < hi && !(dxy2 + sz[lo] < outer2)) ++lo;
    while (hi > lo && !(dxy2 + sz[hi - 1] < outer2)) --hi;
    *k0 = lo;
    *k1 = hi;
}

/* The density at squared distance rsq (the binary density: 1 where d < r). */
VCY_INLINE double density_value(const vcy_density *d, double rsq, double gauss)
{
    if (d->binary) return (rsq < d->inner2) ? 1.0 : 0.0;  /* inner2 = r^2 there */
    VCY_GAUSS_CONSTS(d);
    return gauss_value(rsq, gauss, inv_r2, inner2, outer2, qa, qb, qc);
}

/* Whether libmolgrid puts the voxel centre at float32 offsets (x, y, z) from
 * the atom inside the cut: its sum of squares and comparison, in float. */
VCY_INLINE int tie_inside(const vcy_density *d, float x, float y, float z)
{
    float rsq = x * x;
    rsq += y * y;
    rsq += z * z;
    if (d->binary) return rsq < d->tie_cut;
    return !(sqrtf(rsq) > d->tie_cut);
}

/* The density at squared distance rsq, libmolgrid's decision at a tie. */
VCY_INLINE double tie_value(const vcy_density *d, double rsq, double gauss, float x,
                            float y, float z)
{
    if (fabs(rsq - d->tie_cut2) < d->tie_band2) {
        if (!tie_inside(d, x, y, z)) return 0.0;
        return d->binary ? 1.0 : gauss;
    }
    return density_value(d, rsq, gauss);
}

/* Whether a row (squared in-plane distance dxy2, squared offsets sz) has a
 * voxel centre at a tie (branch-free, to vectorise). */
VCY_INLINE int row_has_tie(const vcy_density *d, double dxy2, const double *sz, int n)
{
    int near = 0;
    for (int k = 0; k < n; ++k) near |= fabs(dxy2 + sz[k] - d->tie_cut2) < d->tie_band2;
    return near;
}

/* libmolgrid's density over one slab (see density.h). */
VCY_INLINE void density_slab_impl(const vcy_density *d, double dx2, const double *dy2,
                                  int ny, const double *dz2, int nz, double ex,
                                  const double *ey, const double *ez, double *out)
{
    for (int j = 0; j < ny; ++j) {
        const double dxy2 = dx2 + dy2[j];
        const double exy = ex * ey[j];
        double *row = out + (long)j * nz;
        if (d->tie_off[0] && row_has_tie(d, dxy2, dz2, nz)) {
            const float x = d->tie_off[0][d->tie_i], y = d->tie_off[1][j];
            for (int k = 0; k < nz; ++k)
                row[k] = tie_value(d, dxy2 + dz2[k], exy * ez[k], x, y, d->tie_off[2][k]);
            continue;
        }
        for (int k = 0; k < nz; ++k) row[k] = density_value(d, dxy2 + dz2[k], exy * ez[k]);
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
        const double *sy = sq + n0, *sz = sq + n0 + n1;                               \
        const double *fy = fac + n0, *fz = fac + n0 + n1;                             \
        VCY_GAUSS_CONSTS(d);                                                          \
        const int binary = d->binary;                                                 \
        const double row_limit = d->tie_off[0] ? outer2 + d->tie_band2 : outer2;      \
        for (int i = 0; i < n0; ++i) {                                                \
            for (int j = 0; j < n1; ++j) {                                            \
                const double dxy2 = sq[i] + sy[j];                                    \
                if (!(dxy2 < row_limit)) continue;                                    \
                const double exy = fac[i] * fy[j];                                    \
                real_t *restrict row = img + (i * L + j) * L;                         \
                if (d->tie_off[0] && row_has_tie(d, dxy2, sz, n2)) {                  \
                    const float x = d->tie_off[0][i], y = d->tie_off[1][j];           \
                    for (int k = 0; k < n2; ++k)                                      \
                        row[k] += (real_t)(weight * tie_value(d, dxy2 + sz[k],        \
                                                              exy * fz[k], x, y,      \
                                                              d->tie_off[2][k]));     \
                } else if (binary) {                                                  \
                    for (int k = 0; k < n2; ++k)                                      \
                        row[k] += (real_t)(weight * ((dxy2 + sz[k] < inner2) ? 1.0 : 0.0)); \
                } else {                                                              \
                    for (int k = 0; k < n2; ++k)                                      \
                        row[k] += (real_t)(weight * gauss_value(dxy2 + sz[k], exy * fz[k], \
                                                                inv_r2, inner2, outer2, \
                                                                qa, qb, qc));         \
                }                                                                     \
            }                                                                         \
        }                                                                             \
    }

VCY_DENSITY_BLOCK(density_block_f32_impl, float)
VCY_DENSITY_BLOCK(density_block_f64_impl, double)

/* The terms of the gradient are summed in this many lanes (a vector of
 * doubles at AVX-512), added up once per plane (x) and once per block (y, z). */
#define VCY_GRAD_LANES 8

/* Lane l's term of voxel k of a row: dL/dvalue times the slope (0 unless
 * take), into the plane's sum ph and, times the offsets, the y and z sums. */
#define VCY_GRAD_TERM(k, take)                                                        \
    do {                                                                              \
        const double term = (double)row[k] * gauss_slope(dxy2 + sz[k], exy * fz[k],  \
                                                         inv_r2, inner2, outer2, qa,  \
                                                         qb, qc);                     \
        const double hk = (take) ? term : 0.0;                                        \
        ph[l] += hk;                                                                  \
        ay[l] += hk * oyj;                                                            \
        az[l] += hk * oz[k];                                                          \
    } while (0)

/* The Gaussian's gradient over a whole block of dL/d(value) (rows
 * row_stride apart, planes plane_stride apart): s += sum g(i, j, k) h (p - c).
 * Each row's span within the final radius goes by whole vectors of
 * VCY_GRAD_LANES voxels, its tail as the row's last whole vector with the
 * lanes already counted selected to 0 (a scalar tail only when the block is
 * narrower than a vector); each lane keeps its own sums. */
#define VCY_DENSITY_GRAD_BLOCK(name, real_t)                                          \
    VCY_INLINE void name(const vcy_density *d, int n0, int n1, int n2,               \
                         const double *restrict off, const double *restrict sq,       \
                         const double *restrict fac, const real_t *restrict grad,     \
                         long row_stride, long plane_stride, double *s)               \
    {                                                                                 \
        const double *oy = off + n0, *oz = off + n0 + n1;                             \
        const double *sy = sq + n0, *sz = sq + n0 + n1;                               \
        const double *fy = fac + n0, *fz = fac + n0 + n1;                             \
        VCY_GAUSS_CONSTS(d);                                                          \
        double ay[VCY_GRAD_LANES] = {0}, az[VCY_GRAD_LANES] = {0};                    \
        double sx = 0.0;                                                              \
        for (int i = 0; i < n0; ++i) {                                                \
            double ph[VCY_GRAD_LANES] = {0};                                          \
            for (int j = 0; j < n1; ++j) {                                            \
                const double dxy2 = sq[i] + sy[j];                                    \
                if (!(dxy2 < outer2)) continue;                                       \
                const double exy = fac[i] * fy[j], oyj = oy[j];                       \
                const real_t *restrict row = grad + i * plane_stride + j * row_stride; \
                int first, last;                                                      \
                row_span(sz, n2, dxy2, outer2, &first, &last);                        \
                int k = first;                                                        \
                for (; k + VCY_GRAD_LANES <= last; k += VCY_GRAD_LANES)               \
                    for (int l = 0; l < VCY_GRAD_LANES; ++l) VCY_GRAD_TERM(k + l, 1); \
                if (k < last && last >= VCY_GRAD_LANES) {                             \
                    const int w = last - VCY_GRAD_LANES;                              \
                    for (int l = 0; l < VCY_GRAD_LANES; ++l)                          \
                        VCY_GRAD_TERM(w + l, w + l >= k);                             \
                } else {                                                              \
                    for (int l = 0; k + l < last; ++l) VCY_GRAD_TERM(k + l, 1);       \
                }                                                                     \
            }                                                                         \
            double plane = 0.0;                                                       \
            for (int l = 0; l < VCY_GRAD_LANES; ++l) plane += ph[l];                  \
            sx += plane * off[i];                                                     \
        }                                                                             \
        double ty = 0.0, tz = 0.0;                                                    \
        for (int l = 0; l < VCY_GRAD_LANES; ++l) {                                    \
            ty += ay[l];                                                              \
            tz += az[l];                                                              \
        }                                                                             \
        s[0] += sx;                                                                   \
        s[1] += ty;                                                                   \
        s[2] += tz;                                                                   \
    }

VCY_DENSITY_GRAD_BLOCK(density_grad_f32_impl, float)
VCY_DENSITY_GRAD_BLOCK(density_grad_f64_impl, double)

/* The per-axis terms of a small block of N centres per axis: the offsets
 * from the voxel centres (first[a] + m res - c[a], m < N, padded past n[a]),
 * their squares sq[a N + m] and Gaussian factors fac[a N + m]; the 3 N
 * exponentials padded to whole vectors of 8, in one vectorised loop. */
#define VCY_SMALL_TERMS(N) ((3 * (N) + 7) / 8 * 8)
VCY_INLINE void small_terms(int N, const double *first, double res, const double *c,
                            double inv_r2, double *restrict sq, double *restrict fac)
{
    double arg[VCY_SMALL_TERMS(4)];
    const int terms = VCY_SMALL_TERMS(N);
    for (int t = 0; t < terms; ++t) {
        const int a = t < 3 * N ? t / N : 2, m = t < 3 * N ? t % N : 0;
        const double o = (first[a] + m * res) - c[a];
        sq[t] = o * o;
        arg[t] = -2.0 * sq[t] * inv_r2;
    }
    for (int t = 0; t < terms; ++t) fac[t] = exp_nonpositive(arg[t]);
}

/* The opening of a small-block kernel (both forms below): its signature
 * (vcy_density_small_f32's arguments), the density's constants and the block's
 * per-axis terms sq and fac (small_terms). */
#define VCY_SMALL_BEGIN(name, real_t, N)                                              \
    VCY_INLINE void name(const vcy_density *d, const double *first, double res,      \
                         const double *c, const int *n, real_t *img, long L,          \
                         double weight)                                               \
    {                                                                                 \
        VCY_GAUSS_CONSTS(d);                                                          \
        const int binary = d->binary;                                                 \
        double sq[VCY_SMALL_TERMS(N)], fac[VCY_SMALL_TERMS(N)];                       \
        small_terms(N, first, res, c, inv_r2, sq, fac)

/* A density block of at most N x N x N voxel centres added into one channel
 * (the plain sum), in one pass with constant trip counts: the per-axis terms
 * (small_terms), the N^3 squared distances and factor products, padded to
 * whole vectors of 8 (beyond the reach: value 0, never added), the values
 * (branch-free, so that the compiler vectorises them: gauss_value, as every
 * kernel), the rows added (whole rows at once when the block is N wide
 * along k).  N = 3 or 4. */
#define VCY_DENSITY_SMALL(name, real_t, N)                                            \
    VCY_SMALL_BEGIN(name, real_t, N);                                                 \
        enum { CUBE = N * N * N, PADDED = (N * N * N + 7) / 8 * 8 };                  \
        double rsq[PADDED], g[PADDED], v[PADDED];                                     \
        for (int i = 0; i < N; ++i)                                                   \
            for (int j = 0; j < N; ++j) {                                             \
                const double dxy2 = sq[i] + sq[N + j];                                \
                const double exy = fac[i] * fac[N + j];                               \
                for (int k = 0; k < N; ++k) {                                         \
                    rsq[(i * N + j) * N + k] = dxy2 + sq[2 * N + k];                  \
                    g[(i * N + j) * N + k] = exy * fac[2 * N + k];                    \
                }                                                                     \
            }                                                                         \
        for (int m = CUBE; m < PADDED; ++m) {                                         \
            rsq[m] = outer2;                                                          \
            g[m] = 0.0;                                                               \
        }                                                                             \
        if (binary) {                                                                 \
            for (int m = 0; m < PADDED; ++m)                                          \
                v[m] = weight * ((rsq[m] < inner2) ? 1.0 : 0.0);                      \
        } else {                                                                      \
            for (int m = 0; m < PADDED; ++m)                                          \
                v[m] = weight * gauss_value(rsq[m], g[m], inv_r2, inner2, outer2,     \
                                            qa, qb, qc);                              \
        }                                                                             \
        for (int i = 0; i < n[0]; ++i)                                                \
            for (int j = 0; j < n[1]; ++j) {                                          \
                real_t *restrict row = img + ((long)i * L + j) * L;                   \
                const double *vr = v + (i * N + j) * N;                               \
                if (n[2] == N) {                                                      \
                    for (int k = 0; k < N; ++k) row[k] += (real_t)vr[k];              \
                } else {                                                              \
                    for (int k = 0; k < n[2]; ++k) row[k] += (real_t)vr[k];           \
                }                                                                     \
            }                                                                         \
    }

VCY_DENSITY_SMALL(density_small4_f32, float, 4)
VCY_DENSITY_SMALL(density_small4_f64, double, 4)
VCY_DENSITY_SMALL(density_small3_f32, float, 3)
VCY_DENSITY_SMALL(density_small3_f64, double, 3)

/* The 2-wide block (the usual atom of a 1 A grid), row by row: each row's
 * two values computed and added at once, without the block-wide arrays
 * (their scalar stores and vector loads cost more than 8 voxels' values).
 * The same values as VCY_DENSITY_SMALL. */
#define VCY_DENSITY_SMALL2(name, real_t)                                              \
    VCY_SMALL_BEGIN(name, real_t, 2);                                                 \
        for (int i = 0; i < n[0]; ++i)                                                \
            for (int j = 0; j < n[1]; ++j) {                                          \
                const double dxy2 = sq[i] + sq[2 + j];                                \
                const double exy = fac[i] * fac[2 + j];                               \
                double v[2];                                                          \
                for (int k = 0; k < 2; ++k)                                           \
                    v[k] = weight * (binary ? ((dxy2 + sq[4 + k] < inner2) ? 1.0 : 0.0) \
                                            : gauss_value(dxy2 + sq[4 + k],           \
                                                          exy * fac[4 + k], inv_r2,   \
                                                          inner2, outer2, qa, qb, qc)); \
                real_t *restrict row = img + ((long)i * L + j) * L;                   \
                row[0] += (real_t)v[0];                                               \
                if (n[2] == 2) row[1] += (real_t)v[1];                                \
            }                                                                         \
    }

VCY_DENSITY_SMALL2(density_small2_f32, float)
VCY_DENSITY_SMALL2(density_small2_f64, double)

/* The 2-, 3- or 4-wide block, the smallest that holds n. */
#define VCY_DENSITY_SMALL_ANY(name, real_t, suffix)                                   \
    VCY_INLINE void name(const vcy_density *d, const double *first, double res,      \
                         const double *c, const int *n, real_t *img, long L,          \
                         double weight)                                               \
    {                                                                                 \
        const int widest = n[0] > n[1] ? (n[0] > n[2] ? n[0] : n[2])                  \
                                       : (n[1] > n[2] ? n[1] : n[2]);                 \
        if (widest <= 2)                                                              \
            density_small2_##suffix(d, first, res, c, n, img, L, weight);             \
        else if (widest == 3)                                                         \
            density_small3_##suffix(d, first, res, c, n, img, L, weight);             \
        else                                                                          \
            density_small4_##suffix(d, first, res, c, n, img, L, weight);             \
    }

VCY_DENSITY_SMALL_ANY(density_small_f32_impl, float, f32)
VCY_DENSITY_SMALL_ANY(density_small_f64_impl, double, f64)

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
                                      const double *fac, const float *grad, long row, \
                                      long plane, double *s)                          \
    {                                                                                 \
        density_grad_f32_impl(d, n0, n1, n2, off, sq, fac, grad, row, plane, s);      \
    }                                                                                 \
    attr static void dgrad64_##suffix(const vcy_density *d, int n0, int n1, int n2,   \
                                      const double *off, const double *sq,            \
                                      const double *fac, const double *grad,          \
                                      long row, long plane, double *s)                \
    {                                                                                 \
        density_grad_f64_impl(d, n0, n1, n2, off, sq, fac, grad, row, plane, s);      \
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
    VCY_ON_PATH(density, (d, dx2, dy2, ny, dz2, nz, ex, ey, ez, out));
}

void vcy_density_axes(const double *off, int n, double inv_r2, double *sq, double *fac)
{
    VCY_ON_PATH(axes, (off, n, inv_r2, sq, fac));
}

void vcy_density_block_f32(const vcy_density *d, int n0, int n1, int n2, const double *sq,
                           const double *fac, float *img, long L, double weight)
{
    VCY_ON_PATH(dblock32, (d, n0, n1, n2, sq, fac, img, L, weight));
}

void vcy_density_block_f64(const vcy_density *d, int n0, int n1, int n2, const double *sq,
                           const double *fac, double *img, long L, double weight)
{
    VCY_ON_PATH(dblock64, (d, n0, n1, n2, sq, fac, img, L, weight));
}

void vcy_density_grad_block_f32(const vcy_density *d, int n0, int n1, int n2,
                                const double *off, const double *sq, const double *fac,
                                const float *grad, long row, long plane, double *s)
{
    VCY_ON_PATH(dgrad32, (d, n0, n1, n2, off, sq, fac, grad, row, plane, s));
}

void vcy_density_grad_block_f64(const vcy_density *d, int n0, int n1, int n2,
                                const double *off, const double *sq, const double *fac,
                                const double *grad, long row, long plane, double *s)
{
    VCY_ON_PATH(dgrad64, (d, n0, n1, n2, off, sq, fac, grad, row, plane, s));
}

void vcy_density_small_f32(const vcy_density *d, const double *first, double res,
                           const double *c, const int *n, float *img, long L,
                           double weight)
{
    VCY_ON_PATH(dsmall32, (d, first, res, c, n, img, L, weight));
}

void vcy_density_small_f64(const vcy_density *d, const double *first, double res,
                           const double *c, const int *n, double *img, long L,
                           double weight)
{
    VCY_ON_PATH(dsmall64, (d, first, res, c, n, img, L, weight));
}
