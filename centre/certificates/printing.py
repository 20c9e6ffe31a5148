"""The printed certificate: what it prints (its fields), its QR code, its page's HTML.

Rendering in worker processes (rendering.py) imports this module alone: nothing here
writes to the database. Rendering includes signing: a certificate's bytes leave this module signed.
"""
import base64
from dataclasses import dataclass
from datetime import date

import segno
import sqlalchemy as sa
from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale, gettext
from markupsafe import Markup

from centre.certificates.signatories import active_signatories
from centre.certificates.verification import verification_url
from centre.extensions import db
from centre.i18n import FORMAT_LOCALES, FULL_DATE, country_name, format_date_range, isolate, localized
from centre.models import DocumentLanguage, Registration, Signatory
from centre.pdf import render_pdf, render_pdf_per_page
from centre.signing import MM, sign_pdf

#: The languages each kind of certificate prints, in order: the bilingual one puts French and
#: Arabic side by side on one landscape page.
SIDES = {
    DocumentLanguage.FR: ("fr",),
    DocumentLanguage.AR: ("ar",),
    DocumentLanguage.BILINGUAL: ("fr", "ar"),
}


def _seal_box(left_mm: float) -> tuple[float, float, float, float]:
    """The stamp's rectangle in PDF points (from the page's bottom-left corner) for a footer whose
    empty middle cell starts `left_mm` from the page's left edge: 3 mm inside the cell's sides,
    from 4 to 20 mm above the footer's bottom (print.css: page margin 9 mm, border 2.5 mm,
    footer 6 mm above the bottom, 12 mm in from the sides, cells of 106, 56 and 88 mm)."""
    footer_bottom = 9 + 2.5 + 6  # mm above the page's bottom edge
    return ((left_mm + 3) * MM, (footer_bottom + 4) * MM, (left_mm + 53) * MM, (footer_bottom + 20) * MM)


#: Where each kind of certificate gets its signature stamp: the footer's middle cell, between
#: the signatories and the verification block (mirrored when the page reads right to left).
SEAL_BOXES = {
    DocumentLanguage.FR: _seal_box(9 + 2.5 + 12 + 106),
    DocumentLanguage.BILINGUAL: _seal_box(9 + 2.5 + 12 + 106),
    DocumentLanguage.AR: _seal_box(9 + 2.5 + 12 + 88),
}


def printed_fields(registration: Registration, number: str, issued_on, signatories=None) -> dict:
    """What the certificate prints; the verification page shows (part of) exactly this."""
    trainee = registration.trainee
    training_session = registration.training_session
    institution = trainee.institution
    if signatories is None:
        signatories = active_signatories()
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
        "signatories": [{"id": s.id, "name_fr": s.name_fr, "name_ar": s.name_ar,
                         "title_fr": s.title_fr, "title_ar": s.title_ar} for s in signatories],
    }


def printed_issued_on(printed: dict, language: str) -> str:
    return format_date(date.fromisoformat(printed["issued_on"]), FULL_DATE,
                       locale=FORMAT_LOCALES[language])


def printed_dates(printed: dict, language: str) -> str:
    """The session's dates as the certificate prints them."""
    return format_date_range(date.fromisoformat(printed["start_on"]),
                             date.fromisoformat(printed["end_on"]), language)


def printed_sides(printed: dict, language: DocumentLanguage) -> list[dict]:
    """Line by line, what each side of a certificate prints (certificate_side.html), for the
    verification page: the name in the side's script (the Latin one where no Arabic name was
    given), the institution and country, the session, its venue and dates, the day of issue.
    Nothing the certificate does not print. Names erased at the retention limit are None."""
    sides = []
    for side in SIDES[language]:
        latin = " ".join(filter(None, (printed.get("given_name"), printed.get("family_name")))) or None
        name = (printed.get("full_name_ar") or latin) if side == "ar" else latin
        sides.append({
            "side": side, "name": name, "institution": printed.get(f"institution_{side}"),
            "country": country_name(printed["country"], side) if printed.get("country") else None,
            "title": printed[f"title_{side}"], "venue": printed[f"venue_{side}"],
            "dates": printed_dates(printed, side), "issued_on": printed_issued_on(printed, side),
        })
    return sides


def qr_svg(url: str) -> Markup:
    return Markup(segno.make(url, error="m").svg_inline(scale=3, border=0, omitsize=True))


def signature_images(ids) -> dict[int, str]:
    """The signature images of these signatories as data: URLs, for WeasyPrint."""
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Signatory.id, Signatory.signature_type, Signatory.signature)
                              .where(Signatory.id.in_(list(ids))))
    return {id_: f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}" for id_, kind, data in rows}


@dataclass(frozen=True)
class RenderJob:
    """All a certificate's rendering needs, picklable, so that a worker process can do it."""

    language: str
    printed: dict
    code: str
    url: str


def certificate_page(job: RenderJob, signatures: dict[int, str]) -> Markup:
    """The certificate's one page (a <section>), each side under force_locale(its language)."""
    language = DocumentLanguage(job.language)
    template = current_app.jinja_env.get_template("pdf/certificate_side.html")
    sides, labels = [], {}
    for side in SIDES[language]:
        with force_locale(side):
            sides.append(Markup(template.render(
                p=job.printed, side=side, centre=current_app.config, isolate=isolate,
                country=country_name(job.printed["country"], side), bilingual=len(SIDES[language]) > 1,
                printed_dates=printed_dates, issued_on=printed_issued_on,
            )))
            labels[side] = {"number": gettext("Certificate number"), "code": gettext("Verification code"),
                            "verify": gettext("Verify this certificate at")}
    return Markup(current_app.jinja_env.get_template("pdf/certificate_page.html").render(
        p=job.printed, sides=sides, languages=SIDES[language], labels=labels, code=job.code,
        url=job.url, qr=qr_svg(job.url), signatures=signatures, centre=current_app.config,
    ))


def render_unsigned(job: RenderJob, signatures: dict[int, str]) -> bytes:
    return render_pdf("pdf/document.html", pages=[certificate_page(job, signatures)],
                      title=job.printed["number"])


def render_job(job: RenderJob, signatures: dict[int, str]) -> bytes:
    """The certificate's PDF, signed: the bytes to store."""
    language = DocumentLanguage(job.language)
    return sign_pdf(render_unsigned(job, signatures), SEAL_BOXES[language], SIDES[language])


def render_jobs(jobs: list[RenderJob], signatures: dict[int, str]) -> list[bytes]:
    """Several certificates, each its own signed PDF, laid out together (layout is shared work)."""
    pdfs = render_pdf_per_page("pdf/document.html", [job.printed["number"] for job in jobs],
                               pages=[certificate_page(job, signatures) for job in jobs], title="")
    if pdfs is None:
        return [render_job(job, signatures) for job in jobs]
    languages = [DocumentLanguage(job.language) for job in jobs]
    return [sign_pdf(pdf, SEAL_BOXES[language], SIDES[language]) for language, pdf in zip(languages, pdfs)]


def jobs_of(certificates) -> tuple[list[RenderJob], dict[int, str]]:
    """What rendering these certificates needs, read from the database now, so that the
    rendering itself (render_job, render_jobs, the workers) reads nothing from it."""
    signatures = signature_images({s["id"] for c in certificates for s in c.printed.get("signatories", [])})
    jobs = [RenderJob(c.language.value, c.printed, c.verification_code, verification_url(c.verification_code))
            for c in certificates]
    return jobs, signatures
