from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from centre.clock import today
from centre.evaluation.figures import sessions_with_positioning
from centre.permissions import get_expert, get_review, get_training_session
from centre.reviews import bp
from centre.reviews import services
from centre.reviews.forms import AssignForm, ConflictForm, ReviewForm, ReviewRecordForm
from centre.sessions.pages import render_detail
from centre.web import perform


@bp.route("/session/<int:session_id>/record", methods=["POST"])
def record(session_id):
    training_session = get_training_session(session_id)
    form = ReviewRecordForm()
    if form.validate_on_submit():
        expert = get_expert(form.expert_id.data)
        if perform(lambda: services.record_review(training_session, expert, current_user, **form.answers()),
                   success=_("The review of %(name)s is recorded.", name=expert.name), errors=form.expert_id.errors):
            return redirect(url_for("sessions.detail", session_id=session_id))
    return render_detail(training_session, 400, review_form=form)


@bp.route("/session/<int:session_id>/assign", methods=["POST"])
def assign(session_id):
    training_session = get_training_session(session_id)
    form = AssignForm()
    if form.validate_on_submit():
        expert = get_expert(form.expert_id.data)
        if perform(lambda: services.assign_reviewer(training_session, expert, current_user,
                                                    due_on=form.due_on.data), errors=form.expert_id.errors):
            if expert.user is None:
                flash(_("%(name)s is assigned. They have no account yet: invite them, or record "
                        "the review they hand in.", name=expert.name), "warning")
            else:
                flash(_("%(name)s is assigned and told by e-mail.", name=expert.name), "success")
            return redirect(url_for("sessions.detail", session_id=session_id))
    return render_detail(training_session, 400, assign_form=form)


@bp.route("/mine")
def mine():
    expert = services.expert_of(current_user)
    return render_template("reviews/mine.html", expert=expert,
                           reviews=services.reviews_for_expert(expert) if expert else [],
                           positioning=sessions_with_positioning(expert) if expert else [],
                           today=today(),
                           is_overdue=services.is_overdue)


@bp.route("/<int:review_id>", methods=["GET", "POST"])
def submit(review_id):
    review = get_review(review_id)
    form = ReviewForm()
    if form.validate_on_submit():
        if perform(lambda: services.submit_review(review, current_user, **form.answers()),
                   success=_("Thank you: your review is submitted.")):
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
    perform(lambda: services.declare_conflict(review, current_user, form.note.data),
            success=_("Your conflict of interest is recorded; the coordinator is told."))
    return redirect(url_for("reviews.mine"))


