"""The findings of a hostile test of a production server (issue 20), each as the attack it was."""
import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from centre import create_app
from centre.auth.services import password_reset_token
from centre.errors import DomainError
from centre.extensions import db
from centre.models import AuditEntry, OutboxMail, Role, SessionStatus, Trainee, User
from centre.models.types import utcnow
from tests.conftest import PASSWORD, csrf_token, post

PUBLIC = "https://centre.example.ma"


@pytest.fixture
def production(monkeypatch, database_url, tmp_path):
    """A production-mode app whose public address is PUBLIC; jobs (mail) run inline."""
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("CENTRE_PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.delenv("CENTRE_TRUSTED_HOSTS", raising=False)
    app = create_app("production", SQLALCHEMY_DATABASE_URI=database_url, QUEUE_IMMEDIATE=True,
                     MAIL_FOLDER=str(tmp_path / "mail"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# 1. Links poisoned by the Host header.

def test_production_refuses_to_start_without_its_public_address(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.delenv("CENTRE_PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="CENTRE_PUBLIC_BASE_URL"):
        create_app("production")
    monkeypatch.setenv("CENTRE_PUBLIC_BASE_URL", "centre.example.ma")  # no scheme: not an address
    with pytest.raises(RuntimeError, match="CENTRE_PUBLIC_BASE_URL"):
        create_app("production")


def test_a_foreign_host_header_is_refused_and_mailed_links_use_the_public_address(production, create_user):
    with production.app_context():
        email = create_user(Role.ADMIN).email
        db.session.commit()
    client = production.test_client()
    # The attack: ask for the admin's reset link under the attacker's host name.
    response = client.get("/password/forgot", base_url="https://evil.example")
    assert response.status_code == 400
    response = client.post("/password/forgot", data={"email": email}, base_url="https://evil.example")
    assert response.status_code == 400
    response = client.get("/password/forgot", base_url="https://centre.example.ma:443",
                          headers={"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 200  # the proxy's header is not believed (no trusted proxy)
    with production.app_context():
        assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 0
    # The centre's own host works, and the link in the mail is on the public address.
    token = csrf_token(client, "https://centre.example.ma/password/forgot")
    response = client.post("/password/forgot", data={"csrf_token": token, "email": email},
                           base_url=PUBLIC, headers={"Referer": f"{PUBLIC}/password/forgot"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with production.app_context():
        body = db.session.scalar(sa.select(OutboxMail.body).where(OutboxMail.recipient == email))
    assert re.search(r"https://centre\.example\.ma/password/reset/\S+", body), body


def test_more_host_names_are_accepted_when_listed(monkeypatch, database_url, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("CENTRE_PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("CENTRE_TRUSTED_HOSTS", "localhost, 10.0.0.5")
    app = create_app("production", SQLALCHEMY_DATABASE_URI=database_url)
    client = app.test_client()
    assert client.get("/healthz", base_url="http://localhost").status_code == 200
    assert client.get("/healthz", base_url="http://10.0.0.5:8000").status_code == 200
    assert client.get("/healthz", base_url=PUBLIC).status_code == 200
    assert client.get("/healthz", base_url="http://10.0.0.6").status_code == 400
    with app.app_context():
        db.engine.dispose()


# 2. Cookies that never expire and survive a password reset.

def _signed_in(app, email, remember=True):
    client = app.test_client()
    response = post(client, "/login", {"email": email, "password": PASSWORD, "remember": "y" if remember else ""},
                    form_url="/login")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _is_signed_in(client) -> bool:
    response = client.get("/dashboard")  # a signed-in person is sent to their own page
    assert response.status_code == 302
    return "/login" not in response.headers["Location"]


def _with_only_the_remember_cookie(app, client):
    """Another browser holding nothing but a copy of `client`'s remember cookie (a stolen one)."""
    thief = app.test_client()
    thief.set_cookie("remember_token", client.get_cookie("remember_token").value)
    return thief


def test_a_password_reset_ends_every_sign_in_and_remember_cookie(app, create_user):
    with app.app_context():
        user = create_user(Role.COORDINATOR)
        email, user_id = user.email, user.id
        db.session.commit()
    victim = _signed_in(app, email)
    thief = _with_only_the_remember_cookie(app, victim)
    assert _is_signed_in(thief)  # the cookie signs in on its own
    assert victim.get_cookie("remember_token").value.split("|")[0] != str(user_id)  # not the bare id
    # The owner resets the password.
    with app.app_context():
        token = password_reset_token(db.session.get(User, user_id))
    owner = app.test_client()
    path = f"/password/reset/{token}"
    response = post(owner, path, {"password": "a brand new password", "password_again": "a brand new password"},
                    form_url=path)
    assert response.status_code == 302
    assert _is_signed_in(owner)  # the one who reset it is signed in
    for client in (victim, _with_only_the_remember_cookie(app, victim), thief):
        client.delete_cookie("session")
        assert not _is_signed_in(client), "a cookie from before the reset still signs in"
    response = post(app.test_client(), "/login", {"email": email, "password": PASSWORD}, form_url="/login")
    assert response.status_code == 400  # the old password is gone


def test_sign_out_everywhere_ends_the_other_browsers_too(app, create_user):
    with app.app_context():
        user = create_user(Role.EXPERT)
        email, user_id = user.email, user.id
        db.session.commit()
    laptop, phone = _signed_in(app, email), _signed_in(app, email, remember=False)
    thief = _with_only_the_remember_cookie(app, laptop)
    phone.set_cookie("centre_lang", "en")
    response = post(phone, "/logout/everywhere", {}, follow_redirects=True)
    assert "signed out on every device" in response.get_data(as_text=True)
    for client in (laptop, phone, thief):
        assert not _is_signed_in(client)
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.action == "signed_out_everywhere",
                                                                 AuditEntry.entity_id == user_id))
    assert _is_signed_in(_signed_in(app, email))  # signing in again works


def test_a_sign_in_lasts_at_most_the_remember_duration(app, create_user):
    from centre.auth.services import load_user

    with app.app_context():
        user = create_user(Role.ADMIN)
        user_id, token = user.id, user.session_token
        db.session.commit()
        limit = app.config["REMEMBER_COOKIE_DURATION"]
        assert timedelta(days=1) <= limit <= timedelta(days=31)
        now = utcnow()
        recent = int((now - limit + timedelta(minutes=5)).timestamp())
        stale = int((now - limit - timedelta(minutes=5)).timestamp())
        assert load_user(f"{user_id}:{token}:{recent}").id == user_id
        assert load_user(f"{user_id}:{token}:{stale}") is None
        assert load_user(f"{user_id}:{'0' * 32}:{recent}") is None
        assert load_user(str(user_id)) is None  # the old form, Flask-Login's bare id
        assert load_user("x:y:z") is None and load_user("") is None


# 3. Pre-registered accounts.

def _register(app, client, code, email, password):
    from tests.registrations.test_routes import REGISTRATION

    client.set_cookie("centre_lang", "en")
    url = f"/catalogue/{code}/register"
    return post(client, url, {**REGISTRATION, "email": email, "password": password, "password_again": password,
                              "passport_number": ""}, form_url=url)


def _mails(app, email, template):
    with app.app_context():
        return db.session.scalars(sa.select(OutboxMail.body).where(OutboxMail.recipient == email,
                                                                    OutboxMail.template == template)).all()


def _sign_in(app, email, password):
    client = app.test_client()
    client.set_cookie("centre_lang", "en")
    return client, post(client, "/login", {"email": email, "password": password}, form_url="/login")


def test_an_account_registered_with_someone_elses_address_is_the_owners_once_proved(app, create_session):
    with app.app_context():
        create_session(SessionStatus.OPEN, code="2026-SQUAT")
        db.session.commit()
    victim_email = "victim@example.sn"
    attacker = app.test_client()
    response = _register(app, attacker, "2026-SQUAT", victim_email, "attacker-password")
    assert response.status_code == 302 and response.headers["Location"].endswith("/catalogue/2026-SQUAT")
    assert not _is_signed_in(attacker)  # not signed in before the address is proved
    _, response = _sign_in(app, victim_email, "attacker-password")
    assert response.status_code == 400 and "not confirmed yet" in response.get_data(as_text=True)
    # The owner receives the acknowledgement and follows its link on their own device.
    body, = _mails(app, victim_email, "registration_received")
    path = urlsplit(re.search(r"https?://\S+/registrations/confirm/\S+", body)[0]).path
    owner = app.test_client()
    owner.set_cookie("centre_lang", "en")
    page = owner.get(path)  # a GET (or a mail scanner opening the link) changes nothing
    assert page.status_code == 200 and "Choose the password" in page.get_data(as_text=True)
    _, response = _sign_in(app, victim_email, "attacker-password")
    assert response.status_code == 400
    response = post(owner, path, {"password": "the owner's password", "password_again": "the owner's password"},
                    form_url=path)
    assert response.status_code == 302 and _is_signed_in(owner)
    _, response = _sign_in(app, victim_email, "attacker-password")
    assert response.status_code == 400 and "Wrong e-mail or password" in response.get_data(as_text=True)
    assert _is_signed_in(_sign_in(app, victim_email, "the owner's password")[0])


def test_the_registrant_confirming_in_the_same_browser_keeps_the_password(app, create_session):
    with app.app_context():
        create_session(SessionStatus.OPEN, code="2026-OWN")
        db.session.commit()
    visitor = app.test_client()
    assert _register(app, visitor, "2026-OWN", "me@example.tn", "my own password").status_code == 302
    body, = _mails(app, "me@example.tn", "registration_received")
    path = urlsplit(re.search(r"https?://\S+/registrations/confirm/\S+", body)[0]).path
    response = visitor.get(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/registrations/mine")
    assert visitor.get("/registrations/mine").status_code == 200
    assert _is_signed_in(_sign_in(app, "me@example.tn", "my own password")[0])


def test_a_sign_in_link_proving_the_address_clears_the_password_chosen_before(app, create_session):
    with app.app_context():
        create_session(SessionStatus.OPEN, code="2026-LINK")
        db.session.commit()
    assert _register(app, app.test_client(), "2026-LINK", "owner@example.ma", "squatter-pass").status_code == 302
    owner = app.test_client()
    owner.set_cookie("centre_lang", "en")
    assert post(owner, "/login/link", {"email": "owner@example.ma"}, form_url="/login/link").status_code == 302
    body, = _mails(app, "owner@example.ma", "sign_in_link")
    path = urlsplit(re.search(r"https?://\S+/login/link/\S+", body)[0]).path
    assert post(owner, path, {}, form_url=path).status_code == 302
    assert _is_signed_in(owner)
    _, response = _sign_in(app, "owner@example.ma", "squatter-pass")
    assert response.status_code == 400 and "Wrong e-mail or password" in response.get_data(as_text=True)


def test_registration_answers_the_same_for_an_address_that_has_an_account(app, create_session, create_user):
    with app.app_context():
        create_session(SessionStatus.OPEN, code="2026-KNOWN")
        known = create_user(Role.COORDINATOR).email
        db.session.commit()
    answers = []
    for email in (known, "nobody.yet@example.dz"):
        client = app.test_client()
        response = _register(app, client, "2026-KNOWN", email, "whatever-password")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append((response.status_code, response.headers["Location"],
                        re.search(r'class="flash[^"]*"[^>]*>(.*?)<', page, re.S)[1].replace(email, "EMAIL")))
    assert answers[0] == answers[1]
    assert "already" not in answers[0][2]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Trainee.id)).where(Trainee.email == known)) == 0
    attempt, = _mails(app, known, "registration_attempt")  # the owner is told
    assert "/login" in attempt
    assert _mails(app, "nobody.yet@example.dz", "registration_received")


# 6. User enumeration. A refused sign-in costs one hash whether or not the account exists:
# tests/auth/test_passwords.py::test_a_sign_in_costs_one_hash_whether_or_not_the_account_exists.
# Registration: test_registration_answers_the_same_for_an_address_that_has_an_account above.

@pytest.mark.parametrize("page", ["/password/forgot", "/login/link"])
def test_the_mail_pages_answer_the_same_with_the_smtp_server_down(app, create_user, page):
    import socket

    with socket.socket() as probe:  # a port nobody listens on: the server is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        known = create_user(Role.TRAINEE).email
        db.session.commit()
    answers = []
    for email in (known, "nobody@example.org"):
        client = app.test_client()
        client.set_cookie("centre_lang", "en")
        response = post(client, page, {"email": email}, form_url=page)
        answers.append((response.status_code, response.headers.get("Location"),
                        re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', client.get("/login").get_data(as_text=True))))
    assert answers[0] == answers[1] and answers[0][0] == 302
    with app.app_context():  # the known address's mail is in the outbox, for a retry or a resend
        assert db.session.scalar(sa.select(OutboxMail.status).where(OutboxMail.recipient == known)) != "sent"


# 5. 500s on plausible data.

PASTED = "Awa\x01 Nd\x0ciaye\u2028\x1f"  # control characters, a page break, a line separator


def test_control_characters_are_cleaned_from_forms_and_exports_still_open(app, client, login_as, create_session,
                                                                         create_registration, create_trainee):
    from openpyxl import load_workbook

    with app.app_context():
        training_session = create_session(SessionStatus.OPEN, code="2026-CTRL")
        # A row stored before the cleaning (or by a path that skips it) must not break the export.
        create_registration(training_session, trainee=create_trainee(family_name="Old\x02Row\x1b"))
        session_id = training_session.id
        db.session.commit()
    visitor = app.test_client()
    assert _register(app, visitor, "2026-CTRL", "awa@example.sn", "long-password").status_code == 302
    form = {"given_name": PASTED}
    with app.app_context():
        trainee = db.session.scalar(sa.select(Trainee).where(Trainee.email == "awa@example.sn"))
        assert trainee is not None
    # What the form stored is clean: posted again with the pasted name.
    from tests.registrations.test_routes import REGISTRATION

    other = app.test_client()
    url = "/catalogue/2026-CTRL/register"
    assert post(other, url, {**REGISTRATION, **form, "email": "awa2@example.sn", "passport_number": "X9"},
                form_url=url).status_code == 302
    with app.app_context():
        name = db.session.scalar(sa.select(Trainee.given_name).where(Trainee.email == "awa2@example.sn"))
    assert name == "Awa Nd iaye"
    login_as(Role.COORDINATOR)
    response = client.get(f"/exports/session/{session_id}/registrations.xlsx")
    assert response.status_code == 200
    rows = [[c for c in row] for row in load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)]
    assert any("OldRow" in " ".join(str(c) for c in row) for row in rows)


@pytest.mark.parametrize("title", ["Médiation\rinstitutionnelle", "Médiation\u2028institutionnelle",
                                   "Médiation\x0cinstitutionnelle", "Médiation\ninstitutionnelle"])
def test_a_pasted_session_title_does_not_break_the_mails_headers(app, create_session, smtp_server, title):
    with app.app_context():
        create_session(SessionStatus.OPEN, code="2026-WORD", title_fr=title, title_en=title, title_ar=title)
        db.session.commit()
    response = _register(app, app.test_client(), "2026-WORD", "word@example.sn", "long-password")
    assert response.status_code == 302
    message, = smtp_server.to("word@example.sn")
    assert "\r" not in message["Subject"] and "\u2028" not in message["Subject"] and "\x0c" not in message["Subject"]
    assert "Médiation" in message["Subject"]
    with app.app_context():
        assert db.session.scalar(sa.select(OutboxMail.status).where(OutboxMail.recipient == "word@example.sn")) \
            == "sent"


def test_a_signature_declaring_a_billion_pixels_is_a_clear_400(app, client, login_as):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    # A valid PNG header of 30000 × 30000 pixels, in a few dozen bytes.
    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    login_as(Role.ADMIN)
    client.set_cookie("centre_lang", "en")
    url = "/certificates/signatories"
    data = {"name_fr": "Signataire", "title_fr": "Médiateur", "position": "1",
            "signature": (io.BytesIO(bomb), "bomb.png", "image/png")}
    response = post(client, url, data, form_url=url, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "too large" in response.get_data(as_text=True)


def test_an_id_written_in_other_digits_reaches_nothing(app, client, login_as, create_session, create_registration):
    """Found by the bad-input test on this branch: /registrations/٣/cancel cancelled registration 3."""
    with app.app_context():
        registration = create_registration(create_session(SessionStatus.OPEN))
        db.session.commit()
        arabic = str(registration.id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    login_as(Role.COORDINATOR)
    response = post(client, f"/registrations/{arabic}/cancel", {})
    assert response.status_code == 404


# 4. XLSX files that stall the site.

def _workbook(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _rewrite_sheet(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through `change` (bytes -> bytes)."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            target.writestr(member, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


LIST = [["given_name", "family_name", "gender", "nationality", "email"],
        ["Awa", "Ndiaye", "F", "SN", "awa.ndiaye@example.sn"]]


def test_a_declared_dimension_of_the_whole_sheet_costs_nothing(ctx):
    """Against the same list with its true dimension, read in the same way just before: a ratio,
    not a time, so that a busy machine does not fail it."""
    import time
    import zipfile

    from centre.registrations.imports import read_table

    rows = LIST[:1] + [["Awa", "Ndiaye", "F", "SN", f"awa.{n}@example.sn"] for n in range(1999)]
    honest = _workbook(rows)
    data = _rewrite_sheet(honest, lambda xml: re.sub(rb'<dimension ref="[^"]*"/>',
                                                     b'<dimension ref="A1:XFD1048576"/>', xml))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # the crafted file says so
        assert b'<dimension ref="A1:XFD1048576"/>' in archive.read("xl/worksheets/sheet1.xml")

    def best_of_three(content) -> tuple[float, list]:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            table = read_table("list.xlsx", content)
            times.append(time.perf_counter() - start)
        return min(times), table

    baseline, _ = best_of_three(honest)
    elapsed, table = best_of_three(data)
    assert len(table) == 1999 and table[-1][1]["email"] == "awa.1998@example.sn"
    assert elapsed < 3 * baseline, f"{elapsed:.2f} s against {baseline:.2f} s for the honest list of 1,999 trainees"


def test_a_small_file_that_unpacks_to_a_huge_row_is_refused_quickly(ctx):
    import time

    from centre.registrations.imports import read_table

    cells = b"<c><v>1</v></c>" * 2_000_000  # 30 MB of XML in one row
    data = _rewrite_sheet(_workbook(LIST), lambda xml: xml.replace(b"</sheetData>",
                                                                   b'<row r="3">' + cells + b"</row></sheetData>"))
    assert len(data) < 200_000  # a small upload
    start = time.perf_counter()
    with pytest.raises(DomainError, match="too large once unpacked"):
        read_table("list.xlsx", data)
    assert time.perf_counter() - start < 2


def test_an_import_bomb_is_a_400_with_a_message(app, client, login_as, create_session):
    with app.app_context():
        session_id = create_session(SessionStatus.OPEN).id
        db.session.commit()
    login_as(Role.COORDINATOR)
    client.set_cookie("centre_lang", "en")
    cells = b"<c><v>1</v></c>" * 2_000_000
    data = _rewrite_sheet(_workbook(LIST), lambda xml: xml.replace(b"</sheetData>",
                                                                   b'<row r="3">' + cells + b"</row></sheetData>"))
    url = f"/registrations/session/{session_id}/import"
    response = post(client, url, {"file": (io.BytesIO(data), "list.xlsx")},
                    content_type="multipart/form-data")
    assert response.status_code == 400 and "too large once unpacked" in response.get_data(as_text=True)
    response = post(client, url, {"file": (io.BytesIO(_workbook(LIST)), "list.xlsx")},
                    content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Trainee.id).where(Trainee.email == "awa.ndiaye@example.sn"))


# 7. Mail-sending pages without a throttle.

def _client_from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.set_cookie("centre_lang", "en")
    return client


def test_the_mail_pages_are_throttled_per_recipient_and_per_address(app, create_user, create_session):
    with app.app_context():
        known = create_user(Role.TRAINEE).email
        create_session(SessionStatus.OPEN, code="2026-SPAM")
        db.session.commit()
    per_recipient, per_address = 3, 10  # production's defaults (the tests' config has no limit)
    app.config.update(MAIL_REQUESTS_PER_RECIPIENT=per_recipient, MAIL_REQUESTS_PER_ADDRESS=per_address)
    client = app.test_client()
    client.set_cookie("centre_lang", "en")
    statuses = [post(client, "/password/forgot", {"email": known}, form_url="/password/forgot").status_code
                for _ in range(per_recipient + 2)]
    assert statuses == [302] * per_recipient + [429, 429]
    assert len(_mails(app, known, "password_reset")) == per_recipient  # 40 requests no longer send 40 mails
    # The same answer for an address without an account: the limit tells nothing.
    other = _client_from(app, "10.0.0.2")
    statuses = [post(other, "/login/link", {"email": "nobody@example.org"}, form_url="/login/link").status_code
                for _ in range(per_recipient + 1)]
    assert statuses == [302] * per_recipient + [429]
    response = post(other, "/login/link", {"email": "nobody@example.org"}, form_url="/login/link")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 60
    assert "Too many requests. Please try again in" in response.get_data(as_text=True)
    # One client asking for many recipients: a visitor registering addresses, then resets.
    spammer = _client_from(app, "10.0.0.3")
    statuses = [_register(app, spammer, "2026-SPAM", f"victim{n}@example.org", "long-password").status_code
                for n in range(per_address)]
    assert statuses == [302] * per_address
    assert _register(app, spammer, "2026-SPAM", "one.more@example.org", "long-password").status_code == 429
    assert post(spammer, "/password/forgot", {"email": "x@example.org"}, form_url="/password/forgot").status_code == 429
    assert not _mails(app, "one.more@example.org", "registration_received")
    # Someone else is not concerned.
    fresh = _client_from(app, "10.0.0.4")
    assert post(fresh, "/password/forgot", {"email": "x@example.org"}, form_url="/password/forgot").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "mail_throttled"))


def test_production_throttles_mail_by_default(monkeypatch):
    from config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("CENTRE_PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.delenv("CENTRE_MAIL_REQUESTS_PER_RECIPIENT", raising=False)
    monkeypatch.delenv("CENTRE_MAIL_REQUESTS_PER_ADDRESS", raising=False)
    config = ProductionConfig()
    assert (config.MAIL_REQUESTS_PER_RECIPIENT, config.MAIL_REQUESTS_PER_ADDRESS) == (3, 10)


def test_mail_requests_are_pruned_after_their_window(app):
    from centre.auth.services import count_mail_request
    from centre.jobs.schedules import prune_records
    from centre.models import MailRequest

    with app.app_context():
        now = utcnow()
        count_mail_request("password_reset", "old@example.org", "10.0.0.9", now - timedelta(hours=1))
        count_mail_request("password_reset", "new@example.org", "10.0.0.9", now)
        db.session.commit()
        prune_records(now)
        assert db.session.scalars(sa.select(MailRequest.recipient)).all() == ["new@example.org"]


# 10. Smaller findings.

def test_a_new_invitation_to_the_same_address_retires_the_older_link(ctx, create_expert):
    from centre.experts.services import InvitationError, invite_expert, read_invitation

    expert = create_expert(email="claire@example.org")
    invite_expert(expert)
    invite_expert(expert, language="en")  # sent again: the first mail may have gone astray
    first, second = [re.search(r"/experts/invitation/(\S+)", body)[1] for body in db.session.scalars(
        sa.select(OutboxMail.body).where(OutboxMail.recipient == "claire@example.org").order_by(OutboxMail.id))]
    assert read_invitation(second) == expert
    with pytest.raises(InvitationError, match="newer one was sent"):
        read_invitation(first)


def test_no_registration_is_decided_once_the_session_is_over(ctx, create_session, create_registration, create_user):
    from centre.models import RegistrationStatus
    from centre.registrations.services import decide
    from centre.sessions.services import change_status

    coordinator = create_user(Role.COORDINATOR)
    running = create_session(SessionStatus.IN_PROGRESS)
    pending = create_registration(running, status=RegistrationStatus.PENDING)
    pending.trainee.email_confirmed_at = utcnow()
    change_status(running, SessionStatus.COMPLETED)
    with pytest.raises(DomainError, match="session is over"):
        decide(pending, RegistrationStatus.ACCEPTED, coordinator)
    assert pending.status == RegistrationStatus.PENDING


# 9. Races: the checks that count are atomic (PostgreSQL: advisory locks; SQLite: BEGIN IMMEDIATE).

def _at_once(app, count, action):
    """Run action() in `count` threads at once, each in its own app context (its own connection),
    committing; returns what each returned or raised."""
    import threading

    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        with app.app_context():
            barrier.wait()
            try:
                results[index] = action()
                db.session.commit()
            except Exception as error:  # noqa: BLE001 — the outcome is what the test looks at
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_parallel_guesses_are_checked_against_the_limit(app, create_user):
    from centre.auth.services import SignInLocked, authenticate
    from centre.models import FailedLogin

    with app.app_context():
        email = create_user(Role.ADMIN).email
        db.session.commit()
        limit = app.config["LOGIN_FAILURES_PER_ACCOUNT"]
    now = utcnow()

    def guess():
        try:
            return authenticate(email, "a wrong guess", ip="10.1.1.1", now=now)
        except SignInLocked:
            db.session.commit()  # as the sign-in page does: the failure that locked counts
            return "locked"

    results = _at_once(app, 16, guess)
    assert set(results) == {None, "locked"}, results
    with app.app_context():  # each failure row is a password checked
        assert db.session.scalar(sa.select(sa.func.count(FailedLogin.id))) == limit


def test_parallel_verifications_are_counted_against_the_allowance(app):
    from centre.certificates.verification import allow_verification

    with app.app_context():
        allowance = app.config["VERIFY_RATE_LIMIT"]
    results = _at_once(app, allowance + 10, lambda: allow_verification("10.2.2.2"))
    assert results.count(True) == allowance and results.count(False) == 10, results


def test_the_same_address_registered_at_once_makes_one_account(app, create_session):
    from centre.registrations.services import register_visitor

    with app.app_context():
        session_id = create_session(SessionStatus.OPEN).id
        db.session.commit()
    def register():
        from centre.models import DocumentLanguage, Gender, TrainingSession

        fields = {"given_name": "Moussa", "family_name": "Abdou", "full_name_ar": "", "gender": Gender.MALE,
                  "nationality": "NE", "institution_id": None, "institution_other": "Médiateur du Niger",
                  "position": "Juriste", "email": "same@example.ne", "phone": "", "passport_number": None,
                  "passport_expires_on": None, "certificate_language": DocumentLanguage.FR}
        registration = register_visitor(db.session.get(TrainingSession, session_id), "long-password", fields)
        return registration is not None

    results = _at_once(app, 6, register)
    assert results.count(True) == 1 and results.count(False) == 5, results
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email == "same@example.ne")) == 1


# 8. Passport squatting.

def test_a_passport_number_typed_first_by_someone_else_blocks_nobody(app, client, login_as, create_session,
                                                                     create_trainee):
    from centre.models import Registration, RegistrationStatus
    from centre.registrations.services import register

    with app.app_context():
        training_session = create_session(SessionStatus.OPEN, code="2026-PASS")
        session_id = training_session.id
        db.session.commit()
    # The squatter registers first with the delegate's passport number, under an address of their own.
    squatter = app.test_client()
    response = _register(app, squatter, "2026-PASS", "squatter@example.org", "long-password")
    assert response.status_code == 302
    with app.app_context():
        squat = db.session.scalar(sa.select(Trainee).where(Trainee.email == "squatter@example.org"))
        squat.passport_number = "NE77"
        squat.email_confirmed_at = utcnow()
        db.session.commit()
    # The partner institution's list names the real delegate with that number: imported all the same.
    login_as(Role.COORDINATOR)
    client.set_cookie("centre_lang", "en")
    rows = LIST[:1] + [["Moussa", "Abdou", "M", "NE", "moussa.abdou@example.ne"]]
    rows[0] = rows[0] + ["passport_number"]
    rows[1] = rows[1] + ["NE 77"]
    url = f"/registrations/session/{session_id}/import"
    response = post(client, url, {"file": (io.BytesIO(_workbook(rows)), "list.xlsx")},
                    content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    queue = client.get(f"/registrations/session/{session_id}").get_data(as_text=True)
    assert "Same passport number as" in queue
    with app.app_context():
        delegate = db.session.scalar(sa.select(Registration).join(Trainee)
                                     .where(Trainee.email == "moussa.abdou@example.ne"))
        squatting = db.session.scalar(sa.select(Registration).join(Trainee)
                                      .where(Trainee.email == "squatter@example.org"))
        delegate_id, squatting_id = delegate.id, squatting.id
    # The coordinator accepts the real one; the other cannot be accepted beside it.
    assert post(client, f"/registrations/{delegate_id}/decide/accepted").status_code == 302
    response = post(client, f"/registrations/{squatting_id}/decide/accepted", follow_redirects=True)
    assert "with the same passport number" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Registration, delegate_id).status == RegistrationStatus.ACCEPTED
        assert db.session.get(Registration, squatting_id).status == RegistrationStatus.PENDING
        # The same person (same address) is still refused a second registration.
        from centre.registrations.services import DuplicateRegistration

        with pytest.raises(DuplicateRegistration):
            register(db.session.get(type(training_session), session_id),
                     db.session.scalar(sa.select(Trainee).where(Trainee.email == "moussa.abdou@example.ne")))
