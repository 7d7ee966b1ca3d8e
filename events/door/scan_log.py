"""The scan log (`checkin_scan`): a scan's row claiming its nonce, the first answer a retry
gets back, and PostgreSQL's first scan in one statement (check-in, its row and the counter).

`events.door.checkin` decides; this module only writes and reads the rows it keeps.
"""

from __future__ import annotations

import json
from datetime import datetime

from events.core.timeutil import aware
from events.tables import CheckinScan, Registration


def stamp(value: datetime | None) -> str | None:
    """A time as ISO text, as the scan log (and the offline lists) keep it."""
    return aware(value).isoformat() if value else None


async def log(
    event_id: int,
    registration_id: int | None,
    staff: dict | None,
    device: str,
    nonce: str | None,
    method: str,
    answer: dict,
    why: str,
    when: datetime,
    moment: datetime,
) -> bool:
    """The scan's row with the answer given; False when a scan with the same nonce was
    logged first (the caller's transaction is then to be rolled back)."""
    stored = {**answer, "checked_in_at": stamp(answer["checked_in_at"])}
    if why:
        stored["reason"] = why
    inserted = await CheckinScan.raw(
        "INSERT INTO checkin_scan (event, registration, staff, device, nonce, method,"
        " result, response, scanned_at, recorded_at)"
        " VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})"
        " ON CONFLICT (nonce) WHERE nonce IS NOT NULL DO NOTHING RETURNING id",
        event_id,
        registration_id,
        staff["id"] if staff else None,
        device,
        nonce,
        method,
        answer["result"],
        json.dumps(stored, ensure_ascii=False),
        when,
        moment,
    )
    return bool(inserted)


async def replay(nonce: str, event_id: int) -> dict | None:
    """The answer first given to this nonce at this event (None: it was used elsewhere)."""
    row = (
        await CheckinScan.select(CheckinScan.event, CheckinScan.result, CheckinScan.response)
        .where(CheckinScan.nonce == nonce)
        .first()
    )
    if row is None or row["event"] != event_id:
        return None
    stored = row["response"]
    if isinstance(stored, str):
        stored = json.loads(stored)
    checked = stored.get("checked_in_at")
    answer = {
        "result": stored["result"],
        "registration": stored.get("registration"),
        "checked_in_at": datetime.fromisoformat(checked) if checked else None,
    }
    if stored.get("event"):
        answer["event"] = stored["event"]
    return answer


# PostgreSQL, the common case (a genuine ticket of this event, first scan): the check-in and
# its scan row in ONE statement, so one round trip and no transaction held open across
# several. Nothing comes back when the ticket is not a first scan; `check_in` then takes the
# general path. A repeated nonce cannot meet a first scan: the request that used it first
# checked this ticket in already, so the UPDATE finds nothing.
FIRST_SCAN = (
    "WITH ok AS ("
    " UPDATE registration SET checked_in_at = {} WHERE id = {} AND event = {}"
    " AND status = 'confirmed' AND checked_in_at IS NULL"
    " RETURNING id, name, party_size, checked_in_at),"
    " logged AS ("
    " INSERT INTO checkin_scan (event, registration, staff, device, nonce, method, result,"
    " response, scanned_at, recorded_at)"
    " SELECT {}, ok.id, {}, {}, {}, {}, 'ok', json_build_object('result', 'ok',"
    " 'registration', json_build_object('id', ok.id, 'name', ok.name,"
    " 'party_size', ok.party_size), 'checked_in_at', CAST({} AS text)), {}, {} FROM ok"
    " ON CONFLICT (nonce) WHERE nonce IS NOT NULL DO NOTHING RETURNING id),"
    " counted AS (UPDATE event SET checked_in = event.checked_in + ok.party_size FROM ok"
    " WHERE event.id = {})"
    " SELECT ok.*, (SELECT COUNT(*) FROM logged) AS logged FROM ok"
)


async def first_scan_in_one_statement(
    event_id: int,
    registration_id: int,
    staff: dict | None,
    device: str,
    nonce: str | None,
    method: str,
    when: datetime,
    moment: datetime,
) -> dict | None:
    """The registration ({id, name, party_size, checked_in_at}) checked in and logged, or
    None when this is not a first scan of a confirmed ticket of this event (PostgreSQL)."""
    rows = await Registration.raw(
        FIRST_SCAN,
        when,
        registration_id,
        event_id,
        event_id,
        staff["id"] if staff else None,
        device,
        nonce,
        method,
        stamp(when),
        when,
        moment,
        event_id,
    )
    if not rows:
        return None
    row = rows[0]
    if not row["logged"]:  # a nonce reused for another ticket: log the scan without it
        await CheckinScan.insert(
            CheckinScan(
                event=event_id,
                registration=row["id"],
                staff=staff["id"] if staff else None,
                device=device,
                method=method,
                result="ok",
                response={"result": "ok", "reason": "nonce reused"},
                scanned_at=when,
                recorded_at=moment,
            )
        )
    return row
