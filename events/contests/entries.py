"""A guardian's entry: submit, look up by token, replace the photo, withdraw; moderation.

Submitting follows the registration pattern: validate, then do the heavy part (decoding and
cleaning the photo, storing three copies) outside any lock, then one write transaction that
checks the window and the per-child limit again, takes the next entry number, flags a
duplicate picture, stores the row and queues the guardian's message. Files stored for an entry
that then fails are deleted again.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

import anyio

from events.contests import images, privacy
from events.contests.config import contest_event, group_for, group_rank, load, submissions_open
from events.contests.storage import storage
from events.contests.tables import Contest, Entry
from events.core import phones
from events.core.db import write_transaction
from events.core.errors import Conflict, Invalid, NotFound
from events.core.i18n import gettext as _
from events.core.timeutil import iso, now
from events.core.validation import CONTROL_CHARS
from events.notify import messages

log = logging.getLogger("canal.contests")

STATUSES = ("submitted", "withdrawn", "rejected", "selected", "not_selected")
TEXT_LIMITS = {"child_name": 20, "school": 60, "guardian_name": 20, "title": 40}
STATEMENT_LIMIT = 500
_TRUE = {"true", "on", "1", "yes"}
_FALSE = {"false", "off", "0", "no", ""}


class Closed(Conflict):
    code = "closed"


class LimitReached(Conflict):
    code = "limit_reached"


def _text(raw: dict, name: str, errors: dict[str, str], label: str) -> str:
    value = raw.get(name)
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        errors[name] = _("请填写{label}").format(label=label)
    elif len(value) > TEXT_LIMITS[name]:
        errors[name] = _("{label}不超过 {n} 个字").format(label=label, n=TEXT_LIMITS[name])
    elif _has_control(value) or "\n" in value or "\t" in value:
        errors[name] = _("{label}含有无法识别的字符").format(label=label)
    return value


def _has_control(text: str) -> bool:
    return any(char in CONTROL_CHARS for char in text)


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def validate(raw: dict[str, Any], contest: dict) -> dict[str, Any]:
    """The entry's fields, or `Invalid` naming each wrong one (the photo is checked apart)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "child_name": _text(raw, "child_name", errors, _("孩子姓名")),
        "school": _text(raw, "school", errors, _("学校")),
        "guardian_name": _text(raw, "guardian_name", errors, _("监护人姓名")),
        "title": _text(raw, "title", errors, _("作品标题")),
    }
    statement = raw.get("statement")
    statement = statement.strip() if isinstance(statement, str) else ""
    if len(statement) > STATEMENT_LIMIT:
        errors["statement"] = _("创作说明不超过 {n} 个字").format(n=STATEMENT_LIMIT)
    elif _has_control(statement):
        errors["statement"] = _("创作说明含有无法识别的字符")
    values["statement"] = statement
    grade_text = str(raw.get("grade") if raw.get("grade") is not None else "").strip()
    grade = int(grade_text) if grade_text.isdigit() and len(grade_text) <= 2 else None
    group = None
    if grade is None or not 1 <= grade <= 12:
        errors["grade"] = _("请选择年级（小学一年级到高三）")
    else:
        group = group_for(contest["groups"], grade)
        if group is None:
            errors["grade"] = _("本次比赛没有适合这个年级的组别")
    values["grade"], values["group_code"] = grade, group["code"] if group else ""
    try:
        values["guardian_phone"] = phones.normalise(raw.get("guardian_phone"))
    except Invalid as error:
        errors["guardian_phone"] = error.detail
    consent = _flag(raw.get("consent"))
    if consent is not True:
        errors["consent"] = _("请阅读并同意儿童个人信息保护说明")
    gallery = _flag(raw.get("gallery_consent"))
    if gallery is None:
        errors["gallery_consent"] = _("请选择是否同意公开展示")
    values["gallery_consent"] = bool(gallery)
    if errors:
        raise Invalid(next(iter(errors.values())), errors)
    return values


async def _open_contest(event_id: int) -> dict:
    event = await contest_event(event_id)
    if event["status"] != "published":
        raise NotFound(_("没有这个比赛"))
    contest = await load(event_id)
    return contest


