"""The trainee's space: what one page shows a signed-in trainee about each of their registrations —
its status and next step, the convocation, the materials, the questionnaires waiting for an answer,
the half-day to sign now, attendance, certificates."""
from dataclasses import dataclass, field

from flask_babel import gettext as _

from centre.attendance.services import AttendanceFigures, session_figures
from centre.attendance.signatures import slots_to_sign
from centre.evaluation.answering import token
from centre.evaluation.questionnaires import waiting_for
from centre.materials.services import visible_materials
from centre.models import Invitation, Material, Registration, RegistrationStatus, SessionStatus, Slot, User
from centre.registrations.services import may_cancel_own

R = RegistrationStatus


@dataclass
class SpaceEntry:
    registration: Registration
    next_step: str
    figures: AttendanceFigures | None = None  #: once the session has started
    to_sign: list[tuple[Slot, bool]] = field(default_factory=list)  #: half-days under way, signed or not
    materials: list[Material] = field(default_factory=list)  #: those shared with accepted trainees
    cancellable: bool = False  #: the trainee may still cancel (not once the session is under way)
    #: the session's open questionnaires the trainee has not answered yet, each with its personal link
    questionnaires: list[tuple[Invitation, str]] = field(default_factory=list)


def next_step(registration: Registration, confirmed: bool, certificates: list) -> str:
    """What the trainee does (or waits for) next, in words."""
    status, session_status = registration.status, registration.training_session.status
    if status == R.PENDING:
        return _("Confirm your e-mail address: the link is in the message we sent.") if not confirmed \
            else _("Wait for the centre's decision: you will be told by e-mail.")
    if status == R.WAITLISTED:
        return _("You are on the waiting list: you will be told by e-mail if a place becomes free.")
    if status != R.ACCEPTED:
        return ""
    if session_status == SessionStatus.IN_PROGRESS:
        return _("The session is under way: sign each half-day on this page.")
    if session_status == SessionStatus.COMPLETED:
        if any(c.has_pdf for c in certificates):
            return _("Download your certificate below.")
        return _("The session is over: your certificate will be issued once attendance is checked.")
    if session_status == SessionStatus.CANCELLED:
        return _("The session is cancelled.")
    return _("Read your convocation, add the session to your calendar and prepare your travel.")


def space_entries(user: User, registrations: list[Registration], confirmed: bool,
                  certificates: dict[int, list]) -> list[SpaceEntry]:
    started = (SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED)
    to_sign: dict[int, list[tuple[Slot, bool]]] = {}
    for slot, registration, signed in slots_to_sign(user):
        to_sign.setdefault(registration.id, []).append((slot, signed))
    materials = visible_materials([r.session_id for r in registrations if r.status == R.ACCEPTED])
    questionnaires = waiting_for(sorted({r.trainee_id for r in registrations if r.status == R.ACCEPTED}))
    entries = []
    for registration in registrations:
        figures = None
        if registration.status == R.ACCEPTED and registration.training_session.status in started:
            figures = session_figures(registration.training_session, [registration.id])[registration.id]
        accepted = registration.status == R.ACCEPTED
        waiting = [(i, token(i)) for i in questionnaires.get(registration.session_id, [])
                   if i.trainee_id == registration.trainee_id] if accepted else []
        entries.append(SpaceEntry(registration, next_step(registration, confirmed, certificates.get(registration.id, [])),
                                  figures, to_sign.get(registration.id, []),
                                  materials.get(registration.session_id, []) if accepted else [],
                                  may_cancel_own(registration), waiting))
    return entries
