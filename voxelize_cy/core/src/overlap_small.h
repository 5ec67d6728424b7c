/*
 * overlap_small.h -- the voxel values of a ball whose block has at most
 * 3 voxels per axis, in one call (see overlap_small.c).
 */
#ifndef VOXELIZE_CY_OVERLAP_SMALL_H
#define VOXELIZE_CY_OVERLAP_SMALL_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Voxel values of a block of nx x ny x nz <= 3 x 3 x 3 voxels whose corner
 * planes are ux[nx + 1], uy[ny + 1], uz[nz + 1] (unit coordinates clamped to
 * [-1, 1], as for vcy_block_*), with fx, fy, fz the squared unit distances of
 * each voxel's farther plane (a voxel with fx + fy + fz <= 1 lies inside the
 * ball: ``inside``).  frac[(i * 3 + j) * 4 + k] for i < nx, j < ny, k < nz is
 * the 8-term difference of Q times ``scale``, clamped to [0, upper], as
 * vcy_block_slab gives it; frac holds 36 doubles.
 *
 * Returns 1, or 0 (frac untouched) when the block does not fit the small
 * path: more than 3 voxels along an axis, more than two corner planes inside
 * the ball along an axis.  Then use vcy_block_*.  The same SIMD path as
 * vcy_block_* runs (bitwise the same results on every path).
 */
int vcy_small_block(const double *ux, int nx, const double *uy, int ny, const double *uz,
                    int nz, const double *fx, const double *fy, const double *fz,
                    double inside, double upper, double scale, double *frac);

/* The same values by the general tail only, never the usual block's vector
 * tail (overlap_usual.h), on the baseline path: for the tests, which check
 * that the two give the same bits. */
int vcy_small_block_general(const double *ux, int nx, const double *uy, int ny,
                            const double *uz, int nz, const double *fx, const double *fy,
                            const double *fz, double inside, double upper, double scale,
                            double *frac);

#ifdef __cplusplus
}
#endif

#endif /* VOXELIZE_CY_OVERLAP_SMALL_H */
