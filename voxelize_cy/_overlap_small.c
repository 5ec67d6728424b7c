/*
 * _overlap_small.c -- the voxels of a small ball in one go.
 *
 * A ball about as large as a voxel (the usual atom: radius 0.5-1 A on a
 * 0.5-1 A grid) meets at most 3 voxels per axis, so its block has at most 4
 * corner planes per axis, of which the outer two lie beyond the ball (u = -1
 * and +1) and at most two cut it.  For such a block everything fits in fixed
 * 4 x 4 x 4 arrays: the pair terms are only those of the planes that cut the
 * ball (at most 2 x 2 per coordinate plane: one batch of 12), the corner terms
 * only those of the corners whose three planes cut it (at most 8), and every
 * loop has a constant trip count, so the compiler unrolls and vectorises it
 * without remainder code.  The formulas are those of _overlap_block.c (and
 * _overlap.c): Q from caps, pair terms and corner terms, voxel values as
 * 8-term differences of Q.  Blocks that do not fit (larger balls, blocks cut
 * by the image's edge) go through vcy_block_* instead.
 */
#include "_overlap_small.h"

#include "_overlap_block.h"
#include "_overlap_simd.h"

#define N4 4

/* Axis terms of up to 4 corner planes, padded with planes beyond the ball
 * (u = +1); the run of planes inside the ball: first *lo, *count of them.
 * 0 when the block does not fit (more than 4 planes, or more than 2 inside,
 * or planes inside that are not one run). */
VCY_INLINE int small_axis(const double *u, int n1, double *a, double *s, double *cap,
                          int *lo, int *count)
{
    if (n1 > N4) return 0;
    int first = -1, inside = 0;
    for (int m = 0; m < N4; ++m) {
        const double v = (m < n1) ? u[m] : 1.0;
        const double mag = v < 0.0 ? -v : v;
        a[m] = mag;
        s[m] = (v > 0.0) ? 1.0 : ((v < 0.0) ? -1.0 : 0.0);
        cap[m] = (mag < 1.0) ? cap_quarter(mag) : 0.0;
        if (mag < 1.0) {
            if (first < 0) first = m;
            else if (m != first + inside) return 0;
            ++inside;
        }
    }
    if (inside > 2) return 0;
    *lo = first < 0 ? 0 : first;
    *count = inside;
    return 1;
}

/* The pairs of one coordinate plane: entries (lo_p + e / 2, lo_q + e % 2),
 * e < 4, as batch slots base..base+3; a slot whose plane is not inside the
 * ball gets (1, 1), which the batch turns into zeros. */
VCY_INLINE void small_pair_slots(const double *pa, int lo_p, int n_p, const double *qb,
                                 int lo_q, int n_q, double *pv, double *qv, int base)
{
    for (int e = 0; e < 4; ++e) {
        const int dp = e >> 1, dq = e & 1;
        const int ok = dp < n_p && dq < n_q;
        pv[base + e] = ok ? pa[lo_p + dp] : 1.0;
        qv[base + e] = ok ? qb[lo_q + dq] : 1.0;
    }
}

/* The w of one coordinate plane's pairs as a 4 x 4 table: the batch slot
 * (base + 2 dp + dq) at (lo_p + dp, lo_q + dq), 0 elsewhere. */
VCY_INLINE void small_w_table(const double *w_out, int base, int lo_p, int n_p, int lo_q,
                              int n_q, double w[N4][N4])
{
    for (int p = 0; p < N4; ++p) {
        const int dp = p - lo_p;
        for (int q = 0; q < N4; ++q) {
            const int dq = q - lo_q;
            const int ok = dp >= 0 && dp < n_p && dq >= 0 && dq < n_q;
            w[p][q] = ok ? w_out[base + ((ok ? dp : 0) << 1) + (ok ? dq : 0)] : 0.0;
        }
    }
}

