"""Certificates of the selected entries: one PDF per entry, one print-ready PDF for the
organizer, and the verification of a certificate code (`/v/<code>`)."""

from __future__ import annotations

import anyio

from events.contests import certificate_pdf
from events.contests.config import contest_event, group_rank, load
from events.contests.entries import by_token
from events.contests.tables import Entry
from events.core.errors import NotFound
from events.core.i18n import gettext as _
from events.core.timeutil import local


def verify_url(base: str, code: str) -> str:
    return f"{base}/v/{code}"


def _certificate(entry: dict, contest: dict, event: dict, base: str) -> certificate_pdf.Certificate:
    groups = {g["code"]: g["name"] for g in contest["groups"]}
    return certificate_pdf.Certificate(
        child_name=entry["child_name"],
        award=entry["award"] or "",
        contest_title=event["title"],
        group_name=groups.get(entry["group_code"], entry["group_code"]),
        entry_title=entry["title"],
        issuer=contest["issuer"] or event.get("organizer_unit") or _("杭州市拱墅区科学技术局"),
        issued_on=local(contest["published_at"]).date(),
        number=entry["certificate_code"],
        verify_url=verify_url(base, entry["certificate_code"]),
    )


async def for_entry(token: str, base: str) -> bytes:
    entry = await by_token(token)
    if entry["status"] != "selected" or not entry["certificate_code"] or entry["erased_at"]:
        raise NotFound(_("这件作品没有证书"))
    event = await contest_event(entry["event"])
    contest = await load(entry["event"])
    certificate = _certificate(entry, contest, event, base)
    return await anyio.to_thread.run_sync(certificate_pdf.render, certificate)


async def for_contest(event_id: int, base: str) -> bytes:
    """Every certificate of a contest in one PDF, by group and rank (for printing)."""
    event = await contest_event(event_id)
    contest = await load(event_id)
    if contest["published_at"] is None:
        raise NotFound(_("评选结果尚未公布"))
    rows = await Entry.select().where(
        (Entry.contest == contest["id"]) & (Entry.status == "selected")
    )
    order = group_rank(contest)
    rows.sort(key=lambda r: (order.get(r["group_code"], 99), r["rank"] or 0))
    certificates = [
        _certificate(row, contest, event, base) for row in rows if row["certificate_code"]
    ]
    if not certificates:
        raise NotFound(_("没有入选的作品"))
    return await anyio.to_thread.run_sync(certificate_pdf.render_many, certificates)
