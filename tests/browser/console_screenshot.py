"""Fill a database with the demo makers and a morning's work, log in to the organisers' console in headless
Chromium and save the Today page as docs/console-today.png (the README's picture).

Run from the repository root: .venv/bin/python -m tests.browser.console_screenshot
"""

from __future__ import annotations

import io
import tempfile
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlmodel import col, select

from bot.db import Database
from bot.models import Invitation, Maker, MessageStatus, OutboundMessage, utcnow
from bot.services import console_access
from bot.services import makers as maker_service
from bot.services import requests as request_service
from bot.services.orders import InvitationStatus
from bot.signing import Signer
from matching.taxonomy import load_taxonomy
from tests.browser.journey import ROOT, chromium, console_server
from tests.conftest import demo_csv

SECRET = "s" * 40
ORGANISER = 700000000  # the sandbox's organiser
REQUESTS = (
    "500 face shields by Friday near 48201",
    "200 isolation gowns near 48207",
    "40 gallons of hand sanitizer near 48226",
    "1000 ear savers for a school district near 48109",
)
QUIET = ("Detroit Denim", "Pingree Detroit", "York Project")
WIDTH, MAX_BYTES = 1000, 150_000


def morning(db: Database) -> None:
    """The demo makers, four requests sent to makers, one answer waiting for the buyer, one order under way, one
    invitation that could not be delivered and three makers not heard from in six weeks."""
    taxonomy = load_taxonomy()
    maker_service.import_makers(db, demo_csv(), "demo", taxonomy)
    codes = [
        request_service.open_request(db, taxonomy, text, radius_miles=50, max_invites=3).request.code
        for text in REQUESTS
    ]
    now = utcnow()
    with db.transaction() as session:
        gowns = _invitations(session, codes[1])
        gowns[0].status, gowns[0].price_cents, gowns[0].answered_at = InvitationStatus.QUOTED, 1400, now
        sanitizer = _invitations(session, codes[2])
        sanitizer[0].status, sanitizer[0].price_cents = InvitationStatus.ACCEPTED, 2200
        sanitizer[0].answered_at = sanitizer[0].accepted_at = now - timedelta(days=2)
        invite = session.exec(
            select(OutboundMessage).where(col(OutboundMessage.maker_id) == _invitations(session, codes[3])[0].maker_id)
        ).first()
        assert invite is not None
        invite.status, invite.error_code, invite.updated_at = MessageStatus.FAILED.value, "30003", now
        session.execute(
            sa.update(Maker)
            .where(col(Maker.name).in_(QUIET))
            .values(created_at=now - timedelta(days=60), last_seen_at=now - timedelta(days=42))
        )


def _invitations(session, code: str) -> list[Invitation]:
    from bot.models import Request

    return list(
        session.exec(
            select(Invitation)
            .join(Request, col(Request.id) == col(Invitation.request_id))
            .where(Request.code == code)
            .order_by(col(Invitation.id))
        ).all()
    )


def save_small(png: bytes, target: Path) -> None:
    """The screenshot as a palette PNG (the page has few colours), so the README's picture stays small."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(target, optimize=True)
    assert target.stat().st_size <= MAX_BYTES, f"{target} is {target.stat().st_size} bytes"


def main() -> None:
    target = ROOT / "docs" / "console-today.png"
    with tempfile.TemporaryDirectory() as workdir:
        db = Database(f"sqlite:///{workdir}/console.db")
        db.upgrade()
        morning(db)
        with console_server(db, SECRET, ORGANISER) as url, chromium(WIDTH, 1400) as driver:
            links = console_access.ConsoleLinks(public_url=url, signer=Signer(SECRET))
            with db.transaction() as session:
                link = console_access.issue_link(session, links, ORGANISER, utcnow())
            driver.get(link)
            driver.find_element(By.XPATH, "//button[normalize-space()='Log in']").click()
            WebDriverWait(driver, 20).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Today")
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(WIDTH, height)
            save_small(driver.get_screenshot_as_png(), target)
        db.dispose()
    print(f"saved {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
