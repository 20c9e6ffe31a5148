from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from centre.attendance.services import eligibility, session_figures
from centre.certificates import bp
from centre.certificates import bulk, delivery, services
from centre.certificates import signatories as signing  # the module; `signatories` is a view
from centre.certificates.forms import BulkIssueForm, IssueForm, ReplaceForm, RevokeForm, SignatoryForm
from centre.errors import DomainError
from centre.forms import options
from centre.extensions import db
from centre.models import DocumentLanguage
from centre.permissions import get_certificate, get_registration, get_signatory, get_training_session
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
    try:
        certificate = services.issue_certificate(registration, DocumentLanguage(form.language.data), current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Certificate %(number)s is issued.", number=certificate.number), "success")
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
        try:
            issued, plan = bulk.issue_for_session(training_session, language, current_user)
            if form.email.data:
                for certificate in issued:
                    delivery.email_certificate(certificate, current_user)
                db.session.commit()
        except DomainError as error:
            db.session.rollback()
            if wants_json:
                return jsonify(error=str(error)), 409
            flash(str(error), "error")
        else:
            message = ngettext("%(num)d certificate issued.", "%(num)d certificates issued.", len(issued))
            if wants_json:
                return jsonify(issued=len(issued), message=message)
            flash(message, "success")
        return redirect(url_for("certificates.issue_all", session_id=session_id))
    plan = bulk.plan_bulk(training_session, None)
    return render_template("certificates/issue_all.html", s=training_session, form=form, plan=plan,
                           status=bulk.bulk_status(training_session))


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
    try:
        services.revoke_certificate(certificate, form.reason.data, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Certificate %(number)s is revoked.", number=certificate.number), "success")
    return redirect(url_for("certificates.index", session_id=certificate.registration.session_id))


@bp.route("/<int:certificate_id>/replace", methods=["POST"])
def replace(certificate_id):
    certificate = get_certificate(certificate_id)
    form = ReplaceForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for the correction."), "error")
        return redirect(url_for("certificates.index", session_id=certificate.registration.session_id)), 303
    try:
        new = services.replace_certificate(certificate, form.reason.data, current_user,
                                           DocumentLanguage(form.language.data))
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Certificate %(old)s is replaced by %(new)s.", old=certificate.number, new=new.number), "success")
    return redirect(url_for("certificates.index", session_id=certificate.registration.session_id))


@bp.route("/<int:certificate_id>/email", methods=["POST"])
def email(certificate_id):
    certificate = get_certificate(certificate_id)
    try:
        delivery.email_certificate(certificate, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Certificate %(number)s is sent to %(email)s.", number=certificate.number,
                email=certificate.registration.trainee.email), "success")
    return redirect(url_for("certificates.index", session_id=certificate.registration.session_id))


@bp.route("/<int:certificate_id>.pdf")
def download(certificate_id):
    """The bytes stored when the certificate was issued, never a new rendering."""
    certificate = get_certificate(certificate_id)
    if certificate.state == "pending":  # its number is reserved, its PDF not yet stored
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
        try:
            signing.add_signatory(form.name_fr.data, form.title_fr.data, form.signature.data.read(),
                                   current_user, name_ar=form.name_ar.data, title_ar=form.title_ar.data,
                                   position=form.position.data)
        except DomainError as error:
            db.session.rollback()
            form.signature.errors.append(str(error))
            status = 400
        else:
            db.session.commit()
            flash(_("The signatory is added: certificates issued from now on print them."), "success")
            return redirect(url_for("certificates.signatories"))
    elif request.method == "POST":
        status = 400
    return render_template("certificates/signatories.html", form=form,
                           signatories=signing.active_signatories()), status


@bp.route("/signatories/<int:signatory_id>/withdraw", methods=["POST"])
def withdraw_signatory(signatory_id):
    signing.withdraw_signatory(get_signatory(signatory_id), current_user)
    db.session.commit()
    flash(_("The signatory is withdrawn: certificates already issued keep their signature."), "success")
    return redirect(url_for("certificates.signatories"))


@bp.route("/signatories/<int:signatory_id>/signature")
def signature_image(signatory_id):
    signatory = get_signatory(signatory_id)
    return Response(signatory.signature, mimetype=signatory.signature_type)
