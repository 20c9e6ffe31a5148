"""The wiring: e-mails that arrive on a real SMTP server, the queue's bulk form, letters, import, data."""
import io
import json
import re

import sqlalchemy as sa

from centre.extensions import db
from centre.models import OutboxMail, Registration, RegistrationStatus as R, Role, SessionStatus, Trainee
from tests.conftest import PASSWORD, post

REGISTRATION = {
    "given_name": "Moussa", "family_name": "Abdou", "full_name_ar": "موسى عبدو", "gender": "male",
    "nationality": "NE", "institution_id": "0", "institution_other": "Médiateur du Niger",
    "position": "Juriste", "email": "moussa@example.ne", "passport_number": "NE 77",
    "certificate_language": "fr", "password": "niamey-2026", "password_again": "niamey-2026", "consent": "y",
}


def _link(message, path):
    return _link_in(message.get_content(), path)


def _link_in(text, path):
    return re.search(rf"https?://\S+{path}\S+", text)[0]


def test_visitor_confirms_the_address_from_the_message_then_is_told_the_decision_in_arabic(
        app, client, login_as, create_session, smtp_server):
    with app.app_context():
        training_session = create_session(SessionStatus.OPEN, code="2026-MAIL")
        session_id = training_session.id
        db.session.commit()
    visitor = app.test_client()
    visitor.set_cookie("centre_lang", "ar")
    url = "/catalogue/2026-MAIL/register"
    assert post(visitor, url, REGISTRATION, form_url=url).status_code == 302
    received, = smtp_server.to("moussa@example.ne")
    assert received["Content-Language"] == "ar"
    login_as(Role.COORDINATOR)
    queue = client.get(f"/registrations/session/{session_id}").get_data(as_text=True)
    assert "status-unconfirmed" in queue and "/decide/accepted" not in queue
    assert visitor.get(_link(received, "/registrations/confirm/")).status_code == 302
    with app.app_context():
        registration_id = db.session.scalar(sa.select(Registration.id))
    response = post(client, f"/registrations/{registration_id}/decide/accepted",
                    form_url=f"/registrations/session/{session_id}")
    assert response.status_code == 302
    decided, convocation = smtp_server.to("moussa@example.ne")[-2:]  # the decision, then the convocation (issue 18)
    assert decided["Content-Language"] == "ar" and decided["Subject"] != received["Subject"]
    assert "موسى عبدو" in decided.get_content()
    assert convocation["Content-Language"] == "ar" and convocation.is_multipart()


def test_registering_twice_points_to_my_registrations(app, client, create_session):
    with app.app_context():
        create_session(SessionStatus.OPEN, code="2026-TWICE")
        db.session.commit()
    client.set_cookie("centre_lang", "en")
    url = "/catalogue/2026-TWICE/register"
    assert post(client, url, REGISTRATION, form_url=url).status_code == 302
    with app.app_context():  # the visitor proves the address in the same browser: signed in
        body = db.session.scalar(sa.select(OutboxMail.body).where(OutboxMail.template == "registration_received"))
    assert client.get(_link_in(body, "/registrations/confirm/")).status_code == 302
    response = post(client, url, {}, form_url=url)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and 'href="/registrations/mine"' in html
    assert "already registered" in html
    # The same passport number under another address is taken, for the coordinator to decide
    # (tests/test_hostile.py: a number typed first by someone else must not block the real person).
    other = app.test_client()
    other.set_cookie("centre_lang", "en")
    assert post(other, url, {**REGISTRATION, "email": "another@example.ne"}, form_url=url).status_code == 302


