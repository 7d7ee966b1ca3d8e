"""Small SVG charts drawn on the server: no JavaScript, Chinese labels, readable on a phone.

Every chart is an `<svg role="img">` with a `<title>` and a `<desc>` that say what it shows;
the page puts a data table next to it for screen readers and for exact figures. Charts are
drawn in a narrow coordinate box (320 units wide) so that text stays legible at 360 px; CSS
caps their width on a laptop.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, timedelta

from markupsafe import Markup, escape

from events.core import i18n
from events.core.i18n import gettext as _
from events.core.kinds import KINDS

WIDTH = 320
FONT = 12
# Colours per kind (Okabe–Ito-like, distinguishable with common colour blindness); every
# chart also names the kinds in a legend and the data table, never by colour alone.
KIND_COLOURS = {
    "matching": "#0b6e6e",
    "lecture": "#e69f00",
    "study_trip": "#56b4e9",
    "contest": "#cc79a7",
    "training": "#6a4c93",
    "policy": "#d55e00",
    "other": "#8c96a0",
}
_ids = itertools.count(1)


def kind_colour(kind: str) -> str:
    return KIND_COLOURS.get(kind, KIND_COLOURS["other"])


def _colon() -> str:
    return ": " if i18n.current_locale.get() == "en" else "："


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _nice_max(value: float) -> int:
    """A round axis maximum ≥ value (1, 2, 5 × 10ⁿ)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    ident = f"chart-{next(_ids)}"
    # Every piece of text in `body`, `title` and `desc` is escaped; the rest is our markup.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" preserveAspectRatio="xMinYMin meet" '
        f'font-size="{FONT}">'
        f'<title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def month_bars(
    rows: Sequence[dict], key: str, title: str, unit: str, kinds: Sequence[str] | None = None
) -> Markup:
    """Twelve horizontal bars (1月 … 12月), each stacked by kind, its total at the end.

    rows: [{month, kind, <key>}] as `events.reporting.breakdowns.monthly` gives them."""
    kinds = list(kinds or KINDS)
    per_month: dict[int, dict[str, int]] = {month: {} for month in range(1, 13)}
    for row in rows:
        per_month[row["month"]][row["kind"]] = (
            per_month[row["month"]].get(row["kind"], 0) + row[key]
        )
    totals = {month: sum(values.values()) for month, values in per_month.items()}
    top = _nice_max(max(totals.values(), default=0))
    left, right, row_height, bar, head = 40, 44, 20, 13, 20
    plot = WIDTH - left - right
    height = head + 12 * row_height + 4
    body: list[str] = []  # the unit is in the figure's caption
    for fraction in (0, 0.5, 1):
        x = left + plot * fraction
        body.append(
            f'<line x1="{x:.1f}" y1="{head - 2}" x2="{x:.1f}" y2="{height - 4}" class="grid"/>'
            f'<text x="{x:.1f}" y="{head - 6}" text-anchor="middle" class="axis tick">'
            f"{_number(top * fraction)}</text>"
        )
    for month in range(1, 13):
        y = head + (month - 1) * row_height + (row_height - bar) / 2
        body.append(
            f'<text x="{left - 6}" y="{y + bar - 2:.1f}" text-anchor="end" class="label">'
            f"{escape(_('{month}月').format(month=month))}</text>"
        )
        x = float(left)
        for kind in kinds:
            value = per_month[month].get(kind, 0)
            if not value:
                continue
            width = plot * value / top
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{bar}" '
                f'fill="{kind_colour(kind)}"><title>'
                f"{escape(_('{month}月').format(month=month))} · {escape(_(KINDS.get(kind, kind)))}"
                f"{_colon()}{_number(value)}</title></rect>"
            )
            x += width
        body.append(
            f'<text x="{x + 4:.1f}" y="{y + bar - 2:.1f}" class="value">'
            f"{_number(totals[month])}</text>"
        )
    total = sum(totals.values())
    desc = _("{title}，全年合计 {total}{unit}。各月数字见下方数据表。").format(
        title=title, total=_number(total), unit=unit
    )
    return _svg(WIDTH, height, title, desc, body)


