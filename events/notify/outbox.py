"""The sender: delivers the transactional outbox (`events.notify.messages.enqueue`) with retries.

A round (`deliver_due`) claims due rows in one short write transaction: a single UPDATE sets
them `sending`, counts the attempt and stamps `claimed_until` (now + 2 min). On PostgreSQL the
sub-select takes `FOR UPDATE SKIP LOCKED`; on SQLite the transaction is IMMEDIATE. So two
workers, in one process or several, never claim the same row. The round then sends each claimed
row outside any transaction and marks it `sent`, or puts it back to `pending` with exponential
backoff (10 s, 30 s, 90 s … capped at 1 h), or `failed` (with `last_error`) when the backend
refuses it for good or after 12 attempts (about 6 h of retries).

Delivery guarantee, honestly: a message is sent at most once per successful claim. The one
window where it could go out twice is a crash (or a hang past the claim) after the backend
accepted it and before the row was marked `sent`: the claim expires and another round retries
it. SMTP offers no way to close that window; the claim makes everything else at-most-once.

When a backend is unreachable (`backends.Unavailable`), the rest of that channel's rows in the
round are released without counting an attempt, to wait out the outage with the failed one.

`Sender` runs rounds in a loop in the app's lifespan (`outbox_lifespan`), polling every second
(enqueue happens in other processes too, so there is nothing to wake it), and once a day (from
09:00 Shanghai time) runs the daily jobs the areas registered (`on_daily`): registration's
reminders for tomorrow and its retention job.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import cache

from events.core.db import is_sqlite, write_transaction
from events.core.settings import get_settings
from events.core.timeutil import local, now
from events.notify.backends import Backends, Rejected, Unavailable, from_environment
from events.notify.texts import details, render_email, render_sms, too_late
from events.tables import Event, OutboxMessage

log = logging.getLogger("events.notify.outbox")
CLAIM = timedelta(minutes=2)
SEND_TIMEOUT = 30.0  # seconds for one message; well inside the claim
MAX_ATTEMPTS = 12
BACKOFF_FIRST, BACKOFF_FACTOR, BACKOFF_CAP = 10, 3, 3600
DAILY_AT = clock(9, 0)  # reminders are not sent at midnight


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 10 s, 30 s, 90 s … at most 1 h."""
    seconds = BACKOFF_FIRST * BACKOFF_FACTOR ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, BACKOFF_CAP))


@cache
def default_backends() -> Backends:
    return from_environment()


# Due: pending and its time has come, or claimed by a round that crashed (claim expired).
DUE = (
    "((status = 'pending' AND next_attempt_at <= {})"
    " OR (status = 'sending' AND claimed_until < {}))"
)


async def claim_due(limit: int, at: datetime) -> list[dict]:
    """Atomically take up to `limit` due rows (and rows whose claim expired) for this round."""
    # A plain read first: an idle round takes no write lock (SQLite) and no row locks.
    if not await OutboxMessage.raw(
        "SELECT id FROM outbox_message WHERE " + DUE + " LIMIT 1", at, at
    ):
        return []
    lock = "" if is_sqlite() else " FOR UPDATE SKIP LOCKED"
    async with write_transaction():
        rows = await OutboxMessage.raw(
            "UPDATE outbox_message SET status = 'sending', claimed_until = {},"
            " attempts = attempts + 1"
            " WHERE id IN (SELECT id FROM outbox_message WHERE " + DUE + " ORDER BY id"
            " LIMIT {}" + lock + ") RETURNING *",
            at + CLAIM,
            at,
            at,
            limit,
        )
    return sorted(rows, key=lambda row: row["id"])


# A sign-in code is a secret: once delivered, the outbox keeps only that one was sent.
REDACTED_CODE = '{"code": "******", "redacted": true}'


async def _mark_sent(row: dict, at: datetime) -> None:
    if row["kind"] == "code":
        await OutboxMessage.raw(
            "UPDATE outbox_message SET status = 'sent', sent_at = {}, claimed_until = NULL,"
            " last_error = '', payload = {} WHERE id = {}",
            at,
            REDACTED_CODE,
            row["id"],
        )
        return
    await OutboxMessage.raw(
        "UPDATE outbox_message SET status = 'sent', sent_at = {}, claimed_until = NULL,"
        " last_error = '' WHERE id = {}",
        at,
        row["id"],
    )


async def _mark_failed(row: dict, error: Exception, at: datetime, final: bool) -> datetime:
    """Back to `pending` after the backoff, or `failed`; when it will be tried again."""
    final = final or row["attempts"] >= MAX_ATTEMPTS
    retry_at = at + backoff(row["attempts"])
    await OutboxMessage.raw(
        "UPDATE outbox_message SET status = {}, next_attempt_at = {}, claimed_until = NULL,"
        " last_error = {} WHERE id = {} AND status = 'sending' AND attempts = {}",
        "failed" if final else "pending",
        at if final else retry_at,
        f"{type(error).__name__}: {error}"[:1000],
        row["id"],
        row["attempts"],
    )
    level = logging.ERROR if final else logging.WARNING
    log.log(level, "message %s (%s, %s) attempt %s failed: %s", row["id"], row["kind"],
            row["channel"], row["attempts"], error)  # fmt: skip
    return retry_at


