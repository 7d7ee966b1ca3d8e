"""The outbox sender: retries with backoff, never loses a message, sends each once.

The SMTP server is a real one (aiosmtpd) on a local port, stopped and started by the tests.
Time moves by passing `at=` to `deliver_due`, not by sleeping through the backoff.
"""

import asyncio
import json
import socket
from datetime import datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

from events.core.timeutil import TZ, day_start, now, today
from events.notify import outbox
from events.notify import texts as message_text
from events.notify.backends import (
    Backends,
    ConsoleSms,
    SmsBackend,
    SmtpBackend,
    sms_from_environment,
)
from events.registration import registration as reg
from events.registration import reminders as registration_daily
from events.tables import OutboxMessage
from tests.registration.test_registration import make_event, phone
from tests.settings_env import set_environment


class SmtpServer:
    """A real SMTP server (aiosmtpd) on a free local port that keeps what it receives and
    refuses the addresses in `refuse`; `start()` and `stop()` as often as a test likes."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.messages, self.refuse, self.controller = [], set(), None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class RecordingSms(SmsBackend):
    def __init__(self, delay=0.0, error=None):
        self.sent, self.delay, self.error = [], delay, error

    async def send(self, phone, template_code, params):
        if self.error is not None:
            raise self.error
        await asyncio.sleep(self.delay)
        self.sent.append((phone, template_code, params))


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.stop()


def backends_for(server, sms=None):
    return Backends(SmtpBackend("127.0.0.1", server.port, timeout=5), sms or RecordingSms())


async def statuses():
    rows = await OutboxMessage.select().order_by(OutboxMessage.id)
    return [(row["channel"], row["status"], row["attempts"]) for row in rows]


async def test_smtp_down_registrations_succeed_and_every_message_arrives_once_it_is_back(db, smtp):
    event = await make_event(capacity=2, max_party_size=1)
    people = [
        await reg.register(
            event["id"], {"name": f"居民{i}", "phone": phone(i), "email": f"r{i}@x.cn"}
        )
        for i in range(3)
    ]
    assert [p["status"] for p in people] == ["confirmed", "confirmed", "waitlisted"]
    sms = RecordingSms()
    backends = backends_for(smtp, sms)
    t0 = now() + timedelta(seconds=1)

    assert await outbox.deliver_due(at=t0, backends=backends) == 3  # the SMS go out
    emails = [s for s in await statuses() if s[0] == "email"]
    # One e-mail tried and failed; the rest were not tried while the server is down.
    assert sorted(emails) == [("email", "pending", 0)] * 2 + [("email", "pending", 1)]
    rows = await OutboxMessage.select().where(OutboxMessage.channel == "email")
    failed = next(row for row in rows if row["attempts"] == 1)
    assert "Unavailable" in failed["last_error"]
    assert failed["next_attempt_at"] == t0 + timedelta(seconds=10)

    smtp.start()
    assert await outbox.deliver_due(at=t0 + timedelta(seconds=5), backends=backends) == 0
    assert await outbox.deliver_due(at=t0 + timedelta(seconds=11), backends=backends) == 3
    assert await outbox.deliver_due(at=t0 + timedelta(hours=2), backends=backends) == 0

    assert {s[1] for s in await statuses()} == {"sent"}
    received = smtp.messages
    assert sorted(m["To"] for m in received) == ["r0@x.cn", "r1@x.cn", "r2@x.cn"]
    assert len(sms.sent) == 3
    by_to = {m["To"]: m for m in received}
    confirmed = by_to["r0@x.cn"]
    assert confirmed["Subject"] == "报名成功：科普墅讲座"
    assert f"/t/{people[0]['ticket_token']}" in confirmed.get_body(("plain",)).get_content()
    ics = [
        part for part in confirmed.iter_attachments() if part.get_content_type() == "text/calendar"
    ]
    calendar = Calendar.from_ical(ics[0].get_content())
    assert str(calendar.walk("VEVENT")[0]["summary"]) == "科普墅讲座"
    waitlisted = by_to["r2@x.cn"]
    assert "候补第 1 位" in waitlisted.get_body(("plain",)).get_content()
    assert not list(waitlisted.iter_attachments())


async def test_concurrent_rounds_send_each_message_once(db):
    event = await make_event(capacity=100, max_party_size=1)
    for i in range(24):
        await reg.register(event["id"], {"name": f"居民{i}", "phone": phone(i)})
    sms = RecordingSms(delay=0.01)
    backends = Backends(email=None, sms=sms)

    async def drain():
        while await outbox.deliver_due(limit=5, backends=backends):
            pass

    await asyncio.gather(*(drain() for _ in range(6)))
    phones = [sent[0] for sent in sms.sent]
    assert sorted(phones) == sorted(phone(i) for i in range(24))
    assert {s[1:] for s in await statuses()} == {("sent", 1)}


async def test_a_claim_that_expired_is_retried(db):
    event = await make_event()
    await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
    t0 = now() + timedelta(seconds=1)
    claimed = await outbox.claim_due(10, t0)  # ...and the process dies before sending
    assert len(claimed) == 1
    sms = RecordingSms()
    backends = Backends(email=None, sms=sms)
    assert await outbox.deliver_due(at=t0 + timedelta(minutes=1), backends=backends) == 0
    assert await outbox.deliver_due(at=t0 + timedelta(minutes=3), backends=backends) == 1
    assert await statuses() == [("sms", "sent", 2)]


def test_backoff_grows_to_an_hour():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 30, 90, 270]
    assert outbox.backoff(12) == timedelta(hours=1)


async def test_gives_up_after_max_attempts_and_keeps_the_error(db):
    event = await make_event()
    await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
    backends = Backends(email=None, sms=RecordingSms(error=RuntimeError("gateway 503")))
    at = now() + timedelta(seconds=1)
    for _ in range(outbox.MAX_ATTEMPTS):
        assert await outbox.deliver_due(at=at, backends=backends) == 0
        at += outbox.BACKOFF_CAP * timedelta(seconds=1)
    row = await OutboxMessage.select().first()
    assert (row["status"], row["attempts"]) == ("failed", outbox.MAX_ATTEMPTS)
    assert row["last_error"] == "RuntimeError: gateway 503"
    assert await outbox.deliver_due(at=at + timedelta(days=1), backends=backends) == 0


async def test_a_refused_address_fails_at_once_and_others_still_arrive(db, smtp):
    smtp.refuse.add("bad@x.cn")
    smtp.start()
    event = await make_event()
    await reg.register(event["id"], {"name": "甲", "phone": phone(1), "email": "bad@x.cn"})
    await reg.register(event["id"], {"name": "乙", "phone": phone(2), "email": "good@x.cn"})
    await outbox.deliver_due(at=now() + timedelta(seconds=1), backends=backends_for(smtp))
    rows = await OutboxMessage.select().where(OutboxMessage.channel == "email")
    by_recipient = {row["recipient"]: row for row in rows}
    assert by_recipient["bad@x.cn"]["status"] == "failed"
    assert "Rejected" in by_recipient["bad@x.cn"]["last_error"]
    assert by_recipient["good@x.cn"]["status"] == "sent"
    assert [m["To"] for m in smtp.messages] == ["good@x.cn"]


async def test_reminders_are_queued_once_for_tomorrows_events(db):
    tomorrow = today() + timedelta(days=1)
    start = day_start(tomorrow) + timedelta(hours=14)
    soon = await make_event(
        capacity=2, max_party_size=1, starts_at=start, ends_at=start + timedelta(hours=2)
    )
    later = await make_event(capacity=5, max_party_size=1)
    a = await reg.register(soon["id"], {"name": "甲", "phone": phone(1), "email": "a@x.cn"})
    b = await reg.register(soon["id"], {"name": "乙", "phone": phone(2)})
    await reg.register(soon["id"], {"name": "丙", "phone": phone(3)})  # waitlisted
    await reg.register(later["id"], {"name": "丁", "phone": phone(4)})
    await reg.cancel(b["ticket_token"])  # 丙 is promoted and gets a reminder too

    sender = outbox.Sender(backends=Backends(email=None, sms=RecordingSms()))
    morning = day_start(today()) + timedelta(hours=8)
    await sender.run_once(at=morning)  # before 09:00: nothing queued yet
    assert not await OutboxMessage.exists().where(OutboxMessage.kind == "reminder")
    await sender.run_once(at=morning + timedelta(hours=2))
    assert await registration_daily.queue_reminders(tomorrow) == 2  # a second time changes nothing
    reminders = await OutboxMessage.select().where(OutboxMessage.kind == "reminder")
    assert sorted(r["recipient"] for r in reminders) == sorted(["a@x.cn", phone(1), phone(3)])
    text = message_text.render_sms("reminder", reminders[0]["payload"])
    assert "明天" in message_text.sms_text(text.template_code, text.params)
    email = next(r for r in reminders if r["channel"] == "email")
    assert f"/t/{a['ticket_token']}" in message_text.render_email("reminder", email["payload"]).body


async def test_sender_in_the_lifespan_delivers_and_stops(db, monkeypatch):
    sms = RecordingSms()
    monkeypatch.setattr(outbox, "default_backends", lambda: Backends(email=None, sms=sms))
    event = await make_event()
    async with outbox.outbox_lifespan(None):
        await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
        for _ in range(100):
            if sms.sent:
                break
            await asyncio.sleep(0.05)
    assert [s[1] for s in sms.sent] == ["confirmed"]
    assert await statuses() == [("sms", "sent", 1)]


def test_texts_name_the_ticket_link_waitlist_place_and_only_their_parameters():
    starts = datetime(2026, 3, 12, 14, 0, tzinfo=TZ)
    payload = json.dumps(
        {
            "event_id": 7,
            "event_title": "AI 沙龙",
            "starts_at": str(starts),
            "venue": "运河科创中心",
            "name": "张三",
            "ticket_token": "tok-123",
            "waitlist_position": 4,
        }
    )
    sms = message_text.render_sms("waitlisted", payload)
    text = message_text.sms_text(sms.template_code, sms.params)
    assert text.startswith("【运河科创】张三") and "候补第 4 位" in text
    assert text.endswith("/t/tok-123")
    confirmed = message_text.sms_text(*vars(message_text.render_sms("confirmed", payload)).values())
    assert "3月12日 周四 14:00" in confirmed
    email = message_text.render_email("confirmed", payload)
    assert email.subject == "报名成功：AI 沙龙" and email.attachments[0].filename == "event.ics"
    with pytest.raises(KeyError):
        message_text.render_sms("unknown", payload)
    # An SMS carries only its template's parameters; an organizer's reason picks a variant.
    code = message_text.render_sms("code", {"code": "123456", "minutes": 5})
    assert code == message_text.Sms("code", {"code": "123456", "minutes": "5"})
    by_organizer = message_text.render_sms(
        "cancelled", {"name": "李四", "event_title": "研学", "reason": "场地检修"}
    )
    assert by_organizer.template_code == "cancelled_reason"
    assert by_organizer.params["reason"] == "场地检修" and "link" not in by_organizer.params
    # without a reason an organizer's cancel still says who cancelled; the person's own doesn't
    no_reason = message_text.render_sms(
        "cancelled", {"name": "李四", "event_title": "研学", "by": "organizer"}
    )
    assert no_reason.template_code == "cancelled_by_organizer"
    assert "主办方取消了您的报名" in message_text.sms_text(
        no_reason.template_code, no_reason.params
    )
    own = message_text.render_sms("cancelled", {"name": "李四", "event_title": "研学"})
    assert "您已取消报名" in message_text.sms_text(own.template_code, own.params)
    moved = message_text.render_email("confirmed", {"event_title": "研学", "moved_from": "旧场"})
    assert "旧场" in moved.body and not moved.attachments  # no time known: no .ics


def test_smtp_urls_and_default_backends(request):
    backend = SmtpBackend.from_url("smtps://user%40bureau:p%2Fw@mail.example.cn")
    assert (backend.port, backend.use_tls) == (465, True)
    assert (backend.username, backend.password) == ("user@bureau", "p/w")
    starttls = SmtpBackend.from_url("smtp://mail.example.cn:587?starttls=1")
    assert (starttls.port, starttls.use_tls, starttls.start_tls) == (587, False, True)
    with pytest.raises(ValueError):
        SmtpBackend.from_url("http://mail.example.cn")
    set_environment(request, EVENTS_SMS_BACKEND=None)
    assert isinstance(sms_from_environment(), ConsoleSms)
    set_environment(request, EVENTS_SMS_BACKEND="tests.notify.test_outbox:RecordingSms")
    assert isinstance(sms_from_environment(), RecordingSms)


async def test_messages_too_late_to_be_of_use_are_dropped(db):
    from events.notify import messages

    yesterday = now() - timedelta(days=1)
    await messages.enqueue("code", None, "p1", {"code": "123456", "minutes": 5}, phone=phone(1))
    await messages.enqueue("reminder", None, "r1", {"starts_at": yesterday}, phone=phone(2))
    await messages.enqueue("code", None, "p2", {"code": "654321", "minutes": 5}, phone=phone(3))
    sms = RecordingSms()
    at = now() + timedelta(minutes=2)
    await OutboxMessage.update({OutboxMessage.created_at: yesterday}).where(
        OutboxMessage.dedupe_key == "code:sms:p1"
    )
    assert await outbox.deliver_due(at=at, backends=Backends(None, sms)) == 1
    assert [s[2]["code"] for s in sms.sent] == ["654321"]
    failed = await OutboxMessage.select().where(OutboxMessage.status == "failed")
    assert sorted(f["dedupe_key"] for f in failed) == ["code:sms:p1", "reminder:sms:r1"]
    assert {f["last_error"] for f in failed} == {"Rejected: too late to be of use"}


async def test_a_message_can_name_any_subject(db):
    """Other areas (contests, matchmaking) queue through the same outbox with their own
    subject; a registration's messages name the registration."""
    from events.notify import messages

    await messages.enqueue(
        "contest_result",
        None,
        dedupe="entry-7",
        payload={"title": "画"},
        phone="13900000009",
        subject=("contest_entry", 7),
    )
    row = await OutboxMessage.select().where(OutboxMessage.kind == "contest_result").first()
    assert (row["subject_type"], row["subject_id"], row["recipient"]) == (
        "contest_entry",
        7,
        "13900000009",
    )
    assert row["dedupe_key"] == "contest_result:sms:entry-7"


def test_registrations_daily_jobs_are_registered_with_the_sender():
    """The sender imports no area; registration registers its reminders and retention."""
    import web.app  # noqa: F401  (what the running app loads)

    assert registration_daily.remind_tomorrow in outbox._daily_jobs
    assert registration_daily.anonymise_past in outbox._daily_jobs
