"""The organizer's contest configuration page: the form (groups, criteria, awards, dates,
shares), read back from `config.put_config`'s errors row by row.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.contests import config
from events.contests.config import grade_name
from events.core import numbers
from events.core.errors import Conflict, Invalid
from events.core.i18n import N_
from events.core.i18n import gettext as _
from web.caching import invalidate_public_pages
from web.pages import forms
from web.pages.contests.manage import ContestManagePages, configured, page, see_other
from web.pages.manage import FormData
from web.templating import datetime_local

BLANK_ROWS = 3
GROUP_FIELDS = ("code", "name", "min_grade", "max_grade", "quota")
MAX_AWARDS = 8

DEFAULT_GROUPS = [
    {"code": "primary_low", "name": N_("小学低年级组"), "min_grade": 1, "max_grade": 3},
    {"code": "primary_high", "name": N_("小学高年级组"), "min_grade": 4, "max_grade": 6},
    {"code": "junior", "name": N_("初中组"), "min_grade": 7, "max_grade": 9},
    {"code": "senior", "name": N_("高中组"), "min_grade": 10, "max_grade": 12},
]
DEFAULT_CRITERIA = [
    {"code": "theme", "name": N_("主题立意"), "weight": 0.4},
    {"code": "art", "name": N_("艺术表现"), "weight": 0.4},
    {"code": "idea", "name": N_("创意"), "weight": 0.2},
]
FIELD_LABELS = {
    "submissions_open_at": N_("征集开始时间"),
    "submissions_close_at": N_("征集截止时间"),
    "groups": N_("组别"),
    "criteria": N_("评分标准"),
    "judges_per_entry": N_("每件作品的评委人数"),
    "selection_share": N_("入选比例"),
    "quotas": N_("各组入选名额"),
    "max_entries_per_child": N_("每位孩子可提交的作品数"),
    "gallery": N_("公开作品展"),
    "awards": N_("奖项"),
    "issuer": N_("颁发单位"),
    "retention_days": N_("资料保存天数"),
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _percent(share: Any) -> str:
    """0.2 → "20"; 0.125 → "12.5"."""
    try:
        value = (Decimal(str(share)) * 100).normalize()
    except InvalidOperation:
        return ""
    return f"{value:f}"


def config_form(row: dict | None, event: dict) -> dict[str, Any]:
    """What the form shows: the stored configuration, or the bureau's usual one."""
    if row is None:
        groups = [{**group, "name": _(group["name"]), "quota": ""} for group in DEFAULT_GROUPS]
        criteria = [{**item, "name": _(item["name"])} for item in DEFAULT_CRITERIA]
        values = {
            "submissions_open_at": "",
            "submissions_close_at": "",
            "judges_per_entry": "3",
            "selection_share": "20",
            "max_entries_per_child": "1",
            "gallery": True,
            "issuer": event.get("organizer_unit") or "",
            "retention_days": "365",
        }
        awards: list[dict] = []
    else:
        quotas = row["quotas"] or {}
        groups = [{**g, "quota": _text(quotas.get(g["code"]))} for g in row["groups"]]
        criteria = row["criteria"]
        values = {
            "submissions_open_at": datetime_local(row["submissions_open_at"]),
            "submissions_close_at": datetime_local(row["submissions_close_at"]),
            "judges_per_entry": _text(row["judges_per_entry"]),
            "selection_share": _percent(row["selection_share"]),
            "max_entries_per_child": _text(row["max_entries_per_child"]),
            "gallery": row["gallery"],
            "issuer": row["issuer"],
            "retention_days": _text(row["retention_days"]),
        }
        awards = [a for a in (row["awards"] or []) if "count" in a]
    return {
        **values,
        "groups": [
            {
                "code": g["code"],
                "name": g["name"],
                "min_grade": _text(g["min_grade"]),
                "max_grade": _text(g["max_grade"]),
                "quota": g.get("quota", ""),
            }
            for g in groups
        ]
        + _blank(GROUP_FIELDS, config.MAX_GROUPS - len(groups)),
        "criteria": [
            {"code": c["code"], "name": c["name"], "weight": _text(c["weight"])} for c in criteria
        ]
        + _blank(("code", "name", "weight"), config.MAX_CRITERIA - len(criteria)),
        "awards": [{"name": a["name"], "count": _text(a["count"])} for a in awards]
        + _blank(("name", "count"), MAX_AWARDS - len(awards), at_least=4 - len(awards)),
    }


def _blank(names: tuple[str, ...], room: int, at_least: int = BLANK_ROWS) -> list[dict]:
    return [dict.fromkeys(names, "") for _ in range(max(0, min(max(BLANK_ROWS, at_least), room)))]


def _rows(data: dict[str, str], prefix: str, names: tuple[str, ...], limit: int) -> list[dict]:
    count = numbers.whole(data.get(f"{prefix}_rows") or "") or 0
    return [
        {name: (data.get(f"{prefix}{index}_{name}") or "").strip() for name in names}
        for index in range(min(count, limit + BLANK_ROWS))
    ]


