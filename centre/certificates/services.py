"""Issuing certificates: eligibility, gapless numbers per year, stored bytes, verification."""
import base64
import hashlib
import secrets
from datetime import date

import segno
from babel.dates import format_date
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from centre import audit
from centre.attendance.services import eligibility
from centre.errors import DomainError
from centre.extensions import db
from centre.mail import absolute_url
from centre.i18n import (
    FORMAT_LOCALES,
    FULL_DATE,
    centre_zone,
    country_name,
    format_date_range,
    isolate,
    localized,
)
from centre.models import Certificate, CertificateSequence, DocumentLanguage, Registration, User
from centre.models.types import utcnow
from centre.pdf import render_pdf, require_arabic_font

#: The languages of the pages each kind of certificate prints, in order.
PAGES = {
    DocumentLanguage.FR: ("fr",),
    DocumentLanguage.AR: ("ar",),
    DocumentLanguage.BILINGUAL: ("fr", "ar"),
}
_CODE_BYTES = 15  # 120 random bits, 24 base32 characters


def new_verification_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(_CODE_BYTES)).decode("ascii")
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def normalize_code(code: str) -> str:
    """Accept a code typed with spaces, lower case or without dashes."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def verification_url(code: str) -> str:
    return absolute_url("public.verify", code=code)


def _next_number(year: int) -> tuple[int, str]:
    """The next sequence number of the year, locked until commit so that none is given twice."""
    if db.session.get(CertificateSequence, year) is None:
        try:
            with db.session.begin_nested():
                db.session.add(CertificateSequence(year=year, last_value=0))
        except IntegrityError:
            pass  # another transaction created the year's row first
    sequence = db.session.execute(
        sa.select(CertificateSequence).where(CertificateSequence.year == year).with_for_update()
    ).scalar_one()
    sequence.last_value += 1
    prefix = current_app.config["CERTIFICATE_PREFIX"]
    return sequence.last_value, f"{prefix}-{year}-{sequence.last_value:04d}"


def printed_fields(registration: Registration, number: str, issued_on) -> dict:
    """What the certificate prints; the verification page shows exactly this."""
    trainee = registration.trainee
    training_session = registration.training_session
    institution = trainee.institution
    return {
        "number": number,
        "given_name": trainee.given_name,
        "family_name": trainee.family_name,
        "full_name_ar": trainee.full_name_ar,
        "gender": trainee.gender.value,  # Arabic and French agree the verb with it
        "institution_fr": institution.name_fr if institution else trainee.institution_other,
        "institution_ar": (institution.name_ar or institution.name_fr) if institution else trainee.institution_other,
        "country": trainee.nationality,
        "session_code": training_session.code,
        "title_fr": localized(training_session, "title", "fr"),
        "title_ar": localized(training_session, "title", "ar"),
        "venue_fr": localized(training_session, "venue", "fr"),
        "venue_ar": localized(training_session, "venue", "ar"),
        "start_on": training_session.start_on.isoformat(),
        "end_on": training_session.end_on.isoformat(),
        "issued_on": issued_on.isoformat(),
    }


def qr_svg(url: str) -> Markup:
    return Markup(segno.make(url, error="m").svg_inline(scale=3, border=0, omitsize=True))


def render_certificate(language: DocumentLanguage, printed: dict, code: str) -> bytes:
    url = verification_url(code)
    qr = qr_svg(url)
    pages = []
    for page_language in PAGES[language]:
        with force_locale(page_language):
            pages.append(Markup(current_app.jinja_env.get_template("pdf/certificate_page.html").render(
                p=printed, page_language=page_language, code=code, url=url, qr=qr,
                country=country_name(printed["country"], page_language),
                centre=current_app.config, printed_dates=printed_dates, issued_on=printed_issued_on, isolate=isolate,
            )))
    return render_pdf("pdf/document.html", pages=pages, title=printed["number"])


def issue_certificate(registration: Registration, language: DocumentLanguage, actor: User | None) -> Certificate:
    """Issue a certificate if the registration is eligible; its PDF bytes are stored for good."""
    eligible, reason = eligibility(registration)
    if not eligible:
        raise DomainError(reason)
    if db.session.scalar(sa.select(Certificate.id).where(
        Certificate.registration_id == registration.id, Certificate.language == language,
        Certificate.revoked_at.is_(None), Certificate.replaced_by_id.is_(None),
    )):
        raise DomainError(_l("A valid certificate in this language has already been issued."))
    if "ar" in PAGES[language]:
        require_arabic_font()
    issued_at = utcnow()
    issued_on = issued_at.astimezone(centre_zone()).date()
    sequence, number = _next_number(issued_on.year)
    code = new_verification_code()
    printed = printed_fields(registration, number, issued_on)
    pdf = render_certificate(language, printed, code)
    certificate = Certificate(
        number=number, year=issued_on.year, sequence=sequence, registration=registration,
        language=language, verification_code=code, printed=printed, pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(), issued_at=issued_at, issued_by=actor,
    )
    db.session.add(certificate)
    audit.record(certificate, "issue", to_state="valid", actor=actor, number=number,
                 sha256=certificate.sha256)
    return certificate


def find_by_code(code: str) -> Certificate | None:
    return db.session.scalar(sa.select(Certificate).where(Certificate.verification_code == normalize_code(code)))


def certificates_by_registration(registrations: list[Registration]) -> dict[int, list[Certificate]]:
    """The certificates of several registrations, in one query."""
    result: dict[int, list[Certificate]] = {}
    for certificate in db.session.scalars(
        sa.select(Certificate).where(Certificate.registration_id.in_([r.id for r in registrations]))
        .order_by(Certificate.issued_at)
    ):
        result.setdefault(certificate.registration_id, []).append(certificate)
    return result


def certificates_of(registration: Registration) -> list[Certificate]:
    return db.session.scalars(
        sa.select(Certificate).where(Certificate.registration_id == registration.id).order_by(Certificate.issued_at)
    ).all()


def printed_issued_on(printed: dict, language: str) -> str:
    return format_date(date.fromisoformat(printed["issued_on"]), FULL_DATE,
                       locale=FORMAT_LOCALES[language])


def printed_dates(printed: dict, language: str) -> str:
    """The session's dates as the certificate prints them."""
    return format_date_range(date.fromisoformat(printed["start_on"]),
                             date.fromisoformat(printed["end_on"]), language)
