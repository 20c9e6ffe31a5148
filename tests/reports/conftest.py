"""A small activity whose every figure is worked out by hand in the tests.

Sessions (each two weekdays: 4 slots, morning and afternoon; attendance threshold 50 %):
- S1 "R-2026-A", collective, completed, 2–3 March 2026; excused slots counted as not attended.
    T1 accepted  P P L A   → 3 attended of 4
    T2 accepted  P E P –   → 2 of 4 (the unmarked slot has ended: absent; excused counts)
    T3 accepted  P P P P   → 4 of 4
    T5 rejected, T6 waitlisted, T7 cancelled: not participants.
- S2 "R-2026-B", immersion, completed, 1–2 June 2026; excused slots left out of the count.
    T3 accepted  P P E E   → 2 of 2 counted
    T4 accepted  L A A P   → 2 of 4
    T6 accepted  P P P P   → 4 of 4
    T1 pending: not a participant.
- S3 "R-2025-A", collective, completed, 5–6 May 2025 (last year).
    T1 accepted  P P P P ; T5 accepted  P P A A
- S4 cancelled (September 2026) and S5 open (November 2026), each with an accepted trainee: not held.

Trainees: T1 SN female, T2 SN male (both of the Senegalese partner, AOMF), T3 MA female (Moroccan
partner: AOM and ARAB), T4 TN male (Tunisian partner: ARAB), T5 FR female (French partner: AOM
and AOMF), T6 BR female (no partner institution), T7 MA male (Moroccan partner).

Certificates: S1 — T1 French and Arabic (both valid), T2 French then replaced by a correction
(the new one valid), T3 French then revoked; S2 — T6 French; S3 — T1 French.

Experts: each session reaching "approved" got two submitted reviews from two new experts
(the factory's workflow): S1, S2, S3 and S5. Trainers: S1 — A 2 days, B 1.5 days; S2 — A 2 days;
S3 — C 2 days.
"""
from datetime import date
from decimal import Decimal

import pytest

from centre.extensions import db
from centre.models import (
    DocumentLanguage,
    Gender,
    MarkStatus,
    RegistrationStatus,
    SessionKind,
    SessionStatus,
)

P, L, E, A = MarkStatus.PRESENT, MarkStatus.LATE, MarkStatus.EXCUSED, MarkStatus.ABSENT


@pytest.fixture
def activity(app, create_session, create_registration, create_trainee, create_institution,
             create_association, create_expert):
    from centre.attendance.services import save_marks
    from centre.certificates.services import issue_certificate, replace_certificate, revoke_certificate
    from centre.sessions.services import change_status, set_trainer

    with app.app_context():
        aom, aomf, arab = (create_association(code) for code in ("AOM", "AOMF", "ARAB"))
        senegal = create_institution(country="SN")
        senegal.associations = [aomf]
        morocco = create_institution(name_fr="Médiateur du Royaume", country="MA")
        morocco.associations = [aom, arab]
        tunisia = create_institution(name_fr="Médiateur administratif", country="TN")
        tunisia.associations = [arab]
        france = create_institution(name_fr="Défenseur des droits", country="FR")
        france.associations = [aom, aomf]

        def trainee(nationality, gender, institution):
            return create_trainee(nationality=nationality, gender=gender, institution=institution,
                                  **({} if institution else {"institution_other": "Ouvidoria"}))

        t1 = trainee("SN", Gender.FEMALE, senegal)
        t2 = trainee("SN", Gender.MALE, senegal)
        t3 = trainee("MA", Gender.FEMALE, morocco)
        t4 = trainee("TN", Gender.MALE, tunisia)
        t5 = trainee("FR", Gender.FEMALE, france)
        t6 = trainee("BR", Gender.FEMALE, None)
        t7 = trainee("MA", Gender.MALE, morocco)

        def session(code, start, kind=SessionKind.COLLECTIVE, status=SessionStatus.IN_PROGRESS, **fields):
            return create_session(status, code=code, start_on=start, end_on=start.replace(day=start.day + 1),
                                  kind=kind, attendance_threshold=50, **fields)

        def attend(training_session, marks_by_trainee, others=()):
            registrations = {}
            for trainee_, statuses in marks_by_trainee:
                registration = create_registration(training_session, trainee=trainee_)
                registrations[trainee_.id] = registration
                marks = {(registration.id, slot.id): status
                         for slot, status in zip(training_session.slots, statuses) if status is not None}
                save_marks(training_session, marks, None)
            for trainee_, status in others:
                create_registration(training_session, trainee=trainee_, status=status)
            return registrations

        s1 = session("R-2026-A", date(2026, 3, 2))
        s2 = session("R-2026-B", date(2026, 6, 1), SessionKind.IMMERSION, excused_left_out=True)
        s3 = session("R-2025-A", date(2025, 5, 5))
        assert [len(s.slots) for s in (s1, s2, s3)] == [4, 4, 4]
        r1 = attend(s1, [(t1, [P, P, L, A]), (t2, [P, E, P, None]), (t3, [P, P, P, P])],
                    [(t5, RegistrationStatus.REJECTED), (t6, RegistrationStatus.WAITLISTED),
                     (t7, RegistrationStatus.CANCELLED)])
        r2 = attend(s2, [(t3, [P, P, E, E]), (t4, [L, A, A, P]), (t6, [P, P, P, P])],
                    [(t1, RegistrationStatus.PENDING)])
        r3 = attend(s3, [(t1, [P, P, P, P]), (t5, [P, P, A, A])])
        a, b, c = (create_expert(national=n) for n in (True, False, True))
        set_trainer(s1, a, Decimal(2), None)
        set_trainer(s1, b, Decimal("1.5"), None)
        set_trainer(s2, a, Decimal(2), None)
        set_trainer(s3, c, Decimal(2), None)
        for s in (s1, s2, s3):
            change_status(s, SessionStatus.COMPLETED)
        issue_certificate(r1[t1.id], DocumentLanguage.FR, None)
        issue_certificate(r1[t1.id], DocumentLanguage.AR, None)
        replace_certificate(issue_certificate(r1[t2.id], DocumentLanguage.FR, None), "Typo", None,
                            DocumentLanguage.FR)
        revoke_certificate(issue_certificate(r1[t3.id], DocumentLanguage.FR, None), "Fraud", None)
        issue_certificate(r2[t6.id], DocumentLanguage.FR, None)
        issue_certificate(r3[t1.id], DocumentLanguage.FR, None)

        s4 = create_session(SessionStatus.CANCELLED, code="R-2026-X", start_on=date(2026, 9, 7),
                            end_on=date(2026, 9, 8))
        create_registration(s4, trainee=t4)
        s5 = create_session(SessionStatus.OPEN, code="R-2026-Y", start_on=date(2026, 11, 2),
                            end_on=date(2026, 11, 3))
        create_registration(s5, trainee=t5)
        db.session.commit()
        return {"sessions": {s.code: s.id for s in (s1, s2, s3, s4, s5)},
                "experts": {"A": a.id, "B": b.id, "C": c.id},
                "associations": {x.code: x.id for x in (aom, aomf, arab)}}
