"""Writing the audit log; every state change that matters goes through record()."""
from flask import has_request_context
from flask_login import current_user
from sqlalchemy import orm

from centre.extensions import db
from centre.models import AuditEntry, User


def _state(value):
    return None if value is None else str(getattr(value, "value", value))


def record(obj, action: str, *, from_state=None, to_state=None, actor: User | None = None, **details):
    """Add an audit entry about `obj` (a model instance with an id) to the session."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    db.session.flush()  # obj needs its id
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        entity=obj.__tablename__,
        entity_id=obj.id,
        action=action,
        from_state=_state(from_state),
        to_state=_state(to_state),
        details={k: str(v) if v is not None else None for k, v in details.items()},
    )
    db.session.add(entry)
    return entry


def history(obj) -> list[AuditEntry]:
    return db.session.scalars(
        db.select(AuditEntry)
        .where(AuditEntry.entity == obj.__tablename__, AuditEntry.entity_id == obj.id)
        .options(orm.joinedload(AuditEntry.actor))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
