"""Signing in with a username and password, shared by the API (a bearer token) and the login
page (a session cookie); each sets its own credential afterwards. The password check is the
domain's (`events.accounts.accounts.authenticate`); the per-address and per-name limits on
attempts are the web layer's (`web.ratelimit`)."""

from __future__ import annotations

from litestar import Request

from events.accounts import accounts
from events.core.errors import BadCredentials
from events.core.i18n import gettext as _
from web import ratelimit
from web.requests import client_ip


async def login_user(request: Request, username: str, password: str) -> dict:
    """The user, or BadCredentials (a failure counted) / RateLimited (too many failures)."""
    ip = client_ip(request)
    ratelimit.check_login(ip, username)
    user = await accounts.authenticate(username, password)
    if user is None:
        ratelimit.failed_login(ip, username)
        raise BadCredentials(_("用户名或密码不正确"))
    return user
