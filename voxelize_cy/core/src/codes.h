/* The codes the kernels and their callers share, defined once.
 *
 * The C routines (scan.h) and the Cython kernels use these names; Python sees
 * them as IntEnums through _codes.pxd (voxelize_cy.core.ImageStatus, Fill,
 * Aggregation, Screen, SelectStatus).  Add a member here and to _codes.pxd
 * together: tests/test_codes.py checks that both list the same values.
 */
#ifndef VCY_CODES_H
#define VCY_CODES_H

/* Status of one image, reported by the nogil kernels (0: done). */
enum vcy_image_status {
    IMAGE_OK = 0,
    IMAGE_NO_CHANNEL = 1,       /* an atom's element matched no channel */
    IMAGE_NO_RADIUS = 2,        /* an atom's element has no radius */
    IMAGE_NO_MEMORY = 3,        /* scratch allocation failed */
    IMAGE_BAD_CHANNEL = 4,      /* a channel index outside [0, n_channels) */
    IMAGE_BAD_ROWS = 5,         /* a row failed the finite-coordinate/occupancy screen */
    IMAGE_BAD_CODE = 6,         /* an atom's kind outside [0, n_kinds) */
    IMAGE_NOT_STR = 7,          /* an atom's element is not a string (None, a number, ...) */
    IMAGE_BAD_RADIUS = 8,       /* a per-atom radius that is not a finite number >= 0
                                   (> 0 for FILL_FRACTION_ATOM) */
    IMAGE_RADIUS_ABOVE_MAX = 9  /* a per-atom radius above the image's max_radius */
};

/* Fill rules: what one atom puts in a voxel (times its occupancy). */
enum vcy_fill {
    FILL_FRACTION_ATOM = 0,     /* overlap / ball volume (the original) */
    FILL_OVERLAP_A3 = 1,        /* overlap volume, A^3 */
    FILL_FRACTION_VOXEL = 2,    /* overlap / voxel volume */
    FILL_GAUSSIAN = 3,          /* libmolgrid's Gaussian density at the voxel centre */
    FILL_BINARY = 4             /* 1 where the voxel centre lies inside the ball */
};

/* Aggregation rules: how that value meets the voxel's current value. */
enum vcy_aggregation {
    AGG_SUM = 0,                /* img += (dtype) value (the original) */
    AGG_MAX = 1,                /* img = max(img, (dtype) value) */
    AGG_SUM_WIDE = 2            /* img = (dtype) ((double) img + value): a float32
                                   image summed in double (macromol_voxelize) */
};

/* Row screens: what a table's rows must satisfy before any image is drawn. */
enum vcy_screen {
    SCREEN_NONE = 0,
    SCREEN_ORIGINAL = 1,        /* finite coordinates, finite occupancy >= 0 */
    SCREEN_FINITE = 2           /* finite coordinates and occupancy (any sign) */
};

/* Results of selecting an image's rows (select_rows). */
enum vcy_select_status {
    SELECT_OK = 0,
    SELECT_NO_MEMORY = -1,      /* the selection buffer could not grow */
    SELECT_BAD_ROWS = -2        /* a row failed the screen */
};

/* Channel codes beside the channel indices (>= 0) of the kind tables and
 * of single_channel (_draw.pyx). */
enum vcy_channel_code {
    CHANNEL_NONE = -1,          /* no pattern matched / no channel listed: nothing drawn */
    CHANNEL_NOT_STR = -2,       /* the element is not a string */
    CHANNEL_SEVERAL = -3        /* an atom listed in several channels */
};

#endif
