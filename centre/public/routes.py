from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask import session as browser_session  # the view `session` below is a catalogue page
from flask_babel import gettext as _
from flask_login import current_user

from centre.auth.services import MailThrottled, count_mail_request
from centre.certificates.printing import printed_sides
from centre.certificates.verification import (PDF_CHECK_MAX_BYTES, allow_verification, check_pdf, find_by_code,
                                               normalize_code)
from centre.evaluation.figures import previous_satisfaction
from centre.extensions import db
from centre.i18n import current_language
from centre.models import RegistrationStatus, Role, Trainee
from centre.models.types import utcnow
from centre.public import bp
from centre.public.forms import PdfCheckForm
from centre.public.services import get_open_session, open_sessions
from centre.registrations import services as registrations
from centre.registrations.services import REGISTERED_IN_THIS_BROWSER
from centre.registrations.forms import NewTraineeForm, RegistrationForm
from centre.sessions.services import calendar_feed
from centre.web import perform, throttled_answer


@bp.route("/catalogue")
def catalogue():
    sessions = open_sessions()
    places = registrations.places_left_in(sessions)
    closed = {s.id: registrations.registration_closed(s) for s in sessions}
    return render_template("public/catalogue.html", sessions=sessions, places=places, closed=closed)


@bp.route("/catalogue/<code>")
def session(code):
    training_session = get_open_session(code) or abort(404)
    return _session_page(training_session)


def _session_page(training_session, status=200):
    return render_template("public/session.html", s=training_session,
                           places=registrations.places_left(training_session),
                           satisfaction=previous_satisfaction(training_session),
                           closed=registrations.registration_closed(training_session)), status


@bp.route("/catalogue/<code>/register", methods=["GET", "POST"])
def register(code):
    training_session = get_open_session(code) or abort(404)
    if registrations.registration_closed(training_session):
        # The form is not offered after the deadline: the session's page says since when.
        return _session_page(training_session, 409 if request.method == "POST" else 200)
    if current_user.is_authenticated and current_user.role != Role.TRAINEE:
        flash(_("Registration is for trainees; you are signed in with a staff or expert account."), "warning")
        return redirect(url_for("public.session", code=code))
    trainee = None
    if current_user.is_authenticated:
        trainee = db.session.scalar(db.select(Trainee).where(Trainee.user_id == current_user.id)) or abort(403)
    form = RegistrationForm() if trainee else NewTraineeForm()
    duplicate = False
    if form.validate_on_submit():
        travel = dict(arrival_on=form.arrival_on.data, departure_on=form.departure_on.data,
                      needs_visa_letter=form.needs_visa_letter.data)
        if trainee is None:
            # A visitor: the same answer whether or not the address has an account (its owner
            # is told by e-mail), and no sign-in until the address is proved by the mail's link.
            try:
                count_mail_request("registration", form.email.data, request.remote_addr, utcnow())
            except MailThrottled as throttled:
                return throttled_answer(throttled.until, "public/register.html", s=training_session, form=form,
                                        duplicate=False)
            done = perform(lambda: registrations.register_visitor(
                training_session, form.password.data, form.trainee_fields(), locale=current_language(), **travel),
                show_error=False)
            if isinstance(done.error, registrations.DuplicateRegistration):
                duplicate = True
            elif done.error is not None:
                flash(str(done.error), "error")
            else:
                if done.result is not None:
                    browser_session[REGISTERED_IN_THIS_BROWSER] = done.result.trainee.id
                flash(_("Thank you. A message is on its way to %(email)s: follow its link to confirm your "
                        "address; your registration is then complete.", email=form.email.data.strip()), "info")
                return redirect(url_for("public.session", code=code))
        else:
            def submit():
                registration = registrations.register(training_session, trainee, **travel)
                # "My registrations" says when the address still needs confirming.
                registrations.notify_registered(registration)
                return registration

            done = perform(submit, show_error=False)
            if isinstance(done.error, registrations.DuplicateRegistration):
                duplicate = True
            elif done.error is not None:
                flash(str(done.error), "error")
            else:
                if done.result.status == RegistrationStatus.WAITLISTED:
                    flash(_("The session is full: your registration is on the waiting list. You will be told "
                            "by e-mail if a place becomes free."), "info")
                else:
                    flash(_("Your registration is received. The centre will tell you its decision."), "success")
                return redirect(url_for("registrations.mine"))
    status = 400 if request.method == "POST" else 200
    if duplicate:
        status = 409
    return render_template("public/register.html", s=training_session, form=form, duplicate=duplicate), status


@bp.route("/catalogue.ics")
def catalogue_ics():
    """Open sessions as an iCalendar feed that calendar programs subscribe to."""
    return _feed(open_sessions(), "sessions")


@bp.route("/catalogue/<code>.ics")
def session_ics(code):
    training_session = get_open_session(code) or abort(404)
    return _feed([training_session], training_session.code)


def _feed(sessions, name):
    feed = calendar_feed(sessions, slots=False, language=current_language(),
                         url_for_session=lambda s: url_for("public.session", code=s.code, _external=True))
    return Response(feed, mimetype="text/calendar",
                    headers={"Content-Disposition": f'inline; filename="{name}.ics"'})


@bp.route("/verify")
def verify_form():
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("public.verify", code=normalize_code(code) or code))
    return render_template("public/verify.html", certificate=None, pdf_form=PdfCheckForm())


@bp.route("/verify/pdf", methods=["POST"])
def verify_pdf():
    """Anyone's check of a file: is it, byte for byte, a certificate the centre issued, and is its
    signature intact? The file is read, hashed and forgotten; the answer names no other
    certificate. Counted against the same allowance as the codes."""
    if not perform(lambda: allow_verification(request.remote_addr)).result:
        abort(429)
    form = PdfCheckForm()
    check = None
    if form.validate_on_submit():
        upload = form.document.data
        try:
            data = upload.read(PDF_CHECK_MAX_BYTES + 1)
        finally:
            upload.close()  # a large upload spools to a temporary file: gone now, nothing kept
        check = perform(lambda: check_pdf(data), errors=form.document.errors).result
    status = 200 if check else 400
    return render_template("public/verify.html", certificate=None, pdf_form=form, pdf_check=check), status


@bp.route("/verify/<path:code>")
def verify(code):
    """Valid, replaced or revoked, with what the certificate prints. An unknown code and a
    malformed one get the very same answer, and each client address has an allowance."""
    if not perform(lambda: allow_verification(request.remote_addr)).result:
        abort(429)
    certificate = find_by_code(code)
    if certificate is None:
        return render_template("public/verify.html", certificate=None, not_found=True, pdf_form=PdfCheckForm()), 404
    return render_template("public/verify.html", certificate=certificate, p=certificate.printed,
                           sides=printed_sides(certificate.printed, certificate.language),
                           issued_on=date.fromisoformat(certificate.printed["issued_on"]))
