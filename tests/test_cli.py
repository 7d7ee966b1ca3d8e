"""The contract's commands, run as a user would: `events ...` in a subprocess, on both engines."""

import asyncio
import os
import sys

from events.tables import Event, StaffUser
from tests.settings_env import set_environment


async def run(db_url: str | None, *args: str, cwd=None, env=None) -> tuple[int, str]:
    """`events ARGS` in a subprocess; `db_url` None leaves the database to the environment."""
    env = dict(os.environ if env is None else env)
    if db_url is not None:
        env["EVENTS_DATABASE_URL"] = db_url
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "events",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, output.decode()


async def test_migrate_is_idempotent(db):
    code, output = await run(db, "migrate")
    assert code == 0, output
    code, output = await run(db, "migrate")
    assert code == 0, output


async def test_user_add_creates_and_refuses_duplicates(db):
    code, output = await run(
        db, "user", "add", "wang", "--role", "organizer", "--password", "s3cret-pass"
    )
    assert code == 0, output
    user = await StaffUser.select().where(StaffUser.username == "wang").first()
    assert user["role"] == "organizer" and user["password_hash"].startswith("$argon2")
    code, output = await run(
        db, "user", "add", "wang", "--role", "staff", "--password", "s3cret-pass"
    )
    assert code != 0
    assert "已存在" in output


async def test_user_add_rejects_unknown_role_and_short_password(db):
    code, _ = await run(db, "user", "add", "li", "--role", "boss", "--password", "s3cret-pass")
    assert code != 0
    code, output = await run(db, "user", "add", "li", "--role", "staff", "--password", "123")
    assert code != 0 and "密码" in output
    assert not await StaffUser.exists().where(StaffUser.username == "li")


async def test_demo_twice_adds_nothing_twice(db):
    code, output = await run(db, "demo")
    assert code == 0, output
    count = await Event.count()
    assert count > 100
    code, output = await run(db, "demo")
    assert code == 0, output
    assert await Event.count() == count


async def test_default_database_is_var_events_sqlite3(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "EVENTS_DATABASE_URL"}
    env.pop("EVENTS_DATA_DIR", None)
    code, output = await run(None, "migrate", cwd=tmp_path, env=env)
    assert code == 0, output
    assert (tmp_path / "var" / "events.sqlite3").exists()


async def test_bad_database_url_is_a_clear_error(tmp_path):
    env = {**os.environ, "EVENTS_DATABASE_URL": "mysql://nope"}
    code, output = await run(None, "migrate", cwd=tmp_path, env=env)
    assert code != 0
    assert "EVENTS_DATABASE_URL" in output
    assert "Traceback" not in output


async def test_a_bad_setting_is_a_clear_error(tmp_path):
    env = {**os.environ, "EVENTS_REGISTRATION_LIMIT_PER_PHONE": "lots"}
    code, output = await run(None, "migrate", cwd=tmp_path, env=env)
    assert code == 2
    assert "EVENTS_REGISTRATION_LIMIT_PER_PHONE" in output and "'lots'" in output
    assert "Traceback" not in output


def _served_at_in_a_worker() -> str | None:
    """What a uvicorn worker (a process started with "spawn") reads as its served address."""
    from events.core.settings import get_settings

    return get_settings().served_at


def _serve(monkeypatch, *argv: str) -> dict:
    """`events serve ARGV` up to the point where uvicorn would start its workers."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import uvicorn

    from events import cli

    seen = {}

    def fake_uvicorn_run(app, **options):
        seen.update(options, app=app, here=_served_at_in_a_worker())
        spawn = multiprocessing.get_context("spawn")  # how uvicorn starts its workers
        with ProcessPoolExecutor(1, mp_context=spawn) as workers:
            seen["worker"] = workers.submit(_served_at_in_a_worker).result(timeout=60)

    monkeypatch.setattr(cli, "_run", lambda coro: coro.close())  # no migrations here
    monkeypatch.setattr(uvicorn, "run", fake_uvicorn_run)
    cli.cmd_serve(cli.build_parser().parse_args(["serve", *argv]))
    return seen


def test_serve_hands_its_address_to_the_workers(monkeypatch, request, capsys):
    set_environment(request, EVENTS_BASE_URL=None, EVENTS_SERVED_AT=None)
    seen = _serve(monkeypatch, "--host", "0.0.0.0", "--port", "8123", "--workers", "2")
    assert (seen["app"], seen["workers"]) == ("web.app:create_app", 2)
    assert seen["worker"] == "http://127.0.0.1:8123"
    assert seen["here"] == "http://127.0.0.1:8123"  # one worker: uvicorn serves from here
    assert "EVENTS_BASE_URL" in capsys.readouterr().err


def test_serve_hands_nothing_over_when_the_base_url_is_set(monkeypatch, request, capsys):
    set_environment(request, EVENTS_BASE_URL="https://events.example.cn", EVENTS_SERVED_AT=None)
    seen = _serve(monkeypatch, "--port", "8124")
    assert seen["worker"] is None and seen["here"] is None
    assert capsys.readouterr().err == ""
