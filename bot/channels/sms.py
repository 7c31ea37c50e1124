"""The SMS channel's receiving side: Twilio's webhooks for incoming texts and delivery reports.

Each post is checked against its X-Twilio-Signature, de-duplicated on MessageSid (Twilio retries), acted on
in one transaction, and answered only after that commit — with empty TwiML, since every reply goes through
the outbox. A bad message is answered, logged and kept; it never becomes a 500.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import sqlalchemy as sa
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from twilio.request_validator import RequestValidator

from bot import media, outbox
from bot.channels.inbound import BodyTooLarge, Inbound, read_capped, receive
from bot.channels.mms import MmsFetcher
from bot.config import DEFAULT_TIMEZONE
from bot.db import Database
from bot.models import OutboundMessage, utcnow
from bot.phones import masked
from bot.services import pictures, sms_inbox
from bot.services.followups import FollowUpPolicy
from matching.taxonomy import Taxonomy

CHANNEL = sms_inbox.CHANNEL
MAX_BODY_BYTES = 64 * 1024  # an SMS is at most 1,600 characters; Twilio's whole form stays far below this
MAX_TEXT = 5000
# Delivery errors that mean the MMS as such could not be taken (content too large for the carrier, media not
# fetched by Twilio, a type it would not send): https://www.twilio.com/docs/api/errors
MMS_FAILED = {"30019", "11200", "12300"}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
log = logging.getLogger(__name__)


def _field(form: ImmutableMultiDict, *names: str, limit: int) -> str:
    """The first of `names` present, trimmed, without NUL characters (PostgreSQL refuses them)."""
    for name in names:
        value = (form.get(name) or "").replace("\x00", "").strip()
        if value:
            return value[:limit]
    return ""


def _port_variants(url: str) -> list[str]:
    """Twilio may sign with or without the default port in the URL; accept either."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    variants = [url]
    if parts.port is None and default:
        variants.append(urlunsplit(parts._replace(netloc=f"{parts.netloc}:{default}")))
    elif parts.port == default:
        netloc = parts.netloc.rsplit(":", 1)[0] if host else parts.netloc
        variants.append(urlunsplit(parts._replace(netloc=netloc)))
    return variants


