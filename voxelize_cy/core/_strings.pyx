"""Reading the strings of an element column row by row, without converting it.

``element_column(column)`` wraps what a table holds (a numpy object or
unicode array, an Arrow string array from pandas, pyarrow or polars, a
pandas Categorical) in an ``ElementColumn`` whose ``key(row)`` gives that
row's string as bytes plus a length, in a few nanoseconds and with no Python
object made.  The image kernels read the keys of the rows inside an image
only (a few hundred of thousands); ``decode`` turns the handful of distinct
keys into ``str`` for the element → channel and radius lookups.

Arrow data arrives through the Arrow C data interface (``__arrow_c_stream__``
/ ``__arrow_c_array__`` PyCapsules): no pyarrow needed, and no copy.  The
column's memory is kept alive by the ``ElementColumn`` for as long as it
exists.
"""

from cpython.object cimport PyObject
from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_IsValid
from cpython.unicode cimport PyUnicode_Check, PyUnicode_DecodeUTF8
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset

cimport numpy as cnp

import numpy as np

cnp.import_array()


cdef extern from "Python.h":
    bint PyUnicode_IS_COMPACT_ASCII(object o)
    void *PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    const char *PyUnicode_AsUTF8AndSize(object o, Py_ssize_t *size) except NULL
    object PyUnicode_FromKindAndData(int kind, const void *buffer, Py_ssize_t size)
    int PyUnicode_4BYTE_KIND


cdef inline void string_at(const StringArray *a, int64_t i, Key *out) noexcept nogil:
    """String ``i`` of an Arrow string array (0 <= i < a.length)."""
    cdef int64_t j = a.offset + i
    cdef int64_t start
    cdef int32_t n, buffer_index, buffer_offset
    cdef const char *view
    out.obj = NULL
    if not valid_bit(a.validity, j):
        out.ptr = NULL
        out.length = -1
        return
    if a.layout == 1:
        start = a.offsets32[j]
        out.ptr = a.data + start
        out.length = a.offsets32[j + 1] - start
    elif a.layout == 2:
        start = a.offsets64[j]
        out.ptr = a.data + start
        out.length = a.offsets64[j + 1] - start
    else:
        # A view: int32 length, then the string itself when it fits in 12
        # bytes, else a 4-byte prefix, a buffer index and an offset.
        view = a.views + 16 * j
        memcpy(&n, view, 4)
        if n <= 12:
            out.ptr = view + 4
        else:
            memcpy(&buffer_index, view + 8, 4)
            memcpy(&buffer_offset, view + 12, 4)
            if not (0 <= buffer_index < a.n_data_buffers):
                out.ptr = NULL
                out.length = -2  # corrupt: reported by the caller
                return
            out.ptr = a.data_buffers[buffer_index] + buffer_offset
        out.length = n


cdef int parse_string_layout(const char *fmt, ArrowArray *array, StringArray *out) except -1:
    """Fill ``out`` from an Arrow array of format utf8 ('u'), large utf8 ('U') or
    utf8 view ('vu'); -1 with an error for anything else."""
    memset(out, 0, sizeof(StringArray))
    out.length = array.length
    out.offset = array.offset
    out.validity = <const uint8_t *>array.buffers[0] if array.null_count != 0 else NULL
    if fmt[0] == b'u' and fmt[1] == 0:
        out.layout = 1
        out.offsets32 = <const int32_t *>array.buffers[1]
        out.data = <const char *>array.buffers[2]
    elif fmt[0] == b'U' and fmt[1] == 0:
        out.layout = 2
        out.offsets64 = <const int64_t *>array.buffers[1]
        out.data = <const char *>array.buffers[2]
    elif fmt[0] == b'v' and fmt[1] == b'u' and fmt[2] == 0:
        out.layout = 3
        out.views = <const char *>array.buffers[1]
        out.data_buffers = <const char **>(array.buffers + 2)
        out.n_data_buffers = array.n_buffers - 3
    else:
        raise TypeError(f"Arrow format {fmt.decode(errors='replace')!r} holds no strings")
    return 0


