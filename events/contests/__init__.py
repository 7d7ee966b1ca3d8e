"""Drawing contests: configuration, entries, judging, results, certificates, gallery.

Importing the package installs its daily job (`retention`: erasing expired entries' pictures
and personal data), as importing `events.registration` installs registration's.
"""

from events.contests import retention as _retention  # noqa: F401
