import pytest

from centre.attendance.services import eligibility, figures, save_marks
from centre.errors import DomainError
from centre.extensions import db
from centre.models import MarkStatus, RegistrationStatus, SessionStatus


@pytest.fixture
def running(ctx, create_session):
    """A session in progress with ten slots (Monday to Friday, morning and afternoon)."""
    training_session = create_session(SessionStatus.IN_PROGRESS, attendance_threshold=80)
    assert len(training_session.slots) == 10
    return training_session


def complete(training_session):
    from centre.sessions.services import change_status

    change_status(training_session, SessionStatus.COMPLETED)


def test_rate_counts_present_and_late_over_all_slots(running, create_registration, mark_all):
    registration = create_registration(running)
    mark_all(registration, present=6, rest=MarkStatus.ABSENT)
    slot = running.slots[6]
    save_marks(running, {(registration.id, slot.id): MarkStatus.LATE}, None)
    result = figures(registration)
    assert (result.present, result.counted, result.rate) == (7, 10, 70.0)


def test_threshold_met_exactly_is_eligible(running, create_registration, mark_all):
    registration = create_registration(running)
    mark_all(registration, present=8)
    complete(running)
    assert eligibility(registration) == (True, "")


def test_one_slot_below_threshold_is_not_eligible_and_says_why(running, create_registration, mark_all):
    registration = create_registration(running)
    mark_all(registration, present=7)
    complete(running)
    eligible, reason = eligibility(registration)
    assert not eligible
    assert "70%" in reason and "80%" in reason


def test_excused_never_counts_as_present(running, create_registration, mark_all):
    registration = create_registration(running)
    mark_all(registration, present=7, rest=MarkStatus.EXCUSED)
    result = figures(registration)
    assert (result.present, result.excused, result.rate) == (7, 3, 70.0)


def test_session_may_leave_excused_slots_out_of_the_count(running, create_registration, mark_all):
    running.excused_left_out = True
    registration = create_registration(running)
    mark_all(registration, present=7, rest=MarkStatus.EXCUSED)
    result = figures(registration)
    assert (result.present, result.counted, result.rate) == (7, 7, 100.0)


def test_unmarked_slots_count_as_absent(running, create_registration, mark_all):
    registration = create_registration(running)
    save_marks(running, {(registration.id, s.id): MarkStatus.PRESENT for s in running.slots[:8]}, None)
    assert figures(registration).rate == 80.0


def test_slot_removed_after_marking_leaves_the_count(running, create_registration, mark_all):
    registration = create_registration(running)
    mark_all(registration, present=7)  # 7 of 10: below 80 %
    removed = running.slots[-1]  # an absent slot
    running.slots.remove(removed)
    db.session.flush()
    result = figures(registration)
    assert (result.present, result.counted) == (7, 9)


def test_session_without_slots_gives_no_certificate(ctx, create_session, create_registration):
    training_session = create_session(SessionStatus.COMPLETED)
    training_session.slots.clear()
    db.session.flush()
    registration = create_registration(training_session)
    assert eligibility(registration) == (False, "The session has no slots.")


def test_marks_refused_for_another_sessions_registration(running, ctx, create_session, create_registration):
    elsewhere = create_registration(create_session(SessionStatus.IN_PROGRESS))
    with pytest.raises(DomainError, match="not part of this session"):
        save_marks(running, {(elsewhere.id, running.slots[0].id): MarkStatus.PRESENT}, None)


def test_marks_refused_for_a_registration_not_accepted(running, create_registration):
    pending = create_registration(running, status=RegistrationStatus.PENDING)
    with pytest.raises(DomainError, match="not part of this session"):
        save_marks(running, {(pending.id, running.slots[0].id): MarkStatus.PRESENT}, None)


def test_attendance_is_taken_only_once_the_session_started(ctx, create_session, create_registration):
    training_session = create_session(SessionStatus.CLOSED)
    registration = create_registration(training_session)
    with pytest.raises(DomainError, match="started"):
        save_marks(training_session, {(registration.id, training_session.slots[0].id): MarkStatus.PRESENT}, None)


def test_saving_the_same_marks_twice_changes_nothing(running, create_registration):
    registration = create_registration(running)
    marks = {(registration.id, s.id): MarkStatus.PRESENT for s in running.slots}
    assert save_marks(running, marks, None) == 10
    assert save_marks(running, marks, None) == 0
