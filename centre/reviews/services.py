"""The experts' preparation review and the gate it puts before approval."""
from flask_babel import lazy_gettext as _l

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.models import Expert, Recommendation, Review, SessionStatus, TrainingSession, User
from centre.models.types import utcnow


def record_review(training_session: TrainingSession, expert: Expert, actor: User | None = None, *,
                  score_relevance: int, score_methodology: int, score_audience: int,
                  recommendation: Recommendation, comments: str = "") -> Review:
    """Record an expert's submitted review (by the expert, or by a coordinator on their behalf)."""
    if training_session.status != SessionStatus.IN_REVIEW:
        raise DomainError(_l("Reviews are recorded while the session is in review."))
    for score in (score_relevance, score_methodology, score_audience):
        if not 1 <= score <= 5:
            raise DomainError(_l("Scores go from 1 to 5."))
    review = db.session.scalar(
        db.select(Review).where(Review.session_id == training_session.id, Review.expert_id == expert.id)
    )
    if review is None:
        review = Review(training_session=training_session, expert=expert)
        db.session.add(review)
    elif review.has_conflict:
        raise DomainError(_l("This expert declared a conflict of interest and cannot review the session."))
    elif review.is_submitted:
        raise DomainError(_l("This expert's review has already been submitted."))
    review.score_relevance = score_relevance
    review.score_methodology = score_methodology
    review.score_audience = score_audience
    review.recommendation = recommendation
    review.comments = comments
    review.submitted_at = utcnow()
    review.recorded_by = actor
    audit.record(review, "submit", to_state=recommendation, actor=actor,
                 session=training_session.code, expert=expert.name)
    return review


def submitted_reviews(training_session: TrainingSession) -> list[Review]:
    return db.session.scalars(
        db.select(Review)
        .where(Review.session_id == training_session.id, Review.submitted_at.is_not(None),
               Review.has_conflict.is_(False))
        .order_by(Review.submitted_at)
    ).all()


def review_gate_problems(training_session: TrainingSession, *, override_reason: str = "") -> list[str]:
    """Approval needs a national and a foreign review, and no "reject" unless overridden in writing."""
    reviews = submitted_reviews(training_session)
    problems = []
    if not any(r.expert.is_national for r in reviews):
        problems.append(str(_l("A submitted review from a national expert is missing.")))
    if not any(not r.expert.is_national for r in reviews):
        problems.append(str(_l("A submitted review from a foreign expert is missing.")))
    if any(r.recommendation == Recommendation.REJECT for r in reviews) and not override_reason.strip():
        problems.append(str(_l("An expert recommends rejecting the theme; approving anyway needs a written reason.")))
    return problems
