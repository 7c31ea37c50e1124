"""A claimed row as its sender is handed it: buttons decoded, the provider id of the message it edits, and what an
uncertain retry needs to ask the provider whether the message went out already."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta

import sqlalchemy as sa

from bot.db import table_of
from bot.models import MessageStatus, OutboundMessage, as_utc
from bot.outbox.screening import Due, same_channel
from bot.outbox.senders import UNCERTAIN_CODES, Outgoing

KNOWN_IDS_MARGIN = timedelta(minutes=15)
_TABLE = table_of(OutboundMessage)


def edited_provider_ids(connection: sa.Connection, rows: Sequence[Due]) -> dict[int, str]:
    """The provider ids of the messages that `rows` edit, where those were sent."""
    wanted = {row.edit_of for row in rows if row.edit_of is not None}
    if not wanted:
        return {}
    m = _TABLE.c
    query = sa.select(m.id, m.provider_id).where(m.id.in_(wanted), m.provider_id.is_not(None))
    return {message_id: provider_id for message_id, provider_id in connection.execute(query)}


def known_provider_ids(connection: sa.Connection, channel: str, rows: Sequence[Due]) -> dict[str, frozenset[str]]:
    """For the addresses of uncertain rows: provider ids recorded since the earliest of those attempts."""
    uncertain = [row for row in rows if row.status != MessageStatus.QUEUED and is_uncertain(row)]
    if not uncertain:
        return {}
    since = min(as_utc(row.attempted_at or row.updated_at) for row in uncertain) - KNOWN_IDS_MARGIN
    m = _TABLE.c
    query = sa.select(m.address, m.provider_id).where(
        same_channel(m.channel, channel),
        m.address.in_({row.address for row in uncertain}),
        m.provider_id.is_not(None),
        m.sent_at >= since,
    )
    found: dict[str, set[str]] = {}
    for address, provider_id in connection.execute(query):
        found.setdefault(address, set()).add(provider_id)
    return {address: frozenset(ids) for address, ids in found.items()}


def as_outgoing(
    row: Due, edited: Mapping[int, str] | None = None, known: Mapping[str, frozenset[str]] | None = None
) -> Outgoing:
    buttons = None
    if row.buttons:
        buttons = [[(label, data) for label, data in line] for line in json.loads(row.buttons)]
    uncertain = row.status != MessageStatus.QUEUED and is_uncertain(row)  # most are queued: the short way first
    return Outgoing(
        id=row.id or 0,
        channel=row.channel,
        address=row.address,
        text=row.text,
        buttons=buttons,
        purpose=row.purpose,
        attempt=row.attempts + 1,
        edit_of=(edited or {}).get(row.edit_of) if row.edit_of is not None else None,
        uncertain_since=as_utc(row.attempted_at or row.updated_at) if uncertain else None,
        known_provider_ids=(known or {}).get(row.address, frozenset()) if uncertain else frozenset(),
        media_key=row.media_key,
        media_as_link=bool(row.media_as_link),
    )


def is_uncertain(row: Due) -> bool:
    """Claimed back from a dead sender (still "sending"), or after an error that leaves the outcome open."""
    if row.status == MessageStatus.SENDING:
        return True
    return row.status == MessageStatus.ERRORED and row.error_code in UNCERTAIN_CODES
