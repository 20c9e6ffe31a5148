"""The audit log: who changed what, when, from which state to which."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.types import UTCDateTime, utcnow
from centre.models.users import User


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))  #: None: system or visitor
    entity: Mapped[str] = mapped_column(sa.String(40))  #: table name of what changed
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(sa.String(40))
    from_state: Mapped[str | None] = mapped_column(sa.String(40))
    to_state: Mapped[str | None] = mapped_column(sa.String(40))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (sa.Index("ix_audit_entry_entity", "entity", "entity_id"),)

    def __repr__(self):
        return f"<AuditEntry {self.entity}#{self.entity_id} {self.action}>"
