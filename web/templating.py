"""The Jinja environment: gettext through events.i18n, filters for times, assets with a version."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from events import i18n
from events.kinds import kind_label, status_label
from events.timeutil import local

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


def when(starts: datetime, ends: datetime | None = None, with_year: bool = False) -> str:
    """`3月12日 周四 14:00–16:30`; a range over days names both days."""
    start = local(starts)
    text = _day(start)
    if with_year:
        text = (
            f"{start.year}年{text}"
            if i18n.current_locale.get() != "en"
            else f"{text}, {start.year}"
        )
    text += f" {start:%H:%M}"
    if ends is not None:
        end = local(ends)
        text += f"–{end:%H:%M}" if end.date() == start.date() else f" – {_day(end)} {end:%H:%M}"
    return text


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
        current_locale=i18n.current_locale.get,
        html_lang=lambda: i18n.LOCALES.get(i18n.current_locale.get(), "zh-CN"),
        colon=lambda: ": " if i18n.current_locale.get() == "en" else "：",
    )
    env.filters.update(
        when=when,
        datetime_local=datetime_local,
        short_time=short_time,
        month_label=month_label,
        day_number=day_number,
    )
    return env
