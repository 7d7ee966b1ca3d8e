"""Admin user management: list and create accounts, edit one, revoke its API tokens.

`events.accounts.accounts` validates and writes the audit log; these handlers only parse and render.
"""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.accounts import accounts
from events.core.errors import Invalid, UserExists
from events.core.i18n import gettext as _
from web.guards import admin_only
from web.pages import forms
from web.pages.manage import FormData, page, see_other


async def list_page(
    request: Request,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    return page(
        request,
        "users.html",
        status_code=status_code,
        users=await accounts.list_users(),
        role_options=[(role, _(text)) for role, text in accounts.ROLES.items()],
        role_label=forms.role_label,
        form=values or {"role": "organizer"},
        errors=errors or {},
        min_password=accounts.MIN_PASSWORD,
    )


async def edit_page(
    request: Request,
    user_id: int,
    values: dict | None = None,
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    status_code: int = 200,
) -> Template:
    account = await accounts.get_user(user_id)
    if values is None:
        values = {
            "role": account["role"],
            "display_name": account["display_name"],
            "active": account["active"],
        }
    return page(
        request,
        "user_form.html",
        status_code=status_code,
        account=account,
        role_options=[(role, _(text)) for role, text in accounts.ROLES.items()],
        role_label=forms.role_label,
        form=values,
        errors=errors or {},
        form_error=form_error,
        tokens=await accounts.tokens_of(user_id),
        is_self=account["id"] == request.user["id"],
        min_password=accounts.MIN_PASSWORD,
    )


class UsersController(Controller):
    path = "/manage/users"
    guards = [admin_only]
    include_in_schema = False

    @get("/", name="manage_users")
    async def users(self, request: Request) -> Template:
        return await list_page(request)

    @post("/", name="manage_user_create")
    async def create_user(self, request: Request, data: FormData) -> Template | Redirect:
        values = forms.user_create_values(data)
        try:
            user = await accounts.create_user(
                values["username"],
                values["role"],
                values["password"],
                display_name=values["display_name"],
                actor=request.user,
            )
        except Invalid as error:
            values["password"] = ""
            fields = error.fields or {"username": error.detail}
            return await list_page(request, values, fields, status_code=422)
        except UserExists as error:
            values["password"] = ""
            return await list_page(request, values, {"username": error.detail}, status_code=409)
        return see_other(f"/manage/users/{user['id']}", "user_created")

    @get("/{user_id:int}", name="manage_user")
    async def user_detail(self, request: Request, user_id: FromPath[int]) -> Template:
        return await edit_page(request, user_id)

    @post("/{user_id:int}", name="manage_user_save")
    async def save_user(
        self, request: Request, user_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        values = forms.user_edit_values(data)
        try:
            await accounts.update_user(user_id, request.user, **values)
        except Invalid as error:
            shown = {**values, "password": ""}
            fields = error.fields or {}
            return await edit_page(
                request,
                user_id,
                shown,
                errors=fields,
                form_error=error.detail if not fields else None,
                status_code=422,
            )
        return see_other(f"/manage/users/{user_id}", "user_saved")

    @post("/{user_id:int}/tokens/{token_id:int}/revoke", name="manage_token_revoke")
    async def revoke_token(
        self, request: Request, user_id: FromPath[int], token_id: FromPath[int]
    ) -> Redirect:
        tokens = {token["id"]: token for token in await accounts.tokens_of(user_id)}
        if token_id not in tokens:
            raise NotFoundException(detail=_("没有这个令牌"))
        if tokens[token_id]["revoked_at"] is None:
            await accounts.revoke_token_by_id(token_id, request.user)
        return see_other(f"/manage/users/{user_id}", "token_revoked")
