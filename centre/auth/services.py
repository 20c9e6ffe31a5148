"""Accounts: creating them, signing in (with sign-in links), and locking sign-in after repeated failures."""
import hashlib
import hmac
import logging
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from centre import audit, mail
from centre.auth import passwords
from centre.database import lock_name
from centre.errors import DomainError
from centre.extensions import db
from centre.models import FailedLogin, MailRequest, Role, Trainee, User
from centre.models.types import utcnow
from centre.urls import absolute_url

log = logging.getLogger(__name__)


def load_user(sign_in_id: str) -> User | None:
    """The account a session or remember cookie names (`User.get_id`), or None: signed out when
    the account's session token changed (password reset, "sign out everywhere"), when the sign-in
    is older than REMEMBER_COOKIE_DURATION, or when the account is inactive."""
    user_id, _, rest = (sign_in_id or "").partition(":")
    token, _, issued = rest.partition(":")
    if not (user_id.isdigit() and issued.isdigit() and token):
        return None  # an id of another form (e.g. a cookie from before session tokens)
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or not hmac.compare_digest(token, user.session_token or ""):
        return None
    signed_in_at = datetime.fromtimestamp(int(issued), timezone.utc)
    if utcnow() - signed_in_at > current_app.config["REMEMBER_COOKIE_DURATION"]:
        return None
    return user


def sign_out_everywhere(user: User) -> None:
    """End every sign-in of the account, on every device (this one too); audited."""
    user.end_sessions()
    audit.record(user, "signed_out_everywhere", actor=user)


def create_user(email: str, password: str, role: Role, full_name: str = "", actor: User | None = None) -> User:
    email = email.strip().lower()
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise DomainError(_l("An account already exists for %(email)s."), email=email)
    if len(password) < 8:
        raise DomainError(_l("The password needs at least 8 characters."))
    user = User(email=email, role=role, full_name=full_name)
    user.set_password(password)
    db.session.add(user)
    audit.record(user, "create", to_state=role, actor=actor)
    return user


class SignInLocked(DomainError):
    """Sign-in is closed for this e-mail or this address until `until` (after too many failures)."""

    def __init__(self, until: datetime):
        super().__init__(_l("Too many failed sign-in attempts."))
        self.until = until


def _limits():
    config = current_app.config
    return (config["LOGIN_FAILURES_PER_ACCOUNT"], config["LOGIN_FAILURES_PER_ADDRESS"],
            timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"]),
            timedelta(minutes=config["LOGIN_LOCK_MINUTES"]))


def account_locked_until(email: str, now: datetime) -> datetime | None:
    """The end of the account's lock, if it is locked at `now`: a run of failures within the
    window (since the last successful sign-in) locks it for the lock's duration after the last."""
    most, _, window, lock = _limits()
    since = now - window - lock
    last_login = db.session.scalar(sa.select(User.last_login_at).where(User.email == email))
    if last_login is not None and last_login > since:
        since = last_login
    failures = db.session.scalars(
        sa.select(FailedLogin.at).where(FailedLogin.email == email, FailedLogin.at > since, FailedLogin.at <= now)
        .order_by(FailedLogin.at)
    ).all()
    until = None
    for first, last in zip(failures, failures[most - 1:]):
        if last - first <= window:
            until = last + lock
    return until if until is not None and until > now else None


def address_locked_until(ip: str, now: datetime) -> datetime | None:
    """The end of the address's throttle, if it is throttled at `now`: too many failures from it
    within the window, whatever the accounts, close it until the oldest of them leaves the window."""
    _, most, window, _ = _limits()
    if not ip:
        return None
    recent = db.session.scalars(
        sa.select(FailedLogin.at).where(FailedLogin.ip == ip, FailedLogin.at > now - window, FailedLogin.at <= now)
        .order_by(FailedLogin.at.desc()).limit(most)
    ).all()
    return recent[-1] + window if len(recent) >= most else None


def sign_in_locked_until(email: str, ip: str, now: datetime) -> datetime | None:
    ends = [end for end in (account_locked_until(email, now), address_locked_until(ip, now)) if end]
    return max(ends) if ends else None


class AddressNotProved(DomainError):
    """The password is right, but the account's address was never proved: it cannot sign in with it."""


def address_proved(user: User) -> bool:
    """False for a trainee account whose address was not proved by a link yet: anyone can register
    with someone else's address, so its password works only once the address's owner confirmed it."""
    return db.session.scalar(sa.select(Trainee.id).where(
        Trainee.user_id == user.id, Trainee.email_confirmed_at.is_(None), Trainee.email == user.email)) is None


