"""Numbers: numeric table columns and arrays, checked and reduced in C.

``float64_column`` gives a column as a contiguous float64 array (no copy
when it is one), ``check_rows`` finds the first row the screens reject,
``largest``, ``all_finite`` and ``zero_fill`` scan or clear arrays without
temporaries, and ``parse_floats`` reads numbers written as text (mmCIF
columns).  Import them from ``voxelize_cy.core``.
"""

cimport numpy as cnp
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport memset

import numpy as np

cnp.import_array()


cdef extern from "Python.h":
    bint PyUnicode_Check(object o)
    bint PyUnicode_IS_COMPACT_ASCII(object o)
    void *PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)


cdef extern from "scan.h" nogil:
    int vcy_rows_are_valid(const double *x, const double *y, const double *z,
                           const double *occupancy, Py_ssize_t n)
    int vcy_rows_are_finite(const double *x, const double *y, const double *z,
                            const double *occupancy, Py_ssize_t n)


def _contiguous(array, dtype, name, n):
    array = np.ascontiguousarray(array, dtype=dtype)
    if array.ndim != 1 or array.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), got {array.shape}")
    return array


cdef inline bint is_float64_vector(object a) noexcept:
    # The type number says float64 for both byte orders: a byte-swapped
    # column must be converted, never read in place.
    return (cnp.PyArray_Check(a) and cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT64
            and cnp.PyArray_NDIM(a) == 1 and cnp.PyArray_IS_C_CONTIGUOUS(a)
            and cnp.PyArray_ISNOTSWAPPED(a))


def float64_column(object column, str name):
    """A numeric column as a C-contiguous 1-D float64 array (no copy when it
    is one already); ``TypeError``/``ValueError`` naming the column otherwise."""
    if is_float64_vector(column):
        return column
    values = column
    if not isinstance(values, np.ndarray):
        to_numpy = getattr(column, "to_numpy", None)
        values = np.asarray(to_numpy() if to_numpy is not None else column)
    if values.dtype != np.float64:
        if values.dtype.kind not in "fiu" or values.dtype == np.bool_:
            raise TypeError(f"atoms[{name!r}] must be numeric, got dtype {values.dtype}")
        values = values.astype(np.float64)
    if values.ndim != 1:
        raise ValueError(f"atoms[{name!r}] must be 1-D, got shape {values.shape}")
    return np.ascontiguousarray(values)


def check_rows(const double[::1] x, const double[::1] y, const double[::1] z,
               const double[::1] occupancy, bint any_sign_occupancy=False):
    """First row with a non-finite coordinate or a bad occupancy.

    Returns ``(row, what)`` with ``what`` one of ``'x'``, ``'y'``, ``'z'``,
    ``'occupancy'``, or ``(-1, None)`` when every row is valid.  Occupancies
    must be finite, and >= 0 unless ``any_sign_occupancy``.
    """
    cdef Py_ssize_t i, n = x.shape[0], bad = -1
    cdef int clean
    if y.shape[0] != n or z.shape[0] != n or occupancy.shape[0] != n:
        raise ValueError("x, y, z and occupancy differ in length")
    if n == 0:
        return -1, None
    with nogil:
        # The vectorised screen first; rows one by one only when it fails.
        if any_sign_occupancy:
            clean = vcy_rows_are_finite(&x[0], &y[0], &z[0], &occupancy[0], n)
        else:
            clean = vcy_rows_are_valid(&x[0], &y[0], &z[0], &occupancy[0], n)
    if clean:
        return -1, None
    with nogil:
        for i in range(n):
            if (not (x[i] - x[i] == 0) or not (y[i] - y[i] == 0)
                    or not (z[i] - z[i] == 0)
                    or not (occupancy[i] - occupancy[i] == 0)
                    or (not any_sign_occupancy and not (occupancy[i] >= 0))):
                bad = i
                break
    if bad < 0:
        return -1, None
    for name, col in (("x", x), ("y", y), ("z", z)):
        if not (col[bad] - col[bad] == 0):
            return bad, name
    return bad, "occupancy"


def largest(const double[::1] values):
    """The largest value (0.0 for none), or NaN when any value is NaN."""
    cdef Py_ssize_t i, n = values.shape[0]
    cdef double best = 0.0, v
    cdef bint nan = False
    if n == 0:
        return 0.0
    with nogil:
        best = values[0]
        for i in range(n):
            v = values[i]
            if v != v:
                nan = True
            elif v > best:
                best = v
    return float("nan") if nan or best != best else best


