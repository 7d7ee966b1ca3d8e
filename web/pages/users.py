"""Admin user management (being written)."""

from litestar import Controller


class UsersController(Controller):
    path = "/manage/users"
    include_in_schema = False
