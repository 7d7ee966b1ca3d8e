"""What the ticket pages read (events/door/ticket_view.py), on both databases: a scanned
ticket URL is found only when genuine and of its own event; the pages read through it."""

from __future__ import annotations

import grimp

from events.door import ticket_view, tickets
from events.registration import registration as reg
from tests.registration.test_registration import make_event


async def _person(event, phone="13900000011"):
    return await reg.register(event["id"], {"name": "甲", "phone": phone})


async def test_a_genuine_ticket_finds_its_registration_and_event(db):
    event = await make_event()
    person = await _person(event)
    payload = await tickets.sign(event["id"], person["id"])
    found = await ticket_view.scanned(payload)
    assert found is not None
    row, event_row = found
    assert (row["id"], row["name"], event_row["id"]) == (person["id"], "甲", event["id"])


async def test_a_forged_or_mismatched_ticket_finds_nothing(db):
    event, other = await make_event(), await make_event(title="另一场")
    person = await _person(event)
    payload = await tickets.sign(event["id"], person["id"])
    assert (
        await ticket_view.scanned(payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")) is None
    )
    assert await ticket_view.scanned("not a ticket") is None
    assert await ticket_view.scanned("") is None
    # genuinely signed for the other event, but the registration is not in it
    assert await ticket_view.scanned(await tickets.sign(other["id"], person["id"])) is None
    assert await ticket_view.scanned(await tickets.sign(event["id"], 2**31 - 1)) is None


async def test_rows_as_stored_or_none(db):
    event = await make_event()
    person = await _person(event)
    assert (await ticket_view.event_row(event["id"]))["title"] == event["title"]
    assert (await ticket_view.registration_row(person["id"]))["phone"] == "13900000011"
    assert await ticket_view.event_row(2**31 - 1) is None
    assert await ticket_view.registration_row(2**31 - 1) is None


def test_the_ticket_pages_read_no_table_themselves():
    graph = grimp.build_graph("events", "web")
    assert not graph.direct_import_exists(importer="web.pages.register", imported="events.tables")
