"""The organizer's contest judges page: the judges' progress and assigning them."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.contests import config, entries, judging, progress
from events.core.errors import Conflict, Invalid
from events.core.i18n import gettext as _
from events.core.timeutil import now
from web.pages.contests.manage import ContestManagePages, configured, page, see_other, unset
from web.templating import datetime_local


class ContestJudgesController(ContestManagePages):
    """/manage/events/{id}/judging: the judges' progress and their assignment."""

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
        event, contest = await configured(event_id)
        if contest is None:
            return unset(request, event, "judging")
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
