"""Contests, for staff: moderation, assignment, a judge's queue and scores, results."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import Meta, Struct

from events.contests import certificates, entries, judging, moderation, results
from events.core.validation import MAX_ID
from web.api.contests import staff_entry
from web.caching import invalidate_public_pages
from web.guards import judge_only, organizer_or_admin
from web.media import media_url
from web.requests import base_url


class AssignIn(Struct):
    judges: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(min_length=1, max_length=200)]


class ScoresIn(Struct):
    # Any values: the domain refuses everything but whole numbers 1–10 (a "5" string too),
    # with a message per criterion, where msgspec's lax mode would turn "5" into 5.
    scores: dict[Annotated[str, Meta(max_length=16)], Any]


class ReasonIn(Struct):
    reason: Annotated[str, Meta(max_length=300)] = ""


class MoveIn(Struct):
    direction: Literal["in", "out"] | None
    reason: Annotated[str, Meta(max_length=300)] = ""


class JudgingController(Controller):
    path = "/api/v1"
    tags = ["contests"]

    @post(
        "/events/{event_id:int}/entries/{entry_id:int}/reject",
        operation_id="rejectEntry",
        guards=[organizer_or_admin],
        status_code=200,
    )
    async def reject(
        self,
        request: Request,
        event_id: FromPath[int],
        entry_id: FromPath[int],
        data: JSONBody[ReasonIn],
    ) -> dict:
        await entries.in_event(event_id, entry_id)
        row = await moderation.reject(entry_id, data.reason, request.user)
        return staff_entry(request, row)

    @post(
        "/events/{event_id:int}/judging/assign",
        operation_id="assignJudges",
        guards=[organizer_or_admin],
        status_code=200,
    )
    async def assign(
        self, request: Request, event_id: FromPath[int], data: JSONBody[AssignIn]
    ) -> dict:
        return {"assignments": await judging.assign(event_id, data.judges, request.user)}

    @get("/judging/queue", operation_id="judgingQueue", guards=[judge_only])
    async def queue(
        self,
        request: Request,
        event_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
    ) -> dict:
        rows = await judging.queue(request.user, event_id)
        return {
            "items": [
                {
                    "entry_id": row["entry"],
                    "event_id": row["event_id"],
                    "code": row["code"],
                    "group": row["group"],
                    "title": row["title"],
                    "statement": row["statement"],
                    "image_url": media_url(request, row["image_key"]),
                    "screen_url": media_url(request, row["screen_key"]),
                    "thumbnail_url": media_url(request, row["thumbnail_key"]),
                    "scores": row["scores"],
                }
                for row in rows
            ]
        }

    @put("/judging/entries/{entry_id:int}/scores", operation_id="scoreEntry", guards=[judge_only])
    async def score(
        self, request: Request, entry_id: FromPath[int], data: JSONBody[ScoresIn]
    ) -> dict:
        scores = await judging.score(entry_id, request.user, data.scores)
        return {"entry_id": entry_id, "scores": scores}

    @post(
        "/judging/entries/{entry_id:int}/conflict",
        operation_id="declareConflict",
        guards=[judge_only],
        status_code=200,
    )
    async def conflict(
        self, request: Request, entry_id: FromPath[int], data: JSONBody[ReasonIn]
    ) -> dict:
        chosen = await judging.declare_conflict(entry_id, request.user, data.reason)
        return {"entry_id": entry_id, "reassigned": chosen is not None}

    @post(
        "/events/{event_id:int}/results/compute",
        operation_id="computeResults",
        guards=[organizer_or_admin],
        status_code=200,
    )
    async def compute(self, event_id: FromPath[int]) -> dict:
        return await results.compute(event_id, record=True)

    @post(
        "/events/{event_id:int}/entries/{entry_id:int}/move",
        operation_id="moveEntry",
        guards=[organizer_or_admin],
        status_code=200,
    )
    async def move(
        self,
        request: Request,
        event_id: FromPath[int],
        entry_id: FromPath[int],
        data: JSONBody[MoveIn],
    ) -> dict:
        await entries.in_event(event_id, entry_id)
        row = await results.move(entry_id, data.direction, data.reason, request.user)
        return staff_entry(request, row)

    @post(
        "/events/{event_id:int}/results/publish",
        operation_id="publishResults",
        guards=[organizer_or_admin],
        status_code=200,
    )
    async def publish(self, request: Request, event_id: FromPath[int]) -> dict:
        done = await results.publish(event_id, request.user)
        invalidate_public_pages()
        return done

    @get("/events/{event_id:int}/results", operation_id="getResults")
    async def public(self, request: Request, event_id: FromPath[int]) -> dict:
        rows = await results.public_results(event_id)
        return {
            "items": [
                {
                    "code": row["code"],
                    "group": row["group_code"],
                    "title": row["title"],
                    "child": results.mask_name(row["child_name"]),
                    "school": row["school"],
                    "award": row["award"],
                    "thumbnail_url": (
                        media_url(request, row["thumbnail_key"])
                        if row["gallery_consent"] and not row["erased_at"]
                        else None
                    ),
                }
                for row in rows
            ]
        }

    @get(
        "/events/{event_id:int}/certificates.pdf",
        operation_id="getAllCertificates",
        guards=[organizer_or_admin],
        media_type="application/pdf",
    )
    async def all_certificates(self, request: Request, event_id: FromPath[int]) -> Response[bytes]:
        pdf = await certificates.for_contest(event_id, base_url(request))
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="certificates-{event_id}.pdf"',
                "Cache-Control": "private, no-store",
            },
        )
