/*
 * overlap.c -- exact ball / axis-aligned box intersection volumes.
 *
 * Method (unit ball; see overlap.h for the notation)
 * ----------------------------------------------------
 * Corner volume W(a, b, c), a, b, c >= 0, a^2 + b^2 + c^2 < 1.  The region
 * R = {|p| <= 1, x >= a, y >= b, z >= c} is star-shaped from P = (a, b, c) and
 * its three flat faces contain P, so by the divergence theorem applied to the
 * field (p - P):
 *
 *     3 W = integral over the spherical part S of (p - P) . n dA
 *         = area(S) - a Mx - b My - c Mz,
 *
 * where Mx = integral over S of x dA is the area of the projection of S on the
 * (y, z) plane: the disc of radius sqrt(1 - a^2) cut by y >= b, z >= c
 * (likewise My, Mz).
 *
 * S is a spherical triangle bounded by three small-circle arcs with vertices
 *     Vab = (a, b, zab), Vac = (a, yac, c), Vbc = (xbc, b, c),
 *     zab = sqrt(1 - a^2 - b^2), yac = sqrt(1 - a^2 - c^2), xbc = sqrt(1 - b^2 - c^2).
 * Gauss-Bonnet: area(S) = sum of interior angles - pi - sum of the turning of
 * the arcs, where the arc on the circle x = a turns by a * phi_a (phi_a the
 * angle it spans about the x axis).  The interior angle at Vab satisfies
 * cos = ab / (rho_a rho_b), sin = zab / (rho_a rho_b), i.e. atan2(zab, ab).
 * Every angle is computed with atan2 of a (sin, cos) pair, never with acos,
 * so that nothing loses precision near tangency.
 *
 * A disc segment {y >= b, z >= c, y^2 + z^2 <= rho^2} has area
 *     rho^2 phi / 2 - c y1 / 2 - b z1 / 2 + b c
 * with the arc from (y1, c) to (b, z1), y1 = sqrt(rho^2 - c^2),
 * z1 = sqrt(rho^2 - b^2), spanning the same angle phi as the arc of S.
 *
 * Octant box L(a, b, c) = vol(ball & [0,a]x[0,b]x[0,c]) by inclusion-exclusion
 * over the planes at 0 and at a (resp. b, c) of the corner volumes, and the
 * signed cumulative volume Q(a, b, c) = sgn(a) sgn(b) sgn(c) L(|a|, |b|, |c|)
 * gives any box as an alternating sum over its 8 corners.  Because Q is
 * anchored at the ball's centre, no reflection recursion is needed and each
 * value costs at most one full corner evaluation.
 */
#include "overlap.h"

#include <math.h>

#include "overlap_simd.h" /* the constants, and pair_weight */

static inline double clamp01(double v)
{
    /* NaN maps to 1 (the plane lies outside the ball): never propagates. */
    if (v >= 0.0 && v <= 1.0) return v;
    return (v < 0.0) ? 0.0 : 1.0;
}

static inline double clamp_pm1(double v)
{
    if (v >= -1.0 && v <= 1.0) return v;
    return (v < -1.0) ? -1.0 : 1.0;
}

static inline double sqrt_pos(double v)
{
    return (v > 0.0) ? sqrt(v) : 0.0;
}

double vcy_unit_cap_quarter(double a)
{
    a = clamp01(a);
    /* Cap {x >= a} of height h = 1 - a: pi h^2 (3 - h) / 3 = pi (1-a)^2 (2+a) / 3. */
    double h = 1.0 - a;
    return VCY_PI * h * h * (2.0 + a) / 12.0;
}

static inline void empty_pair(vcy_pair *out)
{
    out->w = out->z = out->alpha = out->phi_p = out->phi_q = 0.0;
}

/* W(p, q, 0), p, q in [0, 1], with the angles of its spherical boundary, which
 * the corner term W(p, q, r) of the same corner reuses.  One plane passes
 * through the centre, so two vertices sit on z = 0 with right angles: the area
 * of S is alpha - p phi_p - q phi_q and the z moment drops out. */
