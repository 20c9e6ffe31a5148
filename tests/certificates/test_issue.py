"""Signatories, bulk issue, correction and revocation, verification, delivery."""
import hashlib
import io
import re
import subprocess
import threading
import zipfile

import pytest
import sqlalchemy as sa

from centre.certificates import bulk, delivery, services, signatories, verification
from centre.certificates.bulk import issue_for_session
from centre.certificates.services import issue_certificate
from centre.errors import DomainError
from centre.extensions import db
from centre.models import (AuditEntry, Certificate, DocumentLanguage, MailStatus, OutboxMail, Registration, Role,
                           SessionStatus)
from centre.registrations.services import accepted_registrations
from centre.sessions.services import change_status
from tests.certificates.test_services import pdf_text
from tests.conftest import post, signature_png


@pytest.fixture
def completed(create_session, create_registration, mark_all):
    """completed(eligible=n, ineligible=m) -> a completed session with n trainees who attended
    everything and m who attended too little."""

    def make(eligible=2, ineligible=0, **session_fields):
        training_session = create_session(SessionStatus.IN_PROGRESS, attendance_threshold=80, **session_fields)
        for i in range(eligible + ineligible):
            mark_all(create_registration(training_session), present=10 if i < eligible else 2)
        # No evaluation questionnaires: these tests count the certificates' mails.
        change_status(training_session, SessionStatus.COMPLETED, evaluate=False)
        return training_session

    return make


def sequences():
    return sorted(db.session.scalars(sa.select(Certificate.sequence)))


def word_boxes(pdf: bytes) -> list[tuple[str, float, float]]:
    """(word, top, bottom) of every word of the PDF's first page, from pdftotext -bbox."""
    html = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    return [(w, float(top), float(bottom)) for top, bottom, w in
            re.findall(r'<word xMin="[^"]+" yMin="([^"]+)" xMax="[^"]+" yMax="([^"]+)">([^<]*)</word>', html)]


def test_certificate_prints_signatories_and_long_texts_clear_of_the_footer(ctx, completed):
    signatories.add_signatory("Fatima Zahra Alaoui", "Directrice du centre", signature_png(), None,
                           name_ar="فاطمة الزهراء العلوي", title_ar="مديرة المركز")
    title = ("La médiation institutionnelle et le traitement des plaintes des usagers des services "
             "publics en Afrique francophone")[:120]
    training_session = completed(eligible=2, title_fr=title)
    # Two trainees: a bilingual certificate is not issued beside a French one.
    for registration, language in zip(accepted_registrations(training_session),
                                      (DocumentLanguage.FR, DocumentLanguage.BILINGUAL)):
        registration.trainee.given_name = "Jean-Luc Marie-Christophe Emmanuel Abdou Karim"
        registration.trainee.family_name = "O'Brien-Ndiaye de la Fontaine Jr."
        certificate = issue_certificate(registration, language, None)
        text = " ".join(pdf_text(certificate.pdf).split())
        assert "Fatima Zahra Alaoui" in text and "Directrice du centre" in text
        assert "O'Brien-Ndiaye de la Fontaine Jr." in text and "services publics" in text
        assert certificate.printed["signatories"][0]["name_fr"] == "Fatima Zahra Alaoui"
        boxes = word_boxes(certificate.pdf)
        last_line = max(bottom for word, _, bottom in boxes if word == "Fait")
        footer_top = min(top for word, top, _ in boxes if word in ("Fatima", "Numéro"))
        assert last_line < footer_top, "the text runs into the footer"
        assert "\f" not in pdf_text(certificate.pdf).rstrip("\f")  # one page


def test_signature_must_be_a_small_png_or_jpeg(ctx):
    assert signatories.check_signature_image(signature_png(kind="JPEG")) == "image/jpeg"
    with pytest.raises(DomainError, match="PNG or JPEG"):
        signatories.check_signature_image(b"%PDF-1.7 not an image")
    with pytest.raises(DomainError, match="PNG or JPEG"):
        signatories.check_signature_image(signature_png(kind="GIF"))
    with pytest.raises(DomainError, match="2000 pixels"):
        signatories.check_signature_image(signature_png(width=2100, height=20))
    with pytest.raises(DomainError, match="1 MB"):
        signatories.check_signature_image(b"\\x89PNG" + b"0" * (1024 * 1024))


