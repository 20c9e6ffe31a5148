from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from centre.errors import DomainError
from centre.extensions import db
from centre.models import Expert, Recommendation
from centre.permissions import get_training_session
from centre.reviews import bp
from centre.reviews import services
from centre.reviews.forms import ReviewRecordForm


@bp.route("/session/<int:session_id>/record", methods=["POST"])
def record(session_id):
    training_session = get_training_session(session_id)
    form = ReviewRecordForm()
    if form.validate_on_submit():
        expert = db.get_or_404(Expert, form.expert_id.data)
        try:
            services.record_review(
                training_session, expert, current_user,
                score_relevance=form.score_relevance.data, score_methodology=form.score_methodology.data,
                score_audience=form.score_audience.data,
                recommendation=Recommendation(form.recommendation.data), comments=form.comments.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            form.expert_id.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The review of %(name)s is recorded.", name=expert.name), "success")
            return redirect(url_for("sessions.detail", session_id=session_id))
    # Imported here: the sessions blueprint imports this area's forms at load time.
    from centre.sessions.routes import render_detail

    return render_detail(training_session, 400, review_form=form)
