"""The e-mail outbox: every message, written with the change that causes it, sent by a job."""
import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.certificates import Certificate
from centre.models.types import UTCDateTime, enum_column, utcnow


class MailStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    @property
    def label(self):
        return MAIL_STATUS_LABELS[self]


MAIL_STATUS_LABELS = {
    MailStatus.QUEUED: _l("Queued"),
    MailStatus.SENDING: _l("Sending"),
    MailStatus.SENT: _l("Sent"),
    MailStatus.FAILED: _l("Failed"),
}


class OutboxMail(db.Model):
    """One e-mail, rendered in its recipient's language when written (it says what was true then).

    A sending job claims it (queued → sending) before the SMTP call and marks it sent after:
    a mail marked sent or sending is never sent again by a job (at most once); only a person's
    "resend" queues it again.
    """

    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    template: Mapped[str] = mapped_column(sa.String(60))  #: templates/mail/<template>.txt
    language: Mapped[str] = mapped_column(sa.String(10))
    subject: Mapped[str] = mapped_column(sa.String(500))
    body: Mapped[str] = mapped_column(sa.Text)
    message_id: Mapped[str] = mapped_column(sa.String(250))  #: fixed at write time: one mail, one Message-ID
    #: attachments other than a certificate: [{"filename", "mimetype", "data" (base64)}]
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: a certificate whose stored PDF is attached when sending (not copied here)
    certificate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificate.id", ondelete="SET NULL"))
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus, "mail_status"), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)  #: SMTP deliveries tried
    last_error: Mapped[str | None] = mapped_column(sa.Text)  #: a technical note, as logged (not translated)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    certificate: Mapped[Certificate | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("message_id"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_outbox_mail_status_created_at", "status", "created_at"),
    )

    def __repr__(self):
        return f"<OutboxMail #{self.id} {self.template} to {self.recipient} {self.status}>"
