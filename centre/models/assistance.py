"""Technical-assistance requests from partner institutions: an immersion at the centre or an
expert mission to the partner, carried from the request to the report."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from centre.extensions import db
from centre.models.files import StoredFile
from centre.models.institutions import Institution
from centre.models.sessions import TrainingSession
from centre.models.types import UTCDateTime, enum_column, utcnow
from centre.models.users import User


class AssistanceKind(enum.StrEnum):
    IMMERSION = "immersion"
    EXPERT_MISSION = "expert_mission"

    @property
    def label(self):
        return {
            AssistanceKind.IMMERSION: _l("Immersion at the centre"),
            AssistanceKind.EXPERT_MISSION: _l("Expert mission to the partner"),
        }[self]


class AssistanceStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    UNDER_STUDY = "under_study"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    PLANNED = "planned"
    DELIVERED = "delivered"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"  #: by the partner, before the centre's decision (final)

    @property
    def label(self):
        return {
            AssistanceStatus.SUBMITTED: _lp("assistance request", "Submitted"),  # French: la demande, soumise
            AssistanceStatus.UNDER_STUDY: _l("Under study"),
            AssistanceStatus.ACCEPTED: _l("Accepted"),
            AssistanceStatus.DECLINED: _l("Declined"),
            AssistanceStatus.PLANNED: _l("Planned"),
            AssistanceStatus.DELIVERED: _l("Delivered"),
            AssistanceStatus.CLOSED: _l("Closed"),
            AssistanceStatus.WITHDRAWN: _l("Withdrawn"),
        }[self]


class AssistanceRequest(db.Model):
    __tablename__ = "assistance_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institution.id"), index=True)
    kind: Mapped[AssistanceKind] = mapped_column(enum_column(AssistanceKind, "assistance_kind"))
    subject: Mapped[str] = mapped_column(sa.String(300))
    objectives: Mapped[str] = mapped_column(sa.Text)
    expertise_wanted: Mapped[str] = mapped_column(sa.Text, default="")  #: departments or expertise asked for
    staff_count: Mapped[int | None]  #: staff to train (immersion) or to be helped (mission)
    staff_profile: Mapped[str] = mapped_column(sa.Text, default="")
    preferred_from: Mapped[date]  #: the period the partner prefers
    preferred_to: Mapped[date]
    languages: Mapped[str] = mapped_column(sa.String(20), default="fr")  #: comma-separated codes
    status: Mapped[AssistanceStatus] = mapped_column(
        enum_column(AssistanceStatus, "assistance_status"), default=AssistanceStatus.SUBMITTED)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: accepted or declined
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")  #: written reason of a decline (or of a withdrawal, if given)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("training_session.id"), unique=True)
    host_departments: Mapped[str] = mapped_column(sa.Text, default="")  #: immersion: departments that host
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report: Mapped[str] = mapped_column(sa.Text, default="")  #: the mission or immersion report

    institution: Mapped[Institution] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    #: The session planned for it; the session knows its request as `assistance_request`.
    training_session: Mapped[TrainingSession | None] = relationship(
        backref=backref("assistance_request", uselist=False))
    messages: Mapped[list["AssistanceMessage"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="AssistanceMessage.at")
    documents: Mapped[list["AssistanceDocument"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="AssistanceDocument.id")

    __table_args__ = (
        sa.CheckConstraint("preferred_to >= preferred_from", name="period_in_order"),
        sa.CheckConstraint("staff_count IS NULL OR staff_count > 0", name="staff_positive"),
    )

    @property
    def reference(self) -> str:
        return f"AT-{self.submitted_at:%Y}-{self.id:04d}"

    @property
    def language_codes(self) -> list[str]:
        return [c for c in self.languages.split(",") if c]

    def __repr__(self):
        return f"<AssistanceRequest {self.id} {self.kind} {self.status}>"


class AssistanceMessage(db.Model):
    """A question or an answer on a request's page, between the centre and the partner."""

    __tablename__ = "assistance_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("assistance_request.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[AssistanceRequest] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()


class AssistanceDocument(db.Model):
    """A file of a request: sent with it (`request`) or with its report (`report`)."""

    __tablename__ = "assistance_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("assistance_request.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id"))
    purpose: Mapped[str] = mapped_column(sa.String(10), default="request")  #: "request" or "report"

    request: Mapped[AssistanceRequest] = relationship(back_populates="documents")
    file: Mapped[StoredFile] = relationship(lazy="joined")

    __table_args__ = (sa.CheckConstraint("purpose IN ('request', 'report')", name="purpose_known"),)
