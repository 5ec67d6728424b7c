/* scan.h -- one pass over a table's columns (pure C, no Python).
 *
 * vcy_scan_box(x, y, z, occupancy, start, n, lo, hi, screen, hits, cap, &bad)
 *     scans rows start, start + 1, ... < n for those with lo[a] < p[a] < hi[a]
 *     strictly on every axis (NaN never passes) and writes their indices to
 *     hits[], at most cap of them (cap >= 4).  It returns the row it stopped
 *     at (n when done; less when hits[] is full: empty it and call again
 *     from there) and stores the number of hits in *n_hits.  With screen != SCREEN_NONE
 *     it also sets *bad = 1 when a scanned row has a non-finite coordinate or
 *     occupancy, or (SCREEN_ORIGINAL) an occupancy that fails ``>= 0``.
 *
 * vcy_rows_are_valid / vcy_rows_are_finite: that screen alone, over all rows.
 *
 * On x86-64 with gcc or clang an AVX-512 or an AVX2 version of the scan
 * runs when the CPU has it (checked at run time); elsewhere the portable
 * loop does.  All give the same hits in the same order.
 */
#ifndef VOXELIZE_CY_SCAN_H
#define VOXELIZE_CY_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "codes.h"

/* Not every module that includes this header calls every routine. */
#if defined(__GNUC__) || defined(__clang__)
#define VCY_MAYBE_UNUSED __attribute__((unused))
#else
#define VCY_MAYBE_UNUSED
#endif

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define VCY_HAVE_AVX2_PATH 1
#include <immintrin.h>
#else
#define VCY_HAVE_AVX2_PATH 0
#endif

/* A row is valid when (v - v) == 0 for its four numbers (false for inf and
 * NaN) and, for SCREEN_ORIGINAL, occupancy >= 0 (true for -0.0, false for NaN). */
static inline int vcy_row_ok(double x, double y, double z, double o, int screen)
{
    int finite = (x - x == 0) & (y - y == 0) & (z - z == 0) & (o - o == 0);
    return screen == SCREEN_ORIGINAL ? finite & (o >= 0) : finite;
}

static inline int vcy_in_box(double x, double y, double z, const double *lo,
                             const double *hi)
{
    return (x > lo[0]) & (x < hi[0]) & (y > lo[1]) & (y < hi[1]) & (z > lo[2]) & (z < hi[2]);
}

static ptrdiff_t vcy_scan_box_portable(const double *x, const double *y, const double *z,
                                       const double *o, ptrdiff_t i, ptrdiff_t n,
                                       const double *lo, const double *hi, int screen,
                                       ptrdiff_t *hits, ptrdiff_t cap, ptrdiff_t *n_hits,
                                       int *bad)
{
    ptrdiff_t count = *n_hits;
    int ok = 1;
    for (; i < n && count < cap; ++i) {
        if (screen != SCREEN_NONE) ok &= vcy_row_ok(x[i], y[i], z[i], o[i], screen);
        if (vcy_in_box(x[i], y[i], z[i], lo, hi)) hits[count++] = i;
    }
    *n_hits = count;
    if (!ok) *bad = 1;
    return i;
}

