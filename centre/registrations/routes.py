import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask import session as browser_session
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user

from centre import audit
from centre.auth.forms import ResetPasswordForm as ConfirmAddressForm
from centre.certificates.services import certificates_by_registration
from centre.errors import DomainError
from centre.forms import ConfirmForm
from centre.joining.services import queue_convocation
from centre.materials.services import download_name
from centre.models import RegistrationStatus
from centre.permissions import get_own_trainee, get_registration, get_training_session
from centre.registrations import bp, imports, personal_data
from centre.registrations import services
from centre.registrations.forms import (
    BulkDecisionForm,
    CorrectionForm,
    DecisionForm,
    ImportForm,
    LetterForm,
    QueueFilterForm,
)
from centre.registrations.space import space_entries
from centre.web import end_read_transaction, enum_or_404, perform


@bp.route("/session/<int:session_id>")
def index(session_id):
    training_session = get_training_session(session_id)
    everyone = services.registrations_of(training_session)
    filters = QueueFilterForm(everyone, request.args)
    registrations = services.registrations_of(training_session, **filters.filters()) \
        if filters.validate() else everyone
    # The language of each visa letter: the stored letter's, else the one it would be written in.
    letters = services.letters_by_registration([r for r in registrations if r.needs_visa_letter])
    letter_forms = {r.id: LetterForm(prefix=f"letter{r.id}", language=letters[r.id].language if r.id in letters
                                     else services.trainee_language(r.trainee))
                    for r in registrations if r.needs_visa_letter and r.status == RegistrationStatus.ACCEPTED}
    return render_template(
        "registrations/index.html", s=training_session, registrations=registrations, filters=filters,
        places=services.places_left(training_session), decisions=services.DECISIONS,
        form=DecisionForm(), bulk=BulkDecisionForm(), import_form=ImportForm(),
        twins=services.passport_twins(everyone), letter_forms=letter_forms,
    )


@bp.route("/<int:registration_id>")
def detail(registration_id):
    """A registration for the staff: the trainee's details, its certificates and its history
    (the registration's and the trainee record's entries)."""
    registration = get_registration(registration_id)
    trainee = registration.trainee
    history = sorted([*audit.history(registration), *audit.history(trainee)], key=lambda e: (e.at, e.id))
    return render_template("registrations/detail.html", r=registration, t=trainee, history=history,
                           certificates=services.certificates_of_trainee(trainee))


@bp.route("/<int:registration_id>/correct", methods=["GET", "POST"])
def correct(registration_id):
    """A coordinator corrects the trainee's names, passport or institution."""
    registration = get_registration(registration_id)
    trainee = registration.trainee
    back = url_for("registrations.detail", registration_id=registration.id)
    return _correct(trainee, back, by_trainee=False)


@bp.route("/mine/correct", methods=["GET", "POST"])
def correct_mine():
    """The trainee corrects their own details, while no certificate has been issued to them."""
    return _correct(get_own_trainee(), url_for("registrations.mine"), by_trainee=True)


def _correct(trainee, back, *, by_trainee):
    form = CorrectionForm(obj=trainee)
    certificates = services.certificates_of_trainee(trainee)
    if form.validate_on_submit():
        done = perform(lambda: services.correct_trainee(trainee, current_user, by_trainee=by_trainee,
                                                         **form.correction_fields()),
                       success=_("The corrected details of %(name)s are saved.", name=trainee.name),
                       errors=form.form_errors)
        if done:
            if any(c.state == "valid" for c in certificates):
                flash(_("The certificates already issued still print the former details: replace each of them "
                        "to print the corrected ones."), "info")
            return redirect(back)
    return render_template("registrations/correct.html", form=form, t=trainee, back=back, by_trainee=by_trainee,
                           certificates=certificates), 400 if form.errors else 200


@bp.route("/<int:registration_id>/decide/<decision>", methods=["POST"])
def decide(registration_id, decision):
    registration = get_registration(registration_id)
    decision = enum_or_404(RegistrationStatus, decision)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    def decide_and_tell():
        services.decide(registration, decision, current_user, reason=form.reason.data or "")
        services.notify_decision(registration)
        queue_convocation(registration, current_user)

    perform(decide_and_tell, success=_("%(name)s: %(status)s.", name=registration.trainee.name,
                                       status=decision.label))
    return redirect(url_for("registrations.index", session_id=registration.session_id))


@bp.route("/session/<int:session_id>/decide", methods=["POST"])
def decide_many(session_id):
    """The same decision for the ticked registrations; the refused ones are listed with the reason."""
    training_session = get_training_session(session_id)
    form = BulkDecisionForm(request.form.getlist("registration_ids", type=int))
    back = redirect(url_for("registrations.index", session_id=session_id, **request.args))
    if not form.validate_on_submit():
        for error in (*form.registration_ids.errors, *form.decision.errors, *form.reason.errors):
            flash(str(error), "error")
        return back
    decision = RegistrationStatus(form.decision.data)
    def decide_and_tell():
        decided, refused = services.decide_many(training_session, form.registration_ids.data, decision,
                                                current_user, reason=form.reason.data or "")
        for registration in decided:
            services.notify_decision(registration)
            queue_convocation(registration, current_user)
        return decided, refused

    done = perform(decide_and_tell)
    if not done:
        return back
    decided, refused = done.result
    if decided:
        flash(ngettext("%(num)d registration: %(status)s.", "%(num)d registrations: %(status)s.",
                       len(decided), status=decision.label), "success")
    for registration, reason in refused:
        flash(_("%(name)s was not changed: %(reason)s", name=registration.trainee.name, reason=reason), "error")
    return back


