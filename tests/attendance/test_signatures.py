"""Signed sign-in: a trainee signs each half-day on their phone, the trainer countersigns the list,
the signatures are never changed, and the sign-in sheet prints them."""
import base64
import subprocess
from datetime import timedelta

import pytest
import sqlalchemy as sa

from centre.attendance import signatures
from centre.attendance.services import save_marks, sign_in_sheet
from centre.extensions import db
from centre.models import AttendanceMark, AttendanceSignature, MarkStatus, Role, SessionStatus
from centre.sessions.services import set_trainer
from tests.conftest import post, signature_png

DRAWING = "data:image/png;base64," + base64.b64encode(signature_png()).decode()


@pytest.fixture
def room(ctx, create_session, create_registration, create_trainee, create_user, create_expert):
    """A session in progress, two accepted trainees with accounts, and a trainer with an account."""
    training_session = create_session(SessionStatus.IN_PROGRESS)
    first, second = (create_registration(training_session, create_trainee(user=create_user(Role.TRAINEE)))
                     for _ in range(2))
    trainer = create_expert(user=create_user(Role.EXPERT))
    set_trainer(training_session, trainer, 2, None)
    slot = training_session.slots[0]
    return training_session, slot, first, second, trainer


def test_a_trainee_signs_the_half_day_under_way_once_and_is_marked_present(room):
    training_session, slot, first, second, _ = room
    user = first.trainee.user
    refusals = [
        (slot.starts_at - timedelta(minutes=1), first, "opens when it starts", 409),
        (slot.ends_at, first, "closed when it ended", 409),
        (slot.starts_at + timedelta(minutes=5), second, "not yours", 403),
    ]
    for now, registration, message, status in refusals:
        with pytest.raises(signatures.SignatureRefused, match=message) as refused:
            signatures.sign(slot, registration, user, DRAWING, "203.0.113.7", now=now)
        assert refused.value.status == status
    for drawing, message in [("", "Sign in the box"), ("data:image/png;base64,@@@", "drawn in the box"),
                             ("data:image/png;base64," + base64.b64encode(signature_png(kind="JPEG")).decode(),
                              "drawn in the box"),
                             ("data:image/png;base64," + base64.b64encode(_blank_png()).decode(), "empty")]:
        with pytest.raises(signatures.SignatureRefused, match=message) as refused:
            signatures.sign(slot, first, user, drawing, "203.0.113.7", now=slot.starts_at + timedelta(minutes=5))
        assert refused.value.status == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceSignature)) == 0

    late = slot.starts_at + timedelta(minutes=20)
    signature = signatures.sign(slot, first, user, DRAWING, "203.0.113.7", now=late)
    assert signature.client_address == "203.0.113.7" and signature.signed_at == late
    assert signature.mark_status == MarkStatus.LATE
    assert db.session.scalar(sa.select(AttendanceMark.status).where(AttendanceMark.registration_id == first.id)) \
        == MarkStatus.LATE
    with pytest.raises(signatures.SignatureRefused, match="already signed") as refused:
        signatures.sign(slot, first, user, DRAWING, "203.0.113.7", now=late + timedelta(minutes=1))
    assert refused.value.status == 409


def _blank_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 100), "white").save(out, "PNG")
    return out.getvalue()


def test_a_signature_is_never_changed_neither_through_the_app_nor_in_the_database(room):
    _, slot, first, _, _ = room
    signature = signatures.sign(slot, first, first.trainee.user, DRAWING, "198.51.100.2",
                                now=slot.starts_at + timedelta(minutes=1))
    db.session.commit()
    signature.client_address = "10.0.0.1"
    with pytest.raises(ValueError, match="never changed"):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(sa.exc.DatabaseError, match="never changed"):
        db.session.execute(sa.text("UPDATE attendance_signature SET client_address = '10.0.0.1'"))
    db.session.rollback()
    assert db.session.get(AttendanceSignature, signature.id).client_address == "198.51.100.2"


