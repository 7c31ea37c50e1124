"""The organisers' commands in the chat: /stats, /maker <phone or name>, /pause <maker>, /console (a one-time
link to the web console), and the guided /broadcast.

Only the Telegram user ids in MAKERLINK_ADMIN_TELEGRAM_IDS may use them; anyone else gets a polite refusal.
Every action is recorded in admin_action (who, what, when).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from bot import texts
from bot.db import saved_id
from bot.models import AdminAction, Broadcast, BroadcastStatus, Maker, MakerCapability
from bot.phones import to_e164
from bot.services import broadcasts, console_access, impact, maker_admin, stats
from bot.services import makers as maker_service
from bot.services.chat import ChatConfig, ChatParts
from bot.services.conversations import ConversationStore, Flow
from bot.services.request_admin import NotAllowed
from matching import geo
from matching.taxonomy import Taxonomy

COMMANDS = ("stats", "maker", "pause", "console")
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
        select(MakerCapability.phrase)
        .where(MakerCapability.maker_id == maker.id)
        .order_by(col(MakerCapability.position))
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


def handle(
    session: Session, config: ChatConfig, taxonomy: Taxonomy, user_id: int, command: str, args: str, now: datetime
) -> str | None:
    """The reply text for an organiser's command, or the refusal; None if `command` is not one of these."""
    if command not in COMMANDS:
        return None
    if user_id not in config.admin_ids:
        return texts.ADMIN_REFUSED
    actor = f"telegram:{user_id}"
    session.add(AdminAction(actor=actor, action=command, detail=args[:1000], created_at=now))
    if command == "stats":
        return f"{texts.stats_text(stats.collect_in(session))}\n\n{impact_this_month(session, config, taxonomy, now)}"
    if command == "console":
        return console_link(session, config.console, user_id, now)
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
    try:
        maker_admin.pause(session, maker, now)
    except NotAllowed as refusal:
        return str(refusal)
    return texts.ADMIN_PAUSED.format(name=maker.name)


