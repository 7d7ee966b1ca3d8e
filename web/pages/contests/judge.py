"""The judge's pages, for a tablet or a phone: their contests, one entry at a time with a large
zoomable picture and a 1–10 control per criterion, "save and next", conflicts of interest.

Judges only (`judge_only`). Blind: everything shown comes from `judging.queue` (code, group,
title, statement, the picture) and the judge's own scores; nothing names the child, the
school or the guardian, and no other judge's scores are read. Every rule is the domain's
(`events.contests.judging`); these handlers parse the form, call it and render.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter, QueryParameter
from litestar.response import Redirect, Template

from events.contests import config, judge_view, judging
from events.contests.config import ResultsPublished
from events.core.errors import Conflict, Invalid
from events.core.i18n import N_
from events.core.i18n import gettext as _
from events.core.validation import MAX_ID
from events.scheduling import scheduling
from web.guards import judge_only
from web.media import media_url
from web.pages.register import PRIVATE

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Id = Annotated[int, Parameter(ge=1, le=MAX_ID)]
SCORES = range(judging.MIN_SCORE, judging.MAX_SCORE + 1)
FIELD = "s_"  # a criterion's radio group is named s_<criterion code>
# The pictures' URLs are known only to whom the app shows them: no Referer, nothing cached.
NOTICES = {
    "saved": N_("已保存上一件作品的评分。"),
    "conflict": N_("已申报回避：这件作品将改由另一位评委评审，您对它的评分（如有）已撤回。"),
    "conflict_alone": N_(
        "已申报回避：这件作品已从您的列表中移除。暂时没有其他评委可以接手，组织者会另行安排。"
    ),
}


def judge_page(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    notice = NOTICES.get(request.query_params.get("done") or "")
    context.setdefault("notice", _(notice) if notice else None)
    return Template(
        template_name=f"contests/{template}",
        context={"user": request.user, "path": request.url.path, **context},
        status_code=status_code,
        headers=PRIVATE,
    )


def criteria_view(criteria: list[dict]) -> list[dict]:
    """Each criterion with its weight as a share of the whole, e.g. `40%`."""
    total = sum(item["weight"] for item in criteria) or 1
    out = []
    for item in criteria:
        share = 100 * item["weight"] / total
        text = f"{share:.0f}%" if abs(share - round(share)) < 0.05 else f"{share:.1f}%"
        out.append({**item, "share": text})
    return out


def read_scores(data: dict[str, str], criteria: list[dict]) -> dict[str, Any]:
    """The form's radios as `judging.score` takes them: a whole number where one was sent, else
    what was sent (the domain says what is wrong with it), missing ones left out."""
    scores: dict[str, Any] = {}
    for item in criteria:
        value = (data.get(FIELD + item["code"]) or "").strip()
        if not value:
            continue
        # Two ASCII digits at most: "５" or 9 × 5000 stay text (never a huge int) and the
        # domain refuses them next to the criterion like any other bad score.
        whole = value.isascii() and value.isdigit() and len(value) <= 2
        scores[item["code"]] = int(value) if whole else value
    return scores


async def _contest(event_id: int) -> tuple[dict, dict]:
    event = await scheduling.get_event(event_id)
    contest = await config.load(event_id)
    return event, contest


def _entry(request: Request, item: dict, groups: dict[str, str]) -> dict[str, Any]:
    """What the page shows of an entry: no more than the blind queue holds."""
    return {
        "id": item["entry"],
        "code": item["code"],
        "group": groups.get(item["group"], item["group"]),
        "title": item["title"],
        "statement": item["statement"],
        "scores": item["scores"],
        "screen": media_url(request, item["screen_key"] or item["image_key"], absolute=False),
        "full": media_url(request, item["image_key"] or item["screen_key"], absolute=False),
        "thumbnail": media_url(
            request, item["thumbnail_key"] or item["screen_key"], absolute=False
        ),
    }


class JudgePagesController(Controller):
    path = "/judge"
    guards = [judge_only]
    include_in_schema = False

    @get("/", name="judge_home")
    async def home(self, request: Request) -> Template:
        rows = await judge_view.contests_for(request.user)
        return judge_page(request, "judge_home.html", contests=rows)

    @get("/{event_id:int}", name="judge_entry")
    async def entry(
        self,
        request: Request,
        event_id: Id,
        entry: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
    ) -> Template | Redirect:
        event, contest = await _contest(event_id)
        items = await judging.queue(request.user, event_id)
        if entry is None:
            entry = judge_view.next_unscored(items)
            if entry is None:
                return await self._list(request, event, contest, items, done=bool(items))
        return self._entry_page(request, event, contest, items, entry)

    @get("/{event_id:int}/all", name="judge_list")
    async def all_entries(self, request: Request, event_id: Id) -> Template:
        event, contest = await _contest(event_id)
        items = await judging.queue(request.user, event_id)
        done = bool(items) and judge_view.next_unscored(items) is None
        return await self._list(request, event, contest, items, done=done)

    async def _list(
        self, request: Request, event: dict, contest: dict, items: list[dict], done: bool
    ) -> Template:
        groups = {g["code"]: g["name"] for g in contest["groups"]}
        scored = sum(1 for item in items if item["scores"] is not None)
        return judge_page(
            request,
            "judge_list.html",
            event=event,
            criteria=criteria_view(contest["criteria"]),
            entries=[_entry(request, item, groups) for item in items],
            scored=scored,
            assigned=len(items),
            done=done,
            locked=contest["published_at"] is not None,
        )

    def _entry_page(
        self,
        request: Request,
        event: dict,
        contest: dict,
        items: list[dict],
        entry_id: int,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        refusal: str | None = None,
        status_code: int = 200,
    ) -> Template:
        where = judge_view.position(items, entry_id)
        if where is None:
            raise judging.NotAssigned(_("这件作品没有分配给您"))
        groups = {g["code"]: g["name"] for g in contest["groups"]}
        item = where["item"]
        criteria = criteria_view(contest["criteria"])
        if values is None:
            values = dict(item["scores"] or {})
        errors = errors or {}
        codes = {c["code"] for c in criteria}
        scored = sum(1 for row in items if row["scores"] is not None)
        return judge_page(
            request,
            "judge_entry.html",
            status_code=status_code,
            event=event,
            entry=_entry(request, item, groups),
            criteria=criteria,
            values={k: str(v) for k, v in values.items()},
            errors=errors,
            form_error=next((v for k, v in errors.items() if k not in codes), None),
            refusal=refusal,
            scale=SCORES,
            field=FIELD,
            number=where["number"],
            previous=where["previous"],
            next=where["next"],
            next_unscored=judge_view.next_unscored(items, entry_id),
            scored=scored,
            assigned=len(items),
            locked=contest["published_at"] is not None,
        )

    @post("/{event_id:int}/entries/{entry_id:int}", name="judge_score")
    async def score(
        self, request: Request, event_id: Id, entry_id: Id, data: FormData
    ) -> Template | Redirect:
        event, contest = await _contest(event_id)
        items = await judging.queue(request.user, event_id)
        if judge_view.position(items, entry_id) is None:
            raise judging.NotAssigned(_("这件作品没有分配给您"))
        values = read_scores(data, contest["criteria"])
        try:
            await judging.score(entry_id, request.user, values)
        except Invalid as error:
            return self._entry_page(
                request, event, contest, items, entry_id, values, error.fields, status_code=422
            )
        except Conflict as error:  # results published, or the entry left the contest
            contest = await config.load(event_id)
            return self._entry_page(
                request,
                event,
                contest,
                items,
                entry_id,
                values,
                refusal=error.detail,
                status_code=409,
            )
        items = await judging.queue(request.user, event_id)
        following = judge_view.next_unscored(items, entry_id)
        if following is None:
            return Redirect(f"/judge/{event_id}/all?done=saved", status_code=303)
        return Redirect(f"/judge/{event_id}?entry={following}&done=saved", status_code=303)

    @post("/{event_id:int}/entries/{entry_id:int}/conflict", name="judge_conflict")
    async def conflict(
        self, request: Request, event_id: Id, entry_id: Id, data: FormData
    ) -> Template | Redirect:
        event, contest = await _contest(event_id)
        items = await judging.queue(request.user, event_id)
        if judge_view.position(items, entry_id) is None:
            raise judging.NotAssigned(_("这件作品没有分配给您"))
        try:
            chosen = await judging.declare_conflict(
                entry_id, request.user, (data.get("reason") or "")[:200]
            )
        except ResultsPublished as error:
            contest = await config.load(event_id)
            return self._entry_page(
                request, event, contest, items, entry_id, refusal=error.detail, status_code=409
            )
        done = "conflict" if chosen is not None else "conflict_alone"
        items = await judging.queue(request.user, event_id)
        following = judge_view.next_unscored(items, entry_id)
        if following is None:
            return Redirect(f"/judge/{event_id}/all?done={done}", status_code=303)
        return Redirect(f"/judge/{event_id}?entry={following}&done={done}", status_code=303)
