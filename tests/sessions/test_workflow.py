"""Every transition of the session workflow, every guard, and the refusals in French and Arabic."""
import pytest
from flask_babel import force_locale

from centre.audit import history
from centre.errors import DomainError
from centre.extensions import db
from centre.models import SessionStatus as S
from centre.sessions.services import TRANSITIONS, change_status

ORDER = [S.DRAFT, S.IN_REVIEW, S.APPROVED, S.OPEN, S.CLOSED, S.IN_PROGRESS, S.COMPLETED]
ALLOWED = [(source, target) for source, targets in TRANSITIONS.items() for target in targets]
REFUSED = [(source, target) for source in S for target in S
           if target not in TRANSITIONS[source] and target != source]


@pytest.mark.parametrize("source, target", ALLOWED, ids=lambda s: s.value)
def test_each_allowed_transition_is_made_and_audited(ctx, create_session, source, target):
    training_session = create_session(source)
    change_status_ready(training_session, target)
    assert training_session.status == target
    last = history(training_session)[-1]
    assert (last.from_state, last.to_state) == (source.value, target.value)


def change_status_ready(training_session, target):
    """Satisfy the guards the way a coordinator would, then move."""
    if target == S.APPROVED:
        from centre.models import Expert, Recommendation
        from centre.reviews.services import record_review

        for nationality in ("MA", "SN"):
            expert = Expert(given_name="E", family_name=nationality, nationality=nationality)
            db.session.add(expert)
            record_review(training_session, expert, score_relevance=4, score_methodology=4,
                          score_audience=4, recommendation=Recommendation.APPROVE)
    change_status(training_session, target, reason="Raison" if target == S.CANCELLED else "")


@pytest.mark.parametrize("source, target", REFUSED, ids=lambda s: s.value)
def test_each_other_transition_is_refused(ctx, create_session, source, target):
    training_session = create_session(source)
    with pytest.raises(DomainError, match="cannot go from"):
        change_status(training_session, target, reason="Raison")
    assert training_session.status == source


GUARDS = [
    # (status to start from, change to make, target, English message)
    (S.DRAFT, {"theme_fr": "", "theme_en": ""}, S.IN_REVIEW, "Describe the theme before sending it to the experts."),
    (S.DRAFT, {"slots": []}, S.IN_REVIEW, "The session has no slots."),
    (S.IN_REVIEW, {}, S.APPROVED, "A submitted review from a national expert is missing."),
    (S.IN_REVIEW, {}, S.APPROVED, "A submitted review from a foreign expert is missing."),
    (S.APPROVED, {"title_ar": ""}, S.OPEN, "Give the title in Arabic before opening registration."),
    (S.APPROVED, {"theme_ar": ""}, S.OPEN, "Give the theme in Arabic before opening registration."),
    (S.APPROVED, {"programme_fr": "Jour 1", "programme_ar": ""}, S.OPEN,
     "Give the programme in Arabic before opening registration."),
    (S.APPROVED, {"slots": []}, S.OPEN, "The session has no slots."),
    (S.OPEN, {}, S.CANCELLED, "Say why the session is cancelled."),
]


@pytest.mark.parametrize("source, change, target, message", GUARDS, ids=[g[3][:40] for g in GUARDS])
def test_each_guard_refuses_and_says_what_is_missing(ctx, create_session, source, change, target, message):
    training_session = create_session(source)
    for name, value in change.items():
        setattr(training_session, name, value)
    with pytest.raises(DomainError) as refusal:
        change_status(training_session, target)
    assert message in str(refusal.value)
    assert training_session.status == source


def test_rejecting_review_needs_a_written_override(ctx, create_session, create_expert):
    from centre.models import Recommendation
    from centre.reviews.services import record_review

    training_session = create_session(S.IN_REVIEW)
    record_review(training_session, create_expert(national=True), score_relevance=2, score_methodology=2,
                  score_audience=2, recommendation=Recommendation.REJECT)
    record_review(training_session, create_expert(national=False), score_relevance=4, score_methodology=4,
                  score_audience=4, recommendation=Recommendation.APPROVE)
    with pytest.raises(DomainError, match="written reason"):
        change_status(training_session, S.APPROVED)
    change_status(training_session, S.APPROVED, override_reason="Le programme a été revu avec l'expert.")
    assert history(training_session)[-1].details["override_reason"] == "Le programme a été revu avec l'expert."


@pytest.mark.parametrize("language, missing_title, missing_foreign, cannot_go", [
    ("fr", "Indiquez le titre en arabe avant d'ouvrir les inscriptions.",
     "Il manque l'avis d'un expert étranger.",
     "Une session ne peut pas passer de l'état «\u00a0Brouillon\u00a0» à l'état «\u00a0Ouverte aux "
     "inscriptions\u00a0»."),  # French typography: no-break spaces inside the guillemets
    ("ar", "يرجى إدخال العنوان بالعربية قبل فتح التسجيل.",
     "لم تُقدَّم بعدُ دراسة من طرف خبير أجنبي.",
     "لا يمكن نقل الدورة من حالة «مسودة» إلى حالة «مفتوحة للتسجيل»."),
])
def test_refusals_are_given_in_french_and_arabic(app, create_session, language, missing_title,
                                                 missing_foreign, cannot_go):
    with app.app_context(), force_locale(language):
        approved = create_session(S.APPROVED, title_ar="")
        with pytest.raises(DomainError) as refusal:
            change_status(approved, S.OPEN)
        assert str(refusal.value) == missing_title
        in_review = create_session(S.IN_REVIEW)
        with pytest.raises(DomainError) as refusal:
            change_status(in_review, S.APPROVED)
        assert missing_foreign in str(refusal.value)
        with pytest.raises(DomainError) as refusal:
            change_status(create_session(S.DRAFT), S.OPEN)
        assert str(refusal.value) == cannot_go
        db.session.rollback()


def test_refusal_shown_on_the_page_in_arabic(app, client, login_as, create_session):
    from tests.conftest import post

    with app.app_context():
        session_id = create_session(S.APPROVED, title_ar="").id
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "ar")
    response = post(client, f"/sessions/{session_id}/status/open", form_url=f"/sessions/{session_id}")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'dir="rtl"' in html and "يرجى إدخال العنوان بالعربية قبل فتح التسجيل." in html
