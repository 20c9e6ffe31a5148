import re
from datetime import date, datetime, timedelta, timezone

import pytest

from centre.audit import history
from centre.errors import DomainError
from centre.extensions import db
from centre.models import Recommendation, Role, SessionStatus
from centre.reviews.services import (
    assign_reviewer,
    declare_conflict,
    record_review,
    remind_overdue,
    review_gate_problems,
    submit_review,
    submitted_reviews,
    summary,
)
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
    national = create_expert(national=True)
    record_review(in_review, national, recommendation=Recommendation.APPROVE, **SCORES)
    foreign = create_expert(national=False)
    declare_conflict(assign_reviewer(in_review, foreign, None, due_on=None), None, "Former trainer of the theme")
    with pytest.raises(DomainError, match="conflict"):
        record_review(in_review, foreign, recommendation=Recommendation.APPROVE, **SCORES)
    assert "A submitted review from a foreign expert is missing." in review_gate_problems(in_review)


@pytest.mark.parametrize("criterion", ["score_relevance", "score_methodology", "score_audience"])
@pytest.mark.parametrize("score", [-1, 0, 6])
def test_a_score_outside_one_to_five_is_refused_on_each_criterion(in_review, create_expert, criterion, score):
    expert = create_expert()
    with pytest.raises(DomainError, match="1 to 5"):
        record_review(in_review, expert, recommendation=Recommendation.APPROVE, **{**SCORES, criterion: score})
    assert submitted_reviews(in_review) == []


@pytest.mark.parametrize("criterion", ["score_relevance", "score_methodology", "score_audience"])
@pytest.mark.parametrize("score", [1, 5])
def test_the_bounds_one_and_five_are_scores(in_review, create_expert, criterion, score):
    review = record_review(in_review, create_expert(), recommendation=Recommendation.APPROVE,
                           **{**SCORES, criterion: score})
    assert getattr(review, criterion) == score and review.is_submitted


@pytest.mark.parametrize("score", [0, 6])
def test_the_database_refuses_a_score_outside_one_to_five(in_review, create_expert, score):
    """The CHECK constraint holds whatever code writes the row."""
    import sqlalchemy as sa

    review = assign_reviewer(in_review, create_expert(), None, due_on=None)
    db.session.flush()
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            db.session.execute(sa.update(type(review)).where(type(review).id == review.id)
                               .values(score_audience=score))


def test_reviews_only_while_in_review(ctx, create_session, create_expert):
    with pytest.raises(DomainError, match="in review"):
        record_review(create_session(SessionStatus.DRAFT), create_expert(),
                      recommendation=Recommendation.APPROVE, **SCORES)


def test_a_submitted_review_is_not_overwritten(in_review, create_expert):
    expert = create_expert()
    record_review(in_review, expert, recommendation=Recommendation.APPROVE, **SCORES)
    with pytest.raises(DomainError, match="already"):
        record_review(in_review, expert, recommendation=Recommendation.REJECT, **SCORES)


def test_assigned_expert_is_told_by_email_in_their_language(in_review, create_expert, create_user, smtp_server):
    user = create_user(Role.EXPERT)
    user.locale = "ar"
    expert = create_expert(user=user)
    review = assign_reviewer(in_review, expert, None, due_on=date.today() + timedelta(days=10))
    assert smtp_server.to(user.email) == []  # in the outbox until the assignment commits
    db.session.commit()
    message, = smtp_server.to(user.email)
    assert in_review.code in message["Subject"] and message["Content-Language"] == "ar"
    assert f"/reviews/{review.id}" in message.get_content()


def test_expert_is_assigned_once_and_before_approval(ctx, create_session, create_expert):
    expert = create_expert()
    draft = create_session(SessionStatus.DRAFT)
    assign_reviewer(draft, expert, None, due_on=None)
    with pytest.raises(DomainError, match="already assigned"):
        assign_reviewer(draft, expert, None, due_on=None)
    with pytest.raises(DomainError, match="draft or in review"):
        assign_reviewer(create_session(SessionStatus.APPROVED), expert, None, due_on=None)
    with pytest.raises(DomainError, match="already past"):
        assign_reviewer(draft, create_expert(), None, due_on=date.today() - timedelta(days=1))