def all_finite(cnp.ndarray values):
    """True when every value of a C-contiguous float32 or float64 array is
    finite (no NaN, no inf): the exponent bits, scanned in C (several times
    faster than ``np.isfinite(values).all()``, with no temporary array)."""
    cdef Py_ssize_t i, n = values.size
    cdef const uint32_t *bits32
    cdef const uint64_t *bits64
    cdef uint32_t seen32 = 0
    cdef uint64_t seen64 = 0
    if not values.flags.c_contiguous:
        raise ValueError("all_finite needs a C-contiguous array")
    if values.dtype == np.float32:
        bits32 = <const uint32_t *>cnp.PyArray_DATA(values)
        with nogil:
            for i in range(n):
                # an all-ones exponent (inf or NaN) sets the flag
                seen32 |= ((bits32[i] & 0x7f800000u) + 0x00800000u) & 0x80000000u
        return seen32 == 0
    if values.dtype == np.float64:
        bits64 = <const uint64_t *>cnp.PyArray_DATA(values)
        with nogil:
            for i in range(n):
                seen64 |= ((bits64[i] & 0x7ff0000000000000u) + 0x0010000000000000u) \
                    & 0x8000000000000000u
        return seen64 == 0
    raise TypeError(f"all_finite takes float32 or float64, not {values.dtype}")


def zero_fill(cnp.ndarray values):
    """Set every element of a C-contiguous float array to +0.0 (memset: several
    times faster than ``values.fill(0)`` for images)."""
    if not values.flags.c_contiguous or values.dtype.kind != "f":
        raise ValueError("zero_fill needs a C-contiguous float array")
    cdef void *data = cnp.PyArray_DATA(values)
    cdef size_t nbytes = <size_t>values.nbytes
    with nogil:
        memset(data, 0, nbytes)


cdef double[23] POWERS_OF_TEN = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
                                 1e20, 1e21, 1e22]


cdef inline bint decimal_fast(const char *text, Py_ssize_t length, double *out) noexcept nogil:
    """``[-+]digits[.digits]`` with at most 15 digits: the digits as an exact
    integer divided by an exact power of ten, which is correctly rounded (the
    same double strtod gives).  False for anything else."""
    cdef Py_ssize_t i = 0
    cdef bint negative = False
    cdef long long mantissa = 0
    cdef int digits = 0, decimals = 0
    cdef bint point = False
    cdef char c
    # ASCII codes: '+' 43, '-' 45, '.' 46, '0'..'9' 48..57.
    if i < length and (text[i] == 45 or text[i] == 43):
        negative = text[i] == 45
        i += 1
    if i == length:
        return False
    while i < length:
        c = text[i]
        if 48 <= c <= 57:
            mantissa = mantissa * 10 + (c - 48)
            digits += 1
            if point:
                decimals += 1
            if digits > 15:
                return False
        elif c == 46 and not point:
            point = True
        else:
            return False
        i += 1
    if digits == 0:
        return False
    out[0] = mantissa / POWERS_OF_TEN[decimals]
    if negative:
        out[0] = -out[0]
    return True


def parse_floats(list values):
    """Numbers written as text (a CIF column) → float64 array, in C.

    Plain decimals (``-12.345``) take an exact fast path; anything else goes
    through Python's ``float``.  A ``ValueError`` names the first value that is not a
    number (CIF's ``?`` and ``.`` included).  Several times faster than
    ``np.array(values, dtype=float)``.
    """
    cdef Py_ssize_t i, n = len(values), length
    out = np.empty(n, dtype=np.float64)
    cdef double[::1] view = out
    cdef const char *text
    cdef object value
    for i in range(n):
        value = values[i]
        if PyUnicode_Check(value) and PyUnicode_IS_COMPACT_ASCII(value):
            text = <const char *>PyUnicode_DATA(value)
            length = PyUnicode_GET_LENGTH(value)
            if decimal_fast(text, length, &view[i]):
                continue
        try:  # the rare rest (exponents, long mantissas): Python's own rules
            if value.strip() in ("?", "."):
                raise ValueError
            view[i] = float(value)
        except (TypeError, ValueError, AttributeError):
            raise ValueError(f"could not convert string to float: {value!r}") from None
    return out
