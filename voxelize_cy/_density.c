/*
 * _density.c -- libmolgrid's Gaussian and binary densities at voxel centres.
 *
 * The Gaussian exp(-2 d^2 / r^2) separates into three per-axis factors, so a
 * voxel inside G r costs two multiplications; between G r and the final
 * radius the quadratic (qa t + qb) t + qc in t = d / r continues it with the
 * same value and slope (libmolgrid's GridMaker), clamped at 0.  Branch-free
 * loops over a slab's rows, which the compiler vectorises.
 *
 * The forward kernels over blocks (vcy_density_slab, _block, _small, _axes,
 * _grad_block) are in _density_simd.c, compiled for every SIMD path like the
 * exact fill's block kernels.
 *
 * Gradient: d value / dc = h (p - c), with h = 4 value / r^2 inside G r and
 * h = -(2 qa t + qb) / (r^2 t) in the quadratic part (0 where it is clamped
 * or beyond the final radius).
 */
#include "_density.h"

#include <math.h>

void vcy_density_grad_slab(const vcy_density *d, double dx, const double *dy, int ny,
                           const double *dz, int nz, double ex, const double *ey,
                           const double *ez, const double *g, double *s)
{
    if (d->binary) return;
    const double inner2 = d->inner2, outer2 = d->outer2, inv_r2 = d->inv_r2;
    const double qa = d->qa, qb = d->qb, qc = d->qc;
    double sx = 0.0, sy = 0.0, sz = 0.0;
    for (int j = 0; j < ny; ++j) {
        const double exy = ex * ey[j];
        const double dxy2 = dx * dx + dy[j] * dy[j];
        const double *gr = g + (long)j * nz;
        double row_h = 0.0, row_z = 0.0;
        for (int k = 0; k < nz; ++k) {
            const double rsq = dxy2 + dz[k] * dz[k];
            const double t = sqrt(rsq * inv_r2);
            const double q = (qa * t + qb) * t + qc;
            const double tt = t > 0.0 ? t : 1.0;
            const double h_outer = (q > 0.0 && rsq < outer2) ? -(2.0 * qa * t + qb) * inv_r2 / tt
                                                              : 0.0;
            const double h = (rsq <= inner2) ? 4.0 * exy * ez[k] * inv_r2 : h_outer;
            const double gh = gr[k] * h;
            row_h += gh;
            row_z += gh * dz[k];
        }
        sx += row_h * dx;
        sy += row_h * dy[j];
        sz += row_z;
    }
    s[0] += sx;
    s[1] += sy;
    s[2] += sz;
}

