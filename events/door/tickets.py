"""Signed tickets: one Ed25519 key pair per event; the QR carries `<base>/c/<payload>`.

payload = base64url(version ‖ event id ‖ registration id ‖ signature), 73 bytes → 98 characters.
A scanner holding only the event's public key can tell a genuine ticket from a forged or
altered one without the network; cancelled tickets are revoked by id (the revocation list).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from events.core.settings import get_settings
from events.core.timeutil import now
from events.core.validation import MAX_ID
from events.tables import EventKey

VERSION = 1
_BODY = struct.Struct(">BII")  # version, event id, registration id
SIGNATURE_SIZE = 64
PAYLOAD_SIZE = _BODY.size + SIGNATURE_SIZE
MAX_TEXT = 512

_keys: dict[int, tuple[Ed25519PrivateKey, bytes]] = {}
_public: dict[int, Ed25519PublicKey] = {}


class InvalidTicket(Exception):
    """Not a ticket of this system, or altered."""


def _fernet() -> Fernet:
    secret = get_settings().secret_key.encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"canal-events ticket keys")
    return Fernet(base64.urlsafe_b64encode(key.derive(secret)))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def signing_key(event_id: int) -> tuple[Ed25519PrivateKey, bytes]:
    """The event's private key and raw public key, made on first use."""
    if event_id in _keys:
        return _keys[event_id]
    row = await EventKey.select().where(EventKey.event == event_id).first()
    if row is None:
        private = Ed25519PrivateKey.generate()
        public = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        raw = private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        await EventKey.raw(
            "INSERT INTO event_key (event, public_key, private_key_encrypted, created_at)"
            " VALUES ({}, {}, {}, {}) ON CONFLICT (event) DO NOTHING",
            event_id,
            public,
            _fernet().encrypt(raw).decode(),
            now(),
        )
        row = await EventKey.select().where(EventKey.event == event_id).first()
    private = Ed25519PrivateKey.from_private_bytes(
        _fernet().decrypt(row["private_key_encrypted"].encode())
    )
    _keys[event_id] = (private, bytes(row["public_key"]))
    return _keys[event_id]


async def public_key(event_id: int) -> bytes:
    return (await signing_key(event_id))[1]


async def sign(event_id: int, registration_id: int) -> str:
    private, _public_bytes = await signing_key(event_id)
    body = _BODY.pack(VERSION, event_id, registration_id)
    return _b64(body + private.sign(body))


def qr_text(base_url: str, payload: str) -> str:
    return f"{base_url.rstrip('/')}/c/{payload}"


def parse(text: str) -> tuple[int, int, bytes, bytes]:
    """(event id, registration id, signed body, signature) of a QR text or bare payload."""
    if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
        raise InvalidTicket("empty or too long")
    payload = text.strip().rsplit("/c/", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    if not payload or len(payload) > 120:
        raise InvalidTicket("no payload")
    try:
        data = _unb64(payload)
    except (binascii.Error, ValueError) as error:
        raise InvalidTicket("not base64") from error
    if len(data) != PAYLOAD_SIZE or _b64(data) != payload:
        raise InvalidTicket("wrong length or not canonical")
    version, event_id, registration_id = _BODY.unpack(data[: _BODY.size])
    if version != VERSION:
        raise InvalidTicket("unknown version")
    if not (1 <= event_id <= MAX_ID and 1 <= registration_id <= MAX_ID):
        raise InvalidTicket("id out of range")
    return event_id, registration_id, data[: _BODY.size], data[_BODY.size :]


async def verify(text: str) -> tuple[int, int]:
    """(event id, registration id) of a genuine ticket; `InvalidTicket` otherwise."""
    event_id, registration_id, body, signature = parse(text)
    key = _public.get(event_id)
    if key is None:
        row = await EventKey.select(EventKey.public_key).where(EventKey.event == event_id).first()
        if row is None:
            raise InvalidTicket("unknown event")
        key = _public[event_id] = Ed25519PublicKey.from_public_bytes(bytes(row["public_key"]))
    try:
        key.verify(signature, body)
    except InvalidSignature as error:
        raise InvalidTicket("bad signature") from error
    return event_id, registration_id


# The manual check-in code printed under the QR, for staff to type when a phone cannot be
# scanned: the registration id and five characters of an HMAC of it, e.g. `1234-K7MXQ`
# (no 0/O, 1/I/L). Only the server, holding the secret, can check one.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_MAC = 5
_CODE = re.compile(r"^\s*(\d{1,10})\s*[-\s]?\s*([0-9A-Za-z]{" + str(CODE_MAC) + r"})\s*$")


def _code_mac(registration_id: int) -> str:
    secret = get_settings().secret_key.encode()
    key = hashlib.sha256(b"canal-events check-in code\0" + secret).digest()
    digest = hmac.new(key, str(registration_id).encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(CODE_MAC):
        number, index = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return "".join(chars)


def manual_code(registration_id: int) -> str:
    return f"{registration_id}-{_code_mac(registration_id)}"


def parse_manual_code(text: str) -> int:
    """The registration id of a genuine manual code; `InvalidTicket` otherwise."""
    if not isinstance(text, str) or len(text) > 40:
        raise InvalidTicket("not a code")
    match = _CODE.match(text)
    if match is None:
        raise InvalidTicket("not a code")
    registration_id = int(match.group(1))
    if not 1 <= registration_id <= MAX_ID:
        raise InvalidTicket("id out of range")
    typed = match.group(2).upper()
    if not hmac.compare_digest(typed, _code_mac(registration_id)):
        raise InvalidTicket("bad code")
    return registration_id


def forget_keys() -> None:
    """Drop cached keys (tests that switch databases)."""
    _keys.clear()
    _public.clear()
