"""The Jinja environment: gettext (events.core.i18n), filters for times, versioned assets."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from events.core import i18n
from events.core.kinds import kind_label, status_label
from events.core.timeutil import local

TEMPLATES = Path(__file__).resolve().parent / "templates"
ASSETS = Path(__file__).resolve().parent.parent / "assets"
WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(value: datetime) -> str:
    value = local(value)
    if i18n.current_locale.get() == "en":
        return f"{WEEKDAYS_EN[value.weekday()]}, {MONTHS_EN[value.month - 1]} {value.day}"
    return f"{value.month}月{value.day}日 周{WEEKDAYS_ZH[value.weekday()]}"


def _when_parts(starts: datetime, ends: datetime | None, with_year: bool) -> list[str]:
    """The date, then the time (range); a range over days: time, the other day and time."""
    start = local(starts)
    day = _day(start)
    if with_year:
        day = (
            f"{start.year}年{day}" if i18n.current_locale.get() != "en" else f"{day}, {start.year}"
        )
    if ends is None:
        return [day, f"{start:%H:%M}"]
    end = local(ends)
    if end.date() == start.date():
        return [day, f"{start:%H:%M}–{end:%H:%M}"]
    return [day, f"{start:%H:%M} –", f"{_day(end)} {end:%H:%M}"]


def when(starts: datetime, ends: datetime | None = None, with_year: bool = False) -> str:
    """`3月12日 周四 14:00–16:30`; a range over days names both days."""
    return " ".join(_when_parts(starts, ends, with_year))


def when_html(starts: datetime, ends: datetime | None = None, with_year: bool = False) -> Markup:
    """`when` for a page: a line may break between the date and the time, never inside them
    (no `14:00–` at the end of one line and `16:30` on the next)."""
    return Markup(" ").join(
        Markup('<span class="nowrap">{}</span>').format(part)
        for part in _when_parts(starts, ends, with_year)
    )


def month_label(value: datetime) -> str:
    value = local(value)
    return MONTHS_EN[value.month - 1] if i18n.current_locale.get() == "en" else f"{value.month}月"


def day_number(value: datetime) -> int:
    return local(value).day


def datetime_local(value: datetime | None) -> str:
    """The value of an <input type="datetime-local">."""
    return local(value).strftime("%Y-%m-%dT%H:%M") if value else ""


def short_time(value: datetime | None) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M") if value else ""


@lru_cache(maxsize=64)
def asset_url(name: str) -> str:
    """`/static/<name>?v=<content hash>` so that assets can be cached for a year."""
    path = ASSETS / name
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.exists() else "0"
    return f"/static/{name}?v={digest}"


@lru_cache(maxsize=16)
def icon(name: str) -> Markup:
    """A small line icon from assets/icons/<name>.svg, inline (it takes the text colour) and
    hidden from screen readers: the words next to it say what it is. Emoji are not used as
    icons, as phones without an emoji font show them as empty boxes."""
    path = ASSETS / "icons" / f"{name}.svg"
    if not name.isidentifier() or not path.exists():
        return Markup("")
    svg = path.read_text(encoding="utf-8").strip()
    attrs = 'class="icon" aria-hidden="true" focusable="false" width="20" height="20" '
    return Markup(svg.replace("<svg ", f"<svg {attrs}", 1))  # noqa: S704 — our own file


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja environment of the process (pages rendered directly and via Template)."""
    return build_environment()


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    env.globals.update(
        kind_label=kind_label,
        status_label=status_label,
        asset_url=asset_url,
        icon=icon,
        current_locale=i18n.current_locale.get,
        html_lang=lambda: i18n.LOCALES.get(i18n.current_locale.get(), "zh-CN"),
        colon=lambda: ": " if i18n.current_locale.get() == "en" else "：",
    )
    env.filters.update(
        when=when,
        when_html=when_html,
        datetime_local=datetime_local,
        short_time=short_time,
        month_label=month_label,
        day_number=day_number,
    )
    return env
