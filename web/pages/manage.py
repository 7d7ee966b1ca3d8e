"""Organizer area (being written)."""

from litestar import Controller


class ManageController(Controller):
    path = "/manage"
    include_in_schema = False
