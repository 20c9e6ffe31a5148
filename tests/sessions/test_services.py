from datetime import date

import pytest

from centre.audit import history
from centre.errors import DomainError
from centre.models import SessionStatus, SlotPart
from centre.sessions.services import allowed_transitions, build_slots, change_status


def test_slots_are_two_per_working_day_and_skip_the_weekend(ctx):
    slots = build_slots(date(2026, 3, 6), date(2026, 3, 9))  # Friday to Monday
    assert [(s.starts_at.date(), s.part) for s in slots] == [
        (date(2026, 3, 6), SlotPart.MORNING), (date(2026, 3, 6), SlotPart.AFTERNOON),
        (date(2026, 3, 9), SlotPart.MORNING), (date(2026, 3, 9), SlotPart.AFTERNOON),
    ]


def test_slot_hours_are_in_the_centres_time_zone(ctx):
    morning = build_slots(date(2026, 7, 6), date(2026, 7, 6))[0]
    assert morning.starts_at.tzinfo is not None
    assert morning.starts_at.utcoffset().total_seconds() == 3600  # Casablanca is UTC+1
    assert morning.starts_at.hour == 9


def test_holidays_are_skipped(ctx):
    slots = build_slots(date(2026, 3, 2), date(2026, 3, 3), holidays=frozenset({date(2026, 3, 2)}))
    assert {s.starts_at.date() for s in slots} == {date(2026, 3, 3)}


def test_session_cannot_skip_a_step_of_the_workflow(ctx, create_session):
    training_session = create_session(SessionStatus.DRAFT)
    with pytest.raises(DomainError, match="cannot go from"):
        change_status(training_session, SessionStatus.OPEN)
    assert training_session.status == SessionStatus.DRAFT


def test_opening_needs_the_arabic_title(ctx, create_session):
    training_session = create_session(SessionStatus.APPROVED, title_ar="")
    with pytest.raises(DomainError, match="Arabic"):
        change_status(training_session, SessionStatus.OPEN)


def test_cancelling_needs_a_reason_kept_in_the_audit_log(ctx, create_session):
    training_session = create_session(SessionStatus.OPEN)
    with pytest.raises(DomainError, match="why"):
        change_status(training_session, SessionStatus.CANCELLED)
    change_status(training_session, SessionStatus.CANCELLED, reason="Venue unavailable")
    last = history(training_session)[-1]
    assert (last.from_state, last.to_state, last.details["reason"]) == ("open", "cancelled", "Venue unavailable")


def test_completed_session_has_no_further_step(ctx, create_session):
    assert allowed_transitions(create_session(SessionStatus.COMPLETED)) == []


def test_every_transition_is_audited(ctx, create_session):
    training_session = create_session(SessionStatus.IN_PROGRESS)
    states = [(e.from_state, e.to_state) for e in history(training_session)]
    assert states == [(None, "draft"), ("draft", "in_review"), ("in_review", "approved"),
                      ("approved", "open"), ("open", "closed"), ("closed", "in_progress")]
