"""Every error, mapped in one place: JSON {"code","detail"} for the API, a page otherwise."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    SerializationException,
    ValidationException,
)
from litestar.response import Redirect, Template

from events.core import errors as domain
from events.core.i18n import N_
from events.core.i18n import gettext as _

log = logging.getLogger("canal.errors")

DOMAIN_STATUS = {
    domain.NotFound: 404,
    domain.Invalid: 422,
    domain.BadCredentials: 401,
    domain.Forbidden: 403,
    domain.RateLimited: 429,
    domain.Conflict: 409,
}
# Domain errors of other areas that name an HTTP meaning by their code alone.
CODE_STATUS = {"too_large": 413}
HTTP_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _validation_detail(exc: ValidationException) -> str:
    extra = exc.extra if isinstance(exc.extra, list) else []
    parts = []
    for item in extra[:5]:
        if isinstance(item, dict):
            key = item.get("key") or item.get("source") or ""
            parts.append(f"{key}: {item.get('message', '')}".strip(": "))
    return "; ".join(parts) or str(exc.detail)


def classify(exc: Exception) -> tuple[int, str, str, dict]:
    """(status, code, detail, extra) for any exception."""
    if isinstance(exc, domain.DomainError):
        status = next((s for cls, s in DOMAIN_STATUS.items() if isinstance(exc, cls)), None)
        status = status or CODE_STATUS.get(exc.code, 400)
        extra: dict = {}
        if isinstance(exc, domain.Invalid) and exc.fields:
            extra["fields"] = exc.fields
        if isinstance(exc, domain.RateLimited):
            extra["retry_after"] = exc.retry_after
        return status, exc.code, exc.detail, extra
    if isinstance(exc, ValidationException):
        return 422, "invalid", _validation_detail(exc), {}
    if isinstance(exc, SerializationException):
        return 422, "invalid", _("请求内容不是有效的 JSON"), {}
    if isinstance(exc, UnicodeDecodeError):  # a body (JSON or form) that is not UTF-8
        return 422, "invalid", _("请求内容不是有效的 UTF-8 文本"), {}
    if isinstance(exc, HTTPException):
        status = exc.status_code
        if status == 400:
            return 422, "invalid", str(exc.detail), {}
        if status == 403 and "csrf" in str(exc.detail).lower():
            return 403, "csrf_failed", _("页面已过期，请刷新后重试"), {}
        if status == 413:
            return 413, "too_large", _("请求内容过大"), {}
        code = HTTP_CODES.get(status, "error" if status < 500 else "unavailable")
        return status, code, str(exc.detail), {}
    log.exception("unhandled error", exc_info=exc)
    return 500, "internal", _("服务器内部错误"), {}


PAGE_MESSAGES = {
    401: N_("请先登录"),
    403: N_("您没有访问此页面的权限"),
    404: N_("页面不存在，或活动尚未发布"),
    405: N_("不支持这种请求方式"),
    409: N_("操作与当前状态冲突"),
    413: N_("提交的内容过大"),
    422: N_("提交的内容有误"),
    429: N_("操作太频繁了，请稍后再试"),
    500: N_("服务器出了点问题，请稍后再试"),
}


# Details written for people (ours, translated); a framework's own detail ("Not Found",
# "page: Expected `int` >= 1") is for API clients, and a page shows its title instead.
OWN_CODES = {"csrf_failed", "too_large"}
PAGE_DETAILS = {
    422: N_("链接或表单中有不正确的内容，请检查后重试"),
}


def _page_detail(exc: Exception, status: int, code: str, detail: str) -> str | None:
    if isinstance(exc, domain.DomainError | SerializationException | UnicodeDecodeError):
        return detail
    if code in OWN_CODES:
        return detail
    message = PAGE_DETAILS.get(status)
    return _(message) if message else None


def _is_api(request: Request) -> bool:
    path = request.scope.get("path", "")
    return path.startswith(("/api/", "/schema")) or path == "/healthz"


def exception_handler(request: Request, exc: Exception) -> Response:
    status, code, detail, extra = classify(exc)
    headers = {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    if _is_api(request):
        return Response(
            {"code": code, "detail": detail, **extra}, status_code=status, headers=headers
        )
    if status == 401 and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(path=f"/login?next={quote(target, safe='/')}")
    fallback = N_("出错了")
    title = _(PAGE_MESSAGES.get(status, fallback))
    return Template(
        template_name="error.html",
        context={
            "status": status,
            "title": title,
            "detail": _page_detail(exc, status, code, detail),
            "code": code,
        },
        status_code=status,
        headers=headers,
    )
