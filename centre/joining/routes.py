from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from centre.errors import error_page
from centre.joining import bp, services
from centre.joining.forms import PracticalInfoForm
from centre.models import RegistrationStatus
from centre.permissions import get_registration, get_training_session
from centre.web import perform


@bp.route("/session/<int:session_id>", methods=["GET", "POST"])
def edit(session_id):
    """The session's practical information, in French, Arabic and English; a new one starts from the
    previous session at the same venue, else from the centre's settings."""
    training_session = get_training_session(session_id)
    form = PracticalInfoForm()
    if request.method == "GET":
        form.load(services.practical_values(training_session))
    elif form.validate_on_submit():
        if perform(lambda: services.save_practical_info(training_session, current_user, **form.values()),
                   success=_saved, errors=form.form_errors):
            return redirect(url_for("joining.edit", session_id=session_id))
    saved = services.practical_info(training_session) is not None
    return render_template("joining/edit.html", s=training_session, form=form, sections=services.practical_labels(),
                           saved=saved), 400 if request.method == "POST" else 200


def _saved(result) -> str:
    _info, told = result
    if told:
        return ngettext("The practical information is saved; %(num)d trainee is told of the new address.",
                        "The practical information is saved; %(num)d trainees are told of the new address.", told)
    return _("The practical information is saved.")


def _accepted_registration(registration_id):
    registration = get_registration(registration_id)
    if registration.status != RegistrationStatus.ACCEPTED:
        return None
    return registration


@bp.route("/<int:registration_id>/convocation.pdf")
def convocation(registration_id):
    """The accepted trainee's convocation, rendered as it stands today (dates and venue up to date)."""
    registration = _accepted_registration(registration_id)
    if registration is None:
        return _not_accepted()
    language = request.args.get("language") if current_user.is_staff else None
    if language not in (None, "fr", "ar", "en"):
        language = None
    pdf = services.render_convocation(registration, language)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{services.convocation_name(registration)}"'})


@bp.route("/<int:registration_id>/session.ics")
def calendar(registration_id):
    registration = _accepted_registration(registration_id)
    if registration is None:
        return _not_accepted()
    language = services.trainee_language(registration.trainee)
    return Response(services.session_calendar(registration.training_session, language), mimetype="text/calendar",
                    headers={"Content-Disposition":
                             f'attachment; filename="{services.ics_name(registration.training_session)}"'})


def _not_accepted():
    return error_page(404, _("A convocation is for an accepted registration."))
