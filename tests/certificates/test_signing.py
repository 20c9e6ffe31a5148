"""Signed certificates and letters (PAdES): what pyHanko's validator and poppler's pdfsig say of
them, a flipped byte, a change after certification, a timestamp from a real RFC 3161 server on
127.0.0.1, and a signing key that does not work."""
import hashlib
import io
import logging
import os
import subprocess
import threading
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image
from pyhanko.pdf_utils.generic import NameObject, TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.general import load_cert_from_pemder
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from centre import create_app, signing
from centre.certificates import signatories
from centre.certificates.printing import SEAL_BOXES, jobs_of, render_jobs, render_unsigned
from centre.certificates.services import issue_certificate
from centre.errors import DomainError
from centre.extensions import db
from centre.models import Certificate, DocumentLanguage, Role
from centre.registrations.services import LETTER_SEAL_BOX, accepted_registrations, invitation_letter, render_letter
from tests.certificates.test_issue import completed, word_boxes  # noqa: F401 (completed: a fixture)
from tests.conftest import post, signature_png

LANGUAGES = (DocumentLanguage.FR, DocumentLanguage.AR, DocumentLanguage.BILINGUAL)


def validate(pdf: bytes, *trust_roots: Path):
    """pyHanko's verdict on the document's one signature, trusting these CA certificates only."""
    reader = PdfFileReader(io.BytesIO(pdf))
    signature, = reader.embedded_signatures
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(p)) for p in trust_roots],
                                allow_fetching=False)
    return signature, validate_pdf_signature(signature, context)


@pytest.fixture(scope="session")
def nss_db(signing_ca, tmp_path_factory) -> str:
    """An NSS database that trusts the tests' CA, for pdfsig (Debian's libnss3-tools)."""
    folder = tmp_path_factory.mktemp("nss")
    subprocess.run(["certutil", "-N", "-d", f"sql:{folder}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{folder}", "-n", "centre-test-ca", "-t", "CT,C,C",
                    "-i", str(signing_ca)], check=True)
    return f"sql:{folder}"


def pdfsig(pdf: bytes, nss: str, tmp_path: Path) -> str:
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    # Not -no-ocsp: poppler 22.12 then reports "Unknown issue with Certificate" (the certificates name no
    # OCSP responder, so nothing is fetched anyway).
    return subprocess.run(["pdfsig", "-nssdir", nss, str(path)], capture_output=True,
                          text=True).stdout


def box_is_blank(pdf: bytes, box, tmp_path: Path, page: int = 1) -> bool:
    """Whether the rectangle (PDF points from the bottom-left corner) of that page is all white."""
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    height = float(subprocess.run(["pdfinfo", "-f", str(page), "-l", str(page), str(path)], capture_output=True,
                                  text=True, check=True).stdout.split("size:")[1].split()[2])
    x1, y1, x2, y2 = box
    subprocess.run(["pdftoppm", "-png", "-r", "72", "-f", str(page), "-l", str(page), "-singlefile",
                    "-x", str(int(x1)), "-y", str(int(height - y2)), "-W", str(int(x2 - x1)), "-H", str(int(y2 - y1)),
                    str(path), str(tmp_path / "crop")], check=True)
    with Image.open(tmp_path / "crop.png") as image:
        return image.convert("L").getextrema()[0] > 245


def flipped(pdf: bytes) -> bytes:
    """One byte changed inside the signed part (in a content stream, halfway through the file's start)."""
    data = bytearray(pdf)
    position = data.index(b"stream", len(data) // 4) + 40
    data[position] ^= 0x01
    return bytes(data)


@pytest.fixture
def two_signatories(ctx):
    signatories.add_signatory("Fatima Zahra Alaoui", "Directrice du centre", signature_png(), None,
                              name_ar="فاطمة الزهراء العلوي", title_ar="مديرة المركز")
    signatories.add_signatory("Rachid Amrani", "Coordinateur pédagogique principal", signature_png(), None,
                              name_ar="رشيد عمراني", title_ar="المنسق البيداغوجي")


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.value)
def test_issued_certificate_is_certified_valid_trusted_and_checked_by_pdfsig(
        ctx, completed, two_signatories, signing_ca, nss_db, tmp_path, language):  # noqa: F811
    registration = accepted_registrations(completed(eligible=1))[0]
    certificate = issue_certificate(registration, language, None)
    db.session.commit()
    pdf = db.session.get(Certificate, certificate.id).pdf
    assert certificate.sha256 == hashlib.sha256(pdf).hexdigest()  # the signed bytes are what is stored

    signature, status = validate(pdf, signing_ca)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.coverage.name == "ENTIRE_FILE" and status.docmdp_ok
    assert signature.docmdp_level == MDPPerm.NO_CHANGES  # a certification signature, no change allowed
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert status.signing_cert.subject.native["common_name"] == "Centre de formation (développement)"

    report = pdfsig(pdf, nss_db, tmp_path)
    assert "Signature is Valid." in report and "Certificate is Trusted." in report, report
    assert "Total document signed" in report and "ETSI.CAdES.detached" in report

    broken = flipped(pdf)
    _, status = validate(broken, signing_ca)
    assert not status.intact and not status.bottom_line
    report = pdfsig(broken, nss_db, tmp_path)
    assert "Signature is Valid." not in report and "Digest Mismatch" in report, report


