"""Image parameters written as text: channel patterns and radii as a person
types them on the command line (``--channels C,N,O``, ``--radius C=1.7,*=1.8``)
or in PyMOL's ``voxelize`` command.  Every problem is a ``CommandError`` with
one line of text.
"""

from __future__ import annotations

import math
import re
from typing import Dict, List, Sequence, Union

__all__ = ["CommandError", "parse_channels", "parse_radius"]


class CommandError(Exception):
    """An error to report as one line with exit status 2."""


def parse_channels(values: Sequence[str]) -> List[str]:
    """Channel patterns from ``--channels``.

    One argument is split at commas (``C,N,O,.*``); several arguments are
    taken as they are, so a pattern that holds a comma (``C{1,2}``) can be
    given as an argument of its own next to others.
    """
    values = list(values)
    if len(values) == 1:
        values = values[0].split(",")
    patterns = [v.strip() for v in values]
    if any(not p for p in patterns):
        raise CommandError(f"--channels has an empty pattern in {values}")
    for p in patterns:
        try:
            re.compile(p)
        except re.error as err:
            raise CommandError(f"--channels: {p!r} is not a regular expression: {err}") \
                from None
    return patterns


def parse_radius(text: str) -> Union[float, Dict[str, float]]:
    """``--radius``: one number for every element, or ``C=1.7,N=1.55,*=1.8``."""
    if "=" not in text:
        value = _positive_number(text, "--radius")
        return value
    radii = {}
    for item in text.split(","):
        element, sep, number = item.partition("=")
        element = element.strip()
        if not sep or not element:
            raise CommandError(f"--radius: expected ELEMENT=RADIUS, got {item!r}")
        radii[element] = _positive_number(number, f"--radius {element}")
    return radii


def _positive_number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"{what}: not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise CommandError(f"{what}: must be a finite number > 0, got {text!r}")
    return value
