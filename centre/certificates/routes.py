from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from centre.attendance.services import eligibility, session_figures
from centre.certificates import bp
from centre.certificates import services
from centre.certificates.forms import IssueForm
from centre.errors import DomainError
from centre.extensions import db
from centre.models import DocumentLanguage
from centre.permissions import get_certificate, get_registration, get_training_session
from centre.registrations.services import accepted_registrations


@bp.route("/session/<int:session_id>")
def index(session_id):
    training_session = get_training_session(session_id)
    registrations = accepted_registrations(training_session)
    all_figures = session_figures(training_session, [r.id for r in registrations])
    issued = services.certificates_by_registration(registrations)
    rows = []
    for registration in registrations:
        eligible, reason = eligibility(registration, all_figures[registration.id])
        form = IssueForm(prefix=f"r{registration.id}",
                         language=registration.trainee.certificate_language.value)
        rows.append((registration, all_figures[registration.id], eligible, reason, form,
                     issued.get(registration.id, [])))
    return render_template("certificates/index.html", s=training_session, rows=rows)


@bp.route("/registration/<int:registration_id>/issue", methods=["POST"])
def issue(registration_id):
    registration = get_registration(registration_id)
    form = IssueForm(prefix=f"r{registration.id}")
    if not form.validate_on_submit():
        abort(400)
    try:
        certificate = services.issue_certificate(registration, DocumentLanguage(form.language.data), current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Certificate %(number)s is issued.", number=certificate.number), "success")
    return redirect(url_for("certificates.index", session_id=registration.session_id))


@bp.route("/<int:certificate_id>.pdf")
def download(certificate_id):
    """The bytes stored when the certificate was issued, never a new rendering."""
    certificate = get_certificate(certificate_id)
    return Response(
        certificate.pdf, mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{certificate.filename}"',
                 "X-Content-SHA256": certificate.sha256},
    )