def submitted_form(data: dict[str, str]) -> dict[str, Any]:
    """The form as typed (to show it again with its errors)."""
    names = (
        "submissions_open_at",
        "submissions_close_at",
        "judges_per_entry",
        "selection_share",
        "max_entries_per_child",
        "issuer",
        "retention_days",
    )
    return {
        **{name: (data.get(name) or "").strip() for name in names},
        "gallery": forms.checked(data, "gallery"),
        "groups": _rows(data, "g", GROUP_FIELDS, config.MAX_GROUPS),
        "criteria": _rows(data, "c", ("code", "name", "weight"), config.MAX_CRITERIA),
        "awards": _rows(data, "a", ("name", "count"), MAX_AWARDS),
    }


def _share(text: str) -> Any:
    """ "20" (per cent) → 0.2; text that is no number goes to the domain as typed (its error)."""
    try:
        value = Decimal(text.replace("%", "").replace("％", "").strip())
    except InvalidOperation:
        return text
    if not value.is_finite():
        return text
    return float(value / 100)


def to_raw(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The raw configuration for `config.put_config`, and for each list the form row of each
    item (blank rows are left out), to put the domain's messages next to their rows."""
    origin: dict[str, list[int]] = {"groups": [], "criteria": [], "awards": []}
    groups, quotas = [], {}
    for index, row in enumerate(form["groups"]):
        if not any(row[name] for name in ("code", "name", "min_grade", "max_grade")):
            continue
        groups.append({name: row[name] for name in ("code", "name", "min_grade", "max_grade")})
        origin["groups"].append(index)
        if row["quota"]:
            quotas[row["code"]] = row["quota"]
    criteria = []
    for index, row in enumerate(form["criteria"]):
        if not any(row.values()):
            continue
        criteria.append(dict(row))
        origin["criteria"].append(index)
    awards = []
    for index, row in enumerate(form["awards"]):
        if not any(row.values()):
            continue
        awards.append(dict(row))
        origin["awards"].append(index)
    if awards and not awards[-1]["count"]:
        awards[-1]["count"] = "0"  # the last tier takes the rest: its count is not used
    raw = {
        "submissions_open_at": form["submissions_open_at"],
        "submissions_close_at": form["submissions_close_at"],
        "groups": groups,
        "criteria": criteria,
        "judges_per_entry": form["judges_per_entry"],
        "selection_share": _share(form["selection_share"]),
        "quotas": quotas or None,
        "max_entries_per_child": form["max_entries_per_child"],
        "gallery": form["gallery"],
        "issuer": form["issuer"],
        "retention_days": form["retention_days"],
        "awards": awards,
    }
    return raw, origin


ROW_PREFIX = {"groups": "g", "criteria": "c", "awards": "a"}


def form_errors(fields: dict[str, str], origin: dict[str, list[int]]) -> dict[str, str]:
    """The domain's field keys ("groups.1") as the form's ("g2": its row in the form)."""
    out: dict[str, str] = {}
    for key, message in fields.items():
        name, _dot, index = key.partition(".")
        if name in ROW_PREFIX and index.isdigit():
            rows = origin.get(name, [])
            position = int(index)
            row = rows[position] if position < len(rows) else position
            out[f"{ROW_PREFIX[name]}{row}"] = message
        else:
            out[key] = message
    return out


def error_summary(errors: dict[str, str]) -> list[tuple[str, str, str]]:
    """(anchor, label, message) of each error, for the list at the top of the form."""
    out = []
    row_labels = {"g": N_("组别第 {n} 行"), "c": N_("评分标准第 {n} 行"), "a": N_("奖项第 {n} 行")}
    for key, message in errors.items():
        if key[:1] in row_labels and key[1:].isdigit():
            label = _(row_labels[key[:1]]).format(n=int(key[1:]) + 1)
            anchor = f"f-{key}-code" if key[:1] != "a" else f"f-{key}-name"
        elif key in FIELD_LABELS:
            label, anchor = _(FIELD_LABELS[key]), f"f-{key}"
        else:
            label, anchor = key, "contest-form"
        out.append((anchor, label, message))
    return out


class ContestConfigController(ContestManagePages):
    """/manage/events/{id}/contest: the configuration form and its save."""

    @get("/contest", name="manage_contest")
    async def contest(self, request: Request, event_id: FromPath[int]) -> Template:
        event, row = await configured(event_id)
        return self._contest_page(request, event, row, config_form(row, event), {})

    def _contest_page(
        self,
        request: Request,
        event: dict,
        row: dict | None,
        form: dict[str, Any],
        errors: dict[str, str],
        form_error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        return page(
            request,
            "manage_contest.html",
            status_code=status_code,
            event=event,
            contest=row,
            published=bool(row and row["published_at"]),
            form=form,
            errors=errors,
            summary=error_summary(errors),
            form_error=form_error,
            grades=[(str(grade), grade_name(grade)) for grade in range(1, 13)],
            labels={key: _(label) for key, label in FIELD_LABELS.items()},
        )

    @post("/contest", name="manage_contest_save")
    async def save_contest(
        self, request: Request, event_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        event, row = await configured(event_id)
        form = submitted_form(data)
        raw, origin = to_raw(form)
        try:
            await config.put_config(event_id, raw, request.user)
        except Invalid as error:
            errors = form_errors(error.fields or {"form": error.detail}, origin)
            return self._contest_page(request, event, row, form, errors, status_code=422)
        except Conflict as error:
            return self._contest_page(
                request, event, row, form, {}, form_error=error.detail, status_code=409
            )
        invalidate_public_pages()
        return see_other(f"/manage/events/{event_id}/contest", "saved")
