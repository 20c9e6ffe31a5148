"""One session carried from plan to certificate, all through the web interface."""
import hashlib
import re
import subprocess

from datetime import timedelta

import sqlalchemy as sa

from centre.clock import today
from centre.extensions import db
from centre.models import (
    AuditEntry,
    Certificate,
    Registration,
    RegistrationStatus,
    Role,
    TrainingSession,
)
from tests.conftest import PASSWORD, post


def pdf_text(data: bytes, tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_session_from_plan_to_verified_certificate(app, create_user, create_expert, create_institution, tmp_path):
    with app.app_context():
        national, foreign = create_expert(national=True), create_expert(national=False)
        institution = create_institution(name_fr="Médiateur de la République du Niger",
                                         name_ar="وسيط جمهورية النيجر", country="NE")
        create_user(Role.COORDINATOR, email="coord@centre.ma", full_name="Salma Bennani")
        db.session.commit()
        national_id, foreign_id, institution_id = national.id, foreign.id, institution.id

    # The coordinator chooses English, signs in and plans the session: a Monday and a Tuesday ahead
    # (registration closes once a session's dates are past).
    with app.app_context():
        monday = today() + timedelta(days=14 + (7 - today().weekday()) % 7)
    client = app.test_client()
    assert post(client, "/language/en", {"next": "/login"}).headers["Location"] == "/login"
    response = post(client, "/login", {"email": "coord@centre.ma", "password": PASSWORD}, form_url="/login")
    assert response.status_code == 302

    response = post(client, "/sessions/new", {
        "code": "2026-07", "kind": "collective",
        "title_fr": "Médiation institutionnelle et traitement des plaintes",
        "title_ar": "الوساطة المؤسساتية ومعالجة الشكايات",
        "title_en": "Institutional mediation and complaint handling",
        "theme_fr": "Les techniques de traitement des plaintes.", "theme_ar": "تقنيات معالجة الشكايات.",
        "venue_fr": "Rabat", "venue_ar": "الرباط",
        "start_on": monday.isoformat(), "end_on": (monday + timedelta(days=1)).isoformat(), "capacity": "2",
        "languages": ["fr", "ar"], "attendance_threshold": "75",
    }, form_url="/sessions/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        training_session = db.session.scalar(sa.select(TrainingSession).where(TrainingSession.code == "2026-07"))
        session_id = training_session.id
        assert len(training_session.slots) == 4  # two days, morning and afternoon
    detail = f"/sessions/{session_id}"

    def go(target, **data):
        return post(client, f"{detail}/status/{target}", data, form_url=detail)

    assert go("in_review").status_code == 302
    # Approval is refused until a national and a foreign expert have reviewed.
    refused = go("approved")
    assert refused.status_code == 409
    assert "national expert" in refused.get_data(as_text=True)
    for expert_id in (national_id, foreign_id):
        response = post(client, f"/reviews/session/{session_id}/record", {
            "expert_id": str(expert_id), "score_relevance": "5", "score_methodology": "4",
            "score_audience": "4", "recommendation": "approve", "comments": "Pertinent.",
        }, form_url=detail)
        assert response.status_code == 302, response.get_data(as_text=True)
    assert go("approved").status_code == 302
    assert go("open").status_code == 302

    # A visitor registers on the public page, in Arabic.
    visitor = app.test_client()
    visitor.set_cookie("centre_lang", "ar")
    page = visitor.get("/catalogue/2026-07/register")
    assert 'dir="rtl"' in page.get_data(as_text=True)
    response = post(visitor, "/catalogue/2026-07/register", {
        "given_name": "Moussa", "family_name": "Abdou", "full_name_ar": "موسى عبدو",
        "gender": "male", "nationality": "NE", "institution_id": str(institution_id),
        "position": "Chargé des plaintes", "email": "Moussa.Abdou@example.ne", "phone": "+227 90 00 00 00",
        "certificate_language": "ar", "password": "niamey-2026", "password_again": "niamey-2026",
        "consent": "y",
    }, form_url="/catalogue/2026-07/register")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/catalogue/2026-07")  # signed in once the address is proved
    with app.app_context():
        registration = db.session.scalar(sa.select(Registration))
        registration_id = registration.id
        assert registration.status == RegistrationStatus.PENDING
        assert registration.trainee.email == "moussa.abdou@example.ne"
        assert registration.trainee.user.locale == "ar"  # the language they registered in

    # The address is proved by the link in the acknowledgement, written in Arabic.
    from email import message_from_bytes, policy
    from pathlib import Path

    written, = Path(app.config["MAIL_FOLDER"]).glob("*moussa.abdou*.eml")
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["Content-Language"] == "ar"
    link = re.search(r"https?://\S+/registrations/confirm/\S+", message.get_content())[0]
    assert visitor.get(link).status_code == 302

    # The coordinator accepts, closes registration and starts the session.
    response = post(client, f"/registrations/{registration_id}/decide/accepted", form_url=detail)
    assert response.status_code == 302
    assert go("closed").status_code == 302
    assert go("in_progress").status_code == 302

    # Attendance: present in three slots of four (75 %, the threshold exactly).
    with app.app_context():
        slot_ids = [s.id for s in db.session.get(TrainingSession, session_id).slots]
    marks = {f"mark-{registration_id}-{slot_id}": "present" for slot_id in slot_ids[:3]}
    marks[f"mark-{registration_id}-{slot_ids[3]}"] = "absent"
    response = post(client, f"/attendance/session/{session_id}", marks, form_url=f"/attendance/session/{session_id}")
    assert response.status_code == 302
    assert "75 %" in client.get(f"/attendance/session/{session_id}").get_data(as_text=True)

    # Certificates are refused before completion, then issued in French and in Arabic.
    certificates_page = f"/certificates/session/{session_id}"
    assert "not completed" in client.get(certificates_page).get_data(as_text=True)
    assert go("completed").status_code == 302
    for language in ("fr", "ar"):
        response = post(client, f"/certificates/registration/{registration_id}/issue",
                        {f"r{registration_id}-language": language}, form_url=certificates_page)
        assert response.status_code == 302
    with app.app_context():
        certificates = db.session.scalars(sa.select(Certificate).order_by(Certificate.id)).all()
        assert [c.language.value for c in certificates] == ["fr", "ar"]
        numbers = [c.number for c in certificates]
        assert numbers[0].startswith("CIFEM-") and numbers[0] != numbers[1]
        ids = [c.id for c in certificates]
        codes = [c.verification_code for c in certificates]
        digests = [c.sha256 for c in certificates]
        actions = set(db.session.scalars(sa.select(AuditEntry.action)))
        assert {"create", "status", "submit", "register", "decide", "mark", "issue"} <= actions

    # The trainee finds both certificates in "my registrations" and downloads the stored bytes.
    mine = visitor.get("/registrations/mine").get_data(as_text=True)
    for certificate_id, number in zip(ids, numbers):
        assert number in mine
    french = visitor.get(f"/certificates/{ids[0]}.pdf")
    arabic = visitor.get(f"/certificates/{ids[1]}.pdf")
    assert french.status_code == arabic.status_code == 200
    assert french.mimetype == "application/pdf"
    assert hashlib.sha256(french.data).hexdigest() == digests[0]
    assert hashlib.sha256(arabic.data).hexdigest() == digests[1]
    assert "Moussa Abdou" in pdf_text(french.data, tmp_path, "fr.pdf")
    arabic_text = pdf_text(arabic.data, tmp_path, "ar.pdf")
    assert "موسى عبدو" in arabic_text
    assert "الوساطة المؤسساتية ومعالجة الشكايات" in arabic_text

    # Anyone can verify the certificate from the address in its QR code.
    page = app.test_client().get(f"/verify/{codes[1]}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert numbers[1] in html and "موسى عبدو" in html
    assert re.search(r'class="verdict verdict-valid"', html)
