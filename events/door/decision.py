"""The answer one scan gets, decided from what is known of its ticket (pure, no database).

`check_in` (events/door/checkin.py) reads the registration and asks `decide`; the scanner's
offline decision (assets/src/decide.js) is the same order of cases on the device's lists. Both
are run against one table of cases, tests/door/decision_cases.json, so that they cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RESULTS = ("ok", "duplicate", "invalid", "wrong_event", "cancelled", "not_confirmed")


def decide(event_id: int, ticket_event: int | None, registration: Mapping[str, Any] | None) -> str:
    """The first of invalid, wrong_event, cancelled, not_confirmed, duplicate that applies,
    else ok (the ticket may be checked in now).

    `ticket_event` is the event a QR was issued for (None for a manual code or a person found
    by name: then the registration's event tells). `registration` ({event, status,
    checked_in_at}) is None when there is no genuine ticket (garbage, a bad signature or
    code) or no such registration.
    """
    if registration is None:
        return "invalid"
    issued_for = ticket_event if ticket_event is not None else registration["event"]
    if issued_for != event_id:
        return "wrong_event"
    # A registration later moved to another event keeps an old QR that is no longer valid
    # anywhere (revoked, like a cancelled one).
    if registration["status"] == "cancelled" or registration["event"] != issued_for:
        return "cancelled"
    if registration["status"] != "confirmed":
        return "not_confirmed"
    if registration["checked_in_at"] is not None:
        return "duplicate"
    return "ok"
