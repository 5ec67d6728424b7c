# Helpers of the kernel entry points that other entry-point modules share
# (_gradients.pyx).  Interface of _kernels.pyx.

cimport numpy as cnp

from voxelize_cy.core._draw cimport AtomProps
from voxelize_cy.core._geometry cimport Frame, SelAtom
from voxelize_cy.core._kinds cimport ElementResolver
from voxelize_cy.core._sources cimport AtomSource


cdef int image_info(cnp.ndarray img, int ndim, int *length, int *n_channels,
                    bint *is_float32) except -1
cdef int read_frame(object frame, Frame *f) except -1
cdef int kinds_of(AtomSource source, ElementResolver resolver, object channel_cache,
                  SelAtom *atoms, Py_ssize_t n, AtomProps *props, list keep) except -1
