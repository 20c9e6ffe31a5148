"""Signed sign-in: a trainee's signature for a half-day, and the trainer's countersignature of
the slot's list. Both are written once and never changed (the ORM refuses an update, and so
does a trigger in the database)."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.attendance import MarkStatus
from centre.models.experts import Expert
from centre.models.registrations import Registration
from centre.models.sessions import Slot
from centre.models.types import UTCDateTime, enum_column, utcnow
from centre.models.users import User


class AttendanceSignature(db.Model):
    __tablename__ = "attendance_signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registration.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slot.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))  #: the account that signed
    image: Mapped[bytes] = mapped_column(sa.LargeBinary)  #: PNG, as re-encoded by the server
    sha256: Mapped[str] = mapped_column(sa.String(64))  #: of the image
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    client_address: Mapped[str] = mapped_column(sa.String(45), default="")  #: the device's IP address
    #: the slot's mark the signature recorded; a mark recorded after `signed_at` is flagged on the sheet
    mark_status: Mapped[MarkStatus] = mapped_column(enum_column(MarkStatus, "mark_status"))

    registration: Mapped[Registration] = relationship()
    slot: Mapped[Slot] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("registration_id", "slot_id", name="uq_attendance_signature_registration_slot"),
    )

    def __repr__(self):
        return f"<AttendanceSignature reg={self.registration_id} slot={self.slot_id}>"


class SlotCountersignature(db.Model):
    """A trainer's signature under a slot's list: it vouches for the signatures there at that time."""

    __tablename__ = "slot_countersignature"

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slot.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("expert.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    image: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    client_address: Mapped[str] = mapped_column(sa.String(45), default="")
    #: the ids of the trainees' signatures the list held when countersigned
    signature_ids: Mapped[list] = mapped_column(sa.JSON, default=list)

    slot: Mapped[Slot] = relationship()
    expert: Mapped[Expert] = relationship()

    __table_args__ = (sa.UniqueConstraint("slot_id", "expert_id", name="uq_slot_countersignature_slot_expert"),)

    def __repr__(self):
        return f"<SlotCountersignature slot={self.slot_id} expert={self.expert_id}>"


@sa.event.listens_for(AttendanceSignature, "before_update")
@sa.event.listens_for(SlotCountersignature, "before_update")
def _refuse_update(mapper, connection, target):
    raise ValueError(f"{type(target).__name__} is written once and never changed")
