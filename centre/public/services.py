"""What anyone may read: the catalogue of open sessions."""
import sqlalchemy as sa

from centre.extensions import db
from centre.models import SessionStatus, TrainingSession


def open_sessions() -> list[TrainingSession]:
    return db.session.scalars(
        sa.select(TrainingSession)
        .where(TrainingSession.status == SessionStatus.OPEN)
        .order_by(TrainingSession.start_on)
    ).all()


def get_open_session(code: str) -> TrainingSession | None:
    return db.session.scalar(
        sa.select(TrainingSession).where(TrainingSession.code == code,
                                         TrainingSession.status == SessionStatus.OPEN)
    )