#if VCY_HAVE_AVX2_PATH
__attribute__((target("avx2")))
static ptrdiff_t vcy_scan_box_avx2(const double *x, const double *y, const double *z,
                                   const double *o, ptrdiff_t i, ptrdiff_t n,
                                   const double *lo, const double *hi, int screen,
                                   ptrdiff_t *hits, ptrdiff_t cap, ptrdiff_t *n_hits,
                                   int *bad)
{
    const __m256d lo_x = _mm256_set1_pd(lo[0]), hi_x = _mm256_set1_pd(hi[0]);
    const __m256d lo_y = _mm256_set1_pd(lo[1]), hi_y = _mm256_set1_pd(hi[1]);
    const __m256d lo_z = _mm256_set1_pd(lo[2]), hi_z = _mm256_set1_pd(hi[2]);
    const __m256d zero = _mm256_setzero_pd();
    __m256d ok = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    ptrdiff_t count = *n_hits;
    /* Four rows at a time, while four more hits always fit. */
    for (; i + 4 <= n && count + 4 <= cap; i += 4) {
        const __m256d vx = _mm256_loadu_pd(x + i);
        const __m256d vy = _mm256_loadu_pd(y + i);
        const __m256d vz = _mm256_loadu_pd(z + i);
        __m256d in = _mm256_and_pd(_mm256_cmp_pd(vx, lo_x, _CMP_GT_OQ),
                                   _mm256_cmp_pd(vx, hi_x, _CMP_LT_OQ));
        in = _mm256_and_pd(in, _mm256_and_pd(_mm256_cmp_pd(vy, lo_y, _CMP_GT_OQ),
                                             _mm256_cmp_pd(vy, hi_y, _CMP_LT_OQ)));
        in = _mm256_and_pd(in, _mm256_and_pd(_mm256_cmp_pd(vz, lo_z, _CMP_GT_OQ),
                                             _mm256_cmp_pd(vz, hi_z, _CMP_LT_OQ)));
        if (screen != SCREEN_NONE) {
            const __m256d vo = _mm256_loadu_pd(o + i);
            /* (v - v) is 0 for finite v, NaN otherwise; a sum of them too. */
            const __m256d fin = _mm256_add_pd(
                _mm256_add_pd(_mm256_sub_pd(vx, vx), _mm256_sub_pd(vy, vy)),
                _mm256_add_pd(_mm256_sub_pd(vz, vz), _mm256_sub_pd(vo, vo)));
            __m256d row_ok = _mm256_cmp_pd(fin, zero, _CMP_EQ_OQ);
            if (screen == SCREEN_ORIGINAL)
                row_ok = _mm256_and_pd(row_ok, _mm256_cmp_pd(vo, zero, _CMP_GE_OQ));
            ok = _mm256_and_pd(ok, row_ok);
        }
        unsigned bits = (unsigned)_mm256_movemask_pd(in);
        while (bits) {
            hits[count++] = i + __builtin_ctz(bits);
            bits &= bits - 1;
        }
    }
    if (_mm256_movemask_pd(ok) != 0xF) *bad = 1;
    *n_hits = count;
    /* Leave the upper halves of the vector registers clean before the SSE
     * code that follows (gcc does not do it before this tail call): dirty
     * upper state slows every later SSE instruction of the process. */
    _mm256_zeroupper();
    return vcy_scan_box_portable(x, y, z, o, i, n, lo, hi, screen, hits, cap, n_hits, bad);
}
#endif

#if VCY_HAVE_AVX2_PATH
/* Eight rows at a time in AVX-512 registers, the compares into mask
 * registers; the screen accumulates over the rows instead (a sum of the
 * (v - v), which a non-finite value turns to NaN for good, and the least
 * occupancy), so no mask is carried from row to row.  The same hits in the
 * same order as the AVX2 and portable loops, which finish the tail. */
__attribute__((target("avx512f")))
static ptrdiff_t vcy_scan_box_avx512(const double *x, const double *y, const double *z,
                                     const double *o, ptrdiff_t i, ptrdiff_t n,
                                     const double *lo, const double *hi, int screen,
                                     ptrdiff_t *hits, ptrdiff_t cap, ptrdiff_t *n_hits,
                                     int *bad)
{
    const __m512d lo_x = _mm512_set1_pd(lo[0]), hi_x = _mm512_set1_pd(hi[0]);
    const __m512d lo_y = _mm512_set1_pd(lo[1]), hi_y = _mm512_set1_pd(hi[1]);
    const __m512d lo_z = _mm512_set1_pd(lo[2]), hi_z = _mm512_set1_pd(hi[2]);
    const __m512d zero = _mm512_setzero_pd();
    __m512d fin_all = zero, o_min = _mm512_set1_pd(1.0);
    ptrdiff_t count = *n_hits;
    /* While eight more hits always fit. */
    for (; i + 8 <= n && count + 8 <= cap; i += 8) {
        const __m512d vx = _mm512_loadu_pd(x + i);
        const __m512d vy = _mm512_loadu_pd(y + i);
        const __m512d vz = _mm512_loadu_pd(z + i);
        const unsigned in_x = (unsigned)_mm512_cmp_pd_mask(vx, lo_x, _CMP_GT_OQ)
                            & (unsigned)_mm512_cmp_pd_mask(vx, hi_x, _CMP_LT_OQ);
        const unsigned in_y = (unsigned)_mm512_cmp_pd_mask(vy, lo_y, _CMP_GT_OQ)
                            & (unsigned)_mm512_cmp_pd_mask(vy, hi_y, _CMP_LT_OQ);
        const unsigned in_z = (unsigned)_mm512_cmp_pd_mask(vz, lo_z, _CMP_GT_OQ)
                            & (unsigned)_mm512_cmp_pd_mask(vz, hi_z, _CMP_LT_OQ);
        if (screen != SCREEN_NONE) {
            const __m512d vo = _mm512_loadu_pd(o + i);
            /* (v - v) is 0 for finite v, NaN otherwise; a sum of them too. */
            fin_all = _mm512_add_pd(fin_all, _mm512_add_pd(
                _mm512_add_pd(_mm512_sub_pd(vx, vx), _mm512_sub_pd(vy, vy)),
                _mm512_add_pd(_mm512_sub_pd(vz, vz), _mm512_sub_pd(vo, vo))));
            o_min = _mm512_min_pd(o_min, vo);
        }
        unsigned bits = in_x & in_y & in_z;
        while (bits) {
            hits[count++] = i + __builtin_ctz(bits);
            bits &= bits - 1;
        }
    }
    if (screen != SCREEN_NONE) {
        unsigned ok = (unsigned)_mm512_cmp_pd_mask(fin_all, zero, _CMP_EQ_OQ);
        if (screen == SCREEN_ORIGINAL)  /* true for -0.0, as the other loops */
            ok &= (unsigned)_mm512_cmp_pd_mask(o_min, zero, _CMP_GE_OQ);
        if (ok != 0xFF) *bad = 1;
    }
    *n_hits = count;
    _mm256_zeroupper();  /* as vcy_scan_box_avx2 */
    return vcy_scan_box_avx2(x, y, z, o, i, n, lo, hi, screen, hits, cap, n_hits, bad);
}
#endif