def test_signature_upload_refuses_a_non_image_with_a_message(app, client, login_as):
    login_as(Role.ADMIN)
    client.set_cookie("centre_lang", "en")  # the messages below are the English ones
    fields = {"name_fr": "Fatima Zahra Alaoui", "title_fr": "Directrice", "position": "1"}
    response = post(client, "/certificates/signatories",
                    {**fields, "signature": (io.BytesIO(b"hello"), "signature.png")},
                    form_url="/certificates/signatories", content_type="multipart/form-data")
    assert response.status_code == 400
    assert "The signature must be a PNG or JPEG image." in response.get_data(as_text=True)
    big = signature_png(width=2500, height=30)
    response = post(client, "/certificates/signatories", {**fields, "signature": (io.BytesIO(big), "s.png")},
                    form_url="/certificates/signatories", content_type="multipart/form-data")
    assert response.status_code == 400 and "at most 2000 pixels" in response.get_data(as_text=True)
    response = post(client, "/certificates/signatories",
                    {**fields, "signature": (io.BytesIO(signature_png()), "s.png")},
                    form_url="/certificates/signatories", content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        assert [s.signature_type for s in signatories.active_signatories()] == ["image/png"]


def test_bulk_issue_in_worker_processes_lists_the_ineligible(ctx, app, completed):
    app.config["CERTIFICATE_WORKERS"] = 2
    training_session = completed(eligible=3, ineligible=1)
    issued, plan = issue_for_session(training_session, DocumentLanguage.BILINGUAL, None, batch_size=2)
    assert len(issued) == 3 and sequences() == [1, 2, 3]
    assert [reason for _, reason in plan.refused] == ["Attendance 20% is below the threshold of 80%."]
    for certificate in issued:
        db.session.refresh(certificate)
        assert certificate.sha256 == hashlib.sha256(certificate.pdf).hexdigest()
        assert certificate.number in pdf_text(certificate.pdf)
        info = subprocess.run(["pdfinfo", "-"], input=certificate.pdf, capture_output=True, check=True).stdout.decode()
        assert re.search(rf"Title: +{certificate.number}\n", info) and re.search(r"Pages: +1\n", info)
    again, plan = issue_for_session(training_session, DocumentLanguage.BILINGUAL, None)
    assert again == [] and plan.already == 3
    assert bulk.bulk_status(training_session) == {"eligible": 3, "issued": 3, "pending": 0,
                                                      "to_issue": 0, "refused": 1}


def test_interrupted_bulk_issue_is_completed_without_gap(ctx, completed):
    training_session = completed(eligible=2)
    services.reserve_certificates([(r, DocumentLanguage.FR) for r in accepted_registrations(training_session)], None)
    db.session.commit()  # as if the process died before rendering
    assert verification.find_by_code(db.session.scalars(sa.select(Certificate.verification_code)).first()) is None
    issued, _ = issue_for_session(training_session, None, None)
    assert len(issued) == 2 and sequences() == [1, 2]
    assert bulk.bulk_status(training_session)["pending"] == 0


def test_concurrent_issues_share_one_gapless_sequence(app, create_session, create_registration, mark_all):
    """Two bulk issues and single issues at the same time, on both databases."""
    with app.app_context():
        sessions, singles = [], []
        for _ in range(2):
            training_session = create_session(SessionStatus.IN_PROGRESS)
            for _ in range(3):
                mark_all(create_registration(training_session), present=10)
            change_status(training_session, SessionStatus.COMPLETED)
            sessions.append(training_session.id)
        extra = create_session(SessionStatus.IN_PROGRESS)
        for _ in range(2):
            registration = create_registration(extra)
            mark_all(registration, present=10)
            singles.append(registration.id)
        change_status(extra, SessionStatus.COMPLETED)
        db.session.commit()
    barrier = threading.Barrier(len(sessions) + len(singles))
    errors = []

    def run(work):
        with app.app_context():
            barrier.wait()
            try:
                work()
                db.session.commit()
            except Exception as error:  # noqa: BLE001 — reported below
                errors.append(error)

    from centre.models import TrainingSession

    works = [lambda i=i: issue_for_session(db.session.get(TrainingSession, i), DocumentLanguage.FR, None,
                                           batch_size=2) for i in sessions]
    works += [lambda i=i: issue_certificate(db.session.get(Registration, i), DocumentLanguage.FR, None)
              for i in singles]
    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert sequences() == list(range(1, 9))


def test_replaced_and_revoked_certificates_verify_as_such(app, client, login_as, completed):
    with app.app_context():
        training_session = completed(eligible=2)
        first, second = (issue_certificate(r, DocumentLanguage.FR, None) for r in accepted_registrations(training_session))
        db.session.commit()
        first_id, first_code, second_id, second_code = first.id, first.verification_code, second.id, second.verification_code
        form_url = f"/certificates/session/{training_session.id}"
    login_as(Role.COORDINATOR)
    assert post(client, f"/certificates/{first_id}/replace", {"reason": "", "language": "fr"},
                form_url=form_url).status_code == 303
    assert post(client, f"/certificates/{first_id}/replace", {"reason": "Nom mal orthographié", "language": "ar"},
                form_url=form_url).status_code == 302
    assert post(client, f"/certificates/{second_id}/revoke", {"reason": "Présence falsifiée"},
                form_url=form_url).status_code == 302
    with app.app_context():
        old = db.session.get(Certificate, first_id)
        new_code = old.replaced_by.verification_code
        assert (old.state, old.replaced_by.state, old.replaced_by.language) == ("replaced", "valid", DocumentLanguage.AR)
        assert db.session.get(Certificate, second_id).revoked_reason == "Présence falsifiée"
        actions = {(e.entity_id, e.action, e.details.get("reason")) for e in db.session.scalars(sa.select(AuditEntry))}
        assert (first_id, "replace", "Nom mal orthographié") in actions
        assert (second_id, "revoke", "Présence falsifiée") in actions
    page = client.get(f"/verify/{first_code}").get_data(as_text=True)
    assert "verdict-replaced" in page and f"/verify/{new_code}" in page
    assert "verdict-revoked" in client.get(f"/verify/{second_code}").get_data(as_text=True)
    assert "verdict-valid" in client.get(f"/verify/{new_code}").get_data(as_text=True)


def test_unknown_and_malformed_codes_get_the_same_answer(client):
    unknown = client.get("/verify/" + "-".join(["ABCD"] * 6))
    malformed = client.get("/verify/not a code/../%C3%A9")
    short = client.get("/verify?code=xyz", follow_redirects=True)
    assert unknown.status_code == malformed.status_code == short.status_code == 404
    # The same page; only the language switch's return address (the page's own) differs, and its CSRF
    # token, signed with the second it was made in (two pages a second apart differ there alone).
    bodies = {re.sub(r'name="(next|csrf_token)" value="[^"]*"', "", r.get_data(as_text=True))
              for r in (unknown, malformed, short)}
    assert len(bodies) == 1


def test_verification_page_is_rate_limited(app, client):
    app.config["VERIFY_RATE_LIMIT"] = 3
    statuses = [client.get("/verify/AAAA").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    other = client.get("/verify/AAAA", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 404  # another address has its own allowance


def test_bulk_page_cli_export_zip_and_email(app, client, login_as, runner, completed, smtp_server, tmp_path):
    with app.app_context():
        training_session = completed(eligible=2, ineligible=1)
        session_id, code = training_session.id, training_session.code
        db.session.commit()
    login_as(Role.COORDINATOR)
    page = client.get(f"/certificates/session/{session_id}/issue-all").get_data(as_text=True)
    with app.app_context():
        refused = [r.trainee.name for r in accepted_registrations(db.session.get(type(training_session), session_id))]
    assert refused[2] in page and refused[0] not in page  # the ineligible one, with the reason
    response = post(client, f"/certificates/session/{session_id}/issue-all", {"language": "", "email": "y"},
                    form_url=f"/certificates/session/{session_id}/issue-all",
                    headers={"Accept": "application/json"})
    assert response.get_json()["issued"] == 2
    assert client.get(f"/certificates/session/{session_id}/status.json").get_json()["issued"] == 2
    assert len(smtp_server.messages) == 2
    attachment = next(smtp_server.messages[0].iter_attachments())
    assert attachment.get_content_type() == "application/pdf"

    result = runner.invoke(args=["certificates", "issue", code, "--language", "ar", "--wait"])
    assert result.exit_code == 0, result.output
    assert "2 issued, 0 already held, 1 not eligible." in result.output
    result = runner.invoke(args=["certificates", "export", code, str(tmp_path / "out")])
    assert "4 certificates written" in result.output

    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/certificates/session/{session_id}/certificates.zip").data))
    with app.app_context():
        stored = {c.filename: c for c in delivery.valid_certificates_of_session(
            db.session.get(type(training_session), session_id), with_pdf=True)}
        assert sorted(archive.namelist()) == sorted(stored)
        for name, certificate in stored.items():
            download = client.get(f"/certificates/{certificate.id}.pdf").data
            assert hashlib.sha256(download).hexdigest() == certificate.sha256
            assert archive.read(name) == download == (tmp_path / "out" / name).read_bytes()
    with app.app_context():
        assert sequences() == [1, 2, 3, 4]


def test_certificates_page_offers_only_the_languages_not_yet_issued(app, client, login_as, completed):
    """After a French certificate, the row offers Arabic and bilingual, as another language; once
    every language is issued, it says so instead of offering a button the service would refuse."""
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    with app.app_context():
        training_session = completed(eligible=1)
        session_id = training_session.id
        registration = accepted_registrations(training_session)[0]
        issue_certificate(registration, DocumentLanguage.FR, None)
        db.session.commit()
        prefix = f"r{registration.id}-language"
    page = client.get(f"/certificates/session/{session_id}").get_data(as_text=True)
    select = re.search(rf'<select[^>]*name="{prefix}"[^>]*>(.*?)</select>', page, re.S)[1]
    # A bilingual one would print the French again beside the French one (issue_refusals).
    assert re.findall(r'value="(\w+)"', select) == ["ar"]
    assert "Issue in another language" in page and "Issue the certificate<" not in page
    with app.app_context():
        registration = db.session.get(Registration, registration.id)
        issue_certificate(registration, DocumentLanguage.AR, None)
        db.session.commit()
    page = client.get(f"/certificates/session/{session_id}").get_data(as_text=True)
    assert f'name="{prefix}"' not in page
    assert "Issued in every language." in page


def _refuse_the_second_mail(smtp_server):
    """The SMTP server refuses the second message it is given (a full mailbox, say)."""
    received = smtp_server.handle_DATA

    async def refusing(server, session, envelope):
        smtp_server.tries = getattr(smtp_server, "tries", 0) + 1
        if smtp_server.tries == 2:
            return "552 Mailbox full"
        return await received(server, session, envelope)

    smtp_server.handle_DATA = refusing  # read by aiosmtpd at each connection


def _emailed(app) -> list[str]:
    with app.app_context():
        db.session.remove()
        return sorted(db.session.scalars(sa.select(Certificate.number).join(
            AuditEntry, sa.and_(AuditEntry.entity == "certificate", AuditEntry.entity_id == Certificate.id))
            .where(AuditEntry.action == "email")).all())


def _delivered_once(smtp_server) -> bool:
    ids = [message["Message-ID"] for message in smtp_server.messages]
    return len(ids) == len(set(ids))


def test_bulk_issue_mail_refused_once_is_retried_and_every_mail_arrives_once(
        app, client, login_as, completed, smtp_server):
    with app.app_context():
        session_id = completed(eligible=3).id
        db.session.commit()
    _refuse_the_second_mail(smtp_server)
    login_as(Role.COORDINATOR)
    client.set_cookie("centre_lang", "en")
    response = post(client, f"/certificates/session/{session_id}/issue-all", {"language": "fr", "email": "y"},
                    form_url=f"/certificates/session/{session_id}/issue-all", headers={"Accept": "application/json"})
    assert response.status_code == 202
    job = response.get_json()["job"]  # the job ran at once: the test queue is immediate
    assert (job["status"], job["result"]["issued"], job["result"]["emailed"], job["result"]["mail_refused"]) == (
        "done", 3, 3, [])
    assert "3 certificates issued. 0 already held. 0 trainees not eligible. 3 certificates e-mailed." in job["message"]
    assert smtp_server.tries == 4 and len(smtp_server.messages) == 3 and _delivered_once(smtp_server)
    assert len(_emailed(app)) == 3  # each mail is on record
    with app.app_context():  # the PDF is attached from the certificate, not copied into the outbox
        assert all(m.certificate_id and m.attachments == [] and m.status == MailStatus.SENT
                   for m in db.session.scalars(sa.select(OutboxMail)))


def test_bulk_issue_page_flashes_issued_and_emailed(app, client, login_as, completed, smtp_server):
    with app.app_context():
        session_id = completed(eligible=3).id
        db.session.commit()
    _refuse_the_second_mail(smtp_server)
    login_as(Role.COORDINATOR)
    client.set_cookie("centre_lang", "en")
    page = post(client, f"/certificates/session/{session_id}/issue-all", {"language": "fr", "email": "y"},
                form_url=f"/certificates/session/{session_id}/issue-all", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "3 certificates issued. 0 already held. 0 trainees not eligible. 3 certificates e-mailed." in text
    assert "could not be sent" not in text


def test_cli_bulk_issue_says_what_was_emailed(app, runner, completed, smtp_server):
    with app.app_context():
        code = completed(eligible=3).code
        db.session.commit()
    _refuse_the_second_mail(smtp_server)
    app.config["PUBLIC_BASE_URL"] = "https://centre.example.ma"  # a command that mails needs it
    result = runner.invoke(args=["certificates", "issue", code, "--language", "fr", "--email", "--wait"])
    assert result.exit_code == 0, result.output
    assert "3 issued, 0 already held, 0 not eligible, 3 e-mailed, 0 not sent." in result.output
    assert len(_emailed(app)) == 3 and len(smtp_server.messages) == 3 and _delivered_once(smtp_server)


def test_single_issue_renders_outside_the_numbering_lock(app, monkeypatch, completed):
    """While one certificate renders, another request reserves (and issues) the next number at
    once: the year's row is not locked during rendering (SQLite's write lock, PostgreSQL's row
    lock alike). The numbers stay gapless, in the order they were reserved."""
    with app.app_context():
        first_id, second_id = (r.id for r in accepted_registrations(completed(eligible=2)))
        db.session.commit()
    render = services.render_job
    other = {}

    def issue_the_other():
        with app.app_context():
            other["number"] = issue_certificate(db.session.get(Registration, second_id), DocumentLanguage.FR,
                                                None).number
            db.session.commit()

    def render_while_another_issues(*args):
        if not other:
            other["started"] = True
            thread = threading.Thread(target=issue_the_other)
            thread.start()
            thread.join(timeout=10)
            other["waited"] = thread.is_alive()
        return render(*args)

    monkeypatch.setattr(services, "render_job", render_while_another_issues)
    with app.app_context():
        number = issue_certificate(db.session.get(Registration, first_id), DocumentLanguage.FR, None).number
        db.session.commit()
        assert other["waited"] is False, "the other issue waited for this one's rendering"
        assert (number, other["number"]) == ("CIFEM-%d-0001" % sequences_year(), "CIFEM-%d-0002" % sequences_year())
        assert sequences() == [1, 2]


def sequences_year() -> int:
    return db.session.scalar(sa.select(Certificate.year))


def test_single_issue_interrupted_after_the_reservation_is_completed_by_the_bulk_issue(app, monkeypatch, completed):
    """A crash between reserving and storing leaves a pending row with its number; the session's
    next bulk issue renders and stores it, and numbers go on without a gap."""
    with app.app_context():
        training_session = completed(eligible=2)
        first, second = accepted_registrations(training_session)
        db.session.commit()

        def crash(*args):
            raise RuntimeError("the worker died")

        monkeypatch.setattr(services, "render_job", crash)
        with pytest.raises(RuntimeError):
            issue_certificate(first, DocumentLanguage.FR, None)
        db.session.rollback()
        assert [c.state for c in db.session.scalars(sa.select(Certificate))] == ["pending"]
        monkeypatch.undo()
        issued, _ = issue_for_session(training_session, DocumentLanguage.FR, None)
        assert sorted(c.sequence for c in issued) == [1, 2]
        assert {c.state for c in db.session.scalars(sa.select(Certificate))} == {"valid"}
        assert sequences() == [1, 2]


def test_bulk_issue_renders_with_no_transaction_open(app, monkeypatch, completed):
    """While a bulk issue's PDFs render, a single issue elsewhere goes through at once (on SQLite
    an open transaction would hold the write lock for the whole rendering)."""
    with app.app_context():
        bulk_session = completed(eligible=2)
        single_id = accepted_registrations(completed(eligible=1))[0].id
        db.session.commit()
    render = bulk.start_rendering
    other = {}

    def issue_the_single():
        with app.app_context():
            issue_certificate(db.session.get(Registration, single_id), DocumentLanguage.FR, None)
            db.session.commit()

    def start_while_another_issues(jobs, signatures):
        if not other:
            thread = threading.Thread(target=issue_the_single)
            thread.start()
            thread.join(timeout=10)
            other["waited"] = thread.is_alive()
        return render(jobs, signatures)

    monkeypatch.setattr(bulk, "start_rendering", start_while_another_issues)
    with app.app_context():
        issued, _ = issue_for_session(db.session.merge(bulk_session), DocumentLanguage.FR, None)
        assert len(issued) == 2 and other["waited"] is False
        assert sequences() == [1, 2, 3]
