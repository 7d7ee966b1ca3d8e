"""An entry's pictures through each storage: the local folder and a real S3-compatible server.

The same test runs on both (and on both databases): the photo is stored, served, replaced
(the old copies deleted), and erased by retention.
"""

from datetime import timedelta

import pytest

from events.contests import retention
from events.contests.storage import StoredFileMissing, reset_storage, storage
from events.contests.tables import Entry
from events.core.timeutil import iso, now
from tests.contests.conftest import S3_KEYS
from tests.contests.helpers import contest_body, make_contest, photo, submit
from tests.settings_env import set_environment


@pytest.fixture(params=["local", "s3"])
def configured_storage(request, tmp_path):
    if request.param == "local":
        set_environment(request, EVENTS_STORAGE_URL=f"file://{tmp_path}/media")
    else:
        endpoint = request.getfixturevalue("s3_server")
        bucket = request.getfixturevalue("s3_bucket")
        set_environment(
            request,
            EVENTS_STORAGE_URL=f"s3://{bucket}/canal",
            EVENTS_S3_ENDPOINT_URL=endpoint,
            EVENTS_S3_ACCESS_KEY=S3_KEYS["access_key"],
            EVENTS_S3_SECRET_KEY=S3_KEYS["secret_key"],
            EVENTS_S3_REGION=S3_KEYS["region"],
        )
    reset_storage()
    request.addfinalizer(reset_storage)
    return request.param


def path(url: str) -> str:
    return url.replace("http://testserver.local", "")


async def test_store_serve_replace_and_erase(client, make_event, configured_storage):
    event = await make_contest(client, make_event)
    created = (await submit(client, event["id"], 1, image=photo(1))).json()
    entry = (await client.get(f"/api/v1/entries/{created['entry_token']}")).json()
    first = await client.get(path(entry["image_url"]))
    assert first.status_code == 200 and first.content[:2] == b"\xff\xd8"
    row = await Entry.select().where(Entry.id == created["id"]).first()
    old_keys = [row["image_key"], row["screen_key"], row["thumbnail_key"]]
    for key in old_keys:
        assert await storage().exists(key)

    replaced = await client.post(
        f"/api/v1/entries/{created['entry_token']}/image",
        files={"image": ("new.jpg", photo(2), "image/jpeg")},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["image_url"] != entry["image_url"]
    for key in old_keys:
        assert not await storage().exists(key)
        with pytest.raises(StoredFileMissing):
            await storage().get(key)
    assert (await client.get(path(entry["image_url"]))).status_code == 404
    new = await client.get(path(replaced.json()["image_url"]))
    assert new.status_code == 200 and new.content != first.content

    # The contest ends and its retention period passes: the (not selected) entry is erased.
    past = contest_body(
        submissions_open_at=iso(now() - timedelta(days=400)),
        submissions_close_at=iso(now() - timedelta(days=399)),
        retention_days=30,
    )
    await client.put(f"/api/v1/events/{event['id']}/contest", json=past, headers=make_event.headers)
    row = await Entry.select().where(Entry.id == created["id"]).first()
    keys = [row["image_key"], row["screen_key"], row["thumbnail_key"]]
    await _end_event(event["id"])
    assert await retention.erase_expired() == 1
    erased = await Entry.select().where(Entry.id == created["id"]).first()
    assert erased["child_name"] == retention.ERASED_NAME and erased["guardian_phone"] == ""
    assert erased["image_key"] == "" and erased["erased_at"] is not None
    for key in keys:
        assert not await storage().exists(key)
    assert await retention.erase_expired() == 0  # again: nothing more


async def _end_event(event_id: int) -> None:
    from events.tables import Event

    await Event.update(
        {Event.starts_at: now() - timedelta(days=400), Event.ends_at: now() - timedelta(days=399)}
    ).where(Event.id == event_id)
