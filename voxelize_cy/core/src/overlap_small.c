/*
 * overlap_small.c -- the voxels of a small ball in one go.
 *
 * A ball about as large as a voxel (the usual atom: radius 0.5-1 A on a
 * 0.5-1 A grid) meets at most 3 voxels per axis, so its block has at most 4
 * corner planes per axis, of which the outer two lie beyond the ball (u = -1
 * and +1) and at most two cut it.  For such a block everything fits in fixed
 * 4 x 4 x 4 arrays: the pair terms are only those of the planes that cut the
 * ball (at most 2 x 2 per coordinate plane: one batch of 12), the corner terms
 * only those of the corners whose three planes cut it (at most 8), and every
 * loop has a constant trip count, so the compiler unrolls and vectorises it
 * without remainder code.  The formulas are those of overlap_block.c (and
 * overlap.c): Q from caps, pair terms and corner terms, voxel values as
 * 8-term differences of Q.  Blocks that do not fit (larger balls, blocks cut
 * by the image's edge) go through vcy_block_* instead.
 */
#include "overlap_small.h"

#include "overlap_block.h"
#include "overlap_simd.h"

#define N4 4

/* Everything below takes NP (corner planes per axis: 3 or 4) and NR (planes
 * inside the ball per axis: 1 or 2) as constants: always inlined into the
 * callers that fix them, every loop has a constant trip count.  Arrays are
 * sized for the larger case and indexed [plane] or [plane][plane]. */

/* Axis terms of up to NP corner planes, padded with planes beyond the ball
 * (u = +1); the run of planes inside the ball: first *lo, *count of them.
 * 0 when the block does not fit (more than NP planes, more than NR inside). */
VCY_INLINE int small_axis(const double *u, int n1, int NP, int NR, double *a, double *s,
                          double *cap, int *lo, int *count)
{
    if (n1 > NP) return 0;
    double padded[N4];
    for (int m = 0; m < NP; ++m) padded[m] = (m < n1) ? u[m] : 1.0;
    axis_impl(padded, NP, a, s, cap);
    int first = -1, inside = 0;
    for (int m = 0; m < NP; ++m) {
        if (a[m] < 1.0) {  /* the coordinates rise: those inside are one run */
            if (first < 0) first = m;
            ++inside;
        }
    }
    if (inside > NR) return 0;
    *lo = first < 0 ? 0 : first;
    *count = inside;
    return 1;
}

/* The pairs of one coordinate plane: entries (lo_p + dp, lo_q + dq),
 * dp, dq < NR, as batch slots base + dp * NR + dq; a slot whose plane is not
 * inside the ball gets (1, 1) (no pair: its w is set to 0 after the batch). */
VCY_INLINE void small_pair_slots(int NR, const double *pa, int lo_p, int n_p,
                                 const double *qb, int lo_q, int n_q, double *pv,
                                 double *qv, int base)
{
    for (int e = 0; e < NR * NR; ++e) {
        const int dp = e / NR, dq = e % NR;
        const int ok = dp < n_p && dq < n_q;
        pv[base + e] = ok ? pa[lo_p + dp] : 1.0;
        qv[base + e] = ok ? qb[lo_q + dq] : 1.0;
    }
}

/* The w of one coordinate plane's pairs as an NP x NP table: the batch slot
 * base + dp * NR + dq at (lo_p + dp, lo_q + dq), 0 elsewhere. */
VCY_INLINE void small_w_table(int NP, int NR, const double *w_out, int base, int lo_p,
                              int n_p, int lo_q, int n_q, double w[N4][N4])
{
    for (int p = 0; p < NP; ++p) {
        const int dp = p - lo_p;
        for (int q = 0; q < NP; ++q) {
            const int dq = q - lo_q;
            const int ok = dp >= 0 && dp < n_p && dq >= 0 && dq < n_q;
            w[p][q] = ok ? w_out[base + (ok ? dp : 0) * NR + (ok ? dq : 0)] : 0.0;
        }
    }
}

