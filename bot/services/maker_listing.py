"""A maker's listing by SMS: pausing and resuming, the capabilities they list, and alerts on or off."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from bot import texts
from bot.db import saved_id
from bot.models import MakerCapability, MakerStatus
from bot.services import makers as maker_service
from bot.services.inbox_parts import InboxParts
from bot.services.replies import Reply


class ListingEdits(InboxParts):
    """The inbox's listing commands."""

    def pause(self, reply: Reply) -> None:
        assert self.maker is not None
        self.maker.status = MakerStatus.PAUSED.value
        self.maker.updated_at = self.now
        if reply.days:
            until = self.now + timedelta(days=reply.days)
            self.maker.paused_until = until
            local = until.astimezone(self.zone)
            self.reply(texts.SMS_PAUSED_UNTIL.format(date=f"{local:%a %b} {local.day}"))
        else:
            self.maker.paused_until = None
            self.reply(texts.SMS_PAUSED)

    def resume(self, _reply: Reply) -> None:
        assert self.maker is not None
        if self.maker.status == MakerStatus.ACTIVE:
            self.reply(texts.SMS_NOT_PAUSED)
            return
        self.maker.status = MakerStatus.ACTIVE.value
        self.maker.paused_until = None
        self.maker.updated_at = self.now
        self.reply(texts.SMS_RESUMED)

    def capabilities(self) -> list[MakerCapability]:
        assert self.maker is not None
        return list(
            self.session.exec(
                select(MakerCapability)
                .where(MakerCapability.maker_id == self.maker.id)
                .order_by(col(MakerCapability.position), col(MakerCapability.id))
            ).all()
        )

    def _caps_line(self) -> str:
        caps = self.capabilities()
        if not caps:
            return texts.SMS_CAPS_EMPTY
        listed = ", ".join(texts.SMS_CAPS_LINE.format(n=n, phrase=c.phrase) for n, c in enumerate(caps, 1))
        return texts.SMS_CAPS.format(caps=listed)

    def show_caps(self, _reply: Reply) -> None:
        self.reply(self._caps_line())

    def add_caps(self, reply: Reply) -> None:
        assert self.maker is not None
        phrases = [p[: maker_service.MAX_CAPABILITY] for p in reply.phrases if p.strip()]
        if not phrases:
            self.reply(texts.SMS_CAPS_NEED_ITEMS)
            return
        current = self.capabilities()
        have = {c.phrase.casefold() for c in current}
        new = [p for p in dict.fromkeys(phrases) if p.casefold() not in have]
        if not new:
            self.reply(texts.SMS_CAPS_ALREADY.format(phrases="; ".join(phrases)))
            return
        if len(current) + len(new) > maker_service.MAX_CAPABILITIES:
            self.reply(texts.SMS_CAPS_TOO_MANY.format(limit=maker_service.MAX_CAPABILITIES))
            return
        position = max((c.position for c in current), default=-1)
        for phrase in new:
            position += 1
            self.session.add(
                MakerCapability(
                    maker_id=saved_id(self.maker),
                    position=position,
                    phrase=phrase,
                    concepts=maker_service.capability_concepts(self.taxonomy, phrase),
                )
            )
        self.maker.updated_at = self.now
        self.reply(texts.SMS_CAPS_ADDED.format(added="; ".join(new), understood=self.understood(new)).strip())

    def remove_caps(self, reply: Reply) -> None:
        caps = self.capabilities()
        target: MakerCapability | None = None
        wanted = reply.phrases[0] if reply.phrases else ""
        if reply.number is not None and 1 <= reply.number <= len(caps):
            target = caps[reply.number - 1]
        elif wanted:
            folded = wanted.casefold()
            exact: list[MakerCapability | None] = [c for c in caps if c.phrase.casefold() == folded]
            partial: list[MakerCapability | None] = [c for c in caps if folded in c.phrase.casefold()]
            target = (exact or (partial if len(partial) == 1 else [None]))[0]
        if target is None:
            what = wanted or (str(reply.number) if reply.number is not None else "")
            self.reply(texts.SMS_CAPS_NOT_FOUND.format(what=what, caps=self._caps_line()))
            return
        self.session.delete(target)
        assert self.maker is not None
        self.maker.updated_at = self.now
        self.reply(texts.SMS_CAPS_REMOVED.format(phrase=target.phrase))

    def alerts(self, reply: Reply) -> None:
        assert self.maker is not None
        self.maker.alerts_opt_out = reply.kind == "alerts_off"
        self.maker.updated_at = self.now
        self.reply(texts.SMS_ALERTS_OFF if self.maker.alerts_opt_out else texts.SMS_ALERTS_ON)
