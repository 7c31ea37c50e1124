"""The durable outbound queue: services enqueue in their own transaction; dispatchers send through senders.

Every message makerlink sends is an OutboundMessage row first. `enqueue` (enqueuing.py) is all a service needs;
a `Dispatcher` (dispatcher.py) claims due rows under a lease (bot/leases.py), lets through what may go now
(screening.py), paces them to the channel's rate (policy.py), sends each batch (batch.py) through the injected
`Sender` of its channel (senders.py) and records the outcome; providers' delivery reports and listings are
in reports.py. The package imports no channel: senders are handed in by the bootstrap.
"""

from bot.outbox.dispatcher import LISTEN_WAIT_SECONDS, Dispatcher, RecipientGoneHook
from bot.outbox.enqueuing import (
    OPT_OUT_CONFIRMATION,
    SEGMENTED_CHANNELS,
    WAKE_CHANNEL,
    enqueue,
    requeue_failed,
    text_hash,
    wake_dispatchers,
)
from bot.outbox.policy import ChannelPolicy, parse_quiet_hours, quiet_until
from bot.outbox.reports import PROVIDER_STATUS, list_messages, message_dict, record_status
from bot.outbox.screening import LOOP_GUARD_LIMIT, LOOP_GUARD_WINDOW
from bot.outbox.senders import EDITED_LATER, UNCERTAIN_CODES, Outgoing, Sender, SendError, SendResult

__all__ = [
    "EDITED_LATER",
    "LISTEN_WAIT_SECONDS",
    "LOOP_GUARD_LIMIT",
    "LOOP_GUARD_WINDOW",
    "OPT_OUT_CONFIRMATION",
    "PROVIDER_STATUS",
    "SEGMENTED_CHANNELS",
    "UNCERTAIN_CODES",
    "WAKE_CHANNEL",
    "ChannelPolicy",
    "Dispatcher",
    "Outgoing",
    "RecipientGoneHook",
    "SendError",
    "SendResult",
    "Sender",
    "enqueue",
    "list_messages",
    "message_dict",
    "parse_quiet_hours",
    "quiet_until",
    "record_status",
    "requeue_failed",
    "text_hash",
    "wake_dispatchers",
]
