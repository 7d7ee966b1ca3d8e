"""The public pages in a real browser, on a 360×780 phone with WeChat's user agent.

The server is the real `events serve` with the demo data (see conftest.py). Screenshots go to
tests/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from events.demo.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

BRAND = "运河科创活动平台"
ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff]")

# Every visible input/select/textarea must have a name a screen reader can read.
UNLABELLED_JS = """() => {
  const unlabelled = [];
  let checked = 0;
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || el.closest("[hidden]")) continue;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    if (!el.getClientRects().length) continue;
    checked += 1;
    const byLabel = [...(el.labels || [])].some((l) => l.textContent.trim());
    const byAria = (el.getAttribute("aria-label") || "").trim();
    const byRef = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean)
      .some((id) => (document.getElementById(id)?.textContent || "").trim());
    if (!byLabel && !byAria && !byRef) unlabelled.push(el.outerHTML.slice(0, 160));
  }
  return {checked, unlabelled};
}"""

# Sideways scrolling, and which elements stick out on the right if there is any. On a phone
# (is_mobile) an overflowing page widens the layout viewport itself, so innerWidth grows too:
# compare with the device width, not only with innerWidth.
OVERFLOW_JS = """(width) => {
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 0.5) {
      wide.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(box.right)}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          wide: wide.slice(0, 10)};
}"""


# Latin words that a line break cuts in two (e.g. "Subdistri|ct"): each word's text range must
# lie on one line. Breaks at spaces and hyphens are fine; sr-only text (1px boxes) is skipped.
CUT_WORDS_JS = r"""() => {
  const cut = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const box = node.parentElement && node.parentElement.getBoundingClientRect();
    if (!box || box.width < 2 || box.height < 2) continue;
    for (const match of node.data.matchAll(/[A-Za-z][A-Za-z'’]{2,}/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0)
        .map((r) => Math.round(r.top)));
      if (lines.size > 1) cut.push(`${node.parentElement.tagName.toLowerCase()}: ${match[0]}`);
    }
  }
  return cut;
}"""


def assert_no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    result = page.evaluate(OVERFLOW_JS, width)
    assert result["scrollWidth"] <= result["innerWidth"] == width, result


def assert_fields_labelled(page, at_least: int = 0) -> None:
    result = page.evaluate(UNLABELLED_JS)
    assert result["unlabelled"] == [], result
    assert result["checked"] >= at_least, result


def card_titles(page) -> list[str]:
    return [title.strip() for title in page.locator(".event-card .title").all_inner_texts()]


def card_paths(page) -> list[str]:
    return [
        urlsplit(href).path
        for href in page.locator(".event-card a").evaluate_all("els => els.map(a => a.href)")
    ]


def test_catalogue_on_a_phone(phone, screenshots):
    page = phone.page
    phone.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    viewport = page.locator('meta[name="viewport"]').get_attribute("content")
    assert "width=device-width" in viewport
    assert BRAND in page.title()
    assert page.locator("header .brand").inner_text().strip().endswith(BRAND)
    titles = card_titles(page)
    assert titles, "the catalogue lists no demo event"
    assert page.get_by_text(titles[0], exact=True).first.is_visible()
    # The programmes are grouped under headings with a count.
    assert page.locator("section.programme h2").count() >= 2
    assert_no_sideways_scroll(page)
    assert_fields_labelled(page, at_least=4)  # q, kind, when, street
    page.screenshot(path=str(screenshots / "catalogue-360.png"), full_page=True)


def test_filter_by_kind_and_search(phone):
    page = phone.page
    phone.goto("/")
    page.get_by_text("按类型、时间、街道筛选").click()  # the selects fold away on a phone
    page.get_by_label("类型").select_option("lecture")
    label = page.locator("#kind option:checked").inner_text().strip()
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    query = parse_qs(urlsplit(page.url).query)
    assert query.get("kind") == ["lecture"], page.url
    assert page.locator("#kind").input_value() == "lecture"
    paths = card_paths(page)
    assert paths, "no lecture listed"
    for path in paths:
        html = page.request.get(phone.url(path)).text()
        assert f'<p class="kicker">{label}' in html, f"{path} is not a {label}"
    assert_no_sideways_scroll(page)

    # Search by a word of a demo title (the search looks at titles only).
    phone.goto("/")
    title = card_titles(page)[0]
    word = title[:4]
    page.get_by_label("搜索活动").fill(word)
    with page.expect_navigation():
        page.get_by_label("搜索活动").press("Enter")
    assert parse_qs(urlsplit(page.url).query).get("q") == [word], page.url
    found = card_titles(page)
    assert title in found, (word, found)
    assert all(word.lower() in found_title.lower() for found_title in found), (word, found)
    assert page.get_by_role("link", name="清除").is_visible()


def test_event_page(phone, screenshots):
    page = phone.page
    phone.goto("/")
    first = page.locator(".event-card a").first
    title = first.locator(".title").inner_text().strip()
    with page.expect_navigation():
        first.click()
    assert urlsplit(page.url).path.startswith("/events/"), page.url
    assert page.locator("h1").inner_text().strip() == title
    facts = page.locator("dl.facts")
    for term in ("时间", "地点", "名额"):
        row = facts.locator("div", has=page.locator("dt", has_text=term))
        assert row.locator("dt").is_visible(), term
        assert row.locator("dd").is_visible() and row.locator("dd").inner_text().strip(), term
    calendar_link = page.get_by_role("link", name="加入日历")
    assert calendar_link.is_visible()
    assert_no_sideways_scroll(page)
    assert_fields_labelled(page)
    page.screenshot(path=str(screenshots / "event-360.png"), full_page=True)

    href = calendar_link.get_attribute("href")
    assert href.endswith("/calendar.ics"), href
    response = page.request.get(phone.url(href))
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.body()
    assert body.startswith(b"BEGIN:VCALENDAR")
    (item,) = Calendar.from_ical(body).walk("VEVENT")
    assert str(item["SUMMARY"]) == title

    # A tap on the link downloads the same calendar.
    with page.expect_download() as download:
        calendar_link.click()
    assert download.value.suggested_filename.endswith(".ics")
    with open(download.value.path(), "rb") as saved:
        assert saved.read().startswith(b"BEGIN:VCALENDAR")


def test_language_switch(phone):
    page = phone.page
    phone.goto("/")
    path = card_paths(page)[0]
    phone.goto(path)
    with page.expect_navigation():
        page.get_by_role("link", name="EN", exact=True).click()
    assert urlsplit(page.url).path == path, "the switch should stay on the same page"
    assert page.locator("html").get_attribute("lang") == "en"
    assert_no_sideways_scroll(page)
    with page.expect_navigation():
        page.get_by_role("link", name="中文", exact=True).click()
    assert urlsplit(page.url).path == path
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("link", name="EN", exact=True).is_visible()


def test_english_pages_are_in_english(phone):
    """With lang=en the page's own words (not the events' Chinese content) are English."""
    page = phone.page
    phone.goto("/lang/en?next=/")
    assert page.locator("html").get_attribute("lang") == "en"
    chrome = [
        *page.locator("header .topnav a:not([lang])").all_inner_texts(),
        *page.locator("form.filters label").all_inner_texts(),
        *page.locator("form.filters button, .tabs a, main h1").all_inner_texts(),
    ]
    chinese = [text.strip() for text in chrome if CJK.search(text)]
    assert chinese == [], f"still Chinese on the English page: {chinese}"


def test_english_words_are_not_cut_in_half(phone):
    page = phone.page
    phone.goto("/lang/en?next=/")
    path = card_paths(page)[0]
    cut = {}
    for visit in ("/", "/?past=true", path, "/login"):
        phone.goto(visit)
        if found := page.evaluate(CUT_WORDS_JS):
            cut[visit] = found
    assert cut == {}, cut


def test_login_page(phone, screenshots):
    page = phone.page
    phone.goto("/login")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert_no_sideways_scroll(page)
    assert_fields_labelled(page, at_least=2)
    page.screenshot(path=str(screenshots / "login-360.png"), full_page=True)
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="登录").click()
    assert urlsplit(page.url).path == "/manage/stats", page.url  # an organizer's home
    assert navigation.value is not None and navigation.value.status < 400
    assert page.get_by_role("link", name="工作台").is_visible()


def test_nothing_loads_from_another_host(phone):
    page = phone.page
    phone.goto("/")
    path = card_paths(page)[0]
    for visit in ("/?past=true", "/?kind=lecture", path, "/login"):
        phone.goto(visit)
        page.wait_for_load_state("networkidle")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
    paths = {urlsplit(url).path for url in phone.requests}
    assert {"/", "/login", "/manage/stats", path} <= paths, paths
    assert any(p.startswith("/static/css/") for p in paths), paths
    assert phone.foreign_requests() == []


def test_past_events(phone):
    page = phone.page
    phone.goto("/?past=true")
    assert page.locator('.tabs a[aria-current="page"]').inner_text().strip() == "往期活动"
    titles = card_titles(page)
    assert titles, "no past event listed"
    assert page.locator(".event-card .badge").first.inner_text().strip() == "已结束"
    assert_no_sideways_scroll(page)
    with page.expect_navigation():
        page.locator(".event-card a").first.click()
    assert urlsplit(page.url).path.startswith("/events/")
    assert page.locator("h1").inner_text().strip() == titles[0]
    assert page.locator("dl.facts .badge").inner_text().strip() == "已结束"
