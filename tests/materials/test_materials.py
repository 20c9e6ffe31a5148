"""A session's materials: uploaded by coordinators and the session's trainers through the one file
storage, each seen by whom it says, downloaded one by one or as a ZIP."""
import io
import zipfile
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from centre.errors import DomainError
from centre.extensions import db
from centre.files import Upload
from centre.materials import services
from centre.models import Material, RegistrationStatus, Role, SessionStatus, Visibility
from centre.sessions.services import set_trainer
from tests.conftest import PASSWORD, post

PDF = b"%PDF-1.4\n% a programme\n%%EOF\n"


@pytest.fixture
def people(app, create_session, create_registration, create_trainee, create_user, create_expert):
    """A session with an accepted and a waitlisted trainee, a trainer, another expert and a coordinator;
    returns their e-mail addresses and the session's id."""
    with app.app_context():
        training_session = create_session(SessionStatus.CLOSED)
        accounts = {role: create_user(r) for role, r in (("accepted", Role.TRAINEE), ("waiting", Role.TRAINEE),
                                                         ("trainer", Role.EXPERT), ("other", Role.EXPERT),
                                                         ("coordinator", Role.COORDINATOR))}
        create_registration(training_session, create_trainee(user=accounts["accepted"]))
        create_registration(training_session, create_trainee(user=accounts["waiting"]),
                            status=RegistrationStatus.WAITLISTED, waitlist_position=1)
        set_trainer(training_session, create_expert(user=accounts["trainer"]), 2, None)
        create_expert(user=accounts["other"])
        emails = {name: user.email for name, user in accounts.items()}
        session_id = training_session.id
        db.session.commit()
    return emails, session_id


def _client(app, email):
    client = app.test_client()
    post(client, "/login", {"email": email, "password": PASSWORD}, form_url="/login")
    client.set_cookie("centre_lang", "en")
    return client


def _upload(client, session_id, name, data, visibility="trainees", title=""):
    page = f"/materials/session/{session_id}"
    return post(client, page, {"file": (io.BytesIO(data), name), "visibility": visibility, "title": title},
                form_url=page, content_type="multipart/form-data")


def test_each_material_is_seen_by_whom_it_says_and_trainees_take_them_one_by_one_or_zipped(app, people):
    emails, session_id = people
    coordinator, trainer = _client(app, emails["coordinator"]), _client(app, emails["trainer"])
    assert _upload(coordinator, session_id, "برنامج الدورة.pdf", PDF).status_code == 302
    assert _upload(trainer, session_id, "notes.pdf", PDF + b"trainers", "trainers", "Notes du formateur").status_code == 302
    assert _upload(coordinator, session_id, "budget.pdf", PDF + b"staff", "staff").status_code == 302
    assert _client(app, emails["other"]).get(f"/materials/session/{session_id}").status_code == 404
    with app.app_context():
        ids = {m.visibility: m.id for m in db.session.scalars(sa.select(Material))}
    accepted, waiting = _client(app, emails["accepted"]), _client(app, emails["waiting"])
    download = accepted.get(f"/materials/{ids[Visibility.TRAINEES]}/x.pdf")
    assert download.status_code == 200 and download.data == PDF
    assert "برنامج الدورة.pdf" in unquote(download.headers["Content-Disposition"])
    assert accepted.get(f"/materials/{ids[Visibility.TRAINERS]}/x.pdf").status_code == 404
    assert waiting.get(f"/materials/{ids[Visibility.TRAINEES]}/x.pdf").status_code == 404
    assert trainer.get(f"/materials/{ids[Visibility.TRAINERS]}/x.pdf").status_code == 200
    assert trainer.get(f"/materials/{ids[Visibility.STAFF]}/x.pdf").status_code == 404
    archive = zipfile.ZipFile(io.BytesIO(accepted.get(f"/materials/session/{session_id}/materials.zip").data))
    assert archive.namelist() == ["برنامج الدورة.pdf"]
    assert sorted(zipfile.ZipFile(io.BytesIO(trainer.get(f"/materials/session/{session_id}/materials.zip").data))
                  .namelist()) == ["Notes du formateur.pdf", "برنامج الدورة.pdf"]
    space = accepted.get("/registrations/mine").get_data(as_text=True)
    assert f"/materials/{ids[Visibility.TRAINEES]}/" in space and f"/materials/{ids[Visibility.TRAINERS]}/" not in space
    # A trainer removes what they added, not the coordinator's.
    assert post(trainer, f"/materials/{ids[Visibility.TRAINEES]}/remove",
                form_url=f"/materials/session/{session_id}", follow_redirects=True).status_code == 200
    with app.app_context():
        assert db.session.get(Material, ids[Visibility.TRAINEES]) is not None


def test_an_upload_that_is_not_what_it_claims_or_too_large_is_refused_in_words(app, people, monkeypatch):
    emails, session_id = people
    coordinator = _client(app, emails["coordinator"])
    response = _upload(coordinator, session_id, "programme.pdf", b"<html><script>alert(1)</script></html>")
    assert response.status_code == 400 and "not one of the accepted kinds" in response.get_data(as_text=True)
    monkeypatch.setattr(services, "MAX_BYTES", 16)
    response = _upload(coordinator, session_id, "programme.pdf", PDF)
    assert response.status_code == 400 and "too large" in response.get_data(as_text=True)
    response = _upload(coordinator, session_id, "", b"")
    assert response.status_code == 400 and "Choose a file" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Material)) == 0


def test_only_coordinators_and_the_sessions_trainers_add_materials(ctx, create_session, create_user, create_expert):
    training_session = create_session(SessionStatus.OPEN)
    with pytest.raises(DomainError, match="Only coordinators and the session's trainers"):
        services.add_material(training_session, Upload("a.pdf", "pdf", PDF), Visibility.TRAINEES,
                              create_expert(user=create_user(Role.EXPERT)).user)
    material = services.add_material(training_session, Upload("‮fdp.exe", "pdf", PDF), Visibility.TRAINEES,
                                     create_user(Role.COORDINATOR), title="  Programme   détaillé ")
    assert material.title == "Programme détaillé" and services.download_name(material) == "Programme détaillé.pdf"
