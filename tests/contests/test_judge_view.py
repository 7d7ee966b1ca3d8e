"""events.contests.judge_view: a judge's contests with progress, and where an entry sits in
their queue."""

from datetime import timedelta

from events.contests import judge_view, judging
from events.core.timeutil import iso, now
from events.tables import StaffUser
from tests.conftest import make_user
from tests.contests.helpers import contest_body, make_contest, photo, submit


def queue(*scored):
    """Five queue items, entries 10..14; those in `scored` carry scores."""
    return [{"entry": e, "scores": {"idea": 5} if e in scored else None} for e in range(10, 15)]


def test_next_unscored_follows_the_queue_and_wraps_round():
    assert judge_view.next_unscored(queue()) == 10
    assert judge_view.next_unscored(queue(10, 11)) == 12
    assert judge_view.next_unscored(queue(), after=12) == 13
    assert judge_view.next_unscored(queue(13), after=12) == 14
    assert judge_view.next_unscored(queue(13, 14), after=12) == 10  # wraps round
    assert judge_view.next_unscored(queue(10, 11, 13, 14), after=12) is None  # never itself
    assert judge_view.next_unscored(queue(10, 11, 12, 13, 14)) is None
    assert judge_view.next_unscored(queue(10), after=99) == 11  # not in the queue: from the start
    assert judge_view.next_unscored([]) is None


def test_position_gives_the_number_and_the_neighbours():
    items = queue()
    first = judge_view.position(items, 10)
    assert (first["number"], first["previous"], first["next"]) == (1, None, 11)
    middle = judge_view.position(items, 12)
    assert (middle["number"], middle["previous"], middle["next"]) == (3, 11, 13)
    assert middle["item"] is items[2]
    last = judge_view.position(items, 14)
    assert (last["number"], last["previous"], last["next"]) == (5, 13, None)
    assert judge_view.position(items, 15) is None
    assert judge_view.position([], 10) is None


async def _contest(client, make_event, judges, n, title):
    event = await make_event(kind="contest", capacity=100, title=title)
    body = contest_body(judges_per_entry=1)
    assert (
        await client.put(
            f"/api/v1/events/{event['id']}/contest", json=body, headers=make_event.headers
        )
    ).status_code == 200
    for i in range(1, n + 1):
        response = await submit(client, event["id"], i, image=photo(i, size=(800, 600)))
        assert response.status_code == 201, response.text
    past = iso(now() - timedelta(seconds=1))
    closed = contest_body(judges_per_entry=1, submissions_close_at=past)
    url = f"/api/v1/events/{event['id']}/contest"
    assert (await client.put(url, json=closed, headers=make_event.headers)).status_code == 200
    response = await client.post(
        f"/api/v1/events/{event['id']}/judging/assign",
        json={"judges": judges},
        headers=make_event.headers,
    )
    assert response.status_code == 200, response.text
    return event


async def test_contests_for_counts_only_the_judges_own_entries(client, make_event):
    names = [(await make_user("judge"))["username"] for _ in range(2)]
    first = await StaffUser.select().where(StaffUser.username == names[0]).first()
    second = await StaffUser.select().where(StaffUser.username == names[1]).first()
    done = await _contest(client, make_event, names[:1], 2, "第一届绘画大赛")
    going = await _contest(client, make_event, names, 4, "第二届绘画大赛")
    await make_contest(client, make_event)  # a contest with nothing assigned to anyone
    for item in await judging.queue(first, done["id"]):
        await judging.score(item["entry"], first, {"idea": 6, "art": 6, "neat": 6})
    rows = await judge_view.contests_for(first)
    # Unfinished first, whatever the dates.
    assert [(r["event_id"], r["scored"], r["assigned"]) for r in rows] == [
        (going["id"], 0, 2),
        (done["id"], 2, 2),
    ]
    assert rows[1]["title"] == "第一届绘画大赛" and rows[1]["published"] is False
    assert [(r["event_id"], r["assigned"]) for r in await judge_view.contests_for(second)] == [
        (going["id"], 2)
    ]
    nobody = await make_user("judge")
    assert await judge_view.contests_for(nobody) == []
