"""Factories: fixtures returning callables with sensible defaults (Indico's create_event style).

They need an application context (the `ctx` fixture, or `with app.app_context()`).
"""
import itertools
from datetime import date, timedelta

import pytest

from centre.extensions import db
from centre.models.types import utcnow
from centre.models import (
    Association,
    DocumentLanguage,
    Expert,
    Gender,
    Institution,
    MarkStatus,
    Recommendation,
    Registration,
    RegistrationStatus,
    Role,
    SessionStatus,
    Trainee,
    User,
)

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


@pytest.fixture
def create_user():
    def create(role=Role.COORDINATOR, email=None, full_name=None, password=PASSWORD) -> User:
        n = next(_counter)
        user = User(email=email or f"{Role(role).value}{n}@example.org", role=Role(role),
                    full_name=full_name or f"{Role(role).value.title()} {n}")
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        return user

    return create


@pytest.fixture
def create_institution():
    def create(**overrides) -> Institution:
        fields = {"name_fr": "Médiateur de la République du Sénégal",
                  "name_ar": "وسيط الجمهورية السنغالية", "name_en": "Ombudsman of Senegal",
                  "country": "SN"}
        fields.update(overrides)
        institution = Institution(**fields)
        db.session.add(institution)
        db.session.flush()
        return institution

    return create


@pytest.fixture
def create_expert():
    def create(national=True, **overrides) -> Expert:
        n = next(_counter)
        fields = {"given_name": "Expert", "family_name": f"Number{n}",
                  "full_name_ar": "خبير", "nationality": "MA" if national else "FR",
                  "speciality": "Médiation"}
        fields.update(overrides)
        expert = Expert(**fields)
        db.session.add(expert)
        db.session.flush()
        return expert

    return create


@pytest.fixture
def create_session(create_expert):
    """A session brought to `status` through the real workflow (reviews recorded on the way)."""
    from centre.reviews.services import record_review
    from centre.sessions.services import change_status, create_session as create

    order = [SessionStatus.IN_REVIEW, SessionStatus.APPROVED, SessionStatus.OPEN,
             SessionStatus.CLOSED, SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED]

    def make(status=SessionStatus.DRAFT, **overrides):
        n = next(_counter)
        start = date(2026, 3, 2)  # a Monday
        if status in (SessionStatus.OPEN, SessionStatus.CLOSED):
            # A session taking registrations has not ended: a Monday five weeks or so from today.
            soon = date.today() + timedelta(days=35)  # (the centre's day may be the next: no matter here)
            start = soon - timedelta(days=soon.weekday())
        fields = {"code": f"T-{n}", "title_fr": "Gestion des plaintes", "title_ar": "تدبير الشكايات",
                  "title_en": "Complaint handling", "theme_fr": "Le traitement des plaintes.",
                  "theme_ar": "معالجة الشكايات.",
                  "venue_fr": "Rabat", "venue_ar": "الرباط", "venue_en": "Rabat", "start_on": start, "end_on": start + timedelta(days=4),
                  "capacity": 20, "registration_deadline": None}
        fields.update(overrides)
        training_session = create(**fields)
        for target in order[: order.index(status) + 1] if status in order else []:
            if target == SessionStatus.APPROVED:
                for national in (True, False):
                    record_review(training_session, create_expert(national=national),
                                  score_relevance=5, score_methodology=4, score_audience=4,
                                  recommendation=Recommendation.APPROVE)
            change_status(training_session, target)
        if status == SessionStatus.CANCELLED:
            change_status(training_session, status, reason="test")
        db.session.flush()
        return training_session

    return make


@pytest.fixture
def create_trainee(create_institution):
    def create(**overrides) -> Trainee:
        n = next(_counter)
        fields = {"given_name": "Aminata", "family_name": f"Diallo{n}", "full_name_ar": "أميناتا ديالو",
                  "gender": Gender.FEMALE, "nationality": "SN", "position": "Chargée d'études",
                  "email": f"trainee{n}@example.org", "certificate_language": DocumentLanguage.FR,
                  "email_confirmed_at": utcnow()}
        if "institution" not in overrides and "institution_id" not in overrides:
            fields["institution"] = create_institution()
        fields.update(overrides)
        trainee = Trainee(**fields)
        db.session.add(trainee)
        db.session.flush()
        return trainee

    return create


@pytest.fixture
def create_registration(create_trainee, create_session):
    """A registration set straight to `status` (for tests of what comes after the decision)."""

    def create(training_session=None, trainee=None, status=RegistrationStatus.ACCEPTED, **overrides):
        registration = Registration(
            training_session=training_session or create_session(SessionStatus.OPEN),
            trainee=trainee or create_trainee(), status=status, **overrides,
        )
        db.session.add(registration)
        db.session.flush()
        return registration

    return create


@pytest.fixture
def mark_all():
    """Mark a registration's slots: the first `present` as present, the rest as `rest`."""
    from centre.attendance.services import save_marks

    def mark(registration, present: int, rest=MarkStatus.ABSENT, actor=None):
        slots = registration.training_session.slots
        marks = {(registration.id, slot.id): MarkStatus.PRESENT if i < present else rest
                 for i, slot in enumerate(slots)}
        save_marks(registration.training_session, marks, actor)

    return mark


@pytest.fixture
def create_association():
    def create(code="AOMF", **overrides) -> Association:
        association = Association(code=code, name_fr=overrides.pop("name_fr", code), **overrides)
        db.session.add(association)
        db.session.flush()
        return association

    return create
