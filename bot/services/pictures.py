"""Pictures kept with requests and with makers' answers: the rows that link a stored file (bot/media.py) to what
it belongs to, how a picture goes to a maker (MMS or a link), and the retention that prunes old ones."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import outbox
from bot.locales import catalogue
from bot.media import MediaStore, Stored
from bot.models import Invitation, Maker, Media, Request
from bot.services.orders import OPEN_INVITATION

MAX_PER_REQUEST = 5  # pictures one request keeps; more are refused with one sentence
ORPHAN_GRACE = timedelta(days=1)  # a file no row names (its transaction rolled back) is deleted after this long
log = logging.getLogger(__name__)


def for_request(session: Session, request_id: int | None) -> list[Media]:
    """The buyer's pictures of a request, oldest first."""
    if request_id is None:
        return []
    query = select(Media).where(Media.request_id == request_id, Media.sender == "buyer").order_by(col(Media.id))
    return list(session.exec(query).all())


def count_for_request(session: Session, request_id: int | None) -> int:
    return len(for_request(session, request_id))


def _media(stored: Stored, sender: str, now: datetime, **links: int | None) -> Media:
    """The row of a kept file: what it is, who sent it, and the request (and answer) it belongs to."""
    return Media(
        key=stored.key, content_type=stored.content_type, size=stored.size, sender=sender, created_at=now, **links
    )


def attach_to_request(session: Session, request: Request, stored: Stored, now: datetime) -> Media | None:
    """Keep a buyer's picture with their request; None when the request already has it (the same file again)."""
    already = for_request(session, request.id)
    if any(media.key == stored.key for media in already):
        return None
    media = _media(stored, "buyer", now, request_id=request.id)
    session.add(media)
    session.flush()
    return media


def attach_to_answer(session: Session, invitation: Invitation, stored: Stored, now: datetime) -> Media:
    """Keep a maker's picture with their answer to a request."""
    media = _media(stored, "maker", now, request_id=invitation.request_id, invitation_id=invitation.id)
    session.add(media)
    session.flush()
    return media


def takes_mms(maker: Maker) -> bool:
    """MMS reaches US numbers (Twilio sends MMS within the US and Canada); the flag goes off after one failed."""
    return maker.mms and maker.phone.startswith("+1")


def how_to_send(maker: Maker, media: Media) -> tuple[str, bool]:
    """(media key, as a link?): an image as MMS where the maker's number takes it; a PDF always as a link, since
    carriers pass PDFs by MMS unreliably."""
    inline = media.content_type.startswith("image/") and takes_mms(maker)
    return media.key, not inline


def first_picture(session: Session, request: Request) -> Media | None:
    found = for_request(session, request.id)
    return found[0] if found else None


def send_to_invited(session: Session, request: Request, media: Media, now: datetime) -> int:
    """A picture added to a request already sent: to each maker still asked (or making it); how many were sent it.
    In the bulk lane, as invitations are: quiet hours hold it."""
    rows = session.exec(
        select(Invitation, Maker)
        .join(Maker, col(Maker.id) == col(Invitation.maker_id))
        .where(Invitation.request_id == request.id, col(Invitation.status).in_(OPEN_INVITATION))
        .order_by(col(Invitation.rank))
    ).all()
    for invitation, maker in rows:
        key, as_link = how_to_send(maker, media)
        outbox.enqueue(
            session,
            channel="sms",
            address=maker.phone,
            text=catalogue(maker.language).SMS_PICTURE_ADDED.format(code=request.code),
            purpose="picture",
            key=f"picture:{media.id}:{invitation.id}",
            lane="bulk",
            maker_id=maker.id,
            request_id=request.id,
            timezone=maker.timezone,
            now=now,
            media_key=key,
            media_as_link=as_link,
        )
    return len(rows)


def mms_failed(session: Session, maker_id: int | None) -> None:
    """An MMS to this maker failed as MMS: pictures go to them as links from now on."""
    maker = session.get(Maker, maker_id) if maker_id is not None else None
    if maker is not None and maker.mms:
        maker.mms = False
        log.info("pictures: maker %s gets pictures as links from now on (an MMS failed)", maker.id)


def prune(session: Session, store: MediaStore, now: datetime, retention: timedelta) -> int:
    """Forget pictures older than `retention` and delete the files no row names any more; how many files went."""
    cutoff = now - retention
    session.execute(sa.delete(Media).where(col(Media.created_at) < cutoff))
    session.flush()
    kept = set(session.exec(select(Media.key).distinct()).all())
    deleted = 0
    for key in store.stored_keys():
        if key in kept:
            continue
        if not _older_than(store, key, now - ORPHAN_GRACE):
            continue
        store.delete(key)
        deleted += 1
    if deleted:
        log.info("pictures: %s files past retention deleted", deleted)
    return deleted


def _older_than(store: MediaStore, key: str, moment: datetime) -> bool:
    try:
        modified = (store.root / key).stat().st_mtime
    except OSError:
        return False
    return modified < moment.timestamp()


def keys_of(media: Sequence[Media]) -> list[str]:
    return [item.key for item in media]