def authenticate(email: str, password: str, *, ip: str | None, now: datetime) -> User | None:
    """The account, or None for a wrong e-mail or password; raises SignInLocked while sign-in is
    closed for this e-mail or address (the password is then not even checked). Failures and locks
    go to the audit log. A hash older than the current parameters (Werkzeug's scrypt or pbkdf2,
    Argon2 with other parameters) is replaced on success: not audited, since nothing changes for the person."""
    email = email.strip().lower()[:254]
    ip = (ip or "")[:45]
    # Parallel guesses for one e-mail, or from one address, are checked one after the other:
    # otherwise thirty at once all read "no failure yet" and are all tried.
    lock_name(db.session, "sign-in:email", email)
    if ip:
        lock_name(db.session, "sign-in:ip", ip)
    until = sign_in_locked_until(email, ip, now)
    if until is not None:
        raise SignInLocked(until)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    # One hash whatever the account (none, inactive, without a password): the time tells nothing.
    matches = passwords.verify_password(user.password_hash if user is not None else None, password)
    if user is not None and user.is_active and matches:
        if not address_proved(user):
            raise AddressNotProved(_l("Your e-mail address is not confirmed yet: follow the link in the message "
                                      "sent when you registered, or ask for a sign-in link."))
        if passwords.needs_rehash(user.password_hash):
            user.set_password(password)
            log.debug("password of user %s rehashed with the current parameters", user.id)
        user.last_login_at = now
        return user
    failure = FailedLogin(at=now, email=email, ip=ip)
    db.session.add(failure)
    db.session.flush()
    subject = user if user is not None else failure  # an unknown e-mail has no account to name
    audit.record(subject, "login_failure", email=email, ip=ip)
    account_until = account_locked_until(email, now)
    if account_until is not None:
        audit.record(subject, "login_lock", to_state="locked", email=email, ip=ip,
                     until=account_until.isoformat())
    address_until = address_locked_until(ip, now)
    if address_until is not None:
        audit.record(failure, "address_lock", to_state="locked", ip=ip, until=address_until.isoformat())
    if account_until or address_until:
        raise SignInLocked(max(end for end in (account_until, address_until) if end))
    return None


# Pages that mail an address anyone may type: a throttle per recipient and per client address.

class MailThrottled(DomainError):
    """Too many mails asked for this recipient or from this address: closed until `until`."""

    def __init__(self, until: datetime):
        super().__init__(_l("Too many requests."))
        self.until = until


def count_mail_request(kind: str, recipient: str, ip: str | None, now: datetime) -> None:
    """Count a request that will mail `recipient` (whether or not an account has it, so that the
    answer tells nothing), or raise MailThrottled: MAIL_REQUESTS_PER_RECIPIENT for one recipient
    or MAIL_REQUESTS_PER_ADDRESS from one client within MAIL_REQUEST_WINDOW_MINUTES (0: no limit). A refused
    request is counted as well and audited; the caller commits it (see centre.web.throttled_answer)."""
    config = current_app.config
    window = timedelta(minutes=config["MAIL_REQUEST_WINDOW_MINUTES"])
    recipient = recipient.strip().lower()[:254]
    ip = (ip or "")[:45]
    lock_name(db.session, "mail:recipient", recipient)
    if ip:
        lock_name(db.session, "mail:ip", ip)
    ends = []
    for column, value, most in ((MailRequest.recipient, recipient, config["MAIL_REQUESTS_PER_RECIPIENT"]),
                                (MailRequest.ip, ip, config["MAIL_REQUESTS_PER_ADDRESS"])):
        if not most or (column is MailRequest.ip and not ip):
            continue
        recent = db.session.scalars(
            sa.select(MailRequest.at).where(column == value, MailRequest.at > now - window, MailRequest.at <= now)
            .order_by(MailRequest.at.desc()).limit(most)
        ).all()
        if len(recent) >= most:
            ends.append(recent[-1] + window)
    entry = MailRequest(at=now, kind=kind, recipient=recipient, ip=ip)
    db.session.add(entry)
    if ends:  # counted too: a client that keeps asking keeps the page closed
        until = max(ends)
        audit.record(entry, "mail_throttled", kind=kind, recipient=recipient, ip=ip, until=until.isoformat())
        raise MailThrottled(until)


# Sign-in links: for trainees who forgot their password, a signed, expiring link by e-mail.

SIGN_IN_SALT = "sign-in-link"
SIGN_IN_MAX_AGE = timedelta(hours=1)


def _sign_in_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SIGN_IN_SALT)


