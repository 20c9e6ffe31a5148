"""Files people upload (materials, documents, reports), kept through centre/files.py."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.types import UTCDateTime, utcnow
from centre.models.users import User


class StoredFile(db.Model):
    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))  #: safe to show and to offer as a download
    kind: Mapped[str] = mapped_column(sa.String(10))  #: a key of centre.files.KINDS, judged by content
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]  #: bytes
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)  #: hex; names the file in a folder storage
    storage: Mapped[str] = mapped_column(sa.String(20))  #: where the bytes are: "database" or "folder"
    #: The bytes, when kept in the database; loaded only when asked for.
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("size > 0", name="not_empty"),
        sa.CheckConstraint("storage IN ('database', 'folder')", name="storage_known"),
        sa.CheckConstraint("storage <> 'database' OR content IS NOT NULL", name="database_has_content"),
    )

    def __repr__(self):
        return f"<StoredFile {self.id} {self.kind} {self.size}B {self.name[:30]}>"
