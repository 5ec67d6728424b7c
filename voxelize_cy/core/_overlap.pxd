# Cython declarations of the pure-C overlap routines in overlap.c / overlap.h.
# cimport from here; every function is nogil and thread-safe.

cdef extern from "overlap.h" nogil:
    double VCY_UNIT_BALL_VOLUME
    double vcy_unit_cap_quarter(double a)
    double vcy_unit_corner(double a, double b, double c)
    double vcy_unit_octant_box(double a, double b, double c)
    double vcy_unit_cdf(double a, double b, double c)
    double vcy_sphere_box_overlap_A3(double cx, double cy, double cz, double r,
                                     double x0, double x1,
                                     double y0, double y1,
                                     double z0, double z1)
    ctypedef struct vcy_pair:
        double w
        double z
        double alpha
        double phi_p
        double phi_q
    void vcy_unit_pair_table(const double *ua, int na, const double *ub, int nb,
                             vcy_pair *pairs)
    void vcy_unit_cdf_plane(double ux,
                            const double *uy, const double *cap_y, int ny,
                            const double *uz, const double *cap_z, int nz,
                            const vcy_pair *p_yz, double *q, vcy_pair *p_xz)
    void vcy_unit_disc_plane(double u, const double *v, int nv, const double *w, int nw,
                             double *out)
    double vcy_disc_rect_area(double rho, double y0, double y1, double z0, double z1)


cdef extern from "overlap_block.h" nogil:
    ctypedef struct vcy_pairs:
        double *w
        double *z
        double *alpha
        double *phi_p
        double *phi_q
    ctypedef struct vcy_axis:
        double *a
        double *sign
        double *cap
    ctypedef struct vcy_block:
        vcy_axis x, y, z
        vcy_pairs xy, xz, yz
        int m, nx, ny, nz
    long vcy_block_work_doubles(int m)
    void vcy_block_init(vcy_block *b, double *work, int m, int nx, int ny, int nz)
    void vcy_block_prepare(vcy_block *b, const double *ux, const double *uy,
                           const double *uz)
    void vcy_block_plane(const vcy_block *b, int i, double *q)
    void vcy_block_atan2(const double *y, const double *x, double *out, int n)
    void vcy_block_slab(const double *q_lo, const double *q_hi, int ny, int nz, double fx,
                        const double *fy, const double *fz, double inside, double upper,
                        double scale, double *frac)
    void vcy_block_add_f32(float *slab, long row_stride, int ny, int nz,
                           const double *frac, double weight)
    void vcy_block_add_f64(double *slab, long row_stride, int ny, int nz,
                           const double *frac, double weight)
    int vcy_block_path()
    int vcy_block_set_path(int path)
    int vcy_block_best_path()


cdef extern from "overlap_small.h" nogil:
    int vcy_small_block(const double *ux, int nx, const double *uy, int ny, const double *uz,
                        int nz, const double *fx, const double *fy, const double *fz,
                        double inside, double upper, double scale, double *frac)
    int vcy_small_block_general(const double *ux, int nx, const double *uy, int ny,
                                const double *uz, int nz, const double *fx,
                                const double *fy, const double *fz, double inside,
                                double upper, double scale, double *frac)
