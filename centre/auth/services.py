"""Accounts: creating them, signing in."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.models import Role, User
from centre.models.types import utcnow


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


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user
