"""Technical-assistance requests, carried from the request to the report.

A partner's focal point (or a coordinator on the partner's behalf) submits a request: an
immersion of the partner's staff in the centre's departments, or a mission of the centre's
experts to the partner. Its life:

    submitted → under study → accepted | declined (with a written reason)
    accepted → planned → delivered → closed (with the report)
    submitted | under study → withdrawn (by the partner's focal point, before any decision)

Declined, closed and withdrawn are final. Until the decision, whoever uploaded one of the
request's documents may remove it (the stored bytes stay, the removal is in the history).

Planning creates the linked session of the request's kind (immersion or expert mission) with
its experts and their working days, and approves it: the decision on the request stands for the
experts' preparation review of a collective session. Delivery completes that session, so its
experts' working days count in the reports like those of any session, and the partner is asked
to evaluate the assistance: the evaluation questionnaire of its purpose goes to the institution's
focal points and to the partner's person who submitted the request (centre/evaluation, with its
links, reminders, closing and results). Every change is audited
and e-mailed, in each person's language, to those concerned: the institution's focal points
and the centre's coordinators (not to the person who made it).
"""
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from centre import audit, mail
from centre.clock import today
from centre.errors import DomainError
from centre.evaluation.questionnaires import on_assistance_delivered
from centre.extensions import db
from centre.files import Upload, store_file
from centre.i18n import localized
from centre.models import (
    AssistanceDocument,
    AssistanceKind,
    AssistanceMessage,
    AssistanceRequest,
    AssistanceStatus,
    Expert,
    FocalPoint,
    Institution,
    Review,
    Role,
    SessionKind,
    SessionStatus,
    Trainer,
    TrainingSession,
    User,
)
from centre.models.types import utcnow
from centre.sessions import services as sessions
from centre.urls import absolute_url

A = AssistanceStatus

#: Where a coordinator may take a request from each status (planning and closing have their own steps).
TRANSITIONS: dict[AssistanceStatus, tuple[AssistanceStatus, ...]] = {
    A.SUBMITTED: (A.UNDER_STUDY, A.ACCEPTED, A.DECLINED, A.WITHDRAWN),
    A.UNDER_STUDY: (A.ACCEPTED, A.DECLINED, A.WITHDRAWN),
    A.ACCEPTED: (A.PLANNED,),
    A.PLANNED: (A.DELIVERED,),
    A.DELIVERED: (A.CLOSED,),
    A.DECLINED: (),
    A.CLOSED: (),
    A.WITHDRAWN: (),
}
#: Before the centre's decision: the partner may still withdraw the request, an author remove a document.
UNDECIDED = (A.SUBMITTED, A.UNDER_STUDY)
#: No message, document or change any more.
FINAL = (A.DECLINED, A.CLOSED, A.WITHDRAWN)
#: The statuses a coordinator reaches with a plain button (the others need a form).
SIMPLE_TARGETS = (A.UNDER_STUDY, A.ACCEPTED, A.DELIVERED)

#: The furthest ahead a preferred period or a plan may lie, and the longest they may last.
HORIZON = timedelta(days=3 * 366)
LONGEST = timedelta(days=180)
MESSAGE_MAX = 5000


def _check_period(start: date | None, end: date | None) -> None:
    if start is None or end is None:
        raise DomainError(_l("Give the first and the last day of the period."))
    if end < start:
        raise DomainError(_l("The period cannot end before it starts."))
    if start < today():
        raise DomainError(_l("The period cannot start in the past."))
    if end > today() + HORIZON:
        raise DomainError(_l("The period must lie within the next three years."))
    if end - start > LONGEST:
        raise DomainError(_l("The period lasts at most six months."))


def _languages(codes) -> str:
    codes = [c for c in (codes or []) if c]
    if not codes:
        raise DomainError(_l("Choose at least one language."))
    if any(c not in current_app.config["LANGUAGES"] for c in codes):
        raise DomainError(_l("Choose the languages from the list."))
    return ",".join(dict.fromkeys(codes))


# Who is told, in their language


def concerned(request: AssistanceRequest) -> list[User]:
    """The institution's focal points and the centre's coordinators, active accounts only."""
    focal = sa.select(FocalPoint.user_id).where(FocalPoint.institution_id == request.institution_id)
    return db.session.scalars(
        sa.select(User).where(User.is_active.is_(True),
                              sa.or_(User.id.in_(focal), User.role == Role.COORDINATOR))
        .order_by(User.id)).all()


