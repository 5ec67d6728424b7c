"""The one error gnina's data files raise: ``GninaDataError``.

Every reader of this subpackage (``.types`` files, ``.gninatypes`` files,
molcache2 caches, molecule files, memory caches) raises it for a file it
cannot use, with the file's path, the ``.types`` line that named it when
there is one, and what to do about it; never a crash, never a silent skip.
"""

from __future__ import annotations

import os
from typing import Optional, Union

__all__ = ["GninaDataError", "describe_line"]


def describe_line(types_path: Optional[str], line: Optional[int]) -> str:
    """``"small.types, line 12"`` (or ``""`` when neither is known)."""
    if types_path is None:
        return ""
    return f"{types_path}, line {line}" if line else str(types_path)


class GninaDataError(ValueError):
    """A gnina data file that cannot be read as what it claims to be.

    Parameters
    ----------
    path : str or path-like
        The file at fault.
    message : str
        What is wrong with it.
    line : int, optional
        The 1-based line of ``path`` (a ``.types`` file) at fault.
    listed_by : str, optional
        Where ``path`` was named (``"small.types, line 12"``).
    remedy : str, optional
        What to do about it.

    Attributes
    ----------
    path, line, listed_by, remedy
        As given.
    """

    def __init__(self, path: Union[str, os.PathLike], message: str, *,
                 line: Optional[int] = None, listed_by: Optional[str] = None,
                 remedy: Optional[str] = None):
        self.path = os.fspath(path)
        self.line = line
        self.listed_by = listed_by or None
        self.remedy = remedy
        where = self.path + (f", line {line}" if line else "")
        text = f"{where}: {message}"
        if self.listed_by:
            text += f" (listed in {self.listed_by})"
        if remedy:
            text += f"; {remedy}"
        super().__init__(text)

    def __reduce__(self):  # picklable across DataLoader workers and process pools
        return (_rebuild, (self.path, self.args[0], self.line, self.listed_by, self.remedy))


def _rebuild(path, text, line, listed_by, remedy):
    error = GninaDataError.__new__(GninaDataError)
    ValueError.__init__(error, text)
    error.path, error.line, error.listed_by, error.remedy = path, line, listed_by, remedy
    return error
