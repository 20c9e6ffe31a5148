"""Accounts and roles."""
import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from centre.auth import passwords
from centre.extensions import db
from centre.models.types import UTCDateTime, enum_column, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    EXPERT = "expert"
    TRAINEE = "trainee"
    FOCAL_POINT = "focal_point"  #: a partner institution's contact person, tied to that institution

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.EXPERT: _l("Expert"),
    Role.TRAINEE: _l("Trainee"),
    Role.FOCAL_POINT: _l("Focal point"),
}


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  #: lower-cased login
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    full_name: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    locale: Mapped[str | None] = mapped_column(sa.String(5))  #: preferred interface language
    is_active: Mapped[bool] = mapped_column(default=True)  # noqa: overrides UserMixin
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Part of every sign-in's id (session and remember cookies, see `get_id`): a new value ends
    #: them all — on a password reset and on "sign out everywhere".
    session_token: Mapped[str] = mapped_column(sa.String(32), default=lambda: secrets.token_hex(16))

    def set_password(self, password: str) -> None:
        self.password_hash = passwords.hash_password(password)

    def end_sessions(self) -> None:
        """Sign this account out everywhere: every cookie issued before no longer signs in."""
        self.session_token = secrets.token_hex(16)

    def get_id(self) -> str:
        """Flask-Login's alternative id, stored in the session and the remember cookie when the
        person signs in: "<id>:<session token>:<time of sign-in>". `centre.auth.services.load_user`
        accepts it while the token is the account's and the sign-in is recent enough."""
        if self.session_token is None:  # a new account not flushed yet
            self.session_token = secrets.token_hex(16)
        return f"{self.id}:{self.session_token}:{int(utcnow().timestamp())}"

    def check_password(self, password: str) -> bool:
        """Costs one hash even without a password (see `passwords.verify_password`)."""
        return passwords.verify_password(self.password_hash, password)

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.COORDINATOR)

    def __repr__(self):
        return f"<User {self.email} {self.role}>"


class FailedLogin(db.Model):
    """A failed sign-in attempt: the account's and the address's recent failures lock them for a while.

    Kept in the database so that every app server sharing it sees the same count.
    """

    __tablename__ = "failed_login"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email: Mapped[str] = mapped_column(sa.String(254))  #: as typed, lower-cased; maybe no account's
    ip: Mapped[str] = mapped_column(sa.String(45), default="")  #: the client's address, "" if unknown

    __table_args__ = (
        sa.Index("ix_failed_login_email_at", "email", "at"),
        sa.Index("ix_failed_login_ip_at", "ip", "at"),
    )

    def __repr__(self):
        return f"<FailedLogin {self.email} {self.ip} {self.at:%Y-%m-%d %H:%M}>"


class MailRequest(db.Model):
    """A request that sends a mail to an address typed by whoever asks (password reset, sign-in
    link, a visitor's registration): counted per client address and per recipient, so that nobody
    can make the centre mail an address over and over. In the database, as FailedLogin."""

    __tablename__ = "mail_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(40))  #: the page: password_reset, sign_in_link, registration
    recipient: Mapped[str] = mapped_column(sa.String(254))  #: as typed, lower-cased; maybe no account's
    ip: Mapped[str] = mapped_column(sa.String(45), default="")  #: the client's address, "" if unknown

    __table_args__ = (
        sa.Index("ix_mail_request_recipient_at", "recipient", "at"),
        sa.Index("ix_mail_request_ip_at", "ip", "at"),
    )
