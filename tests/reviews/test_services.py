import pytest

from centre.audit import history
from centre.errors import DomainError
from centre.models import Recommendation, Review, SessionStatus
from centre.reviews.services import record_review, review_gate_problems
from centre.sessions.services import change_status

SCORES = {"score_relevance": 4, "score_methodology": 4, "score_audience": 5}


@pytest.fixture
def in_review(ctx, create_session):
    return create_session(SessionStatus.IN_REVIEW)


def test_approval_needs_a_national_and_a_foreign_review(in_review, create_expert):
    record_review(in_review, create_expert(national=True), recommendation=Recommendation.APPROVE, **SCORES)
    with pytest.raises(DomainError, match="foreign expert"):
        change_status(in_review, SessionStatus.APPROVED)
    record_review(in_review, create_expert(national=True), recommendation=Recommendation.APPROVE, **SCORES)
    assert review_gate_problems(in_review) != []  # two nationals are still not a foreign review
    record_review(in_review, create_expert(national=False), recommendation=Recommendation.APPROVE_WITH_CHANGES, **SCORES)
    change_status(in_review, SessionStatus.APPROVED)
    assert in_review.status == SessionStatus.APPROVED


def test_reject_blocks_approval_unless_overridden_with_a_reason(in_review, create_expert):
    record_review(in_review, create_expert(national=True), recommendation=Recommendation.APPROVE, **SCORES)
    record_review(in_review, create_expert(national=False), recommendation=Recommendation.REJECT, **SCORES)
    with pytest.raises(DomainError, match="rejecting"):
        change_status(in_review, SessionStatus.APPROVED)
    with pytest.raises(DomainError, match="rejecting"):
        change_status(in_review, SessionStatus.APPROVED, override_reason="   ")
    change_status(in_review, SessionStatus.APPROVED, override_reason="Programme revised after the review")
    assert history(in_review)[-1].details["override_reason"] == "Programme revised after the review"


def test_expert_with_declared_conflict_cannot_review_nor_count(in_review, create_expert):
    expert = create_expert(national=False)
    from centre.extensions import db

    db.session.add(Review(training_session=in_review, expert=expert, has_conflict=True))
    with pytest.raises(DomainError, match="conflict"):
        record_review(in_review, expert, recommendation=Recommendation.APPROVE, **SCORES)


def test_scores_go_from_one_to_five(in_review, create_expert):
    with pytest.raises(DomainError, match="1 to 5"):
        record_review(in_review, create_expert(), recommendation=Recommendation.APPROVE,
                      score_relevance=6, score_methodology=3, score_audience=3)


def test_reviews_only_while_in_review(ctx, create_session, create_expert):
    with pytest.raises(DomainError, match="in review"):
        record_review(create_session(SessionStatus.DRAFT), create_expert(),
                      recommendation=Recommendation.APPROVE, **SCORES)


def test_a_submitted_review_is_not_overwritten(in_review, create_expert):
    expert = create_expert()
    record_review(in_review, expert, recommendation=Recommendation.APPROVE, **SCORES)
    with pytest.raises(DomainError, match="already"):
        record_review(in_review, expert, recommendation=Recommendation.REJECT, **SCORES)
