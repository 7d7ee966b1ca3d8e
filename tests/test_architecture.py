"""The shape of the code: no import cycles, the domain never imports the web layer.

Imports inside functions count too: a deferred import hides a cycle, it does not remove it.
"""

from __future__ import annotations

import grimp

GRAPH = grimp.build_graph("events", "web", cache_dir=None)  # a cache can go stale


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


# The domain's areas, each importing only those after it (docs/architecture.md). Later areas
# follow earlier ones through hooks (scheduling.on_event_change, outbox.on_daily).
LAYERS = [
    "demo",
    "reporting",
    "matching",
    "contests",
    "door",
    "registration",
    "notify",
    "scheduling",
    "accounts",
    "core",
]


def test_each_area_imports_only_the_areas_below_it():
    illegal = GRAPH.find_illegal_dependencies_for_layers(
        layers=[f"events.{layer}" for layer in LAYERS], containers=set()
    )
    assert not illegal, "\n".join(
        f"{dependency.importer} imports {dependency.imported}: "
        + "; ".join(" → ".join(route.heads) + " …" for route in dependency.routes)
        for dependency in illegal
    )


def test_every_area_is_in_the_layers():
    areas = {
        module.split(".")[1]
        for module in GRAPH.modules
        if module.startswith("events.") and module.count(".") >= 2
    }
    areas -= {"piccolo_migrations"}
    assert areas <= set(LAYERS), f"areas not in LAYERS: {sorted(areas - set(LAYERS))}"


def test_pages_never_import_the_api():
    """Helpers both layers use live at web/ level (web.requests, web.logins, web.downloads)."""
    chains = GRAPH.find_shortest_chains(importer="web.pages", imported="web.api", as_packages=True)
    assert not chains, f"web.pages imports web.api: {sorted(chains)}"
