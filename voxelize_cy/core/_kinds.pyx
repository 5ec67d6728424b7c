"""Element kinds: which distinct elements the atoms of a call have, and each
one's radius and channel by the original's rules.

- ``KindSpace`` gives every selected atom a small integer kind: atoms whose
  element strings are equal (as bytes) share one.  It reads the element
  column only at the selected rows, through ``ElementColumn.key``, and hashes
  the bytes; nothing is cached beyond one call, so copies of a table, new
  tables and edited tables all cost the same.
- ``ElementResolver`` holds one ``ImageParams``'s channels and radii and
  answers, per element string, the original's ``_get_element_radius`` and
  ``_get_element_channel`` (memoized per element: the answers depend on the
  element and those values only).
- ``KindTables`` turns the kinds of a call into the radius and channel
  arrays the kernels read, consulting the caller's ``channel_cache`` first,
  as the original does.
"""

import numbers
import re

cimport numpy as cnp
from libc.stdint cimport uint8_t, uint64_t
from libc.math cimport NAN
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp, memset

import numpy as np

from voxelize_cy.core._codes cimport (
    CHANNEL_NONE,
    CHANNEL_NOT_STR,
)
from voxelize_cy.core._strings cimport COLUMN_CODES

cnp.import_array()

_MISSING = object()


cdef inline uint64_t hash_bytes(const char *p, Py_ssize_t n) noexcept nogil:
    """FNV-1a over the bytes, mixed with the length."""
    cdef uint64_t h = 1469598103934665603ULL ^ <uint64_t>n
    cdef Py_ssize_t i
    for i in range(n):
        h ^= <uint8_t>p[i]
        h *= 1099511628211ULL
    return h ^ (h >> 29)


cdef inline bint same_bytes(const char *a, const char *b, Py_ssize_t n) noexcept nogil:
    """Whether n bytes at a and b are equal: a loop for the short strings that
    element symbols are (a call to memcmp costs more than comparing them)."""
    cdef Py_ssize_t i
    if n > 16:
        return memcmp(a, b, n) == 0
    for i in range(n):
        if a[i] != b[i]:
            return False
    return True


cdef class KindSpace:
    """Kinds of the elements of one column, added to as atoms are encoded."""

    def __cinit__(self, ElementColumn column not None):
        self.column = column
        self.capacity = 64
        self.used = 0
        self.slots = <Slot *>malloc(self.capacity * sizeof(Slot))
        if self.slots == NULL:
            raise MemoryError()
        cdef Py_ssize_t i
        for i in range(self.capacity):
            self.slots[i].kind = -1
        self.strings = []
        self.not_str_kind = -1
        self.code_kind = NULL

    def __dealloc__(self):
        free(self.slots)
        free(self.code_kind)

    cdef int grow(self) except -1:
        cdef Py_ssize_t old_capacity = self.capacity, i, j
        cdef Slot *old = self.slots
        cdef Slot *slots = <Slot *>malloc(2 * old_capacity * sizeof(Slot))
        if slots == NULL:
            raise MemoryError()
        for i in range(2 * old_capacity):
            slots[i].kind = -1
        for i in range(old_capacity):
            if old[i].kind >= 0:
                j = <Py_ssize_t>(old[i].hash & <uint64_t>(2 * old_capacity - 1))
                while slots[j].kind >= 0:
                    j = (j + 1) & (2 * old_capacity - 1)
                slots[j] = old[i]
        self.slots = slots
        self.capacity = 2 * old_capacity
        free(old)
        return 0

    cdef int kind_of_key(self, Key *key) except -1:
        """The kind of a key (a new kind for a string not seen before)."""
        cdef uint64_t h
        cdef Py_ssize_t j
        cdef Slot *slot
        if key.length < 0:
            if self.not_str_kind < 0:
                self.not_str_kind = len(self.strings)
                self.strings.append(None)
            return self.not_str_kind
        h = hash_bytes(key.ptr, key.length)
        j = <Py_ssize_t>(h & <uint64_t>(self.capacity - 1))
        while True:
            slot = &self.slots[j]
            if slot.kind < 0:
                break
            if (slot.hash == h and slot.length == key.length
                    and same_bytes(slot.ptr, key.ptr, key.length)):
                return slot.kind
            j = (j + 1) & (self.capacity - 1)
        # A new kind: its str is made once, here.
        slot.hash = h
        slot.ptr = key.ptr
        slot.length = key.length
        slot.kind = len(self.strings)
        self.strings.append(self.column.decode(key))
        self.used += 1
        cdef int kind = slot.kind
        if 2 * self.used > self.capacity:
            self.grow()
        return kind

    cdef int encode(self, SelAtom *atoms, Py_ssize_t n) except -1:
        """Set ``atoms[a].kind`` from the element of ``atoms[a].row``."""
        cdef Py_ssize_t a, code, n_categories
        cdef Key key
        cdef ElementColumn column = self.column
        if column.layout == COLUMN_CODES:
            # Categories: each category's string is read and hashed once.
            n_categories = column.categories.n
            if self.code_kind == NULL:
                self.code_kind = <int *>malloc((n_categories + 1) * sizeof(int))
                if self.code_kind == NULL:
                    raise MemoryError()
                memset(self.code_kind, 0xFF, (n_categories + 1) * sizeof(int))
            for a in range(n):
                code = column.code_of(atoms[a].row)
                if code < 0 or code >= n_categories:
                    column.key(atoms[a].row, &key)  # raises for a corrupt code
                    atoms[a].kind = self.kind_of_key(&key)
                    continue
                if self.code_kind[code] < 0:
                    column.key(atoms[a].row, &key)
                    self.code_kind[code] = self.kind_of_key(&key)
                atoms[a].kind = self.code_kind[code]
            return 0
        for a in range(n):
            column.key(atoms[a].row, &key)
            atoms[a].kind = self.kind_of_key(&key)
        return 0


    cdef int encode_rows(self, const int *rows, Py_ssize_t n, int *codes) except -1:
        """``codes[i]`` = the kind of row ``rows[i]`` (of row i when ``rows`` is
        NULL), for i < n; rows must lie in the column."""
        cdef Py_ssize_t i, row, code, n_categories
        cdef Key key
        cdef ElementColumn column = self.column
        cdef bint by_code = column.layout == COLUMN_CODES
        if by_code and self.code_kind == NULL:
            n_categories = column.categories.n
            self.code_kind = <int *>malloc((n_categories + 1) * sizeof(int))
            if self.code_kind == NULL:
                raise MemoryError()
            memset(self.code_kind, 0xFF, (n_categories + 1) * sizeof(int))
        n_categories = column.categories.n if by_code else 0
        for i in range(n):
            row = rows[i] if rows != NULL else i
            if by_code:
                code = column.code_of(row)
                if 0 <= code < n_categories and self.code_kind[code] >= 0:
                    codes[i] = self.code_kind[code]
                    continue
            column.key(row, &key)
            codes[i] = self.kind_of_key(&key)
            if by_code and 0 <= code < n_categories:
                self.code_kind[code] = codes[i]
        return 0