def _notify(request: AssistanceRequest, actor: User | None, template: str, **context) -> int:
    """Mail everyone concerned but the actor, each in their language; returns how many."""
    sent = 0
    for user in concerned(request):
        if actor is not None and user.id == actor.id:
            continue
        language = user.locale if user.locale in current_app.config["LANGUAGES"] else \
            current_app.config["BABEL_DEFAULT_LOCALE"]
        with force_locale(language):
            institution = localized(request.institution, "name", language)
            status = str(request.status.label)
            kind = str(request.kind.label)
        mail.send(user.email, template, language, name=user.full_name or user.email, request=request,
                  institution=institution, status=status, kind=kind,
                  link=absolute_url("assistance.detail", request_id=request.id), **context)
        sent += 1
    return sent


# Submitting


def submit_request(institution: Institution, actor: User | None, *, kind, subject: str, objectives: str,
                   expertise_wanted: str = "", staff_count: int | None = None, staff_profile: str = "",
                   preferred_from: date | None, preferred_to: date | None, languages=("fr",),
                   documents: list[Upload] = ()) -> AssistanceRequest:
    """A new request of the institution, submitted; its documents are checked uploads."""
    try:
        kind = AssistanceKind(kind)
    except ValueError:
        raise DomainError(_l("Choose the kind of assistance from the list.")) from None
    subject, objectives = (subject or "").strip(), (objectives or "").strip()
    if not subject:
        raise DomainError(_l("Give the subject of the request."))
    if not objectives:
        raise DomainError(_l("Describe the objectives of the request."))
    if staff_count is not None and not 0 < staff_count <= 500:
        raise DomainError(_l("The number of staff lies between 1 and 500."))
    _check_period(preferred_from, preferred_to)
    request = AssistanceRequest(
        institution=institution, kind=kind, subject=subject, objectives=objectives,
        expertise_wanted=(expertise_wanted or "").strip(), staff_count=staff_count,
        staff_profile=(staff_profile or "").strip(), preferred_from=preferred_from, preferred_to=preferred_to,
        languages=_languages(languages), status=A.SUBMITTED, submitted_by=actor, submitted_at=utcnow())
    db.session.add(request)
    for upload in documents:
        request.documents.append(AssistanceDocument(file=store_file(upload, actor), purpose="request"))
    db.session.flush()
    audit.record(request, "submit", to_state=A.SUBMITTED, actor=actor, institution=institution.id,
                 kind=kind, documents=len(request.documents))
    _notify(request, actor, "assistance_submitted")
    return request


# The life of a request


def _check_move(request: AssistanceRequest, target: AssistanceStatus) -> None:
    if target not in TRANSITIONS[request.status]:
        raise DomainError(_l("A request cannot go from “%(source)s” to “%(target)s”."),
                          source=request.status.label, target=target.label)


def _move(request: AssistanceRequest, target: AssistanceStatus, actor: User | None, **details) -> None:
    _check_move(request, target)
    source = request.status
    request.status = target
    audit.record(request, "status", from_state=source, to_state=target, actor=actor, **details)


def change_status(request: AssistanceRequest, target: AssistanceStatus, actor: User | None,
                  reason: str = "") -> AssistanceRequest:
    """Acknowledge (under study), accept, decline with a written reason, or mark delivered."""
    reason = (reason or "").strip()
    if target == A.PLANNED:
        raise DomainError(_l("A request is planned from its planning form."))
    if target == A.CLOSED:
        raise DomainError(_l("A request is closed with its report."))
    if target == A.WITHDRAWN:
        raise DomainError(_l("Only the partner's focal point withdraws a request."))
    _check_move(request, target)
    if target == A.DECLINED and not reason:
        raise DomainError(_l("Say why the request is declined."))
    _move(request, target, actor, **({"reason": reason} if reason else {}))
    if target in (A.ACCEPTED, A.DECLINED):
        request.decided_at = utcnow()
        request.decision_reason = reason
    if target == A.DELIVERED:
        request.delivered_at = utcnow()
        training_session = request.training_session
        if training_session is not None and training_session.status != SessionStatus.COMPLETED:
            audit.record(training_session, "status", from_state=training_session.status,
                         to_state=SessionStatus.COMPLETED, actor=actor, reason=f"assistance {request.reference}")
            training_session.status = SessionStatus.COMPLETED
        db.session.flush()
        questionnaire = on_assistance_delivered(request, actor)
        if questionnaire is not None and questionnaire.is_open:
            audit.record(request, "evaluation", actor=actor, questionnaire=questionnaire.id,
                         invitations=len(questionnaire.invitations))
    db.session.flush()
    _notify(request, actor, "assistance_status", reason=reason)
    return request


