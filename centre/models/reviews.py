"""The experts' preparation review of a session's theme and programme."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.experts import Expert
from centre.models.sessions import TrainingSession
from centre.models.types import UTCDateTime, enum_column, utcnow
from centre.models.users import User


class Recommendation(enum.StrEnum):
    APPROVE = "approve"
    APPROVE_WITH_CHANGES = "approve_with_changes"
    REJECT = "reject"

    @property
    def label(self):
        return {
            Recommendation.APPROVE: _lp("recommendation", "Approve"),
            Recommendation.APPROVE_WITH_CHANGES: _lp("recommendation", "Approve with changes"),
            Recommendation.REJECT: _lp("recommendation", "Reject"),
        }[self]


class Review(db.Model):
    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="CASCADE"), index=True
    )
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("expert.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_on: Mapped[date | None]
    has_conflict: Mapped[bool] = mapped_column(default=False)  #: declared conflict of interest
    conflict_note: Mapped[str] = mapped_column(sa.Text, default="")
    score_relevance: Mapped[int | None]  #: 1–5
    score_methodology: Mapped[int | None]  #: 1–5
    score_audience: Mapped[int | None]  #: 1–5, fit for the audience
    recommendation: Mapped[Recommendation | None] = mapped_column(
        enum_column(Recommendation, "recommendation")
    )
    comments: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: last overdue reminder

    training_session: Mapped[TrainingSession] = relationship()
    expert: Mapped[Expert] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])

    __table_args__ = (
        sa.UniqueConstraint("session_id", "expert_id", name="uq_review_session_expert"),
        *(
            sa.CheckConstraint(f"{col} IS NULL OR {col} BETWEEN 1 AND 5", name=f"{col}_1_to_5")
            for col in ("score_relevance", "score_methodology", "score_audience")
        ),
    )

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    def __repr__(self):
        return f"<Review session={self.session_id} expert={self.expert_id} {self.recommendation}>"