def test_a_certificate_issued_on_its_page_is_served_signed_as_stored(app, client, login_as, completed,
                                                                       signing_ca):  # noqa: F811
    with app.app_context():
        training_session = completed(eligible=1)
        registration = accepted_registrations(training_session)[0]
        db.session.commit()
        ids = (training_session.id, registration.id)
    login_as(Role.COORDINATOR)
    response = post(client, f"/certificates/registration/{ids[1]}/issue", {f"r{ids[1]}-language": "bilingual"},
                    form_url=f"/certificates/session/{ids[0]}")
    assert response.status_code == 302
    with app.app_context():
        certificate = db.session.scalars(sa.select(Certificate)).one()
        certificate_id, stored = certificate.id, certificate.pdf
    download = client.get(f"/certificates/{certificate_id}.pdf")
    assert download.data == stored and download.headers["X-Content-SHA256"] == hashlib.sha256(stored).hexdigest()
    assert validate(download.data, signing_ca)[1].bottom_line


def test_a_change_appended_after_certification_is_caught(ctx, completed, signing_ca):  # noqa: F811
    registration = accepted_registrations(completed(eligible=1))[0]
    pdf = issue_certificate(registration, DocumentLanguage.FR, None).pdf
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.root[NameObject("/Lang")] = TextStringObject("en")  # an innocent-looking edit, in a new revision
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    _, status = validate(out.getvalue(), signing_ca)
    assert status.intact and status.valid  # the signed revision itself is untouched
    assert not status.docmdp_ok and not status.bottom_line  # but a change after a no-changes certification


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.value)
def test_the_stamp_fills_a_rectangle_the_page_leaves_empty(ctx, completed, two_signatories, tmp_path,
                                                           language):  # noqa: F811
    title = "La médiation institutionnelle et le traitement des plaintes des usagers des services publics"
    registration = accepted_registrations(completed(eligible=1, title_fr=title))[0]
    registration.trainee.given_name = "Jean-Luc Marie-Christophe Emmanuel"
    certificate = issue_certificate(registration, language, None)
    (job,), images = jobs_of([certificate])
    box = SEAL_BOXES[language]
    assert box_is_blank(render_unsigned(job, images), box, tmp_path)
    assert not box_is_blank(certificate.pdf, box, tmp_path)  # the stamp is drawn there


def test_invitation_letter_is_signed_with_its_stamp_below_the_text(ctx, create_registration, create_trainee,
                                                                   signing_ca, nss_db, tmp_path):
    trainee = create_trainee(passport_number="NE1234567", passport_expires_on=date(2030, 1, 31),
                             institution_other="Une institution au nom particulièrement long " * 3)
    registration = create_registration(trainee=trainee, needs_visa_letter=True, arrival_on=date(2026, 3, 1),
                                       departure_on=date(2026, 3, 9))
    registration.training_session.title_fr = "La médiation institutionnelle et le traitement des plaintes " * 2
    unsigned = render_letter(registration)
    assert box_is_blank(unsigned, LETTER_SEAL_BOX, tmp_path)
    words = word_boxes(unsigned)
    closing = max(top for word, top, _ in words if word == "coordinateur")
    below = [word for word, _, bottom in words if bottom > closing]
    assert below == "Pour le centre, le coordinateur de la session".split()  # the text ends above it

    letter = invitation_letter(registration)
    signature, status = validate(letter.pdf, signing_ca)
    assert status.bottom_line and status.docmdp_ok and signature.docmdp_level == MDPPerm.NO_CHANGES
    assert "Certificate is Trusted." in pdfsig(letter.pdf, nss_db, tmp_path)
    assert not box_is_blank(letter.pdf, LETTER_SEAL_BOX, tmp_path)  # the stamp is drawn there
    reader = PdfFileReader(io.BytesIO(letter.pdf))
    assert len(reader.root["/Pages"]["/Kids"]) == 1


