"""Sending e-mail: over SMTP when a server is configured, else into a folder under instance/.

A message is written in the recipient's language: templates/mail/<name>.txt is rendered
under force_locale(language); its first line is the subject, the rest the body.
"""
import logging
import smtplib
import ssl
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

log = logging.getLogger(__name__)


def render_message(template: str, language: str, **context) -> tuple[str, str]:
    """(subject, body) of templates/mail/<template>.txt in the given language."""
    with force_locale(language):
        text = render_template(f"mail/{template}.txt", language=language, **context)
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def send(to: str, template: str, language: str, attachments=(), **context) -> EmailMessage:
    """Render and send one message; returns it (as sent or as written to the folder).

    attachments: (filename, mimetype, bytes) triples.
    """
    subject, body = render_message(template, language, **context)
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=config["MAIL_DEFAULT_SENDER"].rpartition("@")[2] or None)
    message.set_content(body)
    message["Content-Language"] = language  # after set_content, which drops Content-* headers
    for filename, mimetype, data in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    if config["MAIL_SERVER"]:
        _send_smtp(message, config)
        log.info("mail sent to %s: %s", to, subject)
    else:
        path = _write_to_folder(message, Path(config["MAIL_FOLDER"]))
        log.info("mail for %s written to %s: %s", to, path, subject)
    return message


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
