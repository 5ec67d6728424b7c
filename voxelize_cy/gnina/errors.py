"""The one error gnina's data files raise: ``GninaDataError``.

Every reader of this subpackage (``.types`` files, ``.gninatypes`` files,
molcache2 caches, molecule files, memory caches) raises it for a file it
cannot use, with the file's path, the ``.types`` line that named it when
there is one, and what to do about it; never a crash, never a silent skip.
"""

from __future__ import annotations

import os
from typing import Optional, Union

from voxelize_cy.io.integrity import DataFileError

__all__ = ["GninaDataError", "describe_line"]


def describe_line(types_path: Optional[str], line: Optional[int]) -> str:
    """``"small.types, line 12"`` (or ``""`` when neither is known)."""
    if types_path is None:
        return ""
    return f"{types_path}, line {line}" if line else str(types_path)


class GninaDataError(DataFileError):
    """A gnina data file that cannot be read as what it claims to be: a
    :class:`~voxelize_cy.io.DataFileError` (``path``, ``message``, ``remedy``)
    that may also give the 1-based ``line`` of a ``.types`` file at fault and
    ``listed_by``, where the file was named (``"small.types, line 12"``); both
    are attributes."""

    def __init__(self, path: Union[str, os.PathLike], message: str, *,
                 line: Optional[int] = None, listed_by: Optional[str] = None,
                 remedy: Optional[str] = None):
        super().__init__(path, message, remedy=remedy, line=line,
                         listed_by=listed_by or None)

    def describe(self) -> str:
        """``path, line N: message (listed in ...); remedy``."""
        line, listed_by = self._context["line"], self._context["listed_by"]
        text = f"{self.path}{f', line {line}' if line else ''}: {self.message}"
        if listed_by:
            text += f" (listed in {listed_by})"
        if self.remedy:
            text += f"; {self.remedy}"
        return text
