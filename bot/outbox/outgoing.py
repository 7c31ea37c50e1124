"""A claimed row as its sender is handed it: buttons decoded, the provider id of the message it edits, and what an
uncertain retry needs to ask the provider whether the message went out already."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta

from sqlmodel import Session, col, select

from bot.models import MessageStatus, OutboundMessage, as_utc
from bot.outbox.screening import Due
from bot.outbox.senders import UNCERTAIN_CODES, Outgoing

KNOWN_IDS_MARGIN = timedelta(minutes=15)


def edited_provider_ids(session: Session, rows: Sequence[Due]) -> dict[int, str]:
    """The provider ids of the messages that `rows` edit, where those were sent."""
    wanted = {row.edit_of for row in rows if row.edit_of is not None}
    if not wanted:
        return {}
    m = OutboundMessage
    found = session.exec(
        select(col(m.id), col(m.provider_id)).where(col(m.id).in_(wanted), col(m.provider_id).is_not(None))
    ).all()
    return {
        message_id: provider_id
        for message_id, provider_id in found
        if message_id is not None and provider_id is not None  # as the query says: for mypy
    }


def known_provider_ids(session: Session, channel: str, rows: Sequence[Due]) -> dict[str, frozenset[str]]:
    """For the addresses of uncertain rows: provider ids recorded since the earliest of those attempts."""
    uncertain = [row for row in rows if is_uncertain(row)]
    if not uncertain:
        return {}
    since = min(as_utc(row.attempted_at or row.updated_at) for row in uncertain) - KNOWN_IDS_MARGIN
    m = OutboundMessage
    found: dict[str, set[str]] = {}
    for address, provider_id in session.exec(
        select(m.address, col(m.provider_id)).where(
            m.channel == channel,
            col(m.address).in_({row.address for row in uncertain}),
            col(m.provider_id).is_not(None),
            col(m.sent_at) >= since,
        )
    ).all():
        if provider_id is not None:  # as the query says: for mypy
            found.setdefault(address, set()).add(provider_id)
    return {address: frozenset(ids) for address, ids in found.items()}


def as_outgoing(
    row: Due, edited: Mapping[int, str] | None = None, known: Mapping[str, frozenset[str]] | None = None
) -> Outgoing:
    buttons = None
    if row.buttons:
        buttons = [[(label, data) for label, data in line] for line in json.loads(row.buttons)]
    return Outgoing(
        id=row.id or 0,
        channel=row.channel,
        address=row.address,
        text=row.text,
        buttons=buttons,
        purpose=row.purpose,
        attempt=row.attempts + 1,
        edit_of=(edited or {}).get(row.edit_of) if row.edit_of is not None else None,
        uncertain_since=as_utc(row.attempted_at or row.updated_at) if is_uncertain(row) else None,
        known_provider_ids=(known or {}).get(row.address, frozenset()) if is_uncertain(row) else frozenset(),
    )


def is_uncertain(row: Due) -> bool:
    """Claimed back from a dead sender (still "sending"), or after an error that leaves the outcome open."""
    if row.status == MessageStatus.SENDING:
        return True
    return row.status == MessageStatus.ERRORED and row.error_code in UNCERTAIN_CODES
