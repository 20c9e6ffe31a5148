"""E-mail through an outbox: written with the change that causes it, sent by a job after the commit.

`send(...)` renders templates/mail/<name>.txt in the recipient's language (force_locale; its first
line is the subject, the rest the body) and adds the result to the outbox table in the caller's
transaction, with a job to send it: a rolled-back change sends nothing, and an SMTP server that is
down delays the mail without failing the action. The job delivers over SMTP when a server is
configured, else writes an .eml file into MAIL_FOLDER (development), and retries with back-off.

Delivery is at most once. The job claims the mail (queued → sending) and commits before the SMTP
call, then marks it sent. A worker that dies between the two leaves the mail "sending": the job's
next run cannot know whether the server took it, so it marks it failed with that note instead of
sending a second copy; a coordinator reads the failed mails page and resends it if need be.
"""
import base64
import logging
import smtplib
import ssl
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.jobs.services import enqueue, job_kind
from centre.models import Certificate, Job, JobStatus, MailStatus, OutboxMail, User
from centre.models.types import utcnow

log = logging.getLogger(__name__)

SEND_KIND = "mail.send"
#: SMTP outages last minutes or more: with JOB_RETRY_DELAY_SECONDS (30 s) doubling, 8 attempts span about an hour.
SEND_ATTEMPTS = 8
INTERRUPTED = ("The worker stopped while this mail was being sent: the server may or may not have received it. "
               "Not sent again automatically; resend it if the recipient did not get it.")


def render_message(template: str, language: str, **context) -> tuple[str, str]:
    """(subject, body) of templates/mail/<template>.txt in the given language."""
    with force_locale(language):
        text = render_template(f"mail/{template}.txt", language=language, **context)
    subject, _, body = text.strip().partition("\n")
    return header_text(subject), body.strip() + "\n"


def header_text(text: str) -> str:
    """Text as one header line: every run of whitespace — CR, LF, form feed, U+2028 and the like,
    as a title pasted from a word processor may hold — becomes one space, and other control
    characters go. A header value with a line break is refused by the e-mail library."""
    return " ".join("".join(c for c in text if c.isprintable() or c.isspace()).split())


def send(to: str, template: str, language: str, attachments=(), attach_certificate: Certificate | None = None,
         **context) -> OutboxMail:
    """Render a message now and put it in the outbox, in the caller's transaction (flushed);
    a job sends it once that transaction commits.

    attachments: (filename, mimetype, bytes) triples, stored with the mail; attach_certificate:
    a certificate whose stored PDF is attached when sending (referenced, not copied).
    """
    subject, body = render_message(template, language, **context)
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    mail = OutboxMail(
        recipient=to, template=template, language=language, subject=subject, body=body,
        message_id=make_msgid(domain=sender.rpartition("@")[2] or None), certificate=attach_certificate,
        attachments=[{"filename": filename, "mimetype": mimetype, "data": base64.b64encode(data).decode()}
                     for filename, mimetype, data in attachments],
        status=MailStatus.QUEUED, created_at=utcnow(),
    )
    db.session.add(mail)
    db.session.flush()
    enqueue(SEND_KIND, None, entity=mail)
    return mail


