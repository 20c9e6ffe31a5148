"""Joining instructions: practical information and its defaults, the convocation mailed on
acceptance, the reminders of the daily schedule, and the notices of a change of dates or venue."""
import base64
import subprocess
from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from centre.errors import DomainError
from centre.extensions import db
from centre.joining import services
from centre.models import JoiningNotice, NoticeKind, OutboxMail, PracticalInfo, RegistrationStatus, Role, SessionStatus
from centre.registrations.services import decide
from centre.sessions.services import update_session
from tests.conftest import post


def _mails(kind: str) -> list[OutboxMail]:
    return db.session.scalars(sa.select(OutboxMail).where(OutboxMail.template == kind).order_by(OutboxMail.id)).all()


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=timezone.utc)


def test_practical_information_starts_from_the_centre_then_from_the_last_session_at_the_venue(
        app, ctx, create_session):
    first = create_session(venue_fr="Rabat")
    defaults = services.practical_defaults(first)
    assert defaults["contacts_fr"] == app.config["PRACTICAL_DEFAULTS"]["contacts"]["fr"]
    assert defaults["reminder_days"] == 7
    services.save_practical_info(first, None, **{**defaults, "address_fr": "12 avenue Annakhil, Hay Riad",
                                                 "map_url": "https://maps.example.org/?q=hay-riad",
                                                 "reminder_days": 10})
    later = create_session(venue_fr="rabat", start_on=date(2026, 9, 7), end_on=date(2026, 9, 9))
    elsewhere = create_session(venue_fr="Dakar")
    assert services.practical_values(later)["address_fr"] == "12 avenue Annakhil, Hay Riad"
    assert services.practical_values(later)["map_url"] == "https://maps.example.org/?q=hay-riad"
    assert services.practical_values(later)["reminder_days"] == 10
    assert services.practical_values(elsewhere)["address_fr"] == app.config["PRACTICAL_DEFAULTS"]["address"]["fr"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "http://maps.example.org", "https://", "https://a b"])
def test_a_map_link_is_an_https_address(ctx, create_session, url):
    with pytest.raises(DomainError, match="https://"):
        services.save_practical_info(create_session(), None, map_url=url)


def test_acceptance_mails_the_convocation_with_the_calendar_and_the_visa_letter_in_the_trainees_language(
        app, client, login_as, create_session, create_trainee, create_user, create_registration):
    with app.app_context():
        training_session = create_session(SessionStatus.OPEN)
        user = create_user(Role.TRAINEE)
        user.locale = "ar"
        trainee = create_trainee(user=user, passport_number="AB123456", given_name="Karim",
                                 family_name="Haddad", full_name_ar="كريم حداد")
        registration = create_registration(training_session, trainee, status=RegistrationStatus.PENDING,
                                           needs_visa_letter=True)
        ids = registration.id, training_session.id
        db.session.commit()
    login_as(Role.COORDINATOR)
    response = post(client, f"/registrations/{ids[0]}/decide/accepted", {"reason": ""},
                    form_url=f"/registrations/session/{ids[1]}")
    assert response.status_code == 302
    with app.app_context():
        (convocation,) = _mails("joining_convocation")
        assert convocation.language == "ar" and "استدعاء" in convocation.subject
        assert f"/joining/{ids[0]}/convocation.pdf" in convocation.body
        names = [a["filename"] for a in convocation.attachments]
        assert names == [f"convocation-{convocation.attachments[0]['filename'].split('-', 1)[1]}",
                         names[1], names[2]]
        assert names[1].endswith(".ics") and names[2].startswith("invitation-")
        pdf = base64.b64decode(convocation.attachments[0]["data"])
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "Karim" in text and "HADDAD" in text and "كريم حداد" in text
        assert "استدعاء" in text  # "Convocation", in Arabic
        ics = base64.b64decode(convocation.attachments[1]["data"]).decode()
        assert ics.count("BEGIN:VEVENT") == len(db.session.get(type(training_session), ids[1]).slots)
        notice = db.session.scalar(sa.select(JoiningNotice))
        assert notice.kind == NoticeKind.CONVOCATION and notice.mail_id == convocation.id
        # The job runs again (a worker died after the mail): nothing is sent twice.
        assert services.send_convocation(notice.registration) is None


