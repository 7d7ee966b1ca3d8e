"""Per-request context: language and the signed-in staff user, set before routing.

Bearer tokens authenticate `/api/` calls; the session cookie authenticates pages. A request
with neither (most public traffic) costs no database query here.
"""

from __future__ import annotations

from litestar._parsers import parse_cookie_string
from litestar.exceptions import NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from events.accounts import accounts
from events.core.i18n import LOCALES, current_locale
from events.core.validation import MAX_ID

SESSION_COOKIE = "ce_session"
LANG_COOKIE = "lang"


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


def _unroutable(path: str) -> bool:
    """A path no page or file can have: a NUL (the file system refuses it), or a number where
    an id goes that is no id of ours — too large for the database column, written in other
    digits (`１２３`) or with spaces around it. Checked here once rather than per route."""
    if "\x00" in path and not path.startswith("/c/"):  # /c/ says "无效票" to any garbage
        return True
    for segment in path.split("/"):
        if segment.isdigit():
            if not segment.isascii() or len(segment) > 10 or int(segment) > MAX_ID:
                return True
        elif segment != segment.strip() and segment.strip().isdigit():
            return True
    return False


class RequestContextMiddleware(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        cookie_header = _header(scope, b"cookie")
        cookies = parse_cookie_string(cookie_header) if cookie_header else {}
        locale = cookies.get(LANG_COOKIE, "")
        current_locale.set(locale if locale in LOCALES else "zh_CN")
        user = None
        auth = None
        path: str = scope.get("path", "")
        if _unroutable(path):
            raise NotFoundException()
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
