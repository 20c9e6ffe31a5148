"""The demo data that `make run` loads: what someone trying the product relies on."""
import re
import shutil
import subprocess
from datetime import datetime

import pytest
import sqlalchemy as sa

from centre import create_app
from centre.attendance.services import eligibility, marks_of
from centre.attendance.signatures import session_countersignatures, session_signatures
from centre.files import read_file, sniff_kind
from centre.certificates.verification import find_by_code
from centre.extensions import db
from centre.models import (
    AttendanceMark,
    AuditEntry,
    Certificate,
    DocumentLanguage,
    Institution,
    Material,
    PracticalInfo,
    Registration,
    RegistrationStatus,
    Review,
    SessionStatus,
    Trainee,
    TrainingSession,
    User,
)
from centre.i18n import centre_zone
from tests.conftest import post

#: Arabic names that ../shared/notes/partners.md gives for the partners the demo loads.
ARABIC_NAMES = {
    "MA": "مؤسسة وسيط المملكة",
    "TN": "الموفق الإداري",
    "EG": "المجلس القومي لحقوق الإنسان",
    "SD": "ديوان المظالم العامة",
    "DJ": "أمين المظالم بجمهورية جيبوتي",
}
LOGIN_RE = re.compile(r"^\s+(\S+@\S+)\s+(admin|coordinator|expert|trainee)\s+(\S+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def seeded_database(migrated_database, tmp_path_factory):
    """The demo loaded once (as `make run` does, into an empty database) for the whole module."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "centre.sqlite3"
    shutil.copy(migrated_database, path)
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", MAIL_FOLDER=str(folder / "mail"))
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
    return path, result.output


@pytest.fixture
def app(seeded_database, tmp_path):
    """A copy of the seeded database for each test (replaces conftest's empty one)."""
    path = tmp_path / "centre.sqlite3"
    shutil.copy(seeded_database[0], path)
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", MAIL_FOLDER=str(tmp_path / "mail"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def pdf_text(data: bytes, tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def sessions_by_status(status) -> list[TrainingSession]:
    return db.session.scalars(sa.select(TrainingSession).where(TrainingSession.status == status)).all()


def test_demo_has_sessions_at_every_stage(app):
    with app.app_context():
        statuses = set(db.session.scalars(sa.select(TrainingSession.status)))
        assert {SessionStatus.DRAFT, SessionStatus.IN_REVIEW, SessionStatus.OPEN,
                SessionStatus.COMPLETED} <= statuses

        [in_review] = sessions_by_status(SessionStatus.IN_REVIEW)
        reviews = db.session.scalars(sa.select(Review).where(Review.session_id == in_review.id)).all()
        submitted = [r for r in reviews if r.is_submitted]
        awaited = [r for r in reviews if not r.is_submitted]
        assert len(submitted) == 1 and submitted[0].expert.is_national
        # The demo expert has a review to do, with a due date, as does a foreign expert.
        assert any(r.expert.user and r.expert.user.email == "expert@centre.example.org" for r in awaited)
        assert any(not r.expert.is_national and r.due_on for r in awaited)

        [open_session] = sessions_by_status(SessionStatus.OPEN)
        statuses = {r.status for r in db.session.scalars(
            sa.select(Registration).where(Registration.session_id == open_session.id))}
        assert {RegistrationStatus.PENDING, RegistrationStatus.ACCEPTED,
                RegistrationStatus.WAITLISTED} <= statuses
        assert open_session.registration_deadline > datetime.now(centre_zone()).date()

        # The story is in the audit log, as if coordinators had done it by hand.
        actions = set(db.session.scalars(sa.select(AuditEntry.action)))
        assert {"create", "status", "submit", "register", "decide", "cancel", "mark", "issue"} <= actions


def test_completed_sessions_have_every_slot_marked_and_valid_certificates(app):
    with app.app_context():
        completed = sessions_by_status(SessionStatus.COMPLETED)
        assert completed
        below_threshold = 0
        for training_session in completed:
            accepted = db.session.scalars(sa.select(Registration).where(
                Registration.session_id == training_session.id,
                Registration.status == RegistrationStatus.ACCEPTED)).all()
            for registration in accepted:
                marks = db.session.scalar(sa.select(sa.func.count()).where(
                    AttendanceMark.registration_id == registration.id))
                assert marks == len(training_session.slots)
                certificates = db.session.scalars(sa.select(Certificate).where(
                    Certificate.registration_id == registration.id)).all()
                if eligibility(registration)[0]:
                    [certificate] = certificates
                    assert find_by_code(certificate.verification_code).state == "valid"
                    assert certificate.language == registration.trainee.certificate_language
                else:
                    assert certificates == []
                    below_threshold += 1
        assert below_threshold == 1
        languages = set(db.session.scalars(sa.select(Certificate.language)))
        assert {DocumentLanguage.FR, DocumentLanguage.AR} <= languages


def test_demo_shows_joining_instructions_materials_and_signed_sign_in(app):
    with app.app_context():
        sessions = db.session.scalars(sa.select(TrainingSession)).all()
        infos = {i.session_id: i for i in db.session.scalars(sa.select(PracticalInfo))}
        for training_session in sessions:
            info = infos[training_session.id]
            assert "Rabat" in info.address_fr and "الرباط" in info.address_ar and info.map_url.startswith("https://")
            assert "+212" in info.contacts_en
        [open_session] = sessions_by_status(SessionStatus.OPEN)
        completed = sessions_by_status(SessionStatus.COMPLETED)
        for training_session in [open_session, *completed]:
            materials = db.session.scalars(sa.select(Material).where(Material.session_id == training_session.id)).all()
            if not materials:
                continue
            assert len(materials) >= 2
            for material in materials:
                assert sniff_kind(read_file(material.file)) == "pdf" and material.file.name.endswith(".pdf")
        assert any(db.session.scalar(sa.select(Material.id).where(Material.session_id == s.id)) for s in completed)

        signed = [s for s in completed if session_signatures(s)]
        assert signed
        for training_session in signed:
            signatures = session_signatures(training_session)
            first = {slot_id for _, slot_id in signatures}
            assert first == {slot.id for slot in training_session.slots[:len(first)]}
            countersigned = session_countersignatures(training_session)
            assert set(countersigned) == first
            marks = marks_of(training_session, list(signatures))
            # Each signature recorded the mark the grid shows: nothing is flagged as changed since.
            assert all(marks[key].status == s.mark_status for key, s in signatures.items())


def test_institutions_have_the_partner_list_names(app):
    with app.app_context():
        institutions = db.session.scalars(sa.select(Institution)).all()
        assert len(institutions) >= 15
        assert all(i.name_fr and i.name_en and i.associations for i in institutions)
        by_country = {i.country: i for i in institutions}
        for country, name_ar in ARABIC_NAMES.items():
            assert by_country[country].name_ar == name_ar
        # Where the list gives no Arabic name, none is made up.
        assert by_country["SN"].name_ar == by_country["FR"].name_ar == ""
        assert {a.code for a in by_country["MA"].associations} == {"AOM", "AOMF", "ARAB"}
        assert all(a.name_ar for a in by_country["MA"].associations)


def test_arabic_certificates_print_the_names_as_written(app, tmp_path):
    with app.app_context():
        def arabic_certificate(family_name):
            return db.session.scalar(
                sa.select(Certificate).join(Registration).join(Trainee)
                .where(Trainee.family_name == family_name, Certificate.language == DocumentLanguage.AR))

        text = pdf_text(arabic_certificate("Lahlou").pdf, tmp_path, "arabic-name.pdf")
        assert "عمر لحلو" in text
        # A trainee without an Arabic name gets the Latin one, whole, in the Arabic certificate.
        text = pdf_text(arabic_certificate("Abdillahi Farah").pdf, tmp_path, "latin-name.pdf")
        assert "Hodan Abdillahi Farah" in text


def test_seed_demo_if_empty_leaves_a_database_with_accounts_alone(app, runner):
    with app.app_context():
        users, sessions = count(User), count(TrainingSession)
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "not loaded" in result.output
    with app.app_context():
        assert (count(User), count(TrainingSession)) == (users, sessions)


def test_seed_demo_twice_is_refused_without_a_trace(app, runner):
    with app.app_context():
        users = count(User)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "admin@centre.example.org" in result.output
    with app.app_context():
        assert count(User) == users


def test_printed_demo_logins_sign_in(app, seeded_database):
    logins = LOGIN_RE.findall(seeded_database[1])
    assert "demo" in seeded_database[1].lower()
    assert {role for _, role, _ in logins} == {"admin", "coordinator", "expert", "trainee"}
    for email, role, password in logins:
        client = app.test_client()
        response = post(client, "/login", {"email": email, "password": password}, form_url="/login")
        assert response.status_code == 302, (email, response.get_data(as_text=True))
        if role == "trainee":
            # The demo trainee follows an open-session registration and downloads a certificate.
            mine = client.get("/registrations/mine").get_data(as_text=True)
            with app.app_context():
                trainee = db.session.scalar(sa.select(Trainee).where(Trainee.email == email))
                [open_session] = sessions_by_status(SessionStatus.OPEN)
                certificate = db.session.scalar(
                    sa.select(Certificate).join(Registration).where(Registration.trainee_id == trainee.id))
                assert open_session.title_fr in mine and certificate.number in mine
                certificate_id = certificate.id
            download = client.get(f"/certificates/{certificate_id}.pdf")
            assert download.status_code == 200 and download.mimetype == "application/pdf"


def test_demo_is_never_loaded_in_production(monkeypatch, tmp_path):
    from centre import create_app

    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("CENTRE_PUBLIC_BASE_URL", "https://centre.example.ma")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    result = create_app("production").test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "production" in result.output
