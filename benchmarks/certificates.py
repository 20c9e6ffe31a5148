"""Bulk certificate issue against its floor.

Issues N bilingual certificates for one session through the app's own code path
(issue_for_session: eligibility, numbers reserved under the row lock, QR codes, rendering in
worker processes, hashing, storage, audit), then measures the floor: WeasyPrint rendering
the same N pages of HTML as one single document in this one process.

    .venv/bin/python benchmarks/certificates.py [--n 200] [--workers 2]

Runs against a scratch SQLite database (or DATABASE_URL if set), brought to head by the
migrations. Prints both times, certificates per second and the ratio app / floor.
"""
import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import os  # noqa: E402


def seed(n: int, code: str):
    """A completed session with n accepted trainees who attended every slot (not timed)."""
    from centre.attendance.services import save_marks
    from centre.certificates.signatories import add_signatory
    from centre.extensions import db
    from centre.models import (DocumentLanguage, Expert, Gender, Institution, MarkStatus, Recommendation,
                               Registration, RegistrationStatus, SessionStatus, Trainee)
    from centre.reviews.services import record_review
    from centre.seed.common import drawn_signature
    from centre.sessions.services import change_status, create_session

    if not db.session.scalar(db.select(db.func.count()).select_from(db.text("signatory"))):
        add_signatory("Fatima Zahra Alaoui", "Directrice du centre", drawn_signature(), None,
                      name_ar="فاطمة الزهراء العلوي", title_ar="مديرة المركز")
    institution = Institution(name_fr="Médiateur de la République du Sénégal", name_ar="وسيط الجمهورية السنغالية",
                              name_en="Ombudsman of Senegal", country="SN")
    start = date(2026, 3, 2)
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
                          email=f"t{code}-{i}@example.org", certificate_language=DocumentLanguage.BILINGUAL,
                          institution=institution)
        registrations.append(Registration(training_session=training_session, trainee=trainee,
                                          status=RegistrationStatus.ACCEPTED))
    db.session.add_all(registrations)
    db.session.flush()
    save_marks(training_session, {(r.id, s.id): MarkStatus.PRESENT for r in registrations
                                  for s in training_session.slots}, None)
    change_status(training_session, SessionStatus.COMPLETED)
    db.session.commit()
    return training_session


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="certificates to issue (default 200)")
    parser.add_argument("--workers", type=int, default=None, help="rendering processes (default: one a core)")
    args = parser.parse_args()

    import flask_migrate

    from centre import create_app
    from centre.certificates import bulk, printing, verification
    from centre.certificates.rendering import shutdown, workers
    from centre.extensions import db
    from centre.models import DocumentLanguage
    from centre.pdf import render_pdf

    from centre.signing import DEV_PASSPHRASE, make_dev_key

    scratch = tempfile.mkdtemp(prefix="centre-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{scratch}/bench.sqlite3"
    key = make_dev_key(Path(scratch) / "signing.p12")  # every certificate is signed, here too
    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, DEBUG=False, CERTIFICATE_WORKERS=args.workers,
                     PUBLIC_BASE_URL="https://centre.example.ma", MAIL_FOLDER=f"{scratch}/mail",
                     SIGNING_KEY=str(key.key_path), SIGNING_PASSPHRASE=DEV_PASSPHRASE)
    with app.app_context():
        flask_migrate.upgrade()
        stamp = str(int(time.time()))
        cold_session, warm_session = seed(args.n, f"B{stamp}a"), seed(args.n, f"B{stamp}b")
        print(f"N = {args.n} bilingual certificates, {workers()} "
              f"rendering processes, {os.cpu_count()} cores, database {db.engine.dialect.name}")

        started = time.perf_counter()
        issued, _ = bulk.issue_for_session(cold_session, DocumentLanguage.BILINGUAL, None)
        cold = time.perf_counter() - started
        assert len(issued) == args.n
        started = time.perf_counter()
        issued, _ = bulk.issue_for_session(warm_session, DocumentLanguage.BILINGUAL, None)
        warm = time.perf_counter() - started
        assert len(issued) == args.n

        # The floor: the same N pages, one document, one process, WeasyPrint warmed up first.
        with app.test_request_context():
            signatures = printing.signature_images({s["id"] for c in issued for s in c.printed["signatories"]})
            jobs = [printing.RenderJob(c.language.value, c.printed, c.verification_code,
                                       verification.verification_url(c.verification_code)) for c in issued]
            printing.render_job(jobs[0], signatures)
            pages = [printing.certificate_page(job, signatures) for job in jobs]
            started = time.perf_counter()
            document = render_pdf("pdf/document.html", pages=pages, title="floor")
            floor = time.perf_counter() - started
        assert document.startswith(b"%PDF")
    shutdown()

    def line(label, seconds):
        print(f"{label:<46} {seconds:7.2f} s  {args.n / seconds:6.1f} certificates/s  "
              f"{seconds / floor:5.2f} x floor")

    line("app, first bulk issue (worker start included)", cold)
    line("app, next bulk issue (workers running)", warm)
    line("floor: one N-page document, one process", floor)


if __name__ == "__main__":
    main()
