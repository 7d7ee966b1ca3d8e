"""The contest metrics `entries.contest` and `selected.contest`, on both databases: the figures
equal an independent count over a fixture of contests in three years (withdrawn, rejected,
selected and not selected entries, a published and an unpublished contest, a cancelled one,
the year's edge in Shanghai), their projection, the goals API and the dashboard."""

from __future__ import annotations

import math
import random
import re
import secrets
from datetime import datetime, timedelta

import pytest

from events.contests.tables import Contest, Entry
from events.core.timeutil import TZ
from events.reporting import stats
from events.tables import Event
from tests.pages.test_manage import login, post_form

GROUPS = [
    {"code": "low", "name": "小学低年级组", "min_grade": 1, "max_grade": 3},
    {"code": "mid", "name": "小学高年级组", "min_grade": 4, "max_grade": 6},
    {"code": "high", "name": "初中组", "min_grade": 7, "max_grade": 9},
]
CRITERIA = [{"code": "idea", "name": "主题立意", "weight": 1}]
FINAL = ("selected", "not_selected", "withdrawn", "rejected")  # after publication
BEFORE = ("submitted", "withdrawn", "rejected")  # before publication
GROUP_CODES = ("low", "mid", "high")


async def _contest(
    title: str,
    starts: datetime,
    opens: datetime,
    closes: datetime,
    *,
    published: bool,
    status: str = "published",
    street: str = "湖墅街道",
    share: float = 0.2,
    quotas: dict | None = None,
) -> int:
    rows = await Event.insert(
        Event(
            title=title,
            kind="contest",
            venue="区科协",
            street=street,
            organizer_unit="拱墅区科学技术协会",
            starts_at=starts,
            ends_at=starts + timedelta(days=40),
            capacity=2000,
            status=status,
        )
    ).returning(Event.id)
    event_id = rows[0]["id"]
    rows = await Contest.insert(
        Contest(
            event=event_id,
            submissions_open_at=opens,
            submissions_close_at=closes,
            groups=GROUPS,
            criteria=CRITERIA,
            selection_share=share,
            quotas=quotas,
            published_at=closes + timedelta(days=20) if published else None,
        )
    ).returning(Contest.id)
    return rows[0]["id"], event_id


async def _entries(contest: tuple[int, int], statuses: list[tuple[str, str]]) -> None:
    contest_id, event_id = contest
    await Entry.insert(
        *(
            Entry(
                contest=contest_id,
                event=event_id,
                code=f"A-{number:04d}",
                token=secrets.token_urlsafe(24),
                group_code=group,
                grade={"low": 2, "mid": 5, "high": 8}[group],
                child_name="王小明",
                school="大关小学",
                guardian_name="王建国",
                guardian_phone=f"139{number:08d}",
                title="崇尚科学 拒绝邪教",
                consent_version="2026-1",
                status=status,
            )
            for number, (status, group) in enumerate(statuses, start=1)
        )
    )


def _mix(seed: int, n: int, statuses: tuple[str, ...]) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [(rng.choice(statuses), rng.choice(GROUP_CODES)) for _ in range(n)]


def _rule(share: float, n: int) -> int:
    """The contract's k = floor(share × n + 0.5), written out independently."""
    return math.floor(share * n + 0.5 + 1e-12)


@pytest.fixture
async def contests(db):
    """Contests of 2024, 2025 and 2026 with known mixes of entries; returns them by name with
    their entries, so that tests count independently."""
    made = {}

    async def add(name, statuses, *args, **kwargs):
        contest = await _contest(name, *args, **kwargs)
        await _entries(contest, statuses)
        made[name] = {"id": contest[0], "event": contest[1], "entries": statuses, **kwargs}

    spring = datetime(2025, 3, 16, 9, tzinfo=TZ)
    await add(
        "published_2025",
        _mix(1, 60, FINAL),
        spring,
        spring,
        datetime(2025, 4, 30, 17, tzinfo=TZ),
        published=True,
    )
    autumn = datetime(2025, 9, 1, 9, tzinfo=TZ)
    await add(
        "unpublished_2025",
        _mix(2, 45, BEFORE),
        autumn,
        autumn,
        datetime(2025, 9, 21, 17, tzinfo=TZ),
        published=False,
        street="小河街道",
        quotas={"high": 2},
    )
    # 23:30 on 31 December in Shanghai (15:30 UTC): still a 2025 contest.
    late = datetime(2025, 12, 31, 23, 30, tzinfo=TZ)
    await add(
        "new_years_eve_2025",
        _mix(3, 7, BEFORE),
        late,
        late,
        late + timedelta(days=10),
        published=False,
        share=0.5,
    )
    await add(
        "cancelled_2025",
        _mix(4, 9, BEFORE),
        spring,
        spring,
        datetime(2025, 4, 30, 17, tzinfo=TZ),
        published=False,
        status="cancelled",
    )
    # 00:30 on 1 January 2026 in Shanghai (16:30 UTC on 31 December): a 2026 contest.
    first = datetime(2026, 1, 1, 0, 30, tzinfo=TZ)
    await add(
        "published_2026",
        _mix(5, 20, FINAL),
        first,
        first,
        first + timedelta(days=30),
        published=True,
    )
    old = datetime(2024, 3, 16, 9, tzinfo=TZ)
    await add(
        "published_2024", _mix(6, 30, FINAL), old, old, old + timedelta(days=40), published=True
    )
    return made


