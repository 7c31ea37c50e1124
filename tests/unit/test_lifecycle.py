"""The order lifecycle's one table of moves, and the rule that keeps statuses out of bare strings."""

from __future__ import annotations

import ast
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import models
from bot.models import BroadcastStatus, Invitation, MakerStatus, MessageStatus, ReminderStatus, Request
from bot.services import handlers, orders
from bot.services.orders import IllegalTransition, InvitationStatus, RequestStatus, move

ROOT = Path(__file__).parents[2]
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_the_enums_are_the_stored_strings():
    # The CHECK constraints hold these values: an enum that drifted from them would need a migration.
    assert tuple(RequestStatus) == models.REQUEST_STATUSES
    assert tuple(InvitationStatus) == models.INVITATION_STATUSES
    for enum, stored in [
        (MakerStatus, models.MAKER_STATUSES),
        (MessageStatus, models.MESSAGE_STATUSES),
        (ReminderStatus, models.REMINDER_STATUSES),
        (BroadcastStatus, models.BROADCAST_STATUSES),
    ]:
        assert tuple(enum) == stored


def test_every_status_has_a_row_in_the_table():
    assert set(orders.REQUEST_MOVES) == set(RequestStatus)
    assert set(orders.INVITATION_MOVES) == set(InvitationStatus)


@pytest.mark.parametrize(
    ("start", "to"),
    [("draft", "open"), ("open", "matched"), ("matched", "fulfilled"), ("expired", "open"), ("open", "cancelled")],
)
def test_an_allowed_move_changes_the_request(start, to):
    request = Request(code="K7Q2", text="500 face shields", status=start)
    assert move(request, RequestStatus(to), NOW) is True
    assert request.status == to and request.updated_at == NOW


@pytest.mark.parametrize(
    ("start", "to"),
    [("fulfilled", "open"), ("cancelled", "open"), ("draft", "matched"), ("open", "draft"), ("matched", "expired")],
)
def test_a_move_the_table_does_not_allow_is_refused(start, to):
    request = Request(id=3, code="K7Q2", text="500 face shields", status=start)
    with pytest.raises(IllegalTransition, match=f"request 3: {start} → {to}"):
        move(request, RequestStatus(to), NOW)
    assert request.status == start


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        ("invited", "quoted", True),
        ("quoted", "accepted", True),
        ("accepted", "delivered", True),
        ("declined", "quoted", True),
        ("invited", "accepted", False),  # the buyer takes only an answer
        ("delivered", "lost", False),
        ("expired", "quoted", False),
        ("lost", "accepted", False),
    ],
)
def test_invitation_moves(start, to, allowed):
    invitation = Invitation(id=9, request_id=1, maker_id=1, status=start)
    if allowed:
        assert move(invitation, InvitationStatus(to), NOW) is True
        assert invitation.status == to
    else:
        with pytest.raises(IllegalTransition):
            move(invitation, InvitationStatus(to), NOW)


def test_staying_put_is_no_move():
    invitation = Invitation(request_id=1, maker_id=1, status="quoted")
    assert move(invitation, InvitationStatus.QUOTED, NOW) is False


def test_every_event_has_its_consequences_in_the_table():
    events = {
        value
        for value in vars(orders).values()
        if isinstance(value, type) and issubclass(value, orders.Event) and value is not orders.Event
    }
    assert events == set(handlers.HANDLERS)
    for event in events:
        assert dataclasses.is_dataclass(event)


# ── no status as a bare string ──

LIFECYCLE = {s.value for s in (*RequestStatus, *InvitationStatus)}
STORED = {s.value for s in (*MakerStatus, *MessageStatus, *ReminderStatus, *BroadcastStatus)}
# Where the statuses are defined: the enums' modules, and the migrations that must not change with them.
DEFINED_IN = {"bot/services/orders.py", "bot/models.py"}
PENDING_FILES: set[str] = set()
PENDING_CLASSES: set[str] = set()


def _mentions_status(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute) and child.attr == "status":
            return True
        if isinstance(child, ast.Name) and child.id in ("status", "statuses"):
            return True
    return False


def _strings(node: ast.AST) -> list[ast.Constant]:
    return [c for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str)]


def _suspects(tree: ast.AST) -> list[ast.Constant]:
    """String constants compared with, tested for membership in, or assigned to a status."""
    found: list[ast.Constant] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_mentions_status(o) for o in operands):
                found += [c for o in operands for c in _strings(o)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("in_", "not_in") and _mentions_status(node.func.value):
                found += [c for a in node.args for c in _strings(a)]
            found += [c for k in node.keywords if k.arg in ("status", "statuses") for c in _strings(k.value)]
        elif isinstance(node, ast.Call):
            found += [c for k in node.keywords if k.arg in ("status", "statuses") for c in _strings(k.value)]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_mentions_status(t) for t in targets) and node.value is not None:
                found += _strings(node.value)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "status":
                    found += _strings(value)
    return found


def _pending_spans(tree: ast.AST) -> list[tuple[int, int]]:
    return [
        (node.lineno, node.end_lineno or node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name in PENDING_CLASSES
    ]


def test_no_status_is_a_bare_string_outside_the_enums():
    offences = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in DEFINED_IN or name in PENDING_FILES or name.startswith("bot/migrations/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        pending = _pending_spans(tree)
        for constant in _suspects(tree):
            if constant.value in LIFECYCLE or (
                constant.value in STORED and not any(a <= constant.lineno <= b for a, b in pending)
            ):
                offences.append(f"{name}:{constant.lineno}: {constant.value!r}")
    assert not offences, "statuses belong to the enums (bot/services/orders.py, bot/models.py):\n" + "\n".join(offences)


def test_the_scan_finds_a_bare_status():
    tree = ast.parse('if request.status == "open" or inv.status in ("quoted",):\n    maker.status = "paused"\n')
    assert sorted(c.value for c in _suspects(tree)) == ["open", "paused", "quoted"]


# ── time zones come from the settings ──

ZONE_KEYWORD = {
    "open_request": "timezone",
    "ChatConfig": "timezone",
    "handle_sms": "default_timezone",
    "Inbox": "default_timezone",
    "TwilioWebhooks": "default_timezone",
}


def test_every_caller_in_bot_passes_the_configured_zone():
    missing = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            keyword = ZONE_KEYWORD.get(name or "")
            if keyword and keyword not in {k.arg for k in node.keywords}:
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}() without {keyword}=")
    assert not missing, "\n".join(missing)


def test_the_default_zone_is_written_once():
    holders = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "bot").rglob("*.py")
        if '"America/Detroit"' in path.read_text(encoding="utf-8")
    ]
    assert holders == ["bot/config.py"]


def test_a_request_or_invitation_changes_status_only_through_the_table():
    # Setting `.status` to a lifecycle enum anywhere but orders.move would skip the table of moves.
    bypasses = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name == "bot/services/orders.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = [t for target in getattr(node, "targets", ()) for t in ast.walk(target)]
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Attribute) and t.attr == "status" for t in targets
            ):
                if any(n in ast.unparse(node.value) for n in ("RequestStatus", "InvitationStatus")):
                    bypasses.append(f"{name}:{node.lineno}")
    assert not bypasses, bypasses
