import re
import subprocess
import unicodedata
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from centre.attendance.services import checkin_code, save_marks
from centre.extensions import db
from centre.i18n import FULL_DATE, format_day, format_time
from centre.models import AttendanceMark, AuditEntry, MarkStatus, Role, SessionStatus
from centre.models.types import utcnow
from centre.sessions.services import change_status
from tests.conftest import csrf_token, post


def test_grid_refuses_a_registration_of_another_session(app, client, login_as, create_session, create_registration):
    with app.app_context():
        here = create_session(SessionStatus.IN_PROGRESS)
        elsewhere = create_registration(create_session(SessionStatus.IN_PROGRESS))
        url, slot_id, other_id = f"/attendance/session/{here.id}", here.slots[0].id, elsewhere.id
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    response = post(client, url, {f"mark-{other_id}-{slot_id}": "present"}, form_url=url)
    assert response.status_code == 409
    assert "not part of this session" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AttendanceMark.id))) == 0


def test_grid_refuses_an_unknown_mark(app, client, login_as, create_session, create_registration):
    with app.app_context():
        training_session = create_session(SessionStatus.IN_PROGRESS)
        registration = create_registration(training_session)
        url = f"/attendance/session/{training_session.id}"
        key = f"mark-{registration.id}-{training_session.slots[0].id}"
        db.session.commit()
    login_as("coordinator")
    assert post(client, url, {key: "on-the-beach"}, form_url=url).status_code == 400


@pytest.fixture
def grid(app, client, login_as, create_session, create_registration):
    """A session in progress with two accepted trainees, and a coordinator signed in (English)."""
    with app.app_context():
        training_session = create_session(SessionStatus.IN_PROGRESS)
        first, second = create_registration(training_session), create_registration(training_session)
        ids = {"session": training_session.id, "slots": [s.id for s in training_session.slots],
               "first": first.id, "second": second.id}
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    ids["url"] = f"/attendance/session/{ids['session']}"
    return ids


def marks_in_db(app):
    with app.app_context():
        return {(m.registration_id, m.slot_id): (m.status, m.note)
                for m in db.session.scalars(sa.select(AttendanceMark))}


def test_grid_page_works_without_script_and_saves_marks_and_notes(app, client, grid):
    page = client.get(grid["url"]).get_data(as_text=True)
    assert 'src="/static/js/attendance.js"' in page and "<script>" not in page
    slot = grid["slots"][0]
    response = post(client, grid["url"], {f"mark-{grid['first']}-{slot}": "late",
                                          f"note-{grid['first']}-{slot}": "Train delayed",
                                          f"mark-{grid['second']}-{slot}": "", f"note-{grid['second']}-{slot}": ""},
                    form_url=grid["url"])
    assert response.status_code == 302
    assert marks_in_db(app) == {(grid["first"], slot): (MarkStatus.LATE, "Train delayed")}


def test_save_mark_answers_json_with_the_rows_new_rate(app, client, grid):
    slot = grid["slots"][0]
    token = csrf_token(client, grid["url"])
    response = client.post(f"{grid['url']}/mark", headers={"X-CSRFToken": token}, data={
        "registration_id": grid["first"], "slot_id": slot, "status": "present", "note": "front row"})
    assert response.status_code == 200
    data = response.get_json()
    assert (data["saved"], data["status"], data["note"]) == (1, "present", "front row")
    # the session's slots are all over: one of ten attended
    assert data["rate"] == "10 %" and data["recorded"].startswith("Recorded by")
    assert marks_in_db(app) == {(grid["first"], slot): (MarkStatus.PRESENT, "front row")}
    again = client.post(f"{grid['url']}/mark", headers={"X-CSRFToken": token}, data={
        "registration_id": grid["first"], "slot_id": slot, "status": "present", "note": "front row"})
    assert again.get_json()["saved"] == 0


def test_save_mark_refuses_another_sessions_registration(app, client, grid, create_session, create_registration):
    with app.app_context():
        elsewhere = create_registration(create_session(SessionStatus.IN_PROGRESS)).id
        db.session.commit()
    response = client.post(f"{grid['url']}/mark", headers={"X-CSRFToken": csrf_token(client, grid["url"])},
                           data={"registration_id": elsewhere, "slot_id": grid["slots"][0], "status": "present"})
    assert response.status_code == 409
    assert "not part of this session" in response.get_json()["error"]
    assert marks_in_db(app) == {}


