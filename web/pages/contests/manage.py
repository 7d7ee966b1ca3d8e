"""The organizer's contest pages: what they share (the layout and its notices, the
redirect back, the contest's configuration, the "not set up yet" page) and the base of their
controllers. The pages themselves are in `manage_config` (configuration), `manage_entries`
(moderation), `manage_judging` (judges) and `manage_results` (results, publication and the
session twins of the entry exports and the certificates PDF).

Every change goes through the contests domain (`config.put_config`, `moderation.reject` /
`restore`, `judging.assign`, `results.move` / `publish`), which validates, locks and audits;
these handlers parse the forms, render, and redirect back with a notice.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request
from litestar.response import Redirect, Template

from events.contests import config
from events.core.errors import NotFound
from events.core.i18n import N_
from events.core.i18n import gettext as _
from web.guards import organizer_or_admin
from web.media import media_url

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


async def configured(event_id: int) -> tuple[dict, dict | None]:
    """(the contest's event, its stored configuration or None before it is set)."""
    event = await config.contest_event(event_id)
    try:
        return event, await config.load(event_id)
    except NotFound:
        return event, None


def unset(request: Request, event: dict, section: str) -> Template:
    return page(request, "manage_unset.html", event=event, section=section)


def thumb(key: str | None) -> str | None:
    return media_url(None, key, absolute=False)


class ContestManagePages(Controller):
    """The base of the contest manage controllers: their path, guard, and no schema."""

    path = "/manage/events/{event_id:int}"
    guards = [organizer_or_admin]
    include_in_schema = False