def test_reminders_go_n_days_before_and_the_day_before_once_each(app, ctx, create_session, create_registration):
    training_session = create_session(SessionStatus.OPEN, start_on=date(2026, 3, 16), end_on=date(2026, 3, 18))
    accepted = create_registration(training_session)
    create_registration(training_session, status=RegistrationStatus.WAITLISTED)
    assert services.send_reminders(_noon(date(2026, 3, 8))) == 0  # 8 days before: not yet
    assert services.send_reminders(_noon(date(2026, 3, 9))) == 1
    assert services.send_reminders(_noon(date(2026, 3, 10))) == 0  # the schedule runs again: nothing new
    assert services.send_reminders(_noon(date(2026, 3, 15))) == 1  # the day before
    assert services.send_reminders(_noon(date(2026, 3, 15))) == 0
    reminders = _mails("joining_reminder")
    assert [m.recipient for m in reminders] == [accepted.trainee.email] * 2
    assert "7" in reminders[0].subject and "16" in reminders[1].body


def test_new_dates_are_mailed_to_the_trainees_already_convoked_only(app, ctx, create_session, create_registration):
    training_session = create_session(SessionStatus.OPEN)
    convoked, not_yet = create_registration(training_session), create_registration(training_session)
    db.session.add(JoiningNotice(registration=convoked, kind=NoticeKind.CONVOCATION, start_on=training_session.start_on))
    db.session.flush()
    changed = update_session(training_session, None, start_on=date(2026, 3, 9), end_on=date(2026, 3, 11))
    assert services.notify_changes(training_session, changed, None) == 1
    (change,) = _mails("joining_changed")
    assert change.recipient == convoked.trainee.email != not_yet.trainee.email
    assert "11" in change.body and change.attachments[0]["filename"].endswith(".ics")
    assert services.notify_changes(training_session, ["title_fr"], None) == 0


def test_new_hours_of_a_slot_are_mailed_with_the_new_timetable(app, client, login_as, create_session,
                                                                create_registration):
    with app.app_context():
        training_session = create_session(SessionStatus.OPEN)
        convoked = create_registration(training_session)
        db.session.add(JoiningNotice(registration=convoked, kind=NoticeKind.CONVOCATION,
                                     start_on=training_session.start_on))
        slot_id, session_id, email = training_session.slots[0].id, training_session.id, convoked.trainee.email
        db.session.commit()
    login_as(Role.COORDINATOR)
    client.set_cookie("centre_lang", "en")
    page = f"/sessions/{session_id}/slots"
    answer = post(client, f"/sessions/slots/{slot_id}", {f"slot{slot_id}-starts": "10:15", f"slot{slot_id}-ends": "12:45"},
                  form_url=page, follow_redirects=True)
    assert "1 trainee already convoked is told of the new hours" in answer.get_data(as_text=True)
    with app.app_context():
        (change,) = _mails("joining_changed")
        assert change.recipient == email
        # In the trainee's language (French here): the new timetable, and nothing said of the venue.
        assert "horaires" in change.body and "10:15" in change.body and "12:45" in change.body
        assert "Rabat" not in change.body and change.attachments[0]["filename"].endswith(".ics")


def test_the_practical_information_page_shows_the_defaults_and_refuses_a_bad_link_in_words(
        app, client, login_as, create_session):
    with app.app_context():
        session_id = create_session(SessionStatus.OPEN).id
        db.session.commit()
    login_as(Role.COORDINATOR)
    client.set_cookie("centre_lang", "en")
    page = f"/joining/session/{session_id}"
    html = client.get(page).get_data(as_text=True)
    assert "Not saved yet" in html and app.config["PRACTICAL_DEFAULTS"]["bring"]["fr"] in html
    form = {"address_fr": "12 avenue Annakhil", "contacts_ar": "السيدة سلمى: \u2066+212 600 00 00 00\u2069",
            "map_url": "javascript:alert(1)", "reminder_days": "7"}
    refused = post(client, page, form, form_url=page)
    assert refused.status_code == 400 and "starting with https://" in refused.get_data(as_text=True)
    assert post(client, page, {**form, "reminder_days": "90"}, form_url=page).status_code == 400
    assert post(client, page, {**form, "map_url": "https://maps.example.org/x"}, form_url=page).status_code == 302
    with app.app_context():
        info = db.session.scalar(sa.select(PracticalInfo))
        assert info.address_fr == "12 avenue Annakhil" and info.contacts_ar.startswith("السيدة سلمى")