def add_message(request: AssistanceRequest, actor: User, body: str,
                documents: list[Upload] = ()) -> AssistanceMessage:
    """A question or an answer on the request's page, e-mailed to the other side. A coordinator's
    message on a request just submitted acknowledges it: it goes under study."""
    body = (body or "").strip()
    if not body:
        raise DomainError(_l("Write the message."))
    if len(body) > MESSAGE_MAX:
        raise DomainError(_l("A message holds at most %(count)s characters."), count=MESSAGE_MAX)
    if request.status in FINAL:
        raise DomainError(_l("This request is over: it takes no more messages."))
    message = AssistanceMessage(author=actor, body=body, at=utcnow())
    request.messages.append(message)
    for upload in documents:
        request.documents.append(AssistanceDocument(file=store_file(upload, actor), purpose="request"))
    if actor.is_staff and request.status == A.SUBMITTED:
        _move(request, A.UNDER_STUDY, actor)
    db.session.flush()
    audit.record(request, "message", actor=actor, message_id=message.id, documents=len(documents))
    _notify(request, actor, "assistance_message", body=body, author=actor.full_name or actor.email)
    return message


def is_focal_point_of(user: User, institution_id: int) -> bool:
    return db.session.scalar(sa.select(FocalPoint.id).where(FocalPoint.user_id == user.id,
                                                            FocalPoint.institution_id == institution_id)) is not None


def withdraw_request(request: AssistanceRequest, actor: User, reason: str = "") -> AssistanceRequest:
    """The partner's focal point withdraws the request before the centre decides (final); the
    coordinators are told, with the reason if one is given."""
    reason = (reason or "").strip()
    if not is_focal_point_of(actor, request.institution_id):
        raise DomainError(_l("Only the partner's focal point withdraws a request."))
    if request.status not in UNDECIDED:
        raise DomainError(_l("The centre has decided on this request: it can no longer be withdrawn. "
                             "Write a message instead."))
    if len(reason) > MESSAGE_MAX:
        raise DomainError(_l("A message holds at most %(count)s characters."), count=MESSAGE_MAX)
    _move(request, A.WITHDRAWN, actor, **({"reason": reason} if reason else {}))
    request.decision_reason = reason
    db.session.flush()
    _notify(request, actor, "assistance_status", reason=reason)
    return request


def may_remove_document(document: AssistanceDocument, user: User) -> bool:
    """Its author, while the request awaits the decision; a report's files stay."""
    return (document.purpose == "request" and document.request.status in UNDECIDED
            and document.file.created_by_id is not None and document.file.created_by_id == user.id)


def remove_document(document: AssistanceDocument, actor: User) -> None:
    """The author removes a document of theirs before the decision; the stored bytes stay
    (unlisted), the removal is in the request's history."""
    if document.request.status not in UNDECIDED:
        raise DomainError(_l("The centre has decided on this request: its documents stay."))
    if not may_remove_document(document, actor):
        raise DomainError(_l("Only the person who sent a document removes it."))
    request = document.request
    audit.record(request, "document_remove", actor=actor, name=document.file.name, sha256=document.file.sha256)
    request.documents.remove(document)
    db.session.flush()


# Planning: the linked session of the right kind, with its experts and their working days


@dataclass(frozen=True)
class Candidate:
    """An expert as the planning page shows them for a request."""

    expert: Expert
    speciality_fits: bool
    languages_fit: bool
    busy: list[str]  #: the sessions (codes) they are busy with in the period
    missions: int  #: expert missions they were sent on before
    days_this_year: float  #: working days on sessions of this year

    @property
    def fits(self) -> bool:
        return self.speciality_fits and self.languages_fit and not self.busy


def _words(text: str) -> set[str]:
    return {w for w in "".join(c if c.isalnum() else " " for c in text.casefold()).split() if len(w) >= 4}


def matching_experts(request: AssistanceRequest, start_on: date | None = None,
                     end_on: date | None = None) -> list[Candidate]:
    """Every expert, the fitting first: speciality (a word shared with the expertise wanted or
    the subject), working languages (one of the request's), availability in the period (no other
    session taught or review due then), then the fewest working days this year."""
    start_on, end_on = start_on or request.preferred_from, end_on or request.preferred_to
    wanted = _words(f"{request.expertise_wanted} {request.subject}")
    experts = db.session.scalars(sa.select(Expert).order_by(Expert.family_name, Expert.given_name, Expert.id)).all()
    year_start, year_end = date(start_on.year, 1, 1), date(start_on.year, 12, 31)
    trainers = db.session.execute(
        sa.select(Trainer.expert_id, Trainer.days, TrainingSession.code, TrainingSession.kind,
                  TrainingSession.start_on, TrainingSession.end_on, TrainingSession.id)
        .join(TrainingSession).where(TrainingSession.status != SessionStatus.CANCELLED)).all()
    reviews = db.session.execute(
        sa.select(Review.expert_id, Review.due_on, TrainingSession.code).join(TrainingSession)
        .where(Review.due_on.between(start_on, end_on), TrainingSession.status != SessionStatus.CANCELLED)).all()
    busy, missions, days = {}, Counter(), Counter()
    own = request.session_id
    for expert_id, worked, code, kind, first, last, session_id in trainers:
        if session_id == own:
            continue
        if first <= end_on and last >= start_on:
            busy.setdefault(expert_id, []).append(code)
        if kind == SessionKind.EXPERT_MISSION:
            missions[expert_id] += 1
        if year_start <= first <= year_end:
            days[expert_id] += float(worked)
    for expert_id, _due, code in reviews:
        busy.setdefault(expert_id, []).append(code)
    languages = set(request.language_codes)
    candidates = [Candidate(expert=e, speciality_fits=bool(wanted & _words(e.speciality)),
                            languages_fit=bool(languages & set(e.language_codes)),
                            busy=sorted(set(busy.get(e.id, []))), missions=missions[e.id],
                            days_this_year=days[e.id]) for e in experts]
    return sorted(candidates, key=lambda c: (not c.fits, not c.speciality_fits, not c.languages_fit, bool(c.busy),
                                             c.days_this_year))


