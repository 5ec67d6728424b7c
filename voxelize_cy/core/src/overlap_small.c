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
 *
 * The usual block (NP planes per axis, the outer two beyond the ball, the
 * rest inside it: nearly every atom of a seed or gym image) skips the padding
 * and the search for the planes inside, and its corner terms, Q and voxel
 * values are computed by overlap_usual.h in vectors, with the same
 * arithmetic (tests/test_simd.py compares its bits with the general tail's).
 */
#include "overlap_small.h"

#include "overlap_block.h"
#include "overlap_simd.h"
#include "overlap_usual.h"

#define N4 4
/* Pair slots of a batch: 3 NR^2, padded to 4 for NR = 1 (one full vector). */
#define SMALL_BATCH(NR) ((NR) == 1 ? 4 : 3 * (NR) * (NR))

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

/* Axis terms of exactly NP corner planes; the planes inside the ball as bits
 * (plane m: bit m). */
VCY_INLINE int full_axis(const double *u, int NP, double *a, double *s, double *cap)
{
    axis_impl(u, NP, a, s, cap);
    int inside = 0;
    for (int m = 0; m < NP; ++m) inside |= (a[m] < 1.0) << m;
    return inside;
}

/* The pair terms of the planes inside the ball (runs lx, nlx and so on, see
 * small_axis): slot s of coordinate plane g (xy, xz, yz) at g NR^2 + s of
 * each of the 5 outputs of pair_batch in ``out``; w is 0 for a slot outside
 * the ball. */
VCY_INLINE void small_pairs(int NR, const double *ax, int lx, int nlx, const double *ay,
                            int ly, int nly, const double *az, int lz, int nlz,
                            double *out)
{
    const int NS = NR * NR, NB = SMALL_BATCH(NR);
    double pv[12], qv[12];
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
}

/* The voxel values of any block that fits (nx, ny, nz voxels; runs of planes
 * inside the ball lx, nlx and so on) from its axis terms and pair batch. */
VCY_INLINE void small_values(int NP, int NR, int nx, int ny, int nz, const double *out,
                             const double *ax, const double *sx, const double *cx, int lx,
                             int nlx, const double *ay, const double *sy, const double *cy,
                             int ly, int nly, const double *az, const double *sz,
                             const double *cz, int lz, int nlz, const double *fx,
                             const double *fy, const double *fz, double inside,
                             double upper, double scale, double *frac)
{
    const int NS = NR * NR, NB = SMALL_BATCH(NR);
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
    /* Gathered first, so that the corner formula runs as one vector loop. */
    const int NC = NR * NR * NR;
    double ca[8], cb[8], cc[8], zab[8], yac[8], xbc[8], exc[8], pha[8], phb[8], phc[8];
    for (int e = 0; e < NC; ++e) {
        const int di = e / (NR * NR), dj = (e / NR) % NR, dk = e % NR;
        const int sxy = di * NR + dj, sxz = NS + di * NR + dk, syz = 2 * NS + dj * NR + dk;
        ca[e] = ax[(lx + di) % NP];
        cb[e] = ay[(ly + dj) % NP];
        cc[e] = az[(lz + dk) % NP];
        zab[e] = zz[sxy];
        yac[e] = zz[sxz];
        xbc[e] = zz[syz];
        exc[e] = (al[sxy] + al[sxz] + al[syz]) - VCY_PI;
        pha[e] = (fp[sxy] + fp[sxz]) - 0.5 * VCY_PI;
        phb[e] = (fq[sxy] + fp[syz]) - 0.5 * VCY_PI;
        phc[e] = (fq[sxz] + fq[syz]) - 0.5 * VCY_PI;
    }
    double wc[8];
    for (int e = 0; e < NC; ++e)
        wc[e] = corner_from_angles(ca[e], cb[e], cc[e], zab[e], yac[e], xbc[e], exc[e],
                                   pha[e], phb[e], phc[e]);
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
}

/* try_usual: 1 to take the usual block's tail where it applies (0: the
 * general tail only, for the tests' comparison). */
VCY_INLINE int small_impl(int NP, int NR, int try_usual, const double *ux, int nx,
                          const double *uy, int ny, const double *uz, int nz,
                          const double *fx, const double *fy, const double *fz,
                          double inside, double upper, double scale, double *frac)
{
    double ax[N4], sx[N4], cx[N4], ay[N4], sy[N4], cy[N4], az[N4], sz[N4], cz[N4];
    double out[5 * 12];
#if VCY_BLOCK_DISPATCH
    /* The usual block: NP planes per axis, the outer two beyond the ball and
     * the NR = NP - 2 between them inside it (bits 1 to NP - 2). */
    const int usual = (1 << (NP - 1)) - 2;
    if (try_usual && nx == NP - 1 && ny == NP - 1 && nz == NP - 1
            && full_axis(ux, NP, ax, sx, cx) == usual && full_axis(uy, NP, ay, sy, cy) == usual
            && full_axis(uz, NP, az, sz, cz) == usual) {
        small_pairs(NR, ax, 1, NR, ay, 1, NR, az, 1, NR, out);
        usual_values(NP, NR, out, SMALL_BATCH(NR), ax, sx, cx, ay, sy, cy, az, sz, cz, fx,
                     fy, fz, inside, upper, scale, frac);
        return 1;
    }
#endif
    int lx, nlx, ly, nly, lz, nlz;
    if (!small_axis(ux, nx + 1, NP, NR, ax, sx, cx, &lx, &nlx)
            || !small_axis(uy, ny + 1, NP, NR, ay, sy, cy, &ly, &nly)
            || !small_axis(uz, nz + 1, NP, NR, az, sz, cz, &lz, &nlz))
        return 0;
    small_pairs(NR, ax, lx, nlx, ay, ly, nly, az, lz, nlz, out);
    small_values(NP, NR, nx, ny, nz, out, ax, sx, cx, lx, nlx, ay, sy, cy, ly, nly, az, sz,
                 cz, lz, nlz, fx, fy, fz, inside, upper, scale, frac);
    return 1;
}

/* Blocks of at most 2 voxels per axis (the NP = 3 kernel), else of 3. */
VCY_INLINE int small_any(int try_usual, const double *ux, int nx, const double *uy,
                         int ny, const double *uz, int nz, const double *fx,
                         const double *fy, const double *fz, double inside, double upper,
                         double scale, double *frac)
{
    if (nx <= 2 && ny <= 2 && nz <= 2
            && small_impl(3, 1, try_usual, ux, nx, uy, ny, uz, nz, fx, fy, fz, inside,
                          upper, scale, frac))
        return 1;
    return small_impl(4, 2, try_usual, ux, nx, uy, ny, uz, nz, fx, fy, fz, inside, upper,
                      scale, frac);
}

/* The usual block's vector tail on the AVX2 and AVX-512 paths only: on the
 * baseline path each 4-wide vector is two SSE2 registers and the shuffles
 * across them cost more than the general tail (gym exact 0.66 -> 0.69 ms). */
#define VCY_SMALL_PATH(suffix, attr, try_usual)                                       \
    attr static int small_##suffix(const double *ux, int nx, const double *uy, int ny, \
                                   const double *uz, int nz, const double *fx,         \
                                   const double *fy, const double *fz, double inside,  \
                                   double upper, double scale, double *frac)           \
    {                                                                                 \
        return small_any(try_usual, ux, nx, uy, ny, uz, nz, fx, fy, fz, inside, upper, \
                         scale, frac);                                                \
    }

VCY_SMALL_PATH(base, , 0)
#if VCY_BLOCK_DISPATCH
VCY_SMALL_PATH(avx2, __attribute__((target("avx2"))), 1)
VCY_SMALL_PATH(avx512, __attribute__((target("avx512f"))), 1)
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

/* The baseline path, which takes the general tail only (every path gives the
 * same values). */
int vcy_small_block_general(const double *ux, int nx, const double *uy, int ny,
                            const double *uz, int nz, const double *fx, const double *fy,
                            const double *fz, double inside, double upper, double scale,
                            double *frac)
{
    if (nx > 3 || ny > 3 || nz > 3) return 0;
    return small_base(ux, nx, uy, ny, uz, nz, fx, fy, fz, inside, upper, scale, frac);
}
