/*
 * overlap_usual.h -- the last stages of the usual small block (see
 * overlap_small.c) in vectors: the corner terms, Q at every corner and the
 * voxel values.
 *
 * The usual block has NP corner planes per axis (3 or 4), of which the outer
 * two lie beyond the ball and the NR = NP - 2 between them cut it: every
 * table index is then a constant.  A Q row along z is one 4-wide vector and
 * the voxel values of a row come from shifts of such vectors in registers
 * (overlap_small.c's general tail stores Q with a padding entry and reads
 * rows back at an offset, which the store buffer cannot forward).  Every
 * value is the same IEEE expression as in the general tail, in the same
 * order, so the bits are the same; lane 3 of a 3-plane row repeats lane 2,
 * as the padding there does.
 *
 * GCC's vectors only (vectors.h, VCY_BLOCK_DISPATCH): other compilers take
 * the general tail, which gives the same values.
 */
#ifndef VOXELIZE_CY_OVERLAP_USUAL_H
#define VOXELIZE_CY_OVERLAP_USUAL_H

#include "overlap_simd.h"
#include "vectors.h"

#if VCY_BLOCK_DISPATCH

/* Corner terms of a block with two planes inside the ball per axis: corner
 * e = 4 di + 2 dj + dk (planes 1 + di, 1 + dj, 1 + dk) reads the pair slots
 * 2 di + dj (xy), 4 + 2 di + dk (xz) and 8 + 2 dj + dk (yz), taken here by
 * shuffles of the slots 0-7 and 4-11.  wc[e] is 0 for a corner outside the
 * ball. */
VCY_INLINE void usual_corners8(const double *ax, const double *ay, const double *az,
                               const double *zz, const double *al, const double *fp,
                               const double *fq, double *wc)
{
    const vcy_m8 xy = {0, 0, 1, 1, 2, 2, 3, 3}, xz = {4, 5, 4, 5, 6, 7, 6, 7};
    const vcy_m8 yz = {4, 5, 6, 7, 4, 5, 6, 7};  /* of the slots from 4 */
    const vcy_v8 a = {ax[1], ax[1], ax[1], ax[1], ax[2], ax[2], ax[2], ax[2]};
    const vcy_v8 b = {ay[1], ay[1], ay[2], ay[2], ay[1], ay[1], ay[2], ay[2]};
    const vcy_v8 c = {az[1], az[2], az[1], az[2], az[1], az[2], az[1], az[2]};
    const vcy_v8 z_lo = v8_at(zz), z_hi = v8_at(zz + 4);
    const vcy_v8 al_lo = v8_at(al), al_hi = v8_at(al + 4);
    const vcy_v8 fp_lo = v8_at(fp), fp_hi = v8_at(fp + 4);
    const vcy_v8 fq_lo = v8_at(fq), fq_hi = v8_at(fq + 4);
    const vcy_v8 terms[10] = {
        a, b, c,
        __builtin_shuffle(z_lo, xy), __builtin_shuffle(z_lo, xz), __builtin_shuffle(z_hi, yz),
        (__builtin_shuffle(al_lo, xy) + __builtin_shuffle(al_lo, xz)
         + __builtin_shuffle(al_hi, yz)) - VCY_PI,
        (__builtin_shuffle(fp_lo, xy) + __builtin_shuffle(fp_lo, xz)) - 0.5 * VCY_PI,
        (__builtin_shuffle(fq_lo, xy) + __builtin_shuffle(fp_hi, yz)) - 0.5 * VCY_PI,
        (__builtin_shuffle(fq_lo, xz) + __builtin_shuffle(fq_hi, yz)) - 0.5 * VCY_PI,
    };
    double t[10][8];  /* the terms by corner, for the scalar formula's loop */
    memcpy(t, terms, sizeof t);
    for (int e = 0; e < 8; ++e) {
        const double v = corner_from_angles(t[0][e], t[1][e], t[2][e], t[3][e], t[4][e],
                                            t[5][e], t[6][e], t[7][e], t[8][e], t[9][e]);
        const double free2 = 1.0 - t[0][e] * t[0][e] - t[1][e] * t[1][e] - t[2][e] * t[2][e];
        wc[e] = (free2 > 0.0) ? v : 0.0;
    }
}

/* The one corner term of a block with one plane inside the ball per axis
 * (slots 0, 1, 2: xy, xz, yz). */
VCY_INLINE void usual_corner1(const double *ax, const double *ay, const double *az,
                              const double *zz, const double *al, const double *fp,
                              const double *fq, double *wc)
{
    const double a = ax[1], b = ay[1], c = az[1];
    const double v = corner_from_angles(a, b, c, zz[0], zz[1], zz[2],
                                        (al[0] + al[1] + al[2]) - VCY_PI,
                                        (fp[0] + fp[1]) - 0.5 * VCY_PI,
                                        (fq[0] + fp[2]) - 0.5 * VCY_PI,
                                        (fq[1] + fq[2]) - 0.5 * VCY_PI);
    wc[0] = (1.0 - a * a - b * b - c * c > 0.0) ? v : 0.0;
}

