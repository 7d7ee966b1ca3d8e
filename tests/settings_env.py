"""Changing an EVENTS_ variable for one test, the way an operator would set it."""

from __future__ import annotations

import os

from events.core.settings import Settings, get_settings


def set_environment(request, **variables: str | None) -> Settings:
    """Set (or, with None, unset) variables for this test and re-read the settings.

    After the test the variables are put back and the settings re-read again. This restores
    in one finalizer, registered during the test, so that it runs before every fixture's
    teardown: nothing can cache the test's settings after it.
    """
    saved = {name: os.environ.get(name) for name in variables}

    def restore() -> None:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()

    request.addfinalizer(restore)
    for name, value in variables.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()
    return get_settings()
