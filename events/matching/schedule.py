"""A 快墅转 session's 1:1 meetings, scheduled by OR-Tools CP-SAT (pure: plain data in and out).

The business-to-business meeting scheduling problem (Bofill et al., "Constraint Solving
Approaches to the Business-to-Business Meeting Scheduling Problem", JAIR 2022). Hard rules:
no participant (an offer or a need) in two meetings in one slot; no table hosts two meetings in
one slot; a slot holds at most `tables` meetings; only requested pairs meet, each at most once;
a participant's unavailable slots stay free; locked meetings stay where they are (slot and
table) and count as scheduled.

Objective, lexicographic, in two solves: (1) maximise the total priority of the scheduled
requests; (2) with the total priority fixed at the value found in (1), minimise the idle slots,
i.e. for each participant the slots between their first and last meeting in which they have
none (an unavailable slot inside that span counts as idle too). Two solves rather than one
weighted objective: each stage's bound is then meaningful, and stage 2 starts from stage 1's
schedule as a hint.

The model has one boolean per (request, allowed slot). Tables are interchangeable for the
rules, so they are not variables: a slot's count is capped by its free tables (those no locked
meeting holds) and, after solving, each slot's new meetings take the free tables in order.

Stage 1 also carries a bound of its own (the best priorities that fit in all free tables, a
valid relaxation) as a constraint, so that it stops, proven, once a schedule reaches it; stage 1
takes at most 60 % of `time_limit`, stage 2 the rest. `optimal` is True only if both stages
were proven optimal. Stage 2's proof is the hard part: its linear relaxation bound is 0, so on
sessions of 60+ participants `optimal` is usually False with the priority proven (gap 0).

The result is the same for the same input when the solver finishes within its time limit with
`workers=1` (fixed seed); with more workers, or when the limit cuts a search short, CP-SAT may
return another schedule of equal or different quality.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from events.core.errors import Invalid
from events.core.i18n import gettext as _

Participant = tuple[str, int]  # ("offer", id) or ("need", id)


class ScheduleInvalid(Invalid, ValueError):
    """Input the scheduler refuses (an impossible lock, a bad priority, a repeated pair...)."""


@dataclass(frozen=True)
class Request:
    offer: int
    need: int
    priority: int = 1  # 1–3


@dataclass(frozen=True)
class Meeting:
    offer: int
    need: int
    slot: int  # 0-based index into the session's slots
    table: int  # 1-based


@dataclass(frozen=True)
class Result:
    meetings: list[Meeting]  # sorted by (slot, table)
    unscheduled: list[tuple[int, int]]  # (offer, need) of requests left out, in request order
    optimal: bool  # both stages proved optimal
    objective: int  # total priority of the meetings (locked ones included)
    bound: float  # a proven upper bound on the total priority (CP-SAT's or the capacity's)
    seconds: float  # wall time of both solves
    idle: int  # idle slots of the schedule, summed over participants
    idle_bound: float = field(default=0.0)  # the solver's lower bound on `idle` (stage 2)


def idle_slots(meetings: Iterable[Meeting]) -> int:
    """Slots between each participant's first and last meeting in which they have none."""
    busy: dict[Participant, list[int]] = defaultdict(list)
    for m in meetings:
        busy[("offer", m.offer)].append(m.slot)
        busy[("need", m.need)].append(m.slot)
    return sum(max(s) - min(s) + 1 - len(s) for s in busy.values())


def _parties(offer: int, need: int) -> tuple[Participant, Participant]:
    return ("offer", offer), ("need", need)