def test_save_mark_refuses_a_slot_of_another_session(app, client, grid, create_session):
    with app.app_context():
        other_slot = create_session(SessionStatus.IN_PROGRESS).slots[0].id
        db.session.commit()
    response = client.post(f"{grid['url']}/mark", headers={"X-CSRFToken": csrf_token(client, grid["url"])},
                           data={"registration_id": grid["first"], "slot_id": other_slot, "status": "present"})
    assert response.status_code == 409


@pytest.mark.parametrize("data", [
    {"registration_id": "x", "slot_id": "1", "status": "present"},
    {"slot_id": "1", "status": "present"},
    {"registration_id": "1", "slot_id": "1", "status": "on-the-beach"},
    {"registration_id": "1", "slot_id": "1", "status": "present", "note": "x" * 501},
])
def test_save_mark_refuses_bad_input_in_words(client, grid, data):
    response = client.post(f"{grid['url']}/mark", headers={"X-CSRFToken": csrf_token(client, grid["url"])},
                           data=data)
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_save_mark_needs_the_csrf_token(client, grid):
    response = client.post(f"{grid['url']}/mark", data={
        "registration_id": grid["first"], "slot_id": grid["slots"][0], "status": "present"})
    assert response.status_code == 400


def test_correction_after_completion_needs_a_reason_through_the_script(app, client, grid):
    slot = grid["slots"][0]
    with app.app_context():
        from centre.models import TrainingSession

        training_session = db.session.get(TrainingSession, grid["session"])
        save_marks(training_session, {(grid["first"], slot): MarkStatus.ABSENT}, None)
        change_status(training_session, SessionStatus.COMPLETED)
        db.session.commit()
    token = csrf_token(client, grid["url"])
    cell = {"registration_id": grid["first"], "slot_id": slot, "status": "present", "note": ""}
    refused = client.post(f"{grid['url']}/mark", headers={"X-CSRFToken": token}, data=cell)
    assert refused.status_code == 409 and "reason" in refused.get_json()["error"]
    saved = client.post(f"{grid['url']}/mark", headers={"X-CSRFToken": token},
                        data={**cell, "reason": "Signed the paper sheet"})
    assert saved.status_code == 200
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.details["reason"]) == ("correct", "Signed the paper sheet")


def test_correction_through_the_form_without_a_reason_is_refused(app, client, grid):
    slot = grid["slots"][0]
    with app.app_context():
        from centre.models import TrainingSession

        change_status(db.session.get(TrainingSession, grid["session"]), SessionStatus.COMPLETED)
        db.session.commit()
    page = client.get(grid["url"]).get_data(as_text=True)
    assert 'name="reason"' in page
    response = post(client, grid["url"], {f"mark-{grid['first']}-{slot}": "present"}, form_url=grid["url"])
    assert response.status_code == 409
    assert "give the reason" in response.get_data(as_text=True)


def test_everyone_present_button_marks_the_slot(app, client, grid):
    slot = grid["slots"][1]
    response = post(client, f"{grid['url']}/slot/{slot}/everyone-present", form_url=grid["url"])
    assert response.status_code == 302
    assert marks_in_db(app) == {(grid["first"], slot): (MarkStatus.PRESENT, ""),
                                (grid["second"], slot): (MarkStatus.PRESENT, "")}


def test_everyone_present_refuses_a_slot_of_another_session(app, client, grid, create_session):
    with app.app_context():
        other_slot = create_session(SessionStatus.IN_PROGRESS).slots[0].id
        db.session.commit()
    response = post(client, f"{grid['url']}/slot/{other_slot}/everyone-present", form_url=grid["url"])
    assert response.status_code == 404


def test_eligibility_page_lists_each_trainee_with_the_reason(app, client, grid):
    with app.app_context():
        from centre.models import TrainingSession

        training_session = db.session.get(TrainingSession, grid["session"])
        save_marks(training_session, {(grid["first"], s): MarkStatus.PRESENT for s in grid["slots"]}, None)
        change_status(training_session, SessionStatus.COMPLETED)
        db.session.commit()
    page = client.get(f"{grid['url']}/eligibility").get_data(as_text=True)
    assert "Eligible" in page and "Attendance 0% is below the threshold of 80%." in page
    assert "1 trainee may receive a certificate." in page


# A grid with marks -------------------------------------------------------------------------


