"""One guard per role: 401 without a signed-in user, 403 for a role that may not."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from events.core.i18n import gettext as _


def _role_guard(*roles: str):
    def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        user = connection.user
        if not user:
            if connection.scope.get("auth") == "bad_token":
                raise NotAuthorizedException(detail=_("令牌无效或已注销"))
            raise NotAuthorizedException(detail=_("请先登录"))
        if user["role"] not in roles:
            raise PermissionDeniedException(detail=_("您的账号没有此权限"))

    guard.__name__ = f"requires_{'_or_'.join(roles)}"
    return guard


admin_only = _role_guard("admin")
organizer_or_admin = _role_guard("organizer", "admin")
door_staff = _role_guard("staff", "organizer", "admin")
judge_or_admin = _role_guard("judge", "admin")
judge_only = _role_guard("judge")  # scoring: the contract refuses every other role
any_staff = _role_guard("admin", "organizer", "staff", "judge")
