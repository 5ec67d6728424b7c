/*
 * density.h -- libmolgrid's densities at voxel centres, over blocks of
 * voxels (see density.c).  Pure C, thread-safe.
 */
#ifndef VOXELIZE_CY_DENSITY_H
#define VOXELIZE_CY_DENSITY_H

#ifdef __cplusplus
extern "C" {
#endif

/* The density of one atom, in the units of its (scaled) radius r. */
typedef struct {
    double inv_r2;     /* 1 / r^2 */
    double inner2;     /* (G r)^2: the Gaussian up to here */
    double outer2;     /* (final r)^2: 0 from here */
    double qa, qb, qc; /* the quadratic in d / r beyond G r */
    int binary;        /* 1 where d < r, else 0 (no Gaussian) */
    /* libmolgrid's ties: where a discontinuous density (binary, or a Gaussian
     * truncated at G r) jumps, a voxel centre within tie_band2 of the cut
     * (in squared distance) is inside or outside as libmolgrid's float32
     * arithmetic decides: with its per-axis offsets p - c of the block's
     * centres (tie_off[axis][t], +inf outside its box of the atom), binary:
     * rsq < tie_cut; truncated: sqrtf(rsq) <= tie_cut.  tie_off[0] NULL: no
     * ties (every voxel by the float64 distance).  tie_i: the slab's x index
     * (vcy_density_slab). */
    const float *tie_off[3];
    int tie_i;
    float tie_cut;
    double tie_cut2, tie_band2;
} vcy_density;

/*
 * Values of the voxels (j, k) of one slab of a block: out[j * nz + k] for
 * squared distances dx2 + dy2[j] + dz2[k] from the atom's centre to the
 * voxel centres.  ex, ey[j], ez[k] are the per-axis Gaussian factors
 * exp(-2 d_axis^2 / r^2), whose product is the Gaussian (it separates).
 */
void vcy_density_slab(const vcy_density *d, double dx2, const double *dy2, int ny,
                      const double *dz2, int nz, double ex, const double *ey,
                      const double *ez, double *out);

/*
 * sq[t] = off[t]^2 and fac[t] = exp(-2 off[t]^2 inv_r2) for t < n: the
 * per-axis terms of a block (vectorised exponential, about an ulp from
 * libm's; on the exact fill's SIMD paths).
 */
void vcy_density_axes(const double *off, int n, double inv_r2, double *sq, double *fac);

/*
 * A whole block of the density added into one channel of an image (the plain
 * sum): img[(i L + j) L + k] += weight * value for i < n0, j < n1, k < n2,
 * with the per-axis squares sq and factors fac laid out x, y, z as
 * vcy_density_axes gives them (on the SIMD paths).
 */
void vcy_density_block_f32(const vcy_density *d, int n0, int n1, int n2, const double *sq,
                           const double *fac, float *img, long L, double weight);
void vcy_density_block_f64(const vcy_density *d, int n0, int n1, int n2, const double *sq,
                           const double *fac, double *img, long L, double weight);

/*
 * The Gaussian's gradient over a whole block of dL/d(value) (grad at the
 * block's first voxel, rows row apart, planes plane apart: one channel of an
 * image, or a block summed over channels): adds sum g h (p - c) to s[0..2];
 * off, sq, fac as vcy_density_axes lays them out (x, y, z).
 */
void vcy_density_grad_block_f32(const vcy_density *d, int n0, int n1, int n2,
                                const double *off, const double *sq, const double *fac,
                                const float *grad, long row, long plane, double *s);
void vcy_density_grad_block_f64(const vcy_density *d, int n0, int n1, int n2,
                                const double *off, const double *sq, const double *fac,
                                const double *grad, long row, long plane, double *s);

/*
 * A block of at most 4 x 4 x 4 voxel centres (n[a] <= 4 along axis a) added
 * into one channel (the plain sum) in one call: first[a] is the first centre
 * along axis a, res the spacing, c the atom's centre; img points at the
 * block's first voxel, rows L apart.  The values of vcy_density_block_*.
 */
void vcy_density_small_f32(const vcy_density *d, const double *first, double res,
                           const double *c, const int *n, float *img, long L,
                           double weight);
void vcy_density_small_f64(const vcy_density *d, const double *first, double res,
                           const double *c, const int *n, double *img, long L,
                           double weight);

#ifdef __cplusplus
}
#endif

#endif /* VOXELIZE_CY_DENSITY_H */
