from datetime import date, time

import pytest
import sqlalchemy as sa

from centre.audit import history
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import centre_zone
from centre.models import AttendanceMark, SessionKind, SessionStatus, SlotPart
from centre.sessions import services
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


# --- editing, duplicating, slots, trainers -------------------------------------------------


def test_editing_records_which_fields_changed(ctx, create_session):
    training_session = create_session(SessionStatus.DRAFT)
    changed = services.update_session(training_session, None, title_fr="Nouveau titre", capacity=30,
                                       venue_fr=training_session.venue_fr)
    assert sorted(changed) == ["capacity", "title_fr"]
    assert history(training_session)[-1].details["fields"] == "capacity, title_fr"


def test_new_dates_give_new_slots(ctx, create_session):
    training_session = create_session(SessionStatus.DRAFT)
    services.update_session(training_session, None, start_on=date(2026, 3, 9), end_on=date(2026, 3, 10))
    assert [s.starts_at.date() for s in training_session.slots] == [date(2026, 3, 9)] * 2 + [date(2026, 3, 10)] * 2


def test_dates_cannot_change_once_attendance_is_taken(ctx, create_session, create_registration, mark_all):
    training_session = create_session(SessionStatus.IN_PROGRESS)
    mark_all(create_registration(training_session), present=1)
    with pytest.raises(DomainError, match="Attendance has been taken"):
        services.update_session(training_session, None, end_on=date(2026, 3, 5))


def test_completed_session_cannot_be_edited(ctx, create_session):
    with pytest.raises(DomainError, match="can no longer be changed"):
        services.update_session(create_session(SessionStatus.COMPLETED), None, title_fr="x")


def test_capacity_cannot_drop_below_accepted_registrations(ctx, create_session, create_registration):
    training_session = create_session(SessionStatus.OPEN, capacity=5)
    for _ in range(3):
        create_registration(training_session)
    with pytest.raises(DomainError, match="More registrations are accepted"):
        services.update_session(training_session, None, capacity=2)
    services.update_session(training_session, None, capacity=3)


def test_code_stays_unique_when_editing(ctx, create_session):
    first, second = create_session(code="2026-01"), create_session(code="2026-02")
    with pytest.raises(DomainError, match="already exists"):
        services.update_session(second, None, code="2026-01")
    services.update_session(first, None, code="2026-01")  # its own code is fine


def test_quota_cannot_exceed_capacity(ctx, create_session):
    with pytest.raises(DomainError, match="cannot exceed the capacity"):
        create_session(capacity=10, institution_quota=11)


def test_duplicate_is_a_draft_moved_to_its_new_dates_with_the_trainers(ctx, create_session, create_expert):
    source = create_session(SessionStatus.COMPLETED, registration_deadline=date(2026, 2, 20),
                            kind=SessionKind.IMMERSION, programme_fr="Jour 1 : accueil",
                            programme_ar="اليوم الأول: الاستقبال")
    expert = create_expert()
    db.session.add(services.Trainer(training_session=source, expert=expert, days=2))
    db.session.flush()
    copy = services.duplicate_session(source, None, code="2027-03", start_on=date(2027, 3, 1))
    assert copy.status == SessionStatus.DRAFT and copy.kind == SessionKind.IMMERSION
    assert (copy.start_on, copy.end_on, copy.registration_deadline) == (
        date(2027, 3, 1), date(2027, 3, 5), date(2027, 2, 19))
    assert copy.title_fr == source.title_fr and copy.programme_fr == "Jour 1 : accueil"
    assert [(t.expert, t.days) for t in copy.trainers] == [(expert, 2)]
    assert len(copy.slots) == 10 and source.status == SessionStatus.COMPLETED
    assert history(copy)[-1].details["source"] == source.code


def test_fixed_public_holidays_get_no_slot(ctx):
    slots = build_slots(date(2026, 7, 29), date(2026, 7, 31))  # 30 July: Throne Day
    assert {s.starts_at.date() for s in slots} == {date(2026, 7, 29), date(2026, 7, 31)}


def test_configured_holidays_get_no_slot(app):
    app.config["HOLIDAYS"] = ("2026-03-20",)
    with app.app_context():
        assert {s.starts_at.date() for s in build_slots(date(2026, 3, 19), date(2026, 3, 20))} == {date(2026, 3, 19)}


def test_slots_can_be_added_changed_and_removed(ctx, create_session):
    training_session = create_session(SessionStatus.DRAFT)
    slot = services.add_slot(training_session, None, day=date(2026, 3, 2), part=SlotPart.AFTERNOON,
                             starts=time(18, 0), ends=time(20, 0))
    assert len(training_session.slots) == 11
    services.change_slot(slot, None, starts=time(18, 30), ends=time(20, 30))
    assert slot.starts_at.astimezone(centre_zone()).time() == time(18, 30)
    services.remove_slot(slot, None)
    assert len(training_session.slots) == 10
    actions = [e.action for e in history(training_session)]
    assert actions[-3:] == ["slot_add", "slot_change", "slot_remove"]


@pytest.mark.parametrize("day, starts, ends, message", [
    (date(2026, 3, 2), time(10, 0), time(11, 0), "overlaps"),
    (date(2026, 3, 9), time(18, 0), time(19, 0), "within the session's dates"),
    (date(2026, 3, 2), time(19, 0), time(18, 0), "end after it starts"),
])
def test_slot_refusals(ctx, create_session, day, starts, ends, message):
    training_session = create_session(SessionStatus.DRAFT)
    with pytest.raises(DomainError, match=message):
        services.add_slot(training_session, None, day=day, part=SlotPart.MORNING, starts=starts, ends=ends)


