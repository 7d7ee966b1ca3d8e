"""The server's decision against the shared table of cases (tests/door/decision_cases.json),
which tests/js/decide.test.mjs runs against the scanner's offline decision too.

Every case twice: through the pure `decision.decide` that `check_in` asks, and through the real
`check_in` on both databases, with the state built in the database.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from events.core.timeutil import TZ
from events.door import checkin, decision, tickets
from events.registration import registration as reg
from events.tables import Registration
from tests.registration.test_registration import make_event, phone

TABLE = json.loads((Path(__file__).parent / "decision_cases.json").read_text(encoding="utf-8"))
CASES = TABLE["cases"]
THIS, OTHER, MISSING = 11, 22, 999_999
EARLIER = datetime.now(TZ).replace(microsecond=0) - timedelta(hours=1)  # a check-in before


def _id(case: dict) -> str:
    return case["case"]


def test_the_table_has_every_result_and_every_way_in():
    assert {case["result"] for case in CASES} == set(decision.RESULTS)
    assert {case["way"] for case in CASES} == {"qr", "code", "search"}
    names = [case["case"] for case in CASES]
    assert len(names) == len(set(names))


def _registration_event(case: dict, this: int, other: int) -> int:
    """Where the registration is now (a moved one is at the other event)."""
    if case["event"] == "other" or case["registration"] == "moved":
        return other
    return this


def _status(case: dict) -> str:
    return "confirmed" if case["registration"] == "moved" else case["registration"]


def _server_view(case: dict) -> tuple[int | None, dict | None]:
    """(the QR's event, the registration row) as `check_in` hands them to `decide`."""
    ticket_event = None
    if case["way"] == "qr":
        ticket_event = THIS if case["event"] == "this" else OTHER
    if case["ticket"] != "genuine" or case["registration"] == "missing":
        return ticket_event, None  # no genuine ticket, or no such registration
    row = {
        "event": _registration_event(case, THIS, OTHER),
        "status": _status(case),
        "checked_in_at": None if case["checked_in"] == "no" else EARLIER,
    }
    return ticket_event, row


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_decide_answers_every_case_of_the_table(case):
    ticket_event, row = _server_view(case)
    assert decision.decide(THIS, ticket_event, row) == case["result"]


def _forged(payload: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[-1] ^= 0x01  # one bit of the signature
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def _forged_code(registration_id: int) -> str:
    real = tickets.manual_code(registration_id).split("-")[1]
    return f"{registration_id}-{'AAAAA' if real != 'AAAAA' else 'BBBBB'}"


async def _way_in(case: dict, registration_id: int, this: int, other: int) -> dict:
    """What the device sends for the case."""
    if case["way"] == "search":
        return {"registration_id": registration_id, "method": "search"}
    if case["way"] == "code":
        code = {
            "garbage": "not a code",
            "forged": _forged_code(registration_id),
            "genuine": tickets.manual_code(registration_id),
        }[case["ticket"]]
        return {"code": code, "method": "code"}
    if case["ticket"] == "garbage":
        return {"qr": "https://weixin.qq.com/r/not-a-ticket", "method": "scan"}
    payload = await tickets.sign(this if case["event"] == "this" else other, registration_id)
    if case["ticket"] == "forged":
        payload = _forged(payload)
    return {"qr": tickets.qr_text("https://x.example", payload), "method": "scan"}


@pytest.mark.parametrize("case", CASES, ids=_id)
async def test_check_in_answers_every_case_of_the_table(db, case):
    this = (await make_event(capacity=10))["id"]
    other = (await make_event(capacity=10))["id"]
    registration_id = MISSING
    if case["registration"] != "missing":
        at = this if case["event"] == "this" else other
        person = await reg.register(at, {"name": "甲", "phone": phone(1)})
        registration_id = person["id"]
        change = {
            Registration.event: _registration_event(case, this, other),
            Registration.status: _status(case),
        }
        if case["checked_in"] != "no":  # on_this_device: that earlier scan was uploaded first
            change[Registration.checked_in_at] = EARLIER
        await Registration.update(change).where(Registration.id == registration_id)
    answer = await checkin.check_in(this, **await _way_in(case, registration_id, this, other))
    assert answer["result"] == case["result"]
    if case["result"] in ("ok", "duplicate"):
        assert answer["registration"]["id"] == registration_id
    if case["result"] == "duplicate":
        assert answer["checked_in_at"] == EARLIER
    if case["result"] == "wrong_event":
        assert answer["event"]["id"] == other
    row = await Registration.select().where(Registration.id == registration_id).first()
    if row is not None:
        checked = row["checked_in_at"]
        assert (checked is not None) == (case["result"] == "ok" or case["checked_in"] != "no")
