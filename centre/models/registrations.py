"""Visiting trainees and their registrations to sessions."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.institutions import Institution
from centre.models.sessions import TrainingSession
from centre.models.types import UTCDateTime, enum_column, utcnow
from centre.models.users import User


class Gender(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"

    @property
    def label(self):
        return {Gender.FEMALE: _l("Female"), Gender.MALE: _l("Male")}[self]


class DocumentLanguage(enum.StrEnum):
    FR = "fr"
    AR = "ar"
    BILINGUAL = "bilingual"

    @property
    def label(self):
        return {
            DocumentLanguage.FR: _l("French"),
            DocumentLanguage.AR: _l("Arabic"),
            DocumentLanguage.BILINGUAL: _l("Bilingual (French and Arabic)"),
        }[self]


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return {
            RegistrationStatus.PENDING: _l("Pending"),
            RegistrationStatus.ACCEPTED: _l("Accepted"),
            RegistrationStatus.WAITLISTED: _l("Waiting list"),
            RegistrationStatus.REJECTED: _l("Rejected"),
            RegistrationStatus.CANCELLED: _lp("registration status", "Cancelled"),
        }[self]


LIVE_STATUSES = (
    RegistrationStatus.PENDING,
    RegistrationStatus.ACCEPTED,
    RegistrationStatus.WAITLISTED,
)


class Trainee(db.Model):
    __tablename__ = "trainee"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), unique=True)
    given_name: Mapped[str] = mapped_column(sa.String(100))  #: Latin script
    family_name: Mapped[str] = mapped_column(sa.String(100))  #: Latin script
    full_name_ar: Mapped[str] = mapped_column(sa.String(200), default="")  #: Arabic script
    gender: Mapped[Gender] = mapped_column(enum_column(Gender, "gender"))
    nationality: Mapped[str] = mapped_column(sa.String(2))  #: ISO 3166-1 alpha-2
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institution.id"), index=True)
    institution_other: Mapped[str] = mapped_column(sa.String(300), default="")  #: not a partner yet
    position: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  #: lower-cased
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    passport_number: Mapped[str | None] = mapped_column(sa.String(30))
    passport_expires_on: Mapped[date | None]
    certificate_language: Mapped[DocumentLanguage] = mapped_column(
        enum_column(DocumentLanguage, "document_language"), default=DocumentLanguage.FR
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the link e-mailed to the address was followed; imports vouched by a coordinator count as proof
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: personal data erased

    user: Mapped[User | None] = relationship()
    institution: Mapped[Institution | None] = relationship()

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def name_in(self, language: str) -> str:
        """The name a mail in `language` greets them with: the Arabic one in Arabic, when given."""
        return self.full_name_ar if language == "ar" and self.full_name_ar else self.name

    @property
    def is_email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def __repr__(self):
        return f"<Trainee {self.name}>"


class Registration(db.Model):
    __tablename__ = "registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("trainee.id"), index=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_session.id"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_column(RegistrationStatus, "registration_status"),
        default=RegistrationStatus.PENDING,
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    waitlist_position: Mapped[int | None]
    arrival_on: Mapped[date | None]
    departure_on: Mapped[date | None]
    needs_visa_letter: Mapped[bool] = mapped_column(default=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trainee: Mapped[Trainee] = relationship()
    training_session: Mapped[TrainingSession] = relationship()
    decided_by: Mapped[User | None] = relationship()

    __table_args__ = (
        # One live registration per trainee and session; cancelled and rejected ones stay.
        sa.Index(
            "uq_registration_live",
            "trainee_id",
            "session_id",
            unique=True,
            sqlite_where=sa.text("status IN ('pending', 'accepted', 'waitlisted')"),
            postgresql_where=sa.text("status IN ('pending', 'accepted', 'waitlisted')"),
        ),
        sa.CheckConstraint(
            "departure_on IS NULL OR arrival_on IS NULL OR departure_on >= arrival_on",
            name="travel_dates_in_order",
        ),
    )

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    def __repr__(self):
        return f"<Registration trainee={self.trainee_id} session={self.session_id} {self.status}>"


class InvitationLetter(db.Model):
    """The visa invitation letter of an accepted registration, stored as generated: the trainee
    hands these exact bytes to a consulate; a coordinator's regeneration replaces them (audited)."""

    __tablename__ = "invitation_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registration.id"), unique=True)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(sa.String(2), default="fr", server_default="fr")  #: fr, ar or en
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    generated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    registration: Mapped[Registration] = relationship()
    generated_by: Mapped[User | None] = relationship()

    def __repr__(self):
        return f"<InvitationLetter registration={self.registration_id}>"
