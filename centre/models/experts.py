"""Experts, national and foreign, who review and teach sessions."""
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.institutions import Institution
from centre.models.users import User


class Expert(db.Model):
    __tablename__ = "expert"

    id: Mapped[int] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(sa.String(100))  #: Latin script
    family_name: Mapped[str] = mapped_column(sa.String(100))  #: Latin script
    full_name_ar: Mapped[str] = mapped_column(sa.String(200), default="")  #: Arabic script
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)  #: lower-cased; invitations go here
    nationality: Mapped[str] = mapped_column(sa.String(2))  #: ISO 3166-1 alpha-2
    speciality: Mapped[str] = mapped_column(sa.String(200), default="")
    languages: Mapped[str] = mapped_column(sa.String(20), default="")  #: working languages, comma-separated codes
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institution.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), unique=True)

    institution: Mapped[Institution | None] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def is_national(self) -> bool:
        return self.nationality == current_app.config["HOST_COUNTRY"]

    @property
    def account_state(self) -> str:
        """"none", "invited" (account created, no password set yet) or "active"."""
        if self.user is None:
            return "none"
        return "active" if self.user.password_hash else "invited"

    @property
    def language_codes(self) -> list[str]:
        return [c for c in self.languages.split(",") if c]

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def __repr__(self):
        return f"<Expert {self.name} {self.nationality}>"
