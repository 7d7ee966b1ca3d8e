"""An organizer reads the year's statistics on a 360×780 phone and on a 1280×800 laptop, with
the demo year's goals, then one event's report. Screenshots: tests/screenshots/stats-*.png."""

from __future__ import annotations

import pytest

from events.core.timeutil import today
from events.demo.goals import DEMO_TARGETS
from tests.browser.conftest import PHONE
from tests.browser.test_catalogue_pages import assert_fields_labelled, assert_no_sideways_scroll

pytestmark = pytest.mark.browser

PASSWORD = "canal-demo-2026"
LAPTOP = {
    "viewport": {"width": 1280, "height": 800},
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}


def load_demo_goals(page, base: str, year: int) -> None:
    """The demo targets through the API, as an organizer with a bearer token."""
    login = page.request.post(
        f"{base}/api/v1/auth/login", data={"username": "organizer", "password": PASSWORD}
    )
    assert login.status == 200, login.text()
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    goals = [{"metric": metric, "target": target} for metric, target in DEMO_TARGETS]
    put = page.request.put(f"{base}/api/v1/goals/{year}", data={"goals": goals}, headers=headers)
    assert put.status == 200, put.text()


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", "organizer")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def test_organizer_reads_the_dashboard_on_a_phone_and_a_laptop(browser, server, screenshots):
    year = today().year
    for name, options in (("360", PHONE), ("1280", LAPTOP)):
        context = browser.new_context(base_url=server, **options)
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            if name == "360":
                load_demo_goals(page, server, year)
            sign_in(page, server)
            response = page.goto(f"{server}/manage/stats")
            assert response.status == 200
            assert page.locator("h1").inner_text() == f"{year} 年活动统计"
            cards = page.locator("li.goal")
            assert cards.count() == len(DEMO_TARGETS)
            statuses = set(page.locator("li.goal .badge.status").all_inner_texts())
            assert statuses <= {"已达成", "进度正常", "有风险"} and len(statuses) >= 2
            assert page.locator("svg.chart[role=img]").count() == 2
            assert page.locator("svg.chart title").first.text_content() == f"{year} 年每月举办场次"
            assert_no_sideways_scroll(page)
            assert_fields_labelled(page, at_least=3)
            page.screenshot(path=str(screenshots / f"stats-{name}.png"), full_page=True)

            # one event's report, from the list of the best-attended events
            with page.expect_navigation():
                page.locator("table.top-events a").first.click()
            assert "/manage/stats/events/" in page.url
            assert page.locator("svg.chart[role=img]").count() >= 1
            assert page.get_by_role("heading", name="未到场名单").count() == 1
            assert_no_sideways_scroll(page)
            page.screenshot(path=str(screenshots / f"stats-event-{name}.png"), full_page=True)

            page.goto(f"{server}/manage/goals?year={year}")
            assert page.locator("#g-sessions-matching").input_value() == "50"
            assert_no_sideways_scroll(page)
            assert_fields_labelled(page, at_least=24)
            page.screenshot(path=str(screenshots / f"stats-goals-{name}.png"), full_page=True)
        finally:
            context.close()
