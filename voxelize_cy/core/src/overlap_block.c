/*
 * overlap_block.c -- Q on a block of grid corners, vectorised; see
 * overlap_block.h for the interface and overlap.c for the method (the
 * formulas here are those of pair_terms and corner_from_pairs there, written
 * branch-free over arrays).
 *
 * Arctangent.  Every angle of the pair terms is atan2(y, x) with y, x >= 0.
 * With t = min(y, x) / max(y, x) in [0, 1], reduced once more to
 * u = (t - 1) / (t + 1) = (y' - x') / (y' + x') when t > tan(pi/8) (then
 * atan t = pi/4 + atan u), so that |u| <= tan(pi/8), with one division; atan u = u + u s P(s), s = u^2, with P of degree 11
 * fitted by weighted least squares to (atan u - u) / u^3 in 50-digit
 * arithmetic (ATAN_P in overlap_simd.h; tests/test_simd.py checks the bound on
 * every SIMD path): at most 1.0 ulp of atan u from the
 * polynomial and its rounding, about 1 ulp after the reductions.  The
 * numerator and denominator are selected before the one division: no branch,
 * so the loops vectorise.
 */
#include "overlap_block.h"

#include <math.h>


#include "overlap_simd.h"

/* Zero the w of the table of (pa[j], qb[k]) and list its pairs inside the ball:
 * their coordinates into pv, qv and their table entries into at
 * (j * nb + k); returns the new length of the list. */
static int list_pairs(const double *pa, int na, const double *qb, int nb,
                      const vcy_pairs *table, double *pv, double *qv, long *at, int n)
{
    /* Only w is read outside the ball (the angles and z are read for the
     * corners inside it, whose pairs are inside too). */
    const long size = (long)na * nb;
    for (long t = 0; t < size; ++t) table->w[t] = 0.0;
    /* Branch-free compaction: every candidate is written at n, which moves
     * on only for a pair inside (an unpredictable test: no jump on it). */
    /* The coordinates rise along each axis, so those inside (< 1) are one
     * run: skip the planes beyond the ball at either end. */
    int k0 = 0, k1 = nb;
    while (k0 < k1 && !(qb[k0] < 1.0)) ++k0;
    while (k1 > k0 && !(qb[k1 - 1] < 1.0)) --k1;
    for (int j = 0; j < na; ++j) {
        const double p = pa[j];
        if (!(p < 1.0)) continue;
        for (int k = k0; k < k1; ++k) {
            const double q = qb[k];
            pv[n] = p;
            qv[n] = q;
            at[n] = (long)j * nb + k;
            n += (q < 1.0) & (1.0 - p * p - q * q > 0.0);
        }
    }
    return n;
}

/* The plane's Q: the caps and pair terms everywhere, then the corner terms
 * of the corners inside the ball as one batch (listed first, so that the
 * vector loop runs over them only). */
VCY_INLINE void corner_batch(const vcy_block *blk, int i, const int *restrict jl,
                             const int *restrict kl, int n, double *restrict wl)
{
    const int ny = blk->ny, nz = blk->nz;
    const double a = blk->x.a[i];
    const double half_pi = 0.5 * VCY_PI;
    const double *restrict by = blk->y.a;
    const double *restrict cz = blk->z.a;
    const double *restrict xy_z = blk->xy.z + (long)i * ny;
    const double *restrict xy_alpha = blk->xy.alpha + (long)i * ny;
    const double *restrict xy_pp = blk->xy.phi_p + (long)i * ny;
    const double *restrict xy_pq = blk->xy.phi_q + (long)i * ny;
    const double *restrict xz_z = blk->xz.z + (long)i * nz;
    const double *restrict xz_alpha = blk->xz.alpha + (long)i * nz;
    const double *restrict xz_pp = blk->xz.phi_p + (long)i * nz;
    const double *restrict xz_pq = blk->xz.phi_q + (long)i * nz;
    const double *restrict yz_z = blk->yz.z;
    const double *restrict yz_alpha = blk->yz.alpha;
    const double *restrict yz_pp = blk->yz.phi_p;
    const double *restrict yz_pq = blk->yz.phi_q;
    for (int t = 0; t < n; ++t) {
        /* W(a, b, c) from the three pairs' angles, as corner_from_pairs in
         * overlap.c. */
        const int j = jl[t], k = kl[t];
        const int jk = j * nz + k;
        const double b = by[j], c = cz[k];
        const double zab = xy_z[j], yac = xz_z[k], xbc = yz_z[jk];
        const double excess = (xy_alpha[j] + xz_alpha[k] + yz_alpha[jk]) - VCY_PI;
        const double phi_a = (xy_pp[j] + xz_pp[k]) - half_pi;
        const double phi_b = (xy_pq[j] + yz_pp[jk]) - half_pi;
        const double phi_c = (xz_pq[k] + yz_pq[jk]) - half_pi;
        wl[t] = corner_from_angles(a, b, c, zab, yac, xbc, excess, phi_a, phi_b, phi_c);
    }
}

