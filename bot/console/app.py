"""The organisers' console as one ASGI app, mounted at /console by bot/web.py: its routes, the static files its
pages use, and the security headers on every response."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from bot import texts
from bot.console.auth import Auth
from bot.console.broadcasts import Broadcasts
from bot.console.figures import Figures, impact_basis
from bot.console.makers import Makers
from bot.console.messages import Messages
from bot.console.pages import Pages, Programme
from bot.console.security import LoginThrottle, SecurityHeaders
from bot.console.telegram_login import TelegramLogin
from bot.console.views import Views
from bot.db import Database
from bot.signing import Signer
from matching.directory import Directory
from matching.taxonomy import Taxonomy

MOUNT_PATH = "/console"


@dataclass(frozen=True)
class ConsoleConfig:
    """The settings the console runs on; the bootstrap builds it (bot/bootstrap.py)."""

    signer: Signer
    admin_ids: tuple[int, ...]
    public_url: str | None
    programme: Programme
    telegram_login: TelegramLogin | None = None  # MAKERLINK_TELEGRAM_LOGIN_BOT: the login page offers the widget


def build_console(
    db: Database,
    config: ConsoleConfig,
    directory: Callable[[], Directory],
    taxonomy: Taxonomy,
    throttle: LoginThrottle | None = None,
) -> ASGIApp:
    views = Views(config.programme.timezone)
    auth = Auth(
        db,
        config.signer,
        config.admin_ids,
        config.public_url,
        views,
        throttle or LoginThrottle(),
        config.telegram_login,
    )
    pages = Pages(db, auth, views, config.programme, directory)
    static = StaticFiles(directory=str(resources.files("bot.console") / "static"))
    messages = Messages(db, auth, views)
    routes: list[BaseRoute] = [
        *auth.routes(),
        *pages.routes(),
        *messages.routes(),
        *Makers(db, auth, views, taxonomy).routes(),
        *Figures(db, auth, views, impact_basis(config.programme, taxonomy)).routes(),
        *Broadcasts(db, auth, views, taxonomy, config.programme.sms_price_per_segment).routes(),
        Mount("/static", app=static, name="console-static"),
    ]

    async def not_found(request: Request, _error: Exception) -> Response:
        return views.message(request, texts.CONSOLE_NOT_FOUND, 404)

    app = Starlette(routes=routes, exception_handlers={404: not_found})
    return SecurityHeaders(app, config.public_url)


def console_off() -> ASGIApp:
    """Without MAKERLINK_SECRET_KEY: every console address says how to turn it on, and nothing else."""

    async def off(_request: Request) -> Response:
        return PlainTextResponse(texts.CONSOLE_OFF, status_code=503)

    app = Starlette(routes=[Route("/{path:path}", off, methods=["GET", "POST"])])
    return SecurityHeaders(app, None)
