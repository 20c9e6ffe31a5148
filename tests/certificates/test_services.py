import base64
import math
import os
import re
import secrets
import subprocess
import threading

import pytest
import sqlalchemy as sa

from centre.certificates.services import issue_certificate
from centre.certificates.verification import find_by_code, new_verification_code, normalize_code
from centre.errors import DomainError
from centre.extensions import db
from centre.models import AuditEntry, Certificate, DocumentLanguage, SessionStatus
from centre.sessions.services import change_status


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


@pytest.fixture
def eligible(ctx, create_session, create_registration, mark_all):
    """Make accepted registrations of one completed session that all attended every slot."""
    training_session = create_session(SessionStatus.IN_PROGRESS, title_ar="تقنيات الوساطة المؤسساتية")

    def make(count=1, **trainee_fields):
        registrations = []
        for _ in range(count):
            registration = create_registration(training_session)
            for name, value in trainee_fields.items():
                setattr(registration.trainee, name, value)
            mark_all(registration, present=10)
            registrations.append(registration)
        if training_session.status != SessionStatus.COMPLETED:
            change_status(training_session, SessionStatus.COMPLETED)
        return registrations

    return make


def test_arabic_certificate_text_has_the_arabic_name_and_title(eligible):
    registration, = eligible(full_name_ar="عائشة بنت محمد")
    certificate = issue_certificate(registration, DocumentLanguage.AR, None)
    text = pdf_text(certificate.pdf)
    assert "عائشة بنت محمد" in text
    assert "تقنيات الوساطة المؤسساتية" in text
    assert "شهادة مشاركة" in text  # the document is Arabic whatever the viewer's language


def test_latin_name_is_printed_on_the_arabic_page_when_no_arabic_name(eligible):
    registration, = eligible(full_name_ar="", given_name="Jean-Luc", family_name="O'Brien Jr.")
    text = pdf_text(issue_certificate(registration, DocumentLanguage.AR, None).pdf)
    assert "Jean-Luc O'Brien Jr." in text


def test_bilingual_certificate_is_one_landscape_page_in_both_languages(eligible):
    registration, = eligible(full_name_ar="موسى عبدو", given_name="Moussa", family_name="Abdou")
    certificate = issue_certificate(registration, DocumentLanguage.BILINGUAL, None)
    info = subprocess.run(["pdfinfo", "-"], input=certificate.pdf, capture_output=True, check=True).stdout.decode()
    assert re.search(r"Pages: +1\n", info) and "841.89 x 595.2" in info  # one A4 landscape page
    text = " ".join(pdf_text(certificate.pdf).split())
    assert "Attestation de participation" in text and "Moussa Abdou" in text
    assert "شهادة مشاركة" in text and "موسى عبدو" in text
    assert "du 2 au 6 mars 2026" in text and "مارس" in text  # Arabic digits come out in visual order
    assert certificate.number in text and certificate.verification_code in text


def test_numbers_follow_each_other_within_the_year(eligible):
    registrations = eligible(3)
    numbers = [issue_certificate(r, DocumentLanguage.FR, None).number for r in registrations]
    year = numbers[0].split("-")[1]
    assert numbers == [f"CIFEM-{year}-{n:04d}" for n in (1, 2, 3)]


def test_certificate_refused_below_attendance_threshold(ctx, create_session, create_registration, mark_all):
    training_session = create_session(SessionStatus.IN_PROGRESS, attendance_threshold=80)
    registration = create_registration(training_session)
    mark_all(registration, present=7)
    change_status(training_session, SessionStatus.COMPLETED)
    with pytest.raises(DomainError, match="below the threshold"):
        issue_certificate(registration, DocumentLanguage.FR, None)
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0


def test_certificate_refused_before_the_session_is_completed(ctx, create_session, create_registration, mark_all):
    training_session = create_session(SessionStatus.IN_PROGRESS)
    registration = create_registration(training_session)
    mark_all(registration, present=10)
    with pytest.raises(DomainError, match="not completed"):
        issue_certificate(registration, DocumentLanguage.FR, None)


