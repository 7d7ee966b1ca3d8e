"""Domain errors. The web layer maps each `code` to an HTTP status in one place."""

from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, detail: str, **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    code = "not_found"


class Invalid(DomainError):
    """Input that fails validation; `fields` maps a field name to its message."""

    code = "invalid"

    def __init__(self, detail: str, fields: dict[str, str] | None = None):
        super().__init__(detail)
        self.fields = fields or {}


class Forbidden(DomainError):
    """The caller is known but may not do this to this object (HTTP 403)."""

    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


class CapacityBelowConfirmed(Conflict):
    code = "capacity_below_confirmed"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class UserExists(Conflict):
    code = "user_exists"


class BadCredentials(DomainError):
    code = "bad_credentials"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, detail: str, retry_after: int = 60):
        super().__init__(detail)
        self.retry_after = retry_after
