"""Children's drawings, drawn procedurally: the generator lives in `events.demo.drawings` (the
demo year draws its contest's entries with it; `events/` never imports `tests/`) and is
re-exported here for the contest tests."""

from events.demo.drawings import *  # noqa: F403
from events.demo.drawings import OUTLINE, PALETTE, PAPER, drawing

__all__ = ["OUTLINE", "PALETTE", "PAPER", "drawing"]
