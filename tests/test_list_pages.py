"""List pages make the same number of SQL queries whatever the number of rows."""
from datetime import date

import pytest

from centre.extensions import db
from centre.models import DocumentLanguage, MarkStatus, RegistrationStatus, SessionStatus


MARCH = (date(2026, 3, 2), date(2026, 3, 6))


@pytest.fixture
def populate(app, create_session, create_registration, mark_all):
    """Add `n` open sessions and a completed session with `n` accepted, marked, certified trainees."""
    from centre.certificates.services import issue_certificate
    from centre.sessions.services import change_status

    def populate(n):
        with app.app_context():
            for _ in range(n):  # the completed session's dates: its page finds them as neighbours
                create_session(SessionStatus.OPEN, start_on=MARCH[0], end_on=MARCH[1])
            done = create_session(SessionStatus.IN_PROGRESS)
            for _ in range(n):
                registration = create_registration(done)
                mark_all(registration, present=10, rest=MarkStatus.PRESENT)
                create_registration(done, status=RegistrationStatus.PENDING)
            change_status(done, SessionStatus.COMPLETED)
            for registration in done_registrations(done):
                issue_certificate(registration, DocumentLanguage.FR, None)
            db.session.commit()
            return done.id

    def done_registrations(done):
        from centre.registrations.services import accepted_registrations

        return accepted_registrations(done)

    return populate


PAGES = ["/catalogue", "/", "/sessions/", "/sessions/{id}", "/registrations/session/{id}",
         "/attendance/session/{id}", "/attendance/session/{id}/eligibility", "/certificates/session/{id}"]


@pytest.mark.parametrize("page", PAGES)
def test_list_page_queries_do_not_grow_with_rows(app, client, login_as, populate, count_queries, page):
    login_as("coordinator")
    small = populate(2)
    few = count_queries(lambda: client.get(page.format(id=small)))
    large = populate(6)
    many = count_queries(lambda: client.get(page.format(id=large)))
    assert many == few, f"{page}: {few} queries with 2 rows, {many} with 6"
