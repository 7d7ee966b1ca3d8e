"""Where messages go: e-mail (console log or SMTP) and SMS (console log or a provider).

Chosen from the settings (`events.core.settings`, read from the environment) by
`from_environment()`:

- `EVENTS_SMTP_URL` unset → e-mails are written to the log (`ConsoleBackend`); set to
  `smtp://user:pass@host:587?starttls=1` (or `smtps://…:465`, or `smtp://host:25`) → sent
  through that server (`SmtpBackend`), From `EVENTS_SMTP_FROM` (`noreply@canal-events.local`).
- `EVENTS_SMS_BACKEND` unset or `console` → SMS are written to the log (`ConsoleSms`); set to
  `package.module:ClassName` → that class, built with no arguments, sends them.

A provider (Aliyun SMS `SendSms`, Tencent Cloud `SendSms`) only sends templates approved in its
console, with a signature (签名) it adds itself: subclass `SmsBackend`, map our template codes
(the message kinds, worded in `events.notify.texts.sms_templates`) to the provider's template
ids, read its keys from the environment, and call its API in `send`. Raise `Rejected` for a
number or template the provider refuses for good, `Unavailable` when it cannot be reached.

Errors: `Unavailable` (the server is down: the sender stops this channel for this round),
`Rejected` (this message can never be delivered: no retry), anything else is retried.
"""

from __future__ import annotations

import importlib
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from events.core.settings import DEFAULT_SMTP_FROM, get_settings
from events.notify.texts import Email, sms_text

log = logging.getLogger("events.notify.messages")
DEFAULT_FROM = DEFAULT_SMTP_FROM
TRUE = {"1", "true", "yes", "on"}


class DeliveryError(Exception):
    pass


class Unavailable(DeliveryError):
    """The backend cannot be reached: every message of its channel would fail now."""


class Rejected(DeliveryError):
    """This message is refused for good (bad address, template not approved)."""


class EmailBackend(Protocol):
    async def send(self, to: str, email: Email) -> None: ...


def mask(recipient: str) -> str:
    """`138****0001`, `a***@example.com`: enough to recognise, not enough to collect."""
    if "@" in recipient:
        user, _, domain = recipient.partition("@")
        return f"{user[:1]}***@{domain}"
    return recipient[:3] + "****" + recipient[-4:] if len(recipient) > 7 else "****"


class ConsoleBackend:
    """E-mail to the log: the default, for development and for a site without a mail server."""

    async def send(self, to: str, email: Email) -> None:
        names = ", ".join(item.filename for item in email.attachments)
        log.info(
            "e-mail to %s: %s\n%s%s",
            mask(to),
            email.subject,
            email.body,
            f"[attachments: {names}]" if names else "",
        )


@dataclass(frozen=True)
class SmtpBackend:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # smtps://: TLS from the first byte
    start_tls: bool | None = None  # smtp://…?starttls=1 forces it; None: if the server offers
    sender: str = DEFAULT_FROM
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str, sender: str = DEFAULT_FROM) -> SmtpBackend:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("EVENTS_SMTP_URL must look like smtp://user:pass@host:port")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        starttls = query.get("starttls")
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=None if starttls is None else starttls.lower() in TRUE,
            sender=sender,
            timeout=float(query.get("timeout", 30)),
        )

    def build(self, to: str, email: Email) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = email.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(email.body, charset="utf-8")
        for item in email.attachments:
            maintype, _, subtype = item.content_type.partition("/")
            if maintype == "text":  # e.g. the .ics: UTF-8 text, so that clients read it right
                message.add_attachment(
                    item.data.decode("utf-8"), subtype=subtype, charset="utf-8",
                    filename=item.filename,
                )  # fmt: skip
            else:
                message.add_attachment(
                    item.data, maintype=maintype, subtype=subtype, filename=item.filename
                )
        return message

    async def send(self, to: str, email: Email) -> None:
        try:
            await aiosmtplib.send(
                self.build(to, email),
                hostname=self.hostname,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.use_tls,
                start_tls=self.start_tls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise Rejected(str(error)) from error
        except (
            OSError,  # refused, timed out, disconnected (aiosmtplib's errors included)
            aiosmtplib.SMTPAuthenticationError,
            aiosmtplib.SMTPSenderRefused,
            aiosmtplib.SMTPNotSupported,  # e.g. starttls=1 with a server that has none
        ) as error:
            raise Unavailable(f"{type(error).__name__}: {error}") from error
        except aiosmtplib.SMTPResponseException as error:
            if 500 <= error.code < 600:
                raise Rejected(f"{error.code} {error.message}") from error
            raise


class SmsBackend(ABC):
    """Sends one SMS template to one phone; see the module docstring for a provider."""

    @abstractmethod
    async def send(self, phone: str, template_code: str, params: dict[str, str]) -> None: ...


class ConsoleSms(SmsBackend):
    """SMS to the log: the default, for development and until a provider is configured."""

    async def send(self, phone: str, template_code: str, params: dict[str, str]) -> None:
        log.info("SMS to %s [%s]: %s", mask(phone), template_code, sms_text(template_code, params))


@dataclass(frozen=True)
class Backends:
    email: EmailBackend
    sms: SmsBackend


def sms_from_environment() -> SmsBackend:
    """The SMS backend EVENTS_SMS_BACKEND names (its form is checked by the settings)."""
    name = get_settings().sms_backend
    if name == "console":
        return ConsoleSms()
    module, _, attribute = name.partition(":")
    backend = getattr(importlib.import_module(module), attribute)()
    if not isinstance(backend, SmsBackend):
        raise TypeError(f"{name} is not an events.notify.backends.SmsBackend")
    return backend


def from_environment() -> Backends:
    settings = get_settings()
    url = settings.smtp_url
    email: EmailBackend = SmtpBackend.from_url(url, settings.smtp_from) if url else ConsoleBackend()
    return Backends(email=email, sms=sms_from_environment())