static void plane_with(const vcy_block *blk, int i, double *restrict q,
                       void (*corners)(const vcy_block *, int, const int *, const int *,
                                       int, double *))
{
    const int ny = blk->ny, nz = blk->nz;
    const double sx = blk->x.sign[i];
    if (sx == 0.0) {
        for (int t = 0; t < ny * nz; ++t) q[t] = 0.0;
        return;
    }
    const double a = blk->x.a[i];
    const double cap_a = blk->x.cap[i];
    const double *restrict cap_z = blk->z.cap;
    const double *restrict xz_w = blk->xz.w + (long)i * nz;
    int *jl = blk->corner_j, *kl = blk->corner_k;
    int n = 0;
    int k0 = 0, k1 = nz;  /* the run of z planes inside the ball */
    while (k0 < k1 && !(blk->z.a[k0] < 1.0)) ++k0;
    while (k1 > k0 && !(blk->z.a[k1 - 1] < 1.0)) --k1;
    /* L without the corner terms, for every corner of the plane. */
    for (int j = 0; j < ny; ++j) {
        const double base = (VCY_PI_6 - cap_a - blk->y.cap[j]) + blk->xy.w[(long)i * ny + j];
        const double *restrict yz_w = blk->yz.w + (long)j * nz;
        double *restrict q_row = q + (long)j * nz;
        for (int k = 0; k < nz; ++k)
            q_row[k] = (base - cap_z[k]) + (xz_w[k] + yz_w[k]);
        const double b = blk->y.a[j];
        if (a < 1.0 && b < 1.0 && blk->y.sign[j] != 0.0) {
            for (int k = k0; k < k1; ++k) {  /* branch-free, as in list_pairs */
                const double c = blk->z.a[k];
                jl[n] = j;
                kl[n] = k;
                n += (c < 1.0) & (1.0 - a * a - b * b - c * c > 0.0);
            }
        }
    }
    corners(blk, i, jl, kl, n, blk->corner_w);
    for (int t = 0; t < n; ++t) q[jl[t] * nz + kl[t]] -= blk->corner_w[t];
    /* Signs, and the clamp at 0 (L >= 0 up to rounding). */
    for (int j = 0; j < ny; ++j) {
        const double sxy = sx * blk->y.sign[j];
        const double *restrict sz = blk->z.sign;
        double *restrict q_row = q + (long)j * nz;
        for (int k = 0; k < nz; ++k) {
            const double v = q_row[k];
            q_row[k] = (sxy * sz[k]) * ((v > 0.0) ? v : 0.0);
        }
    }
}

VCY_INLINE void slab_impl(const double *restrict q_lo, const double *restrict q_hi,
                          int ny, int nz, double fx, const double *restrict fy,
                          const double *restrict fz, double inside, double upper,
                          double scale, double *restrict frac)
{
    const int nz1 = nz + 1;
    for (int j = 0; j < ny; ++j) {
        const double fxy = fx + fy[j];
        const double *restrict h0 = q_hi + (long)j * nz1;
        const double *restrict h1 = h0 + nz1;
        const double *restrict l0 = q_lo + (long)j * nz1;
        const double *restrict l1 = l0 + nz1;
        double *restrict out = frac + (long)j * nz;
        for (int k = 0; k < nz; ++k)
            out[k] = voxel_value(h0, h1, l0, l1, k, scale, upper, inside, fxy + fz[k]);
    }
}

VCY_INLINE void add_f32_impl(float *restrict slab, long row_stride, int ny, int nz,
                             const double *restrict frac, double weight)
{
    for (int j = 0; j < ny; ++j) {
        float *restrict row = slab + j * row_stride;
        const double *restrict f = frac + (long)j * nz;
        for (int k = 0; k < nz; ++k) row[k] += (float)(weight * f[k]);
    }
}

