"""Experts: the directory, their records, and their accounts, opened by an e-mailed invitation.

The invitation link carries a signed token (itsdangerous, SECRET_KEY and a salt of its own):
the account's id and a fingerprint of its e-mail and password hash. It expires after
INVITATION_MAX_AGE, and setting the password changes the fingerprint, so a link works once.
"""
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from centre import audit, mail
from centre.auth import services as auth_services
from centre.auth.services import InvitationError
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import is_country
from centre.models import Expert, Institution, Role, User
from centre.models.types import utcnow
from centre.urls import absolute_url

INVITATION_SALT = "centre.expert-invitation"
INVITATION_MAX_AGE = timedelta(days=7)
NATIONAL, FOREIGN = "national", "foreign"

#: The state of an expert's account (Expert.account_state), as the directory shows it.
ACCOUNT_LABELS = {
    "none": _l("No account"),
    "invited": _l("Invited"),
    "active": _l("Active account"),
}


# The directory


def list_experts(*, origin: str = "", speciality: str = "", institution_id: int | None = None) -> list[Expert]:
    """Experts matching every filter given, by family name; institution and account in the same query."""
    query = sa.select(Expert).options(joinedload(Expert.institution), joinedload(Expert.user))
    host = current_app.config["HOST_COUNTRY"]
    if origin == NATIONAL:
        query = query.where(Expert.nationality == host)
    elif origin == FOREIGN:
        query = query.where(Expert.nationality != host)
    if speciality:
        query = query.where(Expert.speciality == speciality)
    if institution_id:
        query = query.where(Expert.institution_id == institution_id)
    return db.session.scalars(query.order_by(Expert.family_name, Expert.given_name, Expert.id)).all()


def specialities() -> list[str]:
    """The specialities experts have, for the directory's filter."""
    return db.session.scalars(
        sa.select(Expert.speciality).where(Expert.speciality != "").distinct().order_by(Expert.speciality)
    ).all()


def list_institutions() -> list[Institution]:
    return db.session.scalars(sa.select(Institution)).all()


# Records


def _clean(fields: dict, expert: Expert | None = None) -> dict:
    fields = {**fields}
    for name in ("given_name", "family_name", "full_name_ar", "speciality"):
        fields[name] = (fields.get(name) or "").strip()
    if not fields["given_name"] or not fields["family_name"]:
        raise DomainError(_l("Give the given name and the family name in Latin script."))
    if not is_country(fields.get("nationality")):
        raise DomainError(_l("Choose the nationality from the list."))
    fields["email"] = (fields.get("email") or "").strip().lower() or None
    if fields["email"]:
        same = sa.select(Expert.id).where(Expert.email == fields["email"])
        if expert is not None:
            same = same.where(Expert.id != expert.id)
        if db.session.scalar(same) is not None:
            raise DomainError(_l("Another expert already has the e-mail address %(email)s."),
                              email=fields["email"])
    codes = [c for c in (fields.get("languages") or "").split(",") if c]
    if any(c not in current_app.config["LANGUAGES"] for c in codes):
        raise DomainError(_l("Choose the working languages from the list."))
    fields["languages"] = ",".join(dict.fromkeys(codes))
    fields["institution_id"] = fields.get("institution_id") or None
    if fields["institution_id"] and db.session.get(Institution, fields["institution_id"]) is None:
        raise DomainError(_l("Choose the institution from the list."))
    return fields


def create_expert(actor: User | None = None, **fields) -> Expert:
    expert = Expert(**_clean(fields))
    db.session.add(expert)
    audit.record(expert, "create", actor=actor, name=expert.name, nationality=expert.nationality)
    return expert


def update_expert(expert: Expert, actor: User | None = None, **fields) -> Expert:
    """Change an expert's record; the audit entry lists what changed. The account's login stays."""
    fields = _clean(fields, expert)
    changed = [name for name, value in fields.items() if getattr(expert, name) != value]
    for name in changed:
        setattr(expert, name, fields[name])
    if changed:
        audit.record(expert, "edit", actor=actor, changed=",".join(changed))
    db.session.flush()
    return expert


# Invitations


def invitation_token(user: User) -> str:
    return auth_services.invitation_token(user, INVITATION_SALT)


def invitation_url(token: str) -> str:
    """The link in the e-mail: on the public address when one is set, else this request's host."""
    return absolute_url("experts.accept_invitation", token=token)


def open_invitation(expert: Expert, actor: User | None = None, *, language: str = "fr") -> str:
    """Create the expert's account without a password (or keep the one already waiting) and return a
    new personal link to choose it; the links sent before stop working. No mail: the caller sends it,
    in an invitation or with a review request."""
    if not expert.email:
        raise DomainError(_l("Give the expert's e-mail address before inviting them."))
    if language not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose the language of the invitation from the list."))
    user = expert.user
    if user is not None and user.password_hash:
        raise DomainError(_l("%(name)s already has an account."), name=expert.name)
    taken = sa.select(User.id).where(User.email == expert.email)
    if user is not None:
        taken = taken.where(User.id != user.id)
    if db.session.scalar(taken) is not None:
        raise DomainError(_l("An account already exists for %(email)s."), email=expert.email)
    action = "invite_again" if user is not None else "invite"
    if user is None:
        user = User(email=expert.email, role=Role.EXPERT)
        db.session.add(user)
        expert.user = user
    else:
        user.end_sessions()  # the links sent before stop working: only the newest does
    user.email, user.full_name, user.locale = expert.email, expert.name, language
    db.session.flush()
    audit.record(expert, action, actor=actor, email=user.email, language=language)
    return invitation_url(invitation_token(user))


def invite_expert(expert: Expert, actor: User | None = None, *, language: str = "fr") -> User:
    """Open the expert's account (open_invitation) and e-mail the link to choose its password, in
    `language`. Inviting again sends a new link."""
    link = open_invitation(expert, actor, language=language)
    name = expert.full_name_ar if language == "ar" and expert.full_name_ar else expert.name
    mail.send(expert.user.email, "expert_invitation", language, name=name, email=expert.user.email,
              link=link, days=INVITATION_MAX_AGE.days)
    return expert.user


def read_invitation(token: str, *, now: datetime | None = None, max_age: timedelta = INVITATION_MAX_AGE,
                    lock: bool = False) -> Expert:
    """The expert an invitation link is for, or InvitationError saying why it cannot be used."""
    user = auth_services.invited_user(token, INVITATION_SALT, Role.EXPERT, now=now or utcnow(), max_age=max_age,
                                      lock=lock)
    expert = db.session.scalar(sa.select(Expert).where(Expert.user_id == user.id))
    if expert is None:
        raise InvitationError(_l("This invitation link is not valid. Check that it was copied whole, "
                                 "or ask the centre for a new one."), 404)
    return expert


def accept_invitation(token: str, password: str, *, now: datetime | None = None) -> Expert:
    """Set the account's password through the link; the link is used up."""
    expert = read_invitation(token, now=now, lock=True)
    if len(password) < 8:
        raise DomainError(_l("The password needs at least 8 characters."))
    user = expert.user
    user.set_password(password)
    user.last_login_at = utcnow()
    audit.record(expert, "account_opened", actor=user, email=user.email)
    db.session.flush()
    return expert
