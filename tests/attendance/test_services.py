from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from centre.attendance.services import (
    check_in,
    checkin_code,
    checkin_code_is_valid,
    eligibility,
    eligibility_list,
    figures,
    mark_everyone_present,
    save_marks,
    session_figures,
    sheet_groups,
    total,
)
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import centre_zone
from centre.models import AttendanceMark, AuditEntry, MarkStatus, RegistrationStatus, Role, SessionStatus, Slot, SlotPart


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


# The rate at the edges ---------------------------------------------------------------------

def test_unmarked_slot_counts_as_absent_only_once_it_has_ended(running, create_registration):
    registration = create_registration(running)
    slots = running.slots
    save_marks(running, {(registration.id, s.id): MarkStatus.PRESENT for s in slots[:2]}, None)
    now = slots[2].ends_at + timedelta(minutes=1)  # third slot over, unmarked; fourth not begun
    result = figures(registration, now)
    assert (result.present, result.absent, result.counted, result.pending) == (2, 1, 3, 7)
    assert figures(registration, slots[2].ends_at - timedelta(seconds=1)).counted == 2


def test_slot_marked_before_it_ends_counts_at_once(running, create_registration):
    registration = create_registration(running)
    first = running.slots[0]
    save_marks(running, {(registration.id, first.id): MarkStatus.PRESENT}, None)
    result = figures(registration, first.starts_at + timedelta(minutes=10))
    assert (result.present, result.counted, result.rate) == (1, 1, 100.0)


def test_every_slot_counts_once_the_session_is_completed(running, create_registration):
    registration = create_registration(running)
    save_marks(running, {(registration.id, running.slots[0].id): MarkStatus.PRESENT}, None)
    complete(running)
    before_it_all = running.slots[0].starts_at - timedelta(days=1)
    assert figures(registration, before_it_all).counted == 10


def test_excused_counted_as_not_attended_unless_left_out(running, create_registration, mark_all):
    registration = create_registration(running)
    mark_all(registration, present=8, rest=MarkStatus.EXCUSED)
    complete(running)
    assert eligibility(registration) == (True, "")  # 8 of 10
    other = create_registration(running)
    save_marks(running, {(other.id, s.id): MarkStatus.PRESENT if i < 7 else MarkStatus.EXCUSED
                         for i, s in enumerate(running.slots)}, None, reason="late entry")
    assert not eligibility(other)[0]  # 7 of 10: excused is not present
    running.excused_left_out = True
    assert eligibility(other) == (True, "")  # 7 of 7


def test_every_slot_excused_and_left_out_gives_no_certificate(running, create_registration, mark_all):
    running.excused_left_out = True
    registration = create_registration(running)
    mark_all(registration, present=0, rest=MarkStatus.EXCUSED)
    complete(running)
    result = figures(registration)
    assert (result.counted, result.rate) == (0, 0.0)
    eligible, reason = eligibility(registration)
    assert not eligible and "every slot is excused" in reason


def test_rate_just_under_the_threshold_is_shown_rounded_down(ctx, create_session, create_registration):
    # 39 of 49 slots is 79.59 %: it must not read "80 % is below the threshold of 80 %".
    training_session = create_session(SessionStatus.IN_PROGRESS, start_on=date(2026, 2, 2),
                                       end_on=date(2026, 3, 6))  # five weeks, no public holiday
    training_session.slots.pop()  # 50 → 49 slots
    db.session.flush()
    registration = create_registration(training_session)
    save_marks(training_session, {(registration.id, s.id): MarkStatus.PRESENT
                                  for s in training_session.slots[:39]}, None)
    complete(training_session)
    result = figures(registration)
    assert (result.slots, result.present, result.percent) == (49, 39, 79)
    assert eligibility(registration)[1] == "Attendance 79% is below the threshold of 80%."


def test_threshold_of_zero_still_needs_a_slot_that_counts(ctx, create_session, create_registration):
    training_session = create_session(SessionStatus.IN_PROGRESS, attendance_threshold=0)
    registration = create_registration(training_session)
    complete(training_session)
    assert eligibility(registration) == (True, "")  # ten absences, 0 % of 0 % asked


