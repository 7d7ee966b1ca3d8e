"""A guardian's pages: the submission form, the entry page (status, photo, withdraw, result,
certificate), the privacy notice, and the public certificate check `/v/<code>`.

Entry pages are private by URL (the token is the only key), so they say no-store, noindex and
send no Referer, like tickets.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.contests import config, entries, privacy, results
from events.contests.config import grade_name
from events.contests.images import MAX_BYTES
from events.core.errors import Conflict, DomainError, Invalid, NotFound, RateLimited
from events.core.i18n import gettext as _
from events.scheduling import scheduling
from web import ratelimit
from web.bodies import PHOTO_BODY, read_upload
from web.caching import invalidate_public_pages
from web.media import media_url
from web.pages.register import PRIVATE  # private by URL, like a ticket
from web.requests import client_ip

FIELDS = (
    "child_name",
    "grade",
    "school",
    "guardian_name",
    "guardian_phone",
    "title",
    "statement",
    "consent",
    "gallery_consent",
)


def upload_strings() -> dict[str, str]:
    """The photo upload script's texts (assets/src/upload_rules.js) in the page's language."""
    return {
        "compressing": _("正在压缩照片…"),
        "uploading": _("正在上传 {percent}%"),
        "saving": _("上传完成，正在保存…"),
        "compressed": _("照片已压缩：{before} → {after}"),
        "original": _("这张照片无法在本机压缩，将上传原图"),
        "tooBig": _("照片超过 {mb} MB，请换一张"),
        "progressLabel": _("上传进度"),
        "network": _("网络出错，作品还没有提交。请检查网络后再点一次提交。"),
    }


def page(template: str, status_code: int = 200, **context: Any) -> Template:
    return Template(
        template_name=f"contests/{template}",
        context={"upload_strings": upload_strings(), **context},
        status_code=status_code,
        headers=PRIVATE,
    )


async def _contest(event_id: int) -> tuple[dict, dict]:
    event = await scheduling.get_event(event_id)
    if event["kind"] != "contest":
        raise NotFound(_("没有这个比赛"))
    return event, await config.load(event_id)


def grades(contest: dict) -> list[tuple[int, str, str]]:
    """(grade, its name, the group's name) for every grade some group takes."""
    out = []
    for grade in range(1, 13):
        group = config.group_for(contest["groups"], grade)
        if group:
            out.append((grade, grade_name(grade), group["name"]))
    return out


class EntryPagesController(Controller):
    tags = ["pages"]
    include_in_schema = False

    @get("/events/{event_id:int}/entry", name="entry_form")
    async def form(self, event_id: FromPath[int]) -> Template:
        event, contest = await _contest(event_id)
        return self._form(event, contest, {}, {})

    def _form(
        self,
        event: dict,
        contest: dict,
        form: dict,
        errors: dict,
        refusal: str | None = None,
        status_code: int = 200,
    ) -> Template:
        return page(
            "submit.html",
            status_code=status_code,
            event=event,
            contest=contest,
            state=config.window_state(contest),
            grades=grades(contest),
            notice=privacy.notice(contest["retention_days"], event.get("organizer_unit") or ""),
            notice_version=privacy.VERSION,
            form=form,
            errors=errors,
            refusal=refusal,
            max_bytes=MAX_BYTES,
        )

    @post("/events/{event_id:int}/entry", name="entry_submit", request_max_body_size=PHOTO_BODY)
    async def submit(self, request: Request, event_id: FromPath[int]) -> Template | Redirect:
        event, contest = await _contest(event_id)
        form = await request.form()
        fields = {name: form.get(name) for name in FIELDS}
        fields = {k: v if isinstance(v, str) else None for k, v in fields.items()}
        typed = {k: (v or "")[:600] for k, v in fields.items() if k not in ("consent",)}
        typed["consent"] = fields.get("consent") == "true"
        try:
            ratelimit.check_registration(
                client_ip(request), str(fields.get("guardian_phone") or "")
            )
            row = await entries.submit(
                event_id, fields, await read_upload(form.get("image"), MAX_BYTES)
            )
        except Invalid as error:
            errors = error.fields or {"form": error.detail}
            return self._form(event, contest, typed, errors, status_code=422)
        except (Conflict, RateLimited) as error:
            return self._form(event, contest, typed, {}, refusal=error.detail, status_code=409)
        except DomainError as error:  # too large
            errors = {"image": error.detail}
            return self._form(event, contest, typed, errors, status_code=413)
        ratelimit.registered(row["guardian_phone"])
        invalidate_public_pages()
        return Redirect(f"/e/{row['token']}?new=1", status_code=303)

    @get("/e/{token:str}", name="entry_page")
    async def entry_page(self, request: Request, token: FromPath[str]) -> Template:
        return await self._entry(request, token)

    async def _entry(
        self,
        request: Request,
        token: str,
        errors: dict | None = None,
        notice: str | None = None,
        status_code: int = 200,
    ) -> Template:
        entry = await entries.by_token(token)
        event, contest = await _contest(entry["event"])
        groups = {g["code"]: g["name"] for g in contest["groups"]}
        return page(
            "entry.html",
            status_code=status_code,
            entry=entry,
            event=event,
            contest=contest,
            group_name=groups.get(entry["group_code"], entry["group_code"]),
            state=config.window_state(contest),
            image_url=media_url(request, entry["screen_key"] or entry["image_key"], absolute=False),
            masked=results.mask_name(entry["child_name"]),
            fresh=request.query_params.get("new") == "1",
            errors=errors or {},
            notice=notice,
            max_bytes=MAX_BYTES,
        )

    @post("/e/{token:str}/withdraw", name="entry_withdraw")
    async def withdraw(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        try:
            await entries.withdraw(token)
        except Conflict as error:
            return await self._entry(request, token, notice=error.detail, status_code=409)
        invalidate_public_pages()
        return Redirect(f"/e/{token}", status_code=303)

    @post("/e/{token:str}/image", name="entry_image", request_max_body_size=PHOTO_BODY)
    async def replace(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        form = await request.form()
        try:
            await entries.replace_image(token, await read_upload(form.get("image"), MAX_BYTES))
        except Invalid as error:
            return await self._entry(
                request, token, errors={"image": error.detail}, status_code=422
            )
        except Conflict as error:
            return await self._entry(request, token, notice=error.detail, status_code=409)
        except DomainError as error:
            return await self._entry(
                request, token, errors={"image": error.detail}, status_code=413
            )
        return Redirect(f"/e/{token}", status_code=303)

    @post("/e/{token:str}/gallery", name="entry_gallery")
    async def gallery(self, request: Request, token: FromPath[str]) -> Redirect:
        form = await request.form()
        await entries.set_gallery_consent(token, form.get("gallery_consent") == "true")
        invalidate_public_pages()
        return Redirect(f"/e/{token}", status_code=303)

    @get("/contest-privacy/{event_id:int}", name="contest_privacy")
    async def privacy_page(self, event_id: FromPath[int]) -> Template:
        event, contest = await _contest(event_id)
        return Template(
            template_name="contests/privacy.html",
            context={
                "event": event,
                "notice": privacy.notice(
                    contest["retention_days"], event.get("organizer_unit") or ""
                ),
                "notice_version": privacy.VERSION,
            },
        )

    @get("/v/{code:str}", name="verify_certificate")
    async def verify(self, code: FromPath[str]) -> Template:
        found = await results.by_certificate(code)
        return Template(
            template_name="contests/verify.html",
            context={
                "code": code[:40],
                "found": found,
                "masked": results.mask_name(found["child_name"]) if found else "",
            },
            status_code=200 if found else 404,
            headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"},
        )
