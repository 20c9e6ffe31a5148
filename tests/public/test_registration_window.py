"""The registration window (issue 19): the catalogue closes its form after the deadline, and a
session past its last day takes no registration, even left open."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from centre.clock import today
from centre.errors import DomainError
from centre.extensions import db
from centre.models import Registration, SessionStatus
from centre.registrations.services import register
from tests.conftest import post

VISITOR = {"given_name": "Fatou", "family_name": "Sarr", "email": "fatou.sarr@example.sn", "gender": "female",
           "nationality": "SN", "institution_id": "0", "institution_other": "Médiateur du Sénégal",
           "position": "Juriste", "password": "long-password", "password_again": "long-password",
           "certificate_language": "fr", "consent": "y"}


def test_after_the_deadline_the_catalogue_shows_it_and_offers_no_form(app, client, create_session):
    with app.app_context():
        deadline = today() - timedelta(days=1)
        create_session(SessionStatus.OPEN, code="2026-LATE", registration_deadline=deadline)
        db.session.commit()
    client.set_cookie("centre_lang", "en")
    page = client.get("/catalogue/2026-LATE").get_data(as_text=True)
    assert "Register by" in page and "Registration closed on" in page
    assert "/catalogue/2026-LATE/register" not in page
    assert "Registration closed on" in client.get("/catalogue").get_data(as_text=True)
    form = client.get("/catalogue/2026-LATE/register")
    assert form.status_code == 200 and 'name="password"' not in form.get_data(as_text=True)
    refused = post(client, "/catalogue/2026-LATE/register", VISITOR)
    assert refused.status_code == 409 and "Registration closed on" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_before_the_deadline_the_form_is_offered_with_the_deadline(app, client, create_session):
    with app.app_context():
        create_session(SessionStatus.OPEN, code="2026-SOON", registration_deadline=today())
        db.session.commit()
    client.set_cookie("centre_lang", "en")
    form = client.get("/catalogue/2026-SOON/register").get_data(as_text=True)
    assert 'name="password"' in form and "Register by" in form


def test_an_open_session_past_its_last_day_takes_no_registration(ctx, create_session, create_trainee):
    over = create_session(SessionStatus.OPEN, start_on=today() - timedelta(days=40),
                          end_on=today() - timedelta(days=36))
    with pytest.raises(DomainError, match="This session is over"):
        register(over, create_trainee())