def plan_request(request: AssistanceRequest, actor: User | None, *, code: str, start_on: date, end_on: date,
                 venue: str, experts: list[tuple[Expert, float]], programme: str = "",
                 host_departments: str = "") -> TrainingSession:
    """Create the accepted request's session, of its kind, approved, with the experts sent (a
    mission: to `venue`, the destination) or the tutors (an immersion, in `host_departments`),
    each with their working days. Returns the session; `sessions.conflicts` says what clashes."""
    if request.status != A.ACCEPTED:
        raise DomainError(_l("Only an accepted request is planned."))
    code = (code or "").strip()
    if not code:
        raise DomainError(_l("Give the session's code."))
    venue, programme, host_departments = (venue or "").strip(), (programme or "").strip(), \
        (host_departments or "").strip()
    if start_on is None or end_on is None or end_on < start_on:
        raise DomainError(_l("Give the travel dates, the return not before the departure."))
    if end_on - start_on > LONGEST:
        raise DomainError(_l("The period lasts at most six months."))
    if not experts:
        raise DomainError(_l("Choose at least one expert."))
    if len({expert.id for expert, _days in experts}) != len(experts):
        raise DomainError(_l("Each expert is chosen once."))
    length = (end_on - start_on).days + 1
    if any(not 0 < worked <= length for _expert, worked in experts):
        raise DomainError(_l("An expert works between half a day and the length of the session."))
    mission = request.kind == AssistanceKind.EXPERT_MISSION
    if mission and not venue:
        raise DomainError(_l("Give the destination of the mission."))
    if not mission and not host_departments:
        raise DomainError(_l("Name the departments that host the immersion."))
    training_session = sessions.create_session(
        actor, code=code, kind=SessionKind.EXPERT_MISSION if mission else SessionKind.IMMERSION,
        title_fr=request.subject, theme_fr=request.objectives, programme_fr=programme,
        venue_fr=venue, start_on=start_on, end_on=end_on,
        capacity=request.staff_count or 1, institution_quota=None, registration_deadline=None,
        languages=request.languages)
    for expert, worked in experts:
        sessions.set_trainer(training_session, expert, worked, actor)
    audit.record(training_session, "status", from_state=SessionStatus.DRAFT, to_state=SessionStatus.APPROVED,
                 actor=actor, reason=f"assistance {request.reference}")
    training_session.status = SessionStatus.APPROVED
    request.training_session = training_session
    request.host_departments = host_departments
    _move(request, A.PLANNED, actor, session=code, experts=",".join(e.name for e, _d in experts))
    db.session.flush()
    _notify(request, actor, "assistance_status", reason="")
    return training_session


def close_request(request: AssistanceRequest, actor: User | None, report: str,
                  documents: list[Upload] = ()) -> AssistanceRequest:
    """Close a delivered request with its written report and the report's files."""
    report = (report or "").strip()
    if request.status != A.DELIVERED:
        raise DomainError(_l("A request is closed once delivered."))
    if not report:
        raise DomainError(_l("Write the report."))
    for upload in documents:
        request.documents.append(AssistanceDocument(file=store_file(upload, actor), purpose="report"))
    request.report = report
    request.closed_at = utcnow()
    _move(request, A.CLOSED, actor)
    audit.record(request, "report", actor=actor, documents=len(documents))
    db.session.flush()
    _notify(request, actor, "assistance_status", reason="")
    return request


# Lists


def requests_of(institution: Institution | None = None, status: AssistanceStatus | None = None):
    query = sa.select(AssistanceRequest).order_by(AssistanceRequest.submitted_at.desc(), AssistanceRequest.id.desc())
    if institution is not None:
        query = query.where(AssistanceRequest.institution_id == institution.id)
    if status is not None:
        query = query.where(AssistanceRequest.status == status)
    return db.session.scalars(query.options(sa.orm.joinedload(AssistanceRequest.institution))).all()

