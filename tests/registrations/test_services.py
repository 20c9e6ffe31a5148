import threading
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from centre.errors import DomainError
from centre.extensions import db
from centre.models import Registration, RegistrationStatus as R, SessionStatus
from centre.registrations.services import (
    FULL,
    QUOTA_REACHED,
    Places,
    accepted_count,
    accepted_places,
    cancel,
    create_trainee_account,
    decide,
    first_that_fits,
    register,
)


@pytest.fixture
def open_session(ctx, create_session):
    return create_session(SessionStatus.OPEN, capacity=2)


@pytest.fixture
def coordinator(ctx, create_user):
    return create_user()


def test_registration_starts_pending(open_session, create_trainee):
    registration = register(open_session, create_trainee())
    assert registration.status == R.PENDING


def test_only_open_sessions_take_registrations(ctx, create_session, create_trainee):
    for status in (SessionStatus.APPROVED, SessionStatus.CLOSED):
        with pytest.raises(DomainError, match="does not take registrations"):
            register(create_session(status), create_trainee())


def test_registration_refused_after_the_deadline(ctx, create_session, create_trainee):
    today = date.today()
    training_session = create_session(SessionStatus.OPEN, start_on=today + timedelta(days=30),
                                      end_on=today + timedelta(days=34),
                                      registration_deadline=today - timedelta(days=2))
    with pytest.raises(DomainError, match="deadline"):
        register(training_session, create_trainee())


def test_same_person_cannot_hold_two_live_registrations(open_session, create_trainee):
    trainee = create_trainee()
    register(open_session, trainee)
    with pytest.raises(DomainError, match="already registered"):
        register(open_session, trainee)


def test_same_passport_under_another_email_goes_to_the_coordinator(open_session, create_trainee):
    """Issue 20: a number typed first (unverified) must not block the real person; both are
    taken and flagged, and the coordinator decides which is genuine."""
    from centre.registrations.services import passport_twins

    first = register(open_session, create_trainee(passport_number="AB123456", family_name="First"))
    second = register(open_session, create_trainee(passport_number="AB123456", family_name="Second"))
    assert second.status == R.PENDING
    twins = passport_twins([first, second])
    assert "Second" in twins[first.id][0] and "First" in twins[second.id][0]


def test_database_refuses_a_second_live_registration(open_session, create_trainee):
    trainee = create_trainee()
    db.session.add(Registration(trainee=trainee, training_session=open_session, status=R.PENDING))
    db.session.flush()
    db.session.add(Registration(trainee=trainee, training_session=open_session, status=R.WAITLISTED))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_registering_again_after_cancelling_is_allowed(open_session, create_trainee, coordinator):
    trainee = create_trainee()
    cancel(register(open_session, trainee), coordinator)
    again = register(open_session, trainee)
    assert again.status == R.PENDING
    statuses = db.session.scalars(sa.select(Registration.status).where(Registration.trainee_id == trainee.id))
    assert sorted(statuses) == sorted([R.CANCELLED, R.PENDING])  # the cancelled record stays


def test_accepting_never_exceeds_capacity(open_session, create_trainee, coordinator):
    registrations = [register(open_session, create_trainee()) for _ in range(3)]
    decide(registrations[0], R.ACCEPTED, coordinator)
    decide(registrations[1], R.ACCEPTED, coordinator)
    with pytest.raises(DomainError, match="full"):
        decide(registrations[2], R.ACCEPTED, coordinator)
    assert accepted_count(open_session) == 2


def test_institution_quota_is_respected(ctx, create_session, create_trainee, create_institution, coordinator):
    training_session = create_session(SessionStatus.OPEN, capacity=10, institution_quota=1)
    institution = create_institution()
    first, second = (register(training_session, create_trainee(institution=institution)) for _ in range(2))
    other = register(training_session, create_trainee())
    decide(first, R.ACCEPTED, coordinator)
    with pytest.raises(DomainError, match="quota"):
        decide(second, R.ACCEPTED, coordinator)
    decide(other, R.ACCEPTED, coordinator)  # another institution still has room


def test_cancellation_promotes_the_first_on_the_waiting_list(open_session, create_trainee, coordinator):
    a, b, c, d = (register(open_session, create_trainee()) for _ in range(4))
    decide(a, R.ACCEPTED, coordinator)
    decide(b, R.ACCEPTED, coordinator)
    decide(c, R.WAITLISTED, coordinator)
    decide(d, R.WAITLISTED, coordinator)
    assert (c.waitlist_position, d.waitlist_position) == (1, 2)
    promoted = cancel(a, coordinator)
    assert promoted == c and c.status == R.ACCEPTED
    assert a.status == R.CANCELLED and a.cancelled_at is not None
    assert d.status == R.WAITLISTED


