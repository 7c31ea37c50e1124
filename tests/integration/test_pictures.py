"""Pictures both ways: a buyer's photo reaches the invited makers as MMS media (Twilio's request checked against
Prism), a maker's MMS photo reaches the buyer as a Telegram photo (the recording Bot API), GPS metadata never
survives, a refused file costs one sentence and never the words, and /media serves nothing without a good link."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from PIL import Image
from sqlmodel import select
from starlette.testclient import TestClient
from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse

from bot import bootstrap, media, texts
from bot.channels.sms_sender import TwilioSender
from bot.config import Settings
from bot.models import Invitation, Maker, Media, OutboundMessage, Request
from bot.outbox import Outgoing, SendError
from bot.services import makers as maker_service
from tests.conftest import demo_csv
from tests.fakes.senders import RecordingSender
from tests.fixtures.telegram import TOKEN, RecordingRequest, callback_update, document_update, photo_update
from tests.fixtures.twilio import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, PUBLIC_URL, inbound_sms, signed, status_callback

ONE_ATTACHED = texts.BUYER_PICTURES_ATTACHED.format(count=1)  # "📎 1 drawing attached"

GPS_IFD = 0x8825
REQUEST_TEXT = "need 500 face shields by Friday near 48201"


def photo_with_gps(size: tuple[int, int] = (800, 600)) -> bytes:
    """A phone photo: JPEG with the camera's make and a GPS position in its EXIF."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (42.0, 19.0, 53.0), 3: "W", 4: (83.0, 2.0, 45.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the position is really in there
    return data


