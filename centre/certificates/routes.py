from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from centre.attendance.services import eligibility, session_figures
from centre.certificates import bp
from centre.certificates import bulk, delivery, services
from centre.certificates import signatories as signing  # the module; `signatories` is a view
from centre.certificates.forms import BulkIssueForm, IssueForm, ReplaceForm, RevokeForm, SignatoryForm
from centre.forms import options
from centre.models import DocumentLanguage
from centre.permissions import get_certificate, get_registration, get_signatory, get_training_session
from centre.web import perform
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
        certificates = issued.get(registration.id, [])
        # A trainee holds at most one valid certificate per language: offer the languages left,
        # the trainee's preference first.
        valid = {c.language for c in certificates if c.state == "valid"}
        left = [language for language in DocumentLanguage if language not in valid]
        preferred = registration.trainee.certificate_language
        form = IssueForm(prefix=f"r{registration.id}",
                         language=(preferred if preferred in left or not left else left[0]).value)
        form.language.choices = options((language.value, language.label) for language in left)
        rows.append((registration, all_figures[registration.id], eligible, reason, form, certificates,
                     bool(valid), bool(left)))
    return render_template("certificates/index.html", s=training_session, rows=rows,
                           bulk_form=BulkIssueForm(), revoke_form=RevokeForm(), replace_form=ReplaceForm(),
                           status=bulk.bulk_status(training_session))


@bp.route("/registration/<int:registration_id>/issue", methods=["POST"])
def issue(registration_id):
    registration = get_registration(registration_id)
    form = IssueForm(prefix=f"r{registration.id}")
    if not form.validate_on_submit():
        abort(400)
    perform(lambda: services.issue_certificate(registration, DocumentLanguage(form.language.data), current_user),
            success=lambda certificate: _("Certificate %(number)s is issued.", number=certificate.number))
    return redirect(url_for("certificates.index", session_id=registration.session_id))


@bp.route("/session/<int:session_id>/issue-all", methods=["GET", "POST"])
def issue_all(session_id):
    """Issue every eligible trainee's certificate. The work is committed batch by batch, so
    the progress page (which polls `status`) can be left and come back to at any time."""
    training_session = get_training_session(session_id)
    form = BulkIssueForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        language = DocumentLanguage(form.language.data) if form.language.data else None

        def issue_and_send():
            issued, _plan = bulk.issue_for_session(training_session, language, current_user)
            return issued, delivery.email_each(issued, current_user) if form.email.data else None

        outcome = perform(issue_and_send, show_error=not wants_json)
        if not outcome:
            if wants_json:
                return jsonify(error=str(outcome.error), message=str(outcome.error)), 409
        else:
            issued, mails = outcome.result
            answer, message = _bulk_outcome(issued, mails)
            if wants_json:
                return jsonify(answer), 409 if mails and mails.failed else 200
            flash(message, "error" if mails and mails.failed else "success")
        return redirect(url_for("certificates.issue_all", session_id=session_id))
    plan = bulk.plan_bulk(training_session, None)
    return render_template("certificates/issue_all.html", s=training_session, form=form, plan=plan,
                           status=bulk.bulk_status(training_session))


def _bulk_outcome(issued, mails) -> tuple[dict, str]:
    """The bulk issue's answer (for JSON) and its message: how many issued, e-mailed, not sent."""
    parts = [ngettext("%(num)d certificate issued.", "%(num)d certificates issued.", len(issued))]
    answer = {"issued": len(issued)}
    if mails is not None:
        answer["emailed"] = len(mails.sent)
        answer["failed"] = [{"number": c.number, "email": c.registration.trainee.email, "error": reason}
                            for c, reason in mails.failed]
        parts.append(ngettext("%(num)d certificate e-mailed.", "%(num)d certificates e-mailed.", len(mails.sent)))
        if mails.failed:
            parts.append(ngettext(
                "%(num)d could not be sent (%(numbers)s): send it again later from the list.",
                "%(num)d could not be sent (%(numbers)s): send them again later from the list.",
                len(mails.failed), numbers=", ".join(c.number for c, _reason in mails.failed)))
    answer["message"] = " ".join(parts)
    if mails is not None and mails.failed:
        answer["error"] = answer["message"]
    return answer, answer["message"]


