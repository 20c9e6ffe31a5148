from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from centre.certificates.services import certificates_by_registration
from centre.errors import DomainError
from centre.extensions import db
from centre.models import RegistrationStatus
from centre.permissions import get_registration, get_training_session
from centre.registrations import bp
from centre.registrations import services
from centre.registrations.forms import DecisionForm


@bp.route("/session/<int:session_id>")
def index(session_id):
    training_session = get_training_session(session_id)
    return render_template(
        "registrations/index.html", s=training_session,
        registrations=services.registrations_of(training_session),
        places=services.places_left(training_session), decisions=services.DECISIONS,
        form=DecisionForm(),
    )


@bp.route("/<int:registration_id>/decide/<decision>", methods=["POST"])
def decide(registration_id, decision):
    registration = get_registration(registration_id)
    try:
        decision = RegistrationStatus(decision)
    except ValueError:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.decide(registration, decision, current_user, reason=form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("%(name)s: %(status)s.", name=registration.trainee.name, status=decision.label), "success")
    return redirect(url_for("registrations.index", session_id=registration.session_id))


@bp.route("/mine")
def mine():
    registrations = services.registrations_of_trainee(current_user)
    certificates = certificates_by_registration(registrations)
    return render_template("registrations/mine.html", registrations=registrations,
                           certificates=certificates, form=DecisionForm())


@bp.route("/<int:registration_id>/cancel", methods=["POST"])
def cancel(registration_id):
    registration = get_registration(registration_id)
    if not DecisionForm().validate_on_submit():
        abort(400)
    try:
        promoted = services.cancel(registration, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("The registration is cancelled."), "success")
        if promoted and current_user.is_staff:
            flash(_("%(name)s is accepted from the waiting list.", name=promoted.trainee.name), "info")
    if current_user.is_staff:
        return redirect(url_for("registrations.index", session_id=registration.session_id))
    return redirect(url_for("registrations.mine"))


