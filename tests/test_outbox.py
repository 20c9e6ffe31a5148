"""The e-mail outbox: mails written with the change that causes them, sent by jobs after the commit,
against a real SMTP server on 127.0.0.1 that the tests stop and start again."""
import socket
import time
from collections import Counter

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from centre import create_app
from centre.errors import DomainError
from centre.extensions import db
from centre.jobs.services import enqueue, execute_job
from centre.mail import INTERRUPTED, SEND_ATTEMPTS, SEND_KIND, resend_mail
from centre.models import (AuditEntry, Expert, Job, JobStatus, MailStatus, OutboxMail, Registration,
                           RegistrationStatus, Role, SessionStatus, Trainee, TrainingSession)
from centre.reviews.services import assign_reviewer
from tests.conftest import _Inbox, post
from tests.registrations.test_routes import REGISTRATION
from tests.test_jobs import jobs_app, queue_url, start_worker, wait_for  # noqa: F401 (the real worker's fixtures)


class MailServer:
    """A real SMTP server (aiosmtpd) on a fixed port of 127.0.0.1 that can be stopped and started."""

    def __init__(self, app):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.inbox = _Inbox()
        self.controller = None
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=self.port)

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def message_ids(self) -> Counter:
        return Counter(message["Message-ID"] for message in self.inbox.messages)


