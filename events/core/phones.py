"""Mainland mobile numbers: validation, normalisation and masking."""

from __future__ import annotations

import re

from events.core.errors import Invalid
from events.core.i18n import gettext as _

MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalise(raw: object) -> str:
    """`138 0013 8000`, `+86 13800138000` → `13800138000`; anything else is `Invalid`."""
    if not isinstance(raw, str):
        raise Invalid(_("请填写手机号"), {"phone": _("请填写手机号")})
    text = _SEPARATORS.sub("", raw.strip())
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == 11 + len(prefix):
            text = text[len(prefix) :]
    if not MOBILE.match(text):
        message = _("请填写 11 位手机号（1 开头）")
        raise Invalid(message, {"phone": message})
    return text


def mask(phone: str | None) -> str:
    """`138****1234`; an anonymised registration has no phone."""
    if not phone:
        return "—"
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else "****"
