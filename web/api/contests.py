"""Contests: the configuration, a guardian's entries (multipart upload), and an entry by token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter
from msgspec import Meta, Struct

from events.contests import certificates, config, entries, moderation
from events.contests.images import MAX_BYTES
from events.core import phones
from events.core.timeutil import iso
from web import ratelimit
from web.bodies import PHOTO_BODY, read_upload
from web.caching import invalidate_public_pages
from web.guards import organizer_or_admin
from web.media import media_url
from web.requests import base_url, client_ip

Code = Annotated[str, Meta(min_length=1, max_length=16)]
Name = Annotated[str, Meta(min_length=1, max_length=40)]


class GroupIn(Struct):
    code: Code
    name: Name
    min_grade: Annotated[int, Meta(ge=1, le=12)]
    max_grade: Annotated[int, Meta(ge=1, le=12)]


class CriterionIn(Struct):
    code: Code
    name: Name
    weight: Annotated[float, Meta(gt=0, le=1000)]


class AwardIn(Struct):
    name: Annotated[str, Meta(min_length=1, max_length=20)]
    count: Annotated[int, Meta(ge=0, le=100_000)] = 0


class ContestIn(Struct):
    submissions_open_at: datetime
    submissions_close_at: datetime
    groups: Annotated[list[GroupIn], Meta(min_length=1, max_length=12)]
    criteria: Annotated[list[CriterionIn], Meta(min_length=1, max_length=12)]
    judges_per_entry: Annotated[int, Meta(ge=1, le=20)] = 3
    selection_share: Annotated[float, Meta(ge=0, le=1)] = 0.2
    max_entries_per_child: Annotated[int, Meta(ge=1, le=20)] = 1
    gallery: bool = True
    quotas: dict[str, Annotated[int, Meta(ge=0, le=100_000)]] | None = None
    awards: Annotated[list[AwardIn], Meta(max_length=8)] | None = None
    issuer: Annotated[str, Meta(max_length=100)] = ""
    retention_days: Annotated[int, Meta(ge=30, le=3650)] = 365


@dataclass
class EntryForm:
    """The multipart fields of a new entry (all checked by the domain, with a message each)."""

    child_name: str | None = None
    grade: str | None = None
    school: str | None = None
    guardian_name: str | None = None
    guardian_phone: str | None = None
    title: str | None = None
    statement: str | None = None
    consent: str | None = None
    gallery_consent: str | None = None
    image: UploadFile | None = None


@dataclass
class PhotoForm:
    image: UploadFile | None = None


class EntryCreated(Struct):
    id: int
    code: str
    entry_token: str
    entry_url: str
    group: str
    status: str


class EntryOut(Struct):
    id: int
    event_id: int
    code: str
    group: str
    title: str
    status: str
    image_url: str | None
    thumbnail_url: str | None
    submitted_at: str
    award: str | None
    reject_reason: str | None = None
    gallery_consent: bool = False
    certificate_url: str | None = None
    entry_url: str = ""


class Withdrawn(Struct):
    status: str


class GalleryConsentIn(Struct):
    gallery_consent: bool


def entry_url(request: Request, token: str) -> str:
    return f"{base_url(request)}/e/{token}"


def entry_out(request: Request, row: dict) -> EntryOut:
    view = entries.entry_view(row)
    token = row["token"]
    return EntryOut(
        **view,
        image_url=media_url(request, row["image_key"]),
        thumbnail_url=media_url(request, row["thumbnail_key"]),
        reject_reason=row["reject_reason"] or None,
        gallery_consent=row["gallery_consent"],
        certificate_url=(
            f"{base_url(request)}/api/v1/entries/{token}/certificate.pdf"
            if row["status"] == "selected"
            else None
        ),
        entry_url=entry_url(request, token),
    )


def staff_entry(request: Request, row: dict) -> dict[str, Any]:
    return {
        **entries.entry_view(row),
        "child_name": row["child_name"],
        "grade": row["grade"],
        "school": row["school"],
        "guardian_name": row["guardian_name"],
        "guardian_phone": phones.mask(row["guardian_phone"]),
        "statement": row["statement"],
        "duplicate_of": row["duplicate_of"],
        "reject_reason": row["reject_reason"] or None,
        "gallery_consent": row["gallery_consent"],
        "override": row["override"],
        "override_reason": row["override_reason"] or None,
        "image_url": media_url(request, row["image_key"]),
        "thumbnail_url": media_url(request, row["thumbnail_key"]),
        "updated_at": iso(row["updated_at"]),
    }


class ContestController(Controller):
    path = "/api/v1"
    tags = ["contests"]

    @get("/events/{event_id:int}/contest", operation_id="getContest")
    async def get_contest(self, event_id: FromPath[int]) -> dict:
        return await config.get_config(event_id)

    @put("/events/{event_id:int}/contest", operation_id="setContest", guards=[organizer_or_admin])
    async def set_contest(
        self, request: Request, event_id: FromPath[int], data: JSONBody[ContestIn]
    ) -> dict:
        raw = {name: getattr(data, name) for name in data.__struct_fields__}
        raw["groups"] = [_plain(g) for g in data.groups]
        raw["criteria"] = [_plain(c) for c in data.criteria]
        raw["awards"] = [_plain(a) for a in data.awards] if data.awards is not None else None
        result = await config.put_config(event_id, raw, request.user)
        invalidate_public_pages()
        return result

    @post(
        "/events/{event_id:int}/entries",
        operation_id="submitEntry",
        status_code=201,
        request_max_body_size=PHOTO_BODY,
    )
    async def submit_entry(
        self,
        request: Request,
        event_id: FromPath[int],
        data: Annotated[EntryForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> EntryCreated:
        ratelimit.check_registration(client_ip(request), str(data.guardian_phone or ""))
        fields = {k: v for k, v in data.__dict__.items() if k != "image"}
        row = await entries.submit(event_id, fields, await read_upload(data.image, MAX_BYTES))
        ratelimit.registered(row["guardian_phone"])
        invalidate_public_pages()
        return EntryCreated(
            id=row["id"],
            code=row["code"],
            entry_token=row["token"],
            entry_url=entry_url(request, row["token"]),
            group=row["group_code"],
            status=row["status"],
        )

    @get("/events/{event_id:int}/entries", operation_id="listEntries", guards=[organizer_or_admin])
    async def list_entries(
        self,
        request: Request,
        event_id: FromPath[int],
        group: Annotated[str | None, QueryParameter(max_length=16)] = None,
        status: FromQuery[Literal[entries.STATUSES] | None] = None,  # type: ignore[valid-type]
    ) -> dict:
        rows = await moderation.for_organizer(event_id, group=group, status=status)
        return {"items": [staff_entry(request, row) for row in rows]}

    @get("/entries/{entry_token:str}", operation_id="getEntry")
    async def get_entry(self, request: Request, entry_token: FromPath[str]) -> EntryOut:
        return entry_out(request, await entries.by_token(entry_token))

    @post("/entries/{entry_token:str}/withdraw", operation_id="withdrawEntry", status_code=200)
    async def withdraw_entry(self, entry_token: FromPath[str]) -> Withdrawn:
        row = await entries.withdraw(entry_token)
        invalidate_public_pages()
        return Withdrawn(status=row["status"])

    @post(
        "/entries/{entry_token:str}/image",
        operation_id="replaceEntryImage",
        status_code=200,
        request_max_body_size=PHOTO_BODY,
    )
    async def replace_image(
        self,
        request: Request,
        entry_token: FromPath[str],
        data: Annotated[PhotoForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> EntryOut:
        row = await entries.replace_image(entry_token, await read_upload(data.image, MAX_BYTES))
        return entry_out(request, row)

    @post(
        "/entries/{entry_token:str}/gallery-consent",
        operation_id="setEntryGalleryConsent",
        status_code=200,
    )
    async def gallery_consent(
        self, request: Request, entry_token: FromPath[str], data: JSONBody[GalleryConsentIn]
    ) -> EntryOut:
        row = await entries.set_gallery_consent(entry_token, data.gallery_consent)
        invalidate_public_pages()
        return entry_out(request, row)

    @get(
        "/entries/{entry_token:str}/certificate.pdf",
        operation_id="getEntryCertificate",
        media_type="application/pdf",
    )
    async def certificate(self, request: Request, entry_token: FromPath[str]) -> Response[bytes]:
        pdf = await certificates.for_entry(entry_token, base_url(request))
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": 'inline; filename="certificate.pdf"',
                "Cache-Control": "private, no-store",
            },
        )


def _plain(item: Struct) -> dict:
    return {name: getattr(item, name) for name in item.__struct_fields__}
