"""The demo year's goals: the targets the bureau set for its programmes (see the seed).

`load_goals(year)` replaces that year's goals (through `stats.set_goals`, so it is validated
and audited like an organizer's edit); calling it again changes nothing but the audit log.
"""

from __future__ import annotations

from events.reporting import stats

DEMO_TARGETS: list[tuple[str, int]] = [
    ("sessions.matching", 50),
    ("sessions.policy", 30),
    ("sessions.lecture", 10),
    ("attendance.lecture", 2000),
    ("sessions.study_trip", 3),
    ("sessions.training", 5),
    ("sessions.contest", 2),
    ("entries.contest", 350),
    ("selected.contest", 60),
    ("attendance.matching", 2500),
    ("attendance.all", 9000),
    ("registrations.all", 10000),
]


async def load_goals(year: int) -> dict:
    """Give `year` the demo targets; returns the goals object of `stats.get_goals`."""
    goals = [{"metric": metric, "target": target} for metric, target in DEMO_TARGETS]
    return await stats.set_goals(year, goals, None)