@bp.route("/mine")
def mine():
    trainee = get_own_trainee()
    registrations = services.registrations_of_trainee(current_user)
    certificates = certificates_by_registration(registrations)
    letters = services.letters_by_registration(registrations)
    entries = space_entries(current_user, registrations, trainee.is_email_confirmed, certificates)
    return render_template("registrations/mine.html", registrations=registrations, trainee=trainee, entries=entries,
                           download_name=download_name,
                           certificates=certificates, letters=letters)


@bp.route("/<int:registration_id>/cancel", methods=["POST"])
def cancel(registration_id):
    registration = get_registration(registration_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)

    def cancel_and_tell():
        promoted = services.cancel(registration, current_user)
        services.notify_cancelled(registration, current_user)
        if promoted is not None:
            services.notify_decision(promoted)
            queue_convocation(promoted, current_user)
        return promoted

    done = perform(cancel_and_tell, success=_("The registration is cancelled."))
    if done and (promoted := done.result) and current_user.is_staff:
        flash(_("%(name)s is accepted from the waiting list.", name=promoted.trainee.name), "info")
    if current_user.is_staff:
        return redirect(url_for("registrations.index", session_id=registration.session_id))
    return redirect(url_for("registrations.mine"))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token):
    """The link e-mailed at registration proves the address (anyone holding it may follow it).

    Followed in the browser that registered, it confirms at once and signs in: the password
    chosen there is the prover's. Anywhere else (another device, or the address's owner when
    someone else typed it), the page asks for a new password, which replaces the one chosen at
    registration; a GET changes nothing there, so that mail scanners opening links do no harm."""
    try:
        trainee = services.trainee_from_confirmation(token)
    except DomainError as error:
        return render_template("registrations/confirm_invalid.html", message=str(error)), 410
    confirmed = _("Your e-mail address is confirmed. The centre can now decide your registration.")
    if trainee.is_email_confirmed:
        flash(_("Your e-mail address is already confirmed."), "info")
        return redirect(url_for("registrations.mine"))
    same_browser = browser_session.get(services.REGISTERED_IN_THIS_BROWSER) == trainee.id
    form = ConfirmAddressForm()
    if same_browser or trainee.user is None:
        done = perform(lambda: services.confirm_email(token, keep_password=True), show_error=False, success=confirmed)
    elif form.validate_on_submit():
        done = perform(lambda: services.confirm_email(token, new_password=form.password.data),
                       errors=form.password.errors, success=confirmed)
    else:
        return render_template("registrations/confirm_email.html", form=form, trainee=trainee), \
            400 if form.errors else 200
    if not done:
        if form.password.errors:
            return render_template("registrations/confirm_email.html", form=form, trainee=trainee), 400
        return render_template("registrations/confirm_invalid.html", message=str(done.error)), 410
    browser_session.pop(services.REGISTERED_IN_THIS_BROWSER, None)
    if done.result.user is not None:
        login_user(done.result.user)
    return redirect(url_for("registrations.mine"))


@bp.route("/confirm/again", methods=["POST"])
def resend_confirmation():
    trainee = get_own_trainee()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    registration = next((r for r in services.registrations_of_trainee(current_user) if r.is_live), None)
    if trainee.is_email_confirmed or registration is None:
        flash(_("Your e-mail address is already confirmed."), "info")
    else:
        perform(lambda: services.notify_registered(registration),
                success=_("A new confirmation link is on its way to %(email)s.", email=trainee.email))
    return redirect(url_for("registrations.mine"))


@bp.route("/<int:registration_id>/letter.pdf")
def letter(registration_id):
    """The visa invitation letter, generated once and served as stored."""
    registration = get_registration(registration_id)
    done = perform(lambda: services.invitation_letter(registration, current_user))
    if not done:
        return redirect(url_for("registrations.index", session_id=registration.session_id)
                        if current_user.is_staff else url_for("registrations.mine")), 303
    stored = done.result
    name = f"invitation-{registration.training_session.code}-{registration.id}.pdf"
    return Response(stored.pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.route("/<int:registration_id>/letter/regenerate", methods=["POST"])
def regenerate_letter(registration_id):
    registration = get_registration(registration_id)
    form = LetterForm(prefix=f"letter{registration.id}")
    if not form.validate_on_submit():
        abort(400)
    perform(lambda: services.invitation_letter(registration, current_user, regenerate=True,
                                               language=form.language.data),
            success=_("The invitation letter of %(name)s is generated again.", name=registration.trainee.name))
    return redirect(url_for("registrations.index", session_id=registration.session_id))


@bp.route("/session/<int:session_id>/import", methods=["POST"])
def import_list(session_id):
    form = ImportForm()
    report = table = None
    if form.validate_on_submit():
        upload = form.file.data
        with upload.stream:
            data = upload.stream.read(imports.max_bytes() + 1)
        # The file is read outside any transaction: on SQLite the request's first query took the
        # write lock (BEGIN IMMEDIATE), which nobody else could have while a big file is read.
        end_read_transaction()
        try:
            table = imports.read_table(upload.filename or "", data)
        except DomainError as error:
            form.file.errors.append(str(error))
    training_session = get_training_session(session_id)
    if table is not None:
        # A report with errors and nothing written commits nothing: import_trainees writes only
        # once every row passed (or the bad ones are skipped).
        report = perform(lambda: imports.import_trainees(
            training_session, table, current_user, skip_errors=form.skip_errors.data), errors=form.file.errors).result
    status = 200 if report is not None and report.written else 400
    return render_template("registrations/import.html", s=training_session, form=form, report=report), status


@bp.route("/mine/data.json")
def my_data():
    """Everything stored about the signed-in trainee, as JSON (the right of access)."""
    data = personal_data.export(get_own_trainee())
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="my-data.json"'})