def _received(contest: dict, group: str | None = None) -> int:
    return sum(
        1
        for status, g in contest["entries"]
        if status not in ("withdrawn", "rejected") and group in (None, g)
    )


def _selected(contest: dict) -> int:
    return sum(1 for status, _g in contest["entries"] if status == "selected")


def _expected(contests: dict, year: int) -> tuple[int, int, int]:
    """(entries, selected, selected projected) of the year's published contests, counted
    from the fixture's own lists; every window is over by now, so entries project as they are."""
    names = [
        name
        for name, c in contests.items()
        if name.endswith(str(year)) and c.get("status", "published") == "published"
    ]
    entries = sum(_received(contests[n]) for n in names)
    selected = sum(_selected(contests[n]) for n in names)
    projected = selected
    for name in names:
        c = contests[name]
        if c["published"]:
            continue
        for group in GROUP_CODES:
            n = _received(c, group)
            k = (c.get("quotas") or {}).get(group, _rule(c.get("share", 0.2), n))
            projected += min(k, n)
    return entries, selected, projected


async def test_the_fixture_has_every_mix(contests):
    published = contests["published_2025"]["entries"]
    unpublished = contests["unpublished_2025"]["entries"]
    assert {s for s, _g in published} == set(FINAL)
    assert {s for s, _g in unpublished} == set(BEFORE)
    assert _expected(contests, 2025)[2] > _expected(contests, 2025)[1] > 0


@pytest.mark.parametrize("year", [2024, 2025, 2026])
async def test_figures_equal_an_independent_count(contests, year):
    figures = await stats.contest_figures(year)
    entries, selected, projected = _expected(contests, year)
    assert (figures["entries"], figures["selected"]) == (entries, selected)
    assert figures["entries_projected"] == entries  # every window has closed
    assert figures["selected_projected"] == projected
    per_kind = await stats.figures(year)
    for kind in ("contest", "all"):
        assert per_kind[kind]["entries"] == entries and per_kind[kind]["selected"] == selected
    assert per_kind["lecture"]["entries"] == 0


async def test_the_numbers_of_2025_by_hand(contests):
    """The rule of the unpublished contest spelled out: share 0.2 per group, a quota of 2 for
    the high group, 0.5 at the New Year's Eve contest."""
    figures = await stats.contest_figures(2025)
    unpublished = contests["unpublished_2025"]
    eve = contests["new_years_eve_2025"]
    by_rule = (
        _rule(0.2, _received(unpublished, "low"))
        + _rule(0.2, _received(unpublished, "mid"))
        + min(2, _received(unpublished, "high"))
        + sum(_rule(0.5, _received(eve, g)) for g in GROUP_CODES)
    )
    assert figures["selected_projected"] == _selected(contests["published_2025"]) + by_rule
    assert figures["contests"] == 3 and figures["contests_published"] == 1


async def test_filters_narrow_the_contest_figures(contests):
    elsewhere = await stats.contest_figures(2025, street="小河街道")
    assert elsewhere["entries"] == _received(contests["unpublished_2025"])
    assert elsewhere["selected"] == 0
    lectures = await stats.figures(2025, kind="lecture")
    assert lectures["contest"]["entries"] == lectures["all"]["entries"] == 0


async def test_an_open_contest_is_extrapolated_to_its_close(contests):
    contest = contests["unpublished_2025"]
    # 9 days into a window of 20 days 8 hours: the pace so far, to the close.
    moment = datetime(2025, 9, 10, 9, tzinfo=TZ)
    figures = await stats.contest_figures(2025, moment=moment)
    open_for, left = 9.0, (datetime(2025, 9, 21, 17, tzinfo=TZ) - moment) / timedelta(days=1)
    others = _received(contests["published_2025"]) + _received(contests["new_years_eve_2025"])
    received = _received(contest)
    assert figures["entries"] == others + received
    assert figures["contests_open"] == 1
    assert figures["entries_projected"] == round(others + received + received / open_for * left)
    scale = 1 + left / open_for
    expected = _selected(contests["published_2025"])
    expected += sum(_rule(0.2, round(_received(contest, g) * scale)) for g in ("low", "mid"))
    expected += min(2, round(_received(contest, "high") * scale))
    expected += sum(_rule(0.5, _received(contests["new_years_eve_2025"], g)) for g in GROUP_CODES)
    assert figures["selected_projected"] == expected
    # Before it opens, nothing is known of it: no entries are added for it.
    before = await stats.contest_figures(2025, moment=datetime(2025, 8, 1, tzinfo=TZ))
    assert before["entries_projected"] == before["entries"]
    assert before["contests_open"] == 0