static inline void pair_terms(double p, double q, vcy_pair *out)
{
    const double free2 = 1.0 - p * p - q * q;
    if (!(p < 1.0 && q < 1.0 && free2 > 0.0)) {
        empty_pair(out);
        return;
    }
    const double z = sqrt(free2);
    const double alpha = atan2(z, p * q);
    const double phi_p = atan2(z, q);
    const double phi_q = atan2(z, p);
    out->w = pair_weight(p, q, z, alpha, phi_p, phi_q);
    out->z = z;
    out->alpha = alpha;
    out->phi_p = phi_p;
    out->phi_q = phi_q;
}

/* W(a, b, 0) alone. */
static inline double corner_two_planes(double a, double b)
{
    vcy_pair pair;
    pair_terms(a, b, &pair);
    return pair.w;
}

double vcy_unit_corner(double a, double b, double c)
{
    a = clamp01(a);
    b = clamp01(b);
    c = clamp01(c);
    if (a >= 1.0 || b >= 1.0 || c >= 1.0) return 0.0;
    if (c == 0.0) {
        if (b == 0.0) return vcy_unit_cap_quarter(a);
        if (a == 0.0) return vcy_unit_cap_quarter(b);
        return corner_two_planes(a, b);
    }
    if (b == 0.0) return (a == 0.0) ? vcy_unit_cap_quarter(c) : corner_two_planes(a, c);
    if (a == 0.0) return corner_two_planes(b, c);

    const double a2 = a * a, b2 = b * b, c2 = c * c;
    const double free3 = 1.0 - a2 - b2 - c2;
    if (!(free3 > 0.0)) return 0.0;

    /* Vertices of the spherical triangle. */
    const double zab = sqrt_pos(1.0 - a2 - b2);
    const double yac = sqrt_pos(1.0 - a2 - c2);
    const double xbc = sqrt_pos(1.0 - b2 - c2);

    /* Sum of the interior angles minus pi, as one argument: the angle at Vab
     * is arg(ab + i zab) (likewise at Vac, Vbc), so the sum is the argument of
     * the product, and minus pi that of its negation (the sum lies in
     * (0, 3 pi / 2], so no wrap-around). */
    const double p_re = a * b * a * c - zab * yac;
    const double p_im = a * b * yac + zab * a * c;
    const double q_re = p_re * (b * c) - p_im * xbc;
    const double q_im = p_re * xbc + p_im * (b * c);
    const double excess = atan2(-q_im, -q_re);

    /* Angles spanned by the three arcs about their circles' axes: each is the
     * angle between the two vertex vectors projected on that circle's plane. */
    const double phi_a = atan2(yac * zab - c * b, yac * b + c * zab);
    const double phi_b = atan2(xbc * zab - c * a, xbc * a + c * zab);
    const double phi_c = atan2(xbc * yac - b * a, xbc * a + b * yac);

    const double area_S = excess - (a * phi_a + b * phi_b + c * phi_c);

    /* Projected areas (first moments of S). */
    const double mx = 0.5 * ((1.0 - a2) * phi_a - c * yac - b * zab) + b * c;
    const double my = 0.5 * ((1.0 - b2) * phi_b - c * xbc - a * zab) + a * c;
    const double mz = 0.5 * ((1.0 - c2) * phi_c - b * xbc - a * yac) + a * b;

    double w = (area_S - a * mx - b * my - c * mz) / 3.0;
    if (!(w > 0.0)) return 0.0;
    return (w < VCY_PI_6) ? w : VCY_PI_6;
}

/* L from the corner volumes; cap_*: W(., 0, 0), w_**: W(., ., 0). */
static inline double octant_box_from_parts(double cap_a, double cap_b, double cap_c,
                                           double w_ab, double w_ac, double w_bc,
                                           double w_abc)
{
    return (VCY_PI_6 - cap_a - cap_b - cap_c) + (w_ab + w_ac + w_bc) - w_abc;
}

