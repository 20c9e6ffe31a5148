import sqlalchemy as sa

from centre.extensions import db
from centre.models import AttendanceMark, SessionStatus
from tests.conftest import post


def test_grid_refuses_a_registration_of_another_session(app, client, login_as, create_session, create_registration):
    with app.app_context():
        here = create_session(SessionStatus.IN_PROGRESS)
        elsewhere = create_registration(create_session(SessionStatus.IN_PROGRESS))
        url, slot_id, other_id = f"/attendance/session/{here.id}", here.slots[0].id, elsewhere.id
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    response = post(client, url, {f"mark-{other_id}-{slot_id}": "present"}, form_url=url)
    assert response.status_code == 409
    assert "not part of this session" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AttendanceMark.id))) == 0


def test_grid_refuses_an_unknown_mark(app, client, login_as, create_session, create_registration):
    with app.app_context():
        training_session = create_session(SessionStatus.IN_PROGRESS)
        registration = create_registration(training_session)
        url = f"/attendance/session/{training_session.id}"
        key = f"mark-{registration.id}-{training_session.slots[0].id}"
        db.session.commit()
    login_as("coordinator")
    assert post(client, url, {key: "on-the-beach"}, form_url=url).status_code == 400