VCY_INLINE void add_f64_impl(double *restrict slab, long row_stride, int ny, int nz,
                             const double *restrict frac, double weight)
{
    for (int j = 0; j < ny; ++j) {
        double *restrict row = slab + j * row_stride;
        const double *restrict f = frac + (long)j * nz;
        for (int k = 0; k < nz; ++k) row[k] += weight * f[k];
    }
}

VCY_INLINE void atan2_impl(const double *restrict y, const double *restrict x,
                           double *restrict out, int n)
{
    for (int i = 0; i < n; ++i) out[i] = atan2_q1(y[i], x[i]);
}

VCY_INLINE void prepare_impl(vcy_block *b, const double *ux, const double *uy,
                             const double *uz)
{
    axis_impl(ux, b->nx, b->x.a, b->x.sign, b->x.cap);
    axis_impl(uy, b->ny, b->y.a, b->y.sign, b->y.cap);
    axis_impl(uz, b->nz, b->z.a, b->z.sign, b->z.cap);
    /* The pairs inside the ball of the three tables, as one batch. */
    const long mm = (long)b->m * b->m;
    int ends[4];
    ends[0] = 0;
    ends[1] = list_pairs(b->x.a, b->nx, b->y.a, b->ny, &b->xy, b->pair_p, b->pair_q,
                         b->pair_at, ends[0]);
    ends[2] = list_pairs(b->x.a, b->nx, b->z.a, b->nz, &b->xz, b->pair_p, b->pair_q,
                         b->pair_at, ends[1]);
    ends[3] = list_pairs(b->y.a, b->ny, b->z.a, b->nz, &b->yz, b->pair_p, b->pair_q,
                         b->pair_at, ends[2]);
    const int n = ends[3];
    double *out = b->pair_out;
    const long cap = 3 * mm;
    pair_batch(b->pair_p, b->pair_q, n, out, out + cap, out + 2 * cap, out + 3 * cap,
               out + 4 * cap);
    /* Back into the tables: the batch lists the xy, then xz, then yz pairs. */
    const vcy_pairs *tables[3] = {&b->xy, &b->xz, &b->yz};
    for (int g = 0; g < 3; ++g) {
        const vcy_pairs *table = tables[g];
        for (int t = ends[g]; t < ends[g + 1]; ++t) {
            const long e = b->pair_at[t];
            table->w[e] = out[t];
            table->z[e] = out[cap + t];
            table->alpha[e] = out[2 * cap + t];
            table->phi_p[e] = out[3 * cap + t];
            table->phi_q[e] = out[4 * cap + t];
        }
    }
}

/* One copy of each routine per SIMD path: the same source, compiled for the
 * path's instruction set (always_inline bodies above). */
#define VCY_PATH_FUNCTIONS(suffix, attr)                                              \
    attr static void prepare_##suffix(vcy_block *b, const double *ux, const double *uy, \
                                      const double *uz)                               \
    {                                                                                 \
        prepare_impl(b, ux, uy, uz);                                                  \
    }                                                                                 \
    attr static void corners_##suffix(const vcy_block *b, int i, const int *jl,       \
                                      const int *kl, int n, double *wl)               \
    {                                                                                 \
        corner_batch(b, i, jl, kl, n, wl);                                            \
    }                                                                                 \
    attr static void plane_##suffix(const vcy_block *b, int i, double *q)             \
    {                                                                                 \
        plane_with(b, i, q, corners_##suffix);                                        \
    }                                                                                 \
    attr static void atan2_##suffix(const double *y, const double *x, double *out,    \
                                    int n)                                            \
    {                                                                                 \
        atan2_impl(y, x, out, n);                                                     \
    }                                                                                 \
    attr static void slab_##suffix(const double *q_lo, const double *q_hi, int ny,    \
                                   int nz, double fx, const double *fy,               \
                                   const double *fz, double inside, double upper,     \
                                   double scale, double *frac)                        \
    {                                                                                 \
        slab_impl(q_lo, q_hi, ny, nz, fx, fy, fz, inside, upper, scale, frac);        \
    }                                                                                 \
    attr static void add_f32_##suffix(float *slab, long row_stride, int ny, int nz,   \
                                      const double *frac, double weight)              \
    {                                                                                 \
        add_f32_impl(slab, row_stride, ny, nz, frac, weight);                         \
    }                                                                                 \
    attr static void add_f64_##suffix(double *slab, long row_stride, int ny, int nz,  \
                                      const double *frac, double weight)              \
    {                                                                                 \
        add_f64_impl(slab, row_stride, ny, nz, frac, weight);                         \
    }

