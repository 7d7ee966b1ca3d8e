"""create_app(): plugins, templates, static files, error handlers, lifespan."""

from __future__ import annotations

from contextlib import asynccontextmanager

from litestar import Litestar, Response, get
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from events.core import db
from events.core.settings import get_settings
from events.notify.outbox import outbox_lifespan
from web.api.auth import AuthController
from web.api.checkins import CheckinController
from web.api.contest_exports import ContestExportController
from web.api.contests import ContestController
from web.api.events import EventController
from web.api.judging import JudgingController
from web.api.registrations import RegistrationController
from web.api.stats import StatsController
from web.bodies import MAX_BODY
from web.context import RequestContextMiddleware
from web.errors import exception_handler
from web.media import serve_media
from web.pages.account import AccountController
from web.pages.catalogue import CatalogueController
from web.pages.checkin import checkin_router
from web.pages.checkin_desk import CheckinDeskController
from web.pages.contests.entry import EntryPagesController
from web.pages.contests.gallery import GalleryController
from web.pages.contests.judge import JudgePagesController
from web.pages.contests.manage_config import ContestConfigController
from web.pages.contests.manage_entries import ContestModerationController
from web.pages.contests.manage_judging import ContestJudgesController
from web.pages.contests.manage_results import ContestResultsController
from web.pages.dashboard import DashboardController
from web.pages.manage import ManageController
from web.pages.manage_registrations import ManageRegistrationsController
from web.pages.register import MyRegistrationsController, RegisterController
from web.pages.users import UsersController
from web.templating import ASSETS, environment


@get("/healthz", include_in_schema=False)
async def healthz() -> Response:
    if await db.ping():
        return Response({"status": "ok"})
    return Response({"status": "unavailable"}, status_code=503)


@asynccontextmanager
async def lifespan(_app: Litestar):
    owns_pool = await db.open_pool()
    try:
        yield
    finally:
        await db.close_writers()
        if owns_pool:
            await db.close_pool()


def create_app() -> Litestar:
    settings = get_settings()
    return Litestar(
        route_handlers=[
            healthz,
            AuthController,
            EventController,
            RegistrationController,
            CheckinController,
            StatsController,
            ContestController,
            JudgingController,
            ContestExportController,
            serve_media,
            checkin_router,
            CatalogueController,
            CheckinDeskController,
            AccountController,
            ManageController,
            ManageRegistrationsController,
            DashboardController,
            UsersController,
            RegisterController,
            MyRegistrationsController,
            EntryPagesController,
            GalleryController,
            ContestConfigController,
            ContestModerationController,
            ContestJudgesController,
            ContestResultsController,
            JudgePagesController,
            create_static_files_router(
                path="/static",
                directories=[ASSETS],
                include_in_schema=False,
                # Pages link assets as /static/x?v=<content hash>: safe to keep for a year.
                cache_control=CacheControlHeader(max_age=365 * 24 * 3600, public=True),
                send_as_attachment=False,
                opt={"exclude_from_csrf": True},
            ),
        ],
        middleware=[RequestContextMiddleware()],
        # The pool opens first and closes last; the outbox sender runs in between.
        lifespan=[lifespan, outbox_lifespan],
        exception_handlers={Exception: exception_handler},
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment())),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="csrftoken",
            cookie_samesite="lax",
            exclude=["/api/"],
        ),
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=800, gzip_compress_level=6, exclude_opt_key="no_compress"
        ),
        openapi_config=OpenAPIConfig(
            title="Canal Events API",
            version="1.0.0",
            description="运河科创活动平台 — the contract's /api/v1",
            path="/schema",
        ),
        # 1 MB for every route; a route allowing more sets its own (see web/bodies.py).
        request_max_body_size=MAX_BODY,
        debug=False,
    )
