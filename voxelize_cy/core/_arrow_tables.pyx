"""Polars and pyarrow tables for the macromol API, through the Arrow C data
interface: list-of-integers columns (``polars_int_lists``, and zero-copy
``polars_list_views``), a table exported once as one record batch
(``export_table``) with numpy views of its columns (``frame_columns``), and
rows of a table copied in C into a new polars DataFrame (``take_rows``).
"""

from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy
from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_New

cimport numpy as cnp

import numpy as np

from voxelize_cy.core._strings cimport (
    ArrowArray,
    ArrowArrayStream,
    ArrowSchema,
    index_at,
    index_format,
    valid_bit,
    vcy_arrow_release_array,
    vcy_arrow_release_schema,
    vcy_arrow_release_stream,
    vcy_arrow_stream_next,
    vcy_arrow_stream_schema,
)

cnp.import_array()


def polars_int_lists(object series):
    """A polars list-of-integers Series → ``(start, values, nulls)``.

    ``start`` (int64, n + 1) and ``values`` (int32) give row i's list as
    ``values[start[i]:start[i + 1]]``; ``nulls`` is the row of the first null
    list or null value (-1 when none).  Values outside int32 become -1 (an
    index no image has).  Read through polars' C-data export, chunk by chunk.
    """
    cdef ArrowSchema schema
    cdef ArrowArray array
    cdef ArrowArray *child
    cdef Py_ssize_t n = series.len(), total = 0, i, j, k, row = 0, first_null = -1
    cdef const uint8_t *validity
    cdef const uint8_t *child_validity
    cdef const void *offsets
    cdef const void *values
    cdef bint large
    cdef int width = 0
    cdef bint signed_ = False
    cdef int64_t lo, hi, v
    cdef int32_t[::1] out_view
    start = np.empty(n + 1, dtype=np.int64)
    cdef int64_t[::1] st = start
    st[0] = 0
    parts = []
    chunks = [series] if series.n_chunks() == 1 else series.get_chunks()
    for chunk in chunks:
        schema.release = NULL
        array.release = NULL
        chunk._export_arrow_to_c(<size_t>&array, <size_t>&schema)
        try:
            if not (schema.format[0] == b'+' and (schema.format[1] == b'l' or
                                                 schema.format[1] == b'L')
                    and schema.format[2] == 0 and array.n_children == 1):
                raise TypeError("expected a list column")
            large = schema.format[1] == b'L'
            child = array.children[0]
            if not index_format(schema.children[0].format, &width, &signed_):
                raise TypeError("expected a list of integers")
            validity = <const uint8_t *>array.buffers[0] if array.null_count else NULL
            offsets = array.buffers[1]
            child_validity = (<const uint8_t *>child.buffers[0]
                              if child.null_count else NULL)
            values = child.buffers[1]
            chunk_values = np.empty(
                ((<const int64_t *>offsets)[array.offset + array.length]
                 - (<const int64_t *>offsets)[array.offset]) if large else
                ((<const int32_t *>offsets)[array.offset + array.length]
                 - (<const int32_t *>offsets)[array.offset]), dtype=np.int32)
            out_view = chunk_values
            k = 0
            for i in range(array.length):
                j = array.offset + i
                if large:
                    lo = (<const int64_t *>offsets)[j]
                    hi = (<const int64_t *>offsets)[j + 1]
                else:
                    lo = (<const int32_t *>offsets)[j]
                    hi = (<const int32_t *>offsets)[j + 1]
                if not valid_bit(validity, j) and first_null < 0:
                    first_null = row
                for j in range(lo, hi):
                    if not valid_bit(child_validity, child.offset + j) and first_null < 0:
                        first_null = row
                    v = index_at(values, width, signed_, child.offset + j)
                    out_view[k] = <int32_t>v if -2147483648 <= v <= 2147483647 else -1
                    k += 1
                total += hi - lo
                row += 1
                st[row] = total
            parts.append(chunk_values)
        finally:
            vcy_arrow_release_array(&array)
            vcy_arrow_release_schema(&schema)
    flat = np.concatenate(parts) if len(parts) != 1 else parts[0]
    return start, flat.astype(np.int32, copy=False), first_null


cdef class ArrowArrayOwner:
    """Keeps one exported Arrow array (and its buffers) alive; numpy views of
    its buffers hold a reference to it."""

    cdef ArrowArray array
    cdef ArrowSchema schema

    def __cinit__(self):
        self.array.release = NULL
        self.schema.release = NULL

    def __dealloc__(self):
        vcy_arrow_release_array(&self.array)
        vcy_arrow_release_schema(&self.schema)


cdef object int64_view(ArrowArrayOwner owner, const void *data, Py_ssize_t n):
    cdef cnp.npy_intp dims[1]
    dims[0] = n
    view = cnp.PyArray_SimpleNewFromData(1, dims, cnp.NPY_INT64, <void *>data)
    cnp.PyArray_CLEARFLAGS(view, cnp.NPY_ARRAY_WRITEABLE)
    cnp.Py_INCREF(owner)
    cnp.PyArray_SetBaseObject(view, owner)
    return view


