"""Whole numbers typed into forms and query strings.

Only ASCII digits count (`str.isdigit` also accepts `²` or `५`, which `int` then refuses or
reads as another number), and at most 18 of them: any such number fits a 64-bit column, and
Python refuses to convert a string of more than 4,300 digits at all.
"""

from __future__ import annotations

import re

_WHOLE = re.compile(r"[0-9]{1,18}")
_SIGNED = re.compile(r"-?[0-9]{1,18}")


def whole(text: object) -> int | None:
    """`text` as a non-negative int, or None when it is not plain digits."""
    if isinstance(text, str) and _WHOLE.fullmatch(text := text.strip()):
        return int(text)
    return None


def signed(text: object) -> int | None:
    """`text` as an int with an optional leading minus, or None."""
    if isinstance(text, str) and _SIGNED.fullmatch(text := text.strip()):
        return int(text)
    return None


def is_digits(text: object, length: int | None = None) -> bool:
    """Plain ASCII digits (of exactly `length` characters when given)."""
    return (
        isinstance(text, str)
        and _WHOLE.fullmatch(text) is not None
        and (length is None or len(text) == length)
    )