@pytest.fixture
def queued_app(database_url, tmp_path):
    """An app whose jobs wait in a real queue (not run inline): the test runs them itself."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, QUEUE_URL=f"sqlite:///{tmp_path / 'q.sqlite3'}",
                     QUEUE_IMMEDIATE=False, MAIL_FOLDER=str(tmp_path / "mail"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["centre_queue"].storage.close()


def mails(app) -> list[OutboxMail]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id)).all()
        db.session.expunge_all()
        return rows


def run_queued_mail_jobs(app) -> list:
    """What a worker would do: run every queued mail job once (their back-off delay is not awaited)."""
    with app.app_context():
        job_ids = db.session.scalars(sa.select(Job.id).where(Job.kind == SEND_KIND, Job.status == JobStatus.QUEUED)
                                     .order_by(Job.id)).all()
        return [execute_job(job_id) for job_id in job_ids]


def test_smtp_down_the_actions_commit_and_each_mail_arrives_once_when_it_is_back(
        queued_app, create_session, create_registration, create_expert, create_user):
    app = queued_app
    server = MailServer(app)  # not started: the mail server is down
    with app.app_context():
        open_session = create_session(SessionStatus.OPEN, code="2026-DOWN")
        pending = create_registration(open_session, status=RegistrationStatus.PENDING)
        draft = create_session(SessionStatus.DRAFT)
        expert = create_expert(user=create_user(Role.EXPERT))
        coordinator = create_user(Role.COORDINATOR)
        db.session.commit()
        pending_id, draft_id, expert_id = pending.id, draft.id, expert.id
        coordinator_email = coordinator.email

    visitor = app.test_client()
    url = "/catalogue/2026-DOWN/register"
    assert post(visitor, url, REGISTRATION, form_url=url).status_code == 302  # the visitor registers
    staff = app.test_client()
    assert post(staff, "/login", {"email": coordinator_email, "password": "correct horse battery"},
                form_url="/login").status_code == 302
    staff.set_cookie("centre_lang", "en")
    response = post(staff, f"/registrations/{pending_id}/decide/accepted", form_url="/catalogue",
                    follow_redirects=True)  # the coordinator decides
    assert response.status_code == 200 and "could not be sent" not in response.get_data(as_text=True)
    with app.app_context():  # … and assigns an expert
        assign_reviewer(db.session.get(TrainingSession, draft_id), db.session.get(Expert, expert_id), None,
                        due_on=None)
        db.session.commit()

    with app.app_context():  # every action committed, each with its mail waiting in the outbox
        assert db.session.scalar(sa.select(Registration.id).join(Trainee)
                                 .where(Trainee.email == "moussa@example.ne")) is not None
        assert db.session.get(Registration, pending_id).status == RegistrationStatus.ACCEPTED
    written = mails(app)
    assert [m.template for m in written] == ["registration_received", "registration_decided", "review_assigned"]
    assert {m.status for m in written} == {MailStatus.QUEUED}

    assert run_queued_mail_jobs(app) == [JobStatus.QUEUED] * 3  # the first attempts fail: retried later
    assert all(m.status == MailStatus.QUEUED and m.attempts == 1 and "Connection refused" in m.last_error
               for m in mails(app))
    assert server.inbox.messages == []

    server.start()
    try:
        assert run_queued_mail_jobs(app) == [JobStatus.DONE] * 3
        assert run_queued_mail_jobs(app) == []  # nothing left to do
        with app.app_context():  # a stray job for a mail already sent does not send it again
            for mail in written:
                enqueue(SEND_KIND, None, entity=db.session.get(OutboxMail, mail.id))
            db.session.commit()
        assert run_queued_mail_jobs(app) == [JobStatus.DONE] * 3
        assert server.message_ids() == Counter({m.message_id: 1 for m in written})
        assert {m.status for m in mails(app)} == {MailStatus.SENT}
        assert all(m.sent_at is not None and m.attempts == 2 for m in mails(app))
    finally:
        server.stop()


def test_a_rolled_back_change_leaves_no_mail(app, ctx, smtp_server, create_session, create_expert, create_user):
    draft = create_session(SessionStatus.DRAFT)
    expert = create_expert(user=create_user(Role.EXPERT))
    db.session.commit()
    assign_reviewer(draft, expert, None, due_on=None)
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 1  # written in the transaction …
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 0  # … and gone with it
    assert db.session.scalar(sa.select(sa.func.count(Job.id)).where(Job.kind == SEND_KIND)) == 0
    assert smtp_server.messages == []


def test_a_mail_interrupted_while_sending_is_not_sent_again(app, ctx, smtp_server):
    """At most once: the worker died after claiming the mail, maybe after the server took it."""
    mail = OutboxMail(recipient="a@example.org", template="test_message", language="en", subject="Hello",
                      body="Hello\n", message_id="<interrupted@example.org>", status=MailStatus.SENDING, attempts=1)
    db.session.add(mail)
    db.session.flush()
    job = Job(kind=SEND_KIND, entity="outbox_mail", entity_id=mail.id, params={}, status=JobStatus.QUEUED,
              attempts=1, max_attempts=SEND_ATTEMPTS)  # as the reaper leaves the dead worker's job
    db.session.add(job)
    db.session.commit()
    assert execute_job(job.id) == JobStatus.DONE
    mail = db.session.get(OutboxMail, mail.id)
    assert (mail.status, mail.last_error) == (MailStatus.FAILED, INTERRUPTED)
    assert smtp_server.messages == []


def test_a_mail_left_sending_is_resent_only_once_no_job_can_finish_it(app, ctx, smtp_server):
    mail = OutboxMail(recipient="b@example.org", template="test_message", language="en", subject="Hello",
                      body="Hello\n", message_id="<stuck@example.org>", status=MailStatus.SENDING, attempts=1)
    db.session.add(mail)
    db.session.flush()
    job = Job(kind=SEND_KIND, entity="outbox_mail", entity_id=mail.id, params={}, status=JobStatus.RUNNING,
              attempts=1, max_attempts=SEND_ATTEMPTS)
    db.session.add(job)
    db.session.commit()
    with pytest.raises(DomainError):  # its job may still be talking to the server
        resend_mail(mail, None)
    job.status = JobStatus.FAILED  # the reaper gave it up: its worker died on the last attempt
    db.session.commit()
    resend_mail(mail, None)
    db.session.commit()
    assert db.session.get(OutboxMail, mail.id).status == MailStatus.SENT
    assert [m["Message-ID"] for m in smtp_server.messages] == ["<stuck@example.org>"]


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_failed_mail_is_listed_after_its_last_retry_and_resend_delivers_it(
        app, client, login_as, create_session, create_expert, create_user, language):
    server = MailServer(app)  # configured but down: in the tests jobs run inline, so every retry fails at once
    with app.app_context():
        assign_reviewer(create_session(SessionStatus.DRAFT), create_expert(user=create_user(Role.EXPERT)), None,
                        due_on=None)
        db.session.commit()
    failed, = mails(app)
    assert (failed.status, failed.attempts) == (MailStatus.FAILED, SEND_ATTEMPTS)

    login_as(Role.COORDINATOR)
    client.set_cookie(app.config["LANGUAGE_COOKIE"], language)
    page = client.get("/admin/jobs/mails/").get_data(as_text=True)  # the failed ones by default
    assert f'lang="{language}"' in page and ('dir="rtl"' in page) == (language == "ar")
    assert failed.recipient in page and f"/admin/jobs/mails/{failed.id}/resend" in page
    assert "Connection refused" in page
    assert failed.recipient not in client.get("/admin/jobs/mails/?status=sent").get_data(as_text=True)

    server.start()
    try:
        response = post(client, f"/admin/jobs/mails/{failed.id}/resend", form_url="/admin/jobs/mails/")
        assert response.status_code == 302
        assert server.message_ids() == Counter({failed.message_id: 1})
        sent, = mails(app)
        assert sent.status == MailStatus.SENT
        assert f"/admin/jobs/mails/{failed.id}/resend" not in client.get("/admin/jobs/mails/").get_data(as_text=True)
        assert failed.recipient in client.get("/admin/jobs/mails/?status=sent").get_data(as_text=True)
        post(client, f"/admin/jobs/mails/{failed.id}/resend", form_url="/admin/jobs/mails/")  # refused: not failed
        assert server.message_ids() == Counter({failed.message_id: 1})
    finally:
        server.stop()
    with app.app_context():
        entry, = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "outbox_mail"))
        assert (entry.action, entry.from_state, entry.to_state) == ("resend", "failed", "queued")


def _wait_for_mail(app, predicate, what, timeout=60.0) -> OutboxMail:
    deadline = time.monotonic() + timeout
    while True:
        mail, = mails(app)
        if predicate(mail):
            return mail
        assert time.monotonic() < deadline, f"the mail never {what}: {mail.status} after {mail.attempts} attempts"
        time.sleep(0.1)


def _job_of_kind(app, kind) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Job.id).where(Job.kind == kind))


def test_a_real_worker_retries_with_back_off_and_delivers_once_when_smtp_is_back(
        jobs_app, start_worker, monkeypatch, create_session, create_expert, create_user):  # noqa: F811
    server = MailServer(jobs_app)  # down
    monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")  # the worker process reads its configuration from the environment
    monkeypatch.setenv("MAIL_PORT", str(server.port))
    with jobs_app.app_context():
        assign_reviewer(create_session(SessionStatus.DRAFT), create_expert(user=create_user(Role.EXPERT)), None,
                        due_on=None)
        db.session.commit()
    start_worker()
    # Two attempts failed and the mail waits for its next: the server comes back before the third.
    retried = _wait_for_mail(jobs_app, lambda m: m.attempts >= 2 and m.status == MailStatus.QUEUED, "was retried")
    assert server.inbox.messages == [] and retried.last_error
    server.start()
    try:
        sent = _wait_for_mail(jobs_app, lambda m: m.status == MailStatus.SENT, "was sent")
        assert server.message_ids() == Counter({sent.message_id: 1})
    finally:
        server.stop()
    # The job's end is recorded just after the mail's status (its own commit): wait for it.
    job_id = _job_of_kind(jobs_app, SEND_KIND)
    job = wait_for(jobs_app, job_id, lambda j: j.is_finished, timeout=15, what="recorded as ended")
    assert job.status == JobStatus.DONE and job.attempts == sent.attempts >= 3
