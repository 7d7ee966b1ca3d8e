"""The `events` command: serve, migrate, demo, user add."""

from __future__ import annotations

import argparse
import asyncio
import sys

from events.core import db
from events.core.engines import DatabaseUrlError
from events.core.errors import DomainError
from events.core.settings import SettingsError, get_settings, hand_to_workers


def _run(coro):
    async def run_and_close():
        try:
            return await coro
        finally:
            await db.close_pool()

    return asyncio.run(run_and_close())


async def _migrate_quietly() -> None:
    await db.migrate()


async def _has_events() -> bool:
    from events.tables import Event

    return bool(await Event.count())


def cmd_migrate(args: argparse.Namespace) -> int:
    _run(_migrate_quietly())
    print("数据库已是最新版本 (migrations applied)")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from events.demo import demo

    async def go():
        await db.migrate()
        return await demo.load()

    summary = _run(go())
    print(summary.describe())
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from events.accounts import accounts

    async def go():
        await db.migrate()
        return await accounts.create_user(args.username, args.role, args.password)

    try:
        user = _run(go())
    except DomainError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1
    print(f"created {user['role']} {user['username']}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    async def prepare():
        await db.migrate()
        if args.demo:
            from events.demo import demo

            if not await _has_events():
                summary = await demo.load()
                print(summary.describe())
            print(demo.login_banner())

    _run(prepare())
    if not get_settings().base_url:
        # Pages take their links from the request; messages are sent with no request at hand,
        # so they use the address this server listens on (handed to the worker processes).
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host  # noqa: S104
        served = f"http://{host}:{args.port}"
        hand_to_workers(served_at=served)
        print(
            f"注意：未设置 EVENTS_BASE_URL，短信和邮件中的链接将使用 {served}；"
            "正式环境请设置为对外网址 (EVENTS_BASE_URL is not set: links in messages use "
            f"{served})",
            file=sys.stderr,
        )
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers if args.workers > 1 else None,
        log_level="warning" if args.quiet else "info",
        access_log=not args.quiet,
        proxy_headers=True,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="events", description="运河科创活动平台 Canal Events")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply migrations, then serve HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="load demo data if there are no events")
    serve.add_argument("--quiet", action="store_true", help="no access log (benchmarks)")
    serve.set_defaults(func=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply pending migrations and exit")
    migrate.set_defaults(func=cmd_migrate)

    demo = commands.add_parser("demo", help="load the demo data (idempotent)")
    demo.set_defaults(func=cmd_demo)

    user = commands.add_parser("user", help="staff accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="create a staff account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["admin", "organizer", "staff", "judge"])
    add.add_argument("--password", required=True)
    add.set_defaults(func=cmd_user_add)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
    except (DatabaseUrlError, SettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        code = 2
    sys.exit(code)