@pytest.fixture
def marked(app, grid):
    """The grid with the first trainee's Arabic name, a formula-looking note-free name, and marks."""
    with app.app_context():
        from centre.models import Registration, TrainingSession

        training_session = db.session.get(TrainingSession, grid["session"])
        first = db.session.get(Registration, grid["first"])
        first.trainee.full_name_ar = "عائشة بنت محمد"
        first.trainee.family_name = "=HYPERLINK(\"http://x\")"
        save_marks(training_session, {(grid["first"], grid["slots"][0]): MarkStatus.PRESENT,
                                      (grid["first"], grid["slots"][1]): MarkStatus.EXCUSED}, None)
        db.session.commit()
    return grid


# The sign-in sheet -------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def loose(text: str) -> str:
    """Text without spaces and without the embedding marks (U+202A…U+202E) pdftotext puts around an
    Arabic line, its marks in canonical order: a heading wrapped in a narrow column is cut into
    several lines, and the text layer has shadda before kasra (HarfBuzz's order) where a catalogue
    has them in the other. (Every letter is there: centre/textlayer.py; tests/test_textlayer.py
    copies every Arabic word of the sheet back out.)"""
    return "".join(ch for ch in unicodedata.normalize("NFC", text)
                   if not ch.isspace() and not "\u202a" <= ch <= "\u202e")


def test_sign_in_sheet_prints_names_in_both_scripts_and_both_headings(app, client, marked):
    slot = marked["slots"][0]
    response = client.get(f"{marked['url']}/sign-in-sheet.pdf?slot={slot}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "عائشة بنت محمد" in text and "=HYPERLINK" in text.upper()
    for language in ("fr", "ar"):
        with app.test_request_context(), force_locale(language):
            for heading in ("Sign-in sheet", "Signature"):
                assert loose(gettext(heading)) in loose(text)
    with app.test_request_context(), force_locale("fr"):
        assert gettext("Name (Latin script)") in text
    assert text.count("\f") == 1  # one slot, one page


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-l", "-1", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return [(float(w), float(h)) for w, h in re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+)", info)]


def sheet_prints_every_trainee_and_slot(app, session_id: int, text: str) -> None:
    """Every accepted trainee's names in both scripts, every slot's day in French and in Arabic,
    its part (morning, afternoon) and hours, and the grid's headings in both languages."""
    from centre.models import TrainingSession
    from centre.registrations.services import accepted_registrations

    with app.test_request_context():
        training_session = db.session.get(TrainingSession, session_id)
        for registration in accepted_registrations(training_session):
            trainee = registration.trainee
            assert loose(f"{trainee.family_name.upper()} {trainee.given_name}") in loose(text)  # a long name wraps
            assert loose(trainee.full_name_ar) in loose(text)
        for slot in training_session.slots:
            assert format_day(slot.starts_at, "EEEE " + FULL_DATE, "fr") in text
            # pdftotext writes an Arabic line's numbers out of order: each word, wherever it is.
            assert all(loose(word) in loose(text) for word in format_day(slot.starts_at, "EEEE " + FULL_DATE, "ar").split())
            assert f"{format_time(slot.starts_at, 'fr')}–{format_time(slot.ends_at, 'fr')}" in text
        for language in ("fr", "ar"):  # (pdftotext turns an Arabic line's parentheses around)
            with force_locale(language):
                for heading in ("Sign-in sheet", "Institution", "Morning", "Afternoon",
                                "The trainer's or coordinator's signature"):
                    assert loose(gettext(heading)) in loose(text), (language, heading)
        with force_locale("fr"):
            assert all(loose(gettext(heading)) in loose(text) for heading in ("Name (Latin script)", "Name (Arabic script)"))


def test_sign_in_sheet_of_the_session_is_one_landscape_grid(app, client, marked):
    """Two trainees and five days of two slots: one A4 landscape page, a trainee a row, a slot a column."""
    data = client.get(f"{marked['url']}/sign-in-sheet.pdf").data
    text = pdf_text(data)
    assert text.count("\f") == 1
    assert page_sizes(data) == [(841.89, 595.276)]
    sheet_prints_every_trainee_and_slot(app, marked["session"], text)


def test_sign_in_sheet_of_a_long_session_goes_on_with_the_next_days(app, client, login_as, create_session,
                                                                   create_registration):
    """Twelve working days: five days a page-group, the trainees repeated on each, every day printed once a group."""
    from datetime import date

    with app.app_context():
        training_session = create_session(SessionStatus.IN_PROGRESS, start_on=date(2026, 3, 2), end_on=date(2026, 3, 17))
        for _ in range(3):
            create_registration(training_session)
        session_id, slots = training_session.id, len(training_session.slots)
        first_day = format_day(training_session.slots[0].starts_at, "EEEE " + FULL_DATE, "fr")
        db.session.commit()
    assert slots == 24
    login_as("coordinator")
    data = client.get(f"/attendance/session/{session_id}/sign-in-sheet.pdf").data
    text = pdf_text(data)
    assert text.count("\f") == 3
    sheet_prints_every_trainee_and_slot(app, session_id, text)
    assert text.count("DIALLO") == 3 * 3 and text.count(first_day) == 1


