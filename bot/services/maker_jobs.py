"""A maker's answers to jobs by SMS: a quote, a no, delivered, late, and the list of their open jobs."""

from __future__ import annotations

import statistics

from sqlmodel import col, select

from bot import texts
from bot.models import Invitation, MakerStatus, Request, as_utc
from bot.services import handlers, notices, pictures
from bot.services.inbox_parts import InboxParts
from bot.services.orders import (
    AWAITING,
    CLOSED_REQUEST,
    ENDED_INVITATION,
    OPEN_INVITATION,
    ORDERED,
    InvitationAnswered,
    InvitationStatus,
    OrderLate,
    QuoteReceived,
    move,
)
from bot.services.replies import Reply


class JobAnswers(InboxParts):
    """The inbox's answers to jobs."""

    # ── answering jobs ──

    def jobs(self, statuses: tuple[str, ...] = OPEN_INVITATION) -> list[tuple[Invitation, Request]]:
        assert self.maker is not None
        rows = self.session.exec(
            select(Invitation, Request)
            .join(Request, col(Request.id) == Invitation.request_id)
            .where(Invitation.maker_id == self.maker.id, col(Invitation.status).in_(statuses))
            .order_by(col(Invitation.invited_at), col(Invitation.id))
        ).all()
        return [(inv, req) for inv, req in rows if req.status not in CLOSED_REQUEST]

    def answer(self, reply: Reply) -> None:
        """YES / NO / DONE / LATE, with or without a code."""
        assert self.maker is not None
        candidates = self.jobs(AWAITING if reply.kind in ("yes", "no") else (InvitationStatus.ACCEPTED,))
        if reply.code:
            found = self._by_code(reply.code)
            if found is None:
                self.reply(self.t.SMS_UNKNOWN_CODE.format(code=reply.code, jobs=self._jobs_line()))
                return
            invitation, request = found
        elif len(candidates) == 1:
            invitation, request = candidates[0]
        elif not candidates:
            if self.forward_broadcast_reply():
                return
            bare = all(v is None for v in (reply.quantity, reply.price_cents, reply.total_cents, reply.lead_time_days))
            if reply.kind == "yes" and bare and not self.jobs():
                # "Still taking orders?" — "YES": a maker paused for not answering is back.
                if self.maker.status == MakerStatus.PAUSED:
                    self.maker.status, self.maker.paused_until = MakerStatus.ACTIVE.value, None
                    self.maker.updated_at = self.now
                self.reply(self.t.SMS_STILL_LISTED)
            else:
                self.reply(self.t.SMS_NO_OPEN_JOBS if not self.jobs() else self._jobs_line())
            return
        else:
            self.remember("which", **_reply_fields(reply))
            choices = ", ".join(
                self.t.SMS_WHICH_CHOICE.format(code=req.code, what=_short_what(req)) for _, req in candidates
            )
            self.reply(self.t.SMS_WHICH_JOB.format(choices=choices))
            return
        if request.status in CLOSED_REQUEST or invitation.status in ENDED_INVITATION:
            status = request.status if request.status in CLOSED_REQUEST else invitation.status
            self.reply(self.t.SMS_JOB_CLOSED.format(code=request.code, status=status))
            return
        {"yes": self.quote, "no": self.decline, "done": self.delivered, "late": self.late}[reply.kind](
            reply, invitation, request
        )

    def _by_code(self, code: str) -> tuple[Invitation, Request] | None:
        assert self.maker is not None
        row = self.session.exec(
            select(Invitation, Request)
            .join(Request, col(Request.id) == Invitation.request_id)
            .where(Invitation.maker_id == self.maker.id, Request.code == code.upper())
        ).first()
        return (row[0], row[1]) if row else None

    def _first_answer(self, invitation: Invitation) -> None:
        assert self.maker is not None
        if invitation.answered_at is None:
            invitation.answered_at = self.now
            self.maker.replied_count += 1
            self.maker.median_reply_seconds = self._median_reply_seconds()
            event = InvitationAnswered(now=self.now, source=self.message_id, invitation=invitation)
            handlers.record(self.session, event, self.policy)

    def _median_reply_seconds(self) -> int | None:
        assert self.maker is not None
        self.session.flush()
        rows = self.session.exec(
            select(Invitation.invited_at, Invitation.answered_at)
            .where(Invitation.maker_id == self.maker.id, col(Invitation.answered_at).is_not(None))
            .order_by(col(Invitation.id).desc())
            .limit(50)
        ).all()
        waits = [
            (as_utc(answered) - as_utc(invited)).total_seconds() for invited, answered in rows if answered is not None
        ]
        return int(statistics.median(waits)) if waits else None

    def quote(self, reply: Reply, invitation: Invitation, request: Request) -> None:
        assert self.maker is not None
        if invitation.status in ORDERED:
            self.reply(self.t.SMS_ALREADY_ACCEPTED.format(code=request.code))
            return
        terms_given = (reply.quantity, reply.price_cents, reply.total_cents, reply.lead_time_days)
        if invitation.status == InvitationStatus.QUOTED and all(value is None for value in terms_given):
            # "ok thanks" after a quote: nothing new for the buyer, so nothing is passed on.
            self.reply(self.t.SMS_QUOTE_ALREADY.format(code=request.code))
            return
        if invitation.status != InvitationStatus.QUOTED:
            self.maker.yes_count += 1
        self._first_answer(invitation)
        move(invitation, InvitationStatus.QUOTED, self.now)
        invitation.answer_text = reply.text[:1600]
        # A second YES updates the quote; what it does not mention stays as it was.
        for name in ("quantity_offered", "price_cents", "total_cents", "lead_time_days"):
            value = getattr(reply, "quantity" if name == "quantity_offered" else name)
            if value is not None:
                setattr(invitation, name, value)
        invitation.updated_at = self.now
        terms = texts.terms(
            invitation.quantity_offered,
            invitation.price_cents,
            invitation.total_cents,
            invitation.lead_time_days,
            self.t,
        )
        has_terms = invitation.price_cents or invitation.total_cents or invitation.lead_time_days is not None
        thanks = self.t.SMS_QUOTE_THANKS.format(
            code=request.code, terms=terms if has_terms else self.t.SMS_QUOTE_TERMS_NONE
        )
        if not has_terms:
            thanks += self.t.SMS_QUOTE_HINT.format(code=request.code)
        self.reply(thanks)
        media_key = self.keep_pictures(invitation, request)
        event = QuoteReceived(
            now=self.now, source=self.message_id, invitation=invitation, request=request, media_key=media_key
        )
        handlers.record(self.session, event, self.policy)

    def keep_pictures(self, invitation: Invitation, request: Request, with_quote: bool = True) -> str | None:
        """The MMS's pictures kept with the maker's answer to a job: `with_quote`, the first goes to the buyer with
        the quote (its key is returned) and any others after it; otherwise each goes on its own."""
        if not self.pictures:
            return None
        first = self.pictures[0]
        for number, picture in enumerate(self.pictures):
            pictures.attach_to_answer(self.session, invitation, picture, self.now)
            if number == 0 and with_quote:
                continue
            notices.tell_buyer(
                self.session,
                request,
                "picture",
                f"picture:{self.message_id}:{number}",
                lambda t: t.BUYER_PICTURE_FROM_MAKER.format(rank=invitation.rank, code=request.code),
                None,
                self.now,
                media_key=picture.key,
            )
        self.pictures = ()
        return first.key if with_quote else None

    def pictures_left_over(self) -> None:
        """Pictures an answer did not take along (a NO, MY, a repeated YES…): passed on when the maker has one open
        job, else the maker hears in one sentence that they were not."""
        if not self.pictures or self.maker is None or self.maker.status == MakerStatus.STOPPED:
            self.pictures = ()
            return
        open_jobs = self.jobs(OPEN_INVITATION)
        if len(open_jobs) != 1:
            self.pictures = ()
            self.reply(self.t.SMS_PICTURE_NOT_PASSED_ON)
            return
        invitation, request = open_jobs[0]
        self.keep_pictures(invitation, request, with_quote=False)
        self.reply(self.t.SMS_PICTURE_PASSED_ON.format(code=request.code))

    def decline(self, reply: Reply, invitation: Invitation, request: Request) -> None:
        if invitation.status in ORDERED:
            self.reply(self.t.SMS_ALREADY_ACCEPTED.format(code=request.code))
            return
        if invitation.status == InvitationStatus.QUOTED and self.maker is not None:
            self.maker.yes_count = max(0, self.maker.yes_count - 1)
        self._first_answer(invitation)
        move(invitation, InvitationStatus.DECLINED, self.now)
        invitation.answer_text = reply.text[:1600]
        self.reply(self.t.SMS_DECLINE_THANKS.format(code=request.code))
        # One NO is not news to the buyer; that every maker asked said no is, with what can be done next.
        self.session.flush()
        if notices.nobody_left(self.session, request):
            notices.tell_buyer_uncovered(self.session, request, f"all_declined:{self.message_id}", self.now)

    def delivered(self, reply: Reply, invitation: Invitation, request: Request) -> None:
        assert self.maker is not None
        if invitation.status == InvitationStatus.DELIVERED:
            self.reply(self.t.SMS_DONE_THANKS.format(code=request.code))
            return
        if invitation.status != InvitationStatus.ACCEPTED:
            self.reply(self.t.SMS_NOT_ACCEPTED_YET.format(code=request.code))
            return
        handlers.record_delivery(self.session, invitation, request, self.now)
        self.reply(self.t.SMS_DONE_THANKS.format(code=request.code))
        name = self.maker.name  # introduced by now: the buyer knows them by name
        self.tell_buyer(request, "delivered", lambda t: t.BUYER_DELIVERED.format(name=name, code=request.code))

    def late(self, reply: Reply, invitation: Invitation, request: Request) -> None:
        assert self.maker is not None
        if invitation.status != InvitationStatus.ACCEPTED:
            self.reply(self.t.SMS_NOT_ACCEPTED_LATE.format(code=request.code))
            return
        invitation.late_days = reply.days
        invitation.answer_text = reply.text[:1600]
        invitation.updated_at = self.now
        if reply.days:
            self.reply(self.t.SMS_LATE_NOTED.format(code=request.code, days=texts.days_text(reply.days, self.t)))
        else:
            self.reply(self.t.SMS_LATE_NOTED_NO_DAYS.format(code=request.code))
        event = OrderLate(now=self.now, source=self.message_id, invitation=invitation, request=request, days=reply.days)
        handlers.record(self.session, event, self.policy)

    def code_alone(self, reply: Reply) -> None:
        found = self._by_code(reply.code or "")
        if found is None:
            self.reply(self.t.SMS_UNKNOWN_CODE.format(code=reply.code, jobs=self._jobs_line()))
        else:
            self.reply(self.t.SMS_CODE_ALONE.format(code=found[1].code))

    # ── the maker's listing ──

    def _jobs_line(self) -> str:
        jobs = self.jobs()
        if not jobs:
            return self.t.SMS_NO_OPEN_JOBS
        lines = []
        for invitation, request in jobs:
            state = self.t.SMS_JOB_STATE[invitation.status]
            if invitation.status == InvitationStatus.ACCEPTED:
                due = request.deadline
                state = state.format(due=self.t.short_date(due) if due else self.t.SMS_DUE_OPEN)
            lines.append(self.t.SMS_MY_JOB.format(code=request.code, what=_short_what(request), state=state))
        return self.t.SMS_MY_JOBS.format(jobs="; ".join(lines))

    def my_jobs(self, _reply: Reply) -> None:
        self.reply(self._jobs_line())


def _short_what(request: Request) -> str:
    item = request.item_label or request.text[:30]
    return f"{request.quantity:,} {item}" if request.quantity else item


def _reply_fields(reply: Reply) -> dict[str, object]:
    return {
        "kind": reply.kind,
        "quantity": reply.quantity,
        "price_cents": reply.price_cents,
        "total_cents": reply.total_cents,
        "lead_time_days": reply.lead_time_days,
        "days": reply.days,
        "text": reply.text,
    }
