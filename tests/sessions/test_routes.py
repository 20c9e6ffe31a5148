import re
from datetime import date

import pytest
import sqlalchemy as sa

from centre.extensions import db
from centre.models import Expert, SessionStatus, TrainingSession
from tests.conftest import post


def make(app, create_session, status=SessionStatus.DRAFT, **fields):
    with app.app_context():
        training_session = create_session(status, **fields)
        db.session.commit()
        return training_session.id, training_session.code


def test_coordinator_edits_a_session(app, client, login_as, create_session):
    session_id, code = make(app, create_session)
    login_as("coordinator")
    page = client.get(f"/sessions/{session_id}/edit")
    assert page.status_code == 200 and f'value="{code}"' in page.get_data(as_text=True)
    form = {
        "code": code, "kind": "immersion", "title_fr": "Titre révisé", "title_ar": "عنوان", "theme_fr": "Thème",
        "venue_fr": "Rabat", "start_on": "2026-03-02", "end_on": "2026-03-06", "capacity": "25",
        "languages": ["fr", "ar"], "attendance_threshold": "80",
    }
    response = post(client, f"/sessions/{session_id}/edit", form, form_url=f"/sessions/{session_id}/edit")
    assert response.status_code == 302
    with app.app_context():
        training_session = db.session.get(TrainingSession, session_id)
        assert (training_session.title_fr, training_session.capacity, training_session.languages) == (
            "Titre révisé", 25, "fr,ar")


def test_edit_with_bad_input_is_a_400_with_the_form(app, client, login_as, create_session):
    session_id, code = make(app, create_session)
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    response = post(client, f"/sessions/{session_id}/edit", {"code": code, "capacity": "-3"},
                    form_url=f"/sessions/{session_id}/edit")
    assert response.status_code == 400
    assert "Number must be between 1 and 10000." in response.get_data(as_text=True)


def test_coordinator_duplicates_a_session(app, client, login_as, create_session):
    session_id, _ = make(app, create_session, SessionStatus.COMPLETED)
    login_as("coordinator")
    url = f"/sessions/{session_id}/duplicate"
    response = post(client, url, {"code": "2027-09", "start_on": "2027-09-06"}, form_url=url)
    assert response.status_code == 302
    with app.app_context():
        copy = db.session.scalar(sa.select(TrainingSession).where(TrainingSession.code == "2027-09"))
        assert copy.status == SessionStatus.DRAFT and response.headers["Location"] == f"/sessions/{copy.id}"


def test_slots_page_adds_a_slot(app, client, login_as, create_session):
    session_id, _ = make(app, create_session)
    login_as("coordinator")
    url = f"/sessions/{session_id}/slots"
    assert client.get(url).status_code == 200
    response = post(client, url, {"day": "2026-03-04", "part": "afternoon", "starts": "18:00", "ends": "19:30"},
                    form_url=url)
    assert response.status_code == 302
    refused = post(client, url, {"day": "2026-03-04", "part": "afternoon", "starts": "18:30", "ends": "19:00"},
                   form_url=url)
    assert refused.status_code == 400
    with app.app_context():
        assert len(db.session.get(TrainingSession, session_id).slots) == 11


def test_trainer_is_added_from_the_session_page(app, client, login_as, create_session, create_expert):
    session_id, _ = make(app, create_session)
    with app.app_context():
        expert_id = create_expert().id
        db.session.commit()
    login_as("coordinator")
    url = f"/sessions/{session_id}"
    assert post(client, f"{url}/trainers", {"expert_id": expert_id, "days": "2.5"}, form_url=url).status_code == 302
    assert "2,5" in client.get(url).get_data(as_text=True)  # French decimal comma


def test_refused_transition_button_is_disabled_and_explained(app, client, login_as, create_session):
    session_id, _ = make(app, create_session, SessionStatus.IN_REVIEW)
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    html = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    approve = re.search(r'<button[^>]*>Approve</button>', html)[0]
    assert "disabled" in approve
    assert "A submitted review from a national expert is missing." in html


def test_calendar_and_feeds(app, client, login_as, create_session):
    session_id, code = make(app, create_session, SessionStatus.OPEN, start_on=date(2026, 3, 2), end_on=date(2026, 3, 6))
    login_as("coordinator")
    assert code in client.get("/sessions/calendar?month=2026-03").get_data(as_text=True)
    assert client.get("/sessions/calendar?month=garbage").status_code == 200
    feed = client.get(f"/sessions/{session_id}.ics")
    assert feed.mimetype == "text/calendar" and feed.data.count(b"BEGIN:VEVENT") == 10
    public = client.get("/catalogue.ics")
    assert public.mimetype == "text/calendar" and code.encode() in public.data