def _check_window(contest: dict, at: datetime) -> None:
    if at < contest["submissions_open_at"]:
        raise Closed(_("作品征集尚未开始"))
    if not submissions_open(contest, at):
        raise Closed(_("作品征集已截止"))


async def _count_for_child(contest_id: int, phone: str, child: str) -> int:
    return await Entry.count().where(
        (Entry.contest == contest_id)
        & (Entry.guardian_phone == phone)
        & (Entry.child_name == child)
        & (Entry.status != "withdrawn")
    )


def _limit_reached(contest: dict) -> LimitReached:
    return LimitReached(
        _("这位孩子已提交 {n} 件作品，达到本次比赛的上限").format(
            n=contest["max_entries_per_child"]
        )
    )


async def _store(event_id: int, processed: images.Processed) -> dict[str, str]:
    folder = f"entries/{event_id}/{secrets.token_urlsafe(12)}"
    keys = {
        "image_key": f"{folder}/image.jpg",
        "screen_key": f"{folder}/screen.jpg",
        "thumbnail_key": f"{folder}/thumb.jpg",
    }
    files = storage()
    await files.put(keys["image_key"], processed.image, "image/jpeg")
    await files.put(keys["screen_key"], processed.screen, "image/jpeg")
    await files.put(keys["thumbnail_key"], processed.thumbnail, "image/jpeg")
    return keys


async def _forget(keys: dict[str, str]) -> None:
    files = storage()
    for key in keys.values():
        if key:
            try:
                await files.delete(key)
            except Exception as error:  # a file left over is harmless; the entry is what counts
                log.warning("could not delete stored file %s: %s", key, error)


async def _process(data: bytes | None) -> images.Processed:
    if not data:
        message = _("请选择作品照片")
        raise Invalid(message, {"image": message})
    if len(data) > images.MAX_BYTES:
        raise images.ImageTooLarge(_("照片不能超过 20 MB"))
    return await anyio.to_thread.run_sync(images.process, data)


def _letter(contest: dict, group_code: str) -> str:
    index = group_rank(contest).get(group_code, 0)
    return "ABCDEFGHJKLMNPQRSTUVWXYZ"[index % 24]


async def _duplicate_of(contest_id: int, phash: str, exclude: int | None = None) -> int | None:
    query = Entry.select(Entry.id, Entry.phash).where(
        (Entry.contest == contest_id) & (Entry.phash != "")
    )
    rows = await query.order_by(Entry.id)
    earlier = [(row["id"], row["phash"]) for row in rows if row["id"] != exclude]
    if exclude is not None:
        earlier = [(i, h) for i, h in earlier if i < exclude]
    return images.find_duplicate(phash, earlier)


async def _next_number(contest_id: int) -> int:
    rows = await Contest.raw(
        "UPDATE contest SET entry_seq = entry_seq + 1 WHERE id = {} RETURNING entry_seq",
        contest_id,
    )
    return rows[0]["entry_seq"]


def message_payload(entry: dict, **extra) -> dict[str, Any]:
    return {
        "event_id": entry["event"],
        "name": entry["guardian_name"],
        "entry_token": entry["token"],
        "code": entry["code"],
        "work": entry["title"],
        **extra,
    }


async def submit(event_id: int, raw: dict[str, Any], data: bytes | None) -> dict[str, Any]:
    """A new entry (status `submitted`); raises Closed, LimitReached, Invalid, NotFound."""
    contest = await _open_contest(event_id)
    _check_window(contest, now())
    values = validate(raw, contest)
    if (
        await _count_for_child(contest["id"], values["guardian_phone"], values["child_name"])
        >= contest["max_entries_per_child"]
    ):
        raise _limit_reached(contest)
    processed = await _process(data)
    keys = await _store(event_id, processed)
    try:
        async with write_transaction():
            at = now()
            _check_window(contest, at)
            if (
                await _count_for_child(
                    contest["id"], values["guardian_phone"], values["child_name"]
                )
                >= contest["max_entries_per_child"]
            ):
                raise _limit_reached(contest)
            number = await _next_number(contest["id"])
            entry = Entry(
                contest=contest["id"],
                event=event_id,
                code=f"{_letter(contest, values['group_code'])}-{number:04d}",
                token=secrets.token_urlsafe(24),
                consent_version=privacy.VERSION,
                consent_at=at,
                status="submitted",
                image_width=processed.width,
                image_height=processed.height,
                phash=processed.phash,
                duplicate_of=await _duplicate_of(contest["id"], processed.phash),
                submitted_at=at,
                updated_at=at,
                **keys,
                **values,
            )
            await entry.save()
            row = entry.to_dict()
            row["event"] = event_id
            await messages.enqueue(
                "entry_received",
                None,
                f"entry:{row['id']}",
                message_payload(row),
                phone=row["guardian_phone"],
                subject=("contest_entry", row["id"]),
            )
    except BaseException:
        await _forget(keys)
        raise
    return row