def test_the_trainer_countersigns_the_list_as_it_stands_and_the_sheet_prints_both(room, create_user, tmp_path):
    training_session, slot, first, second, trainer = room
    now = slot.starts_at + timedelta(minutes=3)
    with pytest.raises(signatures.SignatureRefused, match="Only a trainer"):
        signatures.countersign(slot, create_user(Role.EXPERT), DRAWING, "192.0.2.1", now=now)
    with pytest.raises(signatures.SignatureRefused, match="nothing to countersign"):
        signatures.countersign(slot, trainer.user, DRAWING, "192.0.2.1", now=now)
    signed = [signatures.sign(slot, r, r.trainee.user, DRAWING, "192.0.2.9", now=now) for r in (first, second)]
    countersignature = signatures.countersign(slot, trainer.user, DRAWING, "192.0.2.1", now=now + timedelta(hours=1))
    assert countersignature.signature_ids == [s.id for s in signed]
    with pytest.raises(signatures.SignatureRefused, match="already countersigned"):
        signatures.countersign(slot, trainer.user, DRAWING, "192.0.2.1", now=now + timedelta(hours=2))
    with pytest.raises(signatures.SignatureRefused, match="closed"):
        signatures.countersign(training_session.slots[1], trainer.user, DRAWING, "192.0.2.1",
                               now=training_session.slots[1].ends_at + timedelta(hours=13))
    # A coordinator changes one mark afterwards: the sheet flags it.
    save_marks(training_session, {(second.id, slot.id): MarkStatus.ABSENT}, None)
    pdf = sign_in_sheet(training_session, slot)
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    images = subprocess.run(["pdfimages", "-list", tmp_path / "sheet.pdf"], capture_output=True, text=True).stdout
    assert len([line for line in images.splitlines()[2:] if line.strip()]) == 3  # two signatures, one countersignature
    assert "La présence a été modifiée après la signature du participant." in text  # the sheet is in French and Arabic
    assert trainer.name in text
    assert text.count(" *") == 1


def test_the_pages_sign_countersign_and_show_who_signed(app, create_session, create_registration, create_trainee,
                                                        create_user, create_expert):
    """The wiring, at the hour of the slot under way (a session in progress today)."""
    from datetime import datetime, timezone

    from centre.clock import today
    from tests.conftest import PASSWORD

    with app.app_context():
        start = today()
        training_session = create_session(SessionStatus.IN_PROGRESS, start_on=start, end_on=start)
        slot = training_session.slots[0]
        slot.starts_at = datetime.now(timezone.utc) - timedelta(minutes=5)
        slot.ends_at = slot.starts_at + timedelta(hours=3)
        trainee_user, trainer_user, other_user = (create_user(r) for r in (Role.TRAINEE, Role.EXPERT, Role.TRAINEE))
        registration = create_registration(training_session, create_trainee(user=trainee_user))
        other = create_registration(training_session, create_trainee(user=other_user))
        set_trainer(training_session, create_expert(user=trainer_user), 1, None)
        ids = {"slot": slot.id, "session": training_session.id, "registration": registration.id, "other": other.id}
        emails = trainee_user.email, trainer_user.email, create_user(Role.COORDINATOR).email
        db.session.commit()
    trainee, trainer, coordinator = app.test_client(), app.test_client(), app.test_client()
    for client, email in zip((trainee, trainer, coordinator), emails):
        post(client, "/login", {"email": email, "password": PASSWORD}, form_url="/login")
        client.set_cookie("centre_lang", "en")
    page = f"/attendance/sign/{ids['slot']}"
    assert 'class="signature-pad"' in trainee.get(page).get_data(as_text=True)
    refused = post(trainee, page, {"registration_id": ids["other"], "signature": DRAWING}, form_url=page)
    assert refused.status_code == 403 and "not yours" in refused.get_data(as_text=True)
    assert post(trainee, page, {"registration_id": ids["registration"], "signature": ""}, form_url=page).status_code == 400
    done = post(trainee, page, {"registration_id": ids["registration"], "signature": DRAWING}, form_url=page)
    assert done.status_code == 302
    again = post(trainee, page, {"registration_id": ids["registration"], "signature": DRAWING},
                 form_url="/registrations/mine")
    assert again.status_code == 409 and "already signed" in again.get_data(as_text=True)
    assert f"/attendance/countersign/{ids['slot']}" in trainer.get("/attendance/teaching").get_data(as_text=True)
    counter = f"/attendance/countersign/{ids['slot']}"
    assert "data:image/png;base64," in trainer.get(counter).get_data(as_text=True)
    assert post(trainer, counter, {"signature": DRAWING}, form_url=counter).status_code == 302
    grid = coordinator.get(f"/attendance/session/{ids['session']}").get_data(as_text=True)
    assert grid.count('class="signed-mark"') == 1
    with app.app_context():
        assert db.session.scalar(sa.select(AttendanceSignature.client_address)) == "127.0.0.1"


def test_erasing_a_trainees_data_deletes_their_signatures_and_keeps_the_marks(room):
    from centre.registrations.personal_data import anonymise, export

    _, slot, first, _, _ = room
    signatures.sign(slot, first, first.trainee.user, DRAWING, "198.51.100.4", now=slot.starts_at)
    (signed,) = export(first.trainee)["registrations"][0]["signatures"]
    assert signed["client_address"] == "198.51.100.4"
    anonymise(first.trainee)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceSignature)) == 0
    assert db.session.scalar(sa.select(AttendanceMark.status).where(AttendanceMark.registration_id == first.id)) \
        == MarkStatus.PRESENT
