"""Every route, walked with every role, against a table declared here.

A route added without an entry in EXPECTED fails this test; so does a role that gets in
where the table says it must not (or is kept out where it should get in).
"""
import pytest
import sqlalchemy as sa

from centre.extensions import db
from centre.models import Certificate, DocumentLanguage, MarkStatus, Role, SessionStatus
from tests.conftest import PASSWORD, post

ROLES = ("anonymous", "trainee", "expert", "coordinator", "admin")
OK, LOGIN, FORBIDDEN, HIDDEN = "ok", "login", "forbidden", "hidden"

ANYONE = dict.fromkeys(ROLES, OK)
STAFF = {"anonymous": LOGIN, "trainee": FORBIDDEN, "expert": FORBIDDEN, "coordinator": OK, "admin": OK}
SIGNED_IN = {**dict.fromkeys(ROLES, OK), "anonymous": LOGIN}
#: Trainee endpoints about one registration: the sweep's trainee is not its owner, so 404.
OWNER_OR_STAFF = {**STAFF, "trainee": HIDDEN}

EXPECTED = {
    "static": ANYONE,
    "main.index": ANYONE,
    "main.set_language": ANYONE,
    "main.dashboard": SIGNED_IN,
    "main.healthz": ANYONE,
    "auth.login": ANYONE,
    "auth.logout": ANYONE,
    "public.catalogue": ANYONE,
    "public.session": ANYONE,
    "public.register": ANYONE,
    "public.verify": ANYONE,
    "public.verify_form": ANYONE,
    "sessions.index": STAFF,
    "sessions.create": STAFF,
    "sessions.detail": STAFF,
    "sessions.transition": STAFF,
    "reviews.record": STAFF,
    "registrations.index": STAFF,
    "registrations.decide": STAFF,
    "registrations.mine": {**STAFF, "trainee": OK, "coordinator": FORBIDDEN, "admin": FORBIDDEN},
    "registrations.cancel": OWNER_OR_STAFF,
    "attendance.grid": STAFF,
    "certificates.index": STAFF,
    "certificates.issue": STAFF,
    "certificates.download": OWNER_OR_STAFF,
}


@pytest.fixture
def world(app, create_session, create_registration, create_user, create_trainee, mark_all):
    """An open session, a completed one with a certificate, and one account per role."""
    from centre.certificates.services import issue_certificate

    with app.app_context():
        open_session = create_session(SessionStatus.OPEN)
        done = create_session(SessionStatus.IN_PROGRESS)
        owner = create_trainee(user=create_user(Role.TRAINEE))
        registration = create_registration(done, trainee=owner)
        mark_all(registration, present=10, rest=MarkStatus.PRESENT)
        from centre.sessions.services import change_status

        change_status(done, SessionStatus.COMPLETED)
        certificate = issue_certificate(registration, DocumentLanguage.FR, None)
        accounts = {}
        for role in ROLES[1:]:
            user = create_user(Role(role))
            if role == "trainee":
                create_trainee(user=user, email=user.email)
            accounts[role] = user.email
        db.session.commit()
        return {
            "accounts": accounts,
            "values": {
                "session_id": done.id, "registration_id": registration.id,
                "certificate_id": certificate.id, "decision": "accepted", "target": "cancelled",
                "filename": "css/app.css",
            },
            "codes": {"public.session": open_session.code, "public.register": open_session.code,
                      "public.verify": certificate.verification_code, "main.set_language": "en"},
        }


def outcome(response) -> str:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 404:
        return HIDDEN
    if response.status_code == 302 and "/login" in response.headers["Location"]:
        return LOGIN
    return OK


def test_every_endpoint_is_declared(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(EXPECTED), "declare each new route in EXPECTED (and in centre.permissions.ACCESS)"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(app, world, role):
    seen = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        values = {arg: world["codes"].get(rule.endpoint) if arg == "code" else world["values"][arg]
                  for arg in rule.arguments}
        with app.test_request_context():
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
        client = app.test_client()
        if role != "anonymous":
            response = post(client, "/login", {"email": world["accounts"][role], "password": PASSWORD},
                            form_url="/login")
            assert response.status_code == 302
        if "GET" in rule.methods:
            response = client.get(url)
        else:
            response = post(client, url)
        seen[rule.endpoint] = outcome(response)
        response.close()
    expected = {endpoint: table[role] for endpoint, table in EXPECTED.items()}
    assert seen == expected


def test_trainee_downloads_own_certificate_but_not_anothers(app, world, client):
    with app.app_context():
        certificate = db.session.scalar(sa.select(Certificate))
        owner_email = certificate.registration.trainee.user.email
    post(client, "/login", {"email": owner_email, "password": PASSWORD}, form_url="/login")
    assert client.get(f"/certificates/{certificate.id}.pdf").status_code == 200
    other = app.test_client()
    post(other, "/login", {"email": world["accounts"]["trainee"], "password": PASSWORD}, form_url="/login")
    assert other.get(f"/certificates/{certificate.id}.pdf").status_code == 404