cdef class ElementColumn:
    """The strings of one element column, read row by row (see the module doc)."""

    def __cinit__(self):
        self.layout = COLUMN_NOT_STR
        self.n = 0
        self.objects = NULL
        self.fixed = NULL
        self.chunks = NULL
        self.arrays = NULL
        self.n_chunks = 0
        self.n_arrays = 0
        self.codes = NULL
        self.categories = None

    def __dealloc__(self):
        cdef int i
        if self.arrays != NULL:
            for i in range(self.n_arrays):
                vcy_arrow_release_array(&self.arrays[i])
            free(self.arrays)
        free(self.chunks)

    def __len__(self):
        return self.n

    cdef Py_ssize_t code_of(self, Py_ssize_t row) noexcept:
        """COLUMN_CODES: the category of ``row`` (-1 for a missing value)."""
        if self.code_width == 1:
            return (<const int8_t *>self.codes)[row]
        if self.code_width == 2:
            return (<const int16_t *>self.codes)[row]
        if self.code_width == 4:
            return (<const int32_t *>self.codes)[row]
        return (<const int64_t *>self.codes)[row]

    cdef int key(self, Py_ssize_t row, Key *out) except -1:
        """The string of ``row`` (0 <= row < n, the caller's promise)."""
        cdef PyObject *obj
        cdef object value
        cdef const char *p
        cdef Py_ssize_t length, code
        cdef const ArrowChunk *chunk
        cdef int lo, hi, mid
        cdef int64_t index
        out.obj = NULL
        if self.layout == COLUMN_OBJECT:
            obj = self.objects[row]
            value = <object>obj
            if PyUnicode_Check(value):
                out.obj = obj
                if PyUnicode_IS_COMPACT_ASCII(value):
                    out.ptr = <const char *>PyUnicode_DATA(value)
                    out.length = PyUnicode_GET_LENGTH(value)
                else:
                    out.ptr = PyUnicode_AsUTF8AndSize(value, &out.length)
            else:
                out.ptr = NULL
                out.length = -1
            return 0
        if self.layout == COLUMN_UCS4:
            p = self.fixed + row * self.itemsize
            length = self.itemsize
            while length >= 4 and (<const uint32_t *>(p + length - 4))[0] == 0:
                length -= 4
            out.ptr = p
            out.length = length
            return 0
        if self.layout == COLUMN_ARROW:
            lo = 0
            hi = self.n_chunks - 1
            while lo < hi:  # the chunk holding ``row``
                mid = (lo + hi + 1) // 2
                if self.chunks[mid].start <= row:
                    lo = mid
                else:
                    hi = mid - 1
            chunk = &self.chunks[lo]
            row -= chunk.start
            if chunk.index_width == 0:
                string_at(&chunk.values, row, out)
            else:
                if not valid_bit(chunk.index_validity, chunk.index_offset + row):
                    out.ptr = NULL
                    out.length = -1
                    return 0
                index = index_at(chunk.indices, chunk.index_width, chunk.index_signed,
                                 chunk.index_offset + row)
                if not (0 <= index < chunk.values.length):
                    raise ValueError(f"dictionary index {index} outside the dictionary "
                                     f"of {chunk.values.length} strings")
                string_at(&chunk.values, index, out)
            if out.length == -2:
                raise ValueError("corrupt Arrow string view (buffer index out of range)")
            return 0
        if self.layout == COLUMN_CODES:
            code = self.code_of(row)
            if code < 0:
                out.ptr = NULL
                out.length = -1
                return 0
            if code >= self.categories.n:
                raise ValueError(f"categorical code {code} outside the "
                                 f"{self.categories.n} categories")
            return self.categories.key(code, out)
        out.ptr = NULL
        out.length = -1
        return 0

    cdef object decode(self, const Key *key):
        """The ``str`` of a key this column made (None for a non-string)."""
        if key.length < 0:
            return None
        if key.obj != NULL:
            return <object>key.obj
        if self.layout == COLUMN_UCS4:
            return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, key.ptr, key.length // 4)
        if self.layout == COLUMN_CODES:
            return self.categories.decode(key)
        return PyUnicode_DecodeUTF8(key.ptr, key.length, NULL)

    def value_at(self, Py_ssize_t row):
        """The element of ``row`` as stored: a ``str``, the non-string value
        the column holds there (3, b'C', [1]), or None for a missing value."""
        cdef Key key
        if not 0 <= row < self.n:
            raise IndexError(f"row {row} outside the column's {self.n} rows")
        if self.layout == COLUMN_OBJECT or (
                self.layout == COLUMN_NOT_STR and isinstance(self.owner, np.ndarray)):
            return self.owner[row]
        self.key(row, &key)
        if key.length >= 0 or self.source is None:
            return self.decode(&key)
        # Not a string.  In a string column (or string categories) that is a
        # missing value; otherwise the column holds something else: show it.
        if self.layout == COLUMN_NOT_STR or (
                self.layout == COLUMN_CODES and self.code_of(row) >= 0
                and self.categories.layout == COLUMN_NOT_STR):
            return stored_value(self.source, row)
        return None

    def describe(self):
        """What the column holds, for error messages: its dtype or Arrow type
        ('dtype int64', 'Arrow type binary', 'categories of dtype int64')."""
        return describe_column(self.source if self.source is not None else self.owner)

    cdef int add_arrow_array(self, ArrowSchema *schema, ArrowArray *array) except -1:
        """Take ownership of one Arrow array (moved into self.arrays) as a chunk."""
        cdef ArrowArray *arrays = <ArrowArray *>realloc(
            self.arrays, (self.n_arrays + 1) * sizeof(ArrowArray))
        if arrays == NULL:
            vcy_arrow_release_array(array)
            raise MemoryError()
        self.arrays = arrays
        memcpy(&self.arrays[self.n_arrays], array, sizeof(ArrowArray))
        array.release = NULL
        cdef ArrowArray *own = &self.arrays[self.n_arrays]
        self.n_arrays += 1
        if own.length == 0:
            return 0
        cdef ArrowChunk *chunks = <ArrowChunk *>realloc(
            self.chunks, (self.n_chunks + 1) * sizeof(ArrowChunk))
        if chunks == NULL:
            raise MemoryError()
        self.chunks = chunks
        cdef ArrowChunk *chunk = &self.chunks[self.n_chunks]
        memset(chunk, 0, sizeof(ArrowChunk))
        chunk.start = self.n
        chunk.length = own.length
        cdef int width = 0
        cdef bint signed_ = False
        if schema.dictionary != NULL:
            if own.dictionary == NULL or not index_format(schema.format, &width, &signed_):
                raise TypeError("unsupported Arrow dictionary array")
            parse_string_layout(schema.dictionary.format, own.dictionary, &chunk.values)
            chunk.index_width = width
            chunk.index_signed = signed_
            chunk.index_offset = own.offset
            chunk.index_validity = (<const uint8_t *>own.buffers[0]
                                    if own.null_count != 0 else NULL)
            chunk.indices = own.buffers[1]
        else:
            parse_string_layout(schema.format, own, &chunk.values)
        self.n_chunks += 1
        self.n += own.length
        return 0


