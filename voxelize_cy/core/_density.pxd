# libmolgrid's Gaussian and binary densities (src/density.c), for the
# density fills of _draw.pyx and the backward pass of _gradients.pyx.

cdef extern from "density.h" nogil:
    ctypedef struct vcy_density:
        double inv_r2
        double inner2
        double outer2
        double qa, qb, qc
        int binary
        const float *tie_off[3]
        int tie_i
        float tie_cut
        double tie_cut2, tie_band2
    void vcy_density_slab(const vcy_density *d, double dx2, const double *dy2, int ny,
                          const double *dz2, int nz, double ex, const double *ey,
                          const double *ez, double *out)
    void vcy_density_axes(const double *off, int n, double inv_r2, double *sq,
                          double *fac)
    void vcy_density_block_f32(const vcy_density *d, int n0, int n1, int n2,
                               const double *sq, const double *fac, float *img, long L,
                               double weight)
    void vcy_density_block_f64(const vcy_density *d, int n0, int n1, int n2,
                               const double *sq, const double *fac, double *img, long L,
                               double weight)
    void vcy_density_grad_block_f32(const vcy_density *d, int n0, int n1, int n2,
                                    const double *off, const double *sq,
                                    const double *fac, const float *grad, long row,
                                    long plane, double *s)
    void vcy_density_grad_block_f64(const vcy_density *d, int n0, int n1, int n2,
                                    const double *off, const double *sq,
                                    const double *fac, const double *grad, long row,
                                    long plane, double *s)
    void vcy_density_small_f32(const vcy_density *d, const double *first, double res,
                               const double *c, const int *n, float *img, long L,
                               double weight)
    void vcy_density_small_f64(const vcy_density *d, const double *first, double res,
                               const double *c, const int *n, double *img, long L,
                               double weight)