def build_message(mail: OutboxMail) -> EmailMessage:
    """The message as it goes out, from what the outbox row holds."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = mail.recipient
    message["Subject"] = header_text(mail.subject)  # rows written before header_text was applied
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = mail.message_id
    message.set_content(mail.body)
    files = [(a["filename"], a["mimetype"], base64.b64decode(a["data"])) for a in mail.attachments]
    if mail.certificate is not None and mail.certificate.has_pdf:
        files.append((mail.certificate.filename, "application/pdf", mail.certificate.pdf))
    for filename, mimetype, data in files:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    # Last: set_content drops Content-* headers, and the first attachment moves them into the text part.
    message["Content-Language"] = mail.language
    return message


def deliver(message: EmailMessage) -> None:
    """Hand one message to the SMTP server, or write it into MAIL_FOLDER when none is configured."""
    config = current_app.config
    if config["MAIL_SERVER"]:
        _send_smtp(message, config)
        log.info("mail sent to %s: %s", message["To"], message["Subject"])
    else:
        path = _write_to_folder(message, Path(config["MAIL_FOLDER"]))
        log.info("mail for %s written to %s: %s", message["To"], path, message["Subject"])


def _send_smtp(message: EmailMessage, config) -> None:
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def _write_to_folder(message: EmailMessage, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"{stamp}-{message['To'].replace('@', '_at_')}.eml"
    path.write_bytes(message.as_bytes())
    return path


def _set_status(mail_id: int, current: MailStatus, **values) -> bool:
    """Move the mail on from `current` only (the claim, and the fence of every later write); commits."""
    changed = db.session.execute(
        sa.update(OutboxMail).where(OutboxMail.id == mail_id, OutboxMail.status == current)
        .values(**values).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return changed == 1


@job_kind(SEND_KIND, _l("Sending an e-mail"), max_attempts=SEND_ATTEMPTS)
def send_outbox_mail(job, progress):
    """Deliver one outbox mail, at most once (see the module's docstring)."""
    mail_id = job.entity_id
    last_attempt = job.attempts >= job.max_attempts
    if not _set_status(mail_id, MailStatus.QUEUED, status=MailStatus.SENDING, attempts=OutboxMail.attempts + 1):
        mail = db.session.get(OutboxMail, mail_id)
        if mail is not None and mail.status == MailStatus.SENDING:
            _set_status(mail_id, MailStatus.SENDING, status=MailStatus.FAILED, last_error=INTERRUPTED)
            return {"mail": mail_id, "outcome": "interrupted"}
        return {"mail": mail_id, "outcome": "skipped", "status": mail.status.value if mail else None}
    mail = db.session.get(OutboxMail, mail_id)
    try:
        deliver(build_message(mail))
    except (OSError, smtplib.SMTPException) as error:
        note = f"{type(error).__name__}: {error}"
        _set_status(mail_id, MailStatus.SENDING, last_error=note,
                    status=MailStatus.FAILED if last_attempt else MailStatus.QUEUED)
        raise
    _set_status(mail_id, MailStatus.SENDING, status=MailStatus.SENT, sent_at=utcnow(), last_error=None)
    return {"mail": mail_id, "outcome": "sent"}


# What coordinators and admins read and do on the failed mails page.

def outbox_mails(*, status: MailStatus | None = None):
    """The outbox, newest first, optionally of one status."""
    query = sa.select(OutboxMail).order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
    if status is not None:
        query = query.where(OutboxMail.status == status)
    return query


def is_stuck(mail: OutboxMail) -> bool:
    """A mail left "sending" with no job alive to finish it (its worker died on the job's last
    attempt and the reaper gave the job up): a person decides whether to send it again."""
    if mail.status != MailStatus.SENDING:
        return False
    alive = sa.select(Job.id).where(Job.kind == SEND_KIND, Job.entity == OutboxMail.__tablename__,
                                    Job.entity_id == mail.id, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
    return db.session.scalar(alive.limit(1)) is None


def resend_mail(mail: OutboxMail, actor: User | None) -> OutboxMail:
    """Queue a failed (or stuck) mail again, as it was written (same subject, body and Message-ID)."""
    if mail.status != MailStatus.FAILED and not is_stuck(mail):
        raise DomainError(_l("Only a mail that failed is sent again."))
    audit.record(mail, "resend", from_state=mail.status, to_state=MailStatus.QUEUED, actor=actor,
                 to=mail.recipient, error=mail.last_error)
    mail.status = MailStatus.QUEUED
    db.session.flush()
    enqueue(SEND_KIND, actor, entity=mail)
    return mail