def test_conflict_of_interest_tells_the_coordinator(in_review, create_expert, create_user, smtp_server):
    coordinator = create_user(Role.COORDINATOR)
    review = assign_reviewer(in_review, create_expert(), coordinator, due_on=None)
    with pytest.raises(DomainError, match="Say briefly"):
        declare_conflict(review, None, "  ")
    declare_conflict(review, None, "I co-wrote the programme")
    assert review.has_conflict
    db.session.commit()
    message, = smtp_server.to(coordinator.email)
    assert "I co-wrote the programme" in message.get_content()
    with pytest.raises(DomainError, match="conflict of interest"):
        submit_review(review, None, recommendation=Recommendation.APPROVE, **SCORES)


def test_summary_averages_submitted_reviews_only(in_review, create_expert):
    record_review(in_review, create_expert(), recommendation=Recommendation.APPROVE,
                  score_relevance=5, score_methodology=4, score_audience=3)
    record_review(in_review, create_expert(national=False), recommendation=Recommendation.REJECT,
                  score_relevance=2, score_methodology=3, score_audience=4)
    assign_reviewer(in_review, create_expert(), None, due_on=None)  # still awaited
    result = summary(in_review)
    assert len(result.reviews) == 3 and len(result.submitted) == 2
    assert result.averages == {"score_relevance": 3.5, "score_methodology": 3.5, "score_audience": 3.5}
    assert result.recommendations[Recommendation.APPROVE] == 1
    assert result.recommendations[Recommendation.REJECT] == 1


def test_overdue_reviews_are_reminded_once_a_day(in_review, create_expert, create_user, smtp_server):
    late = create_expert(user=create_user(Role.EXPERT))
    on_time = create_expert(user=create_user(Role.EXPERT))
    done = create_expert(user=create_user(Role.EXPERT))
    for expert, due in ((late, -3), (on_time, 3), (done, -3)):
        review = assign_reviewer(in_review, expert, None, due_on=date.today() + timedelta(days=3))
        review.due_on = date.today() + timedelta(days=due)
    submit_review(in_review_review(in_review, done), None, recommendation=Recommendation.APPROVE, **SCORES)
    db.session.commit()
    smtp_server.messages.clear()
    now = datetime.now(timezone.utc)
    assert [r.expert for r in remind_overdue(now).reminded] == [late]
    db.session.commit()
    assert len(smtp_server.to(late.user.email)) == 1
    assert remind_overdue(now + timedelta(hours=2)).reminded == []  # not twice the same day
    assert [r.expert for r in remind_overdue(now + timedelta(days=1)).reminded] == [late]


def in_review_review(training_session, expert):
    return next(r for r in summary(training_session).reviews if r.expert == expert)


def test_remind_command(app, runner, create_session, create_expert, create_user, smtp_server):
    with app.app_context():
        training_session = create_session(SessionStatus.IN_REVIEW)
        expert = create_expert(user=create_user(Role.EXPERT))
        assign_reviewer(training_session, expert, None, due_on=None).due_on = date.today() - timedelta(days=1)
        db.session.commit()
        email = expert.user.email
    app.config["PUBLIC_BASE_URL"] = "https://centre.example.ma"  # mail leaves through a server: links need it
    result = runner.invoke(args=["reviews", "remind"])
    assert result.exit_code == 0 and email in result.output and "1 reminder(s) sent, 0 expert(s) not reachable." in result.output


