from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.models import SessionStatus
from centre.permissions import get_training_session
from centre.reviews.forms import ReviewRecordForm
from centre.reviews.services import submitted_reviews
from centre.sessions import bp
from centre.sessions import services
from centre.sessions.forms import SessionForm, TransitionForm


@bp.route("/")
def index():
    return render_template("sessions/index.html", sessions=services.list_sessions())


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = SessionForm()
    if form.validate_on_submit():
        try:
            training_session = services.create_session(current_user, **form.session_fields())
        except DomainError as error:
            db.session.rollback()
            form.code.errors.append(str(error))
        else:
            db.session.commit()
            flash(ngettext("Session %(code)s is created with %(num)d slot.",
                           "Session %(code)s is created with %(num)d slots.",
                           len(training_session.slots), code=training_session.code), "success")
            return redirect(url_for("sessions.detail", session_id=training_session.id))
    return render_template("sessions/form.html", form=form), 400 if form.errors else 200


@bp.route("/<int:session_id>")
def detail(session_id):
    return render_detail(get_training_session(session_id))


def render_detail(training_session, status=200, **forms):
    return render_template(
        "sessions/detail.html", s=training_session,
        transitions=services.allowed_transitions(training_session),
        action_labels=services.ACTION_LABELS, reviews=submitted_reviews(training_session),
        review_form=forms.get("review_form") or ReviewRecordForm(),
        transition_form=forms.get("transition_form") or TransitionForm(),
        history=audit.history(training_session),
    ), status


@bp.route("/<int:session_id>/status/<target>", methods=["POST"])
def transition(session_id, target):
    training_session = get_training_session(session_id)
    try:
        target = SessionStatus(target)
    except ValueError:
        abort(404)
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.change_status(training_session, target, current_user, reason=form.reason.data or "",
                               override_reason=form.override_reason.data or "")
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return render_detail(get_training_session(session_id), 409, transition_form=form)
    db.session.commit()
    flash(_("The session is now: %(status)s.", status=target.label), "success")
    return redirect(url_for("sessions.detail", session_id=session_id))
