/*
 * overlap_block.h -- the signed cumulative volume Q of the unit ball on a
 * block of grid corners, vectorised (see overlap.h for W, L and Q).
 *
 * A voxel block needs Q at every corner (i, j, k) of an nx x ny x nz corner
 * grid whose coordinates along each axis (already scaled to the unit ball and
 * clamped to [-1, 1]) are given.  Q splits into terms of one coordinate (the
 * caps W(a, 0, 0)), of two (the pair terms W(p, q, 0) and the angles of their
 * spherical boundary) and of three (the corner term W(a, b, c), built from the
 * three pair terms' angles with no new angle).  The pair terms are computed
 * once per atom for the three coordinate planes, in batches, with an
 * arctangent that the compiler vectorises (a polynomial accurate to about an
 * ulp, not libm's scalar atan2); the corner loop is branch-free so that it
 * vectorises too.
 *
 * SIMD paths: each routine is compiled for baseline x86-64 (SSE2), AVX2 and
 * AVX-512F, picked at run time from the CPU; every path performs the same
 * IEEE operations in the same order (no FMA contraction), so the results are
 * bitwise identical whichever path runs.  vcy_block_set_path() forces one (for
 * tests and benchmarks).
 */
#ifndef VOXELIZE_CY_OVERLAP_BLOCK_H
#define VOXELIZE_CY_OVERLAP_BLOCK_H

#ifdef __cplusplus
extern "C" {
#endif

/* The terms of a table of pairs (p, q), structure of arrays, n entries each:
 * w = W(p, q, 0); z = sqrt(1 - p^2 - q^2); alpha = the interior angle at the
 * vertex (p, q, z); phi_p, phi_q = the angles the arcs on the planes x = p and
 * y = q span.  w is 0 for a pair whose corner lies outside the ball (whose
 * other terms are left unset: no corner inside the ball reads them). */
typedef struct {
    double *w;
    double *z;
    double *alpha;
    double *phi_p;
    double *phi_q;
} vcy_pairs;

/* Per-axis terms of n corner coordinates u (in [-1, 1]): the absolute value,
 * the sign (-1, 0, 1) and the cap W(|u|, 0, 0). */
typedef struct {
    double *a;
    double *sign;
    double *cap;
} vcy_axis;

/* Doubles of scratch an atom block with at most m corner planes per axis
 * needs (three axes, three pair tables), and how it is carved. */
long vcy_block_work_doubles(int m);

typedef struct {
    vcy_axis x, y, z;
    vcy_pairs xy, xz, yz;   /* xy[i * ny + j], xz[i * nz + k], yz[j * nz + k] */
    int m, nx, ny, nz;
    /* scratch of the batches (see vcy_block_init) */
    double *pair_p, *pair_q, *pair_out;
    long *pair_at;
    double *corner_w;
    int *corner_j, *corner_k;
} vcy_block;

/* Carve ``work`` (vcy_block_work_doubles(m) doubles) into a block for
 * nx, ny, nz <= m corner planes. */
void vcy_block_init(vcy_block *b, double *work, int m, int nx, int ny, int nz);

/* Fill the per-axis terms and the three pair tables from the corner
 * coordinates ux[nx], uy[ny], uz[nz]. */
void vcy_block_prepare(vcy_block *b, const double *ux, const double *uy, const double *uz);

/* q[j * nz + k] = Q(ux[i], uy[j], uz[k]) for the corner plane i. */
void vcy_block_plane(const vcy_block *b, int i, double *q);

/* Voxel values of one slab of ny x nz voxels from the Q planes of its two
 * x faces (q_lo, q_hi: (ny + 1) x (nz + 1) corners): the 8-term difference
 * times ``scale``, clamped to [0, upper]; ``inside`` where the voxel lies
 * wholly inside the ball (fx + fy[j] + fz[k] <= 1, the squared unit distances
 * of its farthest corner). */
void vcy_block_slab(const double *q_lo, const double *q_hi, int ny, int nz, double fx,
                    const double *fy, const double *fz, double inside, double upper,
                    double scale, double *frac);

/* slab[j * row_stride + k] += weight * frac[j * nz + k] (rounded to float for
 * the float32 image), j < ny, k < nz. */
void vcy_block_add_f32(float *slab, long row_stride, int ny, int nz, const double *frac,
                       double weight);
void vcy_block_add_f64(double *slab, long row_stride, int ny, int nz, const double *frac,
                       double weight);

/* Arctangent of y / x in the first quadrant (y, x >= 0; 0 for 0 / 0), as the
 * block routines compute it: n values (for the tests). */
void vcy_block_atan2(const double *y, const double *x, double *out, int n);

/* SIMD path: 0 baseline (SSE2), 1 AVX2, 2 AVX-512F.  vcy_block_path() is the
 * one in use; vcy_block_set_path(p) forces p (-1: back to the CPU's best)
 * and returns the path then in use (a path the CPU lacks is refused: the
 * current one is kept).  vcy_block_best_path() is what the CPU supports. */
int vcy_block_path(void);
int vcy_block_set_path(int path);
int vcy_block_best_path(void);

#ifdef __cplusplus
}
#endif

#endif /* VOXELIZE_CY_OVERLAP_BLOCK_H */
