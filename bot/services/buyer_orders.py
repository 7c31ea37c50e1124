"""What a buyer does with a request once it is sent: see the answers, take or turn one down, cancel, reopen,
widen the search, call the organisers, confirm delivery and rate it. A part of the buyer chat (bot/services/buyers.py);
the state changes and their consequences are bot/services/handlers.py's.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import col, select

from bot import texts
from bot.db import saved_id
from bot.locales import catalogue
from bot.models import Invitation, Maker, Request
from bot.phones import to_e164
from bot.services import followups, handlers, notices
from bot.services.chat import SHARE_CONTACT, Answer, ChatParts
from bot.services.found_makers import found_text, hidden_text
from bot.services.notices import WIDE_RADIUS, invitation_sms_what, next_steps, nobody_left, quote_line, uncovered_text
from bot.services.orders import LIVE_REQUEST, ORDERED, Closing, InvitationStatus, RequestStatus, move
from bot.services.requests import invite, match_for
from matching.directory import Directory
from matching.matcher import MatchResult


class OrderActions(ChatParts):
    """The buyer chat's answers, orders and requests."""

    def my_requests(self, statuses: tuple[str, ...] | None = None) -> list[Request]:
        query = select(Request).where(Request.buyer_id == self.buyer.id, Request.status != RequestStatus.DRAFT)
        if statuses:
            query = query.where(col(Request.status).in_(statuses))
        return list(self.session.exec(query.order_by(col(Request.id).desc()).limit(10)).all())

    def on_requests(self) -> None:
        requests = self.my_requests()
        if not requests:
            self.say(self.t.BUYER_NO_REQUESTS)
            return
        blocks = []
        for request in requests:
            lines = [
                self.t.BUYER_REQUEST_LINE.format(
                    code=request.code,
                    what=invitation_sms_what(request, t=self.t),
                    status=self.t.REQUEST_STATUS.get(request.status, request.status),
                )
            ]
            if request.quantity and request.status in LIVE_REQUEST and request.quantity_committed:
                lines.append(self.t.BUYER_COMMITTED.format(done=request.quantity_committed, total=request.quantity))
            answers = self._answers(request)
            lines.extend(f"  {line}" for line in answers)
            blocks.append("\n".join(lines))
        self.say("\n\n".join(blocks))

    def _answers(self, request: Request) -> list[str]:
        rows = self.session.exec(
            select(Invitation, Maker)
            .join(Maker, col(Maker.id) == Invitation.maker_id)
            .where(Invitation.request_id == request.id)
            .order_by(col(Invitation.rank))
        ).all()
        lines, declined, waiting = [], 0, 0
        for invitation, maker in rows:
            if invitation.status == InvitationStatus.QUOTED:
                lines.append(quote_line(invitation, self.t))
            elif invitation.status in ORDERED:
                lines.append(
                    self.t.BUYER_ACCEPTED_LINE.format(rank=invitation.rank, name=maker.name, phone=maker.phone)
                )
            elif invitation.status == InvitationStatus.DECLINED:
                declined += 1
            elif invitation.status == InvitationStatus.INVITED:
                waiting += 1
        if declined or waiting:
            lines.append(self.t.BUYER_ANSWER_COUNTS.format(declined=declined, waiting=waiting))
        return lines

    def on_cancel(self) -> None:
        self.forget()
        drafts = self.session.exec(
            select(Request).where(Request.buyer_id == self.buyer.id, Request.status == RequestStatus.DRAFT)
        ).all()
        for draft in drafts:
            move(draft, RequestStatus.CANCELLED, self.now)
        live = self.my_requests(LIVE_REQUEST)
        if not live:
            self.say(self.t.BUYER_DROPPED if drafts else self.t.BUYER_NOTHING_TO_CANCEL)
            return
        self.say(
            self.t.BUYER_WHICH_CANCEL,
            [
                [
                    (
                        self.t.BUTTON_CANCEL_REQUEST.format(code=r.code, what=invitation_sms_what(r, t=self.t)[:40]),
                        f"cancel:{r.id}",
                    )
                ]
                for r in live
            ],
        )

    def _own_request(self, argument: str) -> Request | None:
        request_id, _, _ = argument.partition(":")
        if not request_id.isdigit():
            return None
        request = self.session.get(Request, int(request_id))
        return request if request is not None and request.buyer_id == self.buyer.id else None

    def _own_invitation(self, argument: str) -> tuple[Invitation, Request] | None:
        if not argument.isdigit():
            return None
        invitation = self.session.get(Invitation, int(argument))
        if invitation is None:
            return None
        request = self.session.get(Request, invitation.request_id)
        if request is None or request.buyer_id != self.buyer.id:
            return None
        return invitation, request

    def match_and_invite(
        self, request: Request, directory: Directory
    ) -> tuple[list[tuple[Invitation, Maker]], MatchResult]:
        result = match_for(self.session, request, directory, self.today)
        policy = self.config.followups
        invited = invite(self.session, request, result.matches, self.now, limit=self.config.max_invites, policy=policy)
        return invited, result

    def send_out(self, request: Request, sent: Callable[[int], str]) -> None:
        """Invite the best makers not asked yet, and tell the buyer how many (`sent(count)`) and who they are, or
        that nobody fits; either way, how many makers an "only …" preference left out."""
        directory = self.directory()
        invited, result = self.match_and_invite(request, directory)
        hidden = hidden_text(result, directory, self.t)
        if invited:
            self.say(
                "\n\n".join(part for part in (sent(len(invited)), found_text(invited, result, self.t), hidden) if part)
            )
            return
        nobody = self.t.BUYER_NOBODY.format(what=request.item_label, radius=request.radius_miles, zip=request.zip)
        if hidden:
            nobody = self.t.BUYER_NOBODY_ONLY.format(hidden=hidden)
        self.say(nobody, next_steps(request, self.t))

    def sent_text(self, request: Request) -> Callable[[int], str]:
        return lambda count: self.t.BUYER_SENT.format(count=count, radius=request.radius_miles, code=request.code)

    def press_widen(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None or request.status != RequestStatus.OPEN:
            return Answer(self.t.BUYER_STALE_BUTTON)
        if request.radius_miles >= WIDE_RADIUS:
            return Answer(self.t.BUYER_ALREADY_WIDE.format(miles=int(WIDE_RADIUS)))
        request.radius_miles = WIDE_RADIUS
        request.updated_at = self.now
        self.send_out(request, self.sent_text(request))
        return Answer()

    def press_organisers(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None or request.status not in LIVE_REQUEST:
            return Answer(self.t.BUYER_STALE_BUTTON)
        if request.escalated_at is not None:
            return Answer(self.t.BUYER_ORGANISERS_ALREADY)
        if not self.config.admin_ids:
            self.say(self.t.BUYER_NO_ORGANISERS)
            return Answer()
        request.escalated_at = self.now
        handle = f"@{self.buyer.username}" if self.buyer.username else texts.BUYER_NO_HANDLE
        text = texts.ADMIN_UNSERVED.format(
            code=request.code, summary=self.describe(request), name=self.buyer.name, handle=handle
        )
        self.tell_organisers(text, lambda admin: f"escalation:{request.id}:{admin}", request)
        self.say(self.t.BUYER_ORGANISERS_TOLD)
        return Answer()

    def tell_organisers(self, text: str, key: Callable[[int], str], request: Request) -> None:
        notices.tell_organisers(
            self.session,
            self.config.admin_ids,
            channel=self.buyer.channel,
            text=text,
            purpose="escalation",
            key=key,
            request_id=request.id,
            now=self.now,
        )

    def press_accept(self, argument: str) -> Answer:
        found = self._own_invitation(argument)
        if found is None:
            return Answer(self.t.BUYER_NOT_YOURS, alert=True)
        invitation, request = found
        if invitation.status != InvitationStatus.QUOTED or request.status not in LIVE_REQUEST:
            return Answer(self.t.BUYER_ANSWER_GONE)
        if request.status == RequestStatus.MATCHED:
            return Answer(self.t.BUYER_ALREADY_COVERED)
        if not self.buyer.username and not self.buyer.phone:
            # The maker must be able to reach the buyer: without a Telegram username, a phone number.
            self.remember("ask_contact", invitation_id=invitation.id)
            self.say(self.t.BUYER_NEED_CONTACT, [[(self.t.BUTTON_SHARE_CONTACT, SHARE_CONTACT)]])
            return Answer()
        self.accept(invitation, request)
        return Answer(self.t.BUYER_ACCEPTED_TOAST)

    def on_contact(self, phone: str) -> None:
        number = to_e164(phone) or to_e164("+" + phone.lstrip("+"))
        if number is None:
            self.say(self.t.BUYER_CONTACT_BAD)
            return
        self.buyer.phone = number
        state, data = self.state()
        self.forget()
        if state == "ask_contact" and isinstance(data.get("invitation_id"), int):
            found = self._own_invitation(str(data["invitation_id"]))
            if found and found[0].status == InvitationStatus.QUOTED and found[1].status == RequestStatus.OPEN:
                self.accept(*found)
                return
        self.say(self.t.BUYER_CONTACT_SAVED)

    def accept(self, invitation: Invitation, request: Request) -> None:
        """Commit this maker's quantity, introduce both sides, and close the request once it is covered."""
        maker = self.session.get(Maker, invitation.maker_id)
        assert maker is not None
        policy, source = self.config.followups, self.event.event_id
        share = handlers.accept_quote(self.session, invitation, request, self.now, policy, source)
        terms = texts.terms(share, invitation.price_cents, invitation.total_cents, invitation.lead_time_days, self.t)
        self.say(
            self.t.BUYER_INTRODUCTION.format(
                rank=invitation.rank,
                name=maker.name,
                phone=maker.phone,
                website=f"\n{maker.website}" if maker.website else "",
                terms=terms,
                code=request.code,
            ),
            purpose="introduction",
        )
        # The maker reads their own language, whatever the buyer's.
        mt = catalogue(maker.language)
        contact = (
            mt.SMS_TELEGRAM_HANDLE.format(username=self.buyer.username) if self.buyer.username else self.buyer.phone
        )
        maker_terms = texts.terms(share, invitation.price_cents, invitation.total_cents, invitation.lead_time_days, mt)
        self.text_maker(
            maker,
            mt.SMS_INTRODUCTION.format(
                code=request.code,
                name=self.buyer.name or mt.BUYER_ANONYMOUS,
                contact=contact,
                what=invitation_sms_what(request, share, mt),
                terms=maker_terms,
            ),
            "introduction",
            request,
        )
        if handlers.covered(request):
            # The other makers are told, so nobody keeps working on it; the accepted invitations keep their orders.
            handlers.close_request(
                self.session, request, RequestStatus.MATCHED, Closing.FILLED, self.now, policy, source=source
            )
        else:
            self.say(self.t.BUYER_PARTLY.format(done=request.quantity_committed, total=request.quantity))

    def press_reject(self, argument: str) -> Answer:
        found = self._own_invitation(argument)
        if found is None:
            return Answer(self.t.BUYER_NOT_YOURS, alert=True)
        invitation, request = found
        if invitation.status != InvitationStatus.QUOTED:
            return Answer(self.t.BUYER_ANSWER_GONE)
        handlers.reject_quote(self.session, invitation, request, self.now, self.config.followups, self.event.event_id)
        if nobody_left(self.session, request):
            self.say(uncovered_text(self.session, request, self.t), next_steps(request, self.t))
        return Answer(self.t.BUYER_REJECTED_TOAST)

    def press_cancel(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None:
            return Answer(self.t.BUYER_NOT_YOURS, alert=True)
        if request.status not in LIVE_REQUEST:
            return Answer(self.t.BUYER_STALE_BUTTON)
        handlers.close_request(
            self.session,
            request,
            RequestStatus.CANCELLED,
            Closing.CANCELLED,
            self.now,
            self.config.followups,
            source=self.event.event_id,
        )
        self.say(self.t.BUYER_CANCELLED.format(code=request.code))
        return Answer()

    def press_reopen(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None or request.status != RequestStatus.EXPIRED:
            return Answer(self.t.BUYER_STALE_BUTTON)
        handlers.reopen_request(self.session, request, self.now, self.config.followups, self.event.event_id)
        self.send_out(request, lambda count: self.t.BUYER_REOPENED.format(code=request.code, count=count))
        return Answer()

    def _own_order(self, argument: str) -> tuple[Invitation, Request] | None:
        found = self._own_invitation(argument.split(":", 1)[0])
        if found is None or found[0].status not in ORDERED:
            return None
        return found

    def press_arrived(self, argument: str) -> Answer:
        """The buyer confirms delivery: the maker's record counts it (on time or not), then a rating is asked."""
        found = self._own_order(argument)
        if found is None or found[0].buyer_confirmed_at is not None:
            return Answer(self.t.BUYER_STALE_BUTTON)
        invitation, request = found
        handlers.record_delivery(self.session, invitation, request, self.now, by_buyer=True)
        invitation.buyer_confirmed_at = self.now
        maker = self.session.get(Maker, invitation.maker_id)
        assert maker is not None
        self.say(
            self.t.BUYER_RATE.format(name=maker.name),
            [[(str(n), f"rate:{invitation.id}:{n}") for n in range(1, 6)]],
        )
        return Answer()

    def press_not_yet(self, argument: str) -> Answer:
        found = self._own_order(argument)
        if found is None or found[0].buyer_confirmed_at is not None:
            return Answer(self.t.BUYER_STALE_BUTTON)
        invitation, _request = found
        followups.cancel(self.session, ("buyer_checkin",), saved_id(invitation), "asked again later")
        followups.schedule(
            self.session,
            "buyer_checkin",
            saved_id(invitation),
            self.now + self.config.followups.ask_again_after,
            self.now,
            key=f"buyer_checkin:{invitation.id}:{self.event.event_id}",
        )
        return Answer(self.t.BUYER_NOT_YET_NOTED)

    def press_problem(self, argument: str) -> Answer:
        found = self._own_order(argument)
        if found is None:
            return Answer(self.t.BUYER_STALE_BUTTON)
        invitation, request = found
        maker = self.session.get(Maker, invitation.maker_id)
        handle = f"@{self.buyer.username}" if self.buyer.username else (self.buyer.phone or texts.BUYER_NO_HANDLE)
        text = texts.ADMIN_PROBLEM.format(
            code=request.code, maker=maker.name if maker else "?", name=self.buyer.name, handle=handle
        )
        self.tell_organisers(text, lambda admin: f"problem:{invitation.id}:{admin}:{self.event.event_id}", request)
        self.say(self.t.BUYER_PROBLEM_TOLD if self.config.admin_ids else self.t.BUYER_NO_ORGANISERS)
        return Answer()

    def press_rate(self, argument: str) -> Answer:
        invitation_id, _, stars = argument.partition(":")
        found = self._own_order(invitation_id)
        if found is None or not stars.isdigit() or not 1 <= int(stars) <= 5 or found[0].rating is not None:
            return Answer(self.t.BUYER_STALE_BUTTON)
        handlers.rate(self.session, found[0], int(stars), self.now)
        return Answer(self.t.BUYER_THANKS_RATING)