@bp.route("/session/<int:session_id>/status.json")
def status(session_id):
    return jsonify(bulk.bulk_status(get_training_session(session_id)))


@bp.route("/session/<int:session_id>/certificates.zip")
def archive(session_id):
    training_session = get_training_session(session_id)
    return Response(delivery.session_archive(training_session), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="certificates-{training_session.code}.zip"'})


@bp.route("/<int:certificate_id>/revoke", methods=["POST"])
def revoke(certificate_id):
    certificate = get_certificate(certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for the revocation."), "error")
        return redirect(url_for("certificates.index", session_id=certificate.registration.session_id)), 303
    perform(lambda: services.revoke_certificate(certificate, form.reason.data, current_user),
            success=lambda revoked: _("Certificate %(number)s is revoked.", number=revoked.number))
    return redirect(url_for("certificates.index", session_id=certificate.registration.session_id))


@bp.route("/<int:certificate_id>/replace", methods=["POST"])
def replace(certificate_id):
    certificate = get_certificate(certificate_id)
    form = ReplaceForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for the correction."), "error")
        return redirect(url_for("certificates.index", session_id=certificate.registration.session_id)), 303
    perform(lambda: services.replace_certificate(certificate, form.reason.data, current_user,
                                                 DocumentLanguage(form.language.data)),
            success=lambda new: _("Certificate %(old)s is replaced by %(new)s.", old=certificate.number,
                                  new=new.number))
    return redirect(url_for("certificates.index", session_id=certificate.registration.session_id))


@bp.route("/<int:certificate_id>/email", methods=["POST"])
def email(certificate_id):
    certificate = get_certificate(certificate_id)
    perform(lambda: delivery.email_certificate(certificate, current_user),
            success=lambda mail: _("Certificate %(number)s is on its way to %(email)s.", number=certificate.number,
                                      email=certificate.registration.trainee.email))
    return redirect(url_for("certificates.index", session_id=certificate.registration.session_id))


@bp.route("/<int:certificate_id>.pdf")
def download(certificate_id):
    """The bytes stored when the certificate was issued, never a new rendering."""
    certificate = get_certificate(certificate_id)
    if not certificate.has_pdf:  # pending (PDF not yet stored) or erased with its holder's data
        abort(404)
    return Response(
        certificate.pdf, mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{certificate.filename}"',
                 "X-Content-SHA256": certificate.sha256},
    )


@bp.route("/signatories", methods=["GET", "POST"])
def signatories():
    form = SignatoryForm()
    status = 200
    if form.validate_on_submit():
        if perform(lambda: signing.add_signatory(
                form.name_fr.data, form.title_fr.data, form.signature.data.read(), current_user,
                name_ar=form.name_ar.data, title_ar=form.title_ar.data, position=form.position.data),
                success=_("The signatory is added: certificates issued from now on print them."),
                errors=form.signature.errors):
            return redirect(url_for("certificates.signatories"))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("certificates/signatories.html", form=form,
                           signatories=signing.active_signatories()), status


@bp.route("/signatories/<int:signatory_id>/withdraw", methods=["POST"])
def withdraw_signatory(signatory_id):
    signatory = get_signatory(signatory_id)
    perform(lambda: signing.withdraw_signatory(signatory, current_user),
            success=_("The signatory is withdrawn: certificates already issued keep their signature."))
    return redirect(url_for("certificates.signatories"))


@bp.route("/signatories/<int:signatory_id>/signature")
def signature_image(signatory_id):
    signatory = get_signatory(signatory_id)
    return Response(signatory.signature, mimetype=signatory.signature_type)
