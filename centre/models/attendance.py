"""Attendance marks: one per registration and slot."""
import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.registrations import Registration
from centre.models.sessions import Slot
from centre.models.types import UTCDateTime, enum_column, utcnow
from centre.models.users import User


class MarkStatus(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    EXCUSED = "excused"
    ABSENT = "absent"

    @property
    def label(self):
        return {
            MarkStatus.PRESENT: _l("Present"),
            MarkStatus.LATE: _l("Late"),
            MarkStatus.EXCUSED: _l("Excused"),
            MarkStatus.ABSENT: _l("Absent"),
        }[self]


class AttendanceMark(db.Model):
    __tablename__ = "attendance_mark"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE")
    )
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slot.id", ondelete="CASCADE"), index=True)
    status: Mapped[MarkStatus] = mapped_column(enum_column(MarkStatus, "mark_status"))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship()
    slot: Mapped[Slot] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("registration_id", "slot_id", name="uq_attendance_mark_registration_slot"),
    )

    def __repr__(self):
        return f"<AttendanceMark reg={self.registration_id} slot={self.slot_id} {self.status}>"