async def test_a_contest_opened_an_hour_ago_counts_its_pace_over_a_day(contests):
    contest = contests["unpublished_2025"]
    moment = datetime(2025, 9, 1, 10, tzinfo=TZ)  # an hour after it opened
    figures = await stats.contest_figures(2025, moment=moment)
    left = (datetime(2025, 9, 21, 17, tzinfo=TZ) - moment) / timedelta(days=1)
    others = _received(contests["published_2025"]) + _received(contests["new_years_eve_2025"])
    received = _received(contest)
    assert figures["entries_projected"] == round(others + received + received * left)


@pytest.fixture
async def organizer(token_for):
    return await token_for("organizer")


async def test_goals_round_trip_with_the_contest_metrics(client, organizer, contests):
    body = {
        "goals": [
            {"metric": "entries.contest", "target": 100},
            {"metric": "selected.contest", "target": 10},
            {"metric": "sessions.contest", "target": 2},
        ]
    }
    put = await client.put("/api/v1/goals/2025", json=body, headers=organizer)
    assert put.status_code == 200, put.text
    got = (await client.get("/api/v1/goals/2025", headers=organizer)).json()
    by = {goal["metric"]: goal for goal in got["goals"]}
    assert list(by) == ["entries.contest", "selected.contest", "sessions.contest"]
    entries, selected, projected = _expected(contests, 2025)
    assert (by["entries.contest"]["actual"], by["entries.contest"]["projected"]) == (
        entries,
        entries,
    )
    assert by["selected.contest"]["actual"] == selected
    assert by["selected.contest"]["projected"] == projected
    assert by["entries.contest"]["label"] == "竞赛 · 征集作品"
    assert by["selected.contest"]["label"] == "竞赛 · 入选作品"
    assert by["entries.contest"]["target"] == 100


@pytest.mark.parametrize(
    "metric", ["entries.all", "selected.all", "entries.lecture", "selected.matching", "entries"]
)
async def test_contest_metrics_of_another_kind_are_unknown(client, organizer, db, metric):
    body = {"goals": [{"metric": metric, "target": 1}]}
    response = await client.put("/api/v1/goals/2025", json=body, headers=organizer)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"].endswith(f"未知的指标：{metric}")


def test_every_metric_is_listed_once():
    metrics = stats.all_metrics()
    assert len(metrics) == len(set(metrics))
    assert "entries.contest" in metrics and "selected.contest" in metrics
    assert not any(m.startswith(("entries.", "selected.")) and m.endswith(".all") for m in metrics)
    assert stats.measures_for("contest")[-2:] == ["entries", "selected"]
    assert "entries" not in stats.measures_for("all")


def _tile(html: str, measure: str) -> dict[str, str]:
    chunk = html.split(f'id="c-{measure}"', 1)[1].split("</li>", 1)[0]
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", chunk))


async def test_the_dashboard_shows_entries_and_selected_against_their_goals(client, contests):
    goals = [
        {"metric": "entries.contest", "target": 200},
        {"metric": "selected.contest", "target": 1},
    ]
    await stats.set_goals(2025, goals, None)
    entries, selected, projected = _expected(contests, 2025)
    await login(client, "organizer")
    html = (await client.get("/manage/stats?year=2025")).text
    assert 'id="h-contest"' in html and "3 个比赛" in html and "1 个已公布结果" in html
    assert _tile(html, "entries") == {
        "已收到": f"{entries:,}",
        "目标": "200",
        "预计": f"{entries:,}",
        "完成率": f"{entries / 200 * 100:.1f}%",
    }
    assert _tile(html, "selected") == {
        "已入选": str(selected),
        "目标": "1",
        "预计": str(projected),
        "完成率": f"{selected * 100:.1f}%",
    }
    assert "已达成" in html.split('id="c-selected"', 1)[1].split("</li>", 1)[0]
    assert "不含撤回和未通过审核的" in html and "推算到截止日" in html
    # the goal cards carry them too, with their labels
    assert "竞赛 · 征集作品" in html and "竞赛 · 入选作品" in html
    # filtered by street: the tile counts that street's contests, without the goal
    street = (await client.get("/manage/stats?year=2025&street=小河街道")).text
    assert _tile(street, "entries") == {
        "已收到": str(_received(contests["unpublished_2025"])),
        "预计": str(_received(contests["unpublished_2025"])),
    }
    # a year without contests or contest goals has no contest section
    empty = (await client.get("/manage/stats?year=2023")).text
    assert 'id="h-contest"' not in empty


async def test_the_goal_form_sets_the_contest_goals(client, contests):
    await login(client, "organizer")
    form = (await client.get("/manage/goals?year=2025")).text
    assert 'name="t.entries.contest"' in form and 'name="t.selected.contest"' in form
    assert 'name="t.entries.all"' not in form and 'name="t.entries.lecture"' not in form
    entries = _expected(contests, 2025)[0]
    field = form.split('id="g-entries-contest"', 1)[1]
    assert f"已完成 {entries:,}" in field.split("</div>", 1)[0]
    response = await post_form(
        client, "/manage/goals?year=2025", {"t.entries.contest": "1400", "t.selected.contest": ""}
    )
    assert response.status_code == 303, response.text
    saved = await stats.get_goals(2025)
    assert [(g["metric"], g["target"]) for g in saved["goals"]] == [("entries.contest", 1400)]
