"""The outbox's SMS sender: one Twilio Messages.create per message, its failures sorted into retry or give up.

The twilio client is synchronous (requests underneath) and runs in a worker thread, bounded by a timeout and
never retried by the HTTP layer: a POST retried after Twilio received it would send the SMS twice.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bot.config import Settings
from bot.media import MediaLinks
from bot.outbox import Outgoing, SendError, SendResult
from bot.phones import masked

log = logging.getLogger(__name__)

DEFAULT_API_URL: str = Settings.model_fields["twilio_api_url"].default
STATUS_CALLBACK_PATH = "/twilio/status"
TIMEOUT_SECONDS = 10.0
FORM = "application/x-www-form-urlencoded"  # how the twilio client posts (it sets the header)

RECIPIENT_GONE = {21610}  # the recipient replied STOP: Twilio refuses every message until they send START
RETRYABLE_CODES = {20429, 63018}  # too many requests; the sender's rate limit exceeded
# Twilio refused the message's media (21620: invalid media URL; 21623: too many media): it goes again at once
# as an SMS with the picture's link. https://www.twilio.com/docs/api/errors
MMS_REFUSED = {21620, 21623}
_MAX_REASON = 200
LOOKUP_LIMIT = 20  # the newest messages to a number that are compared with an uncertain one
LOOKUP_MARGIN = timedelta(minutes=2)  # clock differences between this machine and Twilio
LOOKUP_AFTER = timedelta(minutes=10)  # an attempt reaches Twilio within this long of its claim (lease, timeouts)
_SMART = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})
_PHONE_LIKE = re.compile(r"\+?\d(?:[\s().-]?\d){6,}")
_URL_CREDENTIALS = re.compile(r"(\w+://)[^/\s@]+@")


class SteadyHttpClient(TwilioHttpClient):
    """TwilioHttpClient at less CPU per message: the environment's proxy and CA settings are read once, when the
    sender starts, rather than on every request (requests scans every environment variable twice per request),
    and a form body is encoded here, as bytes, so it leaves in one write with the headers."""

    def __init__(self, api_url: str = DEFAULT_API_URL, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.session is not None:
            found = self.session.merge_environment_settings(api_url, {}, None, None, None)
            self.session.trust_env = False
            self.session.verify = found["verify"]
            proxies: dict[str, str] = found["proxies"]
            self.proxy = {**proxies, **(kwargs.get("proxy") or {})}

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        headers, data = kwargs.get("headers") or {}, kwargs.get("data")
        if isinstance(data, Mapping) and headers.get("Content-Type") == FORM:
            kwargs["data"] = _form(data)
        return super().request(method, url, *args, **kwargs)


def _form(data: Mapping[str, Any]) -> bytes:
    """A form body as requests would encode it: a list gives one field per item, None gives none."""
    fields = []
    for key, value in data.items():
        items = value if isinstance(value, list | tuple) else [value]
        fields += [(key, item) for item in items if item is not None]
    return urlencode(fields).encode()


class ApiUrlHttpClient(SteadyHttpClient):
    """A TwilioHttpClient that sends every request meant for a *.twilio.com host to another base URL.

    twilio 9 has no base-URL setting; rewriting at the HTTP layer also covers the edge/region host names
    (api.sydney.au1.twilio.com) that TWILIO_EDGE and TWILIO_REGION make the client build.
    """

    def __init__(self, api_url: str, **kwargs: Any) -> None:
        super().__init__(api_url, **kwargs)
        target = urlsplit(api_url)
        self._scheme, self._netloc, self._prefix = target.scheme, target.netloc, target.path.rstrip("/")

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" or not (host == "twilio.com" or host.endswith(".twilio.com")):
            return url
        return urlunsplit((self._scheme, self._netloc, self._prefix + parts.path, parts.query, parts.fragment))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, self.rewrite(url), *args, **kwargs)


class _LastResponse(HttpClient):
    """Remembers, per thread, the response the wrapped client got: TwilioRestException drops its headers."""

    def __init__(self, inner: HttpClient) -> None:
        super().__init__(log, False, None)
        self.inner = inner
        self._local = threading.local()

    def request(self, *args: Any, **kwargs: Any) -> Response:
        self._local.response = None
        response = self.inner.request(*args, **kwargs)
        self._local.response = response
        return response

    def last(self) -> Response | None:
        return getattr(self._local, "response", None)


class TwilioSender:
    """Sends SMS through Twilio's Messages API; implements bot.outbox.Sender."""

    channel = "sms"

    def __init__(
        self,
        settings: Settings,
        http_client: HttpClient | None = None,
        timeout: float = TIMEOUT_SECONDS,
        links: MediaLinks | None = None,
    ):
        if not (settings.twilio_configured and settings.twilio_auth_token is not None):
            raise ValueError("TwilioSender needs MAKERLINK_TWILIO_ACCOUNT_SID and MAKERLINK_TWILIO_AUTH_TOKEN")
        self._owns_http_client = http_client is None
        if http_client is None:
            # No max_retries: requests then never retries, so a POST is never sent twice by the HTTP layer.
            if settings.twilio_api_url != DEFAULT_API_URL:
                http_client = ApiUrlHttpClient(settings.twilio_api_url, timeout=timeout)
            else:
                http_client = SteadyHttpClient(timeout=timeout)
        self.http_client = http_client
        self._responses = _LastResponse(http_client)
        self._token = settings.twilio_auth_token.get_secret_value()
        self._client = Client(settings.twilio_account_sid, self._token, http_client=self._responses)
        if settings.twilio_from_number:
            self._origin: dict[str, str] = {"from_": settings.twilio_from_number}
        elif settings.twilio_messaging_service_sid:
            self._origin = {"messaging_service_sid": settings.twilio_messaging_service_sid}
        else:
            raise ValueError(
                "TwilioSender needs MAKERLINK_TWILIO_FROM_NUMBER or MAKERLINK_TWILIO_MESSAGING_SERVICE_SID"
            )
        self._status_callback = settings.public_url + STATUS_CALLBACK_PATH if settings.public_url else None
        self._timeout = timeout
        self._links = links  # signs the links to the pictures messages carry (MediaUrl, or a link in the text)

    async def send(self, message: Outgoing) -> SendResult:
        try:
            result = await asyncio.to_thread(self._send_blocking, message)
        except SendError as error:
            log.warning(
                "sms: message %s to %s not sent (%s, %s): %s",
                message.id,
                masked(message.address),
                error.code,
                "gone" if error.recipient_gone else "will retry" if error.retryable else "permanent",
                error.reason,
            )
            raise
        log.info(
            "sms: message %s to %s accepted as %s (%s segments)",
            message.id,
            masked(message.address),
            result.provider_id,
            result.segments if result.segments is not None else "?",
        )
        return result

    async def find_sent(self, message: Outgoing) -> SendResult | None:
        """Twilio's record of this message, if an earlier attempt whose answer we never recorded did send it:
        the newest messages to the same number, with the same text, created since that attempt began."""
        if message.uncertain_since is None:
            return None
        since = message.uncertain_since - LOOKUP_MARGIN
        found = await asyncio.to_thread(self._find_blocking, message, since)
        if found is not None:
            log.info("sms: message %s to %s had been accepted as %s", message.id, masked(message.address), found)
            return SendResult(provider_id=found)
        return None

    def _find_blocking(self, message: Outgoing, since: datetime) -> str | None:
        try:
            recent = self._client.messages.list(to=message.address, limit=LOOKUP_LIMIT)
        except (TwilioException, requests.RequestException, ConnectionError, TimeoutError) as error:
            raise SendError(
                f"could not list messages at Twilio ({type(error).__name__})", retryable=True, code="lookup_failed"
            ) from None
        wanted = _comparable(message.text)
        until = since + LOOKUP_MARGIN + LOOKUP_AFTER
        for item in recent:
            created = item.date_created
            if created is None or item.sid in message.known_provider_ids or not self._ours(item):
                continue
            if created.tzinfo is None:
                created = created.replace(tzinfo=UTC)
            if since <= created <= until and _same_text(_comparable(item.body or ""), wanted, message):
                return item.sid
        return None

    def _ours(self, item: Any) -> bool:
        """Sent from our number, or through our Messaging Service."""
        if "from_" in self._origin:
            return item.from_ == self._origin["from_"]
        return item.messaging_service_sid == self._origin["messaging_service_sid"]

    async def aclose(self) -> None:
        session = getattr(self.http_client, "session", None)
        if self._owns_http_client and session is not None:
            session.close()

    def _picture_url(self, message: Outgoing) -> str | None:
        if message.media_key is None or self._links is None:
            return None
        return self._links.url(message.media_key)

    def _send_blocking(self, message: Outgoing) -> SendResult:
        extra: dict[str, Any] = {"status_callback": self._status_callback} if self._status_callback else {}
        url = self._picture_url(message)
        body = message.text
        if url is not None and message.media_as_link:
            body = _with_link(body, url)
        elif url is not None:
            extra["media_url"] = [url]
        try:
            try:
                created = self._client.messages.create(to=message.address, body=body, **self._origin, **extra)
            except TwilioRestException as error:
                if "media_url" not in extra or _code(error) not in MMS_REFUSED:
                    raise
                log.warning("sms: message %s refused as MMS (%s); sent with a link instead", message.id, error.code)
                extra.pop("media_url")
                created = self._client.messages.create(
                    to=message.address, body=_with_link(body, url or ""), **self._origin, **extra
                )
        except (TwilioRestException, TwilioServiceException) as error:
            raise self._refused(error) from None
        except requests.Timeout:
            raise SendError(
                f"Twilio did not answer within {self._timeout:g} s", retryable=True, code="timeout"
            ) from None
        except TimeoutError:
            raise SendError("Twilio did not answer in time", retryable=True, code="timeout") from None
        except (requests.RequestException, ConnectionError) as error:
            raise SendError(
                f"could not reach Twilio ({type(error).__name__})", retryable=True, code="connection"
            ) from None
        except Exception as error:
            response = self._responses.last()
            if response is not None and 200 <= response.status_code < 300:
                # Twilio took the message but its answer did not parse: sending again would double it.
                log.warning(
                    "sms: message %s accepted but the answer was unreadable (%s)", message.id, type(error).__name__
                )
                return SendResult(provider_id=None)
            if isinstance(error, TwilioException):
                raise SendError(
                    f"twilio client error ({type(error).__name__})", retryable=False, code="client"
                ) from None
            raise
        return SendResult(provider_id=created.sid, segments=_int_or_none(created.num_segments))

    def _refused(self, error: TwilioRestException | TwilioServiceException) -> SendError:
        status = int(error.status or 0)
        try:
            code: int | None = int(error.code)
        except (TypeError, ValueError):
            code = None
        if code == status:  # the library puts the HTTP status there when Twilio's answer has no code
            code = None
        if isinstance(error, TwilioServiceException):
            detail = error.detail or error.title
        else:
            detail = str(error.msg or "").removeprefix("Unable to create record").lstrip(": ")
        label = f"Twilio error {code} (HTTP {status})" if code else f"Twilio answered HTTP {status}"
        reason = f"{label}: {self._clean(detail)}" if detail else label
        response = self._responses.last()
        retry_after = _retry_after(response.headers) if response is not None else None
        code_text = str(code) if code else f"http_{status}"
        if code in RECIPIENT_GONE:
            return SendError(reason, retryable=False, code=code_text, recipient_gone=True)
        retryable = code in RETRYABLE_CODES or status == 429 or status >= 500
        return SendError(reason, retryable=retryable, code=code_text, retry_after=retry_after)

    def _clean(self, text: str) -> str:
        """A reason safe to store and log: no credentials, phone numbers cut to their last 4 digits."""
        if self._token:
            text = text.replace(self._token, "***")
        text = _URL_CREDENTIALS.sub(r"\1", text)
        text = _PHONE_LIKE.sub(lambda m: "…" + re.sub(r"\D", "", m.group())[-4:], text)
        text = " ".join(text.split())
        return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


def _same_text(sent: str, wanted: str, message: Outgoing) -> bool:
    """Twilio's body is the message's text, or, for one that carried a picture, the text and then its link (signed
    anew at each attempt, so only its start can be compared)."""
    if sent == wanted:
        return True
    link = sent[len(wanted) :].strip()
    return message.media_key is not None and sent.startswith(f"{wanted} ") and "/media/" in link and " " not in link


def _with_link(text: str, url: str) -> str:
    """The text, then the picture's link alone on its line: a link reads the same in every maker's language."""
    return f"{text}\n{url}"


def _code(error: TwilioRestException) -> int | None:
    try:
        return int(error.code)
    except (TypeError, ValueError):
        return None


def _comparable(text: str) -> str:
    """Text as Twilio may have stored it: smart encoding turns curly quotes and dashes into plain ones."""
    return " ".join(text.translate(_SMART).split())


def _int_or_none(value: object) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a Retry-After header (a number of seconds or an HTTP date), if there is one."""
    if not headers:
        return None
    value = next((str(v).strip() for k, v in headers.items() if k.lower() == "retry-after"), None)
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None
