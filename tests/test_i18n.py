"""The English catalog: complete, well-formed, loaded by events.core.i18n, and not stale.

Source strings are Chinese; `events/locale/en/LC_MESSAGES/messages.po` translates every one of
them. A developer who adds a string must run `make messages` and translate it, or
`test_catalog_is_not_stale` fails and lists the missing msgids.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from events.core import i18n

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "events" / "locale" / "messages.pot"
PO = ROOT / "events" / "locale" / "en" / "LC_MESSAGES" / "messages.po"
BABEL_CFG = ROOT / "babel.cfg"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _strings(value: str | tuple | list) -> list[str]:
    """A message's id or string as a list (plural messages have several)."""
    return [value] if isinstance(value, str) else list(value)


def _key(message) -> tuple[str, str | None]:
    return _strings(message.id)[0], message.context


def _messages(catalog: Catalog) -> list:
    return [message for message in catalog if message.id]


@pytest.fixture(scope="module")
def pot() -> Catalog:
    return _read(POT)


@pytest.fixture(scope="module")
def po() -> Catalog:
    return _read(PO, locale="en")


def test_po_parses_and_is_english(po):
    assert str(po.locale) == "en"
    assert po.num_plurals == 2
    assert "nplurals=2" in po.plural_forms
    assert "(n != 1)" in po.plural_forms
    assert _messages(po), "the English catalog has no messages"


def test_every_msgid_has_an_english_msgstr(pot, po):
    translated = {_key(message): message for message in _messages(po)}
    missing, empty = [], []
    for message in _messages(pot):
        entry = translated.get(_key(message))
        if entry is None:
            missing.append(_key(message)[0])
        elif not all(s.strip() for s in _strings(entry.string)):
            empty.append(_key(message)[0])
    assert not missing, f"msgids of messages.pot missing from the English .po: {missing}"
    assert not empty, f"msgids without an English msgstr: {empty}"


def test_nothing_is_fuzzy(po):
    fuzzy = [_key(message)[0] for message in _messages(po) if message.fuzzy]
    assert not fuzzy, f"fuzzy translations (not used at run time): {fuzzy}"


def test_placeholders_match(po):
    wrong = []
    for message in _messages(po):
        wanted = set().union(*(PLACEHOLDER.findall(s) for s in _strings(message.id)))
        for string in _strings(message.string):
            found = set(PLACEHOLDER.findall(string))
            if found != wanted:
                wrong.append((_key(message)[0], sorted(wanted), string))
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"


def test_gettext_follows_the_current_locale():
    token = i18n.current_locale.set("en")
    try:
        assert i18n.gettext("活动") == "Events"
        assert i18n.gettext("运河科创活动平台") == "Canal Events"
    finally:
        i18n.current_locale.reset(token)
    token = i18n.current_locale.set("zh_CN")
    try:
        assert i18n.gettext("活动") == "活动"
    finally:
        i18n.current_locale.reset(token)


def test_catalog_is_not_stale(po, tmp_path):
    """Re-extract the source strings as `make messages` does; each must be in the .po."""
    with BABEL_CFG.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(BABEL_CFG))
    fresh = Catalog(project="Canal Events", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT, method_map, options_map
    ):
        fresh.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    pot_path = tmp_path / "messages.pot"
    with pot_path.open("wb") as handle:
        write_po(handle, fresh, omit_header=False, sort_output=True)
    extracted = _read(pot_path)
    assert len(_messages(extracted)) > 100, "extraction found almost nothing: check babel.cfg"

    known = {_key(message) for message in _messages(po)}
    missing = sorted(
        {_key(message)[0] for message in _messages(extracted) if _key(message) not in known}
    )
    assert not missing, (
        "source strings missing from events/locale/en/LC_MESSAGES/messages.po — run "
        f"`make messages` and translate them: {missing}"
    )