def column_chart(
    points: Sequence[tuple[str, float]], title: str, unit: str, colour: str = "#0b6e6e"
) -> Markup:
    """Vertical bars over a time axis (days, minutes); at most six tick labels under it."""
    count = len(points)
    left, right, top_pad, bottom = 36, 8, 22, 22
    height = 170
    plot_w = WIDTH - left - right
    plot_h = height - top_pad - bottom
    top = _nice_max(max((value for _label, value in points), default=0))
    unit_label = escape(_("单位：{unit}").format(unit=unit))
    body = [f'<text x="{left}" y="13" class="axis">{unit_label}</text>']
    for fraction in (0, 0.5, 1):
        y = top_pad + plot_h * (1 - fraction)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="axis tick">'
            f"{_number(top * fraction)}</text>"
        )
    if count:
        slot = plot_w / count
        bar = max(slot * 0.75, 0.8)
        for index, (label, value) in enumerate(points):
            if not value:
                continue
            h = plot_h * value / top
            x = left + index * slot + (slot - bar) / 2
            body.append(
                f'<rect x="{x:.2f}" y="{top_pad + plot_h - h:.1f}" width="{bar:.2f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(label)}'
                f"{_colon()}{_number(value)}</title></rect>"
            )
        step = max(1, -(-count // 4))
        ticks = sorted({0, count - 1, *range(0, count, step)})
        if len(ticks) > 2 and ticks[-1] - ticks[-2] < step:
            ticks.pop(-2)  # keep the last label clear of its neighbour
        for index in ticks:
            x = left + index * slot + slot / 2
            anchor = "start" if index == 0 and count > 1 else "middle"
            if index == count - 1 and count > 1:
                anchor = "end"
                x = min(x + slot / 2, WIDTH - right)
            elif index == 0 and count > 1:
                x = left
            body.append(
                f'<text x="{x:.1f}" y="{height - 6}" text-anchor="{anchor}" class="axis tick">'
                f"{escape(points[index][0])}</text>"
            )
    total = sum(value for _label, value in points)
    desc = _("{title}，共 {total}{unit}。具体数字见下方数据表。").format(
        title=title, total=_number(total), unit=unit
    )
    return _svg(WIDTH, height, title, desc, body)


def fill_days(rows: Sequence[dict], key: str) -> list[tuple[str, float]]:
    """Per-day rows ({day: "YYYY-MM-DD", key}) with the missing days between as zeros,
    labelled `11月3日`."""
    if not rows:
        return []
    values = {row["day"]: row[key] for row in rows}
    first, last = date.fromisoformat(rows[0]["day"]), date.fromisoformat(rows[-1]["day"])
    if (last - first).days > 400:  # a stray old row: show what there is, not 400 empty days
        return [(_day_label(date.fromisoformat(day)), value) for day, value in values.items()]
    out = []
    day = first
    while day <= last:
        out.append((_day_label(day), values.get(day.isoformat(), 0)))
        day += timedelta(days=1)
    return out


def _day_label(day: date) -> str:
    return _("{month}月{day}日").format(month=day.month, day=day.day)


def fill_minutes(rows: Sequence[dict], key: str) -> list[tuple[str, float]]:
    """Per-minute rows ({minute: "HH:MM", key}) with the quiet minutes between as zeros."""
    if not rows:
        return []
    values = {row["minute"]: row[key] for row in rows}

    def number(text: str) -> int:
        hours, minutes = text.split(":")
        return int(hours) * 60 + int(minutes)

    first, last = number(rows[0]["minute"]), number(rows[-1]["minute"])
    if last - first > 16 * 60:
        return list(values.items())
    out = []
    for value in range(first, last + 1):
        label = f"{value // 60:02d}:{value % 60:02d}"
        out.append((label, values.get(label, 0)))
    return out
