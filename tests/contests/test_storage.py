"""One storage interface: the same tests against a local folder and a real S3-compatible server."""

from __future__ import annotations

import os
import threading

import anyio
import pytest

from events.contests import storage as storage_module
from events.contests.storage import (
    LocalStorage,
    S3Storage,
    Storage,
    StoredFileMissing,
    reset_storage,
    storage,
)
from events.core.errors import NotFound
from tests.contests.conftest import S3_KEYS, s3_client
from tests.settings_env import set_environment

PREFIX = "canal/contests"


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    endpoint = request.getfixturevalue("s3_server")
    bucket = request.getfixturevalue("s3_bucket")
    return S3Storage(bucket, PREFIX, endpoint_url=endpoint, **S3_KEYS)


def stored_where(store: Storage, key: str) -> bytes:
    """The bytes as the backend itself holds them (the file, the object under the prefix)."""
    if isinstance(store, LocalStorage):
        return (store.folder / key).read_bytes()
    response = s3_client(store.endpoint_url).get_object(Bucket=store.bucket, Key=f"{PREFIX}/{key}")
    return response["Body"].read()


# The same tests on both backends --------------------------------------------------------------


async def test_a_stored_file_comes_back_as_it_was_put(store):
    assert isinstance(store, Storage)
    await store.put("entries/12/ab12cd.jpg", b"\xff\xd8 a photo", "image/jpeg")
    assert await store.exists("entries/12/ab12cd.jpg")
    assert await store.get("entries/12/ab12cd.jpg") == b"\xff\xd8 a photo"
    assert stored_where(store, "entries/12/ab12cd.jpg") == b"\xff\xd8 a photo"


async def test_putting_again_replaces_the_file(store):
    await store.put("entries/1/a.jpg", b"first version, longer than the second", "image/jpeg")
    await store.put("entries/1/a.jpg", b"second", "image/jpeg")
    assert await store.get("entries/1/a.jpg") == b"second"


async def test_a_missing_key_is_not_found_and_deleting_it_is_fine(store):
    assert not await store.exists("entries/404/none.jpg")
    with pytest.raises(StoredFileMissing) as missing:
        await store.get("entries/404/none.jpg")
    assert isinstance(missing.value, NotFound) and missing.value.code == "not_found"
    await store.delete("entries/404/none.jpg")  # no error


async def test_a_deleted_file_is_gone(store):
    await store.put("entries/2/b.jpg", b"photo", "image/jpeg")
    await store.put("entries/2/b-thumb.jpg", b"thumb", "image/jpeg")
    await store.delete("entries/2/b.jpg")
    assert not await store.exists("entries/2/b.jpg")
    with pytest.raises(StoredFileMissing):
        await store.get("entries/2/b.jpg")
    assert await store.get("entries/2/b-thumb.jpg") == b"thumb"  # its neighbour stays
    await store.delete("entries/2/b.jpg")  # twice is fine


async def test_megabytes_of_binary_data_survive_the_round_trip(store):
    data = bytes(range(256)) * 16 + os.urandom(5 * 1024 * 1024) + b"\x00" * 1000
    await store.put("entries/3/big.png", data, "image/png")
    assert await store.get("entries/3/big.png") == data
    await store.put("entries/3/empty.bin", b"", "application/octet-stream")
    assert await store.get("entries/3/empty.bin") == b""
    assert await store.exists("entries/3/empty.bin")


async def test_a_key_may_hold_any_plain_name(store):
    for key in ("a", "entries/7/作品-1.jpg", "x/y/z/with space & more.jpg", "a.b/.c-d_e"):
        await store.put(key, key.encode(), "text/plain")
        assert await store.get(key) == key.encode()