def _validate(
    slots: int,
    tables: int,
    requests: list[Request],
    unavailable: Mapping[Participant, Iterable[int]],
    locked: list[Meeting],
) -> dict[tuple[int, int], int]:
    if slots < 0 or tables < 0:
        raise ScheduleInvalid(_("时段数和桌数不能为负数"))
    priority: dict[tuple[int, int], int] = {}
    for r in requests:
        if r.priority not in (1, 2, 3):
            raise ScheduleInvalid(
                _("对接请求的优先级须为 1–3：成果 {offer} — 需求 {need}").format(
                    offer=r.offer, need=r.need
                ),
                fields={"priority": _("优先级须为 1–3")},
            )
        if (r.offer, r.need) in priority:
            raise ScheduleInvalid(
                _("同一对成果与需求只能请求一次：成果 {offer} — 需求 {need}").format(
                    offer=r.offer, need=r.need
                )
            )
        priority[(r.offer, r.need)] = r.priority
    for key in unavailable:
        if not (isinstance(key, tuple) and len(key) == 2 and key[0] in ("offer", "need")):
            raise ScheduleInvalid(_('不可用时段的参与方须写作 ("offer"|"need", id)'))
    seen_pair: set[tuple[int, int]] = set()
    seen_table: dict[tuple[int, int], Meeting] = {}
    seen_party: dict[tuple[Participant, int], Meeting] = {}
    for m in locked:
        label = _("锁定的洽谈（成果 {offer} — 需求 {need}，时段 {slot}，桌 {table}）").format(
            offer=m.offer, need=m.need, slot=m.slot + 1, table=m.table
        )
        if (m.offer, m.need) not in priority:
            raise ScheduleInvalid(label + _("不在对接请求之中"))
        if (m.offer, m.need) in seen_pair:
            raise ScheduleInvalid(label + _("重复：同一对只能洽谈一次"))
        seen_pair.add((m.offer, m.need))
        if not 0 <= m.slot < slots:
            raise ScheduleInvalid(label + _("的时段不存在"))
        if not 1 <= m.table <= tables:
            raise ScheduleInvalid(label + _("的桌号不存在"))
        other = seen_table.get((m.slot, m.table))
        if other is not None:
            raise ScheduleInvalid(
                label
                + _("与成果 {offer} — 需求 {need} 的锁定洽谈占用同一时段的同一张桌").format(
                    offer=other.offer, need=other.need
                )
            )
        seen_table[(m.slot, m.table)] = m
        for party in _parties(m.offer, m.need):
            other = seen_party.get((party, m.slot))
            if other is not None:
                raise ScheduleInvalid(
                    label
                    + _(
                        "与成果 {offer} — 需求 {need} 的锁定洽谈在同一时段，"
                        "同一参与方不能同时洽谈两场"
                    ).format(offer=other.offer, need=other.need)
                )
            seen_party[(party, m.slot)] = m
            if m.slot in set(unavailable.get(party, ())):
                raise ScheduleInvalid(label + _("落在参与方不可用的时段"))
    return priority


