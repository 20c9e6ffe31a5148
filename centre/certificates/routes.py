from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from centre import audit
from centre.attendance.services import eligibility, session_figures
from centre.audit_text import labels_for
from centre.certificates import bp
from centre.certificates import bulk, delivery, services
from centre.certificates import signatories as signing  # the module; `signatories` is a view
from centre.certificates.forms import BulkIssueForm, IssueForm, ReplaceForm, RevokeForm, SignatoryForm
from centre.forms import options
from centre.models import DocumentLanguage, JobStatus
from centre.permissions import get_certificate, get_registration, get_signatory, get_training_session
from centre.web import perform
from centre.registrations.services import accepted_registrations


@bp.route("/session/<int:session_id>")
def index(session_id):
    training_session = get_training_session(session_id)
    registrations = accepted_registrations(training_session)
    all_figures = session_figures(training_session, [r.id for r in registrations])
    issued = services.certificates_by_registration(registrations)
    refusals = services.issue_refusals((r.id, language) for r in registrations for language in DocumentLanguage)
    rows = []
    for registration in registrations:
        eligible, reason = eligibility(registration, all_figures[registration.id])
        certificates = issued.get(registration.id, [])
        # Offer the languages the rules allow (services.issue_refusals), the trainee's preference first.
        valid = {c.language for c in certificates if c.state == "valid"}
        left = [language for language in DocumentLanguage if (registration.id, language) not in refusals]
        barred = refusals.get((registration.id, DocumentLanguage.FR))
        if eligible and barred is not None and not barred.held:  # revoked: said instead of "every language"
            eligible, reason = False, barred.reason
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
    """Issue every eligible trainee's certificate, in the background: the page (polling
    `status`) shows the job's progress and outcome, from any server, whenever one comes back."""
    training_session = get_training_session(session_id)
    form = BulkIssueForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        language = DocumentLanguage(form.language.data) if form.language.data else None
        outcome = perform(lambda: bulk.start_bulk_issue(training_session, language, form.email.data, current_user),
                          show_error=not wants_json,
                          success=None if wants_json else _("The certificates are being issued. You may leave this "
                                                            "page: the work goes on and its outcome shows here."))
        if wants_json:
            if not outcome:
                return jsonify(error=str(outcome.error), message=str(outcome.error)), 409
            return jsonify(_status(training_session)), 202
        return redirect(url_for("certificates.issue_all", session_id=session_id))
    plan = bulk.plan_bulk(training_session, None)
    return render_template("certificates/issue_all.html", s=training_session, form=form, plan=plan,
                           status=_status(training_session))


def _status(training_session) -> dict:
    """Where the session's certificates stand, and its latest bulk issue job with its outcome."""
    answer = bulk.bulk_status(training_session)
    job = bulk.bulk_job(training_session)
    answer["job"] = None if job is None else {
        "id": job.id, "status": job.status.value, "status_label": str(job.status.label),
        "finished": job.is_finished, "done": job.progress_done, "total": job.progress_total,
        "message": _job_message(job), "error": job.status in (JobStatus.FAILED, JobStatus.CANCELLED),
        "result": job.result,
    }
    return answer


def _job_message(job) -> str:
    """What the bulk issue job did or is doing, in the reader's language."""
    if job.status == JobStatus.QUEUED and not job.attempts:
        return _("Job %(number)d is waiting for a worker.", number=job.id)
    if not job.is_finished:
        return _("Job %(number)d: %(done)d of %(total)s certificates issued.", number=job.id,
                 done=job.progress_done, total=job.progress_total if job.progress_total is not None else "…")
    if job.status == JobStatus.CANCELLED:
        return _("Job %(number)d was cancelled after %(done)d certificates were issued; the others can be "
                 "issued by starting again.", number=job.id, done=job.progress_done)
    if job.status == JobStatus.FAILED:
        return _("Job %(number)d stopped after %(done)d certificates were issued: %(error)s Start it again to "
                 "issue the others.", number=job.id, done=job.progress_done, error=job.last_error or "")
    result = job.result or {}
    parts = [ngettext("%(num)d certificate issued.", "%(num)d certificates issued.", result.get("issued", 0)),
             ngettext("%(num)d already held.", "%(num)d already held.", result.get("already", 0)),
             ngettext("%(num)d trainee not eligible.", "%(num)d trainees not eligible.",
                      len(result.get("refused", [])))]
    if "emailed" in result:
        parts.append(ngettext("%(num)d certificate e-mailed.", "%(num)d certificates e-mailed.", result["emailed"]))
        refused = result.get("mail_refused", [])
        if refused:
            parts.append(ngettext(
                "%(num)d could not be sent (%(numbers)s): send it again later from the list.",
                "%(num)d could not be sent (%(numbers)s): send them again later from the list.",
                len(refused), numbers=", ".join(mail["number"] for mail in refused)))
    return " ".join(parts)


@bp.route("/session/<int:session_id>/status.json")
def status(session_id):
    return jsonify(_status(get_training_session(session_id)))


@bp.route("/session/<int:session_id>/certificates.zip")
def archive(session_id):
    training_session = get_training_session(session_id)
    return Response(delivery.session_archive(training_session), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="certificates-{training_session.code}.zip"'})


@bp.route("/<int:certificate_id>")
def detail(certificate_id):
    """A certificate for the staff: what it prints, its state, what it replaced or was replaced by, its history."""
    certificate = get_certificate(certificate_id)
    return render_template("certificates/detail.html", c=certificate, r=certificate.registration,
                           replaced=services.replaced_by(certificate), history=audit.history(certificate),
                           action_labels=labels_for("certificate"))


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
