/*
 * overlap_simd.h -- the vectorisable pieces shared by overlap_block.c and
 * overlap_small.c: the first-quadrant arctangent (see overlap_block.c for
 * its polynomial), the cap, and the batch of pair terms.  Static inline, no
 * state: each including file compiles them into its own SIMD paths.
 */
#ifndef VOXELIZE_CY_OVERLAP_SIMD_H
#define VOXELIZE_CY_OVERLAP_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define VCY_PI 3.14159265358979323846264338327950288
#define VCY_PI_2 1.57079632679489661923132169163975144
#define VCY_PI_4 0.78539816339744830961566084581987572
#define VCY_PI_6 0.52359877559829887307710723054658381
#define VCY_TAN_PI_8 0.41421356237309504880168872420969808
/* pi/4 - (double)(pi/4) and pi/2 - (double)(pi/2) */
#define VCY_PI_4_LO 3.061616997868382943065164830688e-17
#define VCY_PI_2_LO 6.123233995736765886130329661376e-17

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VCY_BLOCK_DISPATCH 1
#define VCY_INLINE static inline __attribute__((always_inline))
#else
#define VCY_BLOCK_DISPATCH 0
#define VCY_INLINE static inline
#endif

/* Call name_avx512 args, name_avx2 args or name_base args, as the SIMD path in
 * use (vcy_block_path(), overlap_block.h) says, and return. */
#if VCY_BLOCK_DISPATCH
#define VCY_ON_PATH(name, args)                                                       \
    do {                                                                              \
        switch (vcy_block_path()) {                                                   \
        case 2: name##_avx512 args; return;                                           \
        case 1: name##_avx2 args; return;                                             \
        default: name##_base args; return;                                            \
        }                                                                             \
    } while (0)
#else
#define VCY_ON_PATH(name, args)                                                       \
    do {                                                                              \
        name##_base args;                                                             \
        return;                                                                       \
    } while (0)
#endif

/* (atan u - u) / u^3 = P(u^2) on |u| <= tan(pi/8). */
static const double ATAN_P[12] = {
    -0.33333333333333326, 0.19999999999997575, -0.14285714285378395,
    0.1111111108766921, -0.09090908128628628, 0.07692282442823326,
    -0.066662226198888, 0.058769855975500676, -0.05218195053785969,
    0.045027816530914574, -0.03345828485587056, 0.015180259821583797,
};

VCY_INLINE double atan2_q1(double y, double x)
{
    const int swap = y > x;
    const double num = swap ? x : y;
    const double den = swap ? y : x;
    /* t = num / den in [0, 1]; past tan(pi/8), u = (t - 1) / (t + 1) taken
     * as (num - den) / (num + den): one division either way. */
    const int reduce = num > VCY_TAN_PI_8 * den;
    /* num - den or num - 0, den + num or den + 0 (the same values: both are
     * >= 0): selecting the operands, not the quotients, keeps one division
     * per lane, where a select of two expressions becomes two. */
    const double top = num - (reduce ? den : 0.0);
    const double bottom = den + (reduce ? num : 0.0);
    const double u = (den > 0.0) ? top / (bottom > 0.0 ? bottom : 1.0) : 0.0;
    const double s = u * u;
    double p = ATAN_P[11];
    p = p * s + ATAN_P[10];
    p = p * s + ATAN_P[9];
    p = p * s + ATAN_P[8];
    p = p * s + ATAN_P[7];
    p = p * s + ATAN_P[6];
    p = p * s + ATAN_P[5];
    p = p * s + ATAN_P[4];
    p = p * s + ATAN_P[3];
    p = p * s + ATAN_P[2];
    p = p * s + ATAN_P[1];
    p = p * s + ATAN_P[0];
    /* pi/4 and pi/2 as a double plus the rest of their value (VCY_PI_4_LO,
     * VCY_PI_2_LO), added where they do least harm. */
    const double tail = u * (s * p);
    const double r = reduce ? VCY_PI_4 + (u + (tail + VCY_PI_4_LO)) : u + tail;
    return swap ? (VCY_PI_2 - r) + VCY_PI_2_LO : r;
}

VCY_INLINE double cap_quarter(double a)
{
    /* W(a, 0, 0) for a in [0, 1], as vcy_unit_cap_quarter. */
    const double h = 1.0 - a;
    return VCY_PI * h * h * (2.0 + a) / 12.0;
}

VCY_INLINE void axis_impl(const double *restrict u, int n, double *restrict a,
                          double *restrict sign, double *restrict cap)
{
    for (int i = 0; i < n; ++i) {
        const double v = u[i];
        const double m = v < 0.0 ? -v : v;
        const double mc = m < 1.0 ? m : 1.0;
        a[i] = m;
        sign[i] = (v > 0.0) ? 1.0 : ((v < 0.0) ? -1.0 : 0.0);
        cap[i] = (m < 1.0) ? cap_quarter(mc) : 0.0;
    }
}

/* The value of voxel k of a row from the Q values of its corners: h0, h1 the
 * rows (j, j + 1) of its upper x face, l0, l1 of its lower one; the 8-term
 * difference times scale, clamped to [0, upper]; ``inside`` when the voxel
 * lies wholly inside the ball (far2, the squared unit distance of its
 * farthest corner, <= 1). */