@dataclass
class TwilioWebhooks:
    """The two Twilio endpoints, bound to one database and auth token."""

    db: Database
    taxonomy: Taxonomy
    auth_token: str
    public_url: str
    default_timezone: str = DEFAULT_TIMEZONE  # the bootstrap passes MAKERLINK_TIMEZONE
    clock: Callable[[], datetime] = utcnow
    on_enqueued: Callable[[], None] | None = None  # wakes the dispatcher after a commit
    followups: FollowUpPolicy | None = None
    admin_ids: tuple[int, ...] = ()
    mms: MmsFetcher | None = None  # fetches and keeps an MMS's pictures; without it they are dropped

    def __post_init__(self) -> None:
        self._validator = RequestValidator(self.auth_token)

    # ── checking ──

    def signed_url(self, request: Request) -> str:
        query = request.url.query
        return self.public_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")

    def signature_ok(self, request: Request, form: ImmutableMultiDict) -> bool:
        given = request.headers.get("x-twilio-signature", "")
        if not given:
            return False
        good = False
        for url in _port_variants(self.signed_url(request)):
            expected = self._validator.compute_signature(url, form)
            # Constant time, and every variant checked, so timing says nothing about which part differed.
            good |= hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))
        return good

    async def _form(self, request: Request) -> ImmutableMultiDict | Response:
        try:
            body = await read_capped(request, MAX_BODY_BYTES)
        except BodyTooLarge:
            log.warning("twilio: refused a %s post over %s bytes", request.url.path, MAX_BODY_BYTES)
            return PlainTextResponse("Request body too large.", status_code=413)
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")
        form = ImmutableMultiDict(pairs)
        if not self.signature_ok(request, form):
            log.warning("twilio: refused a %s post with a missing or wrong signature", request.url.path)
            return PlainTextResponse("Invalid signature.", status_code=403)
        return form

    # ── POST /twilio/sms ──

    async def sms(self, request: Request) -> Response:
        form = await self._form(request)
        if isinstance(form, Response):
            return form
        sid = _field(form, "MessageSid", "SmsSid", limit=64)
        sender = _field(form, "From", limit=64)
        if not sid or not sender:
            log.warning("twilio: a signed SMS post without MessageSid or From was ignored")
            return PlainTextResponse("MessageSid and From are required.", status_code=400)
        text = (form.get("Body") or "").replace("\x00", "")[:MAX_TEXT]
        opt_out_type = _field(form, "OptOutType", limit=16)
        pictures: tuple[media.Stored, ...] = ()
        refused: media.Refused | None = None
        if self.mms is not None and _field(form, "NumMedia", limit=4) not in ("", "0"):
            # Fetched before the transaction: a picture that cannot be had never holds up, nor loses, the words.
            pictures, refused = await run_in_threadpool(self.mms.fetch_all, form)
        try:
            fresh = await run_in_threadpool(self._receive, sid, sender, text, opt_out_type, pictures, refused)
        except sa.exc.OperationalError:
            log.exception("twilio: the database is unavailable; SMS %s not handled", sid)
            return PlainTextResponse("Temporarily unavailable.", status_code=503)
        if fresh and self.on_enqueued is not None:
            self.on_enqueued()
        return Response(EMPTY_TWIML, media_type="text/xml")

    def _receive(
        self,
        sid: str,
        sender: str,
        text: str,
        opt_out_type: str | None,
        pictures: tuple[media.Stored, ...] = (),
        refused: media.Refused | None = None,
    ) -> bool:
        """Record and act on one SMS; False when Twilio sent it before (nothing done twice)."""
        now = self.clock()
        label = f"twilio: SMS {sid} from {masked(sender)}"
        message = Inbound(CHANNEL, sid, sender, text, reply_to=sender, label=label)

        def act(session: Session) -> None:
            sms_inbox.handle_sms(
                session,
                self.taxonomy,
                phone=sender,
                text=text,
                message_id=sid,
                now=now,
                opt_out_type=opt_out_type,
                default_timezone=self.default_timezone,
                followups=self.followups,
                admin_ids=self.admin_ids,
                pictures=pictures,
                picture_refused=refused,
            )

        receipt = receive(self.db, message, now, act)
        if receipt.handled:
            log.info("%s handled", label)
        return receipt.recorded

    def _again_with_a_link(self, session: Session, sid: str) -> None:
        """An MMS the carrier could not take: the maker gets pictures as links from now on, this one included."""
        message = session.exec(select(OutboundMessage).where(col(OutboundMessage.provider_id) == sid)).first()
        if message is None or message.media_key is None or message.media_as_link:
            return
        pictures.mms_failed(session, message.maker_id)
        outbox.enqueue(
            session,
            channel=CHANNEL,
            address=message.address,
            text=message.text,
            purpose=message.purpose,
            key=f"mms-as-link:{message.id}",
            lane=message.lane,
            maker_id=message.maker_id,
            request_id=message.request_id,
            timezone=message.timezone,
            now=self.clock(),
            media_key=message.media_key,
            media_as_link=True,
        )
        log.info("twilio: MMS %s failed as MMS; sent again with a link", sid)

    # ── POST /twilio/status ──

    async def status(self, request: Request) -> Response:
        form = await self._form(request)
        if isinstance(form, Response):
            return form
        sid = _field(form, "MessageSid", "SmsSid", limit=64)
        status = _field(form, "MessageStatus", "SmsStatus", limit=32)
        if not sid or not status:
            return PlainTextResponse("MessageSid and MessageStatus are required.", status_code=400)
        error_code = _field(form, "ErrorCode", limit=32) or None
        try:
            await run_in_threadpool(self._status, sid, status, error_code)
        except sa.exc.OperationalError:
            log.exception("twilio: the database is unavailable; status of %s not recorded", sid)
            return PlainTextResponse("Temporarily unavailable.", status_code=503)
        return Response(EMPTY_TWIML, media_type="text/xml")

    def _status(self, sid: str, status: str, error_code: str | None) -> None:
        with self.db.transaction() as session:
            changed = outbox.record_status(session, CHANNEL, sid, status, error_code, self.clock())
            if error_code == "21610":
                address = session.execute(
                    sa.select(col(OutboundMessage.address)).where(col(OutboundMessage.provider_id) == sid)
                ).scalar()
                if address:
                    sms_inbox.mark_unreachable(session, CHANNEL, address, error_code)
            if error_code in MMS_FAILED:
                self._again_with_a_link(session, sid)
        log.info("twilio: status %s for %s%s", status, sid, "" if changed else " (no change)")
