"""The verification page's PDF check: anyone drops a file and learns whether it is, byte for byte,
a certificate the centre issued (and its status), and whether its signature is intact; nothing
uploaded is kept, and the answer names no other certificate."""
import io

import pytest
import sqlalchemy as sa

from centre.certificates import verification
from centre.certificates.services import issue_certificate, revoke_certificate
from centre.extensions import db
from centre.models import Certificate, DocumentLanguage, SessionStatus
from centre.public import routes as public_routes
from centre.sessions.services import change_status
from tests.conftest import post
from tests.test_bad_input import snapshot


@pytest.fixture
def issued(app, create_session, create_registration, mark_all):
    """Two certificates of a completed session: (id, number, bytes) of each."""
    with app.app_context():
        training_session = create_session(SessionStatus.IN_PROGRESS)
        registrations = [create_registration(training_session) for _ in range(2)]
        for registration in registrations:
            mark_all(registration, present=10)
        change_status(training_session, SessionStatus.COMPLETED)
        certificates = [issue_certificate(r, DocumentLanguage.FR, None) for r in registrations]
        db.session.commit()
        return [(c.id, c.number, db.session.get(Certificate, c.id).pdf) for c in certificates]


def check(client, data: bytes, name="certificat.pdf"):
    client.set_cookie("centre_lang", "en")
    return post(client, "/verify/pdf", {"document": (io.BytesIO(data), name)}, form_url="/verify",
                content_type="multipart/form-data")


def test_the_very_file_issued_is_recognised_with_its_status_and_intact_signature(client, issued):
    (_, number, pdf), (_, other_number, _) = issued
    response = check(client, pdf)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"This file is, byte for byte, certificate {number}" in page
    assert "This certificate is valid." in page
    assert "Its digital signature is intact: it was signed with the centre's key" in page
    assert other_number not in page  # the answer is about this file alone


def test_one_changed_byte_is_not_ours_and_breaks_the_signature(client, issued):
    (_, number, pdf), (_, other_number, _) = issued
    inside = pdf.index(b"stream\n") + 20  # a byte of the first content stream, inside what was signed
    changed = pdf[:inside] + bytes([pdf[inside] ^ 0x01]) + pdf[inside + 1:]
    page = check(client, changed).get_data(as_text=True)
    assert "This file is not a certificate issued by the centre" in page
    assert "no longer matches it: the file was changed after it was signed" in page
    assert number not in page and other_number not in page


def test_a_revoked_certificate_says_so(app, client, issued):
    (certificate_id, number, pdf), _ = issued
    with app.app_context():
        revoke_certificate(db.session.get(Certificate, certificate_id), "Présence falsifiée", None)
        db.session.commit()
    page = check(client, pdf).get_data(as_text=True)
    assert f"certificate {number}" in page and "This certificate has been revoked." in page


def test_an_unsigned_pdf_is_neither_ours_nor_signed(app, client, issued):
    from centre.pdf import render_pdf

    with app.test_request_context():
        unsigned = render_pdf("pdf/document.html", pages=[], title="not a certificate")
    page = check(client, unsigned).get_data(as_text=True)
    assert "This file is not a certificate issued by the centre" in page
    assert "It carries no digital signature." in page


@pytest.mark.parametrize("data, name, message", [
    (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "photo.pdf", "This file is not a PDF document."),
    (b"%PDF-1.7 hello", "notes.txt", "Only a PDF file can be checked."),
    (b"", "empty.pdf", "This file is not a PDF document."),
    (b"%PDF-1.7\n" + b"0" * 5000, "huge.pdf", "This file is larger than any certificate (at most 4 KB)"),
], ids=["not a PDF", "not .pdf", "empty", "too large"])
def test_what_is_not_a_pdf_is_refused_with_a_clear_message(client, issued, data, name, message, monkeypatch):
    # The bound made small here: a body of megabytes makes the test client spool it to a file it never closes.
    monkeypatch.setattr(verification, "PDF_CHECK_MAX_BYTES", 4096)
    monkeypatch.setattr(public_routes, "PDF_CHECK_MAX_BYTES", 4096)
    response = check(client, data, name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_nothing_uploaded_is_kept(app, client, issued):
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        before = snapshot(engine)
        for data in (issued[0][2], issued[0][2][:-10], b"%PDF-1.4 nothing"):
            assert check(client, data).status_code in (200, 400)
        after = snapshot(engine)
    finally:
        engine.dispose()
    before.pop("verification_hit"), after.pop("verification_hit")  # the allowance's count of requests
    assert before == after


def test_the_check_counts_against_the_verification_allowance(app, client, issued):
    app.config["VERIFY_RATE_LIMIT"] = 2
    statuses = [check(client, issued[0][2]).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