double vcy_unit_octant_box(double a, double b, double c)
{
    a = clamp01(a);
    b = clamp01(b);
    c = clamp01(c);
    if (a == 0.0 || b == 0.0 || c == 0.0) return 0.0;
    double v = octant_box_from_parts(
        vcy_unit_cap_quarter(a), vcy_unit_cap_quarter(b), vcy_unit_cap_quarter(c),
        vcy_unit_corner(a, b, 0.0), vcy_unit_corner(a, 0.0, c), vcy_unit_corner(0.0, b, c),
        vcy_unit_corner(a, b, c));
    return (v > 0.0) ? v : 0.0;
}

static inline double sign_of(double v)
{
    return (v > 0.0) ? 1.0 : ((v < 0.0) ? -1.0 : 0.0);
}

double vcy_unit_cdf(double a, double b, double c)
{
    double s = sign_of(a) * sign_of(b) * sign_of(c);
    if (s == 0.0) return 0.0;
    return s * vcy_unit_octant_box(fabs(a), fabs(b), fabs(c));
}

double vcy_sphere_box_overlap_A3(double cx, double cy, double cz, double r,
                                 double x0, double x1,
                                 double y0, double y1,
                                 double z0, double z1)
{
    if (!(r > 0.0) || !(x1 > x0) || !(y1 > y0) || !(z1 > z0)) return 0.0;
    if (isinf(r)) return 0.0;

    const double dx0 = x0 - cx, dx1 = x1 - cx;
    const double dy0 = y0 - cy, dy1 = y1 - cy;
    const double dz0 = z0 - cz, dz1 = z1 - cz;
    const double r2 = r * r;

    /* Box volume (the upper bound); inf for an unbounded box. */
    const double box = (x1 - x0) * (y1 - y0) * (z1 - z0);
    const double ball = VCY_UNIT_BALL_VOLUME * r * r * r;

    /* Whole box inside the ball: exactly the box's volume. */
    const double fx = fmax(dx0 * dx0, dx1 * dx1);
    const double fy = fmax(dy0 * dy0, dy1 * dy1);
    const double fz = fmax(dz0 * dz0, dz1 * dz1);
    if (fx + fy + fz <= r2) return box;

    /* Box misses the ball: the nearest point of the box is outside. */
    const double nx = (dx0 > 0.0) ? dx0 : ((dx1 < 0.0) ? dx1 : 0.0);
    const double ny = (dy0 > 0.0) ? dy0 : ((dy1 < 0.0) ? dy1 : 0.0);
    const double nz = (dz0 > 0.0) ? dz0 : ((dz1 < 0.0) ? dz1 : 0.0);
    if (nx * nx + ny * ny + nz * nz >= r2) return 0.0;

    const double inv_r = 1.0 / r;
    const double ux[2] = {clamp_pm1(dx0 * inv_r), clamp_pm1(dx1 * inv_r)};
    const double uy[2] = {clamp_pm1(dy0 * inv_r), clamp_pm1(dy1 * inv_r)};
    const double uz[2] = {clamp_pm1(dz0 * inv_r), clamp_pm1(dz1 * inv_r)};

    double sum = 0.0;
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j)
            for (int k = 0; k < 2; ++k) {
                /* Upper corner (1, 1, 1) counts +, then alternating. */
                double q = vcy_unit_cdf(ux[i], uy[j], uz[k]);
                sum += ((i + j + k) & 1) ? q : -q;
            }

    double v = sum * r * r * r;
    double upper = (box < ball) ? box : ball;
    if (!(v > 0.0)) return 0.0;
    return (v < upper) ? v : upper;
}

/* W(a, b, c) from the pair terms of (a, b), (a, c), (b, c): no new angles.
 * Each arc of the spherical triangle spans the difference of two pair-arc
 * angles (written as a sum minus pi/2), and the interior angles are the pair
 * terms' alphas. */
