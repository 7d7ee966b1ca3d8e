"""The demo year: events, goals and registrations."""
