"""Rendering console pages: Jinja2 templates with autoescaping on, so nothing a buyer or maker wrote can become
markup; and the small filters the templates share (times in the programme's zone, money, statuses)."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from bot import texts
from bot.models import as_utc
from bot.services import message_admin


class Views:
    def __init__(self, timezone: str) -> None:
        folder = resources.files("bot.console") / "templates"
        env = Environment(
            loader=FileSystemLoader(str(folder)),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        zone = ZoneInfo(timezone)
        env.filters["when"] = lambda value: _when(value, zone)
        env.filters["money"] = lambda cents: f"${texts.money(cents)}" if cents is not None else ""
        env.filters["why"] = message_admin.why  # why a message did not go out, in words
        env.globals["t"] = texts
        self.templates = Jinja2Templates(env=env)

    def page(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        response = self.templates.TemplateResponse(request, name, context, status_code=status)
        assert isinstance(response, HTMLResponse)
        return response

    def message(
        self, request: Request, text: str, status: int, organiser: Any = None, *, telegram_login: bool = False
    ) -> HTMLResponse:
        """A page that only says one thing: a refusal, or that the organiser logged out. `telegram_login`: with a
        link to the Telegram Login Widget's page."""
        context = {"text": text, "organiser": organiser, "telegram_login": telegram_login}
        return self.page(request, "message.html", context, status)


def _when(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    return as_utc(value).astimezone(zone).strftime("%a %d %b %H:%M")