VCY_INLINE int small_impl(int NP, int NR, const double *ux, int nx, const double *uy,
                          int ny, const double *uz, int nz, const double *fx,
                          const double *fy, const double *fz, double inside, double upper,
                          double scale, double *frac)
{
    double ax[N4], sx[N4], cx[N4], ay[N4], sy[N4], cy[N4], az[N4], sz[N4], cz[N4];
    int lx, nlx, ly, nly, lz, nlz;
    if (!small_axis(ux, nx + 1, NP, NR, ax, sx, cx, &lx, &nlx)
            || !small_axis(uy, ny + 1, NP, NR, ay, sy, cy, &ly, &nly)
            || !small_axis(uz, nz + 1, NP, NR, az, sz, cz, &lz, &nlz))
        return 0;

    /* Pair terms of the planes inside the ball: one batch of 3 NR^2 slots. */
    /* (3 slots padded to 4 for NR = 1: one full vector) */
    const int NS = NR * NR, NB = (NR == 1) ? 4 : 3 * NR * NR;
    double pv[12], qv[12], out[5 * 12];
    small_pair_slots(NR, ax, lx, nlx, ay, ly, nly, pv, qv, 0);
    small_pair_slots(NR, ax, lx, nlx, az, lz, nlz, pv, qv, NS);
    small_pair_slots(NR, ay, ly, nly, az, lz, nlz, pv, qv, 2 * NS);
    if (NR == 1) {
        pv[3] = 1.0;
        qv[3] = 1.0;
    }
    pair_batch(pv, qv, NB, out, out + NB, out + 2 * NB, out + 3 * NB, out + 4 * NB);
    for (int t = 0; t < NB; ++t) {  /* a pair outside the ball adds nothing */
        const double p = pv[t], q = qv[t];
        out[t] = (p < 1.0 && q < 1.0 && 1.0 - p * p - q * q > 0.0) ? out[t] : 0.0;
    }
    double w_xy[N4][N4], w_xz[N4][N4], w_yz[N4][N4];
    small_w_table(NP, NR, out, 0, lx, nlx, ly, nly, w_xy);
    small_w_table(NP, NR, out, NS, lx, nlx, lz, nlz, w_xz);
    small_w_table(NP, NR, out, 2 * NS, ly, nly, lz, nlz, w_yz);

    /* Corner terms of the corners whose three planes cut the ball (<= NR^3),
     * from the batch's angles: corner (di, dj, dk) of the runs uses the slots
     * di NR + dj (xy), NS + di NR + dk (xz) and 2 NS + dj NR + dk (yz). */
    const double *zz = out + NB, *al = out + 2 * NB, *fp = out + 3 * NB, *fq = out + 4 * NB;
    double w3[N4][N4][N4];
    for (int i = 0; i < NP; ++i)
        for (int j = 0; j < NP; ++j)
            for (int k = 0; k < NP; ++k) w3[i][j][k] = 0.0;
    double wc[8];
    for (int e = 0; e < NR * NR * NR; ++e) {
        const int di = e / (NR * NR), dj = (e / NR) % NR, dk = e % NR;
        const int sxy = di * NR + dj, sxz = NS + di * NR + dk, syz = 2 * NS + dj * NR + dk;
        const double a = ax[(lx + di) % NP], b = ay[(ly + dj) % NP], c = az[(lz + dk) % NP];
        const double zab = zz[sxy], yac = zz[sxz], xbc = zz[syz];
        const double excess = (al[sxy] + al[sxz] + al[syz]) - VCY_PI;
        const double phi_a = (fp[sxy] + fp[sxz]) - 0.5 * VCY_PI;
        const double phi_b = (fq[sxy] + fp[syz]) - 0.5 * VCY_PI;
        const double phi_c = (fq[sxz] + fq[syz]) - 0.5 * VCY_PI;
        wc[e] = corner_from_angles(a, b, c, zab, yac, xbc, excess, phi_a, phi_b, phi_c);
    }
    for (int e = 0; e < NR * NR * NR; ++e) {
        const int di = e / (NR * NR), dj = (e / NR) % NR, dk = e % NR;
        if (di < nlx && dj < nly && dk < nlz) {
            const int i = lx + di, j = ly + dj, k = lz + dk;
            if (1.0 - ax[i] * ax[i] - ay[j] * ay[j] - az[k] * az[k] > 0.0)
                w3[i][j][k] = wc[e];
        }
    }

    /* Q at every corner (k padded by one: the voxel loop reads k + 1 <= NP). */
    double q[N4][N4][N4 + 1];
    for (int i = 0; i < NP; ++i) {
        for (int j = 0; j < NP; ++j) {
            const double base = (VCY_PI_6 - cx[i] - cy[j]) + w_xy[i][j];
            const double sxy = sx[i] * sy[j];
            for (int k = 0; k < NP; ++k) {
                double v = (base - cz[k]) + (w_xz[i][k] + w_yz[j][k]);
                v -= w3[i][j][k];
                q[i][j][k] = (sxy * sz[k]) * ((v > 0.0) ? v : 0.0);
            }
            q[i][j][NP] = q[i][j][NP - 1];
        }
    }

    /* Voxel values, (NP - 1)^2 x NP (k < nz, j < ny, i < nx are the block's). */
    double fzp[N4];
    for (int k = 0; k < NP; ++k) fzp[k] = (k < nz) ? fz[k] : 2.0;
    for (int i = 0; i < NP - 1; ++i) {
        const double fxi = (i < nx) ? fx[i] : 2.0;
        for (int j = 0; j < NP - 1; ++j) {
            const double fxy = fxi + ((j < ny) ? fy[j] : 2.0);
            const double *h0 = q[i + 1][j], *h1 = q[i + 1][j + 1];
            const double *l0 = q[i][j], *l1 = q[i][j + 1];
            double *o = frac + (i * 3 + j) * N4;
            for (int k = 0; k < NP; ++k)
                o[k] = voxel_value(h0, h1, l0, l1, k, scale, upper, inside, fxy + fzp[k]);
        }
    }
    return 1;
}