def test_bulk_decision_reports_each_refusal_and_mails_each_decision(app, client, login_as, create_session,
                                                                     create_trainee, smtp_server):
    from centre.registrations.services import register

    with app.app_context():
        training_session = create_session(SessionStatus.OPEN, capacity=1)
        regs = [register(training_session, create_trainee()) for _ in range(2)]
        ids, session_id = [r.id for r in regs], training_session.id
        emails = [r.trainee.email for r in regs]
        names = [r.trainee.name for r in regs]
        db.session.commit()
    login_as(Role.COORDINATOR)
    client.set_cookie("centre_lang", "en")
    queue = f"/registrations/session/{session_id}"
    response = post(client, f"{queue}/decide", {"registration_ids": [str(i) for i in ids], "decision": "accepted"},
                    form_url=queue, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "1 registration: Accepted." in html
    assert f"{names[1]} was not changed: The session is full: every place is taken." in html
    assert len(smtp_server.to(emails[0])) == 2 and smtp_server.to(emails[1]) == []  # decision and convocation
    response = post(client, f"{queue}/decide", {"decision": "accepted"}, form_url=queue, follow_redirects=True)
    assert "Tick at least one registration." in response.get_data(as_text=True)


def test_queue_filters_by_status_institution_and_country(app, client, login_as, create_session, create_trainee,
                                                         create_institution, count_queries):
    from centre.registrations.services import register

    with app.app_context():
        training_session = create_session(SessionStatus.OPEN)
        niger = create_institution(name_fr="Médiateur du Niger", country="NE")
        register(training_session, create_trainee(family_name="Senegalese", nationality="SN"))
        register(training_session, create_trainee(family_name="Nigerien", nationality="NE", institution=niger))
        session_id, niger_id = training_session.id, niger.id
        db.session.commit()
    login_as(Role.COORDINATOR)
    queue = f"/registrations/session/{session_id}"
    html = client.get(f"{queue}?country=NE").get_data(as_text=True)
    assert "Nigerien" in html and "Senegalese" not in html
    html = client.get(f"{queue}?institution={niger_id}&status=pending").get_data(as_text=True)
    assert "Nigerien" in html and "Senegalese" not in html
    assert client.get(f"{queue}?status=nonsense").status_code == 200
    assert count_queries(lambda: client.get(queue)) <= 12


def test_promoted_trainee_is_mailed_when_someone_cancels(app, client, create_session, create_trainee, create_user,
                                                         smtp_server):
    from centre.registrations.services import decide, register

    with app.app_context():
        training_session = create_session(SessionStatus.OPEN, capacity=1)
        owner = create_trainee(user=create_user(Role.TRAINEE))
        first = register(training_session, owner)
        decide(first, R.ACCEPTED, create_user())
        waiting = register(training_session, create_trainee(user=create_user(Role.TRAINEE)))
        waiting.trainee.user.locale = "fr"
        first_id, owner_email, waiting_email = first.id, owner.user.email, waiting.trainee.email
        db.session.commit()
    post(client, "/login", {"email": owner_email, "password": PASSWORD}, form_url="/login")
    assert post(client, f"/registrations/{first_id}/cancel", form_url="/registrations/mine").status_code == 302
    promoted, convocation = smtp_server.to(waiting_email)
    assert promoted["Content-Language"] == "fr" == convocation["Content-Language"]


def test_trainee_downloads_own_letter_and_data_but_not_anothers(app, client, create_registration, create_trainee,
                                                                create_user):
    with app.app_context():
        owner = create_trainee(user=create_user(Role.TRAINEE), passport_number="SN555")
        registration = create_registration(trainee=owner, needs_visa_letter=True)
        registration_id, email = registration.id, owner.user.email
        intruder = create_trainee(user=create_user(Role.TRAINEE)).user.email
        db.session.commit()
    post(client, "/login", {"email": email, "password": PASSWORD}, form_url="/login")
    mine = client.get("/registrations/mine").get_data(as_text=True)
    assert f"/registrations/{registration_id}/letter.pdf" in mine
    response = client.get(f"/registrations/{registration_id}/letter.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    data = json.loads(client.get("/registrations/mine/data.json").data)
    assert data["trainee"]["passport_number"] == "SN555"
    other = app.test_client()
    post(other, "/login", {"email": intruder, "password": PASSWORD}, form_url="/login")
    assert other.get(f"/registrations/{registration_id}/letter.pdf").status_code == 404


def test_upload_of_a_list_is_checked_for_type_and_size(app, client, login_as, create_session):
    with app.app_context():
        session_id = create_session(SessionStatus.OPEN).id
        db.session.commit()
    login_as(Role.COORDINATOR)
    client.set_cookie("centre_lang", "en")
    queue = f"/registrations/session/{session_id}"
    url = f"{queue}/import"
    response = post(client, url, {"file": (io.BytesIO(b"%PDF-1.7"), "list.pdf")}, form_url=queue,
                    content_type="multipart/form-data")
    assert response.status_code == 400 and "must be a CSV or XLSX file" in response.get_data(as_text=True)
    app.config["IMPORT_MAX_BYTES"] = 1024  # the test client leaks the temporary file of a large upload
    big = b"given_name,family_name,gender,nationality,email\n" + b"x" * 2048
    response = post(client, url, {"file": (io.BytesIO(big), "list.csv")}, form_url=queue,
                    content_type="multipart/form-data")
    assert response.status_code == 400 and "too large" in response.get_data(as_text=True)
    good = (b"given_name,family_name,arabic_name,gender,nationality,email,institution,position,passport_number\n"
            b"Awa,Ndiaye,,female,SN,awa@example.sn,,Juriste,\nBad,Row,,x,SN,bad@example.sn,,,\n")
    response = post(client, url, {"file": (io.BytesIO(good), "list.csv")}, form_url=queue,
                    content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Line 3:" in html and "Nothing was imported" in html
    response = post(client, url, {"file": (io.BytesIO(good), "list.csv"), "skip_errors": "y"}, form_url=queue,
                    content_type="multipart/form-data")
    assert response.status_code == 200 and "1 registration imported." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Trainee.id))) == 1


