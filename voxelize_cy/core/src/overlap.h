/*
 * overlap.h -- exact volume of a ball intersected with axis-aligned boxes.
 *
 * Pure C99, no Python, no global state, no allocation: every function is
 * thread-safe and may be called without the GIL.
 *
 * Conventions
 * -----------
 * The "unit" functions work on the unit ball centred at the origin.  A box in
 * real units (angstroms) is mapped to it by translating by the ball's centre
 * and scaling by 1/r; a volume then scales back by r^3.
 *
 *   W(a, b, c)  corner volume: vol{ |p| <= 1, x >= a, y >= b, z >= c },
 *               for a, b, c >= 0.
 *   L(a, b, c)  octant box volume: vol{ |p| <= 1 } with [0,a]x[0,b]x[0,c],
 *               for a, b, c >= 0.
 *   Q(a, b, c)  signed cumulative volume: sgn(a) sgn(b) sgn(c) L(|a|,|b|,|c|).
 *               For any box, vol(ball & [x0,x1]x[y0,y1]x[z0,z1]) is the
 *               8-term alternating sum of Q over the box's corners, so a grid
 *               of voxels needs Q once per grid corner.
 *
 * Coordinates outside [-1, 1] may be clamped to +-1 without changing any
 * result (the plane then lies outside the ball).
 */
#ifndef VOXELIZE_CY_OVERLAP_H
#define VOXELIZE_CY_OVERLAP_H

#ifdef __cplusplus
extern "C" {
#endif

/* Volume of the unit ball, 4/3 pi. */
#define VCY_UNIT_BALL_VOLUME 4.18879020478639098461685784437267051

/* W(a, 0, 0): a quarter of the cap {x >= a}; a >= 0. */
double vcy_unit_cap_quarter(double a);

/* W(a, b, c) for a, b, c >= 0 (0 when a^2 + b^2 + c^2 >= 1). */
double vcy_unit_corner(double a, double b, double c);

/* L(a, b, c) for a, b, c >= 0 (each clamped to [0, 1]). */
double vcy_unit_octant_box(double a, double b, double c);

/* Q(a, b, c) for any finite a, b, c. */
double vcy_unit_cdf(double a, double b, double c);

/*
 * Exact volume (A^3) of the ball with centre (cx, cy, cz) and radius r
 * intersected with the box [x0,x1] x [y0,y1] x [z0,z1].
 *
 * Never NaN for finite input, never negative, never above the smaller of the
 * ball's and the box's volume.  A box with x1 < x0 (etc.) or r <= 0 gives 0.
 */
double vcy_sphere_box_overlap_A3(double cx, double cy, double cz, double r,
                                 double x0, double x1,
                                 double y0, double y1,
                                 double z0, double z1);

/*
 * Block helpers: the per-atom voxel loop evaluates Q on a grid of corners
 * whose coordinates along each axis are given (already scaled and clamped to
 * [-1, 1]).
 *
 * vcy_pair holds W(p, q, 0) for p, q in [0, 1] and the angles of that region's
 * spherical boundary, which the corner term W(p, q, r) of the same corner
 * reuses instead of computing new ones.
 *
 * vcy_unit_pair_table: pairs[j * nb + k] = the pair terms of (|ua[j]|, |ub[k]|).
 * vcy_unit_cdf_plane:  q[j * nz + k] = Q(ux, uy[j], uz[k]) for j < ny, k < nz,
 *     given cap_y[j] = W(|uy[j]|, 0, 0), cap_z[k] = W(|uz[k]|, 0, 0) and
 *     p_yz = vcy_unit_pair_table(uy, ny, uz, nz); p_xz is scratch for nz pairs.
 */
typedef struct {
    double w;      /* W(p, q, 0) */
    double z;      /* sqrt(1 - p^2 - q^2), 0 when the pair is empty */
    double alpha;  /* interior angle at the vertex (p, q, z) */
    double phi_p;  /* angle the arc on the plane x = p spans */
    double phi_q;  /* angle the arc on the plane y = q spans */
} vcy_pair;

void vcy_unit_pair_table(const double *ua, int na, const double *ub, int nb,
                         vcy_pair *pairs);
void vcy_unit_cdf_plane(double ux,
                        const double *uy, const double *cap_y, int ny,
                        const double *uz, const double *cap_z, int nz,
                        const vcy_pair *p_yz, double *q, vcy_pair *p_xz);

/*
 * Gradients (see the comment above vcy_unit_disc_plane in overlap.c):
 * dV/dc_x = A(x0) - A(x1), the areas of the ball's cross-sections in the
 * box's two x faces.
 *
 * vcy_unit_disc_plane: out[j * nw + k] = P(v[j], w[k]), the signed cumulative
 *     area of the unit ball's cross-section in the plane at u (a disc of
 *     radius sqrt(1 - u^2)), for face corners (v[j], w[k]) in units of r.
 * vcy_disc_rect_area: the area of a disc of radius rho about the origin
 *     inside [y0,y1] x [z0,z1] (any units).
 */
void vcy_unit_disc_plane(double u, const double *v, int nv, const double *w, int nw,
                         double *out);
double vcy_disc_rect_area(double rho, double y0, double y1, double z0, double z1);

#ifdef __cplusplus
}
#endif

#endif /* VOXELIZE_CY_OVERLAP_H */