static inline double corner_from_pairs(double a, double b, double c,
                                       const vcy_pair *ab, const vcy_pair *ac,
                                       const vcy_pair *bc)
{
    const double half_pi = 0.5 * VCY_PI;
    if (!(1.0 - a * a - b * b - c * c > 0.0)) return 0.0;
    const double zab = ab->z, yac = ac->z, xbc = bc->z;
    const double excess = (ab->alpha + ac->alpha + bc->alpha) - VCY_PI;
    const double phi_a = (ab->phi_p + ac->phi_p) - half_pi;
    const double phi_b = (ab->phi_q + bc->phi_p) - half_pi;
    const double phi_c = (ac->phi_q + bc->phi_q) - half_pi;
    const double area_S = excess - (a * phi_a + b * phi_b + c * phi_c);
    const double mx = 0.5 * ((1.0 - a * a) * phi_a - c * yac - b * zab) + b * c;
    const double my = 0.5 * ((1.0 - b * b) * phi_b - c * xbc - a * zab) + a * c;
    const double mz = 0.5 * ((1.0 - c * c) * phi_c - b * xbc - a * yac) + a * b;
    double w = (area_S - a * mx - b * my - c * mz) / 3.0;
    if (!(w > 0.0)) return 0.0;
    return (w < VCY_PI_6) ? w : VCY_PI_6;
}

void vcy_unit_pair_table(const double *ua, int na, const double *ub, int nb,
                         vcy_pair *pairs)
{
    for (int j = 0; j < na; ++j) {
        const double a = fabs(ua[j]);
        for (int k = 0; k < nb; ++k) {
            const double b = fabs(ub[k]);
            if (a < 1.0 && b < 1.0)
                pair_terms(a, b, &pairs[j * nb + k]);
            else
                empty_pair(&pairs[j * nb + k]);
        }
    }
}

void vcy_unit_cdf_plane(double ux,
                        const double *uy, const double *cap_y, int ny,
                        const double *uz, const double *cap_z, int nz,
                        const vcy_pair *p_yz, double *q, vcy_pair *p_xz)
{
    /* Q(ux, uy[j], uz[k]) = s * L(|ux|, |uy[j]|, |uz[k]|) with
     * L = pi/6 - caps + pair terms - corner term; a coordinate at the ball's
     * edge (|u| = 1) makes every term it is in vanish, which the branches
     * below use to skip work. */
    const double sx = sign_of(ux);
    if (sx == 0.0) {
        for (int n = 0; n < ny * nz; ++n) q[n] = 0.0;
        return;
    }
    const double a = fabs(ux);
    const int a_inside = a < 1.0;
    const double cap_a = a_inside ? vcy_unit_cap_quarter(a) : 0.0;
    for (int k = 0; k < nz; ++k) {
        const double c = fabs(uz[k]);
        if (a_inside && c < 1.0)
            pair_terms(a, c, &p_xz[k]);
        else
            empty_pair(&p_xz[k]);
    }
    for (int j = 0; j < ny; ++j) {
        const double sxy = sx * sign_of(uy[j]);
        const double b = fabs(uy[j]);
        double *q_row = q + j * nz;
        const vcy_pair *p_yz_row = p_yz + j * nz;
        if (sxy == 0.0) {
            for (int k = 0; k < nz; ++k) q_row[k] = 0.0;
            continue;
        }
        vcy_pair p_xy;
        const int ab_inside = a_inside && b < 1.0;
        if (ab_inside)
            pair_terms(a, b, &p_xy);
        else
            empty_pair(&p_xy);
        const double base = (VCY_PI_6 - cap_a - cap_y[j]) + p_xy.w;
        for (int k = 0; k < nz; ++k) {
            const double s = sxy * sign_of(uz[k]);
            const double c = fabs(uz[k]);
            double v = (base - cap_z[k]) + (p_xz[k].w + p_yz_row[k].w);
            if (ab_inside && c < 1.0)
                v -= corner_from_pairs(a, b, c, &p_xy, &p_xz[k], &p_yz_row[k]);
            q_row[k] = s * ((v > 0.0) ? v : 0.0);
        }
    }
}

