"""Training sessions, their attendance slots and their trainers."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.experts import Expert
from centre.models.types import UTCDateTime, enum_column, utcnow


class SessionKind(enum.StrEnum):
    COLLECTIVE = "collective"
    IMMERSION = "immersion"
    EXPERT_MISSION = "expert_mission"

    @property
    def label(self):
        return {
            SessionKind.COLLECTIVE: _l("Collective session"),
            SessionKind.IMMERSION: _l("Immersion"),
            SessionKind.EXPERT_MISSION: _l("Expert mission"),
        }[self]


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    OPEN = "open"
    CLOSED = "closed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return {
            SessionStatus.DRAFT: _l("Draft"),
            SessionStatus.IN_REVIEW: _l("In review"),
            SessionStatus.APPROVED: _l("Approved"),
            SessionStatus.OPEN: _l("Open for registration"),
            SessionStatus.CLOSED: _l("Registration closed"),
            SessionStatus.IN_PROGRESS: _l("In progress"),
            SessionStatus.COMPLETED: _l("Completed"),
            SessionStatus.CANCELLED: _lp("session status", "Cancelled"),
        }[self]


class SlotPart(enum.StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"

    @property
    def label(self):
        return {SlotPart.MORNING: _l("Morning"), SlotPart.AFTERNOON: _l("Afternoon")}[self]


class TrainingSession(db.Model):
    __tablename__ = "training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)  #: e.g. 2026-07
    title_fr: Mapped[str] = mapped_column(sa.String(300))
    title_ar: Mapped[str] = mapped_column(sa.String(300), default="")
    title_en: Mapped[str] = mapped_column(sa.String(300), default="")
    theme_fr: Mapped[str] = mapped_column(sa.Text, default="")
    theme_ar: Mapped[str] = mapped_column(sa.Text, default="")
    theme_en: Mapped[str] = mapped_column(sa.Text, default="")
    programme_fr: Mapped[str] = mapped_column(sa.Text, default="")  #: day-by-day outline
    programme_ar: Mapped[str] = mapped_column(sa.Text, default="")
    programme_en: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[SessionKind] = mapped_column(
        enum_column(SessionKind, "session_kind"), default=SessionKind.COLLECTIVE
    )
    venue_fr: Mapped[str] = mapped_column(sa.String(200), default="")  #: e.g. Rabat
    venue_ar: Mapped[str] = mapped_column(sa.String(200), default="")  #: e.g. الرباط
    venue_en: Mapped[str] = mapped_column(sa.String(200), default="")
    start_on: Mapped[date]
    end_on: Mapped[date]
    capacity: Mapped[int]  #: accepted registrations never exceed it
    institution_quota: Mapped[int | None]  #: accepted per partner institution, if set
    registration_deadline: Mapped[date | None]  #: last day registrations are taken
    languages: Mapped[str] = mapped_column(sa.String(20), default="fr")  #: comma-separated codes
    attendance_threshold: Mapped[int] = mapped_column(default=80)  #: % of slots for a certificate
    excused_left_out: Mapped[bool] = mapped_column(default=False)  #: excused slots leave the count
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, "session_status"), default=SessionStatus.DRAFT
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    slots: Mapped[list["Slot"]] = relationship(
        back_populates="training_session", cascade="all, delete-orphan", order_by="Slot.starts_at"
    )
    trainers: Mapped[list["Trainer"]] = relationship(
        back_populates="training_session", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("end_on >= start_on", name="dates_in_order"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint(
            "institution_quota IS NULL OR institution_quota > 0", name="quota_positive"
        ),
        sa.CheckConstraint(
            "attendance_threshold BETWEEN 0 AND 100", name="threshold_is_percentage"
        ),
    )

    @property
    def language_codes(self) -> list[str]:
        return [c for c in self.languages.split(",") if c]

    def __repr__(self):
        return f"<TrainingSession {self.code} {self.status}>"


class Slot(db.Model):
    """A half-day in which attendance is taken."""

    __tablename__ = "slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="CASCADE"), index=True
    )
    part: Mapped[SlotPart] = mapped_column(enum_column(SlotPart, "slot_part"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    training_session: Mapped[TrainingSession] = relationship(back_populates="slots")

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="times_in_order"),
        sa.UniqueConstraint("session_id", "starts_at", name="uq_slot_session_start"),
    )

    def __repr__(self):
        return f"<Slot {self.session_id} {self.starts_at:%Y-%m-%d} {self.part}>"


class Trainer(db.Model):
    """An expert who teaches a session, with the days they work on it."""

    __tablename__ = "trainer"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="CASCADE"), primary_key=True
    )
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("expert.id"), primary_key=True)
    days: Mapped[float] = mapped_column(sa.Numeric(5, 1), default=1)  #: expert working days

    training_session: Mapped[TrainingSession] = relationship(back_populates="trainers")
    expert: Mapped[Expert] = relationship(lazy="joined")  #: a trainer is always shown by name

    __table_args__ = (sa.CheckConstraint("days >= 0", name="days_not_negative"),)