async def by_token(token: str) -> dict:
    if not isinstance(token, str) or not 8 <= len(token) <= 64:
        raise NotFound(_("没有找到这件作品"))
    row = await Entry.select().where(Entry.token == token).first()
    if not row:
        raise NotFound(_("没有找到这件作品"))
    return row


async def withdraw(token: str) -> dict:
    entry = await by_token(token)
    contest = await load(entry["event"])
    if entry["status"] == "withdrawn":
        return entry
    if not submissions_open(contest):
        raise Closed(_("作品征集已截止，不能再撤回"))
    if entry["status"] != "submitted":
        raise Conflict(_("这件作品现在不能撤回"))
    async with write_transaction():
        await Entry.update(
            {Entry.status: "withdrawn", Entry.withdrawn_at: now(), Entry.updated_at: now()}
        ).where((Entry.id == entry["id"]) & (Entry.status == "submitted"))
    return await by_token(token)


async def replace_image(token: str, data: bytes | None) -> dict:
    """A new photo for a submitted entry, until the close; the old files are deleted."""
    entry = await by_token(token)
    contest = await load(entry["event"])
    if not submissions_open(contest):
        raise Closed(_("作品征集已截止，不能再更换照片"))
    if entry["status"] != "submitted":
        raise Conflict(_("这件作品现在不能更换照片"))
    processed = await _process(data)
    keys = await _store(entry["event"], processed)
    try:
        async with write_transaction():
            changed = (
                await Entry.update(
                    {
                        Entry.image_key: keys["image_key"],
                        Entry.screen_key: keys["screen_key"],
                        Entry.thumbnail_key: keys["thumbnail_key"],
                        Entry.image_width: processed.width,
                        Entry.image_height: processed.height,
                        Entry.phash: processed.phash,
                        Entry.duplicate_of: await _duplicate_of(
                            contest["id"], processed.phash, exclude=entry["id"]
                        ),
                        Entry.updated_at: now(),
                    }
                )
                .where((Entry.id == entry["id"]) & (Entry.status == "submitted"))
                .returning(Entry.id)
            )
            if not changed:
                raise Conflict(_("这件作品现在不能更换照片"))
    except BaseException:
        await _forget(keys)
        raise
    await _forget({k: entry[k] for k in ("image_key", "screen_key", "thumbnail_key")})
    return await by_token(token)


async def set_gallery_consent(token: str, consent: bool) -> dict:
    """The guardian may give or take back the gallery consent at any time."""
    entry = await by_token(token)
    async with write_transaction():
        await Entry.update({Entry.gallery_consent: consent, Entry.updated_at: now()}).where(
            Entry.id == entry["id"]
        )
    return await by_token(token)


async def in_event(event_id: int, entry_id: int) -> dict:
    """The entry, if it belongs to this event's contest (else NotFound)."""
    row = await Entry.select().where(Entry.id == entry_id).first()
    if not row or row["event"] != event_id:
        raise NotFound(_("没有找到这件作品"))
    return row


async def by_id(entry_id: int) -> dict:
    row = await Entry.select().where(Entry.id == entry_id).first()
    if not row:
        raise NotFound(_("没有找到这件作品"))
    return row


def public_status(entry: dict) -> str:
    return entry["status"]


def entry_view(entry: dict) -> dict[str, Any]:
    """The fields every view of an entry shares (no personal data)."""
    return {
        "id": entry["id"],
        "event_id": entry["event"],
        "code": entry["code"],
        "group": entry["group_code"],
        "title": entry["title"],
        "status": public_status(entry),
        "submitted_at": iso(entry["submitted_at"]),
        "award": entry["award"],
    }
