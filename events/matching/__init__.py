"""快墅转 matchmaking: the pool of offers and needs, the matcher, a session's meetings (solver),
outcomes. Being built (issue 12): so far the pure parts, with no tables yet."""