def test_second_valid_certificate_in_the_same_language_is_refused(eligible):
    registration, = eligible()
    issue_certificate(registration, DocumentLanguage.FR, None)
    with pytest.raises(DomainError, match="already holds certificate"):
        issue_certificate(registration, DocumentLanguage.FR, None)
    issue_certificate(registration, DocumentLanguage.AR, None)  # another language is another document


def test_issue_stores_bytes_and_digest_and_is_audited(eligible):
    import hashlib

    registration, = eligible()
    certificate = issue_certificate(registration, DocumentLanguage.FR, None)
    assert certificate.pdf.startswith(b"%PDF-")
    assert certificate.sha256 == hashlib.sha256(certificate.pdf).hexdigest()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "certificate"))
    assert (entry.action, entry.details["number"]) == ("issue", certificate.number)


def test_verification_codes_carry_at_least_80_random_bits(ctx):
    """Each of the code's bits is a fair coin, independent of the others' order: a counter or
    a clock (constant high bits, shared prefixes) fails this; the code is the whole draw."""
    count = 4096
    codes = [new_verification_code() for _ in range(count)]
    assert len(set(codes)) == count
    raws = [base64.b32decode(code.replace("-", "")) for code in codes]
    bits = len(raws[0]) * 8
    assert bits >= 80
    assert len(codes[0].replace("-", "")) * 5 == bits  # base32: the stated entropy is the length
    ones = [0] * bits
    for raw in raws:
        value = int.from_bytes(raw, "big")
        for position in range(bits):
            ones[position] += value >> position & 1
    # 6 standard deviations around count/2: a fair bit leaves this band once in ~10^9 draws.
    bound = 6 * math.sqrt(count / 4)
    assert all(abs(n - count / 2) < bound for n in ones), ones
    # Sorted, random codes share short prefixes only (the longest expected is ~5 characters).
    ordered = sorted(code.replace("-", "") for code in codes)
    assert max(len(os.path.commonprefix(pair)) for pair in zip(ordered, ordered[1:])) < 10


def test_verification_codes_come_from_secrets(ctx, monkeypatch):
    """The code is drawn from the operating system's CSPRNG, not from `random`."""
    monkeypatch.setattr(secrets, "token_bytes", lambda n: bytes(n))
    assert set(new_verification_code().replace("-", "")) == {"A"}


def test_code_typed_loosely_is_still_found(eligible):
    registration, = eligible()
    certificate = issue_certificate(registration, DocumentLanguage.FR, None)
    typed = certificate.verification_code.replace("-", " ").lower()
    assert normalize_code(typed) == certificate.verification_code
    assert find_by_code(typed) == certificate


def test_missing_arabic_font_is_said_clearly(eligible, monkeypatch, tmp_path):
    """With a fontconfig that knows no font, issuing an Arabic certificate explains why it cannot."""
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                     f"<cachedir>{tmp_path}</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    registration, = eligible()
    with pytest.raises(DomainError, match="No Arabic font is installed"):
        issue_certificate(registration, DocumentLanguage.AR, None)


def test_simultaneous_issues_get_distinct_gapless_numbers(app, create_session, create_registration, mark_all):
    with app.app_context():
        training_session = create_session(SessionStatus.IN_PROGRESS)
        ids = []
        for _ in range(4):
            registration = create_registration(training_session)
            mark_all(registration, present=10)
            ids.append(registration.id)
        change_status(training_session, SessionStatus.COMPLETED)
        db.session.commit()
    barrier = threading.Barrier(len(ids))
    errors = []

    def issue(registration_id):
        from centre.models import Registration

        with app.app_context():
            registration = db.session.get(Registration, registration_id)
            db.session.rollback()
            barrier.wait()
            try:
                issue_certificate(registration, DocumentLanguage.FR, None)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 — reported below
                errors.append(error)

    threads = [threading.Thread(target=issue, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        sequences = sorted(db.session.scalars(sa.select(Certificate.sequence)))
    assert sequences == [1, 2, 3, 4]


def test_arabic_text_layer_keeps_every_letter(eligible):
    registration, = eligible(full_name_ar="سلمى الملكي")
    registration.training_session.title_ar = "تقنيات تلقي الشكايات"
    text = pdf_text(issue_certificate(registration, DocumentLanguage.AR, None).pdf)
    assert "مؤسسة وسيط المملكة" in text and "تقنيات تلقي الشكايات" in text