def _sign_in_state(user: User) -> str:
    """Changes at every sign-in: a link works once. A digest, since the token is only signed."""
    seen = user.last_login_at.isoformat() if user.last_login_at else ""
    return hashlib.sha256(f"{user.email}\0{user.password_hash or ''}\0{seen}".encode()).hexdigest()[:20]


def sign_in_token(user: User) -> str:
    return _sign_in_serializer().dumps({"user": user.id, "state": _sign_in_state(user)})


def send_sign_in_link(email: str, language: str) -> bool:
    """E-mail a sign-in link to a trainee's account; says nothing of whether the account exists."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower(), User.role == Role.TRAINEE))
    if user is None or not user.is_active:
        return False
    language = user.locale or language
    mail.send(user.email, "sign_in_link", language, name=user.full_name,
              link=absolute_url("auth.sign_in_with_link", token=sign_in_token(user)),
              minutes=int(SIGN_IN_MAX_AGE.total_seconds() // 60))
    audit.record(user, "sign_in_link_sent", actor=user)
    return True


def user_from_sign_in_token(token: str, *, now: datetime | None = None) -> User:
    """The account a sign-in link opens, or DomainError saying why it cannot be used."""
    invalid = DomainError(_l("This sign-in link is not valid, has expired or was already used. Ask for a new one."))
    try:
        payload, signed_at = _sign_in_serializer().loads(token, return_timestamp=True)
    except BadSignature:
        raise invalid from None
    if (now or utcnow()) - signed_at > SIGN_IN_MAX_AGE or not isinstance(payload, dict):
        raise invalid
    user = db.session.get(User, payload.get("user"))
    if user is None or not user.is_active or user.role != Role.TRAINEE or payload.get("state") != _sign_in_state(user):
        raise invalid
    return user


def sign_in_with_link(token: str) -> User:
    """Sign in through the link, which proves the address as well; the link is used up."""
    user = user_from_sign_in_token(token)
    user.last_login_at = utcnow()
    trainee = db.session.scalar(sa.select(Trainee).where(Trainee.user_id == user.id))
    if trainee is not None and trainee.email_confirmed_at is None and trainee.email == user.email:
        # The address is proved now, not the password chosen before it (maybe by someone else).
        trainee.email_confirmed_at = utcnow()
        user.password_hash = None
        user.end_sessions()
        audit.record(trainee, "confirm_email", actor=user, email=trainee.email, password="cleared")
    audit.record(user, "sign_in_link_used", actor=user)
    db.session.flush()
    return user


# Password reset: for every account, a signed link by e-mail that expires and works once.

RESET_SALT = "password-reset"
RESET_MAX_AGE = timedelta(hours=1)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _reset_state(user: User) -> str:
    """Changes with the password: once it is reset, the link no longer works."""
    return hashlib.sha256(f"{user.email}\0{user.password_hash or ''}".encode()).hexdigest()[:20]


def password_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"user": user.id, "state": _reset_state(user)})


def send_password_reset(email: str, language: str) -> bool:
    """E-mail a password-reset link; says nothing of whether the account exists."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        return False
    mail.send(user.email, "password_reset", user.locale or language, name=user.full_name or user.email,
              link=absolute_url("auth.reset_password", token=password_reset_token(user)),
              minutes=int(RESET_MAX_AGE.total_seconds() // 60))
    audit.record(user, "password_reset_sent", actor=user)
    return True


def user_from_reset_token(token: str, *, now: datetime | None = None) -> User:
    """The account a reset link is for, or DomainError saying why it cannot be used."""
    invalid = DomainError(_l("This password-reset link is not valid, has expired or was already used. "
                             "Ask for a new one."))
    try:
        payload, signed_at = _reset_serializer().loads(token, return_timestamp=True)
    except BadSignature:
        raise invalid from None
    if (now or utcnow()) - signed_at > RESET_MAX_AGE or not isinstance(payload, dict):
        raise invalid
    user = db.session.get(User, payload.get("user")) if isinstance(payload.get("user"), int) else None
    if user is None or not user.is_active or payload.get("state") != _reset_state(user):
        raise invalid
    return user


def reset_password(token: str, password: str, *, now: datetime | None = None) -> User:
    """Set a new password through a reset link; the link is used up, and it is audited."""
    user = user_from_reset_token(token, now=now)
    if len(password) < 8:
        raise DomainError(_l("The password needs at least 8 characters."))
    user.set_password(password)
    user.end_sessions()  # whoever else was signed in (a stolen cookie too) is signed out
    user.last_login_at = now or utcnow()
    audit.record(user, "password_reset", actor=user)
    db.session.flush()
    return user


# Invitations: an account opened for someone else (an admin's page, a trainee list's import) has
# no password; its owner chooses one through a signed link that lasts a week and works once.

INVITATION_SALT = "account-invitation"
INVITATION_MAX_AGE = timedelta(days=7)


def invitation_serializer(salt: str = INVITATION_SALT) -> URLSafeTimedSerializer:
    """Signs and reads invitation links; each kind of link has its salt (an expert's invitation is
    not an account's), so that a link of one kind is never read as another."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def invitation_state(user: User) -> str:
    """Changes when the password is set and when a new invitation is sent (the session token is
    renewed then): a used or outdated link stops working. A digest: the token is only signed."""
    state = f"{user.email}\0{user.password_hash or ''}\0{user.session_token or ''}"
    return hashlib.sha256(state.encode()).hexdigest()[:20]


def invitation_token(user: User, salt: str = INVITATION_SALT) -> str:
    return invitation_serializer(salt).dumps({"user": user.id, "state": invitation_state(user)})


class InvitationError(DomainError):
    """An invitation link that cannot be used; `status` is the HTTP status to answer with."""

    def __init__(self, message, status: int):
        super().__init__(message)
        self.status = status


def invited_user(token: str, salt: str, role: Role, *, now: datetime | None = None,
                 max_age: timedelta = INVITATION_MAX_AGE, lock: bool = False) -> User:
    """The active account of `role` that an invitation link of this kind (`salt`) is for, or
    InvitationError saying why it cannot be used: 404 not a link of ours, 410 expired or used up.
    lock: the account's row is locked (choosing the password through the link)."""
    invalid = InvitationError(_l("This invitation link is not valid. Check that it was copied whole, "
                                 "or ask the centre for a new one."), 404)
    try:
        payload, signed_at = invitation_serializer(salt).loads(token, return_timestamp=True)
    except BadSignature:
        raise invalid from None
    if (now or utcnow()) - signed_at > max_age:
        raise InvitationError(_l("This invitation link has expired. Ask the centre to send you a new one."), 410)
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), int):
        raise invalid
    query = sa.select(User).where(User.id == payload["user"], User.role == role)
    user = db.session.scalar(query.with_for_update() if lock else query)
    if user is None or not user.is_active:
        raise invalid
    if payload.get("state") != invitation_state(user):
        raise InvitationError(_l("This invitation link has already been used, or a newer one was sent. "
                                 "Sign in with your e-mail address, or ask the centre for a new link."), 410)
    return user