def test_session_rate_adds_every_trainees_slots(running, create_registration, mark_all):
    first, second = create_registration(running), create_registration(running)
    mark_all(first, present=10)
    mark_all(second, present=5)
    result = total(session_figures(running, [first.id, second.id]).values())
    assert (result.present, result.counted, result.percent) == (15, 20, 75)


def test_eligibility_list_gives_each_trainee_and_the_reason(running, create_registration, mark_all):
    good, poor = create_registration(running), create_registration(running)
    create_registration(running, status=RegistrationStatus.REJECTED)
    mark_all(good, present=9)
    mark_all(poor, present=3)
    complete(running)
    rows = {row.registration.id: row for row in eligibility_list(running)}
    assert set(rows) == {good.id, poor.id}
    assert rows[good.id].eligible and rows[good.id].reason == ""
    assert not rows[poor.id].eligible and "30%" in rows[poor.id].reason


def test_eligibility_list_of_a_session_not_completed_says_so(running, create_registration, mark_all):
    registration = create_registration(running)
    mark_all(registration, present=10)
    row, = eligibility_list(running)
    assert (row.eligible, row.reason) == (False, "The session is not completed.")


# Marks: who, when, notes, corrections ------------------------------------------------------


def test_who_recorded_a_mark_and_when_is_kept(running, create_registration, create_user):
    registration = create_registration(running)
    coordinator = create_user(Role.COORDINATOR)
    slot = running.slots[0]
    at = slot.starts_at + timedelta(minutes=20)
    save_marks(running, {(registration.id, slot.id): MarkStatus.LATE}, coordinator, now=at)
    mark = db.session.scalar(sa.select(AttendanceMark))
    assert (mark.recorded_by, mark.recorded_at) == (coordinator, at)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "attendance_mark"))
    assert (entry.actor_id, entry.action, entry.to_state) == (coordinator.id, "mark", "late")


def test_a_note_is_saved_with_its_mark_and_alone_later(running, create_registration):
    registration = create_registration(running)
    key = (registration.id, running.slots[0].id)
    save_marks(running, {key: MarkStatus.EXCUSED}, None, notes={key: " Medical certificate "})
    assert db.session.scalar(sa.select(AttendanceMark.note)) == "Medical certificate"
    assert save_marks(running, {}, None, notes={key: "Doctor's note seen"}) == 1
    mark = db.session.scalar(sa.select(AttendanceMark))
    assert (mark.status, mark.note) == (MarkStatus.EXCUSED, "Doctor's note seen")


def test_a_note_needs_a_mark(running, create_registration):
    registration = create_registration(running)
    key = (registration.id, running.slots[0].id)
    with pytest.raises(DomainError, match="needs a mark"):
        save_marks(running, {}, None, notes={key: "Arrived at ten"})
    assert save_marks(running, {}, None, notes={key: "  "}) == 0


def test_a_note_too_long_is_refused_in_words(running, create_registration):
    registration = create_registration(running)
    key = (registration.id, running.slots[0].id)
    with pytest.raises(DomainError, match="at most 500"):
        save_marks(running, {key: MarkStatus.ABSENT}, None, notes={key: "x" * 501})


def test_correction_after_completion_needs_a_reason(running, create_registration, mark_all, create_user):
    registration = create_registration(running)
    mark_all(registration, present=7)
    complete(running)
    key = (registration.id, running.slots[9].id)
    with pytest.raises(DomainError, match="reason"):
        save_marks(running, {key: MarkStatus.PRESENT}, None)
    with pytest.raises(DomainError, match="reason"):
        save_marks(running, {key: MarkStatus.PRESENT}, None, reason="   ")
    coordinator = create_user(Role.COORDINATOR)
    assert save_marks(running, {key: MarkStatus.PRESENT}, coordinator, reason="Signed the paper sheet") == 1
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "attendance_mark")
                               .order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.from_state, entry.to_state) == ("correct", "absent", "present")
    assert (entry.actor_id, entry.details["reason"]) == (coordinator.id, "Signed the paper sheet")


