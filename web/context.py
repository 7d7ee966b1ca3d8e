"""Per-request context: language and the signed-in staff user, set before routing.

Bearer tokens authenticate `/api/` calls; the session cookie authenticates pages. A request
with neither (most public traffic) costs no database query here.
"""

from __future__ import annotations

from litestar._parsers import parse_cookie_string
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from events import accounts
from events.i18n import LOCALES, current_locale

SESSION_COOKIE = "ce_session"
LANG_COOKIE = "lang"


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


class RequestContextMiddleware(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        cookie_header = _header(scope, b"cookie")
        cookies = parse_cookie_string(cookie_header) if cookie_header else {}
        locale = cookies.get(LANG_COOKIE, "")
        current_locale.set(locale if locale in LOCALES else "zh_CN")
        user = None
        auth = None
        path: str = scope.get("path", "")
        authorization = _header(scope, b"authorization")
        if authorization:
            scheme, _, credentials = authorization.partition(" ")
            if scheme.lower() == "bearer":
                user = await accounts.user_for_token(credentials.strip())
                auth = "token" if user else "bad_token"
        elif not path.startswith("/api/") and cookies.get(SESSION_COOKIE):
            user = await accounts.user_for_session(cookies[SESSION_COOKIE])
            auth = "session" if user else None
        scope["user"] = user
        scope["auth"] = auth
        await next_app(scope, receive, send)