cdef bint is_string_format(ArrowSchema *schema) noexcept:
    cdef const char *fmt = (schema.dictionary.format if schema.dictionary != NULL
                            else schema.format)
    return ((fmt[0] == b'u' or fmt[0] == b'U') and fmt[1] == 0) or (
        fmt[0] == b'v' and fmt[1] == b'u' and fmt[2] == 0)


cdef ElementColumn from_arrow_stream(object capsule):
    """An ElementColumn over every chunk of an ``arrow_array_stream`` capsule."""
    cdef ArrowArrayStream *source = <ArrowArrayStream *>PyCapsule_GetPointer(
        capsule, "arrow_array_stream")
    cdef ArrowArrayStream stream
    cdef ArrowSchema schema
    cdef ArrowArray array
    cdef ElementColumn col = ElementColumn.__new__(ElementColumn)
    # Move the stream out of the capsule: it is ours to release now.
    memcpy(&stream, source, sizeof(ArrowArrayStream))
    source.release = NULL
    schema.release = NULL
    try:
        if vcy_arrow_stream_schema(&stream, &schema) != 0:
            raise ValueError("could not read the Arrow schema of the element column")
        if not is_string_format(&schema):
            col.layout = COLUMN_NOT_STR
        else:
            col.layout = COLUMN_ARROW
        while True:
            array.release = NULL
            if vcy_arrow_stream_next(&stream, &array) != 0:
                raise ValueError("could not read the element column's Arrow data")
            if array.release == NULL:
                break
            if col.layout == COLUMN_ARROW:
                col.add_arrow_array(&schema, &array)
            else:
                col.n += array.length
                vcy_arrow_release_array(&array)
    finally:
        vcy_arrow_release_schema(&schema)
        vcy_arrow_release_stream(&stream)
    return col


