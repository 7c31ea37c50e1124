"""What the bot did for the city, read from accepted quotes and deliveries: money spent with local makers, the
makers who got work (and who got it for the first time), by type and by badge, requests served locally or not, the
median distance, and the transport emissions avoided — an estimate (matching/emissions.py), called one wherever shown.

`collect` serves `makerlink stats --impact`, the organisers' /stats and the sandbox's admin panel; `report_rows`
serves `makerlink report --month`: one row per order, with nothing about the buyer.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot import texts
from bot.config import DEFAULT_TIMEZONE, Settings
from bot.db import Database
from bot.models import MAKER_TYPES, Invitation, Maker, MakerTrait, Reminder, Request, as_utc
from bot.services.followups import REQUEST_EXPIRE
from bot.services.handlers import delivered_late
from bot.services.orders import ORDERED, InvitationStatus, RequestStatus
from matching import emissions
from matching.emissions import DEFAULT_FACTORS, DEFAULT_ROUTE, Estimate, Factors, ImportRoute
from matching.taxonomy import Taxonomy

BADGE = "badge"  # the MakerTrait kind of the labels organisers give (bot/models.py TRAIT_KINDS)
NOT_SERVED = (RequestStatus.EXPIRED, RequestStatus.CANCELLED)
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class BadPeriod(ValueError):
    """A month or a day that cannot be read; the message is one sentence for whoever typed it."""


def parse_month(text: str) -> date:
    """The first day of the month `text` names as YYYY-MM."""
    found = _MONTH.fullmatch(text.strip())
    try:
        if found is None:
            raise ValueError(text)
        first = date(int(found[1]), int(found[2]), 1)
        next_month(first)  # the last month of the calendar has no end to report up to
    except ValueError:
        raise BadPeriod(texts.IMPACT_BAD_MONTH.format(value=text.strip()[:20])) from None
    return first


def parse_day(text: str) -> date:
    """The day `text` names as YYYY-MM-DD."""
    try:
        if _DAY.fullmatch(text.strip()) is None:
            raise ValueError(text)
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadPeriod(texts.IMPACT_BAD_DAY.format(value=text.strip()[:20])) from None


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


@dataclass(frozen=True)
class Basis:
    """What the figures take from the settings: the bot's time zone (where a day and a month begin), and for the
    emission estimates what `makerlink match` uses: the taxonomy (typical weights of broader items), the import
    route and the factors (MAKERLINK_IMPACT_*)."""

    taxonomy: Taxonomy
    timezone: str = DEFAULT_TIMEZONE
    route: ImportRoute = DEFAULT_ROUTE
    factors: Factors = DEFAULT_FACTORS

    @classmethod
    def from_settings(cls, taxonomy: Taxonomy, settings: Settings) -> Basis:
        return cls(taxonomy, settings.timezone, settings.import_route(), settings.emission_factors())

    def start_of(self, day: date | None) -> datetime | None:
        """The moment `day` begins in the bot's time zone, in UTC as stored."""
        if day is None:
            return None
        return datetime.combine(day, time(0), tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)

    def day_of(self, moment: datetime | None) -> date | None:
        return as_utc(moment).astimezone(ZoneInfo(self.timezone)).date() if moment else None

    def this_month(self, now: datetime) -> date:
        today = as_utc(now).astimezone(ZoneInfo(self.timezone)).date()
        return today.replace(day=1)


@dataclass(frozen=True)
class Order:
    """One accepted quote, under way or delivered, with what the figures need of its request and its maker."""

    invitation: Invitation
    request: Request
    maker: Maker
    badges: tuple[str, ...]
    first_for_maker: bool  # the maker's first order ever
    estimate: Estimate | None

    @property
    def quantity(self) -> int | None:
        offered = self.invitation.quantity_offered
        return offered if offered is not None else self.request.quantity

    @property
    def value_cents(self) -> int | None:
        """A total as quoted (scaled to the part taken), else the price each × the quantity; None without them."""
        inv = self.invitation
        if inv.total_cents is not None:
            return inv.total_cents
        if inv.price_cents is not None and self.quantity:
            return inv.price_cents * self.quantity
        return None

    @property
    def on_time(self) -> bool | None:
        """None while not delivered; the rule is the one the maker's record counts by (handlers.record_delivery)."""
        inv = self.invitation
        if inv.status != InvitationStatus.DELIVERED or inv.delivered_at is None:
            return None
        delivered = as_utc(inv.delivered_at)
        confirmed = as_utc(inv.buyer_confirmed_at)
        by_buyer = confirmed is not None and confirmed <= delivered  # the buyer's "it arrived" came first
        return not delivered_late(inv, self.request, delivered, by_buyer=by_buyer)


