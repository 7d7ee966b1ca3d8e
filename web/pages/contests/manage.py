"""The organizer's contest pages: configuration, moderation, judges, results (and the
session twins of the entry exports and the certificates PDF).

Every change goes through the contests domain (`config.put_config`, `entries.reject` /
`restore`, `judging.assign`, `results.move` / `publish`), which validates, locks and audits;
these handlers parse the forms, render, and redirect back with a notice.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Stream, Template

from events.contests import certificates, config, entries, judging, moderation, progress, results
from events.contests.config import grade_name
from events.core import numbers, phones
from events.core.errors import Conflict, Invalid, NotFound
from events.core.i18n import N_
from events.core.i18n import gettext as _
from events.core.timeutil import now
from events.reporting import contest_exports
from web.caching import invalidate_public_pages
from web.downloads import spreadsheet
from web.guards import organizer_or_admin
from web.media import media_url
from web.pages import forms
from web.pages.manage import FormData
from web.requests import base_url
from web.templating import datetime_local

BLANK_ROWS = 3
GROUP_FIELDS = ("code", "name", "min_grade", "max_grade", "quota")
MAX_AWARDS = 8
# Disagreement worth a second look: the judges' z-scores for an entry (their severity taken
# out) further apart than this many standard deviations. The raw spread (max − min of the
# weighted 1–10 scores) is shown too, but a harsh and a lenient judge widen it on every entry.
SPREAD_ALERT = 1.5

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
STATUS_LABELS = {
    "submitted": N_("已提交"),
    "withdrawn": N_("已撤回"),
    "rejected": N_("未通过审核"),
    "selected": N_("入选"),
    "not_selected": N_("未入选"),
}
STATUS_BADGES = {
    "submitted": "soon",
    "withdrawn": "off",
    "rejected": "wait",
    "selected": "ok",
    "not_selected": "off",
}
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
DONE = {
    "saved": N_("比赛设置已保存。"),
    "rejected": N_("已标记为未通过审核，监护人会收到短信告知原因。"),
    "restored": N_("作品已恢复为已提交。"),
    "assigned": N_("评委已分配：每件已提交的作品都分到了评委，已给出的评分保留。"),
    "moved": N_("已调整，理由已记入操作日志。"),
    "published": N_("评选结果已发布，监护人会收到通知。"),
}


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    """A contest manage page (the organizer layout): user, path, and the notice of `?done=`."""
    done = request.query_params.get("done")
    context.setdefault("notice", _(DONE[done]) if done in DONE else None)
    return Template(
        template_name=f"contests/{template}",
        context={
            "user": request.user,
            "path": request.url.path,
            "status_labels": {key: _(label) for key, label in STATUS_LABELS.items()},
            "status_badges": STATUS_BADGES,
            **context,
        },
        status_code=status_code,
    )


def see_other(path: str, done: str | None = None, **query: Any) -> Redirect:
    query = {key: value for key, value in query.items() if value not in (None, "", 1)}
    if done:
        query["done"] = done
    return Redirect(path=f"{path}?{urlencode(query)}" if query else path, status_code=303)


async def _configured(event_id: int) -> tuple[dict, dict | None]:
    """(the contest's event, its stored configuration or None before it is set)."""
    event = await config.contest_event(event_id)
    try:
        return event, await config.load(event_id)
    except NotFound:
        return event, None


def _unset(request: Request, event: dict, section: str) -> Template:
    return page(request, "manage_unset.html", event=event, section=section)


def _thumb(key: str | None) -> str | None:
    return media_url(None, key, absolute=False)


# ---- the configuration form -------------------------------------------------------------


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


# ---- moderation ---------------------------------------------------------------------------


def _filters(values: dict[str, Any], groups: list[dict]) -> dict[str, Any]:
    group = values.get("group")
    status = values.get("status")
    code = str(values.get("code") or "").strip()[:16]
    number = numbers.whole(str(values.get("page") or "1"))
    return {
        "group": group if group in {g["code"] for g in groups} else None,
        "status": status if status in STATUS_LABELS else None,
        "code": code or None,
        "page": number if number is not None and 0 < number <= 10_000 else 1,
    }


def entries_url(event_id: int, filters: dict[str, Any], **change: Any) -> str:
    query = {key: value for key, value in {**filters, **change}.items() if value}
    if query.get("page") == 1:
        query.pop("page")
    path = f"/manage/events/{event_id}/entries"
    return f"{path}?{urlencode(query)}" if query else path


def moderation_row(row: dict) -> dict[str, Any]:
    return {
        "id": row["id"],
        "code": row["code"],
        "group": row["group_code"],
        "grade": grade_name(row["grade"]),
        "child_name": row["child_name"],
        "school": row["school"],
        "guardian_name": row["guardian_name"],
        "phone": phones.mask(row["guardian_phone"]),
        "title": row["title"],
        "statement": row["statement"],
        "status": row["status"],
        "reject_reason": row["reject_reason"],
        "submitted_at": row["submitted_at"],
        "thumbnail": _thumb(row["thumbnail_key"]),
        "image": _thumb(row["screen_key"] or row["image_key"]),
        "duplicate_of": row["duplicate_of"],
        "gallery_consent": row["gallery_consent"],
    }


# ---- results ------------------------------------------------------------------------------


def results_rows(computed: dict, entries_of: dict[int, dict]) -> list[dict[str, Any]]:
    """Per group: the ranking with each entry's title, thumbnail, move, and the judges'
    disagreement in z-scores (`z_spread`, `wide` when at least SPREAD_ALERT)."""
    groups = []
    for group in computed["groups"]:
        ranking = []
        for item in group["ranking"]:
            entry = entries_of.get(item["entry_id"], {})
            zs = [p["z"] for p in item["per_judge"] if p["z"] is not None]
            z_spread = max(zs) - min(zs) if len(zs) > 1 else None
            ranking.append(
                {
                    **item,
                    "title": entry.get("title", ""),
                    "status": entry.get("status", ""),
                    "award": entry.get("award"),
                    "thumbnail": _thumb(entry.get("thumbnail_key")),
                    "image": _thumb(entry.get("screen_key") or entry.get("image_key")),
                    "override": entry.get("override"),
                    "override_reason": entry.get("override_reason") or "",
                    "z_spread": z_spread,
                    "wide": z_spread is not None and z_spread >= SPREAD_ALERT,
                    "moved": item["selected"] != item["by_rule"],
                }
            )
        groups.append(
            {
                **group,
                "ranking": ranking,
                "unscored": [r for r in ranking if r["judges"] == 0],
                "moved_in": sum(1 for r in ranking if r["moved"] and r["selected"]),
                "moved_out": sum(1 for r in ranking if r["moved"] and not r["selected"]),
            }
        )
    return groups


class ContestManageController(Controller):
    path = "/manage/events/{event_id:int}"
    guards = [organizer_or_admin]
    include_in_schema = False

    # ---- configuration --------------------------------------------------------------------

    @get("/contest", name="manage_contest")
    async def contest(self, request: Request, event_id: FromPath[int]) -> Template:
        event, row = await _configured(event_id)
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
        event, row = await _configured(event_id)
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

    # ---- moderation -----------------------------------------------------------------------

    @get("/entries", name="manage_contest_entries")
    async def entries_list(
        self,
        request: Request,
        event_id: FromPath[int],
        group: Annotated[str | None, QueryParameter(max_length=16)] = None,
        status: Annotated[str | None, QueryParameter(max_length=16)] = None,
        code: Annotated[str | None, QueryParameter(max_length=40)] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        values = {"group": group, "status": status, "code": code, "page": str(page_number)}
        return await self._entries(request, event_id, values)

    async def _entries(
        self,
        request: Request,
        event_id: int,
        values: dict[str, Any],
        errors: dict[int, str] | None = None,
        form_error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        event, contest = await _configured(event_id)
        if contest is None:
            return _unset(request, event, "entries")
        filters = _filters(values, contest["groups"])
        found = await moderation.entries_page(
            event_id,
            group=filters["group"],
            status=filters["status"],
            code=filters["code"],
            page=filters["page"],
        )
        filters["page"] = found["page"]
        return page(
            request,
            "manage_entries.html",
            status_code=status_code,
            event=event,
            contest=contest,
            published=contest["published_at"] is not None,
            rows=[moderation_row(row) for row in found["rows"]],
            originals={key: moderation_row(row) for key, row in found["originals"].items()},
            total=found["total"],
            counts=found["counts"],
            group_counts=found["group_counts"],
            pages=found["pages"],
            filters=filters,
            groups=sorted(contest["groups"], key=lambda g: g["min_grade"]),
            group_names={g["code"]: g["name"] for g in contest["groups"]},
            entries_url=lambda **change: entries_url(event_id, filters, **change),
            errors=errors or {},
            form_error=form_error,
        )

    async def _moderate(
        self, request: Request, event_id: int, entry_id: int, data: dict, done: str, action
    ) -> Template | Redirect:
        await entries.in_event(event_id, entry_id)
        try:
            await action()
        except Invalid as error:
            message = (error.fields or {}).get("reason") or error.detail
            return await self._entries(
                request, event_id, data, errors={entry_id: message}, status_code=422
            )
        except Conflict as error:
            return await self._entries(
                request, event_id, data, form_error=error.detail, status_code=409
            )
        invalidate_public_pages()
        _event, contest = await _configured(event_id)
        filters = _filters(data, contest["groups"] if contest else [])
        return Redirect(path=entries_url(event_id, filters, done=done), status_code=303)

    @post("/entries/{entry_id:int}/reject", name="manage_contest_reject")
    async def reject(
        self, request: Request, event_id: FromPath[int], entry_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        async def action():
            await entries.reject(entry_id, data.get("reason") or "", request.user)

        return await self._moderate(request, event_id, entry_id, data, "rejected", action)

    @post("/entries/{entry_id:int}/restore", name="manage_contest_restore")
    async def restore(
        self, request: Request, event_id: FromPath[int], entry_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        async def action():
            await entries.restore(entry_id, request.user)

        return await self._moderate(request, event_id, entry_id, data, "restored", action)

    # ---- judges ---------------------------------------------------------------------------

    @get("/judging", name="manage_contest_judging")
    async def judging_page(self, request: Request, event_id: FromPath[int]) -> Template:
        return await self._judging(request, event_id)

    async def _judging(
        self,
        request: Request,
        event_id: int,
        chosen: list[str] | None = None,
        form_error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        event, contest = await _configured(event_id)
        if contest is None:
            return _unset(request, event, "judging")
        state = await progress.judge_progress(event_id)
        available = await progress.available_judges()
        if chosen is None:
            chosen = [j["username"] for j in state["judges"] if j["assigned"]]
        at = now()
        return page(
            request,
            "manage_judging.html",
            status_code=status_code,
            event=event,
            contest=contest,
            published=contest["published_at"] is not None,
            still_open=at < contest["submissions_close_at"],
            progress=state,
            available=available,
            chosen=set(chosen),
            form_error=form_error,
        )

    @post("/judging/assign", name="manage_contest_assign")
    async def assign(self, request: Request, event_id: FromPath[int]) -> Template | Redirect:
        form = await request.form()
        usernames = [str(name) for name in form.getall("judge")] if "judge" in form else []
        try:
            if not usernames:
                raise Invalid(_("请至少选择一位评委"), {"judges": _("请至少选择一位评委")})
            await judging.assign(event_id, usernames, request.user)
        except (Invalid, Conflict) as error:
            message = error.detail
            if isinstance(error, entries.Closed):
                contest = await config.load(event_id)
                message = _("作品征集还没有截止（{at} 截止），截止后才能分配评委。").format(
                    at=datetime_local(contest["submissions_close_at"]).replace("T", " ")
                )
            code = 422 if isinstance(error, Invalid) else 409
            return await self._judging(request, event_id, usernames, message, code)
        return see_other(f"/manage/events/{event_id}/judging", "assigned")

    # ---- results --------------------------------------------------------------------------

    @get("/results", name="manage_contest_results")
    async def results_page(
        self,
        request: Request,
        event_id: FromPath[int],
        group: Annotated[str | None, QueryParameter(max_length=16)] = None,
        move: Annotated[int | None, QueryParameter(ge=1, le=2_147_483_647)] = None,
    ) -> Template:
        return await self._results(request, event_id, group, move)

    async def _results(
        self,
        request: Request,
        event_id: int,
        group: str | None = None,
        move: int | None = None,
        errors: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
        form_error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        event, contest = await _configured(event_id)
        if contest is None:
            return _unset(request, event, "results")
        computed = await results.compute(event_id)
        ids = [r["entry_id"] for g in computed["groups"] for r in g["ranking"]]
        entries_of = await moderation.entries_by_id(event_id, ids)
        groups = results_rows(computed, entries_of)
        names = {g["code"]: g["name"] for g in contest["groups"]}
        shown = [g for g in groups if not group or g["group"] == group]
        mover = None
        if move is not None:
            mover = next((r for g in groups for r in g["ranking"] if r["entry_id"] == move), None)
        published = contest["published_at"] is not None
        return page(
            request,
            "manage_results.html",
            status_code=status_code,
            event=event,
            contest=contest,
            published=published,
            groups=shown,
            all_groups=groups,
            group=group if group in names else None,
            names=names,
            unscored=[r for g in groups for r in g["unscored"]],
            selected=sum(g["selected"] for g in groups),
            ranked=sum(g["entries"] for g in groups),
            scored=any(r["judges"] for g in groups for r in g["ranking"]),
            mover=mover,
            errors=errors or {},
            typed=typed or {},
            form_error=form_error,
            spread_alert=SPREAD_ALERT,
        )

    @post("/results/entries/{entry_id:int}/move", name="manage_contest_move")
    async def move(
        self, request: Request, event_id: FromPath[int], entry_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        await entries.in_event(event_id, entry_id)
        direction = data.get("direction") or ""
        group = data.get("group") or None
        try:
            if direction not in ("in", "out", "rule"):
                raise Invalid(_("请选择调入或调出"), {"direction": _("请选择调入或调出")})
            await results.move(
                entry_id,
                None if direction == "rule" else direction,
                data.get("reason") or "",
                request.user,
            )
        except Invalid as error:
            return await self._results(
                request,
                event_id,
                group,
                entry_id,
                errors=error.fields or {"reason": error.detail},
                typed={"direction": direction, "reason": data.get("reason") or ""},
                status_code=422,
            )
        except Conflict as error:
            return await self._results(
                request, event_id, group, form_error=error.detail, status_code=409
            )
        return see_other(f"/manage/events/{event_id}/results", "moved", group=group)

    @post("/results/publish", name="manage_contest_publish")
    async def publish(
        self, request: Request, event_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        if not forms.checked(data, "confirm"):
            return await self._results(
                request,
                event_id,
                errors={"confirm": _("请勾选确认后再发布评选结果")},
                status_code=422,
            )
        try:
            await results.publish(event_id, request.user)
        except Conflict as error:
            return await self._results(request, event_id, form_error=error.detail, status_code=409)
        invalidate_public_pages()
        return see_other(f"/manage/events/{event_id}/results", "published")

    # ---- downloads (the session twins of the API's) ---------------------------------------

    @get(
        ["/entries.xlsx", "/entries.csv"],
        name="manage_contest_entries_export",
        opt={"no_compress": True},
    )
    async def entries_export(self, request: Request, event_id: FromPath[int]) -> Stream:
        stem, columns, rows = await contest_exports.entry_export(event_id)
        kind = request.url.path.rsplit(".", 1)[1]
        return await spreadsheet(kind, stem, columns, rows, _("参赛作品"))

    @get("/certificates.pdf", name="manage_contest_certificates", media_type="application/pdf")
    async def certificates_pdf(self, request: Request, event_id: FromPath[int]) -> Response:
        pdf = await certificates.for_contest(event_id, base_url(request))
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="certificates-{event_id}.pdf"',
                "Cache-Control": "private, no-store",
            },
        )