cdef ElementColumn from_arrow_array(object capsules):
    """An ElementColumn over an ``(arrow_schema, arrow_array)`` capsule pair."""
    schema_capsule, array_capsule = capsules
    cdef ArrowSchema *schema = <ArrowSchema *>PyCapsule_GetPointer(schema_capsule,
                                                                  "arrow_schema")
    cdef ArrowArray *array = <ArrowArray *>PyCapsule_GetPointer(array_capsule, "arrow_array")
    cdef ElementColumn col = ElementColumn.__new__(ElementColumn)
    if is_string_format(schema):
        col.layout = COLUMN_ARROW
        col.add_arrow_array(schema, array)  # moves the array out of its capsule
    else:
        col.layout = COLUMN_NOT_STR
        col.n = array.length
    return col


cpdef ElementColumn polars_element_column(object series):
    """An ElementColumn over a polars Series, chunk by chunk through polars'
    own C-data export (about 2 µs; its stream export costs 20 µs)."""
    cdef ElementColumn col = ElementColumn.__new__(ElementColumn)
    cdef ArrowSchema schema
    cdef ArrowArray array
    if series.dtype.__class__.__name__ not in ("String", "Categorical", "Enum"):
        # Not strings (and polars panics exporting Object columns): the values
        # as Python sees them, for the error messages.
        values = np.empty(series.len(), dtype=object)
        values[:] = series.to_list()
        col = from_numpy(values)
        col.source = series
        return col
    col.source = series
    chunks = [series] if series.n_chunks() == 1 else series.get_chunks()
    col.layout = COLUMN_ARROW
    for chunk in chunks:
        schema.release = NULL
        array.release = NULL
        chunk._export_arrow_to_c(<size_t>&array, <size_t>&schema)
        try:
            if not is_string_format(&schema):
                col.layout = COLUMN_NOT_STR
                col.n = series.len()
                vcy_arrow_release_array(&array)
                return col
            col.add_arrow_array(&schema, &array)
        finally:
            vcy_arrow_release_array(&array)
            vcy_arrow_release_schema(&schema)
    return col


cdef ElementColumn from_numpy(object values):
    cdef ElementColumn col = ElementColumn.__new__(ElementColumn)
    if values.ndim != 1:
        raise ValueError(f"atoms['element'] must be 1-D, got shape {values.shape}")
    col.n = values.shape[0]
    if values.dtype.kind == "O":
        values = np.ascontiguousarray(values)
        col.layout = COLUMN_OBJECT
        col.objects = <PyObject **>cnp.PyArray_DATA(values)
    elif values.dtype.kind == "U":
        # UCS4 code points in the machine's byte order (a byte-swapped '>U2'
        # column is converted: read in place it would be garbage).
        values = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("="))
        col.layout = COLUMN_UCS4
        col.fixed = <const char *>cnp.PyArray_DATA(values)
        col.itemsize = values.dtype.itemsize
    else:
        col.layout = COLUMN_NOT_STR
    col.owner = values
    return col


