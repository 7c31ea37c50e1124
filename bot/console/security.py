"""What every console response carries and every console request is checked for: security headers, the
failed-login throttle, and whether a form was posted from the console's own pages."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_PATH = "/console/static/"
OWN_POLICY = ("Content-Security-Policy", "Cross-Origin-Opener-Policy")  # a page may set these itself


def content_security_policy(public_url: str | None) -> str:
    """No inline script or style, nothing from elsewhere: script and style only from /console/static (with the
    public address known, the path itself is the source; otherwise this origin)."""
    static = f"{public_url}{STATIC_PATH}" if public_url else "'self'"
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {static}",
            f"style-src {static}",
            "img-src 'self' data:",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


class SecurityHeaders:
    """ASGI middleware: the headers on every response of the app it wraps, errors and 404s included."""

    def __init__(self, app: ASGIApp, public_url: str | None) -> None:
        self.app = app
        self.headers = {
            "Content-Security-Policy": content_security_policy(public_url),
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",  # a login link in the address bar never leaves in a Referer
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",  # pages name buyers and makers: no copy in shared or browser caches
            "Cross-Origin-Opener-Policy": "same-origin",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name in OWN_POLICY and name in headers:
                        continue  # the one page that sets its own: the Telegram Login Widget's (auth.py)
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


class LoginThrottle:
    """At most `limit` failed log-ins per client address within `window` seconds; then that address is refused
    until the oldest failure leaves the window. In this process's memory: each web process counts on its own, and a
    restart forgets (the links themselves are 192-bit random and signed, so this only slows down noise)."""

    def __init__(self, limit: int = 10, window: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, address: str) -> float:
        """0 when this address may try; otherwise how long until it may."""
        with self._lock:
            failures = self._recent(address)
            if len(failures) < self.limit:
                return 0.0
            return max(0.0, failures[0] + self.window - self.clock())

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address).append(self.clock())
            if len(self._failures) > 10_000:  # a flood from many addresses must not grow memory without end
                stale = self.clock() - self.window
                for key in [k for k, v in self._failures.items() if not v or v[-1] <= stale]:
                    del self._failures[key]

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] <= self.clock() - self.window:
            failures.popleft()
        return failures


def client_address(request: Request) -> str:
    """The client's address as uvicorn saw it (behind a proxy, set FORWARDED_ALLOW_IPS so it is the client's)."""
    return request.client.host if request.client else "unknown"


def same_origin(request: Request, public_url: str | None) -> bool:
    """A form post from the console's own pages, as far as the browser says: Sec-Fetch-Site, where sent, must be
    same-origin, and Origin, where it names one, this site. (Under Referrer-Policy: no-referrer browsers send
    `Origin: null` even for a same-origin post, so "null" says nothing.) With SameSite=Strict cookies and the
    CSRF token this is a third, independent check; a client that sends neither header gets the other two."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    allowed = {f"{request.url.scheme}://{request.url.netloc}"}
    if public_url:
        parts = urlsplit(public_url)
        allowed.add(f"{parts.scheme}://{parts.netloc}")
    return origin in allowed