def assert_clean_image(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()  # no EXIF at all: no GPS position, no camera
        assert "exif" not in image.info


# ── the files themselves ──


def test_a_photo_is_re_encoded_without_its_gps_position():
    cleaned = media.clean(photo_with_gps())
    assert cleaned.extension == "jpg"
    assert_clean_image(cleaned.data)


def test_a_text_file_named_jpg_is_refused_on_its_bytes():
    with pytest.raises(media.Refused) as refused:
        media.clean(b"this is not a picture, whatever its name says\n" * 10)
    assert refused.value.reason == texts.PICTURE_WRONG_KIND


def test_an_oversize_file_is_refused_before_it_is_decoded():
    with pytest.raises(media.Refused) as refused:
        media.clean(b"\xff\xd8\xff" + b"\0" * media.MAX_BYTES)
    assert refused.value.reason == texts.PICTURE_TOO_BIG.format(limit_mb=media.MAX_BYTES // (1024 * 1024))


def test_a_pdf_is_kept_as_it_came():
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    cleaned = media.clean(pdf)
    assert (cleaned.extension, cleaned.data, cleaned.content_type) == ("pdf", pdf, "application/pdf")


# ── GET /media/<token> ──


@pytest.fixture
def served(tmp_path):
    from bot.web import MediaFiles, create_app

    store = media.MediaStore(tmp_path / "media")
    links = media.MediaLinks("k" * 40, PUBLIC_URL)
    runtime = bootstrap.start(Settings(database_url=f"sqlite:///{tmp_path}/m.db", _env_file=None))
    with TestClient(create_app(runtime.db, media=MediaFiles(store, links))) as client:
        client.store, client.links = store, links
        yield client


def test_a_signed_link_serves_the_file_and_nothing_else_does(served):
    stored = served.store.save(media.clean(photo_with_gps()))
    token = served.links.token(stored.key)

    good = served.get(f"/media/{token}")
    assert good.status_code == 200 and good.headers["content-type"] == "image/jpeg"
    assert_clean_image(good.content)

    forged = media.MediaLinks("another key entirely, forty chars long!!", PUBLIC_URL).token(stored.key)
    for bad in (forged, token[:-2] + "xx", stored.key, "nothing"):
        answer = served.get(f"/media/{bad}")
        assert answer.status_code == 404 and answer.content == b""

    with time_machine.travel(datetime.now() + media.LINK_LIFETIME + timedelta(hours=1), tick=False):
        expired = served.get(f"/media/{token}")
    assert expired.status_code == 404 and expired.content == b""


def test_a_pdf_is_served_as_an_attachment(served):
    stored = served.store.save(media.clean(b"%PDF-1.4\n%%EOF\n"))
    answer = served.get(f"/media/{served.links.token(stored.key)}")
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("attachment")


# ── through the channels ──


class FakeTwilioMedia:
    """Twilio's media URLs: on the API host, Basic auth required, then a redirect to a CDN on another host, which
    must not be sent the credentials."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.cdn_saw_auth: list[bool] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return None

            def do_GET(self):
                path = urlsplit(self.path).path
                if path.startswith("/cdn/"):
                    owner.cdn_saw_auth.append("Authorization" in self.headers)
                    body = owner.files.get(path.rsplit("/", 1)[-1])
                    self.send_response(200 if body is not None else 404)
                    self.end_headers()
                    self.wfile.write(body or b"")
                    return
                import base64

                expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.end_headers()
                    return
                self.send_response(307)
                # localhost, not 127.0.0.1: another host, as Twilio's CDN is
                self.send_header("Location", f"http://localhost:{owner.port}/cdn/{path.rsplit('/', 1)[-1]}")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def twilio_media():
    fake = FakeTwilioMedia({})
    yield fake
    fake.close()


@pytest.fixture
def app(tmp_path, twilio_media):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/pics.db",
        telegram_token=TOKEN,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=OUR_NUMBER,
        twilio_api_url=twilio_media.url,
        public_url=PUBLIC_URL,
        secret_key="s" * 40,
        quiet_hours="",
        sms_per_second=200,
        _env_file=None,
    )
    runtime = bootstrap.start(settings)
    maker_service.import_makers(runtime.db, demo_csv(), "demo", runtime.taxonomy)
    request, sms = RecordingRequest(), RecordingSender()
    server = bootstrap.build_server(
        runtime, {"sms": sms}, telegram_request=request, telegram_updates_request=RecordingRequest()
    )
    with TestClient(server.app, base_url=PUBLIC_URL) as client:
        client.bot, client.sms, client.runtime, client.settings = request, sms, runtime, settings
        yield client


def twilio_media_url(message_sid: str, media_sid: str) -> str:
    """Where Twilio's webhook says an MMS's picture is (it redirects to the CDN)."""
    return f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message_sid}/Media/{media_sid}"


def post_update(client, update) -> None:
    from bot.channels.telegram import webhook_secret

    answer = client.post(
        "/telegram/webhook",
        content=json.dumps(update),
        headers={"X-Telegram-Bot-Api-Secret-Token": webhook_secret(client.settings)},
    )
    assert answer.status_code == 200


def settle(client, wait: float = 5.0) -> None:
    """Until the dispatcher beside the app has sent everything queued."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with client.runtime.db.read() as session:
            waiting = session.exec(
                select(OutboundMessage).where(OutboundMessage.status.in_(("queued", "sending")))
            ).first()
        if waiting is None:
            return
        time.sleep(0.05)


def telegram_texts(client) -> list[str]:
    calls = client.bot.calls
    return [p.get("text") or p.get("caption") or "" for name, p in calls if name in ("sendMessage", "sendPhoto")]


def the_request(client) -> Request:
    with client.runtime.db.read() as session:
        return session.exec(select(Request)).one()


def send_request_with(client, update) -> Request:
    post_update(client, update)
    request = the_request(client)
    post_update(client, callback_update(f"send:{request.id}"))
    settle(client)
    return the_request(client)


def test_a_buyers_photo_reaches_the_invited_makers_as_mms_media(app, prism_url):
    app.bot.files["ph1"] = photo_with_gps()

    post_update(app, photo_update("ph1", size=len(app.bot.files["ph1"]), caption=REQUEST_TEXT))
    settle(app)
    assert any(ONE_ATTACHED in text for text in telegram_texts(app))  # "📎 1 drawing attached"
    request = the_request(app)
    post_update(app, callback_update(f"send:{request.id}"))
    settle(app)

    invitations = [m for m in app.sms.sent if m.purpose == "invitation"]
    assert invitations and all(m.media_key and not m.media_as_link for m in invitations)

    # What Twilio is sent for one of them, against Prism (Twilio's own description of Messages.create).
    prism_settings = app.settings.model_copy(update={"twilio_api_url": prism_url})
    sender = TwilioSender(prism_settings, links=bootstrap.media_links(app.settings))

    async def send_one():
        try:
            return await sender.send(invitations[0])
        except SendError:
            return None
        finally:
            await sender.aclose()

    asyncio.run(send_one())
    posted = parse_qs(sender.http_client._test_only_last_request.data.decode())
    answer = sender.http_client._test_only_last_response
    if answer.status_code != 201:
        # Prism reads a form field given once as a string, though Twilio's description makes MediaUrl an array
        # (and Twilio takes it given once): that, and nothing else in the request, is all it may object to.
        problems = json.loads(answer.text)["validation"]
        assert [(p["location"], p["code"]) for p in problems] == [(["body", "MediaUrl"], "type")], problems
    [media_url] = posted["MediaUrl"]
    assert media_url.startswith(f"{PUBLIC_URL}/media/")
    served = app.get(urlsplit(media_url).path)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert_clean_image(served.content)  # the re-encoded picture, GPS position gone


def test_a_maker_without_mms_gets_a_link_and_a_pdf_is_always_a_link(app):
    with app.runtime.db.transaction() as session:
        for maker in session.exec(select(Maker)).all():
            maker.mms = False
    app.bot.files["ph2"] = photo_with_gps()
    send_request_with(app, photo_update("ph2", size=1000, caption=REQUEST_TEXT))
    invitations = [m for m in app.sms.sent if m.purpose == "invitation"]
    assert invitations and all(m.media_key and m.media_as_link for m in invitations)


def test_a_maker_mms_photo_reaches_the_buyer_with_the_quote(app, twilio_media):
    post_update(app, photo_update("none", size=10, caption=REQUEST_TEXT))  # a photo the bot cannot fetch
    settle(app)
    assert texts.PICTURE_NOT_FETCHED in telegram_texts(app)  # one sentence; the words went on
    request = the_request(app)
    post_update(app, callback_update(f"send:{request.id}"))
    settle(app)
    with app.runtime.db.read() as session:
        invitation, maker = session.exec(
            select(Invitation, Maker).join(Maker, Maker.id == Invitation.maker_id).where(Invitation.rank == 1)
        ).one()
        phone = maker.phone
    twilio_media.files["ME" + "ab" * 16] = photo_with_gps((1200, 900))
    form = inbound_sms(
        f"YES {request.code} $2.10 each 5 days",
        sender=phone,
        sid="MM" + "5c" * 16,
        NumMedia="1",
        MediaUrl0=twilio_media_url("MM" + "5c" * 16, "ME" + "ab" * 16),
        MediaContentType0="image/jpeg",
    )
    assert app.post("/twilio/sms", **signed("/twilio/sms", form)).status_code == 200
    settle(app)

    assert twilio_media.cdn_saw_auth == [False]  # the account's credentials stayed with Twilio's host
    [photo] = app.bot.calls_to("sendPhoto")
    assert "$2.10" in photo["caption"]
    [(method, files)] = app.bot.uploads
    assert method == "sendPhoto"
    assert_clean_image(next(iter(files.values())))
    with app.runtime.db.read() as session:
        kept = session.exec(select(Media).where(Media.sender == "maker")).one()
    assert kept.invitation_id == invitation.id


def test_a_fake_image_is_refused_in_one_sentence_and_the_words_still_go_through(app, twilio_media):
    app.bot.files["fake"] = b"GIF89a? no, just text pretending to be a picture" * 3
    post_update(app, document_update("fake", 150, "drawing.jpg", "image/jpeg", caption=REQUEST_TEXT))
    settle(app)
    said = telegram_texts(app)
    assert said.count(texts.PICTURE_WRONG_KIND) == 1
    assert any("face shield" in text.lower() for text in said if text != texts.PICTURE_WRONG_KIND)
    with app.runtime.db.read() as session:
        assert session.exec(select(Media)).first() is None
        assert session.exec(select(Request)).one().text == REQUEST_TEXT


def test_an_oversize_mms_is_refused_in_one_sentence_and_the_answer_still_counts(app, twilio_media):
    request = send_request_with(app, photo_update("gone", size=10, caption=REQUEST_TEXT))
    with app.runtime.db.read() as session:
        maker = session.exec(
            select(Maker).join(Invitation, Maker.id == Invitation.maker_id).where(Invitation.rank == 1)
        ).one()
    twilio_media.files["ME" + "cd" * 16] = b"\xff\xd8\xff" + b"\0" * media.MAX_BYTES
    form = inbound_sms(
        f"YES {request.code} $3 each 4 days",
        sender=maker.phone,
        sid="MM" + "6d" * 16,
        NumMedia="1",
        MediaUrl0=twilio_media_url("MM" + "6d" * 16, "ME" + "cd" * 16),
    )
    assert app.post("/twilio/sms", **signed("/twilio/sms", form)).status_code == 200
    settle(app)
    to_maker = app.sms.texts_to(maker.phone)
    too_big = texts.PICTURE_TOO_BIG.format(limit_mb=media.MAX_BYTES // (1024 * 1024))
    assert to_maker.count(too_big) == 1
    assert any("$3.00" in text or "$3" in text for text in telegram_texts(app))  # the quote reached the buyer
    assert app.bot.calls_to("sendPhoto") == []


def test_retention_prunes_old_pictures_and_their_files(app):
    app.bot.files["ph4"] = photo_with_gps()
    post_update(app, photo_update("ph4", size=1000, caption=REQUEST_TEXT))
    settle(app)
    store = bootstrap.media_store(app.settings)
    assert len(store.stored_keys()) == 1
    later = datetime.now().astimezone() + timedelta(days=app.settings.media_retention_days + 2)
    assert bootstrap.prune_media(app.runtime, later) == 1
    assert store.stored_keys() == []
    with app.runtime.db.read() as session:
        assert session.exec(select(Media)).first() is None


# ── the sandbox page ──


@pytest.fixture
def sandbox_client(tmp_path):
    from bot.config import load_settings

    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/sandbox.db", quiet_hours="", sms_per_second=200, max_invites=2
    )
    runtime = bootstrap.start(settings)
    server, _count = bootstrap.build_sandbox(runtime)
    with TestClient(server.app) as client:
        yield client
    runtime.db.dispose()


def wait_for(client, predicate, what: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate(client.get("/sandbox/state").json())
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def as_data_url(data: bytes) -> str:
    import base64

    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


def test_the_sandbox_buyer_attaches_a_photo_and_a_maker_answers_with_one(sandbox_client):
    client = sandbox_client
    answer = client.post("/sandbox/chat/picture", json={"picture": as_data_url(photo_with_gps()), "text": REQUEST_TEXT})
    assert answer.status_code == 200, answer.text
    summary = wait_for(
        client,
        lambda s: next((m for m in s["buyer"]["messages"] if ONE_ATTACHED in m["text"]), None),
        "the summary counting the picture",
    )
    send = next(b["data"] for row in summary["buttons"] for b in row if b["data"].startswith("send:"))
    assert client.post("/sandbox/chat", json={"callback": send}).status_code == 200
    maker = wait_for(
        client,
        lambda s: next((m for m in s["makers"] if any(x.get("picture") for x in m["messages"])), None),
        "an invitation with the picture",
    )
    invitation = next(x for x in maker["messages"] if x.get("picture"))
    shown = client.get(invitation["picture"])
    assert shown.status_code == 200
    assert_clean_image(shown.content)
    code = re.search(r"YES ([A-Z0-9]{4})", invitation["text"]).group(1)

    reply = {"phone": maker["phone"], "text": f"YES {code} $2 each 3 days", "picture": as_data_url(photo_with_gps())}
    assert client.post("/sandbox/sms/picture", json=reply).status_code == 200
    quote = wait_for(
        client,
        lambda s: next((m for m in s["buyer"]["messages"] if m.get("picture") and m.get("purpose") == "quote"), None),
        "the quote with the maker's picture",
    )
    assert "$2" in quote["text"]
    assert_clean_image(client.get(quote["picture"]).content)


def test_the_sandbox_refuses_a_fake_picture_in_one_sentence(sandbox_client):
    client = sandbox_client
    fake = as_data_url(b"just some text, not a picture at all")
    assert client.post("/sandbox/chat/picture", json={"picture": fake, "text": REQUEST_TEXT}).status_code == 200
    wait_for(
        client,
        lambda s: [m for m in s["buyer"]["messages"] if m["text"] == texts.PICTURE_WRONG_KIND],
        "the refusal",
    )
    wait_for(client, lambda s: [m for m in s["buyer"]["messages"] if "face shield" in m["text"].lower()], "the words")


# ── MMS that does not go as MMS ──


class ScriptedTwilio(HttpClient):
    """Answers Messages.create from a script, one response per call, and keeps each form posted."""

    def __init__(self, *answers: TwilioResponse) -> None:
        super().__init__(logging.getLogger("tests.twilio_script"), False, None)
        self.answers = list(answers)
        self.forms: list[dict[str, list[str]]] = []

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, **_):
        self.forms.append({key: list(value) if isinstance(value, list) else [value] for key, value in data.items()})
        return self.answers.pop(0)


def created(sid: str) -> TwilioResponse:
    return TwilioResponse(201, json.dumps({"sid": sid, "status": "queued", "num_segments": "1"}), {})


def test_a_refused_mms_goes_again_at_once_with_a_link(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    refused = TwilioResponse(400, json.dumps({"code": 21620, "message": "Invalid media URL(s)", "status": 400}), {})
    script = ScriptedTwilio(refused, created("SM" + "2" * 32))
    settings = Settings(
        _env_file=None,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=OUR_NUMBER,
        public_url=PUBLIC_URL,
    )
    links = media.MediaLinks("k" * 40, PUBLIC_URL)
    sender = TwilioSender(settings, http_client=script, links=links)
    message = Outgoing(
        id=7,
        channel="sms",
        address="+13135550123",
        text="job K7Q2",
        buttons=None,
        purpose="invitation",
        attempt=1,
        media_key="a" * 64 + ".jpg",
    )

    assert asyncio.run(sender.send(message)).provider_id == "SM" + "2" * 32
    first, second = script.forms
    assert first["MediaUrl"][0].startswith(f"{PUBLIC_URL}/media/")
    assert "MediaUrl" not in second
    link = second["Body"][0].splitlines()[-1]
    assert link == first["MediaUrl"][0]
    assert links.key_of(link.rsplit("/", 1)[-1]) == message.media_key
    assert "/media/" not in caplog.text  # a signed link is never logged


def test_an_mms_the_carrier_could_not_take_goes_again_as_a_link(app):
    app.bot.files["ph5"] = photo_with_gps()
    send_request_with(app, photo_update("ph5", size=1000, caption=REQUEST_TEXT))
    with app.runtime.db.read() as session:
        mms = session.exec(select(OutboundMessage).where(OutboundMessage.purpose == "invitation")).first()
        assert mms.media_key and not mms.media_as_link and mms.provider_id
    report = status_callback(mms.provider_id, "undelivered", error_code="30019")
    assert app.post("/twilio/status", **signed("/twilio/status", report)).status_code == 200
    settle(app)
    again = [m for m in app.sms.sent if m.address == mms.address and m.media_as_link]
    assert [m.media_key for m in again] == [mms.media_key]
    with app.runtime.db.read() as session:
        assert session.get(Maker, mms.maker_id).mms is False


def test_a_picture_sent_after_the_request_goes_to_the_makers_asked(app):
    request = send_request_with(app, photo_update("missing", size=10, caption=REQUEST_TEXT))
    asked = {m.address for m in app.sms.sent if m.purpose == "invitation"}
    assert asked and all(m.media_key is None for m in app.sms.sent if m.purpose == "invitation")
    app.bot.files["later"] = photo_with_gps()
    post_update(app, photo_update("later", size=1000))
    settle(app)
    added = [m for m in app.sms.sent if m.purpose == "picture"]
    assert {m.address for m in added} == asked
    assert all(m.media_key and request.code in m.text for m in added)
    assert texts.BUYER_PICTURE_SENT_ON.format(code=request.code) in telegram_texts(app)


def test_a_pdf_drawing_goes_to_makers_as_a_link(app):
    app.bot.files["pdf1"] = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
    send_request_with(app, document_update("pdf1", 40, "part.pdf", "application/pdf", caption=REQUEST_TEXT))
    invitations = [m for m in app.sms.sent if m.purpose == "invitation"]
    assert invitations and all(m.media_key.endswith(".pdf") and m.media_as_link for m in invitations)


def test_a_maker_picture_without_a_quote_goes_to_the_one_open_job(app, twilio_media):
    request = send_request_with(app, photo_update("none2", size=10, caption=REQUEST_TEXT))
    with app.runtime.db.read() as session:
        maker = session.exec(
            select(Maker).join(Invitation, Maker.id == Invitation.maker_id).where(Invitation.rank == 1)
        ).one()
    twilio_media.files["ME" + "ef" * 16] = photo_with_gps()
    form = inbound_sms(
        "",
        sender=maker.phone,
        sid="MM" + "7e" * 16,
        NumMedia="1",
        MediaUrl0=twilio_media_url("MM" + "7e" * 16, "ME" + "ef" * 16),
    )
    assert app.post("/twilio/sms", **signed("/twilio/sms", form)).status_code == 200
    settle(app)
    after_invitation = [m.text for m in app.sms.sent if m.address == maker.phone and m.purpose != "invitation"]
    assert after_invitation == [texts.SMS_PICTURE_PASSED_ON.format(code=request.code)]
    [photo] = app.bot.calls_to("sendPhoto")
    assert photo["caption"] == texts.BUYER_PICTURE_FROM_MAKER.format(rank=1, code=request.code)


def test_an_uncertain_retry_recognises_a_message_sent_with_its_picture_link():
    from bot.channels.sms_sender import _comparable, _same_text, _with_link

    message = Outgoing(
        id=8, channel="sms", address="+13135550123", text="job K7Q2", buttons=None, purpose="x", attempt=2,
        media_key="b" * 64 + ".pdf",
    )  # fmt: skip
    sent = _comparable(_with_link("job K7Q2", f"{PUBLIC_URL}/media/an-earlier-token"))
    assert _same_text(sent, _comparable(message.text), message)
    assert not _same_text(_comparable("job K7Q3"), _comparable(message.text), message)


def test_a_picture_too_large_in_pixels_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")  # 48 million pixels in a few kilobytes
    with pytest.raises(media.Refused) as refused:
        media.clean(out.getvalue())
    assert refused.value.reason == texts.PICTURE_TOO_BIG_PIXELS


@pytest.mark.parametrize(
    ("database_url", "media_dir", "expected"),
    [
        ("sqlite:////data/makerlink.db", None, "/data/media"),
        ("sqlite:///makerlink.db", None, "media"),
        ("postgresql://u@db/makerlink", None, "media"),
        ("postgresql://u@db/makerlink", "/srv/pictures", "/srv/pictures"),
    ],
)
def test_pictures_are_kept_beside_the_sqlite_file_unless_told_otherwise(database_url, media_dir, expected):
    from pathlib import Path

    settings = Settings(_env_file=None, database_url=database_url, media_dir=media_dir)
    assert settings.media_path() == Path(expected)