def test_unchanged_marks_after_completion_need_no_reason(running, create_registration, mark_all):
    registration = create_registration(running)
    mark_all(registration, present=10)
    complete(running)
    marks = {(registration.id, s.id): MarkStatus.PRESENT for s in running.slots}
    assert save_marks(running, marks, None) == 0


def test_everyone_present_marks_only_those_not_marked(running, create_registration):
    first, second, third = (create_registration(running) for _ in range(3))
    slot = running.slots[0]
    save_marks(running, {(first.id, slot.id): MarkStatus.EXCUSED}, None)
    assert mark_everyone_present(running, slot, None) == 2
    statuses = dict(db.session.execute(
        sa.select(AttendanceMark.registration_id, AttendanceMark.status).where(AttendanceMark.slot_id == slot.id)
    ).all())
    assert statuses == {first.id: MarkStatus.EXCUSED, second.id: MarkStatus.PRESENT,
                        third.id: MarkStatus.PRESENT}
    assert mark_everyone_present(running, slot, None) == 0


# QR self check-in --------------------------------------------------------------------------


@pytest.fixture
def trainee_in(running, create_registration, create_trainee, create_user):
    """An accepted trainee with an account, and the first slot of the session."""
    registration = create_registration(running, trainee=create_trainee(user=create_user(Role.TRAINEE)))
    return registration, running.slots[0]


def test_check_in_code_changes_every_minute_and_the_previous_one_still_works(trainee_in):
    _, slot = trainee_in
    now = slot.starts_at.replace(second=5) + timedelta(minutes=3)
    code = checkin_code(slot, now)
    assert checkin_code(slot, now + timedelta(seconds=50)) == code  # same minute
    assert checkin_code(slot, now + timedelta(minutes=1)) != code
    assert checkin_code_is_valid(slot, code, now)
    assert checkin_code_is_valid(slot, code, now + timedelta(minutes=1))
    assert not checkin_code_is_valid(slot, code, now + timedelta(minutes=2))
    assert not checkin_code_is_valid(slot, code, now - timedelta(minutes=1))  # not a future code
    assert not checkin_code_is_valid(slot, "not-a-code-é", now)


def test_check_in_code_is_tied_to_its_slot_and_the_secret_key(app, trainee_in):
    _, slot = trainee_in
    other = slot.training_session.slots[1]
    now = slot.starts_at + timedelta(minutes=1)
    assert not checkin_code_is_valid(other, checkin_code(slot, now), now)
    code = checkin_code(slot, now)
    app.config["SECRET_KEY"] = "another-secret"
    assert checkin_code(slot, now) != code


def test_check_in_marks_the_signed_in_trainee_present(trainee_in):
    registration, slot = trainee_in
    now = slot.starts_at + timedelta(minutes=2)
    mark = check_in(slot, checkin_code(slot, now), registration.trainee.user, now)
    assert (mark.registration_id, mark.slot_id, mark.status) == (registration.id, slot.id, MarkStatus.PRESENT)
    assert (mark.recorded_by, mark.recorded_at) == (registration.trainee.user, now)


def test_check_in_is_late_after_the_configured_minutes(app, trainee_in):
    registration, slot = trainee_in
    user = registration.trainee.user
    app.config["CHECKIN_LATE_AFTER_MINUTES"] = 10
    just_in_time = slot.starts_at + timedelta(minutes=10) - timedelta(seconds=1)
    assert check_in(slot, checkin_code(slot, just_in_time), user, just_in_time).status == MarkStatus.PRESENT
    second = slot.training_session.slots[1]
    late = second.starts_at + timedelta(minutes=10)
    assert check_in(second, checkin_code(second, late), user, late).status == MarkStatus.LATE


