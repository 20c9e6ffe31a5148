"""Joining instructions: a session's practical information, and the notices sent about it."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.registrations import Registration
from centre.models.sessions import TrainingSession
from centre.models.types import UTCDateTime, enum_column, utcnow

#: The practical information's texts, each in fr/ar/en columns (`<name>_fr`, `<name>_ar`, `<name>_en`).
PRACTICAL_FIELDS = ("address", "arrival", "accommodation", "timetable", "conduct", "contacts", "bring")


class PracticalInfo(db.Model):
    """What a trainee needs to reach and attend a session: one row per session, in three languages."""

    __tablename__ = "practical_info"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="CASCADE"), unique=True)
    address_fr: Mapped[str] = mapped_column(sa.Text, default="")  #: the venue's postal address
    address_ar: Mapped[str] = mapped_column(sa.Text, default="")
    address_en: Mapped[str] = mapped_column(sa.Text, default="")
    map_url: Mapped[str] = mapped_column(sa.String(500), default="")  #: a map link (https only)
    arrival_fr: Mapped[str] = mapped_column(sa.Text, default="")  #: arrival and transport
    arrival_ar: Mapped[str] = mapped_column(sa.Text, default="")
    arrival_en: Mapped[str] = mapped_column(sa.Text, default="")
    accommodation_fr: Mapped[str] = mapped_column(sa.Text, default="")
    accommodation_ar: Mapped[str] = mapped_column(sa.Text, default="")
    accommodation_en: Mapped[str] = mapped_column(sa.Text, default="")
    timetable_fr: Mapped[str] = mapped_column(sa.Text, default="")  #: the daily timetable
    timetable_ar: Mapped[str] = mapped_column(sa.Text, default="")
    timetable_en: Mapped[str] = mapped_column(sa.Text, default="")
    conduct_fr: Mapped[str] = mapped_column(sa.Text, default="")  #: dress and conduct rules
    conduct_ar: Mapped[str] = mapped_column(sa.Text, default="")
    conduct_en: Mapped[str] = mapped_column(sa.Text, default="")
    contacts_fr: Mapped[str] = mapped_column(sa.Text, default="")  #: whom to call, with phone numbers
    contacts_ar: Mapped[str] = mapped_column(sa.Text, default="")
    contacts_en: Mapped[str] = mapped_column(sa.Text, default="")
    bring_fr: Mapped[str] = mapped_column(sa.Text, default="")  #: what to bring
    bring_ar: Mapped[str] = mapped_column(sa.Text, default="")
    bring_en: Mapped[str] = mapped_column(sa.Text, default="")
    reminder_days: Mapped[int] = mapped_column(default=7)  #: the first reminder, days before the start
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    training_session: Mapped[TrainingSession] = relationship()

    __table_args__ = (sa.CheckConstraint("reminder_days BETWEEN 2 AND 60", name="reminder_days_range"),)

    def __repr__(self):
        return f"<PracticalInfo session={self.session_id}>"


class NoticeKind(enum.StrEnum):
    CONVOCATION = "convocation"
    REMINDER = "reminder"  #: N days before the start
    EVE = "eve"  #: the day before
    CHANGE = "change"  #: dates or venue changed after the convocation

    @property
    def label(self):
        return {
            NoticeKind.CONVOCATION: _l("Convocation"),
            NoticeKind.REMINDER: _l("Reminder"),
            NoticeKind.EVE: _l("Reminder the day before"),
            NoticeKind.CHANGE: _l("Change of dates or venue"),
        }[self]


class JoiningNotice(db.Model):
    """A joining mail written to a trainee's outbox: the convocation, the reminders, the changes.
    The reminders are sent once per registration and start date (a new date gives new reminders)."""

    __tablename__ = "joining_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NoticeKind] = mapped_column(enum_column(NoticeKind, "notice_kind"))
    start_on: Mapped[date] = mapped_column(sa.Date)  #: the session's first day when it was sent
    mail_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbox_mail.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship()

    __table_args__ = (
        # One reminder of each kind per start date: a schedule run twice writes nothing new.
        sa.Index("uq_joining_notice_reminder", "registration_id", "kind", "start_on", unique=True,
                 sqlite_where=sa.text("kind IN ('reminder', 'eve')"),
                 postgresql_where=sa.text("kind IN ('reminder', 'eve')")),
    )

    def __repr__(self):
        return f"<JoiningNotice reg={self.registration_id} {self.kind}>"
