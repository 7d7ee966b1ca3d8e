"""POST /api/v1/auth/login → bearer token; logout revokes it."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody

from events.accounts import accounts
from events.core.i18n import gettext as _
from web.api.schemas import LoginIn, LoginOut, Me, Status
from web.guards import any_staff
from web.logins import login_user


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", operation_id="login", status_code=200)
    async def login(self, request: Request, data: JSONBody[LoginIn]) -> LoginOut:
        user = await login_user(request, data.username, data.password)
        token = await accounts.issue_token(user, label=request.headers.get("user-agent", "")[:100])
        return LoginOut(token=token, role=user["role"], username=user["username"])

    @post("/logout", operation_id="logout", status_code=200, guards=[any_staff])
    async def logout(self, request: Request) -> Status:
        _scheme, _sep, raw = request.headers.get("authorization", "").partition(" ")
        if not await accounts.revoke_token(raw.strip()):
            raise NotAuthorizedException(detail=_("令牌无效或已注销"))
        return Status(status="logged_out")

    @get("/me", operation_id="me", guards=[any_staff])
    async def me(self, request: Request) -> Me:
        user = request.user
        return Me(
            id=user["id"],
            username=user["username"],
            role=user["role"],
            display_name=user["display_name"],
        )
