"""`flask seed-volume`: years of activity written in bulk, the last year's certificates issued,
and every rule the services keep still true of the data."""
import hashlib
from collections import Counter
from datetime import date

import sqlalchemy as sa

from centre.extensions import db
from centre.models import (
    LIVE_STATUSES,
    AttendanceMark,
    AuditEntry,
    Certificate,
    Expert,
    Institution,
    Registration,
    RegistrationStatus,
    Review,
    SessionStatus,
    Slot,
    Trainee,
    TrainingSession,
)

TODAY = "2026-11-25"
ARGS = ["seed-volume", "--years", "2", "--sessions-per-year", "3", "--trainees-per-session", "4",
        "--seed", "7", "--today", TODAY]


def seed(runner, *extra):
    result = runner.invoke(args=[*ARGS, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_seed_volume_writes_years_that_keep_the_rules_and_the_last_years_certificates(app, runner):
    """One run (the certificates make it the slow part) checked three ways."""
    assert "Volume data loaded" in seed(runner)
    check_counts(app)
    check_rules(app)
    check_certificates(app)
    check_questionnaires(app)


def check_counts(app):
    with app.app_context():
        sessions = db.session.scalars(sa.select(TrainingSession).order_by(TrainingSession.start_on)).all()
        assert len(sessions) == 6
        assert {s.start_on.year for s in sessions} == {2025, 2026}
        assert count(Institution) >= 16 and count(Expert) >= 30
        for training_session in sessions:
            assert training_session.slots, training_session.code
            assert training_session.title_fr and training_session.title_ar and training_session.title_en
            if training_session.status != SessionStatus.COMPLETED:
                continue
            assert training_session.end_on.isoformat() < TODAY
            reviews = db.session.scalars(sa.select(Review).where(Review.session_id == training_session.id)).all()
            assert len(reviews) == 2 and all(r.is_submitted for r in reviews)
            assert {r.expert.is_national for r in reviews} == {True, False}
            assert count(AttendanceMark, AttendanceMark.slot_id.in_([s.id for s in training_session.slots]))
        assert count(Trainee) > 0
        assert count(Registration) >= 6 * 4 - 2  # a few sessions may have been cancelled
        assert count(AuditEntry, AuditEntry.entity == "registration", AuditEntry.action == "register") \
            == count(Registration)
        names_ar = db.session.scalars(sa.select(Trainee.full_name_ar).where(Trainee.full_name_ar != "")).all()
        assert names_ar


def check_rules(app):
    with app.app_context():
        for training_session in db.session.scalars(sa.select(TrainingSession)):
            registrations = db.session.scalars(
                sa.select(Registration).where(Registration.session_id == training_session.id)).all()
            accepted = [r for r in registrations if r.status == RegistrationStatus.ACCEPTED]
            assert len(accepted) <= training_session.capacity, training_session.code
            if training_session.institution_quota:
                per_institution = Counter(r.trainee.institution_id for r in accepted if r.trainee.institution_id)
                assert max(per_institution.values(), default=0) <= training_session.institution_quota
            live = Counter(r.trainee_id for r in registrations if r.status in LIVE_STATUSES)
            assert max(live.values(), default=0) <= 1
            slot_ids = {s.id for s in training_session.slots}
            marks = db.session.scalars(sa.select(AttendanceMark).where(AttendanceMark.slot_id.in_(slot_ids))).all()
            accepted_ids = {r.id for r in accepted}
            assert all(m.registration_id in accepted_ids for m in marks), training_session.code
            if training_session.status == SessionStatus.COMPLETED:
                assert len(marks) == len(accepted) * len(slot_ids)
            else:
                assert training_session.status not in (SessionStatus.DRAFT, SessionStatus.OPEN) or not marks


def check_questionnaires(app):
    """Each completed session's end-of-session questionnaire went to those who attended, as the
    service counts them, and its anonymous responses name no invitation."""
    from centre.evaluation import figures, questionnaires, recipients
    from centre.models import Purpose, QuestionKind, Response

    with app.app_context():
        for training_session in db.session.scalars(sa.select(TrainingSession).where(
                TrainingSession.status == SessionStatus.COMPLETED)):
            questionnaire, = questionnaires.session_questionnaires(training_session)
            assert questionnaire.purpose == Purpose.END_OF_SESSION and questionnaire.is_anonymous
            assert sorted(i.trainee_id for i in questionnaire.invitations) == \
                [t.id for t in recipients.attended_trainees(training_session)]
            result = figures.results(questionnaire, "fr")
            assert result.answered == sum(i.is_used for i in questionnaire.invitations) > 0
            assert count(Response, Response.questionnaire_id == questionnaire.id,
                          Response.invitation_id.is_not(None)) == 0
            for item in result.items:
                if item.item.question.kind == QuestionKind.RATING and item.item.question.is_required:
                    assert sum(item.counts) == result.answered


def check_certificates(app):
    from centre.attendance.services import eligibility_list

    with app.app_context():
        done = db.session.scalars(sa.select(TrainingSession).where(
            TrainingSession.status == SessionStatus.COMPLETED)).all()
        assert any(s.start_on.year == 2026 for s in done)
        for training_session in done:
            rows = eligibility_list(training_session)
            certified = {c.registration_id: c for c in db.session.scalars(
                sa.select(Certificate).join(Registration)
                .where(Registration.session_id == training_session.id)
                .options(sa.orm.undefer(Certificate.pdf)))}
            if training_session.start_on.year < 2026:
                assert not certified
                continue
            assert set(certified) == {row.registration.id for row in rows if row.eligible}
            for certificate in certified.values():
                assert certificate.state == "valid"
                assert certificate.pdf.startswith(b"%PDF-") and b"%%EOF" in certificate.pdf[-1024:]
                assert hashlib.sha256(certificate.pdf).hexdigest() == certificate.sha256
        assert count(Certificate) > 0


def test_seed_volume_keeps_capacity_quota_and_the_waiting_list_as_the_services_do(app, runner):
    """Sessions big enough to fill up, with quotas, withdrawals and waiting lists."""
    from centre.registrations.services import promote_from_waitlist

    seed(runner, "--no-certificates", "--years", "1", "--sessions-per-year", "30", "--trainees-per-session", "10")
    check_rules(app)
    with app.app_context():
        assert count(Registration, Registration.status == RegistrationStatus.WAITLISTED)
        assert count(AuditEntry, AuditEntry.entity == "registration", AuditEntry.action == "promote")
        assert count(TrainingSession, TrainingSession.institution_quota.is_not(None))
        for training_session in db.session.scalars(sa.select(TrainingSession)):
            waiting = db.session.scalars(sa.select(Registration).where(
                Registration.session_id == training_session.id,
                Registration.status == RegistrationStatus.WAITLISTED).order_by(Registration.waitlist_position)).all()
            # Positions in the order trainees joined the list, as decide() numbers them.
            assert len({r.waitlist_position for r in waiting}) == len(waiting)
            assert [r.decided_at for r in waiting] == sorted(r.decided_at for r in waiting), training_session.code
            # Nobody on the list fits a free place: a withdrawal promoted them, as cancel() does.
            assert promote_from_waitlist(training_session, None) is None, training_session.code
        db.session.rollback()


def test_seed_volume_refuses_a_database_with_sessions(app, runner):
    seed(runner, "--no-certificates")
    with app.app_context():
        before = count(TrainingSession)
    result = runner.invoke(args=ARGS)
    assert result.exit_code != 0
    assert "already has sessions" in result.output
    with app.app_context():
        assert count(TrainingSession) == before


def test_seed_volume_adds_to_a_database_when_asked(app, runner):
    seed(runner, "--no-certificates")
    seed(runner, "--allow-non-empty", "--no-certificates", "--seed", "8")
    with app.app_context():
        assert count(TrainingSession) == 12
        assert count(Slot) > 0
        # The ids given in bulk left the id sequences usable.
        db.session.add(TrainingSession(code="after-volume", title_fr="x", start_on=date(2027, 1, 4),
                                       end_on=date(2027, 1, 5), capacity=3))
        db.session.commit()


def test_seed_volume_refused_in_production(app, runner):
    app.config["ENV_NAME"] = "production"
    result = runner.invoke(args=ARGS)
    assert result.exit_code != 0
    assert "not loaded in production" in result.output
