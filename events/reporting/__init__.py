"""Goals, statistics, exports and the annual report."""