def polars_list_views(object series):
    """A polars ``List(Int64)`` Series as ``(start, values)`` int64 numpy views of
    its Arrow offsets and values, no copy: row i's list is
    ``values[start[i]:start[i + 1]]``.  None unless the Series is one chunk of
    a large list of int64 without nulls at either level (then convert)."""
    if series.n_chunks() != 1:
        return None
    cdef ArrowArrayOwner owner = ArrowArrayOwner()
    series._export_arrow_to_c(<size_t>&owner.array, <size_t>&owner.schema)
    cdef ArrowArray *array = &owner.array
    cdef ArrowSchema *schema = &owner.schema
    if not (schema.format[0] == b'+' and schema.format[1] == b'L' and schema.format[2] == 0
            and array.n_children == 1 and schema.n_children == 1
            and schema.children[0].format[0] == b'l' and schema.children[0].format[1] == 0):
        return None
    cdef ArrowArray *child = array.children[0]
    if array.null_count != 0 or child.null_count != 0:
        return None
    start = int64_view(owner, <const int64_t *>array.buffers[1] + array.offset,
                       array.length + 1)
    values = int64_view(owner, <const int64_t *>child.buffers[1] + child.offset,
                        child.length)
    return start, values


cdef class ArrowStreamBatch:
    """The first record batch of an Arrow C stream, kept alive; numpy views of
    its buffers hold a reference to it."""

    cdef ArrowArray array
    cdef ArrowSchema schema
    cdef readonly bint single       # the stream held exactly one batch

    def __cinit__(self):
        self.array.release = NULL
        self.schema.release = NULL
        self.single = False

    def __dealloc__(self):
        vcy_arrow_release_array(&self.array)
        vcy_arrow_release_schema(&self.schema)


cdef object typed_view(object owner, const void *data, Py_ssize_t n, int typenum):
    cdef cnp.npy_intp dims[1]
    dims[0] = n
    view = cnp.PyArray_SimpleNewFromData(1, dims, typenum, <void *>data)
    cnp.PyArray_CLEARFLAGS(view, cnp.NPY_ARRAY_WRITEABLE)
    cnp.Py_INCREF(owner)
    cnp.PyArray_SetBaseObject(view, owner)
    return view


cdef ArrowStreamBatch export_batch(object frame):
    """The table's one record batch, or None (several batches, or none)."""
    cdef ArrowArrayStream stream
    cdef ArrowArray extra
    cdef ArrowStreamBatch batch = ArrowStreamBatch()
    cdef ArrowArrayStream *source
    capsule = frame.__arrow_c_stream__()
    source = <ArrowArrayStream *>PyCapsule_GetPointer(capsule, "arrow_array_stream")
    memcpy(&stream, source, sizeof(ArrowArrayStream))
    source.release = NULL
    try:
        if (vcy_arrow_stream_schema(&stream, &batch.schema) != 0
                or vcy_arrow_stream_next(&stream, &batch.array) != 0
                or batch.array.release == NULL):
            return None
        extra.release = NULL
        if vcy_arrow_stream_next(&stream, &extra) != 0:
            return None
        if extra.release != NULL:  # more than one batch
            vcy_arrow_release_array(&extra)
            return None
    finally:
        vcy_arrow_release_stream(&stream)
    if not (batch.schema.format[0] == b'+' and batch.schema.format[1] == b's'
            and batch.schema.format[2] == 0
            and batch.schema.n_children == batch.array.n_children):
        return None
    batch.single = True
    return batch


def export_table(object frame):
    """The table (``__arrow_c_stream__``) as one exported record batch, kept
    alive by the returned object; None when it is not one batch."""
    return export_batch(frame)


def frame_columns(object frame, tuple names):
    """Columns of a table with ``__arrow_c_stream__`` (polars, pyarrow), or of
    a batch from ``export_table``, as numpy views of its Arrow buffers, from
    one export of the whole table.

    Returns a dict: name -> float64 view for a float64 column without nulls;
    name -> ``(start, values)`` int64 views for a large list of int64 without
    nulls; nothing for a column that is absent or of another kind (the caller
    converts those).  None when the table is not one single record batch.
    """
    cdef ArrowSchema *child_schema
    cdef ArrowArray *child
    cdef ArrowArray *grandchild
    cdef Py_ssize_t i
    cdef ArrowStreamBatch batch = (frame if isinstance(frame, ArrowStreamBatch)
                                   else export_batch(frame))
    if batch is None:
        return None
    out = {}
    wanted = set(names)
    for i in range(batch.schema.n_children):
        child_schema = batch.schema.children[i]
        name = (<bytes>child_schema.name).decode("utf-8", "replace")
        if name not in wanted:
            continue
        child = batch.array.children[i]
        if child.null_count != 0:
            continue
        if child_schema.format[0] == b'g' and child_schema.format[1] == 0:
            out[name] = typed_view(batch, <const double *>child.buffers[1] + child.offset,
                                   child.length, cnp.NPY_FLOAT64)
        elif (child_schema.format[0] == b'+' and child_schema.format[1] == b'L'
              and child_schema.format[2] == 0 and child.n_children == 1
              and child_schema.n_children == 1
              and child_schema.children[0].format[0] == b'l'
              and child_schema.children[0].format[1] == 0):
            grandchild = child.children[0]
            if grandchild.null_count != 0:
                continue
            out[name] = (typed_view(batch, <const int64_t *>child.buffers[1] + child.offset,
                                    child.length + 1, cnp.NPY_INT64),
                         typed_view(batch, <const int64_t *>grandchild.buffers[1]
                                    + grandchild.offset, grandchild.length, cnp.NPY_INT64))
    return out


