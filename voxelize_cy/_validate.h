/* _validate.h -- a branch-free screen of atom rows (pure C, no Python).
 *
 * vcy_rows_are_valid(x, y, z, occupancy, n) is 1 when every coordinate is
 * finite and every occupancy is finite with a clear sign bit, else 0.  It
 * looks at the exponent bits with 64-bit integer operations so that compilers
 * vectorise it on baseline SSE2 (a double comparison feeding an int reduction
 * does not).  A 0 is a screen, not a verdict: -0.0 fails it although it is a
 * valid occupancy, so the caller re-checks the rows one by one.
 */
#ifndef VOXELIZE_CY_VALIDATE_H
#define VOXELIZE_CY_VALIDATE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t vcy_bits_of(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* 1 when the exponent field is all ones (inf or NaN), else 0. */
static inline uint64_t vcy_not_finite(uint64_t b)
{
    return (((b >> 52) & 0x7FF) + 1) >> 11;
}

/* gcc on x86-64: also an AVX2 build of the loop, picked at load time when the
 * CPU has it (twice the integer lanes); other compilers get the baseline. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VCY_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define VCY_MULTIVERSION
#endif

VCY_MULTIVERSION
static int vcy_rows_are_valid(const double *x, const double *y, const double *z,
                              const double *occupancy, ptrdiff_t n)
{
    uint64_t bad = 0;
    for (ptrdiff_t i = 0; i < n; ++i) {
        const uint64_t bo = vcy_bits_of(occupancy[i]);
        bad |= vcy_not_finite(vcy_bits_of(x[i])) | vcy_not_finite(vcy_bits_of(y[i]))
             | vcy_not_finite(vcy_bits_of(z[i])) | vcy_not_finite(bo) | (bo >> 63);
    }
    return bad == 0;
}

#endif
