"""Leases on rows, shared by the outbox dispatcher and the reminder ticker: a worker takes due rows for a while,
so any number of workers can share one table, each row is acted on by one of them, and a crash leaves the rows
to be taken again once the lease runs out.

PostgreSQL: due rows are selected FOR UPDATE SKIP LOCKED, so two workers never take the same row at once;
SQLite: a write transaction (BEGIN IMMEDIATE) already keeps the other writers out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from bot.db import dialect_name

Query = TypeVar("Query", bound=sa.Select)


@dataclass(frozen=True)
class Leases:
    """The leases `owner` holds on rows of `table` (which has `id`, `status`, `lease_owner`, `lease_until`).

    A leased row has the status `held` for as long as it is leased ("sending", "pending"): a row that moved on
    meanwhile (sent, cancelled) is not the lease's any more, whoever still holds it.
    """

    table: sa.Table
    owner: str
    held: str

    @staticmethod
    def lock(session: Session | sa.Connection, query: Query) -> Query:
        """`query` for due rows, passing over those another worker is taking right now (PostgreSQL)."""
        if dialect_name(session) == "postgresql":
            return query.with_for_update(skip_locked=True)
        return query

    def take(self, session: Session | sa.Connection, ids: Sequence[int], until: datetime, **values: Any) -> None:
        """Lease the rows `ids` (selected with `lock`) until `until`, setting `values` too."""
        table = self.table
        session.execute(
            sa.update(table).where(table.c.id.in_(ids)).values(lease_owner=self.owner, lease_until=until, **values)
        )

    def take_each(self, session: Session | sa.Connection, rows: Sequence[dict[str, Any]], **values: Any) -> None:
        """Lease rows each until a time of its own: every item of `rows` binds `_id`, `_lease` (until when) and
        whatever `sa.bindparam` in `values` names."""
        table = self.table
        session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("_id"))
            .values(lease_owner=self.owner, lease_until=sa.bindparam("_lease"), **values),
            rows,
        )

    def extend(self, session: Session | sa.Connection, ids: Sequence[int], until: datetime) -> None:
        """Keep the rows of `ids` that are still ours until `until`."""
        table = self.table
        session.execute(sa.update(table).where(table.c.id.in_(ids), *self.ours()).values(lease_until=until))

    def release(self, session: Session | sa.Connection, ids: Sequence[int], **values: Any) -> None:
        """Give the rows of `ids` that are still ours back at once, setting `values` too, so another worker need
        not wait for the lease to run out."""
        table = self.table
        session.execute(
            sa.update(table)
            .where(table.c.id.in_(ids), *self.ours())
            .values(lease_owner=None, lease_until=None, **values)
        )

    def ours(self) -> tuple[sa.ColumnElement[bool], ...]:
        """The rows this owner holds."""
        return (self.table.c.lease_owner == self.owner, self.table.c.status == self.held)
