# Element kinds: the distinct elements among the atoms of a call, and their
# radius and channel.
#
# Interface of _kinds.pyx (cimport it).

from libc.stdint cimport uint64_t

from voxelize_cy.core._geometry cimport SelAtom
from voxelize_cy.core._strings cimport ElementColumn, Key


cdef struct Slot:
    uint64_t hash
    const char *ptr
    Py_ssize_t length
    int kind                  # -1: an empty slot


cdef class KindSpace:
    cdef readonly ElementColumn column
    cdef Slot *slots
    cdef Py_ssize_t capacity
    cdef Py_ssize_t used
    cdef readonly list strings        # per kind: its str, or None (not a str)
    cdef int not_str_kind             # -1 until a non-string is seen
    cdef int *code_kind               # COLUMN_CODES: category -> kind (-1: unseen)

    cdef int encode(self, SelAtom *atoms, Py_ssize_t n) except -1
    cdef int encode_rows(self, const int *rows, Py_ssize_t n, int *codes) except -1
    cdef int kind_of_key(self, Key *key) except -1
    cdef int grow(self) except -1


cdef class ElementResolver:
    cdef readonly list channels
    cdef readonly object radii
    cdef readonly double max_radius_A
    cdef readonly int n_channels
    cdef bint one_radius
    cdef double radius
    cdef dict memo

    cpdef tuple lookup(self, str element)


cdef class KindTables:
    cdef readonly ElementResolver resolver
    cdef object channel_cache
    cdef double *radius               # per kind (NaN: no radius)
    cdef int *channel                 # per kind (-1: no match, -2: not a str)
    cdef Py_ssize_t capacity
    cdef readonly Py_ssize_t n_resolved

    cpdef int update(self, list strings) except -1
