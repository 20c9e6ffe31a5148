"""Accounts: creating them, signing in, and locking sign-in after repeated failures."""
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.models import FailedLogin, Role, User


def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user and user.is_active else None


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


def authenticate(email: str, password: str, *, ip: str | None, now: datetime) -> User | None:
    """The account, or None for a wrong e-mail or password; raises SignInLocked while sign-in is
    closed for this e-mail or address (the password is then not even checked). Failures and locks
    go to the audit log."""
    email = email.strip().lower()[:254]
    ip = (ip or "")[:45]
    until = sign_in_locked_until(email, ip, now)
    if until is not None:
        raise SignInLocked(until)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None and user.is_active and user.check_password(password):
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
