"""The impact figures summed in the database (bot/services/impact.py collect_in) give the numbers that adding the
orders up one by one gives (`load_orders`, the per-order rules `makerlink report` lists), on a random but fixed
programme of orders: prices each or in total or none, offered quantities, weights known or not, makers near and
beyond the distance where shipping locally stops saving, badges spelt two ways; all time and over periods."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.models import (
    INVITATION_STATUSES,
    MAKER_TYPES,
    REQUEST_STATUSES,
    Invitation,
    Maker,
    MakerTrait,
    Request,
    utcnow,
)
from bot.services import impact
from bot.services import makers as maker_service
from bot.services.orders import InvitationStatus
from matching.taxonomy import load_taxonomy
from tests.conftest import demo_csv

TAXONOMY = load_taxonomy()
BASIS = impact.Basis(TAXONOMY, "America/Detroit")
GOODS = ["face_shield", "cloth_mask", "tshirt", "bracket", "face_shield tshirt", ""]
UNITS = [None, None, "piece", "lb", "box", "keg", "gallon"]
STATUSES = [*INVITATION_STATUSES, InvitationStatus.ACCEPTED, InvitationStatus.DELIVERED]  # orders, more often
BADGES = ["Made in Detroit", "made in Detroit", "Woman-owned", "woman-owned", "Veteran-owned"]


@pytest.fixture
def programme(any_db):
    """150 requests to 60 makers, with about 300 invitations in every status, over the last 120 days."""
    maker_service.import_makers(any_db, demo_csv(), "demo", TAXONOMY)
    pick = random.Random(17)
    now = utcnow()
    with any_db.transaction() as session:
        makers = session.exec(select(Maker).order_by(Maker.id).limit(60)).all()
        for maker in makers:
            maker.kind = pick.choice(MAKER_TYPES)
            for position, phrase in enumerate(pick.sample(BADGES, pick.randint(0, 2))):
                session.add(MakerTrait(maker_id=maker.id, kind="badge", position=position, phrase=phrase))
        for number in range(150):
            made = now - timedelta(days=pick.uniform(0, 120))
            request = Request(
                code=f"T{number:03d}",
                text="test",
                concepts=pick.choice(GOODS),
                quantity=pick.choice([None, 0, 1, 12, 500, pick.randint(1, 5000)]),
                unit=pick.choice(UNITS),
                status=pick.choice(REQUEST_STATUSES),
                created_at=made,
                updated_at=made + timedelta(days=pick.uniform(0, 10)),
            )
            session.add(request)
            session.flush()
            for maker in pick.sample(makers, pick.randint(1, 3)):
                accepted = made + timedelta(days=pick.uniform(0, 5))
                session.add(
                    Invitation(
                        request_id=request.id,
                        maker_id=maker.id,
                        status=pick.choice(
                            [*INVITATION_STATUSES, InvitationStatus.ACCEPTED, InvitationStatus.DELIVERED]
                        ),
                        accepted_at=pick.choice([accepted, accepted, accepted, None]),
                        distance_miles=pick.choice([None, round(pick.uniform(0.2, 900), 3), pick.uniform(0, 80)]),
                        quantity_offered=pick.choice([None, None, 0, pick.randint(1, 800)]),
                        price_cents=pick.choice([None, pick.randint(5, 5000)]),
                        total_cents=pick.choice([None, None, pick.randint(100, 900_000)]),
                    )
                )
    return any_db


def one_by_one(session: Session, since: date | None, until: date | None) -> dict[str, Any]:
    """The figures as the orders add up one at a time (the way collect_in counted before it summed in SQL)."""
    orders = impact.load_orders(session, BASIS, since, until)
    valued = [value for order in orders if (value := order.value_cents) is not None]
    distances = [d for order in orders if (d := order.invitation.distance_miles) is not None]
    estimates = [order.estimate for order in orders if order.estimate is not None]
    served = len({order.request.id for order in orders})
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "timezone": BASIS.timezone,
        "orders": len(orders),
        "delivered": sum(order.invitation.status == InvitationStatus.DELIVERED for order in orders),
        "spent_cents": sum(valued),
        "orders_valued": len(valued),
        "orders_not_valued": len(orders) - len(valued),
        "makers": len({order.maker.id for order in orders}),
        "first_time_makers": len({order.maker.id for order in orders if order.first_for_maker}),
        "by_type": by_group(orders, lambda order: (order.maker.kind or MAKER_TYPES[0],)),
        "by_badge": by_group(orders, lambda order: order.badges),
        "requests": impact._requests(session, BASIS, served, since, until),
        "median_distance_miles": round(statistics.median(distances), 1) if distances else None,
        "orders_with_distance": len(distances),
        "emissions": {
            "estimate": True,
            "avoided_kg_co2e": round(sum(e.avoided_kg for e in estimates), 1),
            "local_kg_co2e": round(sum(e.local_kg for e in estimates), 1),
            "import_kg_co2e": round(sum(e.imported_kg for e in estimates), 1),
            "orders_estimated": len(estimates),
            "orders_not_estimated": len(orders) - len(estimates),
        },
    }


def by_group(orders: list[impact.Order], groups_of: Callable[[impact.Order], Iterable[str]]) -> dict:
    labels: dict[str, str] = {}
    makers: dict[str, set[int | None]] = {}
    counts: dict[str, dict[str, int]] = {}
    for order in orders:
        for group in groups_of(order):
            label = labels.setdefault(group.casefold(), group)
            makers.setdefault(label, set()).add(order.maker.id)
            row = counts.setdefault(label, {"makers": 0, "orders": 0, "spent_cents": 0})
            row["orders"] += 1
            row["spent_cents"] += order.value_cents or 0
    for label, row in counts.items():
        row["makers"] = len(makers[label])
    return dict(sorted(counts.items(), key=lambda item: (-item[1]["orders"], item[0].casefold())))


def test_the_sums_in_sql_are_the_sums_of_the_orders(programme):
    today = BASIS.day_of(utcnow())
    assert today is not None
    periods = [
        (None, None),
        (BASIS.this_month(utcnow()), None),
        (today - timedelta(days=45), today - timedelta(days=10)),
        (None, today - timedelta(days=60)),
        (today + timedelta(days=1), None),  # nothing yet
    ]
    with programme.read() as session:
        for since, until in periods:
            summed = impact.collect_in(session, BASIS, since, until)
            assert summed == one_by_one(session, since, until), (since, until)
        everything = impact.collect_in(session, BASIS)
    # The programme exercises what it should: orders valued and not, estimated and not.
    assert everything["orders"] > 50 and everything["orders_not_valued"] > 0
    assert everything["emissions"]["orders_estimated"] > 10 and everything["emissions"]["orders_not_estimated"] > 10
    assert (
        set(everything["by_badge"]) == {"Made in Detroit", "Woman-owned", "Veteran-owned"}
        or len(everything["by_badge"]) == 3
    )
