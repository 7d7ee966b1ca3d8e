"""Explicit msgspec Structs for API bodies (what the OpenAPI document shows)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

Kind = Literal["matching", "lecture", "study_trip", "contest", "training", "policy", "other"]
Text200 = Annotated[str, Meta(max_length=200)]
Text60 = Annotated[str, Meta(max_length=60)]
Text300 = Annotated[str, Meta(max_length=300)]
LongText = Annotated[str, Meta(max_length=20_000)]


class Error(Struct):
    code: str
    detail: str


class LoginIn(Struct, forbid_unknown_fields=False):
    username: Annotated[str, Meta(min_length=1, max_length=64)]
    password: Annotated[str, Meta(min_length=1, max_length=256)]


class LoginOut(Struct):
    token: str
    role: str
    username: str


class Me(Struct):
    id: int
    username: str
    role: str
    display_name: str


class Status(Struct):
    status: str


class EventIn(Struct):
    title: Text200
    kind: Kind
    starts_at: datetime
    ends_at: datetime
    venue: Text200
    capacity: int
    series: Text60 = ""
    description: LongText = ""
    street: Annotated[str, Meta(max_length=40)] = ""
    address: Text300 = ""
    organizer_unit: Annotated[str, Meta(max_length=100)] = ""
    waitlist: bool = True
    max_party_size: int = 1
    family: bool = False
    ask_company: bool = False
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    status: Literal["published", "draft"] = "published"


class EventPatch(Struct):
    title: Text200 | UnsetType = UNSET
    kind: Kind | UnsetType = UNSET
    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType = UNSET
    venue: Text200 | UnsetType = UNSET
    capacity: int | UnsetType = UNSET
    series: Text60 | UnsetType = UNSET
    description: LongText | UnsetType = UNSET
    street: Annotated[str, Meta(max_length=40)] | UnsetType = UNSET
    address: Text300 | UnsetType = UNSET
    organizer_unit: Annotated[str, Meta(max_length=100)] | UnsetType = UNSET
    waitlist: bool | UnsetType = UNSET
    max_party_size: int | UnsetType = UNSET
    family: bool | UnsetType = UNSET
    ask_company: bool | UnsetType = UNSET
    registration_opens_at: datetime | UnsetType | None = UNSET
    registration_closes_at: datetime | UnsetType | None = UNSET
    status: Literal["published", "draft", "cancelled"] | UnsetType = UNSET


class DuplicateIn(Struct):
    days: int = 7


class EventOut(Struct):
    id: int
    title: str
    kind: str
    series: str
    description: str
    starts_at: str
    ends_at: str
    venue: str
    address: str
    street: str
    organizer_unit: str
    capacity: int
    confirmed: int
    waitlisted: int
    seats_left: int
    waitlist: bool
    max_party_size: int
    family: bool
    ask_company: bool
    registration_opens_at: str | None
    registration_closes_at: str | None
    status: str
    url: str = ""


class EventList(Struct):
    items: list[EventOut]


def given_fields(struct: Struct) -> dict:
    """The fields a PATCH body actually carried."""
    return {
        name: value
        for name in struct.__struct_fields__
        if (value := getattr(struct, name)) is not UNSET
    }


def to_builtins(struct: Struct) -> dict:
    return msgspec.structs.asdict(struct)
