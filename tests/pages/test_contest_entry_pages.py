"""A guardian's pages: the submission form, the entry page, the gallery and /v/<code>."""

from __future__ import annotations

import re
from datetime import timedelta

from events.contests.tables import Entry
from events.core.timeutil import iso, now
from tests.contests.helpers import contest_body, entry_fields, make_contest, photo


async def form_page(client, event_id):
    response = await client.get(f"/events/{event_id}/entry")
    assert response.status_code == 200, response.text
    return response


async def submit_form(client, event_id, n=1, image=None, **change):
    if "csrftoken" not in client.cookies:
        await form_page(client, event_id)
    data = {**entry_fields(n, **change), "_csrf_token": client.cookies["csrftoken"]}
    files = {"image": ("IMG_0001.jpg", image if image is not None else photo(n), "image/jpeg")}
    return await client.post(
        f"/events/{event_id}/entry", data=data, files=files, follow_redirects=False
    )


async def test_the_event_page_leads_to_the_form(client, make_event):
    event = await make_contest(client, make_event)
    page = (await client.get(f"/events/{event['id']}")).text
    assert f'href="/events/{event["id"]}/entry"' in page and "提交作品" in page
    form = (await form_page(client, event["id"])).text
    assert 'enctype="multipart/form-data"' in form and "data-upload" in form
    for heading in ("我们收集什么", "为什么收集", "谁能看到", "保存多久", "如何撤回"):
        assert heading in form
    assert "小学二年级（小学低年级组）" in form
    assert "高二" not in form  # grades no group takes are not offered


async def test_submitting_through_the_form_opens_the_entry_page(client, make_event):
    event = await make_contest(client, make_event)
    response = await submit_form(client, event["id"], 1)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/e/") and location.endswith("?new=1")
    page = await client.get(location)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    text = page.text
    assert "作品已提交" in text and "已提交，等待评审" in text
    assert re.search(r"[A-Z]-\d{4}", text)
    assert "撤回作品" in text and "更换照片" in text
    row = await Entry.select().first()
    assert row["consent_version"] and row["gallery_consent"] is True


async def test_errors_are_shown_next_to_the_fields_and_what_was_typed_stays(client, make_event):
    event = await make_contest(client, make_event)
    response = await submit_form(
        client, event["id"], 1, guardian_phone="12345", consent=None, title="春天的运河"
    )
    assert response.status_code == 422
    page = response.text
    assert 'id="f-guardian_phone-error"' in page and 'id="f-consent-error"' in page
    assert "春天的运河" in page  # kept
    small = await submit_form(client, event["id"], 2, image=photo(2, size=(500, 400)))
    assert small.status_code == 422 and "600" in small.text
    assert await Entry.count() == 0


async def test_limit_and_closed_are_explained(client, make_event):
    event = await make_contest(client, make_event)
    assert (await submit_form(client, event["id"], 1)).status_code == 303
    again = await submit_form(client, event["id"], 1, image=photo(50))
    assert again.status_code == 409 and "上限" in again.text
    closed = await make_contest(
        client,
        make_event,
        submissions_open_at=iso(now() - timedelta(days=5)),
        submissions_close_at=iso(now() - timedelta(days=1)),
    )
    page = (await client.get(f"/events/{closed['id']}/entry")).text
    assert "作品征集已截止" in page and '<form id="entry-form"' not in page


