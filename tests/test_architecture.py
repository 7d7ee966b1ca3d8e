"""The shape of the code: no import cycles, the domain never imports the web layer.

Imports inside functions count too: a deferred import hides a cycle, it does not remove it.
"""

from __future__ import annotations

import grimp
import pytest

GRAPH = grimp.build_graph("events", "web")


def _modules() -> list[str]:
    return sorted(GRAPH.modules)


def _cycles() -> list[list[str]]:
    """Each module that can reach itself, with the shortest such chain."""
    found = []
    for module in _modules():
        for imported in GRAPH.find_modules_directly_imported_by(module):
            if imported == module or not imported.startswith(("events", "web")):
                continue
            back = GRAPH.find_shortest_chain(importer=imported, imported=module)
            if back:
                found.append([module, *back])
    return found


def test_there_are_no_import_cycles():
    cycles = _cycles()
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_the_domain_never_imports_the_web_layer():
    chains = GRAPH.find_shortest_chains(importer="events", imported="web", as_packages=True)
    assert not chains, f"events imports web: {sorted(chains)}"


@pytest.mark.parametrize("area", ["scheduling", "core"])
def test_lower_areas_do_not_import_registration(area):
    chains = GRAPH.find_shortest_chains(
        importer=f"events.{area}", imported="events.registration", as_packages=True
    )
    assert not chains, f"events.{area} imports registration: {sorted(chains)}"


def test_core_imports_no_other_area():
    for other in ("accounts", "scheduling", "registration", "door", "notify", "reporting"):
        chains = GRAPH.find_shortest_chains(
            importer="events.core", imported=f"events.{other}", as_packages=True
        )
        assert not chains, f"events.core imports events.{other}: {sorted(chains)}"


def test_pages_never_import_the_api():
    """Helpers both layers use live at web/ level (web.requests, web.logins, web.downloads)."""
    chains = GRAPH.find_shortest_chains(importer="web.pages", imported="web.api", as_packages=True)
    assert not chains, f"web.pages imports web.api: {sorted(chains)}"
