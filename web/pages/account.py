"""Staff sign-in and sign-out pages (session cookie; CSRF on every form)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template

from events.accounts import accounts
from events.core.errors import BadCredentials, RateLimited
from web.context import SESSION_COOKIE
from web.logins import login_user

LANDING = "/manage/"
# Where each role starts after signing in: organizers on the statistics dashboard, door staff
# on the scanner's list of today's events, judges on their contests.
HOME = {
    "organizer": "/manage/stats",
    "admin": "/manage/stats",
    "staff": "/checkin",
    "judge": "/judge",
}


def safe_next(target: str | None, role: str | None = None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return HOME.get(role or "", LANDING)


class AccountController(Controller):
    include_in_schema = False

    @get("/login", name="login")
    async def login_form(
        self, request: Request, next_url: Annotated[str | None, QueryParameter(name="next")] = None
    ) -> Template | Redirect:
        if request.user:
            return Redirect(path=safe_next(next_url, request.user["role"]))
        wanted = next_url if next_url and safe_next(next_url) == next_url else ""
        return Template(
            "login.html",
            context={"user": None, "next": wanted, "error": None, "username": ""},
        )

    @post("/login", name="login_submit")
    async def login_submit(
        self,
        request: Request,
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        username = (data.get("username") or "").strip()[:64]
        password = (data.get("password") or "")[:256]
        wanted = data.get("next") or ""
        try:
            user = await login_user(request, username, password)
        except (BadCredentials, RateLimited) as error:
            kept = wanted if safe_next(wanted) == wanted else ""
            return Template(
                "login.html",
                context={"user": None, "next": kept, "error": error.detail, "username": username},
                status_code=429 if isinstance(error, RateLimited) else 401,
            )
        raw = await accounts.start_session(user)
        response = Redirect(path=safe_next(wanted, user["role"]))
        response.set_cookie(
            SESSION_COOKIE,
            raw,
            max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response

    @post("/logout", name="logout")
    async def logout(self, request: Request) -> Redirect:
        raw = request.cookies.get(SESSION_COOKIE)
        if raw:
            await accounts.end_session(raw)
        response = Redirect(path="/")
        response.delete_cookie(SESSION_COOKIE)
        return response
