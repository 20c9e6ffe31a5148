"""A completed session with its questionnaires sent, for the services' and the routes' tests."""
from datetime import timedelta

import pytest

from centre.clock import today
from centre.models import SessionStatus, User
from centre.partners.services import add_contact
from centre.sessions.services import change_status, set_trainer


@pytest.fixture
def build_completed_session(create_session, create_registration, create_trainee, create_expert, mark_all,
                            create_institution):
    """A session of three attending trainees (the second reads Arabic) and one absent, with a
    trainer, brought to completion through the workflow (which sends the questionnaires)."""

    def build():
        start = today() - timedelta(days=today().weekday() + 14)  # a Monday two weeks ago
        training_session = create_session(SessionStatus.IN_PROGRESS, start_on=start, end_on=start + timedelta(days=4))
        institution = create_institution()
        add_contact(institution, None, full_name="Fatou Sow", position="Directrice de la formation",
                    email="contact@ombudsman.example.sn")
        trainees = [create_trainee(institution=institution) for _ in range(4)]
        trainees[1].user = User(email=trainees[1].email, role="trainee", locale="ar")
        registrations = [create_registration(training_session, trainee) for trainee in trainees]
        for registration in registrations[:3]:
            mark_all(registration, 2)
        mark_all(registrations[3], 0)
        set_trainer(training_session, create_expert(email="trainer@example.org"), 2, None)
        change_status(training_session, SessionStatus.COMPLETED)
        return training_session

    return build


@pytest.fixture
def completed_session(ctx, build_completed_session):
    return build_completed_session()
