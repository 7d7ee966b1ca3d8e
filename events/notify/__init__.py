"""The outbox, its delivery backends and the texts of messages."""
