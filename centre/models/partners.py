"""What a partner institution keeps up to date itself: its focal points (accounts tied to it) and
its contacts."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.institutions import Institution
from centre.models.types import UTCDateTime, utcnow
from centre.models.users import User


class FocalPoint(db.Model):
    """A focal point's account and the one partner institution it acts for."""

    __tablename__ = "focal_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), unique=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institution.id", ondelete="CASCADE"), index=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
    institution: Mapped[Institution] = relationship()

    @property
    def account_state(self) -> str:
        """"invited" (no password chosen yet) or "active"."""
        return "active" if self.user.password_hash else "invited"

    def __repr__(self):
        return f"<FocalPoint {self.user_id} institution={self.institution_id}>"


class InstitutionContact(db.Model):
    """A person to write to at a partner institution."""

    __tablename__ = "institution_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institution.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[str] = mapped_column(sa.String(200), default="")  #: their role at the institution
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    postal_address: Mapped[str] = mapped_column(sa.Text, default="")
    #: the language mails to them are written in (fr, ar or en)
    language: Mapped[str] = mapped_column(sa.String(2), default="fr", server_default="fr")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    institution: Mapped[Institution] = relationship(back_populates="contacts")

    def __repr__(self):
        return f"<InstitutionContact {self.institution_id} {self.full_name[:30]}>"
