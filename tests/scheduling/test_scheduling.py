"""Duplicating an event as the next session: its questions come along, its title is numbered."""

import json
from datetime import timedelta

import pytest

from events.registration import admin
from events.scheduling import scheduling
from events.scheduling.scheduling import TEXT_LIMITS, next_session_title
from events.tables import AuditLog, Event, Question
from tests.conftest import make_user
from tests.registration.test_registration import make_event

LIMIT = TEXT_LIMITS["title"]


@pytest.mark.parametrize(
    "title, expected",
    [
        ("科普墅讲座", "科普墅讲座（第2期）"),
        ("科普墅讲座（第3期）", "科普墅讲座（第4期）"),
        ("科普墅讲座(第3期)", "科普墅讲座(第4期)"),
        ("科普墅讲座 (第9期)", "科普墅讲座 (第10期)"),
        ("科普墅讲座（第 12 期）", "科普墅讲座（第13期）"),
        ("第3期科普讲座", "第3期科普讲座（第2期）"),  # a marker only counts at the end
        ("（第1期）", "（第2期）"),
    ],
)
def test_next_session_title_numbers_the_session(title, expected):
    assert next_session_title(title) == expected


def test_next_session_title_trims_the_base_not_the_marker_at_the_limit():
    full = "长" * LIMIT
    assert next_session_title(full) == "长" * (LIMIT - 5) + "（第2期）"
    marked = "长" * (LIMIT - 5) + "(第9期)"
    assert next_session_title(marked) == "长" * (LIMIT - 6) + "(第10期)"
    assert all(len(next_session_title(t)) == LIMIT for t in (full, marked))


def question(label, kind="text", options=(), required=False, id=None):
    body = {"label": label, "kind": kind, "options": list(options), "required": required}
    return body if id is None else {**body, "id": id}


def shape(questions):
    return [(q["label"], q["kind"], list(q["options"] or []), q["required"]) for q in questions]


async def event_with_questions(**change):
    """An event whose form asks three questions, after a fourth one was removed (archived)."""
    organizer = await make_user("organizer")
    event = await make_event(**change)
    grade = question("孩子年级", "single", ["一年级", "二年级"], required=True)
    saved = await admin.set_questions(
        event["id"],
        [
            question("旧问题"),
            grade,
            question("兴趣", "multiple", ["机器人", "天文"]),
            question("备注"),
        ],
        organizer,
    )
    _old, grade_row, hobby, note = saved
    # Reordered, and 旧问题 removed: archived, kept in the table with a negative position.
    kept = [
        question(**{k: note[k] for k in ("label", "kind", "options", "required", "id")}),
        question(**{k: grade_row[k] for k in ("label", "kind", "options", "required", "id")}),
        question(**{k: hobby[k] for k in ("label", "kind", "options", "required", "id")}),
    ]
    await admin.set_questions(event["id"], kept, organizer)
    assert await Question.count().where(Question.event == event["id"]) == 4
    return event, organizer


async def test_duplicate_copies_the_active_questions_in_order_not_the_archived(db):
    event, organizer = await event_with_questions()
    before = await Event.select().where(Event.id == event["id"]).first()
    questions_before = await admin.questions_of(event["id"])
    copy = await scheduling.duplicate_event(event["id"], organizer)
    copied = await admin.questions_of(copy["id"])
    assert shape(copied) == [
        ("备注", "text", [], False),
        ("孩子年级", "single", ["一年级", "二年级"], True),
        ("兴趣", "multiple", ["机器人", "天文"], False),
    ]
    assert await Question.count().where(Question.event == copy["id"]) == 3  # none archived
    assert not {q["id"] for q in copied} & {q["id"] for q in questions_before}
    # The original is unchanged: its row and its questions.
    assert await Event.select().where(Event.id == event["id"]).first() == before
    assert await admin.questions_of(event["id"]) == questions_before
    assert await Question.count().where(Question.event == event["id"]) == 4


async def test_duplicate_numbers_the_session_and_keeps_the_audit_entry(db):
    event, organizer = await event_with_questions(title="科普墅讲座")
    second = await scheduling.duplicate_event(event["id"], organizer, days=14)
    third = await scheduling.duplicate_event(second["id"], organizer)
    assert second["title"] == "科普墅讲座（第2期）" and third["title"] == "科普墅讲座（第3期）"
    assert second["status"] == "draft"
    assert second["starts_at"] - event["starts_at"] == timedelta(days=14)
    assert (await scheduling.get_event(event["id"]))["title"] == "科普墅讲座"
    rows = await AuditLog.select(AuditLog.action, AuditLog.after).where(
        (AuditLog.object_type == "event") & (AuditLog.object_id == second["id"])
    )
    assert [row["action"] for row in rows] == ["event.create", "event.duplicate"]
    after = rows[1]["after"]
    after = json.loads(after) if isinstance(after, str) else after
    assert after == {"source": event["id"], "questions": ["备注", "孩子年级*", "兴趣"]}


async def test_duplicate_of_a_title_at_the_length_limit_still_works(db):
    event = await make_event(title="长" * (LIMIT - 5) + "（第9期）")
    copy = await scheduling.duplicate_event(event["id"], None)
    assert copy["title"] == "长" * (LIMIT - 6) + "（第10期）" and len(copy["title"]) == LIMIT
    assert (await scheduling.get_event(event["id"]))["title"] == event["title"]


async def test_duplicate_is_all_or_nothing_with_its_questions(db, monkeypatch):
    event, organizer = await event_with_questions()
    copy_questions = scheduling._copy_questions

    async def copy_then_fail(source_id, target_id):
        await copy_questions(source_id, target_id)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(scheduling, "_copy_questions", copy_then_fail)
    with pytest.raises(RuntimeError):
        await scheduling.duplicate_event(event["id"], organizer)
    assert await Event.count() == 1
    assert await Question.count() == 4


async def test_api_and_page_duplicates_carry_questions_and_the_session_title(client, make_event):
    from tests.pages.test_manage import login, new_id, post_form

    event = await make_event(title="快墅转·成果对接会(第3期)")
    await admin.set_questions(event["id"], [question("单位", required=True)], None)
    response = await client.post(
        f"/api/v1/events/{event['id']}/duplicate", json={"days": 7}, headers=make_event.headers
    )
    assert response.status_code == 201, response.text
    api_copy = response.json()
    assert api_copy["title"] == "快墅转·成果对接会(第4期)"
    assert shape(await admin.questions_of(api_copy["id"])) == [("单位", "text", [], True)]
    await login(client, "organizer")
    page = await post_form(client, f"/manage/events/{api_copy['id']}/duplicate", {"days": "7"})
    assert page.status_code == 303
    page_copy = await scheduling.get_event(new_id(page), include_unpublished=True)
    assert page_copy["title"] == "快墅转·成果对接会(第5期)"
    assert shape(await admin.questions_of(page_copy["id"])) == [("单位", "text", [], True)]
    edit = await client.get(page.headers["location"])
    assert "快墅转·成果对接会(第5期)" in edit.text