def test_mail_commands_refuse_to_run_without_the_public_address(app, runner, create_session, create_expert,
                                                                 create_user, smtp_server):
    """`flask reviews remind` mailed links to http://127.0.0.1:5000 when CENTRE_PUBLIC_BASE_URL was unset (issue 19)."""
    with app.app_context():
        training_session = create_session(SessionStatus.IN_REVIEW)
        expert = create_expert(user=create_user(Role.EXPERT))
        assign_reviewer(training_session, expert, None, due_on=None).due_on = date.today() - timedelta(days=1)
        db.session.commit()
        email, code = expert.user.email, training_session.code
    smtp_server.messages.clear()
    app.config["PUBLIC_BASE_URL"] = ""
    for args in (["reviews", "remind"], ["certificates", "issue", code, "--email", "--wait"]):
        refused = runner.invoke(args=args)
        assert refused.exit_code == 1 and "CENTRE_PUBLIC_BASE_URL" in refused.output, (args, refused.output)
    assert smtp_server.messages == []
    app.config["PUBLIC_BASE_URL"] = "https://centre.example.ma"
    assert runner.invoke(args=["reviews", "remind"]).exit_code == 0
    [message] = smtp_server.to(email)
    body = message.get_body(("plain",)).get_content()
    assert "https://centre.example.ma/reviews/" in body and "127.0.0.1" not in body


def test_summary_gives_median_and_spread_and_shows_a_disagreement(app, client, login_as, create_session,
                                                                   create_expert):
    """Issue 19: the design asks for median and spread beside the mean; experts 2 points apart are seen."""
    with app.app_context():
        training_session = create_session(SessionStatus.IN_REVIEW)
        for relevance, methodology in ((5, 4), (2, 3), (4, 4)):
            record_review(training_session, create_expert(), recommendation=Recommendation.APPROVE,
                          score_relevance=relevance, score_methodology=methodology, score_audience=4)
        result = summary(training_session)
        assert result.medians == {"score_relevance": 4, "score_methodology": 4, "score_audience": 4}
        assert result.spreads == {"score_relevance": 3, "score_methodology": 1, "score_audience": 0}
        assert result.disagreements == ["score_relevance"]
        db.session.commit()
        session_id = training_session.id
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Median" in page and "Spread (highest minus lowest)" in page
    assert "The experts disagree, by 2 points or more, on: Relevance." in page
    assert page.count('class="disagreement"') == 1


def test_experts_without_an_account_get_their_assignment_and_reminders_with_a_personal_link(
        app, runner, create_session, create_expert, smtp_server):
    """Issue 19, item 6: only experts with an account were mailed; the reminder said nothing of the others."""
    from centre.experts.services import accept_invitation

    with app.app_context():
        app.config["PUBLIC_BASE_URL"] = "https://centre.example.ma"
        training_session = create_session(SessionStatus.IN_REVIEW)
        reachable = create_expert(email="awa.sarr@example.sn")
        silent = create_expert(email=None)
        review = assign_reviewer(training_session, reachable, None, due_on=None)
        other = assign_reviewer(training_session, silent, None, due_on=None)
        review.due_on = other.due_on = date.today() - timedelta(days=2)
        db.session.commit()
        assert reachable.user is not None and reachable.user.password_hash is None
        review_id, code, silent_name = review.id, training_session.code, silent.name
    assigned, = smtp_server.to("awa.sarr@example.sn")
    link = re.search(r"https://centre.example.ma/experts/invitation/\S+", assigned.get_content())[0]
    assert f"https://centre.example.ma/reviews/{review_id}" in assigned.get_content()
    result = runner.invoke(args=["reviews", "remind"])
    assert "1 reminder(s) sent, 1 expert(s) not reachable." in result.output
    assert f"Could not remind {silent_name} about session {code}" in result.output
    reminder = smtp_server.to("awa.sarr@example.sn")[-1]
    newest = re.search(r"https://centre.example.ma/experts/invitation/(\S+)", reminder.get_content())[1]
    assert newest != link.rsplit("/", 1)[1]  # a new personal link; the newest works
    with app.app_context():
        expert = accept_invitation(newest, "a long password")
        assert expert.user.check_password("a long password")