def load_orders(session: Session, basis: Basis, since: date | None = None, until: date | None = None) -> list[Order]:
    """The orders accepted from the start of `since` to before `until` (days in the bot's time zone), oldest first."""
    query = (
        select(Invitation, Request, Maker)
        .join(Request, col(Request.id) == col(Invitation.request_id))
        .join(Maker, col(Maker.id) == col(Invitation.maker_id))
        .where(col(Invitation.status).in_(ORDERED), col(Invitation.accepted_at).is_not(None))
        .where(*_within(col(Invitation.accepted_at), basis.start_of(since), basis.start_of(until)))
        .order_by(col(Invitation.accepted_at), col(Invitation.id))
    )
    rows = session.exec(query).all()
    maker_ids = {maker.id for _, _, maker in rows if maker.id is not None}
    firsts = _first_orders(session, maker_ids)
    badges = _badges(session, maker_ids)
    return [
        Order(
            invitation=inv,
            request=request,
            maker=maker,
            badges=badges.get(inv.maker_id, ()),
            first_for_maker=firsts.get(inv.maker_id) == inv.id,
            estimate=_estimate(basis, inv, request),
        )
        for inv, request, maker in rows
    ]


def _first_orders(session: Session, maker_ids: set[int]) -> dict[int, int]:
    """Each maker's first order ever: maker id → invitation id."""
    if not maker_ids:
        return {}
    rows = session.exec(
        select(Invitation.maker_id, Invitation.id)
        .where(
            col(Invitation.maker_id).in_(maker_ids),
            col(Invitation.status).in_(ORDERED),
            col(Invitation.accepted_at).is_not(None),
        )
        .order_by(col(Invitation.accepted_at), col(Invitation.id))
    ).all()
    firsts: dict[int, int] = {}
    for maker_id, invitation_id in rows:
        if invitation_id is not None:
            firsts.setdefault(maker_id, invitation_id)
    return firsts


def _badges(session: Session, maker_ids: set[int]) -> dict[int, tuple[str, ...]]:
    if not maker_ids:
        return {}
    found: dict[int, list[str]] = {}
    for maker_id, phrase in session.exec(
        select(MakerTrait.maker_id, MakerTrait.phrase)
        .where(col(MakerTrait.maker_id).in_(maker_ids), col(MakerTrait.kind) == BADGE)
        .order_by(col(MakerTrait.maker_id), col(MakerTrait.position), col(MakerTrait.id))
    ).all():
        found.setdefault(maker_id, []).append(phrase)
    return {maker_id: tuple(phrases) for maker_id, phrases in found.items()}


def _estimate(basis: Basis, inv: Invitation, request: Request) -> Estimate | None:
    """As `makerlink match` estimates a match (matching/matcher.py), for the quantity ordered: no weight known or
    no distance, no estimate."""
    quantity = inv.quantity_offered if inv.quantity_offered is not None else request.quantity
    weight = emissions.order_weight_kg(quantity, request.unit, request.concepts.split(), basis.taxonomy.ancestors)
    if weight is None or inv.distance_miles is None:
        return None
    return emissions.estimate(weight, inv.distance_miles, basis.route, basis.factors)


# ── the figures ──


def collect(db: Database, basis: Basis, since: date | None = None, until: date | None = None) -> dict[str, Any]:
    with db.read() as session:
        return collect_in(session, basis, since, until)


