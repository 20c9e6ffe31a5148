"""Dates at the edges (issue 19): the calendar, creating and cloning a session."""
from datetime import date

import pytest
import sqlalchemy as sa

from centre.errors import DomainError
from centre.extensions import db
from centre.models import SessionStatus, TrainingSession
from centre.sessions.services import create_session, duplicate_session
from tests.conftest import post

FIELDS = {"code": "EDGE-1", "kind": "collective", "title_fr": "Médiation", "theme_fr": "Thème", "venue_fr": "Rabat",
          "start_on": "2026-09-07", "end_on": "2026-09-11", "capacity": "20", "languages": "fr",
          "attendance_threshold": "80"}


def test_the_calendar_of_a_month_at_the_edge_of_time_is_a_page_not_a_500(client, login_as):
    login_as("coordinator")
    for month in ("9999-12", "0001-01", "10000-01", "2026-00", "-1-5"):
        assert client.get(f"/sessions/calendar?month={month}").status_code == 200, month


def test_a_session_outside_the_date_window_or_too_long_is_refused_with_a_message(app, client, login_as):
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    for start, end in (("9999-12-30", "9999-12-31"), ("0001-01-01", "0001-01-05"), ("1999-12-27", "1999-12-31"),
                       ("2026-01-05", "2036-01-04")):
        response = post(client, "/sessions/new", {**FIELDS, "start_on": start, "end_on": end},
                        form_url="/sessions/new")
        text = response.get_data(as_text=True)
        assert response.status_code == 400 and ("between" in text or "at most" in text), (start, end)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(TrainingSession.id))) == 0


def test_the_rules_refuse_the_same_dates_without_the_form(ctx):
    with pytest.raises(DomainError, match="between"):
        create_session(code="EDGE-2", title_fr="T", theme_fr="T", venue_fr="R", capacity=5, languages="fr",
                       start_on=date(1, 1, 1), end_on=date(1, 1, 3))
    with pytest.raises(DomainError, match="at most"):
        create_session(code="EDGE-3", title_fr="T", theme_fr="T", venue_fr="R", capacity=5, languages="fr",
                       start_on=date(2026, 1, 5), end_on=date(2030, 1, 5))


def test_a_clone_at_the_edge_of_the_date_range_is_refused_with_a_message(app, client, login_as, create_session):
    with app.app_context():
        source = create_session(SessionStatus.COMPLETED)
        db.session.commit()
        source_id = source.id
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    url = f"/sessions/{source_id}/duplicate"
    for start in ("9999-12-30", "0001-01-01"):
        response = post(client, url, {"code": "EDGE-4", "start_on": start}, form_url=url)
        assert response.status_code == 400 and "between" in response.get_data(as_text=True)


def test_a_clone_whose_end_would_leave_the_window_is_refused_by_the_rules(ctx, create_session):
    source = create_session(SessionStatus.COMPLETED)
    with pytest.raises(DomainError, match="between"):
        duplicate_session(source, None, code="EDGE-5", start_on=date(2100, 12, 31))


def test_a_session_is_not_completed_before_its_last_slot(ctx, create_session, create_registration, mark_all):
    """Completing early turned the slots to come into absences, silently (issue 19)."""
    from datetime import timedelta

    from centre.attendance.services import save_marks
    from centre.clock import utcnow
    from centre.models import MarkStatus
    from centre.sessions.services import change_status, completion_problems, remove_slot

    running = create_session(SessionStatus.IN_PROGRESS)
    registration = create_registration(running)
    save_marks(running, {(registration.id, slot.id): MarkStatus.PRESENT for slot in running.slots[:7]}, None)
    for n, slot in enumerate(running.slots[-3:], 1):  # the last three slots are still to come
        slot.starts_at, slot.ends_at = utcnow() + timedelta(days=n), utcnow() + timedelta(days=n, hours=3)
    db.session.flush()
    with pytest.raises(DomainError, match="3 slots have not been held yet") as refused:
        change_status(running, SessionStatus.COMPLETED)
    assert "absences for each of its 1 accepted trainees" in str(refused.value)
    # Marked ahead (as the grid allows) they are no silent absence: only the unmarked one counts.
    save_marks(running, {(registration.id, slot.id): MarkStatus.PRESENT for slot in running.slots[7:9]}, None)
    with pytest.raises(DomainError, match="1 slot has not been held yet"):
        change_status(running, SessionStatus.COMPLETED)
    assert running.status == SessionStatus.IN_PROGRESS
    # The coordinator corrects it: the slots that will not be held go, then the session completes.
    for slot in list(running.slots[-3:]):
        remove_slot(slot, None)
    assert completion_problems(running) == []
    change_status(running, SessionStatus.COMPLETED)
    assert running.status == SessionStatus.COMPLETED


def test_a_session_saved_at_the_edge_before_the_window_still_opens(app, client, login_as):
    """One dated 0001-01-01 was saved before the window existed; its page answered 500 for ever."""
    with app.app_context():
        old = TrainingSession(code="OLD-1", title_fr="T", theme_fr="T", venue_fr="Rabat", capacity=5, languages="fr",
                              start_on=date(1, 1, 1), end_on=date(1, 1, 3), status=SessionStatus.DRAFT)
        db.session.add(old)
        db.session.commit()
        session_id = old.id
    login_as("coordinator")
    assert client.get(f"/sessions/{session_id}").status_code == 200
