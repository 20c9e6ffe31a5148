"""A session's materials: files coordinators and the session's trainers share, each with who may see it."""
import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.files import StoredFile
from centre.models.sessions import TrainingSession
from centre.models.types import UTCDateTime, enum_column, utcnow
from centre.models.users import User


class Visibility(enum.StrEnum):
    TRAINEES = "trainees"  #: the accepted trainees, the trainers and the staff
    TRAINERS = "trainers"  #: the trainers and the staff
    STAFF = "staff"  #: coordinators and admins only

    @property
    def label(self):
        return {
            Visibility.TRAINEES: _l("Accepted trainees, trainers and staff"),
            Visibility.TRAINERS: _l("Trainers and staff"),
            Visibility.STAFF: _l("Staff only"),
        }[self]


class Material(db.Model):
    __tablename__ = "session_material"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id"))
    title: Mapped[str] = mapped_column(sa.String(200))  #: as shown; the file's own name by default
    visibility: Mapped[Visibility] = mapped_column(enum_column(Visibility, "material_visibility"))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    training_session: Mapped[TrainingSession] = relationship()
    file: Mapped[StoredFile] = relationship(lazy="joined")  #: a material is always listed with its file
    uploaded_by: Mapped[User | None] = relationship()

    def __repr__(self):
        return f"<Material {self.id} session={self.session_id} {self.visibility}>"