def collect_in(session: Session, basis: Basis, since: date | None = None, until: date | None = None) -> dict[str, Any]:
    """The impact of the orders accepted from `since` to before `until` (either open), as plain JSON-able values.
    Money is in cents; an order with no price (or a price each and no quantity) is counted, not valued.

    Summed in the database: a handful of aggregate queries whatever the number of orders (the console's Figures page
    reads all time on every visit). The per-order rules are those of `Order` (value, first order, badges), which
    `report_rows` uses; tests/integration/test_impact_sums.py holds the two to the same numbers."""
    orders = _Orders(basis, since, until)
    totals = session.exec(orders.select(*orders.totals())).one()
    count, delivered, spent, valued, makers, first_time, served = (int(value or 0) for value in totals)
    distances = _median_distance(session, orders)
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,  # exclusive
        "timezone": basis.timezone,
        "orders": count,
        "delivered": delivered,
        "spent_cents": spent,
        "orders_valued": valued,
        "orders_not_valued": count - valued,
        "makers": makers,
        "first_time_makers": first_time,
        "by_type": _breakdown(session, orders, badges=False),
        "by_badge": _breakdown(session, orders, badges=True),
        "requests": _requests(session, basis, served, since, until),
        "median_distance_miles": distances[0],
        "orders_with_distance": distances[1],
        "emissions": _emissions(session, basis, orders, count),
    }


class _Orders:
    """The orders of a period as SQL: accepted quotes (under way or delivered) with their request and maker, as
    `load_orders` reads them one by one."""

    def __init__(self, basis: Basis, since: date | None, until: date | None) -> None:
        self.start = basis.start_of(since)
        accepted = col(Invitation.accepted_at)
        self.where = (
            col(Invitation.status).in_(ORDERED),
            accepted.is_not(None),
            *_within(accepted, self.start, basis.start_of(until)),
        )
        # Order.quantity and Order.value_cents, as columns.
        self.quantity = sa.func.coalesce(col(Invitation.quantity_offered), col(Request.quantity))
        price_each = sa.and_(col(Invitation.price_cents).is_not(None), self.quantity.is_not(None), self.quantity != 0)
        self.value = sa.case(
            (col(Invitation.total_cents).is_not(None), col(Invitation.total_cents)),
            (price_each, col(Invitation.price_cents) * self.quantity),
            else_=None,
        )

    def select(self, *columns: Any) -> Any:
        return (
            select(*columns)
            .select_from(Invitation)
            .join(Request, col(Request.id) == col(Invitation.request_id))
            .join(Maker, col(Maker.id) == col(Invitation.maker_id))
            .where(*self.where)
        )

    def totals(self) -> tuple[Any, ...]:
        maker = col(Invitation.maker_id)
        return (
            sa.func.count(),
            sa.func.sum(sa.case((col(Invitation.status) == InvitationStatus.DELIVERED, 1), else_=0)),
            sa.func.sum(self.value),
            sa.func.count(self.value),
            sa.func.count(sa.distinct(maker)),
            sa.func.count(sa.distinct(sa.case((self._first_order_here(), maker), else_=None))),
            sa.func.count(sa.distinct(col(Invitation.request_id))),
        )

    def _first_order_here(self) -> Any:
        """The maker's first order ever is in this period: none of theirs was accepted before it began (an order in
        the period is never after one that is not, so that is the whole test)."""
        if self.start is None:
            return sa.true()
        earlier = aliased(Invitation)
        return ~sa.exists().where(
            col(earlier.maker_id) == col(Invitation.maker_id),
            col(earlier.status).in_(ORDERED),
            col(earlier.accepted_at).is_not(None),
            col(earlier.accepted_at) < self.start,
        )


def _breakdown(session: Session, orders: _Orders, badges: bool) -> dict[str, dict[str, int]]:
    """Makers, orders and money by group (a maker type, or a badge); a badge is one group whatever its letter case,
    named as the earliest order spells it."""
    label = col(MakerTrait.phrase) if badges else col(Maker.kind)  # a maker's type is never empty (ck_maker_kind)
    query = orders.select(label, col(Invitation.maker_id), sa.func.count(), sa.func.sum(orders.value))
    rows = session.exec((_with_badges(query) if badges else query).group_by(label, col(Invitation.maker_id))).all()
    spellings: dict[str, set[str]] = {}
    for spelled, *_ in rows:
        spellings.setdefault(spelled.casefold(), set()).add(spelled)
    names = {key: _first_spelling(session, orders, found, badges) for key, found in spellings.items()}
    makers: dict[str, set[int]] = {}
    counts: dict[str, dict[str, int]] = {}
    for spelled, maker_id, count, value in rows:
        name = names[spelled.casefold()]
        makers.setdefault(name, set()).add(maker_id)
        row = counts.setdefault(name, {"makers": 0, "orders": 0, "spent_cents": 0})
        row["orders"] += int(count)
        row["spent_cents"] += int(value or 0)
    for name, row in counts.items():
        row["makers"] = len(makers[name])
    return dict(sorted(counts.items(), key=lambda item: (-item[1]["orders"], item[0].casefold())))


