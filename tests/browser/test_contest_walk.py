"""The drawing contest walked through the real pages, one person and one screen at a time.

A guardian submits from a 360×780 WeChat phone (an iPhone's HEIC photo, which Chromium cannot
decode: the upload script sends the original), a judge scores on a 1024×768 touch tablet
(taps, and the keyboard for one entry), the organizer assigns the judge and publishes on a
1280×800 laptop, and the gallery on the phone shows the selected work. The setup (a new
contest, a second entry, closing the window) goes through the API as an organizer with a
bearer token. Screenshots go to tests/screenshots/contest-*.png for a person to look at.
"""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest

from events.demo.demo import DEMO_PASSWORD
from tests.browser.test_catalogue_pages import assert_fields_labelled, assert_no_sideways_scroll

pytestmark = pytest.mark.browser

TITLE = "运河少儿绘画比赛·浏览器走查"
GROUPS = [
    {"code": "low", "name": "小学低年级组", "min_grade": 1, "max_grade": 3},
    {"code": "high", "name": "小学高年级组", "min_grade": 4, "max_grade": 6},
]
CRITERIA = [
    {"code": "idea", "name": "主题立意", "weight": 0.5},
    {"code": "art", "name": "艺术表现", "weight": 0.3},
    {"code": "neat", "name": "完整度", "weight": 0.2},
]
CHILD, SCHOOL, GUARDIAN, MOBILE = "陈思雨", "拱墅区运河实验小学", "陈建华", "13957112345"
# The second entry (through the API): another child of the same group, scored lower.
OTHER = ("欧阳子涵", "杭州市卖鱼桥小学", "欧阳明", "13857154321")
PERSONAL = (CHILD, SCHOOL, GUARDIAN, *OTHER[:3])
LAPTOP = {
    "viewport": {"width": 1280, "height": 800},
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
TABLET = {
    "viewport": {"width": 1024, "height": 768},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
# Latin words a Chinese page should not show (the file input's own label is the browser's;
# codes in capitals, like a certificate's WDXJ-KXGS, are not words).
ENGLISH_JS = r"""() => {
  const words = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !el.getClientRects().length || el.closest("script, style, [hidden]")) continue;
    for (const match of node.data.matchAll(/[A-Za-z]*[a-z]{3,}[A-Za-z]*/g)) words.push(match[0]);
  }
  return words;
}"""
# Words a page may show: a file type the upload takes, the spreadsheet's name, and the
# staff's usernames (judge, judge2, …: account names, not text to translate).
LATIN_OK = {"WebP", "Excel", "judge", "organizer"}


# ---- the API, as the organizer (urllib: no browser context's cookies involved) ----------


class Api:
    def __init__(self, base: str):
        self.base = base
        login = self.call(
            "POST", "/api/v1/auth/login", {"username": "organizer", "password": DEMO_PASSWORD}
        )
        self.token = login["token"]

    def call(self, method: str, path: str, body: dict | None = None, expect: int = 200) -> dict:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        if getattr(self, "token", None):
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        assert status == expect, (method, path, status, text)
        return json.loads(text) if text else {}


def at(delta: timedelta) -> str:
    return (datetime.now().astimezone() + delta).replace(microsecond=0).isoformat()


def configuration(closes: timedelta) -> dict:
    return {
        "submissions_open_at": at(-timedelta(days=3)),
        "submissions_close_at": at(closes),
        "groups": GROUPS,
        "criteria": CRITERIA,
        "judges_per_entry": 1,
        "selection_share": 0.5,  # of the two entries in 小学低年级组, one is selected
        "max_entries_per_child": 1,
        "gallery": True,
    }


def new_contest(api: Api) -> dict:
    start = datetime.now().astimezone().replace(microsecond=0) + timedelta(days=20)
    event = api.call(
        "POST",
        "/api/v1/events",
        {
            "title": TITLE,
            "kind": "contest",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(),
            "venue": "运河文化艺术中心",
            "capacity": 500,
            "description": "面向小学生的绘画比赛：用画笔描绘运河边的家。",
            "status": "published",
            # Registering for the day opens later: the other browser tests, which look for an
            # event open for registration, never pick this one.
            "registration_opens_at": (start - timedelta(days=5)).isoformat(),
        },
        expect=201,
    )
    api.call("PUT", f"/api/v1/events/{event['id']}/contest", configuration(timedelta(days=2)))
    return event


# ---- pictures ----------------------------------------------------------------------------


def heic_photo(seed: int) -> bytes:
    """An iPhone photo of a drawing: HEIC whose pixels lie on their side as the sensor took
    them (1200×1600), with EXIF orientation 6 (turn 90° clockwise to show) and camera tags."""
    import pillow_heif
    from PIL import Image

    from tests.contests.drawings import drawing

    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 15"
    sensor = drawing(seed, size=(1600, 1200)).transpose(Image.Transpose.ROTATE_90)
    out = io.BytesIO()
    pillow_heif.from_pillow(sensor).save(out, quality=85, exif=exif.tobytes())
    return out.getvalue()


def upright(stored: bytes, seed: int) -> float:
    """How far (mean absolute difference, 0–255) the stored picture is from the drawing as
    drawn: small when the orientation was applied, large when it lies on its side."""
    from PIL import Image, ImageChops, ImageStat

    from tests.contests.drawings import drawing

    picture = Image.open(io.BytesIO(stored)).convert("RGB")
    expected = drawing(seed, size=(1600, 1200)).resize(picture.size)
    return sum(ImageStat.Stat(ImageChops.difference(picture, expected)).mean) / 3


def jpeg_photo(seed: int) -> bytes:
    from tests.contests.drawings import drawing

    out = io.BytesIO()
    drawing(seed, size=(1200, 900)).save(out, "JPEG", quality=88)
    return out.getvalue()


# ---- pages -------------------------------------------------------------------------------


def read_well(page, screenshots, name: str, *, screens: bool = False) -> None:
    """No sideways scroll, no English left in the page, then a screenshot of the whole page.

    `screens` (the touch tablet): what the screen shows, at the top and, where the page is
    taller, scrolled to the bottom (`-bottom.png`). Playwright's full_page loses the touch
    emulation while it captures (the laptop-only keyboard hints, hidden under `pointer:
    coarse`, showed in the picture), and a taller viewport would resize the picture, which
    the judge's page fits to the screen's height.
    """
    assert_no_sideways_scroll(page)
    english = [w for w in page.evaluate(ENGLISH_JS) if w not in LATIN_OK]
    assert english == [], (name, english)
    path = screenshots / f"contest-{name}.png"
    if not screens:
        page.screenshot(path=str(path), full_page=True)
        return
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(path))
    if page.evaluate("() => document.documentElement.scrollHeight > window.innerHeight"):
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        page.screenshot(path=str(path.with_name(f"contest-{name}-bottom.png")))
        page.evaluate("() => window.scrollTo(0, 0)")


def sign_in(page, server: str, username: str) -> None:
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def assert_blind(page) -> None:
    html = page.content()
    shown = [text for text in PERSONAL if text in html]
    assert shown == [], (page.url, shown)


def wait_images_loaded(page, selector: str) -> None:
    page.wait_for_function(
        """(sel) => {
          const imgs = [...document.querySelectorAll(sel)];
          return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
        }""",
        arg=selector,
    )


def score_by_taps(page, scores: list[int]) -> None:
    criteria = page.locator("fieldset[data-criterion]")
    assert criteria.count() == len(scores)
    for i, value in enumerate(scores):
        target = criteria.nth(i).locator(f'label.pip:has(input[value="{value}"])')
        box = target.bounding_box()
        assert box["width"] >= 40 and box["height"] >= 40, box  # a target for a finger
        target.tap()
        assert criteria.nth(i).locator(f'input[value="{value}"]').is_checked()


def score_by_keys(page, scores: list[int]) -> None:
    """As on a laptop: a digit per criterion (0 is 10), the focus moves on, Enter saves."""
    criteria = page.locator("fieldset[data-criterion]")
    page.locator("h1").click()  # nothing in focus: the first digit scores the first criterion
    for value in scores:
        page.keyboard.press(str(value % 10))
    for i, value in enumerate(scores):
        assert criteria.nth(i).locator(f'input[value="{value}"]').is_checked(), (i, value)


# ---- the walk ----------------------------------------------------------------------------


def test_a_drawing_from_a_phone_to_the_gallery(browser, server, phone, screenshots):
    api = Api(server)
    event = new_contest(api)
    event_id = event["id"]

    # 1. The guardian, on a phone in WeChat: the event page → 提交作品 → the form.
    page = phone.page
    phone.goto(f"/events/{event_id}")
    assert page.locator("h1").inner_text().strip() == TITLE
    with page.expect_navigation():
        page.get_by_role("link", name="提交作品").click()
    assert urlsplit(page.url).path == f"/events/{event_id}/entry"
    assert_fields_labelled(page, at_least=9)
    page.get_by_label("孩子姓名").fill(CHILD)
    page.get_by_label("年级").select_option("2")
    page.get_by_label("学校").fill(SCHOOL)
    page.get_by_label("监护人姓名").fill(GUARDIAN)
    page.get_by_label("监护人手机号").fill(MOBILE)
    page.get_by_label("作品标题").fill("运河边的家")
    page.get_by_label("创作说明（选填）").fill("我画的是外婆家门前的运河，船从桥下开过去。")
    page.set_input_files(
        "#entry-image", {"name": "IMG_2041.HEIC", "mimeType": "image/heic", "buffer": heic_photo(7)}
    )
    status = page.locator("[data-upload-status]")
    # Chromium cannot decode HEIC: the script says it will send the original.
    page.wait_for_function(
        "() => document.querySelector('[data-upload-status]').textContent.includes('原图')"
    )
    assert status.inner_text().strip() == "这张照片无法在本机压缩，将上传原图"
    page.get_by_label("我是孩子的监护人，已阅读并同意《儿童个人信息保护说明》").check()
    page.get_by_label(re.compile("同意在公开作品展中展示")).check()
    read_well(page, screenshots, "1-form")

    # Submitted through the script (XMLHttpRequest): the bar and the status show, then the
    # entry page.
    seen: list[tuple[str, bool]] = []
    page.expose_function("recordUpload", lambda text, hidden: seen.append((text, hidden)))
    page.evaluate(
        """() => {
          const status = document.querySelector('[data-upload-status]');
          const bar = document.querySelector('[data-upload-progress]');
          new MutationObserver(() => window.recordUpload(status.textContent, bar.hidden))
            .observe(status, {childList: true, characterData: true, subtree: true});
        }"""
    )
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/entry")) as sent:
        with page.expect_navigation(url=re.compile(r"/e/[^/?]+\?new=1$")):
            page.get_by_role("button", name="提交作品").click()
    # Sent by the script (its CSRF header, XMLHttpRequest's multipart), not the plain form.
    headers = sent.value.headers
    assert headers.get("x-csrftoken") and headers["content-type"].startswith("multipart/form-data")
    assert any(text.startswith("正在上传") and not hidden for text, hidden in seen), seen
    token = urlsplit(page.url).path.removeprefix("/e/")
    assert "作品已提交" in page.locator(".notice.ok").inner_text()
    mine = page.request.get(phone.url(f"/api/v1/entries/{token}")).json()
    assert mine["status"] == "submitted" and mine["group"] == "low"
    assert re.fullmatch(r"[A-Z]-\d{4}", mine["code"]), mine
    assert mine["code"] in page.locator(".kicker").inner_text()
    assert page.locator(".entry-status").inner_text().strip() == "已提交，等待评审"
    picture = page.locator(".entry-picture img")
    wait_images_loaded(page, ".entry-picture img")
    size = picture.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    assert size[0] > size[1], size  # turned as the EXIF orientation says, then stored
    stored = page.request.get(phone.url(picture.get_attribute("src"))).body()
    assert upright(stored, 7) < 12, upright(stored, 7)
    read_well(page, screenshots, "2-entry")
    assert phone.foreign_requests() == []

    # The second entry of 小学低年级组, through the API.
    other = page.request.post(
        phone.url(f"/api/v1/events/{event_id}/entries"),
        multipart={
            "child_name": OTHER[0],
            "grade": "3",
            "school": OTHER[1],
            "guardian_name": OTHER[2],
            "guardian_phone": OTHER[3],
            "title": "桥上的灯笼",
            "statement": "晚上的拱宸桥挂满了灯笼。",
            "consent": "true",
            "gallery_consent": "true",
            "image": {"name": "drawing.jpg", "mimeType": "image/jpeg", "buffer": jpeg_photo(11)},
        },
    )
    assert other.status == 201, other.text()
    other_code = other.json()["code"]

    # 2. The window closes; the organizer, on a laptop, assigns the demo judge.
    api.call("PUT", f"/api/v1/events/{event_id}/contest", configuration(-timedelta(seconds=5)))
    organizer = browser.new_context(base_url=server, **LAPTOP)
    organizer.set_default_timeout(10_000)
    judge_context = browser.new_context(base_url=server, **TABLET)
    judge_context.set_default_timeout(10_000)
    try:
        desk = organizer.new_page()
        sign_in(desk, server, "organizer")
        desk.goto(f"{server}/manage/events/{event_id}/judging")
        assert desk.locator("h1").inner_text().strip() == "评委分配"
        desk.locator('input[name="judge"][value="judge"]').check()
        with desk.expect_navigation():
            desk.get_by_role("button", name="分配评委").click()
        assert urlsplit(desk.url).path == f"/manage/events/{event_id}/judging"
        row = desk.locator("table.judge-progress tbody tr")
        assert row.count() == 1 and "演示评委" in row.inner_text()
        assert row.locator('td[data-label="已分配"]').inner_text().strip() == "2"
        read_well(desk, screenshots, "3-judging")

        # 3. The judge, on a tablet: /login → /judge → the contest, one entry at a time.
        tablet = judge_context.new_page()
        sign_in(tablet, server, "judge")
        assert urlsplit(tablet.url).path == "/judge"
        assert_blind(tablet)
        card = tablet.locator(".judge-contests li", has_text=TITLE)
        assert "已评 0 / 2" in card.inner_text()
        with tablet.expect_navigation(url=re.compile(rf"/judge/{event_id}$")):
            card.get_by_role("link", name="开始评审").click()
        seen_codes = []
        wanted = {mine["code"]: [9, 8, 9], other_code: [5, 6, 4]}
        for number in (1, 2):
            assert f"第 {number} / 2 件" in tablet.locator(".entry-meta").inner_text()
            code = tablet.locator(".entry-meta .code").inner_text().strip()
            seen_codes.append(code)
            wait_images_loaded(tablet, ".artwork img")
            assert_blind(tablet)
            if number == 1:
                score_by_taps(tablet, wanted[code])
                read_well(tablet, screenshots, "4-judge-entry", screens=True)
                with tablet.expect_navigation(url=re.compile(r"done=saved")):
                    tablet.get_by_role("button", name="保存并下一件").tap()
                assert "已保存上一件作品的评分" in tablet.locator(".notice.ok").inner_text()
            else:
                score_by_keys(tablet, wanted[code])
                with tablet.expect_navigation(
                    url=re.compile(rf"/judge/{event_id}/all\?done=saved")
                ):
                    tablet.keyboard.press("Enter")
        assert sorted(seen_codes) == sorted(wanted)
        assert tablet.locator(".judge-done h1").inner_text().strip() == "全部评完了！"
        assert "已评 2 / 2" in tablet.locator(".judge-bar").inner_text()
        marks = tablet.locator(".judge-entries li", has_text=mine["code"]).inner_text()
        assert "主题立意 9 · 艺术表现 8 · 完整度 9" in marks
        assert_blind(tablet)
        wait_images_loaded(tablet, ".judge-entries img")
        read_well(tablet, screenshots, "5-judge-done", screens=True)

        # 4. The organizer: raw and normalised scores, then publication with its confirmation.
        desk.goto(f"{server}/manage/events/{event_id}/results")
        ranking = desk.locator("table.ranking tbody tr")
        assert ranking.count() == 2
        first = ranking.nth(0)
        assert mine["code"] in first.inner_text()
        assert first.locator('td[data-label="原始分"]').inner_text().startswith("8.70")
        assert first.locator('td[data-label="标准化得分"]').inner_text().strip() == "1.000"
        assert ranking.nth(1).locator('td[data-label="标准化得分"]').inner_text() == "-1.000"
        assert "入选" in first.locator('td[data-label="入选"]').inner_text()
        assert "未入选" in ranking.nth(1).locator('td[data-label="入选"]').inner_text()
        desk.get_by_text("发布…", exact=True).click()
        desk.get_by_label(f"我已核对结果，确认发布“{TITLE}”的评选结果").check()
        read_well(desk, screenshots, "6-results")
        with desk.expect_navigation(url=re.compile(r"/results\?")):
            desk.get_by_role("button", name="确认发布").click()
        assert desk.locator("#h-published").inner_text().startswith("结果已于")
        award = desk.locator("table.ranking tbody tr").nth(0).locator(".badge.ok").inner_text()
        assert award.strip() in ("一等奖", "二等奖", "三等奖", "优秀奖"), award
        read_well(desk, screenshots, "7-published")
    finally:
        organizer.close()
        judge_context.close()

    # 5. The guardian's entry page: 入选, the award, the certificate.
    phone.goto(f"/e/{token}")
    assert page.locator(".entry-status .badge").inner_text().strip() == "入选"
    assert page.locator(".entry-status strong").inner_text().strip() == award.strip()
    link = page.get_by_role("link", name="下载证书（PDF）")
    assert link.is_visible()
    pdf = page.request.get(phone.url(link.get_attribute("href")))
    assert pdf.status == 200
    assert pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.body().startswith(b"%PDF-")
    read_well(page, screenshots, "8-entry-selected")

    # 6. The gallery on the phone: the selected work, the child's name masked, its thumbnail.
    phone.goto(f"/events/{event_id}")
    with page.expect_navigation():
        page.get_by_role("link", name="查看入选作品").click()
    assert urlsplit(page.url).path == f"/events/{event_id}/gallery"
    items = page.locator(".gallery-item")
    assert items.count() == 1
    item = items.first
    assert "《运河边的家》" in item.inner_text()
    assert f"陈*雨 · {award.strip()}" in item.inner_text()
    assert CHILD not in page.content() and OTHER[0] not in page.content()
    item.scroll_into_view_if_needed()
    wait_images_loaded(page, ".gallery-item img")
    read_well(page, screenshots, "9-gallery")
    assert phone.foreign_requests() == []
