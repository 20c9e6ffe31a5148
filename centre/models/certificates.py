"""Certificates of participation: issued once, never changed, replaced or revoked."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.registrations import DocumentLanguage, Registration
from centre.models.types import UTCDateTime, enum_column, utcnow
from centre.models.users import User


#: How each state of a certificate (Certificate.state) is named.
CERTIFICATE_STATE_LABELS = {
    "pending": _l("Being issued"),
    "valid": _l("Valid"),
    "replaced": _l("Replaced"),
    "revoked": _l("Revoked"),
    "erased": _l("Holder's data erased"),
}


class CertificateSequence(db.Model):
    """The last number given in a year; numbers are never reused."""

    __tablename__ = "certificate_sequence"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)


class Certificate(db.Model):
    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)  #: CIFEM-2026-0042
    year: Mapped[int]
    sequence: Mapped[int]
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registration.id"), index=True)
    language: Mapped[DocumentLanguage] = mapped_column(
        enum_column(DocumentLanguage, "certificate_language")
    )
    verification_code: Mapped[str] = mapped_column(sa.String(40), unique=True)  #: ≥ 80 random bits
    printed: Mapped[dict] = mapped_column(sa.JSON)  #: what the PDF prints, for the verification page
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)  #: the exact bytes issued
    sha256: Mapped[str] = mapped_column(sa.String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(sa.Text, default="")
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificate.id"))
    #: when the holder's personal data (the PDF's bytes, the printed names) was erased
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the Open Badges 3.0 credential, unsigned, as built when issued (centre/credentials);
    #: None before it is built, and once its holder's data is erased
    credential: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True), deferred=True)

    registration: Mapped[Registration] = relationship()
    issued_by: Mapped[User | None] = relationship()
    replaced_by: Mapped["Certificate | None"] = relationship(remote_side=[id])

    __table_args__ = (
        sa.UniqueConstraint("year", "sequence", name="uq_certificate_year_sequence"),
        sa.Index("ix_certificate_sha256", "sha256"),  # the public PDF check finds a file by its hash
    )

    #: The sha256 of a pending certificate: its number is reserved and its row written, the PDF
    #: not yet stored.
    PENDING = ""

    @property
    def state(self) -> str:
        return self.state_of(self.sha256, self.revoked_at, self.replaced_by_id, self.erased_at)

    @staticmethod
    def state_of(sha256: str, revoked_at: datetime | None, replaced_by_id: int | None,
                 erased_at: datetime | None = None) -> str:
        """The state from the columns it depends on (exports read columns, not instances).

        A revoked or replaced certificate stays so once erased: a verifier must still learn it.
        """
        if sha256 == Certificate.PENDING:
            return "pending"  # number reserved, PDF being rendered
        if revoked_at is not None:
            return "revoked"
        if replaced_by_id is not None:
            return "replaced"
        if erased_at is not None:
            return "erased"
        return "valid"

    @property
    def has_pdf(self) -> bool:
        """Its bytes are stored and still there (not pending, not erased with its holder's data)."""
        return self.sha256 != Certificate.PENDING and self.erased_at is None

    @property
    def state_label(self):
        return CERTIFICATE_STATE_LABELS[self.state]

    @property
    def filename(self) -> str:
        return f"{self.number}-{self.language.value}.pdf"

    def __repr__(self):
        return f"<Certificate {self.number} {self.state}>"


class Signatory(db.Model):
    """A person whose name, title and signature image every new certificate prints."""

    __tablename__ = "signatory"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_fr: Mapped[str] = mapped_column(sa.String(120))
    name_ar: Mapped[str] = mapped_column(sa.String(120), default="")
    title_fr: Mapped[str] = mapped_column(sa.String(120))
    title_ar: Mapped[str] = mapped_column(sa.String(120), default="")
    #: The signature image (PNG or JPEG), kept in the database: the app holds no files.
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    signature_type: Mapped[str] = mapped_column(sa.String(20))  #: image/png or image/jpeg
    position: Mapped[int] = mapped_column(default=0)  #: order on the page
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    def __repr__(self):
        return f"<Signatory {self.name_fr}>"


class VerificationHit(db.Model):
    """One request to the public verification page, for rate limiting across app servers."""

    __tablename__ = "verification_hit"

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(sa.String(64))  #: the client's address
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.Index("ix_verification_hit_client_at", "client", "at"),)
