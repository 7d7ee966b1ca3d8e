"""events.contests.progress: who may be picked as a judge, and each judge's progress (assigned,
scored, conflicts declared) with the contest's entries by how many judges they have."""

from __future__ import annotations

from events.accounts import accounts
from events.contests import progress
from events.contests.tables import Assignment
from tests.conftest import make_user
from tests.contests.judged import assign, close, judges, with_entries


async def test_available_judges_are_the_active_judge_accounts(db):
    kept = await make_user(
        "judge",
        "judge-b",
    )
    await make_user("judge", "judge-a")
    gone = await make_user("judge", "judge-c")
    await accounts.update_user(gone["id"], None, active=False)
    await make_user("organizer", "judge-like-organizer")
    found = await progress.available_judges()
    assert [j["username"] for j in found] == ["judge-a", "judge-b"]
    assert set(found[0]) == {"id", "username", "display_name"}
    assert kept["id"] in {j["id"] for j in found}


async def test_progress_counts_assigned_scored_and_conflicts(client, make_event):
    event, created = await with_entries(client, make_event, n=5)
    await close(client, make_event, event, judges_per_entry=2)
    heads = dict(await judges(client, 3))
    names = list(heads)
    before = await progress.judge_progress(event["id"])
    assert before["judges"] == [] and before["unassigned"] == 5 and before["entries"] == 5
    dealt = await assign(client, make_event, event, names)
    state = await progress.judge_progress(event["id"])
    assert state["judges_per_entry"] == 2
    assert sum(j["assigned"] for j in state["judges"]) == 10  # 5 entries × 2 judges
    assert state["assigned_entries"] == 5 and state["unassigned"] == 0
    assert state["scored_entries"] == 0
    # One entry scored by both its judges; the first judge steps back from another entry.
    full = dealt[0]
    for name in full["judges"]:
        response = await client.put(
            f"/api/v1/judging/entries/{full['entry_id']}/scores",
            json={"scores": {"idea": 6, "art": 6, "neat": 6}},
            headers=heads[name],
        )
        assert response.status_code == 200
    other = next(item for item in dealt[1:] if names[0] in item["judges"])
    await client.post(
        f"/api/v1/judging/entries/{other['entry_id']}/conflict",
        json={"reason": "亲属"},
        headers=heads[names[0]],
    )
    state = await progress.judge_progress(event["id"])
    by_name = {j["username"]: j for j in state["judges"]}
    assert by_name[names[0]]["conflicts"] == 1
    assert sum(j["conflicts"] for j in state["judges"]) == 1
    assert sum(j["scored"] for j in state["judges"]) == 2
    assert state["scored_entries"] == 1
    active = await Assignment.count().where(
        (Assignment.active == True) & (Assignment.entry == other["entry_id"])  # noqa: E712
    )
    # The free judge took the entry over: still 2 judges on it, none short.
    assert active == 2 and state["short_entries"] == 0 and state["assigned_entries"] == 5
    # A rejected entry leaves judging and the counts.
    await client.post(
        f"/api/v1/events/{event['id']}/entries/{created[-1]['id']}/reject",
        json={"reason": "重复提交"},
        headers=make_event.headers,
    )
    after = await progress.judge_progress(event["id"])
    assert after["entries"] == 4
    assert sum(j["assigned"] for j in after["judges"]) == 8