async def _release(row: dict, retry_at: datetime) -> None:
    """Give a claimed row back untried: its attempt does not count."""
    await OutboxMessage.raw(
        "UPDATE outbox_message SET status = 'pending', attempts = attempts - 1,"
        " claimed_until = NULL, next_attempt_at = {}"
        " WHERE id = {} AND status = 'sending' AND attempts = {}",
        retry_at,
        row["id"],
        row["attempts"],
    )


async def _event(payload_event_id, cache: dict) -> dict | None:
    if not isinstance(payload_event_id, int):
        return None
    if payload_event_id not in cache:
        cache[payload_event_id] = await Event.select().where(Event.id == payload_event_id).first()
    return cache[payload_event_id]


async def _send(row: dict, backends: Backends, cache: dict, at: datetime) -> None:
    if not row["recipient"]:
        raise Rejected("no recipient (anonymised)")
    try:
        event = await _event(details(row["payload"]).get("event_id"), cache)
        if too_late(row["kind"], details(row["payload"], event), row["created_at"], at):
            raise Rejected("too late to be of use")
        if row["channel"] == "email":
            email = render_email(row["kind"], row["payload"], event)
        elif row["channel"] == "sms":
            sms = render_sms(row["kind"], row["payload"], event)
        else:
            raise KeyError(f"unknown channel {row['channel']!r}")
    except (KeyError, ValueError, TypeError) as error:
        raise Rejected(f"cannot render: {error!r}") from error
    async with asyncio.timeout(SEND_TIMEOUT):
        if row["channel"] == "email":
            await backends.email.send(row["recipient"], email)
        else:
            await backends.sms.send(row["recipient"], sms.template_code, sms.params)


async def deliver_due(
    limit: int = 50, *, at: datetime | None = None, backends: Backends | None = None
) -> int:
    """One round: claim due messages, send them, record the outcome; how many were sent.

    `at` is the round's clock (tests move it instead of sleeping through the backoff).
    """
    at = at or now()
    backends = backends or default_backends()
    rows = await claim_due(limit, at)
    budget = time.monotonic() + CLAIM.total_seconds() - SEND_TIMEOUT - 10
    down: dict[str, datetime] = {}
    cache: dict = {}
    sent = 0
    for row in rows:
        if row["channel"] in down or time.monotonic() > budget:
            await _release(row, down.get(row["channel"], at))
            continue
        try:
            await _send(row, backends, cache, at)
        except Rejected as error:
            await _mark_failed(row, error, at, final=True)
        except (Unavailable, TimeoutError) as error:
            down[row["channel"]] = await _mark_failed(row, error, at, final=False)
        except Exception as error:
            await _mark_failed(row, error, at, final=False)
        else:
            await _mark_sent(row, at)
            sent += 1
    return sent


# Work done once a day (from 09:00 Shanghai time): the areas that need it register it here
# (registration: tomorrow's reminders, the retention job), so that the sender imports none
# of them. Each job takes the moment and returns a line for the log.
DailyJob = Callable[[datetime], Awaitable[str]]
_daily_jobs: list[DailyJob] = []


def on_daily(job: DailyJob) -> DailyJob:
    if job not in _daily_jobs:
        _daily_jobs.append(job)
    return job


async def daily_jobs(at: datetime) -> None:
    done = [await job(at) for job in _daily_jobs]
    log.info("daily jobs: %s", "; ".join(done) or "none registered")


class Sender:
    """Runs `deliver_due` every `poll_seconds`, and the daily jobs once a day."""

    def __init__(self, backends: Backends | None = None, poll_seconds: float = 1.0, limit=50):
        self.backends = backends
        self.poll_seconds = poll_seconds
        self.limit = limit
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._daily_done: date | None = None
        self._daily_retry = 0.0

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, grace: float = SEND_TIMEOUT + 5) -> None:
        """Finish the round in progress (or give up on it after `grace` seconds) and stop."""
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except TimeoutError:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def run_once(self, at: datetime | None = None) -> int:
        at = at or now()
        today = local(at).date()
        if (
            self._daily_done != today
            and local(at).time() >= DAILY_AT
            and time.monotonic() >= self._daily_retry
        ):
            try:
                await daily_jobs(at)
                self._daily_done = today
            except Exception:
                self._daily_retry = time.monotonic() + 600
                log.exception("daily jobs failed; trying again in 10 minutes")
        return await deliver_due(self.limit, at=at, backends=self.backends)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            sent = 0
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("outbox round failed")
            if sent < self.limit:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.poll_seconds)


@asynccontextmanager
async def outbox_lifespan(_app=None):
    """Litestar lifespan: the sender runs while the app does (`EVENTS_SENDER=off` disables
    it, e.g. for a web process when another process sends). Put it after the pool's lifespan."""
    if not get_settings().sender:
        yield
        return
    sender = Sender()
    sender.start()
    try:
        yield
    finally:
        await sender.stop()
