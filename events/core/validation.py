"""Limits every input shares: what an id may be, which characters text may not hold."""

from __future__ import annotations

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL

# Control characters refused in any text a person types (newline, carriage return and tab
# are allowed where a field has several lines).
CONTROL_CHARS = {chr(code) for code in range(32)} - {"\n", "\r", "\t"} | {"\x7f"}


def is_id(value: object) -> bool:
    """A plain int that can be a row's id (bool is not one)."""
    return type(value) is int and 1 <= value <= MAX_ID
