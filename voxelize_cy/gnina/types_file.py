"""gnina's ``.types`` files: one training example per line.

A line holds, separated by whitespace: an optional group id (with
``has_group``), the example's numeric labels, then the files of its
coordinate sets (receptor first, then ligands), relative to ``data_root``;
``#`` starts a comment and ``none`` names an empty set::

    1 6.05 0.162643 4kqp/4kqp_rec_0.gninatypes 4kqp/4kqp_min_0.gninatypes

How many labels a line has is decided by the first line (its leading numeric
tokens) unless ``num_labels`` says; every other line must then start with
that many numbers, and a token that is not one is an error naming the file
and the line (libmolgrid decides per line, and reads a word where a number
is due as whatever its stream last held).  Blank lines are skipped.

The examples are stored column by column (labels as one float32 array, the
files as indices into one list of names), so that a set of millions of lines
such as CrossDocked2020's costs tens of bytes a line, not a Python object.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from voxelize_cy.gnina.errors import GninaDataError

__all__ = ["ExampleTable", "read_types", "parse_number"]

PathLike = Union[str, os.PathLike]


def parse_number(token: str) -> Optional[float]:
    """The value of a numeric token as C's ``strtod`` reads a whole token
    (``1``, ``-6.05``, ``1e-3``, ``nan``, ``inf``), or None when it is not one
    (Python's ``float`` also takes ``1_000``, which a file name may be)."""
    if "_" in token:
        return None
    try:
        return float(token)
    except ValueError:
        return None


@dataclass
class ExampleTable:
    """The examples of one or more ``.types`` files, column by column.

    Attributes
    ----------
    labels : numpy.ndarray of float32, shape (N, L)
        Each example's labels.
    groups : numpy.ndarray of int64, shape (N,)
        Each example's group id (-1 without groups).
    file_index : numpy.ndarray of int32, shape (N, F)
        Each example's files as indices into ``names`` (-1 past a line's last
        file; F is the most files a line has).
    names : list of str
        Every distinct file name, in order of first appearance.
    line : numpy.ndarray of int32, shape (N,)
        Each example's 1-based line in its ``.types`` file.
    source : numpy.ndarray of int16, shape (N,)
        Each example's ``.types`` file, as an index into ``sources``.
    sources : list of str
        The ``.types`` files read.
    """

    labels: np.ndarray
    groups: np.ndarray
    file_index: np.ndarray
    names: List[str]
    line: np.ndarray
    source: np.ndarray
    sources: List[str]

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def num_labels(self) -> int:
        """Labels per example."""
        return int(self.labels.shape[1])

    def files(self, i: int) -> Tuple[str, ...]:
        """The files of example ``i``, as its line names them."""
        return tuple(self.names[k] for k in self.file_index[i] if k >= 0)

    def where(self, i: int) -> str:
        """``"small.types, line 12"``: where example ``i`` was read."""
        return f"{self.sources[int(self.source[i])]}, line {int(self.line[i])}"

    def num_files(self, i: int) -> int:
        """How many files example ``i`` lists."""
        return int(np.count_nonzero(self.file_index[i] >= 0))


class _Builder:
    """Accumulates parsed lines (one Python list per column)."""

    def __init__(self, num_labels: Optional[int], has_group: bool):
        self.num_labels = num_labels
        self.has_group = has_group
        self.labels: List[float] = []
        self.groups: List[int] = []
        self.files: List[List[int]] = []
        self.lines: List[int] = []
        self.source: List[int] = []
        self.name_index: Dict[str, int] = {}
        self.names: List[str] = []

    def detect_labels(self, tokens: List[str]) -> int:
        leading = 0
        for token in tokens:
            if parse_number(token) is None:
                break
            leading += 1
        return leading - (1 if self.has_group else 0)

    def add(self, tokens: List[str], path: str, line: int, source: int) -> None:
        if self.num_labels is None:
            self.num_labels = max(self.detect_labels(tokens), 0)
        start = 0
        group = -1
        if self.has_group:
            group = _group(tokens, path, line)
            start = 1
        labels = []
        for k in range(self.num_labels):
            if start + k >= len(tokens):
                raise GninaDataError(
                    path, f"has {len(tokens) - start} field(s) after the group; "
                    f"{self.num_labels} label(s) and at least one file are due", line=line)
            value = parse_number(tokens[start + k])
            if value is None:
                raise GninaDataError(
                    path, f"label {k + 1} of {self.num_labels} is {tokens[start + k]!r}, "
                    f"not a number (the first line of the file has {self.num_labels} "
                    f"label(s))", line=line)
            labels.append(value)
        names = tokens[start + self.num_labels:]
        if not names:
            raise GninaDataError(path, "names no molecule file after its labels", line=line)
        index = []
        for name in names:
            known = self.name_index.get(name)
            if known is None:
                known = self.name_index[name] = len(self.names)
                self.names.append(name)
            index.append(known)
        self.labels.extend(labels)
        self.groups.append(group)
        self.files.append(index)
        self.lines.append(line)
        self.source.append(source)

    def table(self, sources: List[str]) -> ExampleTable:
        n = len(self.lines)
        width = max((len(f) for f in self.files), default=0)
        file_index = np.full((n, width), -1, np.int32)
        for i, row in enumerate(self.files):
            file_index[i, :len(row)] = row
        num_labels = self.num_labels or 0
        labels = np.array(self.labels, dtype=np.float32).reshape(n, num_labels)
        return ExampleTable(labels, np.array(self.groups, np.int64), file_index, self.names,
                            np.array(self.lines, np.int32), np.array(self.source, np.int16),
                            sources)


def _group(tokens: List[str], path: str, line: int) -> int:
    value = parse_number(tokens[0])
    if value is None or not math.isfinite(value) or value != int(value):
        raise GninaDataError(path, f"the group id is {tokens[0]!r}, not an integer "
                             f"(a grouped .types line starts with one)", line=line)
    return int(value)


def _tokens(raw: str) -> List[str]:
    tokens = raw.split()
    if "#" in raw:
        for k, token in enumerate(tokens):
            if token.startswith("#"):
                return tokens[:k]
    return tokens


def _read_one(builder: _Builder, path: str, source: int) -> None:
    try:
        handle = open(path, "r", encoding="utf-8")
    except FileNotFoundError:
        raise GninaDataError(path, "no such .types file") from None
    except IsADirectoryError:
        raise GninaDataError(path, "is a folder, not a .types file") from None
    except PermissionError:
        raise GninaDataError(path, "permission denied (cannot read the .types file)") from None
    with handle:
        try:
            for line, raw in enumerate(handle, 1):
                tokens = _tokens(raw)
                if tokens:
                    builder.add(tokens, path, line, source)
        except UnicodeDecodeError as err:
            raise GninaDataError(path, f"is not a text file ({err.reason} at byte "
                                 f"{err.start})") from None


def read_types(paths: Union[PathLike, Sequence[PathLike]], *,
               num_labels: Optional[int] = None, has_group: bool = False) -> ExampleTable:
    """Read one or more ``.types`` files.

    Parameters
    ----------
    paths : path or sequence of paths
        Read in order, as one set of examples.
    num_labels : int, optional
        Labels per line; by default the first line's leading numbers
        (less the group id).  libmolgrid's ``-1`` means the same.
    has_group : bool
        Lines start with a group id (an integer).

    Returns
    -------
    ExampleTable

    Raises
    ------
    GninaDataError
        A missing or unreadable file, a non-numeric label where a number is
        due, a line with no file, a bad group id; naming the file and line.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if num_labels is not None and num_labels < 0:
        num_labels = None
    builder = _Builder(num_labels, has_group)
    sources = [os.fspath(p) for p in paths]
    for source, path in enumerate(sources):
        _read_one(builder, path, source)
    if not builder.lines:
        raise GninaDataError(", ".join(sources) or "(no file)",
                             "holds no example (every line is blank or a comment)")
    return builder.table(sources)