@pytest.mark.parametrize("query", ["?slot=abc", "?slot=999999"])
def test_sign_in_sheet_of_an_unknown_slot_is_not_found(client, grid, query):
    assert client.get(f"{grid['url']}/sign-in-sheet.pdf{query}").status_code == 404


# QR check-in -------------------------------------------------------------------------------


@pytest.fixture
def live_slot(app, create_session, create_registration, create_trainee, create_user):
    """A session in progress whose first slot is under way now, and an accepted trainee's e-mail."""
    with app.app_context():
        training_session = create_session(SessionStatus.IN_PROGRESS)
        slot = training_session.slots[0]
        slot.starts_at = utcnow().replace(microsecond=0) - timedelta(minutes=5)
        slot.ends_at = slot.starts_at + timedelta(hours=3)
        user = create_user(Role.TRAINEE)
        registration = create_registration(training_session, trainee=create_trainee(user=user, email=user.email))
        db.session.commit()
        return {"session": training_session.id, "slot": slot.id, "email": user.email,
                "registration": registration.id}


def sign_in(client, email):
    from tests.conftest import PASSWORD

    assert post(client, "/login", {"email": email, "password": PASSWORD}, form_url="/login").status_code == 302
    client.set_cookie("centre_lang", "en")


def test_check_in_screen_shows_the_code_of_the_slot_under_way(app, client, login_as, live_slot):
    login_as("coordinator")
    response = client.get(f"/attendance/session/{live_slot['session']}/check-in")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<meta http-equiv="refresh"' in page and "<svg" in page and "<script" not in page


def test_trainee_checks_in_by_scanning_and_confirming(app, client, live_slot):
    sign_in(client, live_slot["email"])
    with app.app_context():
        from centre.models import Slot

        code = checkin_code(db.session.get(Slot, live_slot["slot"]), utcnow())
    url = f"/attendance/check-in/{live_slot['slot']}/{code}"
    confirm = client.get(url)
    assert confirm.status_code == 200 and "check me in" in confirm.get_data(as_text=True)
    assert marks_in_db(app) == {}  # a GET changes nothing
    response = post(client, url, form_url=url)
    assert response.status_code == 302 and response.headers["Location"].endswith("/registrations/mine")
    assert marks_in_db(app) == {(live_slot["registration"], live_slot["slot"]): (MarkStatus.PRESENT, "")}
    assert "You are checked in" in client.get("/registrations/mine").get_data(as_text=True)


def test_check_in_with_a_wrong_code_is_refused_in_words(app, client, live_slot):
    sign_in(client, live_slot["email"])
    url = f"/attendance/check-in/{live_slot['slot']}/0123456789abcdef"
    response = client.get(url)
    assert response.status_code == 409 and "Scan the code on the screen again" in response.get_data(as_text=True)
    assert post(client, url, form_url="/registrations/mine").status_code == 409
    assert marks_in_db(app) == {}


def test_check_in_of_an_unknown_slot_is_not_found(client, live_slot):
    sign_in(client, live_slot["email"])
    assert client.get("/attendance/check-in/999999/0123456789abcdef").status_code == 404


def test_save_mark_answers_the_sessions_new_rate_too(client, grid):
    token = csrf_token(client, grid["url"])
    data = client.post(f"{grid['url']}/mark", headers={"X-CSRFToken": token}, data={
        "registration_id": grid["second"], "slot_id": grid["slots"][0], "status": "late"}).get_json()
    assert data["session_rate"] == "Session attendance rate: 5 % (slots attended: 1; counted: 20; excused: 0)."


def test_sign_in_sheet_of_a_session_with_an_odd_code_downloads(app, client, grid):
    with app.app_context():
        from centre.models import TrainingSession

        db.session.get(TrainingSession, grid["session"]).code = 'A/B:"C"* é'
        db.session.commit()
    response = client.get(f"{grid['url']}/sign-in-sheet.pdf")
    assert response.status_code == 200
    assert '"C"' not in response.headers["Content-Disposition"]
