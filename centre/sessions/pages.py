"""Pages of the sessions area that other areas' routes render too (the reviews' forms sit on
the session's page), so that no area imports another's routes."""
from flask import render_template

from centre import audit
from centre.evaluation import figures
from centre.i18n import current_language
from centre.reviews import services as reviews
from centre.reviews.forms import AssignForm, ReviewRecordForm
from centre.sessions import services
from centre.sessions.forms import TrainerForm, TransitionForm


def render_detail(training_session, status=200, **forms):
    return render_template(
        "sessions/detail.html", s=training_session,
        transitions=services.allowed_transitions(training_session),
        action_labels=services.ACTION_LABELS, summary=reviews.summary(training_session),
        needs_override=reviews.needs_override(training_session),
        review_form=forms.get("review_form") or ReviewRecordForm(),
        assign_form=forms.get("assign_form") or AssignForm(),
        trainer_form=forms.get("trainer_form") or TrainerForm(),
        transition_form=forms.get("transition_form") or TransitionForm(),
        warnings=services.conflicts(training_session),
        history=audit.history(training_session),
        positioning=figures.positioning_results(training_session, current_language()),
    ), status
