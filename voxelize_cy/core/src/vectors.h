/*
 * vectors.h -- GCC's generic vectors of doubles (4 and 8 wide) and the few
 * operations on them the kernels use: loads, selects, a shift.
 *
 * For code whose data layout the auto-vectoriser gets wrong (rows built by
 * scalar stores and read back as vectors, tables indexed at run time).  Each
 * SIMD path compiles them for its own instruction set (two xmm registers per
 * 4-wide vector on the baseline path).  Only with GCC (VCY_BLOCK_DISPATCH):
 * every user keeps a plain C form that computes the same values for other
 * compilers.
 */
#ifndef VOXELIZE_CY_VECTORS_H
#define VOXELIZE_CY_VECTORS_H

#include <stdint.h>
#include <string.h>

#include "overlap_simd.h"

#if VCY_BLOCK_DISPATCH

/* The helpers take and return vectors wider than the baseline ABI's
 * registers; they are always inlined, so no call passes one (GCC warns of
 * the ABI all the same). */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef double vcy_v4 __attribute__((vector_size(32)));
typedef int64_t vcy_m4 __attribute__((vector_size(32)));
typedef double vcy_v8 __attribute__((vector_size(64)));
typedef int64_t vcy_m8 __attribute__((vector_size(64)));

VCY_INLINE vcy_v4 v4_keep(vcy_m4 m, vcy_v4 v)  /* m ? v : +0 */
{
    return (vcy_v4)(m & (vcy_m4)v);
}

VCY_INLINE vcy_v4 v4_pick(vcy_m4 m, vcy_v4 a, vcy_v4 b)  /* m ? a : b */
{
    return (vcy_v4)((m & (vcy_m4)a) | (~m & (vcy_m4)b));
}

VCY_INLINE vcy_v4 v4_next(vcy_v4 v)  /* lane k holds lane k + 1; the last, itself */
{
    const vcy_m4 next = {1, 2, 3, 3};
    return __builtin_shuffle(v, next);
}

VCY_INLINE vcy_v8 v8_at(const double *p)  /* 8 doubles from p (any alignment) */
{
    vcy_v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

#endif /* VCY_BLOCK_DISPATCH */

#endif /* VOXELIZE_CY_VECTORS_H */
