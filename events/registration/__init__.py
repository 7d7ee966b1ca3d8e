"""Register, cancel and promote; forms and questions; self-service; retention.

Importing the package installs registration's hooks: on event changes (`event_changes`: the
waitlist and cancellation rules) and the sender's daily jobs (`reminders`: tomorrow's
reminders, retention), so that whatever loads a registration module also gets them.
"""

from events.registration import event_changes as _event_changes  # noqa: F401
from events.registration import reminders as _reminders  # noqa: F401
