"""Logging in and out of the console, and the guard every page passes: a live session of a current organiser and,
for a form post, the session's CSRF token.

Opening a login link shows a page with one button; the button's POST spends the link. So a link preview (Telegram
fetches links in chats) never uses it up, and the cookie, set by a same-site POST, is SameSite=Strict from the start.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import texts
from bot.channels.inbound import BodyTooLarge, read_capped
from bot.console import telegram_login as widget
from bot.console.security import LoginThrottle, client_address, content_security_policy, same_origin
from bot.console.telegram_login import TelegramLogin
from bot.console.views import Views
from bot.db import Database
from bot.models import utcnow
from bot.services import console_access as access
from bot.services.console_access import Ended, Organiser, Refusal
from bot.signing import Signer

COOKIE = "makerlink_console"
COOKIE_PATH = "/console"
MAX_FORM_BYTES = 64 * 1024
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a maker CSV of some 20,000 rows
FORM_TYPE = "application/x-www-form-urlencoded"
UPLOAD_TYPE = "multipart/form-data"
WIDGET = "Telegram login"  # the way in, as the log names it
WIDGET_PATH = "/telegram-login"
WIDGET_ANSWER_PATH = "/telegram-login/answer"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Visit:
    """A request that passed the guard: who is asking, and the form they posted (empty for a GET)."""

    request: Request
    organiser: Organiser
    form: dict[str, str]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # field → (file name, content)


Page = Callable[[Visit], Awaitable[Response]]


class Auth:
    def __init__(
        self,
        db: Database,
        signer: Signer,
        admin_ids: tuple[int, ...],
        public_url: str | None,
        views: Views,
        throttle: LoginThrottle,
        telegram_login: TelegramLogin | None = None,
    ) -> None:
        self.db, self.signer, self.admin_ids, self.public_url = db, signer, admin_ids, public_url
        self.views, self.throttle, self.telegram_login = views, throttle, telegram_login
        self.secure = bool(public_url and public_url.startswith("https://"))

    def routes(self) -> list[Route]:
        widget = [
            Route(WIDGET_PATH, self.widget_page, methods=["GET"]),
            Route(WIDGET_ANSWER_PATH, self.widget_answer, methods=["GET"]),
            Route(WIDGET_ANSWER_PATH, self.widget_login, methods=["POST"]),
        ]
        return [
            Route("/login/{token}", self.login_page, methods=["GET"]),
            Route("/login/{token}", self.login, methods=["POST"]),
            Route("/logout", self.guard(self.logout), methods=["POST"]),
            *(widget if self.telegram_login is not None else []),
        ]

    # ── logging in ──

    async def login_page(self, request: Request) -> Response:
        """The link from the bot: a page with one button, if the link can still be used."""
        refused = self._throttled(request)
        if refused is not None:
            return refused
        token = request.path_params["token"]
        refusal = await run_in_threadpool(self._check, token)
        if refusal is not None:
            return self._refuse(request, refusal)
        return self.views.page(request, "login.html", {"organiser": None})

    async def login(self, request: Request) -> Response:
        """The button: spend the link, start a session, go to Today."""
        refused = self._throttled(request)
        if refused is not None:
            return refused
        if not same_origin(request, self.public_url):
            return self.views.message(request, texts.CONSOLE_BAD_FORM, 403)
        result = await run_in_threadpool(self._redeem, request.path_params["token"])
        if isinstance(result, Refusal):
            return self._refuse(request, result)
        return self._started(*result)

    async def logout(self, visit: Visit) -> Response:
        await run_in_threadpool(self._end, visit.organiser.session_id, Ended.LOGGED_OUT)
        log.info("console: session %s logged out", visit.organiser.session_id)
        response = self.views.message(visit.request, texts.CONSOLE_LOGGED_OUT, 200)
        self._forget_cookie(response)
        return response

    def _throttled(self, request: Request) -> Response | None:
        wait = self.throttle.wait_seconds(client_address(request))
        if not wait:
            return None
        text = texts.CONSOLE_TOO_MANY.format(minutes=max(1, round(wait / 60)))
        response = self.views.message(request, text, 429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response

    def _refuse(self, request: Request, refusal: Refusal, way: str = "login link") -> Response:
        """403 with one sentence; the failure counts against the address and is logged with why (never with the
        token or the widget's hash: a log line must not be a way in)."""
        address = client_address(request)
        self.throttle.failed(address)
        log.warning("console: %s refused (%s) from %s", way, refusal.value, address)
        if way == WIDGET:
            text = f"{texts.CONSOLE_WIDGET_REFUSED[refusal.value]} {texts.CONSOLE_WIDGET_AGAIN}"
        else:
            text = f"{texts.CONSOLE_LINK_REFUSED[refusal.value]} {texts.CONSOLE_NEW_LINK}"
        return self.views.message(request, text, 403, telegram_login=way == WIDGET)

    def _started(self, cookie: str, organiser: Organiser) -> Response:
        """The session is on: its cookie, and Today."""
        log.info("console: session %s started", organiser.session_id)
        response = RedirectResponse("/console/", status_code=303)
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=int(access.SESSION_LIFETIME.total_seconds()),
            path=COOKIE_PATH,
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )
        return response

    def _check(self, token: str) -> Refusal | None:
        with self.db.read() as session:
            return access.check_link(session, self.signer, token, self.admin_ids, utcnow())

    def _redeem(self, token: str) -> tuple[str, Organiser] | Refusal:
        with self.db.transaction() as session:
            return access.redeem_link(session, self.signer, token, self.admin_ids, utcnow())

    # ── logging in with the Telegram Login Widget (only with MAKERLINK_TELEGRAM_LOGIN_BOT) ──

    async def widget_page(self, request: Request) -> Response:
        """The widget's button; this page alone may load telegram.org's script."""
        assert self.telegram_login is not None
        context = {
            "organiser": None,
            "script": widget.SCRIPT,
            "bot": self.telegram_login.bot_username,
            "answer_url": f"{self.public_url}{COOKIE_PATH}{WIDGET_ANSWER_PATH}",
        }
        response = self.views.page(request, "telegram_login.html", context)
        response.headers["Content-Security-Policy"] = widget.content_security_policy(
            content_security_policy(self.public_url)
        )
        # Telegram's popup answers the widget's frame through window.opener.
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin-allow-popups"
        return response

    async def widget_answer(self, request: Request) -> Response:
        """Where Telegram sends the browser back: if the answer holds, a page with one button (nothing spent yet)."""
        refused = self._throttled(request)
        if refused is not None:
            return refused
        fields = dict(request.query_params)
        answer = self._widget_check(fields)
        if isinstance(answer, Refusal):
            return self._refuse(request, answer, WIDGET)
        if answer.telegram_id not in self.admin_ids:
            return self._refuse(request, Refusal.NOT_ORGANISER, WIDGET)
        return self.views.page(request, "login.html", {"organiser": None, "fields": fields})

    async def widget_login(self, request: Request) -> Response:
        """The button: the answer is checked again and spent, and the session starts."""
        refused = self._throttled(request)
        if refused is not None:
            return refused
        posted = await _read_form(request)
        if posted is None or not same_origin(request, self.public_url):
            return self.views.message(request, texts.CONSOLE_BAD_FORM, 403)
        answer = self._widget_check(posted[0])
        if isinstance(answer, Refusal):
            return self._refuse(request, answer, WIDGET)
        result = await run_in_threadpool(self._redeem_widget, answer)
        if isinstance(result, Refusal):
            return self._refuse(request, result, WIDGET)
        return self._started(*result)

    def _widget_check(self, fields: dict[str, str]) -> widget.Answer | Refusal:
        assert self.telegram_login is not None
        return widget.check(fields, self.telegram_login.bot_token, utcnow())

    def _redeem_widget(self, answer: widget.Answer) -> tuple[str, Organiser] | Refusal:
        with self.db.transaction() as session:
            return access.redeem_widget(
                session, self.signer, answer.telegram_id, answer.proof, self.admin_ids, utcnow()
            )

    def _end(self, session_id: int, why: Ended) -> None:
        with self.db.transaction() as session:
            access.end(session, session_id, why, utcnow())

    # ── every page ──

    def guard(self, page: Page) -> Callable[[Request], Awaitable[Response]]:
        """Only for a live session of a current organiser; a form post also needs the session's CSRF token."""

        async def endpoint(request: Request) -> Response:
            cookie = request.cookies.get(COOKIE)
            found = await run_in_threadpool(self._organiser, cookie)
            if isinstance(found, Refusal):
                response = self.views.message(
                    request, texts.CONSOLE_LOGIN_NEEDED, 401, telegram_login=self.telegram_login is not None
                )
                if cookie is not None:
                    self._forget_cookie(response)
                return response
            form: dict[str, str] = {}
            files: dict[str, tuple[str, bytes]] = {}
            if request.method == "POST":
                posted = await _read_form(request)
                token = posted[0].get("csrf", "") if posted is not None else ""
                good = hmac.compare_digest(token.encode(), found.csrf_token.encode())
                if posted is None or not good or not same_origin(request, self.public_url):
                    log.warning("console: a form without a valid CSRF token was refused (session %s)", found.session_id)
                    return self.views.message(request, texts.CONSOLE_BAD_FORM, 403, found)
                form, files = posted
            return await page(Visit(request, found, form, files))

        return endpoint

    def _organiser(self, cookie: str | None) -> Organiser | Refusal:
        now = utcnow()
        with self.db.read() as session:
            found = access.current(session, self.signer, cookie, self.admin_ids, now)
        if found == Refusal.NOT_ORGANISER:
            # Their id left MAKERLINK_ADMIN_TELEGRAM_IDS: the session ends for good, not only for this request.
            with self.db.transaction() as session:
                found = access.current(session, self.signer, cookie, self.admin_ids, now)
            log.warning("console: a session ended: its organiser is no longer in MAKERLINK_ADMIN_TELEGRAM_IDS")
        return found

    def _forget_cookie(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=self.secure, httponly=True, samesite="strict")


async def _read_form(request: Request) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]] | None:
    """What the console's forms post: url-encoded fields, or with a file, multipart (its size declared and within
    MAX_UPLOAD_BYTES). None for anything else or anything too large."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == UPLOAD_TYPE:
        return await _read_upload(request)
    if kind != FORM_TYPE:
        return None
    try:
        body = await read_capped(request, MAX_FORM_BYTES)
    except BodyTooLarge:
        return None
    pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: value.replace("\x00", "") for name, value in pairs}, {}


async def _read_upload(request: Request) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]] | None:
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > MAX_UPLOAD_BYTES:
        return None
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    async with request.form(max_files=1, max_fields=20) as posted:
        for name, value in posted.multi_items():
            if isinstance(value, str):
                fields[name] = value.replace("\x00", "")
            else:
                files[name] = ((value.filename or "the file")[:200], await value.read(MAX_UPLOAD_BYTES + 1))
    if any(len(content) > MAX_UPLOAD_BYTES for _, content in files.values()):
        return None
    return fields, files