def test_the_letter_is_written_in_the_language_chosen_for_the_trainee_and_signed_by_the_signatory(
        ctx, create_registration, create_trainee, create_user, two_signatories, signing_ca, tmp_path):
    """Issue 19, item 5: French only, and signed by no one by name. Now French, Arabic or English
    (the trainee's language, or the coordinator's choice), with the first signatory's name, title and
    signature image, and still PAdES-certified with its stamp in its box."""
    from centre.registrations.services import trainee_language

    trainee = create_trainee(passport_number="NE1234567", full_name_ar="موسى عبدو", user=create_user(Role.TRAINEE))
    trainee.user.locale = "ar"
    registration = create_registration(trainee=trainee, needs_visa_letter=True)
    for language, expected in (("ar", ("رسالة الدعوة", "فاطمة الزهراء العلوي", "مديرة المركز", "تدبير الشكايات")),
                               ("en", ("Invitation letter", "Fatima Zahra Alaoui", "Complaint handling"))):
        unsigned = render_letter(registration, language)
        text = pdf_text(unsigned)
        assert all(word in text for word in expected), (language, text)
        assert box_is_blank(unsigned, LETTER_SEAL_BOX, tmp_path)
        assert len(PdfFileReader(io.BytesIO(unsigned)).root["/Pages"]["/Kids"]) == 1
        signature_area = (LETTER_SEAL_BOX[0], LETTER_SEAL_BOX[3], LETTER_SEAL_BOX[2], LETTER_SEAL_BOX[3] + 60)
        assert not box_is_blank(unsigned, signature_area, tmp_path)  # the signature image, above the stamp
    assert trainee_language(trainee) == "ar"
    letter = invitation_letter(registration)  # the trainee's language unless the coordinator chooses
    assert letter.language == "ar" and "رسالة الدعوة" in pdf_text(letter.pdf)
    signature, status = validate(letter.pdf, signing_ca)
    assert status.bottom_line and signature.docmdp_level == MDPPerm.NO_CHANGES
    again = invitation_letter(registration, None, regenerate=True, language="en")
    assert again.language == "en" and "Invitation letter" in pdf_text(again.pdf)
    with pytest.raises(DomainError, match="French, Arabic or English"):
        invitation_letter(registration, None, regenerate=True, language="de")


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_the_bulk_workers_sign_with_the_key_they_load(app, completed, signing_ca):  # noqa: F811
    from centre.certificates import rendering
    from centre.certificates.bulk import issue_for_session

    with app.app_context():
        app.config["CERTIFICATE_WORKERS"] = 2
        try:
            issued, _ = issue_for_session(completed(eligible=3), DocumentLanguage.BILINGUAL, None, batch_size=2)
            db.session.commit()
        finally:
            rendering.shutdown()
        assert len(issued) == 3
        for certificate in db.session.scalars(sa.select(Certificate)):
            _, status = validate(certificate.pdf, signing_ca)
            assert status.bottom_line and status.docmdp_ok


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def test_render_jobs_cuts_a_shared_layout_into_each_holders_own_signed_certificate(ctx, completed,  # noqa: F811
                                                                                     signing_ca):
    registrations = accepted_registrations(completed(eligible=3))
    certificates = [issue_certificate(r, DocumentLanguage.FR, None) for r in registrations]
    jobs, images = jobs_of(certificates)
    pdfs = render_jobs(jobs, images)
    assert len(pdfs) == 3
    for index, (pdf, job) in enumerate(zip(pdfs, jobs)):
        assert validate(pdf, signing_ca)[1].bottom_line
        reader = PdfFileReader(io.BytesIO(pdf))
        assert len(reader.root["/Pages"]["/Kids"]) == 1
        assert reader.trailer["/Info"]["/Title"] == job.printed["number"]
        # The page cut out of the shared document prints what the certificate rendered alone
        # prints, line for line (the signature's stamp adds its own), and nothing of the other holders.
        text = _text(pdf)
        alone = _text(render_unsigned(job, images))
        assert not Counter(alone.splitlines()) - Counter(text.splitlines())
        others = [j.printed["family_name"] for j in jobs if j is not job]
        assert job.printed["family_name"] in text and not any(name in text for name in others), index


