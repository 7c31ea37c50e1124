"""The organisers' commands in the chat: /stats, /maker <phone or name>, /pause <maker>.

Only the Telegram user ids in MAKERLINK_ADMIN_TELEGRAM_IDS may use them; anyone else gets a polite refusal.
Every action is recorded in admin_action (who, what, when).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, func, select

from bot import outbox, texts
from bot.models import AdminAction, Maker, MakerCapability
from bot.phones import to_e164
from bot.services import makers as maker_service
from bot.services import stats

COMMANDS = ("stats", "maker", "pause")
MAX_LISTED = 5


def find_makers(session: Session, query: str) -> list[Maker]:
    """By phone number (any common form) or by a part of the name."""
    query = query.strip()
    if not query:
        return []
    phone = to_e164(query)
    if phone:
        found = session.exec(select(Maker).where(Maker.phone == phone)).all()
        if found:
            return list(found)
    pattern = f"%{query.lower()}%"
    return list(session.exec(select(Maker).where(func.lower(Maker.name).like(pattern)).order_by(Maker.name)).all())


def maker_card(session: Session, maker: Maker) -> str:
    caps = session.exec(
        select(MakerCapability.phrase).where(MakerCapability.maker_id == maker.id).order_by(MakerCapability.position)
    ).all()
    score = maker_service.responsiveness(maker)
    rating = f"{maker.rating_sum / maker.rating_count:.1f}/5" if maker.rating_count else texts.STATS_NONE
    return texts.ADMIN_MAKER_CARD.format(
        name=maker.name,
        phone=maker.phone,
        zip=maker.zip,
        status=maker.status,
        alerts=texts.ADMIN_ALERTS_OFF if maker.alerts_opt_out else "",
        caps="; ".join(caps) or texts.STATS_NONE,
        invited=maker.invited_count,
        replied=maker.replied_count,
        yes=maker.yes_count,
        delivered=maker.delivered_count,
        on_time=maker.on_time_count,
        rating=rating,
        score=f"{score:.2f}" if score is not None else texts.STATS_NONE,
    )


def handle(session: Session, admin_ids: tuple[int, ...], user_id: int, command: str, args: str, now: datetime):
    """The reply text for an organiser's command, or the refusal; None if `command` is not one of these."""
    if command not in COMMANDS:
        return None
    if user_id not in admin_ids:
        return texts.ADMIN_REFUSED
    actor = f"telegram:{user_id}"
    session.add(AdminAction(actor=actor, action=command, detail=args[:1000], created_at=now))
    if command == "stats":
        return texts.stats_text(stats.collect_in(session))
    found = find_makers(session, args)
    if not args.strip():
        return texts.ADMIN_MAKER_USAGE.format(command=command)
    if not found:
        return texts.ADMIN_MAKER_NONE.format(query=args.strip()[:60])
    if len(found) > 1:
        names = "; ".join(f"{m.name} ({m.phone})" for m in found[:MAX_LISTED])
        return texts.ADMIN_MAKER_MANY.format(count=len(found), names=names)
    maker = found[0]
    if command == "maker":
        return maker_card(session, maker)
    if maker.status == "paused":
        return texts.ADMIN_ALREADY_PAUSED.format(name=maker.name)
    if maker.status == "stopped":
        return texts.ADMIN_STOPPED.format(name=maker.name)
    maker.status, maker.paused_until, maker.updated_at = "paused", None, now
    outbox.enqueue(
        session,
        channel="sms",
        address=maker.phone,
        text=texts.SMS_PAUSED_BY_ORGANISERS,
        purpose="admin_pause",
        key=f"admin-pause:{maker.id}:{int(now.timestamp())}",
        maker_id=maker.id,
        now=now,
    )
    return texts.ADMIN_PAUSED.format(name=maker.name)
