"""The experts' preparation review: assignment, conflicts of interest, submission, the summary
a coordinator reads, reminders, and the gate the reviews put before approval."""
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from centre import audit, mail
from centre.clock import local_date, today
from centre.errors import DomainError
from centre.experts.services import INVITATION_MAX_AGE, open_invitation
from centre.extensions import db
from centre.models import Expert, Recommendation, Review, SessionStatus, TrainingSession, User
from centre.models.types import utcnow

#: Sessions whose theme may still be given to experts to review.
ASSIGNABLE = (SessionStatus.DRAFT, SessionStatus.IN_REVIEW)
CRITERIA = ("score_relevance", "score_methodology", "score_audience")
#: Scores of one criterion this far apart (on 1-5) are a disagreement the coordinator should see.
DISAGREEMENT = 2


def expert_of(user: User) -> Expert | None:
    return db.session.scalar(sa.select(Expert).where(Expert.user_id == user.id))


def _language_of(user: User | None) -> str:
    return (user.locale if user and user.locale else None) or "fr"


def assign_reviewer(training_session: TrainingSession, expert: Expert, actor: User | None, *,
                    due_on: date | None) -> Review:
    """Ask an expert to review the session's theme and programme by a date; they are e-mailed."""
    if training_session.status not in ASSIGNABLE:
        raise DomainError(_l("Experts are assigned while the session is a draft or in review."))
    if db.session.scalar(sa.select(Review.id).where(Review.session_id == training_session.id,
                                                    Review.expert_id == expert.id)):
        raise DomainError(_l("%(name)s is already assigned to this session."), name=expert.name)
    if due_on and due_on < today():
        raise DomainError(_l("The due date is already past."))
    review = Review(training_session=training_session, expert=expert, due_on=due_on, assigned_by=actor)
    db.session.add(review)
    audit.record(review, "assign", to_state="assigned", actor=actor, session=training_session.code,
                 expert=expert.name, due_on=due_on)
    _mail_expert(review, "review_assigned", actor)
    return review


def _mail_expert(review: Review, template: str, actor: User | None) -> bool:
    """Mail the review's expert; False when they cannot be reached (no account, no address).

    An expert without an account, or invited but without a password yet, gets a personal link to
    choose it in the same mail (their account opened as an invitation does), then the review's link."""
    expert = review.expert
    user = expert.user
    if user is None and not expert.email:
        return False
    invitation = None
    if user is None or not user.password_hash:
        language = _language_of(user) if user else current_app.config["BABEL_DEFAULT_LOCALE"]
        try:
            invitation = open_invitation(expert, actor, language=language)
        except DomainError:  # e.g. another account has that address: the coordinator sorts it out
            return False
        user = expert.user
    mail.send(user.email, template, _language_of(user), review=review, training_session=review.training_session,
              expert=expert, invitation=invitation, days=INVITATION_MAX_AGE.days)
    return True


def declare_conflict(review: Review, actor: User | None, note: str) -> Review:
    """The expert declares a conflict of interest: they cannot review, and whoever assigned them is told."""
    if review.is_submitted:
        raise DomainError(_l("This expert's review has already been submitted."))
    if review.has_conflict:
        raise DomainError(_l("A conflict of interest is already declared."))
    if not note.strip():
        raise DomainError(_l("Say briefly what the conflict of interest is."))
    review.has_conflict = True
    review.conflict_note = note.strip()
    audit.record(review, "conflict", from_state="assigned", to_state="conflict", actor=actor,
                 session=review.training_session.code, note=review.conflict_note)
    if review.assigned_by is not None:
        mail.send(review.assigned_by.email, "review_conflict", _language_of(review.assigned_by),
                  review=review, training_session=review.training_session, expert=review.expert)
    db.session.flush()
    return review


def submit_review(review: Review, actor: User | None, *, score_relevance: int, score_methodology: int,
                  score_audience: int, recommendation: Recommendation, comments: str = "") -> Review:
    """Record a review as submitted, whoever enters it (the expert, or a coordinator for them)."""
    training_session = review.training_session
    if training_session.status != SessionStatus.IN_REVIEW:
        raise DomainError(_l("Reviews are recorded while the session is in review."))
    if review.has_conflict:
        raise DomainError(_l("This expert declared a conflict of interest and cannot review the session."))
    if review.is_submitted:
        raise DomainError(_l("This expert's review has already been submitted."))
    for score in (score_relevance, score_methodology, score_audience):
        if not 1 <= score <= 5:
            raise DomainError(_l("Scores go from 1 to 5."))
    review.score_relevance = score_relevance
    review.score_methodology = score_methodology
    review.score_audience = score_audience
    review.recommendation = recommendation
    review.comments = comments
    review.submitted_at = utcnow()
    review.recorded_by = actor
    audit.record(review, "submit", from_state="assigned", to_state=recommendation, actor=actor,
                 session=training_session.code, expert=review.expert.name)
    db.session.flush()
    return review


