"""The trainee's space: one page with each registration's status and next step, the convocation,
the half-day to sign now and the attendance so far."""
from datetime import datetime, timedelta, timezone

from centre.clock import today
from centre.extensions import db
from centre.models import Registration, RegistrationStatus, Role, SessionStatus
from tests.conftest import PASSWORD, post


def test_the_space_shows_each_registration_with_its_next_step_and_what_to_do_now(
        app, client, create_session, create_registration, create_trainee, create_user):
    with app.app_context():
        user = create_user(Role.TRAINEE)
        trainee = create_trainee(user=user, email=user.email)
        running = create_session(SessionStatus.IN_PROGRESS, start_on=today(), end_on=today(), title_fr="En cours")
        slot = running.slots[0]
        slot.starts_at = datetime.now(timezone.utc) - timedelta(minutes=5)
        slot.ends_at = slot.starts_at + timedelta(hours=3)
        accepted = create_registration(running, trainee)
        waiting = create_registration(create_session(SessionStatus.OPEN, title_fr="Plus tard"), trainee,
                                      status=RegistrationStatus.WAITLISTED, waitlist_position=2)
        ids, email, waiting_id = (accepted.id, slot.id), user.email, waiting.id
        db.session.commit()
    post(client, "/login", {"email": email, "password": PASSWORD}, form_url="/login")
    client.set_cookie("centre_lang", "en")
    html = client.get("/registrations/mine").get_data(as_text=True)
    assert "<h1>My space</h1>" in html
    assert "The session is under way: sign each half-day on this page." in html
    assert "You are on the waiting list" in html and "position 2 on the waiting list" in html
    assert f"/joining/{ids[0]}/convocation.pdf" in html and f"/joining/{ids[0]}/session.ics" in html
    assert f"/attendance/sign/{ids[1]}" in html
    assert "Half-days attended: 0 of 0 counted" in html
    # Cancelling is offered before a session only; once it is under way, it is refused in words.
    assert f"/registrations/{waiting_id}/cancel" in html and f"/registrations/{ids[0]}/cancel" not in html
    refused = post(client, f"/registrations/{ids[0]}/cancel", {}, form_url="/registrations/mine", follow_redirects=True)
    assert "registration can no longer be cancelled" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Registration, ids[0]).status == RegistrationStatus.ACCEPTED
    assert client.get(f"/joining/{ids[0]}/session.ics").headers["Content-Type"].startswith("text/calendar")