def test_filters_with_nonsense_are_not_an_error(client, login_as):
    login_as("coordinator")
    assert client.get("/sessions/?year=abc&status=nope&association=x").status_code == 200


def test_expert_reviews_an_assigned_session_in_the_browser(app, client, login_as, create_session, create_expert):
    session_id, _ = make(app, create_session, SessionStatus.IN_REVIEW)
    user_id = login_as("expert")
    with app.app_context():
        from centre.reviews.services import assign_reviewer

        expert = create_expert(user_id=user_id)
        review_id = assign_reviewer(db.session.get(TrainingSession, session_id), expert, None, due_on=None).id
        db.session.commit()
    assert client.get("/dashboard").headers["Location"] == "/reviews/mine"
    assert f"/reviews/{review_id}" in client.get("/reviews/mine").get_data(as_text=True)
    url = f"/reviews/{review_id}"
    response = post(client, url, {"score_relevance": "4", "score_methodology": "5", "score_audience": "4",
                                  "recommendation": "approve_with_changes", "comments": "Ajouter un cas."},
                    form_url=url)
    assert response.status_code == 302
    with app.app_context():
        from centre.models import Review

        review = db.session.get(Review, review_id)
        assert review.is_submitted and review.recorded_by_id == user_id


def test_expert_declares_a_conflict_in_the_browser(app, client, login_as, create_session, create_expert):
    session_id, _ = make(app, create_session, SessionStatus.IN_REVIEW)
    user_id = login_as("expert")
    with app.app_context():
        from centre.reviews.services import assign_reviewer

        review_id = assign_reviewer(db.session.get(TrainingSession, session_id),
                                    create_expert(user_id=user_id), None, due_on=None).id
        db.session.commit()
    url = f"/reviews/{review_id}"
    assert post(client, f"{url}/conflict", {"note": ""}, form_url=url).status_code == 400
    assert post(client, f"{url}/conflict", {"note": "Mon institution organise la session"},
                form_url=url).status_code == 302
    with app.app_context():
        from centre.models import Review

        assert db.session.get(Review, review_id).has_conflict


def test_coordinator_assigns_an_expert(app, client, login_as, create_session, create_expert):
    session_id, _ = make(app, create_session, SessionStatus.IN_REVIEW)
    with app.app_context():
        expert_id = create_expert().id
        db.session.commit()
    login_as("coordinator")
    url = f"/sessions/{session_id}"
    assert post(client, f"/reviews/session/{session_id}/assign", {"expert_id": expert_id, "due_on": ""},
                form_url=url).status_code == 302
    again = post(client, f"/reviews/session/{session_id}/assign", {"expert_id": expert_id}, form_url=url)
    assert again.status_code == 400
    with app.app_context():
        assert db.session.get(Expert, expert_id) is not None




def test_sessions_list_is_shown_a_page_at_a_time_in_arabic_too(app, client, login_as, create_session, monkeypatch):
    import centre.pagination

    monkeypatch.setattr(centre.pagination, "PER_PAGE", 2)
    with app.app_context():
        codes = [create_session(SessionStatus.DRAFT).code for _ in range(5)]
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "ar")
    first = client.get("/sessions/?kind=").get_data(as_text=True)
    assert 'dir="rtl"' in first and 'class="pager"' in first
    assert 'rel="next" href="/sessions/?kind=&amp;page=2"' in first and 'rel="prev"' not in first
    last = client.get("/sessions/?page=3").get_data(as_text=True)
    assert 'rel="prev" href="/sessions/?page=2"' in last and 'rel="next"' not in last
    shown = [code for page in (1, 2, 3) for code in codes
             if code in client.get(f"/sessions/?page={page}").get_data(as_text=True)]
    assert sorted(shown) == sorted(codes)
    assert client.get("/sessions/?page=0").status_code == client.get("/sessions/?page=99").status_code == 200


@pytest.mark.parametrize("score", ["0", "6", "-1"])
def test_a_score_outside_one_to_five_gets_the_range_message_in_the_form(app, client, login_as, create_session,
                                                                        create_expert, score):
    session_id, _ = make(app, create_session, SessionStatus.IN_REVIEW)
    user_id = login_as("expert")
    with app.app_context():
        from centre.reviews.services import assign_reviewer

        review_id = assign_reviewer(db.session.get(TrainingSession, session_id), create_expert(user_id=user_id),
                                    None, due_on=None).id
        db.session.commit()
    url = f"/reviews/{review_id}"
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    response = post(client, url, {"score_relevance": "4", "score_methodology": score, "score_audience": "4",
                                  "recommendation": "approve"}, form_url=url)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Number must be between 1 and 5." in page and "This field is required." not in page