def record_review(training_session: TrainingSession, expert: Expert, actor: User | None = None,
                  **answers) -> Review:
    """A coordinator enters a review an expert handed in (assigning the expert if needed)."""
    review = db.session.scalar(
        sa.select(Review).where(Review.session_id == training_session.id, Review.expert_id == expert.id)
    )
    if review is None:
        if training_session.status != SessionStatus.IN_REVIEW:
            raise DomainError(_l("Reviews are recorded while the session is in review."))
        review = Review(training_session=training_session, expert=expert, assigned_by=actor)
        db.session.add(review)
        audit.record(review, "assign", to_state="assigned", actor=actor, session=training_session.code,
                     expert=expert.name)
    return submit_review(review, actor, **answers)


def reviews_of(training_session: TrainingSession) -> list[Review]:
    return db.session.scalars(
        sa.select(Review).where(Review.session_id == training_session.id)
        .options(sa.orm.joinedload(Review.expert)).order_by(Review.assigned_at, Review.id)
    ).all()


def submitted_reviews(training_session: TrainingSession) -> list[Review]:
    return [r for r in reviews_of(training_session) if r.is_submitted and not r.has_conflict]


@dataclass(frozen=True)
class ReviewSummary:
    reviews: list  #: every review of the session, pending and declined included
    averages: dict  #: criterion -> mean score of the submitted reviews (None if none)
    recommendations: dict  #: Recommendation -> how many
    conflicts: list  #: reviews declined for a conflict of interest
    medians: dict = field(default_factory=dict)  #: criterion -> median score (None if none)
    spreads: dict = field(default_factory=dict)  #: criterion -> highest minus lowest score (None if none)

    @property
    def disagreements(self) -> list[str]:
        """The criteria on which two experts' scores differ by DISAGREEMENT points or more."""
        return [c for c in CRITERIA if self.spreads.get(c) is not None and self.spreads[c] >= DISAGREEMENT]

    @property
    def submitted(self) -> list:
        return [r for r in self.reviews if r.is_submitted]


def summary(training_session: TrainingSession) -> ReviewSummary:
    reviews = reviews_of(training_session)
    submitted = [r for r in reviews if r.is_submitted and not r.has_conflict]
    scores = {criterion: [getattr(r, criterion) for r in submitted] for criterion in CRITERIA}
    averages = {c: (sum(values) / len(values) if values else None) for c, values in scores.items()}
    medians = {c: (statistics.median(values) if values else None) for c, values in scores.items()}
    spreads = {c: (max(values) - min(values) if values else None) for c, values in scores.items()}
    recommendations = {rec: sum(1 for r in submitted if r.recommendation == rec) for rec in Recommendation}
    return ReviewSummary(reviews=reviews, averages=averages, recommendations=recommendations,
                         conflicts=[r for r in reviews if r.has_conflict], medians=medians, spreads=spreads)


def reviews_for_expert(expert: Expert) -> list[Review]:
    return db.session.scalars(
        sa.select(Review).where(Review.expert_id == expert.id)
        .options(sa.orm.joinedload(Review.training_session))
        .order_by(Review.submitted_at.is_not(None), Review.due_on, Review.id)
    ).all()


def is_overdue(review: Review, today: date) -> bool:
    return (not review.is_submitted and not review.has_conflict and review.due_on is not None
            and review.due_on < today and review.training_session.status == SessionStatus.IN_REVIEW)


@dataclass(frozen=True)
class Reminders:
    reminded: list  #: reviews whose expert was e-mailed
    unreachable: list  #: reviews whose expert has neither an account nor an e-mail address


def remind_overdue(now: datetime | None = None) -> Reminders:
    """E-mail each expert whose review is overdue, at most once a day (with a personal link to their
    account if they have none yet); says whom it could not reach."""
    now = now or utcnow()
    day = local_date(now)
    candidates = db.session.scalars(
        sa.select(Review).join(TrainingSession)
        .where(Review.submitted_at.is_(None), Review.has_conflict.is_(False), Review.due_on < day,
               TrainingSession.status == SessionStatus.IN_REVIEW)
        .options(sa.orm.joinedload(Review.expert).joinedload(Expert.user))
    ).unique().all()
    reminded, unreachable = [], []
    for review in candidates:
        if review.reminded_at and now - review.reminded_at < timedelta(hours=20):
            continue
        if not _mail_expert(review, "review_overdue", None):
            unreachable.append(review)
            continue
        review.reminded_at = now
        audit.record(review, "remind", actor=None, expert=review.expert.name)
        reminded.append(review)
    db.session.flush()
    return Reminders(reminded, unreachable)


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


def needs_override(training_session: TrainingSession) -> bool:
    return any(r.recommendation == Recommendation.REJECT for r in submitted_reviews(training_session))