def console_link(session: Session, console: console_access.ConsoleLinks | None, user_id: int, now: datetime) -> str:
    """A one-time link to the web console, or why there is none."""
    if console is None or console.signer is None:
        return texts.ADMIN_CONSOLE_OFF
    if console.public_url is None:
        return texts.ADMIN_CONSOLE_NO_URL
    url = console_access.issue_link(session, console, user_id, now)
    return texts.ADMIN_CONSOLE_LINK.format(url=url, minutes=int(console_access.LINK_LIFETIME.total_seconds() // 60))


def impact_this_month(session: Session, config: ChatConfig, taxonomy: Taxonomy, now: datetime) -> str:
    """The local impact of the orders accepted this month (MAKERLINK_TIMEZONE), for /stats."""
    basis = impact.Basis(taxonomy, config.timezone, config.import_route, config.emission_factors)
    month = basis.this_month(now)
    figures = impact.collect_in(session, basis, since=month)
    return texts.impact_text(figures, texts.IMPACT_HEADING_MONTH.format(month=f"{month:%B %Y}"))


# ── the guided /broadcast ──

_ZIP_AND_RADIUS = re.compile(r"^\s*(\d{5})(?:[\s,]+(\d{1,4}(?:\.\d+)?)\s*(?:mi|miles?)?)?\s*$", re.IGNORECASE)


class BroadcastWizard:
    """Asks who (makers, buyers, everyone), what they can do, where, and the text; shows the preview with Send and
    Cancel buttons; on Send queues it and a progress line that the workers keep editing (broadcasts.update_progress).

    `chat` is the organiser's BuyerChat: the wizard speaks through it. Its state is a conversation of its own
    (flow "broadcast"), so an organiser who is also buying keeps their request conversation intact.
    """

    def __init__(self, chat: ChatParts, price_per_segment: float) -> None:
        self.chat = chat
        self.price = price_per_segment
        self.actor = f"telegram:{chat.event.user_id}"
        self.conversation = ConversationStore(
            chat.session, Flow.BROADCAST, chat.buyer.channel, str(chat.buyer.chat_id), chat.now
        )

    @property
    def allowed(self) -> bool:
        return self.chat.event.user_id in self.chat.config.admin_ids

    # ── state ──

    def state(self) -> dict[str, Any] | None:
        """What the wizard has gathered so far, with the step it is at; None when no broadcast is being composed."""
        found = self.conversation.get() if self.allowed else None
        return {**found.data, "step": found.state} if found is not None else None

    def _remember(self, data: dict[str, Any], step: str) -> None:
        self.conversation.remember(step, {k: v for k, v in data.items() if k != "step"})

    def _forget(self) -> None:
        self.conversation.forget()

    # ── what the organiser does ──

    def start(self, text: str) -> None:
        if not self.allowed:
            self.chat.say(texts.ADMIN_REFUSED)
            return
        self._drop_draft(self.state())  # a /broadcast in the middle of another starts afresh
        self._remember({"text": text.strip() or None}, "to")
        self._ask_to()

    def on_text(self, text: str, data: dict[str, Any]) -> None:
        step = data.get("step")
        if step == "to":
            self._ask_to()
        elif step == "capability":
            self._next(data, capability=" ".join(text.split())[:100] or None)
        elif step == "zip":
            found = _ZIP_AND_RADIUS.match(text)
            if not found or geo.lookup_zip(found.group(1)) is None:
                self.chat.say(texts.ADMIN_BC_BAD_ZIP.format(text=text.strip()[:40]), self._anywhere())
                return
            radius = float(found.group(2)) if found.group(2) else None
            if radius is not None and not 0 < radius <= 3000:
                radius = None
            self._next(data, zip=found.group(1), radius_miles=radius)
        else:  # the text itself; at the preview, a new text replaces the old draft
            self._drop_draft(data)
            data.pop("broadcast_id", None)
            self._preview({**data, "text": text})

    def press(self, argument: str) -> str | None:
        """A button of the wizard; returns the toast to show, if any."""
        if not self.allowed:
            return texts.ADMIN_REFUSED
        action, _, value = argument.partition(":")
        if action == "send":
            return self._send(value)
        if action == "cancel":
            return self.cancel(int(value) if value.isdigit() else None)
        data = self.state()
        if data is None:
            return self.chat.t.BUYER_STALE_BUTTON
        if action == "to" and value in broadcasts.AUDIENCES and data.get("step") == "to":
            self._next({**data, "to": value})
        elif action == "cap" and data.get("step") == "capability":
            self._next(data, capability=None)
        elif action == "zip" and data.get("step") == "zip":
            self._next(data, zip=None, radius_miles=None)
        else:
            return self.chat.t.BUYER_STALE_BUTTON
        return None

    def cancel(self, broadcast_id: int | None = None) -> str | None:
        """Cancel (a button, or /cancel): the draft in progress, or the one whose preview was pressed."""
        if broadcast_id is not None:
            broadcast = broadcasts.lock_in(self.chat.session, broadcast_id)
            if broadcast is not None and broadcast.status in (BroadcastStatus.SENDING, BroadcastStatus.SENT):
                return texts.ADMIN_BC_ALREADY.format(id=broadcast_id)
            broadcasts.cancel_in(self.chat.session, broadcast_id, self.actor, self.chat.now)
        data = self.state()
        if data is not None and (broadcast_id is None or data.get("broadcast_id") in (None, broadcast_id)):
            self._drop_draft(data)
            self._forget()
        self.chat.say(texts.ADMIN_BC_CANCELLED)
        return None

    # ── steps ──

    def _next(self, data: dict[str, Any], **answer: Any) -> None:
        data = {**data, **answer}
        if data["step"] == "to" and data["to"] != "buyers":
            self._remember(data, "capability")
            self.chat.say(texts.ADMIN_BC_ASK_CAPABILITY, [[(texts.ADMIN_BC_BUTTON_ANY, "bc:cap")], self._cancel()])
        elif data["step"] in ("to", "capability"):
            self._remember(data, "zip")
            self.chat.say(texts.ADMIN_BC_ASK_ZIP, self._anywhere())
        elif data.get("text"):
            self._preview(data)
        else:
            self._remember(data, "text")
            self.chat.say(texts.ADMIN_BC_ASK_TEXT, [self._cancel()])

    def _preview(self, data: dict[str, Any]) -> None:
        who = broadcasts.Audience(
            to=data.get("to") or "makers",
            capability=data.get("capability"),
            zip=data.get("zip"),
            radius_miles=data.get("radius_miles"),
        )
        try:
            draft, preview = broadcasts.create_in(
                self.chat.session, self.chat.taxonomy, data["text"], who, self.actor, self.price, self.chat.now
            )
        except broadcasts.BroadcastProblem as problem:
            self._remember(data, "text")
            self.chat.say(texts.BROADCAST_PROBLEM.format(problem=problem), [self._cancel()])
            return
        if not preview.recipients:
            broadcasts.cancel_in(self.chat.session, saved_id(draft), self.actor, self.chat.now)
            self._forget()
            self.chat.say(texts.ADMIN_BC_NOBODY.format(id=draft.id, excluded=_excluded(preview)))
            return
        self._remember({**data, "broadcast_id": draft.id}, "preview")
        self._show(draft, preview, texts.ADMIN_BC_PREVIEW)

    def _show(self, draft: Broadcast, preview: broadcasts.Preview, template: str) -> None:
        summary = preview.as_dict()
        self.chat.say(
            template.format(
                id=draft.id,
                who=_describe(broadcasts.Audience.from_json(draft.audience)),
                text=draft.text,
                count=summary["recipients"],
                channels=", ".join(f"{n} by {c}" for c, n in summary["by_channel"].items()),
                excluded=_excluded(preview),
                sms=preview.sms_text(),
                cost=summary["estimated_cost_usd"],
                sample=", ".join(name for name in summary["sample"] if name) or "-",
            ),
            [
                [(texts.ADMIN_BC_BUTTON_SEND.format(count=summary["recipients"]), f"bc:send:{draft.id}")],
                [(texts.ADMIN_BC_BUTTON_CANCEL, f"bc:cancel:{draft.id}")],
            ],
        )

    def _send(self, value: str) -> str | None:
        if not value.isdigit():
            return self.chat.t.BUYER_STALE_BUTTON
        chat, broadcast_id = self.chat, int(value)
        broadcast = broadcasts.lock_in(chat.session, broadcast_id)
        if broadcast is None:
            return chat.t.BUYER_STALE_BUTTON
        if broadcast.status == BroadcastStatus.CANCELLED:
            return texts.ADMIN_BC_GONE
        if broadcast.status != BroadcastStatus.DRAFT:
            # Pressed twice, or by two organisers: the first press sent it, this one does nothing.
            return texts.ADMIN_BC_ALREADY.format(id=broadcast_id)
        try:
            broadcasts.confirm_in(
                chat.session, chat.taxonomy, broadcast_id, self.actor, chat.now, expect=broadcast.recipients
            )
        except broadcasts.AudienceChanged as changed:
            # Makers joined, stopped or moved since the preview: show the new numbers and ask again.
            broadcast.recipients = len(changed.preview.recipients)
            if not changed.preview.recipients:
                broadcasts.cancel_in(chat.session, broadcast_id, self.actor, chat.now)
                self._forget()
                chat.say(texts.ADMIN_BC_NOBODY.format(id=broadcast_id, excluded=_excluded(changed.preview)))
                return None
            self._show(broadcast, changed.preview, texts.ADMIN_BC_CHANGED)
            return None
        data = self.state()
        if data is not None and data.get("broadcast_id") == broadcast_id:
            self._forget()
        broadcasts.start_progress(
            chat.session, broadcast, chat.buyer.channel, str(chat.buyer.chat_id), chat.buyer.id, chat.now
        )
        return None

    # ── helpers ──

    def _drop_draft(self, data: dict[str, Any] | None) -> None:
        if data and data.get("broadcast_id"):
            broadcasts.cancel_in(self.chat.session, data["broadcast_id"], self.actor, self.chat.now)

    def _ask_to(self) -> None:
        self.chat.say(
            texts.ADMIN_BC_ASK_TO,
            [
                [
                    (texts.ADMIN_BC_BUTTON_MAKERS, "bc:to:makers"),
                    (texts.ADMIN_BC_BUTTON_BUYERS, "bc:to:buyers"),
                    (texts.ADMIN_BC_BUTTON_ALL, "bc:to:all"),
                ],
                self._cancel(),
            ],
        )

    @staticmethod
    def _cancel() -> list[tuple[str, str]]:
        return [(texts.ADMIN_BC_BUTTON_CANCEL, "bc:cancel")]

    def _anywhere(self) -> list[list[tuple[str, str]]]:
        return [[(texts.ADMIN_BC_BUTTON_ANYWHERE, "bc:zip")], self._cancel()]


def _excluded(preview: broadcasts.Preview) -> str:
    return ", ".join(f"{n} {why}" for why, n in preview.excluded.items()) or "none"


def _describe(who: broadcasts.Audience) -> str:
    text = texts.ADMIN_BC_WHO[who.to]
    if who.capability and who.to != "buyers":
        text += texts.ADMIN_BC_WHO_CAPABILITY.format(capability=who.capability)
    if who.zip:
        text += texts.ADMIN_BC_WHO_NEAR.format(radius=who.radius_miles or 50.0, zip=who.zip)
    return text
