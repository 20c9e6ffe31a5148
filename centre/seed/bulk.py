"""One completed session with many trainees who attended everything, ready for a bulk issue of
certificates: for the bulk issue's benchmark and its tests with real workers (not the demo)."""
from datetime import date, timedelta

import sqlalchemy as sa

from centre.attendance.services import save_marks
from centre.certificates.signatories import add_signatory
from centre.extensions import db
from centre.models import (DocumentLanguage, Expert, Gender, Institution, MarkStatus, Recommendation, Registration,
                           RegistrationStatus, SessionStatus, Signatory, Trainee, TrainingSession)
from centre.reviews.services import record_review
from centre.seed.common import drawn_signature
from centre.sessions.services import change_status, create_session


def completed_session(n: int, code: str, language: DocumentLanguage = DocumentLanguage.BILINGUAL,
                      start: date = date(2026, 3, 2)) -> TrainingSession:
    """A completed session of `n` accepted trainees, present at every slot, each wanting a
    certificate in `language`; a signatory is added if there is none. Commits."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Signatory)) == 0:
        add_signatory("Fatima Zahra Alaoui", "Directrice du centre", drawn_signature(), None,
                      name_ar="فاطمة الزهراء العلوي", title_ar="مديرة المركز")
    institution = Institution(name_fr="Médiateur de la République du Sénégal", name_ar="وسيط الجمهورية السنغالية",
                              name_en="Ombudsman of Senegal", country="SN")
    training_session = create_session(code=code, title_fr="Gestion des plaintes", title_ar="تدبير الشكايات",
                                      title_en="Complaint handling", theme_fr="-", theme_ar="-", venue_fr="Rabat",
                                      venue_ar="الرباط", venue_en="Rabat", start_on=start,
                                      end_on=start + timedelta(days=4), capacity=n, registration_deadline=None)
    for status in (SessionStatus.IN_REVIEW, SessionStatus.APPROVED, SessionStatus.OPEN, SessionStatus.CLOSED,
                   SessionStatus.IN_PROGRESS):
        if status == SessionStatus.APPROVED:
            for nationality in ("MA", "FR"):
                expert = Expert(given_name="Expert", family_name=nationality + code, full_name_ar="خبير",
                                nationality=nationality, speciality="Médiation")
                db.session.add(expert)
                record_review(training_session, expert, score_relevance=5, score_methodology=4, score_audience=4,
                              recommendation=Recommendation.APPROVE)
        change_status(training_session, status)
    registrations = []
    for i in range(n):
        trainee = Trainee(given_name="Aminata", family_name=f"Diallo {code}-{i}", full_name_ar="أميناتا ديالو",
                          gender=Gender.FEMALE, nationality="SN", position="Chargée d'études",
                          email=f"t{code}-{i}@example.org".lower(), certificate_language=language,
                          institution=institution)
        registrations.append(Registration(training_session=training_session, trainee=trainee,
                                          status=RegistrationStatus.ACCEPTED))
    db.session.add_all(registrations)
    db.session.flush()
    save_marks(training_session, {(r.id, s.id): MarkStatus.PRESENT for r in registrations
                                  for s in training_session.slots}, None)
    # No evaluation questionnaires: a mail to each of thousands of trainees is not what this measures.
    change_status(training_session, SessionStatus.COMPLETED, evaluate=False)
    db.session.commit()
    return training_session