/* Blocks of at most 2 voxels per axis (the NP = 3 kernel), else of 3. */
VCY_INLINE int small_any(const double *ux, int nx, const double *uy, int ny,
                         const double *uz, int nz, const double *fx, const double *fy,
                         const double *fz, double inside, double upper, double scale,
                         double *frac)
{
    if (nx <= 2 && ny <= 2 && nz <= 2
            && small_impl(3, 1, ux, nx, uy, ny, uz, nz, fx, fy, fz, inside, upper, scale,
                          frac))
        return 1;
    return small_impl(4, 2, ux, nx, uy, ny, uz, nz, fx, fy, fz, inside, upper, scale, frac);
}

#define VCY_SMALL_PATH(suffix, attr)                                                  \
    attr static int small_##suffix(const double *ux, int nx, const double *uy, int ny, \
                                   const double *uz, int nz, const double *fx,         \
                                   const double *fy, const double *fz, double inside,  \
                                   double upper, double scale, double *frac)           \
    {                                                                                 \
        return small_any(ux, nx, uy, ny, uz, nz, fx, fy, fz, inside, upper, scale,    \
                         frac);                                                       \
    }

VCY_SMALL_PATH(base, )
#if VCY_BLOCK_DISPATCH
VCY_SMALL_PATH(avx2, __attribute__((target("avx2"))))
VCY_SMALL_PATH(avx512, __attribute__((target("avx512f"))))
#endif

int vcy_small_block(const double *ux, int nx, const double *uy, int ny, const double *uz,
                    int nz, const double *fx, const double *fy, const double *fz,
                    double inside, double upper, double scale, double *frac)
{
    if (nx > 3 || ny > 3 || nz > 3) return 0;
#if VCY_BLOCK_DISPATCH
    switch (vcy_block_path()) {
    case 2: return small_avx512(ux, nx, uy, ny, uz, nz, fx, fy, fz, inside, upper, scale,
                                frac);
    case 1: return small_avx2(ux, nx, uy, ny, uz, nz, fx, fy, fz, inside, upper, scale,
                              frac);
    default: break;
    }
#endif
    return small_base(ux, nx, uy, ny, uz, nz, fx, fy, fz, inside, upper, scale, frac);
}