# A signing key that does not work: nothing is issued, the coordinator is told why, the log says so.

def _bad_keys(tmp_path: Path) -> dict[str, tuple[str, str]]:
    made = signing.make_dev_key(tmp_path / "other.p12", passphrase="right")
    (tmp_path / "junk.p12").write_bytes(b"-----BEGIN CERTIFICATE-----\nnot a key\n")
    return {
        "absent": (str(tmp_path / "missing.p12"), "x"),
        "wrong passphrase": (str(made.key_path), "wrong"),
        "not pkcs12": (str(tmp_path / "junk.p12"), "x"),
        "none configured": ("", ""),
    }


MESSAGES = {"absent": "cannot be read", "wrong passphrase": "passphrase is wrong",
            "not pkcs12": "passphrase is wrong or the file is not a PKCS#12", "none configured": "No signing key"}


@pytest.mark.parametrize("case", list(MESSAGES))
def test_a_bad_signing_key_issues_nothing_and_says_why(app, completed, tmp_path, caplog, case):  # noqa: F811
    with app.app_context(), force_locale("en"):
        registration = accepted_registrations(completed(eligible=1))[0]
        app.config["SIGNING_KEY"], app.config["SIGNING_PASSPHRASE"] = _bad_keys(tmp_path)[case]
        with caplog.at_level(logging.ERROR, logger="centre.signing"), pytest.raises(signing.SigningKeyError,
                                                                                     match=MESSAGES[case]):
            issue_certificate(registration, DocumentLanguage.FR, None)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0  # no number taken
        assert "igning key" in caplog.text


def test_a_bulk_issue_with_a_bad_key_is_refused_before_its_job_starts(app, completed, tmp_path):  # noqa: F811
    from centre.certificates.bulk import start_bulk_issue
    from centre.models import Job

    with app.app_context(), force_locale("en"):
        training_session = completed(eligible=2)
        app.config["SIGNING_KEY"], app.config["SIGNING_PASSPHRASE"] = _bad_keys(tmp_path)["wrong passphrase"]
        with pytest.raises(signing.SigningKeyError, match="passphrase is wrong"):
            start_bulk_issue(training_session, None, False, None)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0