cdef extern from "arrow_take.h":
    int vcy_take_column(const ArrowArray *src, const ArrowSchema *s, const int64_t *rows,
                        int64_t n, ArrowArray *dst, ArrowSchema *dst_schema) nogil


cdef extern from "arrow_take.h":
    int vcy_init_schema(ArrowSchema *s, const char *format, const char *name, int64_t flags,
                        int64_t n_children) nogil
    int vcy_init_array(ArrowArray *a, int64_t length, int64_t n_buffers,
                       int64_t n_children) nogil


cdef void drop_schema_capsule(object capsule) noexcept:
    cdef ArrowSchema *schema = <ArrowSchema *>PyCapsule_GetPointer(capsule, "arrow_schema")
    vcy_arrow_release_schema(schema)
    free(schema)


cdef void drop_array_capsule(object capsule) noexcept:
    cdef ArrowArray *array = <ArrowArray *>PyCapsule_GetPointer(capsule, "arrow_array")
    vcy_arrow_release_array(array)
    free(array)


cdef class ArrowBatch:
    """A record batch made here, handed out once through the Arrow PyCapsule
    interface (``pl.DataFrame(batch)`` moves it into polars)."""

    cdef object capsules

    def __arrow_c_array__(self, requested_schema=None):
        if self.capsules is None:
            raise RuntimeError("this batch was handed out already")
        capsules, self.capsules = self.capsules, None
        return capsules


def take_rows(object frame, object rows):
    """``frame[rows]`` for a polars DataFrame (or a batch from
    ``export_table``), copying the rows in C.

    polars' own gather hands each call to its thread pool, which on a small
    machine costs more than voxelizing the image.  Tables whose columns are
    numbers, dates, booleans, strings and lists of those are copied here and
    handed to polars as one Arrow record batch.  None when the table has a
    column of another type, or is not a single record batch (the caller
    then uses polars).
    """
    import polars as pl

    cdef const int64_t[::1] take = np.ascontiguousarray(rows, dtype=np.int64)
    cdef Py_ssize_t n = take.shape[0], i, k
    cdef ArrowArray *out
    cdef ArrowSchema *out_schema
    cdef int status = 0
    cdef ArrowStreamBatch batch = (frame if isinstance(frame, ArrowStreamBatch)
                                   else export_batch(frame))
    if batch is None:
        return None
    k = batch.schema.n_children
    for i in range(n):
        if not 0 <= take[i] < batch.array.length:
            raise IndexError(f"row {take[i]} outside the table's {batch.array.length} rows")
    out = <ArrowArray *>calloc(1, sizeof(ArrowArray))
    out_schema = <ArrowSchema *>calloc(1, sizeof(ArrowSchema))
    if (out == NULL or out_schema == NULL or vcy_init_schema(out_schema, "+s", "", 0, k)
            or vcy_init_array(out, n, 1, k)):
        status = -1
    else:
        with nogil:
            for i in range(k):
                out.children[i] = <ArrowArray *>calloc(1, sizeof(ArrowArray))
                out_schema.children[i] = <ArrowSchema *>calloc(1, sizeof(ArrowSchema))
                if out.children[i] == NULL or out_schema.children[i] == NULL:
                    status = -1
                    break
                status = vcy_take_column(batch.array.children[i], batch.schema.children[i],
                                         &take[0] if n else NULL, n, out.children[i],
                                         out_schema.children[i])
                if status != 0:
                    break
    if status != 0:
        if out != NULL:
            vcy_arrow_release_array(out)
        if out_schema != NULL:
            vcy_arrow_release_schema(out_schema)
        free(out)
        free(out_schema)
        if status < 0:
            raise MemoryError("no memory to copy the rows of the table")
        return None
    cdef ArrowBatch handle = ArrowBatch()
    handle.capsules = (PyCapsule_New(out_schema, "arrow_schema", drop_schema_capsule),
                       PyCapsule_New(out, "arrow_array", drop_array_capsule))
    return pl.DataFrame(handle)