VCY_INLINE double voxel_value(const double *h0, const double *h1, const double *l0,
                              const double *l1, int k, double scale, double upper,
                              double inside, double far2)
{
    double v = (((h1[k + 1] - h0[k + 1]) - (h1[k] - h0[k]))
                - ((l1[k + 1] - l0[k + 1]) - (l1[k] - l0[k]))) * scale;
    v = (v > 0.0) ? v : 0.0;
    v = (v > upper) ? upper : v;
    return (far2 <= 1.0) ? inside : v;
}

/* W(p, q, 0) from its angles: the area of the spherical region, alpha -
 * p phi_p - q phi_q, less its moments about the two planes, over 3; clamped
 * to [0, pi/6].  z = sqrt(1 - p^2 - q^2), the height of the vertex.  The
 * scalar routine (overlap.c, libm's atan2) and the batch below (atan2_q1)
 * share it. */
VCY_INLINE double pair_weight(double p, double q, double z, double alpha, double phi_p,
                              double phi_q)
{
    const double mp = 0.5 * ((1.0 - p * p) * phi_p - q * z);
    const double mq = 0.5 * ((1.0 - q * q) * phi_q - p * z);
    double w = (alpha - p * phi_p - q * phi_q - p * mp - q * mq) / 3.0;
    w = (w > 0.0) ? w : 0.0;
    return (w < VCY_PI_6) ? w : VCY_PI_6;
}

/* The pair terms of n pairs (p[t], q[t]) whose corner lies inside the ball
 * (the caller's promise): one branch-free loop over the batch. */
VCY_INLINE void pair_batch(const double *restrict pv, const double *restrict qv, int n,
                           double *restrict w, double *restrict zz, double *restrict al,
                           double *restrict fp, double *restrict fq)
{
    for (int t = 0; t < n; ++t) {
        const double p = pv[t], q = qv[t];
        const double free2 = 1.0 - p * p - q * q;
        const double z = sqrt(free2 > 0.0 ? free2 : 0.0);
        const double alpha = atan2_q1(z, p * q);
        const double phi_p = atan2_q1(z, q);
        const double phi_q = atan2_q1(z, p);
        w[t] = pair_weight(p, q, z, alpha, phi_p, phi_q);
        zz[t] = z;
        al[t] = alpha;
        fp[t] = phi_p;
        fq[t] = phi_q;
    }
}


/* exp(x) for x <= 0 (0 below -700), vectorisable: x = k ln 2 + r with
 * |r| <= ln 2 / 2 (Cody-Waite: ln 2 in two parts), exp(r) by its Taylor
 * polynomial to r^13 (truncation below 1e-17), times 2^k built in the
 * exponent bits; k is read from the low bits of x / ln 2 + 1.5 * 2^52 (the
 * "magic number" rounding), so no conversion instruction is needed.  The
 * polynomial is evaluated by Estrin's scheme (pairs of terms, then r^2, r^4
 * and r^8), whose chain of dependent operations is a third as long as
 * Horner's: a small block's exponentials are on its critical path.  Within
 * 2 ulps of libm's exp (4.3e-16 relative over [-60, 0]). */
VCY_INLINE double exp_nonpositive(double x)
{
    const double shift = 6755399441055744.0;  /* 1.5 * 2^52 */
    const double xc = (x > -700.0) ? x : -700.0;
    const double kd = xc * 1.4426950408889634 + shift;
    const double k = kd - shift;
    const double r = (xc - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
    const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    const double p01 = 1.0 + r;
    const double p23 = 0.5 + r * (1.0 / 6.0);
    const double p45 = 1.0 / 24.0 + r * (1.0 / 120.0);
    const double p67 = 1.0 / 720.0 + r * (1.0 / 5040.0);
    const double p89 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
    const double p1011 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
    const double p1213 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
    const double q0 = p01 + r2 * p23, q1 = p45 + r2 * p67, q2 = p89 + r2 * p1011;
    const double p = (q0 + r4 * q1) + r8 * (q2 + r4 * p1213);
    uint64_t bits;
    memcpy(&bits, &kd, sizeof bits);
    bits = (bits - 0x4338000000000000ULL + 1023u) << 52;  /* 2^k */
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return (x > -700.0) ? p * scale : 0.0;
}


/* W(a, b, c), the corner volume, from its three pairs' terms: the vertex
 * heights zab, yac, xbc, the spherical excess (the sum of the pairs' interior
 * angles minus pi) and the arcs' angles phi_a, phi_b, phi_c (as
 * corner_from_pairs in overlap.c), clamped to [0, pi/6]. */
VCY_INLINE double corner_from_angles(double a, double b, double c, double zab, double yac,
                                     double xbc, double excess, double phi_a,
                                     double phi_b, double phi_c)
{
    const double area_S = excess - (a * phi_a + b * phi_b + c * phi_c);
    const double mx = 0.5 * ((1.0 - a * a) * phi_a - c * yac - b * zab) + b * c;
    const double my = 0.5 * ((1.0 - b * b) * phi_b - c * xbc - a * zab) + a * c;
    const double mz = 0.5 * ((1.0 - c * c) * phi_c - b * xbc - a * yac) + a * b;
    double w = (area_S - a * mx - b * my - c * mz) / 3.0;
    w = (w > 0.0) ? w : 0.0;
    return (w < VCY_PI_6) ? w : VCY_PI_6;
}

#endif /* VOXELIZE_CY_OVERLAP_SIMD_H */