/*
 * Gradients: the areas of the ball's cross-sections in voxel faces
 * ------------------------------------------------------------------
 * For a ball of centre c and a box [x0,x1] x [y0,y1] x [z0,z1], the overlap
 * V(c) = integral over the box of 1[|p - c| <= r] dp.  Moving the ball moves
 * the indicator, so dV/dc_x = -integral over the box of d/dp_x 1[...] dp, and
 * by the fundamental theorem of calculus along x,
 *
 *     dV/dc_x = A(x0) - A(x1),
 *
 * where A(x) is the area of the ball's cross-section in the plane of that x
 * face (a disc of radius rho = sqrt(r^2 - (x - c_x)^2) about (c_y, c_z)) that
 * falls inside the face's rectangle [y0,y1] x [z0,z1].  Likewise for y and z.
 *
 * A disc / rectangle area is a 4-term difference of a signed cumulative
 * area, the 2D analogue of Q: with the disc centred at the origin,
 *
 *     P(v, w) = sgn(v) sgn(w) D(min(|v|, rho), min(|w|, rho)),
 *     D(a, b) = area{ y^2 + z^2 <= rho^2, 0 <= y <= a, 0 <= z <= b },
 *     area(disc & [v0,v1] x [w0,w1]) = P(v1,w1) - P(v0,w1) - P(v1,w0) + P(v0,w0),
 *
 * so the faces of a block of voxels need P once per face corner, shared by
 * the faces around it, as the voxels share Q.  D in closed form: when the
 * corner (a, b) is inside the disc, the rectangle is whole, D = a b.
 * Otherwise integrate min(b, sqrt(rho^2 - y^2)) for y from 0 to a: the height
 * is b up to y* = sqrt(rho^2 - b^2), then the circle's, so
 *
 *     D = b y* + integral from y* to a of sqrt(rho^2 - y^2) dy
 *       = (b y* + a a' + rho^2 theta) / 2,    a' = sqrt(rho^2 - a^2),
 *
 * with theta = asin(a / rho) - asin(y* / rho) the angle the arc spans,
 * taken as one atan2 of its sine and cosine (a b - a' y*, a' b + a y*) so
 * that nothing loses precision where the arc is short (near tangency).
 * Everything here is in units of the ball's radius (the caller scales by r^2).
 */

static inline double disc_corner_area(double a, double b, double rho2)
{
    /* a, b in [0, rho]; rho2 = rho^2 > 0. */
    if (a * a + b * b <= rho2) return a * b;
    const double a_out = sqrt_pos(rho2 - a * a);
    const double y_star = sqrt_pos(rho2 - b * b);
    const double theta = atan2(a * b - a_out * y_star, a_out * b + a * y_star);
    return 0.5 * (b * y_star + a * a_out + rho2 * theta);
}

void vcy_unit_disc_plane(double u, const double *v, int nv, const double *w, int nw,
                         double *out)
{
    const double rho2 = (1.0 - u) * (1.0 + u);
    if (!(rho2 > 0.0)) {
        for (int n = 0; n < nv * nw; ++n) out[n] = 0.0;
        return;
    }
    const double rho = sqrt(rho2);
    for (int j = 0; j < nv; ++j) {
        const double sv = sign_of(v[j]);
        double a = fabs(v[j]);
        if (a > rho) a = rho;
        double *row = out + j * nw;
        for (int k = 0; k < nw; ++k) {
            const double s = sv * sign_of(w[k]);
            if (s == 0.0) {
                row[k] = 0.0;
                continue;
            }
            double b = fabs(w[k]);
            if (b > rho) b = rho;
            row[k] = s * disc_corner_area(a, b, rho2);
        }
    }
}

double vcy_disc_rect_area(double rho, double y0, double y1, double z0, double z1)
{
    /* Area of the disc of radius rho about the origin within [y0,y1] x [z0,z1]
     * (a single face: the tests' reference for the block routine). */
    if (!(rho > 0.0) || !(y1 > y0) || !(z1 > z0)) return 0.0;
    double v[2] = {y0 / rho, y1 / rho}, w[2] = {z0 / rho, z1 / rho}, p[4];
    for (int i = 0; i < 2; ++i) {
        v[i] = clamp_pm1(v[i]);
        w[i] = clamp_pm1(w[i]);
    }
    vcy_unit_disc_plane(0.0, v, 2, w, 2, p);
    return rho * rho * ((p[3] - p[1]) - (p[2] - p[0]));
}
