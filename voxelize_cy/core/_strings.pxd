# Reading the strings of an element column, row by row, without converting
# the column: numpy object and unicode arrays, Arrow string arrays (plain,
# large, view, dictionary-encoded; pandas, pyarrow and polars alike, through
# the Arrow C data interface) and categorical codes.
#
# Interface of _strings.pyx (cimport it).

from cpython.object cimport PyObject
from libc.stdint cimport (
    int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t)


cdef extern from "arrow_c.h":
    struct ArrowSchema:
        const char *format
        const char *name
        int64_t flags
        int64_t n_children
        ArrowSchema **children
        ArrowSchema *dictionary
        void *release
    struct ArrowArray:
        int64_t length
        int64_t null_count
        int64_t offset
        int64_t n_buffers
        int64_t n_children
        const void **buffers
        ArrowArray **children
        ArrowArray *dictionary
        void *release
    struct ArrowArrayStream:
        void *release

    void vcy_arrow_release_schema(ArrowSchema *s) nogil
    void vcy_arrow_release_array(ArrowArray *a) nogil
    void vcy_arrow_release_stream(ArrowArrayStream *s) nogil
    int vcy_arrow_stream_schema(ArrowArrayStream *s, ArrowSchema *out) nogil
    int vcy_arrow_stream_next(ArrowArrayStream *s, ArrowArray *out) nogil


# How a column stores its strings.
cdef enum:
    COLUMN_OBJECT = 0         # numpy object array of str (None etc.: not a str)
    COLUMN_UCS4 = 1           # numpy unicode array ('<U2'): fixed-width UCS-4
    COLUMN_ARROW = 2          # Arrow string arrays, possibly dictionary-encoded
    COLUMN_CODES = 3          # integer codes into a column of categories
    COLUMN_NOT_STR = 4        # a column that holds no strings at all


cdef struct Key:
    # A row's string: its bytes (UTF-8, or UCS-4 for COLUMN_UCS4), or
    # ``length == -1`` for a value that is not a string (null, None, 3.0).
    const char *ptr
    Py_ssize_t length
    PyObject *obj             # the str itself for COLUMN_OBJECT, else NULL


cdef struct StringArray:
    int layout                # 1: int32 offsets, 2: int64 offsets, 3: views
    int64_t length
    int64_t offset
    const uint8_t *validity
    const int32_t *offsets32
    const int64_t *offsets64
    const char *data
    const char *views
    const char **data_buffers
    int64_t n_data_buffers


cdef struct ArrowChunk:
    Py_ssize_t start          # first row of the column in this chunk
    Py_ssize_t length
    StringArray values        # the strings (of the dictionary when encoded)
    int index_width           # 0: plain strings; else bytes per dictionary index
    bint index_signed
    int64_t index_offset
    const uint8_t *index_validity
    const void *indices


cdef class ElementColumn:
    cdef readonly int layout
    cdef readonly Py_ssize_t n
    cdef object owner                 # keeps the column's memory alive
    cdef readonly object source       # the column as given (for error messages)
    cdef PyObject **objects           # COLUMN_OBJECT
    cdef const char *fixed            # COLUMN_UCS4
    cdef Py_ssize_t itemsize
    cdef ArrowChunk *chunks           # COLUMN_ARROW
    cdef int n_chunks
    cdef ArrowArray *arrays
    cdef int n_arrays
    cdef const void *codes            # COLUMN_CODES
    cdef int code_width
    cdef readonly ElementColumn categories

    cdef int key(self, Py_ssize_t row, Key *out) except -1
    cdef object decode(self, const Key *key)
    cdef Py_ssize_t code_of(self, Py_ssize_t row) noexcept
    cdef int add_arrow_array(self, ArrowSchema *schema, ArrowArray *array) except -1


cpdef ElementColumn element_column(object column)
cpdef ElementColumn polars_element_column(object series)


# Arrow bit and integer helpers (shared with _arrow_tables.pyx).

cdef inline bint valid_bit(const uint8_t *validity, int64_t i) noexcept nogil:
    return validity == NULL or ((validity[i >> 3] >> (i & 7)) & 1)


cdef inline int64_t index_at(const void *indices, int width, bint signed_,
                             int64_t i) noexcept nogil:
    if width == 1:
        return (<const int8_t *>indices)[i] if signed_ else (<const uint8_t *>indices)[i]
    if width == 2:
        return (<const int16_t *>indices)[i] if signed_ else (<const uint16_t *>indices)[i]
    if width == 4:
        return (<const int32_t *>indices)[i] if signed_ else (<const uint32_t *>indices)[i]
    if signed_:
        return (<const int64_t *>indices)[i]
    return <int64_t>(<const uint64_t *>indices)[i]


cdef inline int index_format(const char *fmt, int *width, bint *signed_) noexcept nogil:
    """Bytes and signedness of an Arrow integer format; 0 when not an integer."""
    if fmt[0] == 0 or fmt[1] != 0:
        return 0
    cdef char c = fmt[0]
    if c == b'c' or c == b'C':
        width[0] = 1
    elif c == b's' or c == b'S':
        width[0] = 2
    elif c == b'i' or c == b'I':
        width[0] = 4
    elif c == b'l' or c == b'L':
        width[0] = 8
    else:
        return 0
    signed_[0] = c == b'c' or c == b's' or c == b'i' or c == b'l'
    return 1
