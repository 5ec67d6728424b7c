# The backward pass (see _gradients.pyx).  Interface for the entry points.

from libc.stdint cimport int32_t

from voxelize_cy.core._draw cimport AtomProps
from voxelize_cy.core._fill cimport FillSpec
from voxelize_cy.core._geometry cimport GridSpec, SelAtom


cdef Py_ssize_t gradient_work_doubles(int length) noexcept nogil
cdef void atom_gradients(const void *grad, bint is_float32, const int32_t *owner,
                         const GridSpec *g, const AtomProps *props, const FillSpec *fill,
                         const SelAtom *atoms, Py_ssize_t n, double *work,
                         double *out) noexcept nogil
