"""Register, cancel and promote; forms and questions; self-service; retention.

Importing the package installs registration's hooks on event changes (`event_changes`), so
that whatever loads a registration module also gets the waitlist and cancellation rules.
"""

from events.registration import event_changes as _event_changes  # noqa: F401
