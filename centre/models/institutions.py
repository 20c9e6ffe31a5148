"""Partner institutions, the associations they belong to, and their agreements."""
import enum
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.files import StoredFile
from centre.models.types import enum_column


class InstitutionKind(enum.StrEnum):
    OMBUDSMAN = "ombudsman"
    MEDIATOR = "mediator"
    HUMAN_RIGHTS = "human_rights"
    OTHER = "other"

    @property
    def label(self):
        return {
            InstitutionKind.OMBUDSMAN: _l("Ombudsman"),
            InstitutionKind.MEDIATOR: _l("Mediator"),
            InstitutionKind.HUMAN_RIGHTS: _l("Human-rights institution"),
            InstitutionKind.OTHER: _l("Other"),
        }[self]


institution_association = sa.Table(
    "institution_association",
    db.metadata,
    sa.Column("institution_id", sa.ForeignKey("institution.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("association_id", sa.ForeignKey("association.id", ondelete="CASCADE"), primary_key=True),
)


class Association(db.Model):
    __tablename__ = "association"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)  #: AOM, AOMF, ARAB…
    name_fr: Mapped[str] = mapped_column(sa.String(200))
    name_ar: Mapped[str] = mapped_column(sa.String(200), default="")
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")

    def __repr__(self):
        return f"<Association {self.code}>"


class Institution(db.Model):
    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_fr: Mapped[str] = mapped_column(sa.String(300))
    name_ar: Mapped[str] = mapped_column(sa.String(300), default="")
    name_en: Mapped[str] = mapped_column(sa.String(300), default="")
    country: Mapped[str] = mapped_column(sa.String(2))  #: ISO 3166-1 alpha-2 (XK for Kosovo)
    kind: Mapped[InstitutionKind] = mapped_column(
        enum_column(InstitutionKind, "institution_kind"), default=InstitutionKind.OMBUDSMAN
    )

    associations: Mapped[list[Association]] = relationship(
        secondary=institution_association, order_by=Association.code
    )
    agreements: Mapped[list["Agreement"]] = relationship(
        back_populates="institution", cascade="all, delete-orphan", order_by="Agreement.signed_on"
    )
    contacts: Mapped[list["InstitutionContact"]] = relationship(  # noqa: F821 (centre.models.partners)
        back_populates="institution", cascade="all, delete-orphan", order_by="InstitutionContact.full_name"
    )

    def __repr__(self):
        return f"<Institution {self.country} {self.name_fr[:30]}>"


class Agreement(db.Model):
    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institution.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(300))
    signed_on: Mapped[date]
    ends_on: Mapped[date | None]
    #: The signed agreement, as uploaded (centre/files.py).
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id"))

    institution: Mapped[Institution] = relationship(back_populates="agreements")
    document: Mapped[StoredFile | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= signed_on", name="dates_in_order"),
    )

    def is_in_force(self, today: date) -> bool:
        """Signed, and not past its end (an agreement without an end stays in force)."""
        return self.signed_on <= today and (self.ends_on is None or self.ends_on >= today)

    def __repr__(self):
        return f"<Agreement {self.institution_id} {self.signed_on} {self.title[:30]}>"