VCY_PATH_FUNCTIONS(base, )
#if VCY_BLOCK_DISPATCH
VCY_PATH_FUNCTIONS(avx2, __attribute__((target("avx2"))))
VCY_PATH_FUNCTIONS(avx512, __attribute__((target("avx512f"))))
#endif

int vcy_block_best_path(void)
{
#if VCY_BLOCK_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
#endif
    return 0;
}

/* -1 until first use; a benign race (every thread writes the same value). */
static int current_path = -1;

int vcy_block_path(void)
{
    int path = current_path;
    if (path < 0) {
        path = vcy_block_best_path();
        current_path = path;
    }
    return path;
}

int vcy_block_set_path(int path)
{
    if (path < 0) {
        current_path = vcy_block_best_path();
    } else if (path <= vcy_block_best_path()) {
        current_path = path;
    }
    return vcy_block_path();
}

void vcy_block_prepare(vcy_block *b, const double *ux, const double *uy, const double *uz)
{
    VCY_ON_PATH(prepare, (b, ux, uy, uz));
}

void vcy_block_plane(const vcy_block *b, int i, double *q)
{
    VCY_ON_PATH(plane, (b, i, q));
}

void vcy_block_atan2(const double *y, const double *x, double *out, int n)
{
    VCY_ON_PATH(atan2, (y, x, out, n));
}

void vcy_block_slab(const double *q_lo, const double *q_hi, int ny, int nz, double fx,
                    const double *fy, const double *fz, double inside, double upper,
                    double scale, double *frac)
{
    VCY_ON_PATH(slab, (q_lo, q_hi, ny, nz, fx, fy, fz, inside, upper, scale, frac));
}

void vcy_block_add_f32(float *slab, long row_stride, int ny, int nz, const double *frac,
                       double weight)
{
    VCY_ON_PATH(add_f32, (slab, row_stride, ny, nz, frac, weight));
}

void vcy_block_add_f64(double *slab, long row_stride, int ny, int nz, const double *frac,
                       double weight)
{
    VCY_ON_PATH(add_f64, (slab, row_stride, ny, nz, frac, weight));
}

long vcy_block_work_doubles(int m)
{
    /* three axes x 3 arrays x m; three pair tables x 5 arrays x m^2; the pair
     * batch: p, q, table entry (a long) and 5 outputs x 3 m^2; the corner
     * batch: j, k (ints, one double for two) and w x m^2. */
    const long mm = (long)m * m;
    return 9L * m + 15L * mm + 8L * 3 * mm + 2L * mm + 8;
}

void vcy_block_init(vcy_block *b, double *work, int m, int nx, int ny, int nz)
{
    const long mm = (long)m * m;
    vcy_axis *axes[3] = {&b->x, &b->y, &b->z};
    for (int t = 0; t < 3; ++t) {
        axes[t]->a = work;
        axes[t]->sign = work + m;
        axes[t]->cap = work + 2L * m;
        work += 3L * m;
    }
    vcy_pairs *tables[3] = {&b->xy, &b->xz, &b->yz};
    for (int t = 0; t < 3; ++t) {
        tables[t]->w = work;
        tables[t]->z = work + mm;
        tables[t]->alpha = work + 2 * mm;
        tables[t]->phi_p = work + 3 * mm;
        tables[t]->phi_q = work + 4 * mm;
        work += 5 * mm;
    }
    b->pair_p = work;
    b->pair_q = work + 3 * mm;
    b->pair_at = (long *)(work + 6 * mm);  /* a long fits in a double's 8 bytes */
    b->pair_out = work + 9 * mm;
    work += 24 * mm;
    b->corner_w = work;
    b->corner_j = (int *)(work + mm);
    b->corner_k = b->corner_j + mm;
    b->m = m;
    b->nx = nx;
    b->ny = ny;
    b->nz = nz;
}