def invitation_link(user: User) -> str:
    return absolute_url("auth.accept_invitation", token=invitation_token(user))


def send_invitation(user: User, actor: User | None, language: str) -> None:
    """E-mail the account's owner, in `language`, a link to choose their password; the links sent
    before stop working. Audited."""
    if language not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose the language of the invitation from the list."))
    if not user.is_active:
        raise DomainError(_l("This account is disabled: enable it before inviting its owner."))
    if user.password_hash:
        raise DomainError(_l("%(email)s has already chosen a password: they can ask for a new one on the "
                             "sign-in page if they forgot it."), email=user.email)
    user.end_sessions()  # renews the token the link's state is made of
    user.locale = language
    db.session.flush()
    mail.send(user.email, "account_invitation", language, name=user.full_name or user.email, email=user.email,
              role=user.role, link=invitation_link(user), days=INVITATION_MAX_AGE.days)
    audit.record(user, "invite", actor=actor, email=user.email, language=language)


def user_from_invitation(token: str, *, now: datetime | None = None) -> User:
    """The account an invitation link opens, or DomainError saying why it cannot be used."""
    invalid = DomainError(_l("This invitation link is not valid, has expired or was already used. "
                             "Ask the centre for a new one, or ask for a password-reset link."))
    try:
        payload, signed_at = invitation_serializer().loads(token, return_timestamp=True)
    except BadSignature:
        raise invalid from None
    if (now or utcnow()) - signed_at > INVITATION_MAX_AGE or not isinstance(payload, dict):
        raise invalid
    user = db.session.get(User, payload.get("user")) if isinstance(payload.get("user"), int) else None
    if user is None or not user.is_active or payload.get("state") != invitation_state(user):
        raise invalid
    return user


def accept_invitation(token: str, password: str, *, now: datetime | None = None) -> User:
    """Choose the account's password through the link; the link is used up. Audited."""
    user = user_from_invitation(token, now=now)
    if len(password) < 8:
        raise DomainError(_l("The password needs at least 8 characters."))
    user.set_password(password)
    user.end_sessions()
    user.last_login_at = now or utcnow()
    audit.record(user, "account_opened", actor=user)
    db.session.flush()
    return user