cdef ElementColumn from_categorical(object categorical):
    codes = getattr(categorical, "_codes", None)
    if not isinstance(codes, np.ndarray):
        codes = np.asarray(categorical.codes)
    codes = np.ascontiguousarray(codes, dtype=codes.dtype.newbyteorder("="))
    if codes.ndim != 1 or codes.dtype.kind != "i" or codes.dtype.itemsize not in (1, 2, 4, 8):
        raise TypeError(f"unsupported categorical codes of dtype {codes.dtype}")
    cdef ElementColumn col = ElementColumn.__new__(ElementColumn)
    categories = categorical.categories
    col.categories = element_column(getattr(categories, "_values", categories))
    col.layout = COLUMN_CODES
    col.n = codes.shape[0]
    col.codes = cnp.PyArray_DATA(codes)
    col.code_width = codes.dtype.itemsize
    col.owner = codes
    return col


cdef object stored_value(object column, Py_ssize_t row):
    """Value ``row`` of a column as Python sees it (error messages only)."""
    try:
        iloc = getattr(column, "iloc", None)  # a pandas Series: by position
        value = iloc[row] if iloc is not None else column[row]
    except Exception:
        return None
    as_py = getattr(value, "as_py", None)  # a pyarrow scalar
    return as_py() if as_py is not None else value


def describe_column(object column):
    """The dtype or Arrow type of an element column, in words."""
    categories = getattr(column, "categories", None)
    if categories is None and hasattr(column, "cat"):
        try:
            categories = column.cat.categories
        except Exception:
            categories = None
    if categories is not None and hasattr(categories, "dtype"):
        return f"categories of dtype {categories.dtype}"
    arrow_type = getattr(column, "type", None)
    if arrow_type is not None and type(arrow_type).__module__.startswith("pyarrow"):
        return f"Arrow type {arrow_type}"
    dtype = getattr(column, "dtype", None)
    if dtype is not None:
        return f"dtype {dtype}"
    return type(column).__name__


cpdef ElementColumn element_column(object column):
    """Wrap an element column for row-by-row reading (see the module doc).

    ``column`` is a 1-D numpy array, a pandas array (Arrow-backed, python
    strings, Categorical), a polars Series or a pyarrow (chunked) array; any
    other sequence is converted to a numpy object array.  A column that holds
    no strings (numbers, bytes) is accepted: every row reads as "not a str",
    and ``value_at``/``describe`` say what it holds.
    """
    cdef ElementColumn col = wrap_column(column)
    if col.source is None:
        col.source = column
    return col


cdef ElementColumn wrap_column(object column):
    if isinstance(column, np.ndarray):
        return from_numpy(column)
    if type(column).__module__.startswith("polars"):
        # Before any attribute probe: a polars Series answers a missing
        # attribute slowly (~15 µs).
        try:
            return polars_element_column(column)
        except (AttributeError, TypeError):  # another polars: its stream export
            return from_arrow_stream(column.__arrow_c_stream__())
    # pandas: Arrow-backed arrays keep a pyarrow ChunkedArray; python-string
    # arrays an object ndarray; Categoricals codes and categories.
    stored = getattr(column, "_pa_array", None)
    if stored is not None and hasattr(stored, "__arrow_c_stream__"):
        return from_arrow_stream(stored.__arrow_c_stream__())
    stored = getattr(column, "_ndarray", None)
    if isinstance(stored, np.ndarray) and stored.dtype.kind in "OU":
        return from_numpy(stored)
    if hasattr(column, "categories") and hasattr(column, "codes"):
        return from_categorical(column)
    if hasattr(column, "__arrow_c_stream__"):
        return from_arrow_stream(column.__arrow_c_stream__())
    if hasattr(column, "__arrow_c_array__"):
        return from_arrow_array(column.__arrow_c_array__())
    to_numpy = getattr(column, "to_numpy", None)
    if to_numpy is not None:
        return from_numpy(np.asarray(to_numpy()))
    # A list: kept as objects, so that None and NaN stay missing values (numpy
    # would turn ['C', nan] into the strings 'C' and 'nan').
    values = np.empty(len(column), dtype=object)
    values[:] = list(column)
    return from_numpy(values)