def test_removing_a_slot_removes_its_marks_and_says_how_many(ctx, create_session, create_registration, mark_all):
    training_session = create_session(SessionStatus.IN_PROGRESS)
    registration = create_registration(training_session)
    mark_all(registration, present=10)
    slot = training_session.slots[0]
    slot_id = slot.id
    services.remove_slot(slot, None)
    assert db.session.scalar(sa.select(sa.func.count()).where(AttendanceMark.slot_id == slot_id)) == 0
    assert history(training_session)[-1].details["marks"] == "1"


def test_trainers_with_their_working_days(ctx, create_session, create_expert):
    training_session = create_session(SessionStatus.DRAFT)
    expert = create_expert()
    services.set_trainer(training_session, expert, 2, None)
    services.set_trainer(training_session, expert, 3, None)  # changing the days, not a second row
    assert [(t.expert, t.days) for t in training_session.trainers] == [(expert, 3)]
    with pytest.raises(DomainError, match="half a day"):
        services.set_trainer(training_session, create_expert(), 6, None)  # the session lasts 5 days
    services.remove_trainer(training_session, training_session.trainers[0], None)
    assert training_session.trainers == []


# --- lists, calendar, conflicts, feeds ------------------------------------------------------

def test_list_filters(ctx, create_session, create_registration, create_institution, create_association):
    association = create_association("AOM")
    member = create_institution(name_fr="Membre")
    member.associations.append(association)
    a = create_session(SessionStatus.OPEN, start_on=date(2025, 5, 5), end_on=date(2025, 5, 6))
    b = create_session(SessionStatus.DRAFT, kind=SessionKind.EXPERT_MISSION)
    create_registration(a)
    registration = create_registration(b)
    registration.trainee.institution = member
    db.session.flush()
    assert services.list_sessions(year=2025) == [a]
    assert services.list_sessions(status=SessionStatus.DRAFT) == [b]
    assert services.list_sessions(kind=SessionKind.EXPERT_MISSION) == [b]
    assert services.list_sessions(institution_id=member.id) == [b]
    assert services.list_sessions(association_id=association.id) == [b]


def test_month_calendar_starts_on_monday_and_places_sessions(ctx, create_session):
    training_session = create_session(SessionStatus.OPEN, start_on=date(2026, 3, 2), end_on=date(2026, 3, 6))
    weeks = services.month_calendar(2026, 3)
    assert weeks[0][0][0] == date(2026, 2, 23) and weeks[0][0][0].weekday() == 0
    days = {day: sessions for week in weeks for day, sessions in week}
    assert days[date(2026, 3, 2)] == [training_session] and days[date(2026, 3, 9)] == []
    assert days[date(2026, 2, 27)] == []  # another month's day shows nothing


def test_venue_booked_twice_is_a_warning(ctx, create_session):
    first = create_session(SessionStatus.OPEN, start_on=date(2026, 3, 2), end_on=date(2026, 3, 6))
    second = create_session(SessionStatus.DRAFT, start_on=date(2026, 3, 4), end_on=date(2026, 3, 5))
    warnings = services.conflicts(second)
    assert len(warnings) == 1 and first.code in warnings[0] and "Rabat" in warnings[0]
    other_city = create_session(SessionStatus.DRAFT, venue_fr="Tanger", start_on=date(2026, 3, 4),
                                end_on=date(2026, 3, 5))
    assert services.conflicts(other_city) == []


def test_expert_busy_with_two_sessions_on_one_day_is_a_warning(ctx, create_session, create_expert):
    expert = create_expert()
    teaching = create_session(SessionStatus.OPEN, venue_fr="Rabat", start_on=date(2026, 3, 2), end_on=date(2026, 3, 6))
    services.set_trainer(teaching, expert, 1, None)
    other = create_session(SessionStatus.DRAFT, venue_fr="Fès", start_on=date(2026, 4, 6), end_on=date(2026, 4, 7))
    from centre.reviews.services import assign_reviewer

    assert services.conflicts(other) == []
    review = assign_reviewer(other, expert, None, due_on=None)
    review.due_on = date(2026, 3, 3)  # due on a day the expert teaches the other session
    warnings = services.conflicts(other)
    assert len(warnings) == 1 and expert.name in warnings[0] and teaching.code in warnings[0]


def test_calendar_feed_of_one_session_has_an_event_per_slot(ctx, create_session):
    from icalendar import Calendar

    training_session = create_session(SessionStatus.OPEN, start_on=date(2026, 3, 2), end_on=date(2026, 3, 6))
    feed = Calendar.from_ical(services.calendar_feed([training_session], slots=True, language="ar",
                                                     url_for_session=lambda s: "https://centre.example/x"))
    events = feed.walk("VEVENT")
    assert len(events) == 10
    assert events[0].decoded("dtstart") == training_session.slots[0].starts_at
    assert "تدبير الشكايات" in str(events[0]["summary"]) and str(events[0]["location"]) == "الرباط"


def test_calendar_feed_of_open_sessions_has_all_day_events(ctx, create_session):
    from icalendar import Calendar

    training_session = create_session(SessionStatus.OPEN, start_on=date(2026, 3, 2), end_on=date(2026, 3, 6))
    event, = Calendar.from_ical(services.calendar_feed(
        [training_session], slots=False, language="fr", url_for_session=lambda s: "u")).walk("VEVENT")
    assert event.decoded("dtstart") == date(2026, 3, 2) and event.decoded("dtend") == date(2026, 3, 7)
    assert str(event["summary"]).startswith(training_session.code)