def test_sign_in_link_signs_in_once(app, create_trainee, create_user, smtp_server):
    with app.app_context():
        user = create_user(Role.TRAINEE)
        user.locale = "en"
        trainee = create_trainee(user=user, email=user.email, email_confirmed_at=None)
        email = trainee.user.email
        db.session.commit()
    visitor = app.test_client()
    response = post(visitor, "/login/link", {"email": email}, form_url="/login/link")
    assert response.status_code == 302
    assert post(visitor, "/login/link", {"email": "nobody@example.org"}, form_url="/login/link").status_code == 302
    message, = smtp_server.to(email)
    link = _link(message, "/login/link/")
    path = link.split("localhost", 1)[-1]
    assert visitor.get(path).status_code == 200  # a button, so that mail scanners do not use it up
    response = post(visitor, path, form_url=path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/registrations/mine")
    with app.app_context():
        assert db.session.scalar(sa.select(Trainee.email_confirmed_at).where(Trainee.user_id.is_not(None))) is not None
    assert app.test_client().get(path).status_code == 410  # used up


def test_a_cancellation_is_confirmed_by_mail_to_the_trainee(app, client, create_session, create_trainee,
                                                              create_user, smtp_server):
    """Issue 19, item 9: the trainee learned of a cancellation only from the site."""
    from centre.registrations.services import register

    with app.app_context():
        training_session = create_session(SessionStatus.OPEN)
        owner = create_trainee(user=create_user(Role.TRAINEE), full_name_ar="أميناتا ديالو")
        owner.user.locale = "ar"
        mine = register(training_session, owner)
        other = register(training_session, create_trainee(user=create_user(Role.TRAINEE)))
        other.trainee.user.locale = "en"
        ids, emails, login = (mine.id, other.id), (owner.email, other.trainee.email), owner.user.email
        db.session.commit()
    post(client, "/login", {"email": login, "password": PASSWORD}, form_url="/login")
    assert post(client, f"/registrations/{ids[0]}/cancel", form_url="/registrations/mine").status_code == 302
    told, = smtp_server.to(emails[0])
    assert told["Content-Language"] == "ar" and "أميناتا ديالو" in told.get_content()
    post(client, "/logout", form_url="/registrations/mine")
    coordinator = create_coordinator(app, create_user)
    post(client, "/login", {"email": coordinator, "password": PASSWORD}, form_url="/login")
    assert post(client, f"/registrations/{ids[1]}/cancel", form_url="/sessions/").status_code == 302
    told, = smtp_server.to(emails[1])
    assert "The centre has cancelled your registration" in told.get_content()
    assert "cancelled" in told["Subject"]


def create_coordinator(app, create_user):
    with app.app_context():
        email = create_user(Role.COORDINATOR).email
        db.session.commit()
    return email


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    response.close()