def test_a_bad_key_is_a_translated_message_on_the_certificates_page(app, client, login_as, completed, tmp_path):  # noqa: F811,E501
    with app.app_context():
        training_session = completed(eligible=1)
        registration = accepted_registrations(training_session)[0]
        db.session.commit()
        ids = (training_session.id, registration.id)
    app.config["SIGNING_KEY"], app.config["SIGNING_PASSPHRASE"] = _bad_keys(tmp_path)["wrong passphrase"]
    login_as(Role.COORDINATOR)
    client.set_cookie("centre_lang", "fr")
    form_url = f"/certificates/session/{ids[0]}"
    response = post(client, f"/certificates/registration/{ids[1]}/issue", {f"r{ids[1]}-language": "fr"},
                    form_url=form_url, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "la phrase secrète est fausse" in page, page[-3000:]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0


def test_an_expired_signing_certificate_is_refused(app, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Expired")])
    past = datetime.now(timezone.utc) - timedelta(days=30)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(past - timedelta(days=365)).not_valid_after(past)
            .sign(key, hashes.SHA256()))
    path = tmp_path / "expired.p12"
    path.write_bytes(serialization.pkcs12.serialize_key_and_certificates(
        b"x", key, cert, None, serialization.BestAvailableEncryption(b"pw")))
    app.config.update(SIGNING_KEY=str(path), SIGNING_PASSPHRASE="pw")
    with app.app_context(), force_locale("en"), pytest.raises(signing.SigningKeyError, match="not valid today"):
        signing.signing_identity()


def test_production_needs_a_signing_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.delenv("CENTRE_SIGNING_KEY")
    with pytest.raises(RuntimeError, match="CENTRE_SIGNING_KEY"):
        create_app("production")


def test_dev_key_command_makes_a_key_once_and_never_in_production(runner, tmp_path, monkeypatch):
    out = tmp_path / "keys" / "dev.p12"
    result = runner.invoke(args=["signing", "dev-key", "--out", str(out), "--passphrase", "pw"])
    assert result.exit_code == 0 and out.exists() and signing.ca_path_of(out).exists(), result.output
    key, cert, chain = serialization.pkcs12.load_key_and_certificates(out.read_bytes(), b"pw")
    assert key is not None and chain[0].subject == cert.issuer  # the CA travels with the key
    first = out.read_bytes()
    assert "already exists" in runner.invoke(args=["signing", "dev-key", "--out", str(out)]).output
    assert out.read_bytes() == first
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("CENTRE_PUBLIC_BASE_URL", "https://centre.example.ma")
    production = create_app("production").test_cli_runner()
    result = production.invoke(args=["signing", "dev-key", "--out", str(tmp_path / "prod.p12")])
    assert result.exit_code != 0 and "production" in result.output


# B-T: a timestamp from a real RFC 3161 server on 127.0.0.1 (openssl ts -reply behind a small HTTP server).

def _tsa_credentials(folder: Path) -> None:
    now = datetime.now(timezone.utc) - timedelta(minutes=5)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA root")])
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(root_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")]))
            .issuer_name(root_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(root_key, hashes.SHA256()))
    (folder / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(f"""[ tsa ]
default_tsa = centre_test
[ centre_test ]
dir = {folder}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/root.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")


@pytest.fixture
def tsa_server(tmp_path):
    """An RFC 3161 timestamp server on 127.0.0.1: each POSTed request answered by `openssl ts -reply`."""
    folder = tmp_path / "tsa"
    folder.mkdir()
    _tsa_credentials(folder)
    lock = threading.Lock()
    answered = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:  # openssl keeps its serial number in a file
                (folder / "query.tsq").write_bytes(query)
                subprocess.run(["openssl", "ts", "-reply", "-config", str(folder / "tsa.cnf"),
                                "-queryfile", str(folder / "query.tsq"), "-out", str(folder / "reply.tsr")],
                               check=True, capture_output=True)
                reply = (folder / "reply.tsr").read_bytes()
            answered.append(query)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}/", "root": folder / "root.pem", "answered": answered}
    server.shutdown()
    server.server_close()
    thread.join()


def test_with_a_timestamp_server_signatures_are_timestamped(app, completed, signing_ca, nss_db, tsa_server,
                                                            tmp_path):  # noqa: F811
    app.config["TSA_URL"] = tsa_server["url"]
    with app.app_context():
        registration = accepted_registrations(completed(eligible=1))[0]
        pdf = issue_certificate(registration, DocumentLanguage.BILINGUAL, None).pdf
    assert len(tsa_server["answered"]) == 1
    _, status = validate(pdf, signing_ca, tsa_server["root"])
    assert status.bottom_line and status.docmdp_ok, status.pretty_print_details()
    timestamp = status.timestamp_validity
    assert timestamp is not None and timestamp.intact and timestamp.valid and timestamp.trusted
    assert abs(timestamp.timestamp - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert "Signature is Valid." in pdfsig(pdf, nss_db, tmp_path)
    _, untrusted_tsa = validate(pdf, signing_ca)  # the timestamp is checked: its root must be trusted too
    assert not untrusted_tsa.timestamp_validity.trusted


def test_an_unreachable_timestamp_server_stops_the_issue_with_a_message(app, completed):  # noqa: F811
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once the probe is closed
    app.config["TSA_URL"] = f"http://127.0.0.1:{port}/"
    with app.app_context(), force_locale("en"):
        registration = accepted_registrations(completed(eligible=1))[0]
        with pytest.raises(DomainError, match="could not be signed"):
            issue_certificate(registration, DocumentLanguage.FR, None)
        db.session.rollback()
        pending = db.session.scalars(sa.select(Certificate)).all()
        assert all(c.sha256 == Certificate.PENDING and c.pdf == b"" for c in pending)  # never stored unsigned


# A key on a PKCS#11 token (SoftHSM2, a software token, standing in for a hardware key or an HSM).

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory):
    """Two SoftHSM2 tokens: "centre" holds a signing key, its certificate and its CA's (PIN 1234);
    "spare" is never logged into with the right PIN (a login is per process and token, so the
    wrong-PIN test needs a token no other test opens)."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    (folder / "softhsm2.conf").write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
                                          "log.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(folder / "softhsm2.conf")  # read when a process first loads the module
    for label in ("centre", "spare"):
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", "1234",
                        "--so-pin", "5678"], check=True, capture_output=True)
    made = signing.make_dev_key(folder / "token-key.p12", passphrase="pw", signer_name="Centre (clé matérielle)")
    key, cert, (ca,) = serialization.pkcs12.load_key_and_certificates(made.key_path.read_bytes(), b"pw")
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    subprocess.run(["softhsm2-util", "--import", str(folder / "key.pem"), "--token", "centre", "--label", "signing",
                    "--id", "01", "--pin", "1234"], check=True, capture_output=True)
    (folder / "key.pem").unlink()
    with pkcs11.lib(SOFTHSM_MODULE).get_token(token_label="centre").open(rw=True, user_pin="1234") as session:
        for label, ident, certificate in (("signing", b"\x01", cert), ("ca", b"\x02", ca)):
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: ident,
                Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
            })
    return {"ca": made.ca_path}


