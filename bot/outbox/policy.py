"""How a channel may be used: its pace, its concurrency, and the quiet hours that hold its bulk messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ChannelPolicy:
    """How one channel may be used."""

    per_second: float | None = None  # units per second across every dispatcher; None = as fast as the sender goes
    quiet_hours: tuple[clock_time, clock_time] | None = None  # recipient's local time; holds the bulk lane only
    concurrency: int = 1  # sends in flight at once in one process
    per_address_interval: float = 0.0  # seconds between two sends to one address (Telegram: 1 per chat per second)


def parse_quiet_hours(value: str) -> tuple[clock_time, clock_time] | None:
    """ "21:00-08:00" → (21:00, 08:00); "" → None. The settings have already checked the form."""
    if not value:
        return None
    start, end = (clock_time.fromisoformat(part.zfill(5)) for part in value.split("-"))
    return None if start == end else (start, end)


def quiet_until(now: datetime, zone: ZoneInfo, quiet: tuple[clock_time, clock_time]) -> datetime | None:
    """When quiet hours end for someone in `zone`, or None when it is not quiet there now."""
    local = now.astimezone(zone)
    start, end = quiet
    clock = local.time()
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    end_today = datetime.combine(local.date(), end, tzinfo=zone)
    ends = end_today if end_today > local else datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return ends.astimezone(UTC)