BAD_KEYS = [
    "",
    "../outside.jpg",
    "entries/../../etc/passwd",
    "entries/..",
    "a..b.jpg",
    "/etc/passwd",
    "entries\\12\\a.jpg",
    "entries/12/a\x00.jpg",
    "entries/12/a\n.jpg",
    "entries//12.jpg",
    "entries/12/",
    "./entries/12.jpg",
    "x" * 1025,
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_a_key_that_could_escape_or_mislead_is_refused(store, key):
    with pytest.raises(ValueError):
        await store.put(key, b"x", "image/jpeg")
    with pytest.raises(ValueError):
        await store.get(key)
    with pytest.raises(ValueError):
        await store.delete(key)
    with pytest.raises(ValueError):
        await store.exists(key)


async def test_not_a_string_is_not_a_key(store):
    with pytest.raises(ValueError):
        await store.get(None)  # type: ignore[arg-type]


async def test_concurrent_writes_leave_one_whole_file(store):
    versions = [bytes([n]) * (256 * 1024) for n in range(8)]

    async with anyio.create_task_group() as group:
        for version in versions:
            group.start_soon(store.put, "entries/5/same.jpg", version, "image/jpeg")
        for n in range(8):
            group.start_soon(store.put, f"entries/5/other-{n}.jpg", versions[n], "image/jpeg")
    assert await store.get("entries/5/same.jpg") in versions
    for n in range(8):
        assert await store.get(f"entries/5/other-{n}.jpg") == versions[n]


# Local folder ---------------------------------------------------------------------------------


async def test_local_files_live_under_the_folder_and_no_temporary_file_is_left(tmp_path):
    local = LocalStorage(tmp_path / "media")
    await local.put("entries/9/p.jpg", b"photo", "image/jpeg")
    await local.put("entries/9/p.jpg", b"photo 2", "image/jpeg")
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["media/entries/9/p.jpg"]
    assert local.path("entries/9/p.jpg") == tmp_path / "media" / "entries" / "9" / "p.jpg"


async def test_a_failed_write_keeps_the_old_file_whole(tmp_path, monkeypatch):
    local = LocalStorage(tmp_path)
    await local.put("e/1.jpg", b"the old photo", "image/jpeg")

    def crash(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(storage_module.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        await local.put("e/1.jpg", b"the new photo", "image/jpeg")
    monkeypatch.undo()
    assert await local.get("e/1.jpg") == b"the old photo"
    assert [p.name for p in (tmp_path / "e").iterdir()] == ["1.jpg"]


async def test_local_file_work_runs_in_a_worker_thread(tmp_path, monkeypatch):
    threads = []
    write = storage_module._write_atomically

    def recording(path, data):
        threads.append(threading.current_thread())
        write(path, data)

    monkeypatch.setattr(storage_module, "_write_atomically", recording)
    await LocalStorage(tmp_path).put("a.jpg", b"x", "image/jpeg")
    assert threads and threads[0] is not threading.main_thread()


async def test_a_folder_is_not_a_file(tmp_path):
    local = LocalStorage(tmp_path)
    await local.put("entries/1/a.jpg", b"x", "image/jpeg")
    assert not await local.exists("entries/1")
    with pytest.raises(StoredFileMissing):
        await local.get("entries/1")
    await local.delete("entries/1")  # not a file: nothing to delete
    assert await local.get("entries/1/a.jpg") == b"x"


def test_the_default_folder_is_media_in_the_data_folder(request, tmp_path):
    set_environment(request, EVENTS_DATA_DIR=str(tmp_path))
    assert LocalStorage().folder == tmp_path / "media"


# S3 -------------------------------------------------------------------------------------------


async def test_s3_objects_carry_their_content_type_under_the_prefix(s3_server, s3_bucket):
    s3 = S3Storage(s3_bucket, f"/{PREFIX}/", endpoint_url=s3_server, **S3_KEYS)
    await s3.put("entries/1/a.jpg", b"photo", "image/jpeg")
    head = s3_client(s3_server).head_object(Bucket=s3_bucket, Key=f"{PREFIX}/entries/1/a.jpg")
    assert head["ContentType"] == "image/jpeg" and head["ContentLength"] == 5
    unprefixed = S3Storage(s3_bucket, endpoint_url=s3_server, **S3_KEYS)
    assert await unprefixed.get(f"{PREFIX}/entries/1/a.jpg") == b"photo"
    assert not await unprefixed.exists("entries/1/a.jpg")


def test_one_s3_client_per_instance_made_once_even_from_many_threads(s3_server):
    s3 = S3Storage("any-bucket", endpoint_url=s3_server, **S3_KEYS)
    assert s3._client is None  # nothing made before the first call
    clients = []
    workers = [threading.Thread(target=lambda: clients.append(s3.client())) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(clients) == 8 and all(client is clients[0] for client in clients)
    other = S3Storage("any-bucket", endpoint_url=s3_server, **S3_KEYS)
    assert other.client() is not clients[0]


async def test_a_missing_bucket_is_an_error_not_a_missing_file(s3_server):
    s3 = S3Storage("no-such-bucket", endpoint_url=s3_server, **S3_KEYS)
    with pytest.raises(Exception) as failed:
        await s3.get("entries/1/a.jpg")
    assert not isinstance(failed.value, StoredFileMissing)


# The configured storage -----------------------------------------------------------------------


@pytest.fixture
def forget_storage():
    reset_storage()
    yield
    reset_storage()


def test_without_a_storage_url_files_go_to_media_in_the_data_folder(
    request, tmp_path, forget_storage
):
    set_environment(request, EVENTS_DATA_DIR=str(tmp_path), EVENTS_STORAGE_URL=None)
    configured = storage()
    assert isinstance(configured, LocalStorage) and configured.folder == tmp_path / "media"
    assert storage() is configured  # made once


def test_a_file_url_names_the_folder(request, tmp_path, forget_storage):
    folder = tmp_path / "照片 media"
    set_environment(request, EVENTS_STORAGE_URL=folder.as_uri())
    configured = storage()
    assert isinstance(configured, LocalStorage) and configured.folder == folder


async def test_an_s3_url_with_the_s3_variables_makes_a_working_s3_storage(
    request, s3_server, s3_bucket, forget_storage
):
    set_environment(
        request,
        EVENTS_STORAGE_URL=f"s3://{s3_bucket}/{PREFIX}/",
        EVENTS_S3_ENDPOINT_URL=s3_server,
        EVENTS_S3_ACCESS_KEY=S3_KEYS["access_key"],
        EVENTS_S3_SECRET_KEY=S3_KEYS["secret_key"],
        EVENTS_S3_REGION="us-east-1",
    )
    configured = storage()
    assert isinstance(configured, S3Storage)
    assert (configured.bucket, configured.prefix) == (s3_bucket, f"{PREFIX}/")
    assert configured.endpoint_url == s3_server
    await configured.put("entries/1/a.jpg", b"photo", "image/jpeg")
    assert stored_where(configured, "entries/1/a.jpg") == b"photo"

    reset_storage()
    set_environment(request, EVENTS_STORAGE_URL=None)
    assert isinstance(storage(), LocalStorage)