def test_promotion_passes_over_a_waiting_trainee_whose_institution_is_at_its_quota(
        ctx, create_session, create_trainee, create_institution, coordinator):
    training_session = create_session(SessionStatus.OPEN, capacity=2, institution_quota=1)
    institution = create_institution()
    a, b = register(training_session, create_trainee(institution=institution)), register(training_session, create_trainee())
    c, d = register(training_session, create_trainee(institution=institution)), register(training_session, create_trainee())
    decide(a, R.ACCEPTED, coordinator)
    decide(b, R.ACCEPTED, coordinator)
    decide(c, R.WAITLISTED, coordinator)
    decide(d, R.WAITLISTED, coordinator)
    assert cancel(b, coordinator) == d and c.status == R.WAITLISTED


def test_places_refuse_when_full_then_when_the_institution_is_at_its_quota():
    places = Places(capacity=3, quota=2)
    assert places.refusal(7) is None
    places.take(7)
    places.take(7)
    assert places.refusal(7) is QUOTA_REACHED
    assert places.refusal(8) is None and places.refusal(None) is None  # no institution, no quota
    places.take(None)
    assert places.refusal(8) is FULL and places.refusal(7) is FULL  # full says more than quota
    places.release(7)
    assert places.refusal(7) is None and places.refusal(8) is None
    assert Places(capacity=3).refusal(7) is None  # no quota set


def test_first_that_fits_keeps_the_waiting_list_order_and_skips_who_does_not_fit():
    places = Places(capacity=3, quota=1, accepted=2, per_institution=Counter({7: 1}))
    assert first_that_fits([("a", 7), ("b", 8), ("c", None)], places) == "b"
    assert first_that_fits([("a", 7)], places) is None
    assert first_that_fits([("a", 8)], Places(capacity=2, accepted=2)) is None


def test_accepted_places_counts_the_sessions_accepted_registrations(
        ctx, create_session, create_trainee, create_institution, coordinator):
    training_session = create_session(SessionStatus.OPEN, capacity=5, institution_quota=2)
    institution = create_institution()
    accepted = [register(training_session, create_trainee(institution=institution)),
                register(training_session, create_trainee(institution=None))]
    register(training_session, create_trainee(institution=institution))  # pending: not counted
    for registration in accepted:
        decide(registration, R.ACCEPTED, coordinator)
    places = accepted_places(training_session)
    assert (places.capacity, places.quota, places.accepted) == (5, 2, 2)
    assert places.per_institution == Counter({institution.id: 1})


def test_cancelling_a_pending_registration_promotes_nobody(open_session, create_trainee, coordinator):
    a, b, c = (register(open_session, create_trainee()) for _ in range(3))
    decide(b, R.WAITLISTED, coordinator)
    assert cancel(a, coordinator) is None
    assert b.status == R.WAITLISTED


def test_rejected_registration_cannot_be_accepted(open_session, create_trainee, coordinator):
    registration = register(open_session, create_trainee())
    decide(registration, R.REJECTED, coordinator, reason="Profile does not match")
    with pytest.raises(DomainError, match="cannot go from"):
        decide(registration, R.ACCEPTED, coordinator)


def test_account_email_is_unique_whatever_its_case(ctx):
    fields = dict(given_name="Awa", family_name="Ndiaye", gender="female", nationality="SN",
                  position="Juriste")
    create_trainee_account("long enough", email="Awa@Example.org", **fields)
    with pytest.raises(DomainError, match="already exists"):
        create_trainee_account("long enough", email="awa@example.ORG", **fields)


def test_simultaneous_acceptances_never_exceed_capacity(app, create_session, create_trainee, create_user):
    """Eight coordinators accept eight registrations at the same moment; capacity is three."""
    with app.app_context():
        training_session = create_session(SessionStatus.OPEN, capacity=3)
        ids = [register(training_session, create_trainee()).id for _ in range(8)]
        coordinator_id = create_user().id
        session_id = training_session.id
        db.session.commit()

    barrier = threading.Barrier(len(ids))
    outcomes = []

    def accept(registration_id):
        with app.app_context():
            registration = db.session.get(Registration, registration_id)
            from centre.models import User

            actor = db.session.get(User, coordinator_id)
            db.session.rollback()  # start the decision in a fresh transaction, all together
            barrier.wait()
            try:
                decide(registration, R.ACCEPTED, actor)
                db.session.commit()
                outcomes.append("accepted")
            except DomainError:
                db.session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=accept, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count(Registration.id)).where(
            Registration.session_id == session_id, Registration.status == R.ACCEPTED))
    assert count == 3
    assert sorted(outcomes) == ["accepted"] * 3 + ["refused"] * 5