def solve(
    slots: int,
    tables: int,
    requests: list[Request],
    unavailable: Mapping[Participant, Iterable[int]] | None = None,
    locked: Iterable[Meeting] = (),
    time_limit: float = 10.0,
    workers: int = 2,
) -> Result:
    """The schedule of `requests` over `slots` slots and `tables` tables (see the module)."""
    started = time.perf_counter()
    unavailable = unavailable or {}
    locked = list(locked)
    priority = _validate(slots, tables, requests, unavailable, locked)
    locked_pairs = {(m.offer, m.need) for m in locked}
    locked_value = sum(priority[p] for p in locked_pairs)

    # Slots a participant cannot take: unavailable or held by a locked meeting.
    blocked: dict[Participant, set[int]] = defaultdict(set)
    for party, chosen in unavailable.items():
        blocked[party].update(chosen)
    locked_tables: dict[int, set[int]] = defaultdict(set)
    for m in locked:
        locked_tables[m.slot].add(m.table)
        for party in _parties(m.offer, m.need):
            blocked[party].add(m.slot)
    free = [tables - len(locked_tables[s]) for s in range(slots)]

    todo = [r for r in requests if (r.offer, r.need) not in locked_pairs]
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}  # (index in todo, slot) -> meets then
    by_slot: dict[int, list] = defaultdict(list)
    by_party_slot: dict[tuple[Participant, int], list] = defaultdict(list)
    for i, r in enumerate(todo):
        parties = _parties(r.offer, r.need)
        for s in range(slots):
            if free[s] <= 0 or any(s in blocked[p] for p in parties):
                continue
            var = model.new_bool_var(f"x{i}_{s}")
            x[(i, s)] = var
            by_slot[s].append(var)
            for p in parties:
                by_party_slot[(p, s)].append(var)
    per_request: dict[int, list] = defaultdict(list)
    for (i, _s), var in x.items():
        per_request[i].append(var)
    for vars_ in per_request.values():
        if len(vars_) > 1:
            model.add_at_most_one(vars_)
    for vars_ in by_party_slot.values():
        if len(vars_) > 1:
            model.add_at_most_one(vars_)
    for s, vars_ in by_slot.items():
        if len(vars_) > free[s]:
            model.add(sum(vars_) <= free[s])

    gain = sum(todo[i].priority * var for (i, _s), var in x.items())
    # A bound of our own, from the relaxation that keeps only "each request at most once" and
    # "a slot holds its free tables": the best priorities that fit in all free tables. On big
    # instances it is far tighter than the one CP-SAT proves in its time; as a (valid)
    # constraint it lets CP-SAT stop stage 1 as soon as a schedule reaches it.
    capacity = sum(max(0, f) for f in free)
    relaxed = sum(sorted((r.priority for r in todo), reverse=True)[:capacity])
    if x:
        model.add(gain <= relaxed)
    model.maximize(gain)

    def add_idle_terms() -> list:
        """Stage 2's objective terms (added after stage 1, which does not need them)."""
        # Idle slots per participant: before[p, s] (a meeting at or before s), after[p, s] (at or
        # after s); idle where both hold and p has no meeting in s. Only participants who can
        # meet at all get variables; a locked meeting is a constant 1 in its slot.
        parties_all: set[Participant] = set()
        for r in todo:
            parties_all.update(_parties(r.offer, r.need))
        locked_busy: set[tuple[Participant, int]] = set()
        for m in locked:
            for p in _parties(m.offer, m.need):
                locked_busy.add((p, m.slot))
                parties_all.add(p)
        terms = []
        for p in sorted(parties_all):
            busy = []
            for s in range(slots):
                if (p, s) in locked_busy:
                    busy.append(1)
                elif by_party_slot.get((p, s)):
                    busy.append(sum(by_party_slot[(p, s)]))
                else:
                    busy.append(0)
            if sum(1 for b in busy if not (isinstance(b, int) and b == 0)) < 2:
                continue  # fewer than two possible meetings: never idle
            before = [model.new_bool_var(f"b{p}{s}") for s in range(slots)]
            after = [model.new_bool_var(f"a{p}{s}") for s in range(slots)]
            for s in range(slots):
                model.add(before[s] >= busy[s])
                model.add(after[s] >= busy[s])
                if s > 0:
                    model.add(before[s] >= before[s - 1])
                    model.add(after[s - 1] >= after[s])
            for s in range(1, slots - 1):
                idle = model.new_bool_var(f"i{p}{s}")
                model.add(idle >= before[s - 1] + after[s + 1] - 1 - busy[s])
                terms.append(idle)

        return terms

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = max(0.05, time_limit * 0.6)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # Every model here is feasible (all variables 0 is a schedule); only a limit too short.
        raise RuntimeError(f"CP-SAT found no schedule: {solver.status_name(status)}")
    best_gain = round(solver.objective_value)
    bound = min(solver.best_objective_bound, relaxed)
    optimal = status == cp_model.OPTIMAL or best_gain >= bound
    bound += locked_value
    chosen = {key for key, var in x.items() if solver.value(var)}
    idle_bound = None

    idle_terms = add_idle_terms()
    if idle_terms:
        for key, var in x.items():
            model.add_hint(var, key in chosen)
        model.add(gain >= best_gain)
        model.minimize(sum(idle_terms))
        remaining = time_limit - (time.perf_counter() - started)
        solver.parameters.max_time_in_seconds = max(0.05, remaining)
        status2 = solver.solve(model)
        if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = {key for key, var in x.items() if solver.value(var)}
            idle_bound = solver.best_objective_bound
            optimal = optimal and status2 == cp_model.OPTIMAL
        else:
            optimal = False  # stage 2 found nothing in its time: keep stage 1's schedule
            idle_bound = 0.0

    meetings = list(locked)
    taken = defaultdict(set, {s: set(t) for s, t in locked_tables.items()})
    for s in range(slots):
        todays = sorted((todo[i].offer, todo[i].need) for (i, t) in chosen if t == s)
        tables_free = (t for t in range(1, tables + 1) if t not in taken[s])
        for (offer, need), table in zip(todays, tables_free, strict=False):
            meetings.append(Meeting(offer, need, s, table))
    meetings.sort(key=lambda m: (m.slot, m.table))
    met = {(m.offer, m.need) for m in meetings}
    idle = idle_slots(meetings)
    return Result(
        meetings=meetings,
        unscheduled=[(r.offer, r.need) for r in requests if (r.offer, r.need) not in met],
        optimal=optimal,
        objective=sum(priority[p] for p in met),
        bound=float(bound),
        seconds=time.perf_counter() - started,
        idle=idle,
        idle_bound=float(idle if idle_bound is None else idle_bound),
    )