def _with_badges(query: Any) -> Any:
    """One row per order and badge of its maker."""
    return query.join(MakerTrait, sa.and_(col(MakerTrait.maker_id) == col(Maker.id), col(MakerTrait.kind) == BADGE))


def _first_spelling(session: Session, orders: _Orders, spellings: set[str], badges: bool) -> str:
    """Of one group's spellings ("Woman-owned", "woman-owned"), the one seen first: in the earliest order, and
    among its maker's badges, the first listed."""
    if len(spellings) == 1:
        return next(iter(spellings))
    label = col(MakerTrait.phrase) if badges else col(Maker.kind)
    query = orders.select(label).where(label.in_(spellings))
    first: tuple[Any, ...] = (col(Invitation.accepted_at), col(Invitation.id))
    if badges:
        query, first = _with_badges(query), (*first, col(MakerTrait.position), col(MakerTrait.id))
    return str(session.exec(query.order_by(*first).limit(1)).one())


def _median_distance(session: Session, orders: _Orders) -> tuple[float | None, int]:
    """The median distance of the orders with one (rounded to a tenth of a mile), and how many have one."""
    distance = col(Invitation.distance_miles)
    known = int(session.exec(orders.select(sa.func.count(distance))).one())
    if not known:
        return None, 0
    middle = orders.select(distance).where(distance.is_not(None)).order_by(distance)
    values = session.exec(middle.offset((known - 1) // 2).limit(2 - known % 2)).all()
    return round(statistics.fmean(values), 1), known


def _emissions(session: Session, basis: Basis, orders: _Orders, count: int) -> dict[str, Any]:
    """The transport emissions of the orders, an estimate as `Order.estimate` makes one per order, summed per kind
    of goods: the weight of an order is its quantity × the weight of one unit of its goods, and its emissions are
    linear in that weight and (locally) in the distance, so sums over each kind of goods are enough. An order saves
    emissions only if its maker is nearer than the distance where the van's trip costs what the import route does."""
    per_kg = emissions.estimate(1.0, 1.0, basis.route, basis.factors)  # kg CO2e per kg: the import; per kg·mile: local
    break_even = per_kg.imported_kg / per_kg.local_kg if per_kg.local_kg else float("inf")
    distance, quantity = col(Invitation.distance_miles), orders.quantity
    near = distance < break_even

    def when_near(value: Any) -> Any:
        return sa.func.sum(sa.case((near, value), else_=0))

    goods = (col(Request.unit), col(Request.concepts))
    query = orders.select(
        *goods,
        sa.func.count(),
        sa.func.sum(quantity),
        sa.func.sum(quantity * distance),
        when_near(quantity),
        when_near(quantity * distance),
    ).where(distance.is_not(None), quantity.is_not(None), quantity != 0)
    estimated, local, imported, avoided = 0, 0.0, 0.0, 0.0
    for unit, concepts, n, units, unit_miles, near_units, near_unit_miles in session.exec(query.group_by(*goods)):
        kg_each = emissions.order_weight_kg(1, unit, concepts.split(), basis.taxonomy.ancestors)
        if kg_each is None:
            continue
        estimated += int(n)
        local += kg_each * per_kg.local_kg * float(unit_miles)
        imported += kg_each * per_kg.imported_kg * float(units)
        avoided += kg_each * (per_kg.imported_kg * float(near_units) - per_kg.local_kg * float(near_unit_miles))
    return {
        "estimate": True,
        "avoided_kg_co2e": round(max(0.0, avoided), 1),
        "local_kg_co2e": round(local, 1),
        "import_kg_co2e": round(imported, 1),
        "orders_estimated": estimated,
        "orders_not_estimated": count - estimated,
    }


def _requests(session: Session, basis: Basis, served: int, since: date | None, until: date | None) -> dict[str, int]:
    """Served locally: an order accepted in the period. Not served: closed in the period (expired, or cancelled
    after it was sent to makers) with no order standing. Still open: sent in the period, open, no order yet."""
    start, end = basis.start_of(since), basis.start_of(until)
    request_id = col(Request.id)
    has_order = sa.exists().where(col(Invitation.request_id) == request_id, col(Invitation.status).in_(ORDERED))
    was_sent = sa.or_(
        sa.exists().where(col(Invitation.request_id) == request_id),
        sa.exists().where(col(Reminder.kind) == REQUEST_EXPIRE, col(Reminder.target_id) == request_id),
    )
    status = col(Request.status)
    closed = dict(
        session.exec(
            select(status, sa.func.count())
            .where(status.in_(NOT_SERVED), ~has_order, was_sent, *_within(col(Request.updated_at), start, end))
            .group_by(status)
        ).all()
    )
    still_open = session.exec(
        select(sa.func.count())
        .select_from(Request)
        .where(status == RequestStatus.OPEN, ~has_order, *_within(col(Request.created_at), start, end))
    ).one()
    expired, cancelled = (int(closed.get(why, 0)) for why in NOT_SERVED)
    return {
        "served_locally": served,
        "not_served": expired + cancelled,
        "expired": expired,
        "cancelled": cancelled,
        "open_without_order": int(still_open),
    }


def _within(column: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    """The conditions that keep `column` from `start` to before `end` (either open)."""
    return [*([column >= start] if start else []), *([column < end] if end else [])]


# ── the monthly report ──

REPORT_COLUMNS = (
    "accepted_date",
    "request_code",
    "item",
    "quantity",
    "unit",
    "maker_name",
    "maker_type",
    "badges",
    "maker_zip",
    "distance_miles",
    "value_usd",
    "delivered_date",
    "on_time",
    "est_kg_co2e_avoided",
    "first_order_for_maker",
)


def report_rows(db: Database, basis: Basis, month: date) -> list[dict[str, Any]]:
    """One row per order accepted in `month` (its first day), oldest first: what a funder needs, and nothing about
    the buyer (no name, handle, phone, chat or place: the distance says how local it was)."""
    with db.read() as session:
        orders = load_orders(session, basis, month, next_month(month))
    return [_row(basis, order) for order in orders]


def _row(basis: Basis, order: Order) -> dict[str, Any]:
    inv, request, maker = order.invitation, order.request, order.maker
    value = order.value_cents
    accepted = basis.day_of(inv.accepted_at)
    delivered = basis.day_of(inv.delivered_at) if inv.status == InvitationStatus.DELIVERED else None
    return {
        "accepted_date": accepted.isoformat() if accepted else None,
        "request_code": request.code,
        "item": request.item_label or request.item,
        "quantity": order.quantity,
        "unit": request.unit,
        "maker_name": maker.name,
        "maker_type": maker.kind or MAKER_TYPES[0],
        "badges": list(order.badges),
        "maker_zip": maker.zip,
        "distance_miles": round(inv.distance_miles, 1) if inv.distance_miles is not None else None,
        "value_usd": round(value / 100, 2) if value is not None else None,
        "delivered_date": delivered.isoformat() if delivered else None,
        "on_time": order.on_time,
        "est_kg_co2e_avoided": round(order.estimate.avoided_kg, 2) if order.estimate else None,
        "first_order_for_maker": order.first_for_maker,
    }


def csv_cells(row: dict[str, Any]) -> list[str]:
    """A report row as CSV cells: empty where unknown, yes/no, dollars with cents, badges `;`-separated."""
    cells = []
    for column in REPORT_COLUMNS:
        value = row[column]
        if value is None:
            cells.append("")
        elif isinstance(value, bool):
            cells.append("yes" if value else "no")
        elif column == "value_usd":
            cells.append(f"{value:.2f}")
        elif isinstance(value, list):
            cells.append("; ".join(value))
        else:
            cells.append(str(value))
    return cells