def test_check_in_works_only_during_the_slots_hours(trainee_in):
    registration, slot = trainee_in
    user = registration.trainee.user
    for now in (slot.starts_at - timedelta(seconds=1), slot.ends_at):
        with pytest.raises(DomainError, match="slot's hours"):
            check_in(slot, checkin_code(slot, now), user, now)


def test_check_in_refuses_an_expired_code(trainee_in):
    registration, slot = trainee_in
    scanned = slot.starts_at + timedelta(minutes=1)
    with pytest.raises(DomainError, match="expired"):
        check_in(slot, checkin_code(slot, scanned), registration.trainee.user, scanned + timedelta(minutes=2))


def test_check_in_cannot_mark_someone_not_accepted(trainee_in, create_registration, create_trainee, create_user):
    registration, slot = trainee_in
    pending = create_registration(registration.training_session, status=RegistrationStatus.PENDING,
                                  trainee=create_trainee(user=create_user(Role.TRAINEE)))
    now = slot.starts_at + timedelta(minutes=1)
    for user in (pending.trainee.user, create_user(Role.TRAINEE), create_user(Role.COORDINATOR)):
        with pytest.raises(DomainError, match="not an accepted participant"):
            check_in(slot, checkin_code(slot, now), user, now)
    assert db.session.scalar(sa.select(sa.func.count(AttendanceMark.id))) == 0


def test_check_in_only_while_the_session_is_in_progress(trainee_in):
    registration, slot = trainee_in
    complete(registration.training_session)
    now = slot.starts_at + timedelta(minutes=1)
    with pytest.raises(DomainError, match="in progress"):
        check_in(slot, checkin_code(slot, now), registration.trainee.user, now)


def test_second_scan_changes_nothing_and_an_absence_becomes_late(trainee_in):
    registration, slot = trainee_in
    user = registration.trainee.user
    key = (registration.id, slot.id)
    save_marks(registration.training_session, {key: MarkStatus.ABSENT}, None, notes={key: "not there at 9:20"})
    late = slot.starts_at + timedelta(minutes=40)
    mark = check_in(slot, checkin_code(slot, late), user, late)
    assert (mark.status, mark.note) == (MarkStatus.LATE, "not there at 9:20")
    again = late + timedelta(minutes=5)
    assert check_in(slot, checkin_code(slot, again), user, again).recorded_at == late
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.entity == "attendance_mark")).all()
    assert actions == ["mark", "check_in"]


# The sign-in sheet's page-groups -------------------------------------------------------------


def test_sheet_puts_five_days_side_by_side_and_goes_on_with_the_next(ctx):
    """Slots by day in the centre's time zone, five days a page-group: twelve days make 5 + 5 + 2."""
    zone = centre_zone()
    slots = [Slot(part=part, starts_at=datetime.combine(date(2026, 3, 1) + timedelta(days=d), start, zone),
                  ends_at=datetime.combine(date(2026, 3, 1) + timedelta(days=d), start, zone) + timedelta(hours=3))
             for d in reversed(range(12)) for part, start in ((SlotPart.MORNING, time(9)), (SlotPart.AFTERNOON, time(14)))]
    groups = sheet_groups(slots)
    assert [len(group) for group in groups] == [5, 5, 2]
    assert [d.day for d in groups[0]] == [date(2026, 3, 1) + timedelta(days=d) for d in range(5)]
    assert [slot.part for slot in groups[0][0].slots] == [SlotPart.MORNING, SlotPart.AFTERNOON]


def test_sheet_starts_a_new_group_rather_than_squeeze_more_than_ten_slots(ctx):
    """Four days of three slots: three days (nine slots) on the first page-group, the fourth on the next."""
    zone = centre_zone()
    slots = [Slot(part=SlotPart.MORNING, starts_at=datetime.combine(date(2026, 3, 2) + timedelta(days=d), time(8 + 3 * h), zone),
                  ends_at=datetime.combine(date(2026, 3, 2) + timedelta(days=d), time(10 + 3 * h), zone))
             for d in range(4) for h in range(3)]
    assert [[len(d.slots) for d in group] for group in sheet_groups(slots)] == [[3, 3, 3], [3]]