VCY_INLINE int small_impl(const double *ux, int nx, const double *uy, int ny,
                          const double *uz, int nz, const double *fx, const double *fy,
                          const double *fz, double inside, double upper, double scale,
                          double *frac)
{
    double ax[N4], sx[N4], cx[N4], ay[N4], sy[N4], cy[N4], az[N4], sz[N4], cz[N4];
    int lx, nlx, ly, nly, lz, nlz;
    if (!small_axis(ux, nx + 1, ax, sx, cx, &lx, &nlx)
            || !small_axis(uy, ny + 1, ay, sy, cy, &ly, &nly)
            || !small_axis(uz, nz + 1, az, sz, cz, &lz, &nlz))
        return 0;

    /* Pair terms of the planes inside the ball, one batch of 12. */
    double pv[12], qv[12], out[5 * 12];
    small_pair_slots(ax, lx, nlx, ay, ly, nly, pv, qv, 0);
    small_pair_slots(ax, lx, nlx, az, lz, nlz, pv, qv, 4);
    small_pair_slots(ay, ly, nly, az, lz, nlz, pv, qv, 8);
    pair_batch(pv, qv, 12, out, out + 12, out + 24, out + 36, out + 48);
    for (int t = 0; t < 12; ++t) {  /* a pair outside the ball adds nothing */
        const double p = pv[t], q = qv[t];
        out[t] = (p < 1.0 && q < 1.0 && 1.0 - p * p - q * q > 0.0) ? out[t] : 0.0;
    }
    double w_xy[N4][N4], w_xz[N4][N4], w_yz[N4][N4];
    small_w_table(out, 0, lx, nlx, ly, nly, w_xy);
    small_w_table(out, 4, lx, nlx, lz, nlz, w_xz);
    small_w_table(out, 8, ly, nly, lz, nlz, w_yz);

    /* Corner terms of the corners whose three planes cut the ball (<= 8),
     * from the batch's angles: corner (di, dj, dk) of the run uses slots
     * 2 di + dj (xy), 4 + 2 di + dk (xz) and 8 + 2 dj + dk (yz). */
    const double *zz = out + 12, *al = out + 24, *fp = out + 36, *fq = out + 48;
    double w3[N4][N4][N4] = {{{0}}};
    double wc[8];
    for (int e = 0; e < 8; ++e) {
        const int di = e >> 2, dj = (e >> 1) & 1, dk = e & 1;
        const int sxy = 2 * di + dj, sxz = 4 + 2 * di + dk, syz = 8 + 2 * dj + dk;
        const double a = ax[(lx + di) & 3], b = ay[(ly + dj) & 3], c = az[(lz + dk) & 3];
        const double zab = zz[sxy], yac = zz[sxz], xbc = zz[syz];
        const double excess = (al[sxy] + al[sxz] + al[syz]) - VCY_PI;
        const double phi_a = (fp[sxy] + fp[sxz]) - 0.5 * VCY_PI;
        const double phi_b = (fq[sxy] + fp[syz]) - 0.5 * VCY_PI;
        const double phi_c = (fq[sxz] + fq[syz]) - 0.5 * VCY_PI;
        const double area_S = excess - (a * phi_a + b * phi_b + c * phi_c);
        const double mx = 0.5 * ((1.0 - a * a) * phi_a - c * yac - b * zab) + b * c;
        const double my = 0.5 * ((1.0 - b * b) * phi_b - c * xbc - a * zab) + a * c;
        const double mz = 0.5 * ((1.0 - c * c) * phi_c - b * xbc - a * yac) + a * b;
        double w = (area_S - a * mx - b * my - c * mz) / 3.0;
        w = (w > 0.0) ? w : 0.0;
        wc[e] = (w < VCY_PI_6) ? w : VCY_PI_6;
    }
    for (int e = 0; e < 8; ++e) {
        const int di = e >> 2, dj = (e >> 1) & 1, dk = e & 1;
        if (di < nlx && dj < nly && dk < nlz) {
            const int i = lx + di, j = ly + dj, k = lz + dk;
            if (1.0 - ax[i] * ax[i] - ay[j] * ay[j] - az[k] * az[k] > 0.0)
                w3[i][j][k] = wc[e];
        }
    }

    /* Q at every corner (k padded to 5: the voxel loop reads k + 1 <= 4). */
    double q[N4][N4][N4 + 1];
    for (int i = 0; i < N4; ++i) {
        for (int j = 0; j < N4; ++j) {
            const double base = (VCY_PI_6 - cx[i] - cy[j]) + w_xy[i][j];
            const double sxy = sx[i] * sy[j];
            for (int k = 0; k < N4; ++k) {
                double v = (base - cz[k]) + (w_xz[i][k] + w_yz[j][k]);
                v -= w3[i][j][k];
                q[i][j][k] = (sxy * sz[k]) * ((v > 0.0) ? v : 0.0);
            }
            q[i][j][N4] = q[i][j][N4 - 1];
        }
    }

    /* Voxel values, 3 x 3 x 4 (k < nz, j < ny, i < nx are the block's). */
    double fzp[N4];
    for (int k = 0; k < N4; ++k) fzp[k] = (k < nz) ? fz[k] : 2.0;
    for (int i = 0; i < 3; ++i) {
        const double fxi = (i < nx) ? fx[i] : 2.0;
        for (int j = 0; j < 3; ++j) {
            const double fxy = fxi + ((j < ny) ? fy[j] : 2.0);
            const double *h0 = q[i + 1][j], *h1 = q[i + 1][j + 1];
            const double *l0 = q[i][j], *l1 = q[i][j + 1];
            double *o = frac + (i * 3 + j) * N4;
            for (int k = 0; k < N4; ++k) {
                double v = (((h1[k + 1] - h0[k + 1]) - (h1[k] - h0[k]))
                            - ((l1[k + 1] - l0[k + 1]) - (l1[k] - l0[k]))) * scale;
                v = (v > 0.0) ? v : 0.0;
                v = (v > upper) ? upper : v;
                o[k] = (fxy + fzp[k] <= 1.0) ? inside : v;
            }
        }
    }
    return 1;
}

#define VCY_SMALL_PATH(suffix, attr)                                                  \
    attr static int small_##suffix(const double *ux, int nx, const double *uy, int ny, \
                                   const double *uz, int nz, const double *fx,         \
                                   const double *fy, const double *fz, double inside,  \
                                   double upper, double scale, double *frac)           \
    {                                                                                 \
        return small_impl(ux, nx, uy, ny, uz, nz, fx, fy, fz, inside, upper, scale,   \
                          frac);                                                      \
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
