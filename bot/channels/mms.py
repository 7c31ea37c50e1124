"""Pictures in an incoming MMS: Twilio's webhook names them (NumMedia, MediaUrl0…, MediaContentType0…); each is
fetched with the account's credentials, checked and cleaned on its bytes (bot/media.py) and kept.

Twilio's media URLs are on api.twilio.com and answer with a redirect to their CDN: requests drops the
Authorization header when a redirect leaves the host, so the credentials never reach the CDN. A URL on any other
host is not fetched at all (a forged or misdirected post cannot make makerlink fetch arbitrary addresses), and
with MAKERLINK_TWILIO_API_URL set (tests: a local stand-in) the fetch goes there, as the sender's calls do.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

import requests

from bot import media

MAX_MEDIA = 3  # pictures taken from one MMS (Twilio allows 10); the sender hears that the rest were not kept
TIMEOUT_SECONDS = 15.0
DEFAULT_API_URL = "https://api.twilio.com"
log = logging.getLogger(__name__)


class MmsFetcher:
    """Fetches and keeps an MMS's pictures; blocking (the webhook runs it in a worker thread)."""

    def __init__(
        self,
        store: media.MediaStore,
        account_sid: str,
        auth_token: str,
        api_url: str = DEFAULT_API_URL,
        http: requests.Session | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.store = store
        self._auth = (account_sid, auth_token)
        self._api_url = api_url.rstrip("/")
        self._http = http or requests.Session()
        self._timeout = timeout

    def fetch_all(self, form: Mapping[str, str]) -> tuple[tuple[media.Stored, ...], media.Refused | None]:
        """The pictures kept, and why one was not (the first problem: the sender hears one sentence)."""
        try:
            count = int(form.get("NumMedia") or 0)
        except ValueError:
            count = 0
        kept: list[media.Stored] = []
        refused: media.Refused | None = None
        for index in range(min(count, 10)):
            url = (form.get(f"MediaUrl{index}") or "").strip()
            if not url:
                continue
            if len(kept) >= MAX_MEDIA:
                refused = refused or media.Refused("PICTURE_TOO_MANY", limit=MAX_MEDIA)
                break
            try:
                kept.append(self.store.save(media.clean(self.fetch(url))))
            except media.Refused as problem:
                log.info("mms: picture %s refused (%s)", index, problem.name)
                refused = refused or problem
        return tuple(kept), refused

    def fetch(self, url: str) -> bytes:
        """The bytes at a Twilio media URL, at most media.MAX_BYTES; raises Refused when it cannot be had."""
        target = self._target(url)
        if target is None:
            log.warning("mms: a media URL not on Twilio's host was not fetched")
            raise media.Refused("PICTURE_NOT_FETCHED")
        try:
            with self._http.get(target, auth=self._auth, timeout=self._timeout, stream=True) as response:
                if response.status_code != 200:
                    log.warning("mms: fetching a picture answered HTTP %s", response.status_code)
                    raise media.Refused("PICTURE_NOT_FETCHED")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > media.MAX_BYTES:
                    raise media.Refused("PICTURE_TOO_BIG", limit_mb=media.MAX_BYTES // (1024 * 1024))
                data = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    data += chunk
                    if len(data) > media.MAX_BYTES:
                        raise media.Refused("PICTURE_TOO_BIG", limit_mb=media.MAX_BYTES // (1024 * 1024))
                return bytes(data)
        except requests.RequestException as error:
            log.warning("mms: fetching a picture failed (%s)", type(error).__name__)
            raise media.Refused("PICTURE_NOT_FETCHED") from None

    def _target(self, url: str) -> str | None:
        """Where to fetch a media URL: only Twilio's hosts, moved to MAKERLINK_TWILIO_API_URL when that is set."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" or not (host == "twilio.com" or host.endswith(".twilio.com")):
            return None
        if self._api_url == DEFAULT_API_URL:
            return url
        base = urlsplit(self._api_url)
        return urlunsplit((base.scheme, base.netloc, base.path.rstrip("/") + parts.path, parts.query, ""))

    def close(self) -> None:
        self._http.close()
