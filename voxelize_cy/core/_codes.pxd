# The codes shared by the C routines, the kernels and the Python layer,
# declared once in src/codes.h.  Python sees each enum as an IntEnum of this
# module (re-exported by voxelize_cy.core); Cython modules cimport the names.

cdef extern from "codes.h":
    cpdef enum ImageStatus "vcy_image_status":
        IMAGE_OK
        IMAGE_NO_CHANNEL
        IMAGE_NO_RADIUS
        IMAGE_NO_MEMORY
        IMAGE_BAD_CHANNEL
        IMAGE_BAD_ROWS
        IMAGE_BAD_CODE
        IMAGE_NOT_STR
        IMAGE_BAD_RADIUS
        IMAGE_RADIUS_ABOVE_MAX

    cpdef enum Fill "vcy_fill":
        FILL_FRACTION_ATOM
        FILL_OVERLAP_A3
        FILL_FRACTION_VOXEL
        FILL_GAUSSIAN
        FILL_BINARY

    cpdef enum Aggregation "vcy_aggregation":
        AGG_SUM
        AGG_MAX
        AGG_SUM_WIDE

    cpdef enum Screen "vcy_screen":
        SCREEN_NONE
        SCREEN_ORIGINAL
        SCREEN_FINITE

    cpdef enum SelectStatus "vcy_select_status":
        SELECT_OK
        SELECT_NO_MEMORY
        SELECT_BAD_ROWS

    cdef enum:
        CHANNEL_NONE
        CHANNEL_NOT_STR
        CHANNEL_SEVERAL