async def test_withdraw_replace_and_gallery_consent_from_the_entry_page(client, make_event):
    event = await make_contest(client, make_event)
    location = (await submit_form(client, event["id"], 1)).headers["location"].split("?")[0]
    token = location.removeprefix("/e/")
    csrf = client.cookies["csrftoken"]
    replaced = await client.post(
        f"{location}/image",
        data={"_csrf_token": csrf},
        files={"image": ("b.jpg", photo(77), "image/jpeg")},
        follow_redirects=False,
    )
    assert replaced.status_code == 303
    bad = await client.post(
        f"{location}/image",
        data={"_csrf_token": csrf},
        files={"image": ("b.jpg", b"not an image at all", "image/jpeg")},
    )
    assert bad.status_code == 422 and 'class="field-error"' in bad.text
    off = await client.post(
        f"{location}/gallery",
        data={"_csrf_token": csrf, "gallery_consent": "false"},
        follow_redirects=False,
    )
    assert off.status_code == 303
    assert (await Entry.select(Entry.gallery_consent).first())["gallery_consent"] is False
    gone = await client.post(
        f"{location}/withdraw", data={"_csrf_token": csrf}, follow_redirects=False
    )
    assert gone.status_code == 303
    page = (await client.get(location)).text
    assert "已撤回" in page and "撤回作品</button>" not in page
    api = (await client.get(f"/api/v1/entries/{token}")).json()
    assert api["status"] == "withdrawn"


async def test_after_the_close_the_entry_page_offers_no_changes(client, make_event):
    event = await make_contest(client, make_event)
    location = (await submit_form(client, event["id"], 1)).headers["location"].split("?")[0]
    moved = contest_body(submissions_close_at=iso(now() - timedelta(seconds=1)))
    await client.put(
        f"/api/v1/events/{event['id']}/contest", json=moved, headers=make_event.headers
    )
    page = (await client.get(location)).text
    assert "更换照片" not in page and "撤回作品</button>" not in page
    late = await client.post(
        f"{location}/withdraw", data={"_csrf_token": client.cookies["csrftoken"]}
    )
    assert late.status_code == 409 and "截止" in late.text


async def test_unknown_pages(client, make_event):
    assert (await client.get("/e/no-such-entry-token-here")).status_code == 404
    lecture = await make_event(kind="lecture")
    assert (await client.get(f"/events/{lecture['id']}/entry")).status_code == 404
    unknown = await client.get("/v/NOPE-NOPE")
    assert unknown.status_code == 404 and "证书不存在" in unknown.text


async def test_gallery_waits_for_the_results(client, make_event):
    event = await make_contest(client, make_event)
    page = await client.get(f"/events/{event['id']}/gallery")
    assert page.status_code == 200 and "尚未公布" in page.text


async def test_gallery_after_publication_shows_consented_works_masked(client, make_event):
    from tests.contests.judged import close
    from tests.contests.judged import judges as judge_headers

    event = await make_contest(client, make_event, selection_share=1, judges_per_entry=1)
    first = (await submit_form(client, event["id"], 1)).headers["location"]
    await submit_form(client, event["id"], 2, gallery_consent=None)
    await close(client, make_event, event, selection_share=1, judges_per_entry=1)
    ((name, judge),) = await judge_headers(client, 1)
    await client.post(
        f"/api/v1/events/{event['id']}/judging/assign",
        json={"judges": [name]},
        headers=make_event.headers,
    )
    for row in await Entry.select(Entry.id):
        await client.put(
            f"/api/v1/judging/entries/{row['id']}/scores",
            json={"scores": {"idea": 7, "art": 7, "neat": 7}},
            headers=judge,
        )
    await client.post(f"/api/v1/events/{event['id']}/results/publish", headers=make_event.headers)
    page = (await client.get(f"/events/{event['id']}/gallery")).text
    assert "共 2 件作品入选" in page
    assert page.count('class="gallery-item"') == 1  # only the one with consent
    assert "王**1" in page and "王小明1" not in page and "13900000001" not in page
    assert 'loading="lazy"' in page
    code = re.search(r'/gallery/([A-Z]-\d{4})"', page).group(1)
    detail = await client.get(f"/events/{event['id']}/gallery/{code}")
    assert detail.status_code == 200 and "画的是运河边的家" in detail.text
    assert "王小明1" not in detail.text
    other = (await Entry.select(Entry.code).where(Entry.gallery_consent == False).first())["code"]  # noqa: E712
    assert (await client.get(f"/events/{event['id']}/gallery/{other}")).status_code == 404
    entry_page = (await client.get(first.split("?")[0])).text
    assert "下载证书" in entry_page and "入选" in entry_page
