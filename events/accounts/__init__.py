"""Staff accounts, sessions, API tokens and the audit log."""