cdef class ElementResolver:
    """The original's radius and channel of each element, for one channel list
    and one radii value (a number, or a dict with an optional ``'*'``).

    ``channels`` and ``radii`` must be checked by the caller (a list of str
    patterns; radii finite and > 0).
    """

    def __cinit__(self, list channels, object radii, bint one_radius, double max_radius_A):
        self.channels = channels
        self.radii = radii
        self.one_radius = one_radius
        self.radius = max_radius_A if one_radius else 0.0
        self.max_radius_A = max_radius_A
        self.n_channels = len(channels)
        self.memo = {}

    cpdef tuple lookup(self, str element):
        """``(radius, channel)`` of ``element``: radius NaN when it has none
        (the original raises ``KeyError``), channel CHANNEL_NONE when no pattern
        ``re.fullmatch``-es it (the original raises ``RuntimeError``)."""
        cdef object found = self.memo.get(element)
        if found is not None:
            return <tuple>found
        cdef double radius
        if self.one_radius:
            radius = self.radius
        else:
            value = self.radii.get(element, _MISSING)
            if value is _MISSING:
                value = self.radii.get("*", _MISSING)
            radius = float("nan") if value is _MISSING else float(value)
        cdef int channel = CHANNEL_NONE
        cdef int i
        for i, pattern in enumerate(self.channels):
            if re.fullmatch(pattern, element):
                channel = i
                break
        found = (radius, channel)
        self.memo[element] = found
        return <tuple>found


cdef class KindTables:
    """Radius and channel per kind, for one resolver and one channel cache."""

    def __cinit__(self, ElementResolver resolver not None, object channel_cache):
        self.resolver = resolver
        self.channel_cache = channel_cache
        self.capacity = 0
        self.radius = NULL
        self.channel = NULL
        self.n_resolved = 0

    def __dealloc__(self):
        free(self.radius)
        free(self.channel)

    def as_arrays(self):
        """``(radius, channel)`` of the resolved kinds, as numpy arrays (copies)."""
        cdef Py_ssize_t k
        radius = np.array([self.radius[k] for k in range(self.n_resolved)], dtype=np.float64)
        channel = np.array([self.channel[k] for k in range(self.n_resolved)], dtype=np.intc)
        return radius, channel

    cpdef int update(self, list strings) except -1:
        """Resolve the kinds of ``strings`` not resolved yet."""
        cdef Py_ssize_t n = len(strings), k, capacity
        cdef double *radius
        cdef int *channel
        if n <= self.n_resolved:
            return 0
        if n > self.capacity:
            capacity = max(n, 2 * self.capacity, 16)
            radius = <double *>realloc(self.radius, capacity * sizeof(double))
            if radius == NULL:
                raise MemoryError()
            self.radius = radius
            channel = <int *>realloc(self.channel, capacity * sizeof(int))
            if channel == NULL:
                raise MemoryError()
            self.channel = channel
            self.capacity = capacity
        cdef object cache = self.channel_cache
        cdef int n_channels = self.resolver.n_channels
        cdef int ch
        cdef double r
        for k in range(self.n_resolved, n):
            element = strings[k]
            if element is None:
                self.radius[k] = NAN
                self.channel[k] = CHANNEL_NOT_STR
                continue
            r, ch = self.resolver.lookup(element)
            if cache is not None:
                # The original reads the cache first, and stores what it finds.
                cached = cache.get(element, _MISSING)
                if cached is _MISSING:
                    if ch >= 0:
                        cache[element] = ch
                else:
                    if (isinstance(cached, bool) or not isinstance(cached, numbers.Integral)
                            or not 0 <= cached < n_channels):
                        raise ValueError(
                            f"channel_cache maps element {element!r} to channel "
                            f"{cached!r}, but the image has {n_channels} channels; pass "
                            f"a fresh cache for a new channel list")
                    ch = cached
            self.radius[k] = r
            self.channel[k] = ch
        self.n_resolved = n
        return 0
