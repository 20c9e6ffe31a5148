"""Accounts managed from the web, and the audit log read and filtered.

Admins open staff accounts (an invitation by e-mail, in the person's language, with a link to
choose a password), disable and enable accounts and change roles between administrator and
coordinator. Experts' and trainees' accounts come with their records (the experts' directory,
registrations and imports); they may be disabled here, their role stays. The centre never
runs out of administrators: a change that would leave no active admin is refused, whoever makes it.
"""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm

from centre import audit
from centre.auth.services import send_invitation
from centre.database import lock_name
from centre.errors import DomainError
from centre.extensions import db
from centre.models import AuditEntry, Role, User

#: Roles an admin gives from the page; experts and trainees have records of their own.
STAFF_ROLES = (Role.ADMIN, Role.COORDINATOR)
ACTIVE, DISABLED, INVITED = "active", "disabled", "invited"

#: How the accounts' list names their state.
ACCOUNT_STATE_LABELS = {
    ACTIVE: _l("Active"),
    INVITED: _l("Invited, no password yet"),
    DISABLED: _l("Disabled"),
}


def account_state(user: User) -> str:
    if not user.is_active:
        return DISABLED
    return ACTIVE if user.password_hash else INVITED


# Accounts


def accounts_query(*, role: Role | None = None, state: str = "", search: str = "") -> sa.Select:
    """Accounts matching every filter given, staff first, then by name and address."""
    query = sa.select(User)
    if role is not None:
        query = query.where(User.role == role)
    if state == DISABLED:
        query = query.where(User.is_active.is_(False))
    elif state == ACTIVE:
        query = query.where(User.is_active.is_(True), User.password_hash.is_not(None))
    elif state == INVITED:
        query = query.where(User.is_active.is_(True), User.password_hash.is_(None))
    search = search.strip().lower()
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(User.email.like(pattern, escape="\\"),
                                   sa.func.lower(User.full_name).like(pattern, escape="\\")))
    staff_first = sa.case((User.role == Role.ADMIN, 0), (User.role == Role.COORDINATOR, 1), else_=2)
    return query.order_by(staff_first, User.full_name, User.email, User.id)


def _check_staff_role(role: Role) -> None:
    if role not in STAFF_ROLES:
        raise DomainError(_l("An account opened here is an administrator's or a coordinator's: experts are "
                             "invited from the experts' directory, trainees come with their registrations."))


def create_account(email: str, full_name: str, role: Role, language: str, actor: User) -> User:
    """A staff account without a password, and its owner's invitation in `language`. Audited."""
    email = email.strip().lower()
    full_name = full_name.strip()
    _check_staff_role(role)
    lock_name(db.session, "account", email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise DomainError(_l("An account already exists for %(email)s."), email=email)
    if not full_name:
        raise DomainError(_l("Give the person's name."))
    user = User(email=email, full_name=full_name, role=role, locale=language, password_hash=None)
    db.session.add(user)
    db.session.flush()
    audit.record(user, "create", to_state=role, actor=actor, email=email)
    send_invitation(user, actor, language)
    return user


def invite_again(user: User, actor: User, language: str) -> User:
    """A new invitation for an account whose owner has not chosen a password; older links stop working."""
    send_invitation(user, actor, language)
    return user


def _lock_admins() -> None:
    """Two admins demoting or disabling each other at once are checked one after the other."""
    lock_name(db.session, "admins")


def _another_active_admin(user: User) -> bool:
    return db.session.scalar(sa.select(User.id).where(
        User.role == Role.ADMIN, User.is_active.is_(True), User.id != user.id).limit(1)) is not None


def disable_account(user: User, actor: User) -> User:
    """The account can no longer sign in and its sign-ins end on every device. Audited."""
    _lock_admins()
    db.session.refresh(user)
    if not user.is_active:
        raise DomainError(_l("This account is already disabled."))
    if user.role == Role.ADMIN and not _another_active_admin(user):
        raise DomainError(_l("This is the last active administrator's account: give another account the "
                             "administrator's role first."))
    user.is_active = False
    user.end_sessions()
    audit.record(user, "disable", from_state=ACTIVE, to_state=DISABLED, actor=actor)
    db.session.flush()
    return user


def enable_account(user: User, actor: User) -> User:
    if user.is_active:
        raise DomainError(_l("This account is already enabled."))
    user.is_active = True
    audit.record(user, "enable", from_state=DISABLED, to_state=ACTIVE, actor=actor)
    db.session.flush()
    return user


def change_role(user: User, role: Role, actor: User) -> User:
    """Between administrator and coordinator; never leaving the centre without an active admin. Audited."""
    _check_staff_role(role)
    if user.role not in STAFF_ROLES:
        raise DomainError(_l("An expert's or a trainee's account keeps its role: it goes with their record."))
    _lock_admins()
    db.session.refresh(user)
    if user.role == role:
        raise DomainError(_l("This account already has this role."))
    if user.role == Role.ADMIN and user.is_active and not _another_active_admin(user):
        raise DomainError(_l("This is the last active administrator's account: give another account the "
                             "administrator's role first."))
    before = user.role
    user.role = role
    audit.record(user, "role", from_state=before, to_state=role, actor=actor)
    db.session.flush()
    return user


# The audit log


def audit_query(*, who: str = "", action: str = "", entity: str = "", entity_id: int | None = None,
                since: datetime | None = None, until: datetime | None = None) -> sa.Select:
    """Audit entries matching every filter given, newest first. `who`: part of the acting
    account's address or name; "-" for entries without one (the system, a visitor)."""
    query = sa.select(AuditEntry).options(orm.joinedload(AuditEntry.actor))
    who = who.strip().lower()
    if who == "-":
        query = query.where(AuditEntry.actor_id.is_(None))
    elif who:
        pattern = "%" + who.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(AuditEntry.actor_id.in_(sa.select(User.id).where(sa.or_(
            User.email.like(pattern, escape="\\"), sa.func.lower(User.full_name).like(pattern, escape="\\")))))
    if action:
        query = query.where(AuditEntry.action == action)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
