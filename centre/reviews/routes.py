from datetime import datetime

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import centre_zone
from centre.models import Expert
from centre.permissions import get_review, get_training_session
from centre.reviews import bp
from centre.reviews import services
from centre.reviews.forms import AssignForm, ConflictForm, ReviewForm, ReviewRecordForm
from centre.sessions import pages  # the module, read at call time: it imports this package's forms


@bp.route("/session/<int:session_id>/record", methods=["POST"])
def record(session_id):
    training_session = get_training_session(session_id)
    form = ReviewRecordForm()
    if form.validate_on_submit():
        expert = db.get_or_404(Expert, form.expert_id.data)
        try:
            services.record_review(training_session, expert, current_user, **form.answers())
        except DomainError as error:
            db.session.rollback()
            form.expert_id.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The review of %(name)s is recorded.", name=expert.name), "success")
            return redirect(url_for("sessions.detail", session_id=session_id))
    return pages.render_detail(training_session, 400, review_form=form)


@bp.route("/session/<int:session_id>/assign", methods=["POST"])
def assign(session_id):
    training_session = get_training_session(session_id)
    form = AssignForm()
    if form.validate_on_submit():
        expert = db.get_or_404(Expert, form.expert_id.data)
        try:
            services.assign_reviewer(training_session, expert, current_user, due_on=form.due_on.data)
        except DomainError as error:
            db.session.rollback()
            form.expert_id.errors.append(str(error))
        else:
            db.session.commit()
            if expert.user is None:
                flash(_("%(name)s is assigned. They have no account yet: invite them, or record "
                        "the review they hand in.", name=expert.name), "warning")
            else:
                flash(_("%(name)s is assigned and told by e-mail.", name=expert.name), "success")
            return redirect(url_for("sessions.detail", session_id=session_id))
    return pages.render_detail(training_session, 400, assign_form=form)


@bp.route("/mine")
def mine():
    expert = services.expert_of(current_user)
    return render_template("reviews/mine.html", expert=expert,
                           reviews=services.reviews_for_expert(expert) if expert else [],
                           today=datetime.now(centre_zone()).date(),
                           is_overdue=services.is_overdue)


@bp.route("/<int:review_id>", methods=["GET", "POST"])
def submit(review_id):
    review = get_review(review_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            services.submit_review(review, current_user, **form.answers())
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Thank you: your review is submitted."), "success")
            return redirect(url_for("reviews.mine"))
    status = 400 if form.errors or form.is_submitted() else 200
    return render_template("reviews/review.html", review=review, s=review.training_session, form=form,
                           conflict_form=ConflictForm()), status


@bp.route("/<int:review_id>/conflict", methods=["POST"])
def conflict(review_id):
    review = get_review(review_id)
    form = ConflictForm()
    if not form.validate_on_submit():
        flash(_("Say briefly what the conflict of interest is."), "error")
        return render_template("reviews/review.html", review=review, s=review.training_session,
                               form=ReviewForm(formdata=None), conflict_form=form), 400
    try:
        services.declare_conflict(review, current_user, form.note.data)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Your conflict of interest is recorded; the coordinator is told."), "success")
    return redirect(url_for("reviews.mine"))