VCY_MAYBE_UNUSED
static ptrdiff_t vcy_scan_box(const double *x, const double *y, const double *z,
                              const double *o, ptrdiff_t start, ptrdiff_t n,
                              const double *lo, const double *hi, int screen,
                              ptrdiff_t *hits, ptrdiff_t cap, ptrdiff_t *n_hits, int *bad)
{
    *n_hits = 0;
#if VCY_HAVE_AVX2_PATH
    if (__builtin_cpu_supports("avx512f"))
        return vcy_scan_box_avx512(x, y, z, o, start, n, lo, hi, screen, hits, cap, n_hits,
                                   bad);
    if (__builtin_cpu_supports("avx2"))
        return vcy_scan_box_avx2(x, y, z, o, start, n, lo, hi, screen, hits, cap, n_hits,
                                 bad);
#endif
    return vcy_scan_box_portable(x, y, z, o, start, n, lo, hi, screen, hits, cap, n_hits,
                                 bad);
}

static inline uint64_t vcy_bits_of(double v)
{
    uint64_t b;
    __builtin_memcpy(&b, &v, sizeof b);
    return b;
}

/* 1 when the exponent field is all ones (inf or NaN), else 0. */
static inline uint64_t vcy_not_finite(uint64_t b)
{
    return (((b >> 52) & 0x7FF) + 1) >> 11;
}

/* gcc on x86-64 also builds an AVX2 version of the screens, picked at load
 * time when the CPU has it (twice the integer lanes). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VCY_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define VCY_MULTIVERSION
#endif

/* The screen alone.  Integer operations on the bits, so that compilers
 * vectorise it on baseline SSE2: an occupancy is negative when its bits, read
 * as an unsigned integer, exceed those of -0.0 (which is valid). */
VCY_MULTIVERSION VCY_MAYBE_UNUSED
static int vcy_rows_are_valid(const double *x, const double *y, const double *z,
                              const double *occupancy, ptrdiff_t n)
{
    uint64_t bad = 0;
    for (ptrdiff_t i = 0; i < n; ++i) {
        const uint64_t bo = vcy_bits_of(occupancy[i]);
        bad |= vcy_not_finite(vcy_bits_of(x[i])) | vcy_not_finite(vcy_bits_of(y[i]))
             | vcy_not_finite(vcy_bits_of(z[i])) | vcy_not_finite(bo)
             | (uint64_t)(bo > 0x8000000000000000ULL);
    }
    return bad == 0;
}

/* 1 when every coordinate and occupancy is finite (occupancies of any sign). */
VCY_MULTIVERSION VCY_MAYBE_UNUSED
static int vcy_rows_are_finite(const double *x, const double *y, const double *z,
                               const double *occupancy, ptrdiff_t n)
{
    uint64_t bad = 0;
    for (ptrdiff_t i = 0; i < n; ++i) {
        bad |= vcy_not_finite(vcy_bits_of(x[i])) | vcy_not_finite(vcy_bits_of(y[i]))
             | vcy_not_finite(vcy_bits_of(z[i])) | vcy_not_finite(vcy_bits_of(occupancy[i]));
    }
    return bad == 0;
}

#endif
