"""Where uploaded files (contest photos) are kept: one small interface, two places.

`Storage` is four coroutines over keys such as `entries/12/ab12cd.jpg`. `LocalStorage` keeps
them in a folder (by default `media` in the data folder), each written whole or not at all (a
temporary file renamed into place); `S3Storage` keeps them in an S3-compatible object store
(AWS S3, MinIO, Aliyun OSS, Tencent COS...) through boto3. Both do their blocking work in a
worker thread, so the event loop never waits on a disk or the network. `storage()` is the one
the settings (EVENTS_STORAGE_URL and EVENTS_S3_*) configure.

A key is the application's own name for a file, never a user's: one that could leave the
folder or mean something else on a file system or in S3 (`..`, a leading `/`, a backslash, a
NUL or other control character, an empty segment) is a programming error (`ValueError`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from anyio import to_thread

from events.core.errors import NotFound
from events.core.i18n import gettext as _
from events.core.settings import get_settings

MAX_KEY_BYTES = 1024  # S3's limit for a key, prefix included


class StoredFileMissing(NotFound):
    """No file is stored under that key."""


@runtime_checkable
class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing what was there."""

    async def get(self, key: str) -> bytes:
        """The bytes stored under `key` (StoredFileMissing when there are none)."""

    async def delete(self, key: str) -> None:
        """Remove the file under `key`; nothing there is fine."""

    async def exists(self, key: str) -> bool:
        """Whether a file is stored under `key`."""


def check_key(key: str) -> str:
    """`key` if it is a relative path of plain segments (else ValueError)."""
    if not isinstance(key, str) or not key:
        raise ValueError("a storage key is a non-empty string")
    if (
        ".." in key
        or key.startswith("/")
        or "\\" in key
        or any(ord(character) < 32 or character == "\x7f" for character in key)
        or any(segment in ("", ".") for segment in key.split("/"))
        or len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES
    ):
        raise ValueError(f"not a storage key: {key!r}")
    return key


def _missing(key: str) -> StoredFileMissing:
    return StoredFileMissing(_("文件不存在"), key=key)


class LocalStorage:
    """Files in a folder: `folder/<key>`, each replaced atomically."""

    def __init__(self, folder: Path | str | None = None):
        self.folder = Path(folder) if folder is not None else get_settings().data_dir / "media"

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.folder)!r})"

    def path(self, key: str) -> Path:
        return self.folder / check_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await to_thread.run_sync(_write_atomically, self.path(key), bytes(data))

    async def get(self, key: str) -> bytes:
        path = self.path(key)
        try:
            return await to_thread.run_sync(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise _missing(key) from None

    async def delete(self, key: str) -> None:
        await to_thread.run_sync(_remove, self.path(key))

    async def exists(self, key: str) -> bool:
        return await to_thread.run_sync(self.path(key).is_file)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write a temporary file next to `path`, flush it to disk, rename it over `path`: a
    reader sees the old file or the new one, never a part of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".part"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
        path.unlink()


class S3Storage:
    """Objects in a bucket of an S3-compatible store, under an optional key prefix.

    One boto3 client per instance, made on first use (boto3's clients are thread-safe; making
    one is not, hence the lock); every call runs in a worker thread.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str = "us-east-1",
    ):
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self.region = region
        self._access_key, self._secret_key = access_key, secret_key
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Storage({self.bucket!r}, {self.prefix!r}, endpoint_url={self.endpoint_url!r})"

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def client(self) -> Any:
        """This instance's boto3 S3 client."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3  # imported here: a local-storage process never pays for it
                    from botocore.config import Config

                    self._client = boto3.session.Session().client(
                        "s3",
                        endpoint_url=self.endpoint_url,
                        aws_access_key_id=self._access_key,
                        aws_secret_access_key=self._secret_key,
                        region_name=self.region,
                        config=Config(
                            connect_timeout=5,
                            read_timeout=60,
                            retries={"max_attempts": 4, "mode": "standard"},
                            max_pool_connections=20,
                        ),
                    )
        return self._client

    async def _call(self, function, /, **arguments) -> Any:
        def call():
            return function(self.client(), Bucket=self.bucket, **arguments)

        return await to_thread.run_sync(call)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._call(_put, Key=self.object_key(key), Body=bytes(data), ContentType=content_type)

    async def get(self, key: str) -> bytes:
        try:
            return await self._call(_get, Key=self.object_key(key))
        except Exception as error:
            if _not_found(error):
                raise _missing(key) from None
            raise

    async def delete(self, key: str) -> None:
        await self._call(_delete, Key=self.object_key(key))  # S3 answers 204 for no object too

    async def exists(self, key: str) -> bool:
        try:
            await self._call(_head, Key=self.object_key(key))
        except Exception as error:
            if _not_found(error):
                return False
            raise
        return True


def _put(client, **arguments) -> None:
    client.put_object(**arguments)


def _get(client, **arguments) -> bytes:
    response = client.get_object(**arguments)
    with contextlib.closing(response["Body"]) as body:
        return body.read()


def _delete(client, **arguments) -> None:
    client.delete_object(**arguments)


def _head(client, **arguments) -> None:
    client.head_object(**arguments)


def _not_found(error: Exception) -> bool:
    """A botocore ClientError saying there is no such object (HEAD answers a bare 404)."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("NoSuchKey", "404", "NotFound")


@lru_cache(maxsize=1)
def storage() -> Storage:
    """The storage the settings configure, made once per process (`reset_storage` forgets it)."""
    settings = get_settings()
    if settings.storage_url is None:
        return LocalStorage(settings.data_dir / "media")
    parts = urlsplit(settings.storage_url)
    if parts.scheme == "file":
        return LocalStorage(Path(unquote(parts.path)))
    return S3Storage(
        parts.netloc,
        unquote(parts.path),
        endpoint_url=settings.s3_endpoint_url,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        region=settings.s3_region,
    )


def reset_storage() -> None:
    """Forget the configured storage (tests that change the settings call this)."""
    storage.cache_clear()