/* Row r (r < NP) of a table of terms over the planes inside the ball, as a
 * vector over k: entry base + (r - 1) NR + (k - 1) of ``w`` where planes r
 * and k are inside (1 <= r, k <= NR), else 0. */
VCY_INLINE vcy_v4 usual_row(int NR, const double *w, int base, int r)
{
    const vcy_v4 zero = {0.0, 0.0, 0.0, 0.0};
    if (r < 1 || r > NR) return zero;
    const double *s = w + base + (r - 1) * NR;
    const vcy_v4 row = {0.0, s[0], NR == 2 ? s[1] : 0.0, 0.0};
    return row;
}

/* Q at the usual block's corners, row (i, j) as a vector over k: the caps,
 * the pair terms w (slots of the batch: xy, then xz, then yz) and the corner
 * terms wc. */
VCY_INLINE void usual_q(int NP, int NR, const double *w, const double *wc,
                        const double *sx, const double *cx, const double *sy,
                        const double *cy, const double *sz, const double *cz,
                        vcy_v4 q[4][4])
{
    const int NS = NR * NR;
    const vcy_v4 zero = {0.0, 0.0, 0.0, 0.0};
    const vcy_v4 cz4 = {cz[0], cz[1], cz[2], cz[NP - 1]};
    const vcy_v4 sz4 = {sz[0], sz[1], sz[2], sz[NP - 1]};
    vcy_v4 xz[4], yz[4];
    for (int r = 0; r < NP; ++r) {
        xz[r] = usual_row(NR, w, NS, r);
        yz[r] = usual_row(NR, w, 2 * NS, r);
    }
    for (int i = 0; i < NP; ++i) {
        for (int j = 0; j < NP; ++j) {
            const int cut = i >= 1 && i <= NR && j >= 1 && j <= NR;
            const double w_xy = cut ? w[(i - 1) * NR + (j - 1)] : 0.0;
            const vcy_v4 w3 = cut ? usual_row(NR, wc, (i - 1) * NS + (j - 1) * NR, 1) : zero;
            const double base = (VCY_PI_6 - cx[i] - cy[j]) + w_xy;
            const double sxy = sx[i] * sy[j];
            vcy_v4 v = (base - cz4) + (xz[i] + yz[j]);
            v -= w3;
            q[i][j] = (sxy * sz4) * v4_keep(v > zero, v);
        }
    }
}

/* The voxel values of the usual block from its Q rows, into frac as
 * vcy_small_block gives them (frac[(i * 3 + j) * 4 + k]). */
VCY_INLINE void usual_voxels(int NP, vcy_v4 q[4][4], const double *fx, const double *fy,
                             const double *fz, double inside, double upper, double scale,
                             double *frac)
{
    const vcy_v4 zero = {0.0, 0.0, 0.0, 0.0}, one = {1.0, 1.0, 1.0, 1.0};
    const vcy_v4 upper4 = {upper, upper, upper, upper};
    const vcy_v4 inside4 = {inside, inside, inside, inside};
    const vcy_v4 fz4 = {fz[0], fz[1], NP == 4 ? fz[2] : 2.0, 2.0};  /* 2: no voxel */
    for (int i = 0; i < NP - 1; ++i) {
        for (int j = 0; j < NP - 1; ++j) {
            const double fxy = fx[i] + fy[j];
            const vcy_v4 hi = q[i + 1][j + 1] - q[i + 1][j], lo = q[i][j + 1] - q[i][j];
            vcy_v4 v = ((v4_next(hi) - hi) - (v4_next(lo) - lo)) * scale;
            v = v4_keep(v > zero, v);
            v = v4_pick(v > upper4, upper4, v);
            v = v4_pick(fxy + fz4 <= one, inside4, v);
            memcpy(frac + (i * 3 + j) * 4, &v, sizeof v);
        }
    }
}

/* The usual block's voxel values from its axis terms and its pair batch
 * (``out``: w, z, alpha, phi_p, phi_q of NB slots each). */
VCY_INLINE void usual_values(int NP, int NR, const double *out, int NB, const double *ax,
                             const double *sx, const double *cx, const double *ay,
                             const double *sy, const double *cy, const double *az,
                             const double *sz, const double *cz, const double *fx,
                             const double *fy, const double *fz, double inside,
                             double upper, double scale, double *frac)
{
    const double *zz = out + NB, *al = out + 2 * NB, *fp = out + 3 * NB, *fq = out + 4 * NB;
    double wc[8];
    if (NR == 2)
        usual_corners8(ax, ay, az, zz, al, fp, fq, wc);
    else
        usual_corner1(ax, ay, az, zz, al, fp, fq, wc);
    vcy_v4 q[4][4];
    usual_q(NP, NR, out, wc, sx, cx, sy, cy, sz, cz, q);
    usual_voxels(NP, q, fx, fy, fz, inside, upper, scale, frac);
}

#endif /* VCY_BLOCK_DISPATCH */

#endif /* VOXELIZE_CY_OVERLAP_USUAL_H */
