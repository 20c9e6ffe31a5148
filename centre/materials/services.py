"""A session's materials: coordinators and the session's trainers upload files (checked and kept
through centre/files.py, the one storage of uploads), before, during or after the session, each
visible to the accepted trainees, to the trainers, or to the staff only; who may see one may
download it alone or with the others in a ZIP."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.files import KINDS, Upload, safe_file_name, store_file, zip_files
from centre.models import (
    Expert,
    Material,
    Registration,
    RegistrationStatus,
    Role,
    SessionStatus,
    Trainee,
    Trainer,
    TrainingSession,
    User,
    Visibility,
)

TITLE_MAX = 200
MAX_BYTES = 20 * 1024 * 1024  #: a material's largest size (slides with pictures run to a few MB)
#: What each kind of reader sees.
SEEN_BY = {
    "staff": tuple(Visibility),
    "trainer": (Visibility.TRAINEES, Visibility.TRAINERS),
    "trainee": (Visibility.TRAINEES,),
}


def is_trainer(training_session: TrainingSession, user: User) -> bool:
    return user.role == Role.EXPERT and db.session.scalar(
        sa.select(Trainer.expert_id).join(Expert, Expert.id == Trainer.expert_id)
        .where(Trainer.session_id == training_session.id, Expert.user_id == user.id)) is not None


def is_accepted_trainee(training_session: TrainingSession, user: User) -> bool:
    return user.role == Role.TRAINEE and db.session.scalar(
        sa.select(Registration.id).join(Trainee)
        .where(Registration.session_id == training_session.id, Registration.status == RegistrationStatus.ACCEPTED,
               Trainee.user_id == user.id)) is not None


def reader_kind(training_session: TrainingSession, user: User) -> str | None:
    """How the user reads the session's materials: "staff", "trainer", "trainee", or None (not at all)."""
    if user.is_staff:
        return "staff"
    if is_trainer(training_session, user):
        return "trainer"
    if is_accepted_trainee(training_session, user):
        return "trainee"
    return None


def sessions_taught(user: User) -> list[TrainingSession]:
    """The sessions the user teaches, not cancelled, latest first (where a trainer adds materials)."""
    return db.session.scalars(
        sa.select(TrainingSession).join(Trainer, Trainer.session_id == TrainingSession.id)
        .join(Expert, Expert.id == Trainer.expert_id)
        .where(Expert.user_id == user.id, TrainingSession.status != SessionStatus.CANCELLED)
        .order_by(TrainingSession.start_on.desc())).all()


def may_upload(training_session: TrainingSession, user: User) -> bool:
    return user.is_staff or is_trainer(training_session, user)


def materials_for(training_session: TrainingSession, user: User) -> list[Material]:
    """The session's materials the user may see, newest first."""
    kind = reader_kind(training_session, user)
    if kind is None:
        return []
    return db.session.scalars(
        sa.select(Material).where(Material.session_id == training_session.id,
                                  Material.visibility.in_(SEEN_BY[kind]))
        .order_by(Material.uploaded_at.desc(), Material.id.desc())).all()


def visible_materials(session_ids: list[int]) -> dict[int, list[Material]]:
    """Materials visible to accepted trainees, by session, in one query (the trainee's space)."""
    if not session_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Material).where(Material.session_id.in_(session_ids), Material.visibility == Visibility.TRAINEES)
        .order_by(Material.uploaded_at.desc(), Material.id.desc())).all()
    result: dict[int, list[Material]] = {}
    for material in rows:
        result.setdefault(material.session_id, []).append(material)
    return result


def may_see(material: Material, user: User) -> bool:
    kind = reader_kind(material.training_session, user)
    return kind is not None and material.visibility in SEEN_BY[kind]


def add_material(training_session: TrainingSession, upload: Upload, visibility: Visibility, actor: User,
                 title: str = "") -> Material:
    """Keep a checked upload as one of the session's materials."""
    if not may_upload(training_session, actor):
        raise DomainError(_l("Only coordinators and the session's trainers add materials."))
    if training_session.status == SessionStatus.CANCELLED:
        raise DomainError(_l("The session is cancelled: it takes no more materials."))
    title = " ".join((title or "").split())
    if len(title) > TITLE_MAX:
        raise DomainError(_l("A title has at most %(max)d characters."), max=TITLE_MAX)
    stored = store_file(upload, actor)
    stem, dot, _extension = stored.name.rpartition(".")
    material = Material(training_session=training_session, file=stored, title=title or (stem if dot else stored.name),
                        visibility=visibility, uploaded_by=actor)
    db.session.add(material)
    db.session.flush()
    audit.record(material, "upload", to_state=visibility, actor=actor, session=training_session.code,
                 name=stored.name, size=stored.size, sha256=stored.sha256)
    return material


def remove_material(material: Material, actor: User) -> None:
    """Coordinators remove any material, a trainer those they uploaded; the stored file stays
    (another row may share its bytes), unlisted."""
    if not (actor.is_staff or (material.uploaded_by_id == actor.id and is_trainer(material.training_session, actor))):
        raise DomainError(_l("Only coordinators, and the trainer who added it, remove a material."))
    audit.record(material, "remove", from_state=material.visibility, actor=actor, name=material.file.name)
    db.session.delete(material)
    db.session.flush()


def download_name(material: Material) -> str:
    """The material's title with the extension of its kind (judged by content when uploaded), safe in any script."""
    extensions = KINDS[material.file.kind].extensions
    title = material.title
    if not title.lower().endswith(extensions):
        title = f"{title}{extensions[0]}"
    return safe_file_name(title)


def archive(training_session: TrainingSession, user: User) -> bytes:
    """A ZIP of the session's materials the user may see."""
    materials = materials_for(training_session, user)
    if not materials:
        raise DomainError(_l("There is no material to download yet."))
    return zip_files((download_name(m), m.file) for m in reversed(materials))