def test_a_key_on_a_pkcs11_token_signs_and_never_leaves_it(app, completed, softhsm, tmp_path):  # noqa: F811
    app.config.update(SIGNING_KEY="", SIGNING_PKCS11_MODULE=SOFTHSM_MODULE, SIGNING_PKCS11_TOKEN="centre",
                      SIGNING_PKCS11_KEY="signing", SIGNING_PASSPHRASE="1234")
    with app.app_context():
        registration = accepted_registrations(completed(eligible=1))[0]
        pdf = issue_certificate(registration, DocumentLanguage.AR, None).pdf
    signature, status = validate(pdf, softhsm["ca"])
    assert status.bottom_line and status.docmdp_ok, status.pretty_print_details()
    assert status.signing_cert.subject.native["common_name"] == "Centre (clé matérielle)"
    assert signature.docmdp_level == MDPPerm.NO_CHANGES
    assert not validate(flipped(pdf), softhsm["ca"])[1].intact


@pytest.mark.parametrize("token, key, pin, message", [
    ("spare", "signing", "0000", "hardware token cannot be used"),  # wrong PIN
    ("centre", "no-such-key", "1234", "hardware token cannot be used"),
    ("nowhere", "signing", "1234", "hardware token cannot be used"),
])
def test_a_pkcs11_token_that_does_not_work_issues_nothing(softhsm, caplog, token, key, pin, message):
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://", SIGNING_PKCS11_MODULE=SOFTHSM_MODULE,
                     SIGNING_PKCS11_TOKEN=token, SIGNING_PKCS11_KEY=key, SIGNING_PASSPHRASE=pin)
    with app.app_context(), force_locale("en"), caplog.at_level(logging.ERROR, logger="centre.signing"):
        with pytest.raises(signing.SigningKeyError, match=message):
            signing.signing_identity()
    assert f"token {token!r}" in caplog.text


def test_the_kept_signed_attributes_are_pyhankos_own_around_each_documents_digest(ctx):
    """The signer keeps a PAdES signature's signed attributes as DER and splices each document's digest
    in: byte for byte what pyHanko builds for that digest, whatever the signing time."""
    import asyncio

    from pyhanko.sign.signers import SimpleSigner
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    signer = signing.signing_identity().signer
    for text in (b"one certificate", b"another certificate", b"a third"):
        digest = hashlib.sha256(text).digest()
        settings = PdfCMSSignedAttributes(signing_time=datetime.now(timezone.utc))
        kept = asyncio.run(signer.signed_attrs(digest, "sha256", settings, use_pades=True))
        built = asyncio.run(SimpleSigner.signed_attrs(signer, digest, "sha256", settings, use_pades=True))
        assert kept.dump() == built.dump()
        assert [attr["values"][0].native for attr in kept if attr["type"].native == "message_digest"] == [digest]
    # A signature that is not PAdES carries its signing time: built afresh each time, not kept.
    plain = asyncio.run(signer.signed_attrs(digest, "sha256", PdfCMSSignedAttributes(
        signing_time=datetime(2026, 1, 2, tzinfo=timezone.utc))))
    assert "signing_time" in {attr["type"].native for attr in plain}
