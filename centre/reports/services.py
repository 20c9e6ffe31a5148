"""The centre's activity in figures for a period, against the same span one year earlier.

What counts — the rules the dashboard and the activity report both print:
- A session counts in a period when its first day falls in the period (both ends included) and
  it has taken place: in progress or completed. Drafts, sessions in review, approved, open or
  closed for registration (not started yet), and cancelled sessions do not count.
- Participants are the accepted registrations of those sessions: someone at two sessions counts
  twice ("trainees" counts each person once). Pending, waiting-list, rejected and cancelled
  registrations never count. Countries are the participants' nationalities; partner institutions
  the partners they came from (a trainee from an institution not yet a partner counts in none).
- Certificates: participants holding at least one valid certificate — issued, neither revoked
  nor replaced (a correction's new certificate replaces the old, which then no longer counts; a
  French and an Arabic certificate of one participant count once).
- Attendance follows centre.attendance.services: slots marked present or late over the slots
  counted (excused ones left out where the session says so; a slot not marked counts as absent
  once ended). The period's rate adds up every participant's slots, so it is weighted by
  participants and slots; each session's own rate is shown beside it.
- Experts mobilised: the experts who taught a counted session (its trainers) or submitted a
  review of it; working days are the trainers' days on the counted sessions.
- Technical assistance: the requests submitted in the period, by kind, status, country and
  association of the partner; the median days from submission to the decision (accepted or
  declined) and to delivery, over those decided or delivered; and the expert days abroad, the
  working days of the counted expert missions (a delivered request's session is completed, so
  it counts like any session, and its days are part of the expert working days above too); the
  partners' evaluation, the mean of the rating answers (each as a share of its scale) of the
  evaluations answered so far of the assistance whose session started in the period, like the
  missions held (centre/evaluation).

Everything comes from a fixed, small number of aggregate (GROUP BY) queries, whatever the
number of sessions, registrations and marks.
"""
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from centre.attendance.services import AttendanceFigures, total
from centre.evaluation.figures import assistance_satisfaction
from centre.extensions import db
from centre.i18n import centre_zone, country_name
from centre.models import (
    AssistanceKind,
    AssistanceRequest,
    AssistanceStatus,
    Association,
    Institution,
    AttendanceMark,
    Certificate,
    Expert,
    Gender,
    MarkStatus,
    Registration,
    RegistrationStatus,
    Review,
    SessionKind,
    SessionStatus,
    Slot,
    Trainee,
    Trainer,
    TrainingSession,
    institution_association,
)
from centre.models.types import utcnow
from centre.reports.regions import Region, region_of

#: Sessions that have taken place (or are under way): the only ones a report counts.
HELD_STATUSES = (SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED)
#: How many years the "sessions per year" chart goes back, the period's last year included.
YEARS_SHOWN = 10


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included."""

    start: date
    end: date

    @classmethod
    def year_of(cls, day: date) -> "Period":
        return cls(date(day.year, 1, 1), date(day.year, 12, 31))

    @property
    def previous(self) -> "Period":
        """The same span one year earlier ("this year against last year")."""
        return Period(_year_before(self.start), _year_before(self.end))


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Change:
    """A figure this period against the previous one."""

    current: float
    previous: float

    @property
    def delta(self):
        return self.current - self.previous

    @property
    def percent(self) -> int | None:
        """The change in percent of the previous figure, rounded; None when that was zero."""
        if not self.previous:
            return None
        return round(100 * (self.current - self.previous) / self.previous)


@dataclass(frozen=True)
class Headline:
    sessions_by_kind: dict[SessionKind, int]
    participants: int  #: accepted registrations
    trainees: int  #: distinct persons among them
    countries: int
    institutions: int
    certified: int  #: participants holding a valid certificate
    attendance: AttendanceFigures
    experts: int
    expert_days: Decimal

    @property
    def sessions(self) -> int:
        return sum(self.sessions_by_kind.values())


@dataclass(frozen=True)
class SessionRow:
    session: TrainingSession
    participants: int
    countries: int
    attendance: AttendanceFigures


@dataclass(frozen=True)
class ExpertRow:
    expert: Expert
    reviewed: int  #: sessions whose review they submitted
    taught: int  #: sessions they taught
    days: Decimal  #: working days on the sessions they taught


@dataclass(frozen=True)
class AssistanceFigures:
    by_kind: list[tuple[AssistanceKind, int]]
    by_status: list[tuple[AssistanceStatus, int]]
    by_country: list[tuple[str, int]]
    by_association: list[tuple[Association | None, int]]
    days_to_decision: float | None  #: median, over the requests decided
    days_to_delivery: float | None  #: median, over the requests delivered
    missions: int  #: expert missions counted (held) in the period
    expert_days_abroad: Decimal  #: their trainers' working days
    #: the partners' evaluations of the assistance held in the period: (mean rating in %, responses)
    evaluation: tuple[int, int] | None = None

    @property
    def requests(self) -> int:
        return sum(count for _kind, count in self.by_kind)


@dataclass
class Report:
    period: Period
    headline: Headline
    previous: Headline
    sessions: list[SessionRow]
    by_country: list[tuple[str, int]]
    by_region: list[tuple[Region, int]]
    by_association: list[tuple[Association | None, int]]
    by_gender: list[tuple[Gender, int]]
    per_year: list[tuple[int, int, int]]  #: (year, sessions, participants)
    experts: list[ExpertRow]
    assistance: AssistanceFigures | None = None
    generated_at: datetime = field(default_factory=utcnow)

    def change(self, name: str) -> Change:
        return Change(_value(self.headline, name), _value(self.previous, name))


def _value(headline: Headline, name: str):
    if name == "attendance":
        return headline.attendance.rate
    return getattr(headline, name)


# The building blocks: which sessions and which registrations a period counts.


def _counted_sessions(period: Period):
    return sa.and_(TrainingSession.status.in_(HELD_STATUSES),
                   TrainingSession.start_on.between(period.start, period.end))


def _accepted(period: Period, *columns):
    """SELECT columns FROM the period's accepted registrations (of counted sessions).

    The sessions come in as a sub-query (session_id IN …) rather than a join, so that the
    database looks registrations up by session through its index instead of reading them all.
    """
    counted = sa.select(TrainingSession.id).where(_counted_sessions(period))
    return (sa.select(*columns).select_from(Registration)
            .where(Registration.session_id.in_(counted), Registration.status == RegistrationStatus.ACCEPTED))


def _participants(period: Period, *columns):
    """SELECT columns FROM the period's participants: their accepted registrations and trainees."""
    return _accepted(period, *columns).join(Trainee, Trainee.id == Registration.trainee_id)


# Headline figures.


def headline(period: Period, now: datetime | None = None,
             attendance: dict[int, AttendanceFigures] | None = None,
             experts: tuple[dict, dict] | None = None) -> Headline:
    """The period's headline figures; attendance and expert work are computed unless given."""
    kinds = dict(db.session.execute(
        sa.select(TrainingSession.kind, sa.func.count(TrainingSession.id))
        .where(_counted_sessions(period)).group_by(TrainingSession.kind)).all())
    participants, trainees, countries, institutions = db.session.execute(_participants(
        period, sa.func.count(Registration.id), sa.func.count(sa.distinct(Registration.trainee_id)),
        sa.func.count(sa.distinct(Trainee.nationality)), sa.func.count(sa.distinct(Trainee.institution_id)),
    )).one()
    certified = db.session.scalar(
        _accepted(period, sa.func.count(sa.distinct(Certificate.registration_id)))
        .join(Certificate, Certificate.registration_id == Registration.id)
        .where(Certificate.revoked_at.is_(None), Certificate.replaced_by_id.is_(None), Certificate.sha256 != ""))
    if attendance is None:
        attendance = attendance_by_session(period, now)
    taught, reviewed = experts if experts is not None else expert_work(period)
    return Headline(
        sessions_by_kind={kind: kinds.get(kind, 0) for kind in SessionKind},
        participants=participants, trainees=trainees, countries=countries, institutions=institutions,
        certified=certified or 0, attendance=total(attendance.values()),
        experts=len(taught.keys() | reviewed.keys()),
        expert_days=sum((days for _, days in taught.values()), Decimal(0)),
    )


def attendance_by_session(period: Period, now: datetime | None = None) -> dict[int, AttendanceFigures]:
    """Each counted session's attendance figures (all its participants' slots added up), in
    four queries; the same figures as attendance.services.total(session_figures(...))."""
    return {session_id: figures for session_id, (_start, figures) in _attendance(period, now).items()}


def _within(attendance: dict[int, tuple[date, AttendanceFigures]], period: Period) -> dict[int, AttendanceFigures]:
    return {session_id: figures for session_id, (start, figures) in attendance.items()
            if period.start <= start <= period.end}


def _attendance(period: Period, now: datetime | None) -> dict[int, tuple[date, AttendanceFigures]]:
    """{session id: (first day, attendance figures)}, for attendance_by_session()."""
    now = now or utcnow()
    sessions = db.session.execute(
        sa.select(TrainingSession.id, TrainingSession.start_on, TrainingSession.status, TrainingSession.excused_left_out,
                  sa.func.count(Slot.id), sa.func.coalesce(sa.func.sum(sa.case((Slot.ends_at <= now, 1), else_=0)), 0))
        .outerjoin(Slot, Slot.session_id == TrainingSession.id)
        .where(_counted_sessions(period))
        .group_by(TrainingSession.id, TrainingSession.start_on, TrainingSession.status,
                  TrainingSession.excused_left_out)).all()
    accepted = dict(db.session.execute(
        _accepted(period, Registration.session_id, sa.func.count(Registration.id))
        .group_by(Registration.session_id)).all())
    # One row per session with a count per mark (grouped by session alone, in the order the
    # sessions are read: no sorting of the marks), rather than a row per session and mark.
    marks: dict[int, Counter] = {}
    for session_id, *counts in db.session.execute(
        _accepted(period, Registration.session_id,
                  *(sa.func.sum(sa.case((AttendanceMark.status == status, 1), else_=0)) for status in MarkStatus))
        .join(AttendanceMark, AttendanceMark.registration_id == Registration.id)
        .group_by(Registration.session_id)
    ):
        marks[session_id] = Counter(dict(zip(MarkStatus, (count or 0 for count in counts))))
    # Which marks are on slots already ended matters only for sessions under way (every slot of a
    # completed one counts): looking slots up for those alone keeps the big count above cheap.
    under_way = sa.select(TrainingSession.id).where(_counted_sessions(period),
                                                    TrainingSession.status == SessionStatus.IN_PROGRESS)
    marked_ended = Counter(dict(db.session.execute(
        sa.select(Registration.session_id, sa.func.count(AttendanceMark.id)).select_from(Registration)
        .join(AttendanceMark, AttendanceMark.registration_id == Registration.id)
        .join(Slot, Slot.id == AttendanceMark.slot_id)
        .where(Registration.session_id.in_(under_way), Registration.status == RegistrationStatus.ACCEPTED,
               Slot.ends_at <= now)
        .group_by(Registration.session_id)).all()))
    figures = {}
    for session_id, start_on, status, excused_left_out, slots, ended in sessions:
        people = accepted.get(session_id, 0)
        counts = marks.get(session_id, Counter())
        marked = sum(counts.values())
        if status == SessionStatus.COMPLETED:  # every slot of a completed session counts as ended
            ended, marked_ended[session_id] = slots, marked
        unmarked_ended = people * ended - marked_ended[session_id]
        held = marked + unmarked_ended
        excused = counts[MarkStatus.EXCUSED]
        figures[session_id] = start_on, AttendanceFigures(
            slots=people * slots, present=counts[MarkStatus.PRESENT] + counts[MarkStatus.LATE],
            excused=excused, counted=held - (excused if excused_left_out else 0), late=counts[MarkStatus.LATE],
            absent=counts[MarkStatus.ABSENT] + unmarked_ended, pending=people * slots - held)
    return figures


def expert_work(period: Period) -> tuple[dict[int, tuple[int, Decimal]], dict[int, int]]:
    """({expert id: (sessions taught, working days)}, {expert id: reviews submitted}) for the
    counted sessions, in two queries."""
    taught = {expert_id: (count, Decimal(str(days or 0))) for expert_id, count, days in db.session.execute(
        sa.select(Trainer.expert_id, sa.func.count(Trainer.session_id), sa.func.sum(Trainer.days))
        .join(TrainingSession, TrainingSession.id == Trainer.session_id)
        .where(_counted_sessions(period)).group_by(Trainer.expert_id))}
    reviewed = dict(db.session.execute(
        sa.select(Review.expert_id, sa.func.count(Review.id))
        .join(TrainingSession, TrainingSession.id == Review.session_id)
        .where(_counted_sessions(period), Review.submitted_at.is_not(None)).group_by(Review.expert_id)).all())
    return taught, reviewed


# Breakdowns.


def by_country(period: Period, language: str | None = None) -> list[tuple[str, int]]:
    """(ISO code, participants), most participants first, then by the country's name."""
    rows = db.session.execute(_participants(period, Trainee.nationality, sa.func.count(Registration.id))
                              .group_by(Trainee.nationality)).all()
    return sorted(((code, count) for code, count in rows),
                  key=lambda row: (-row[1], country_name(row[0], language)))


def by_region(countries: list[tuple[str, int]]) -> list[tuple[Region, int]]:
    """Participants per region, every region listed (in the enum's order), from by_country()."""
    counts = Counter()
    for code, count in countries:
        counts[region_of(code)] += count
    return [(region, counts[region]) for region in Region]


def by_association(period: Period) -> list[tuple[Association | None, int]]:
    """Participants whose institution belongs to each association (one participant counts in
    every association of their institution), then those in none (None)."""
    rows = db.session.execute(
        _participants(period, institution_association.c.association_id, sa.func.count(Registration.id))
        .outerjoin(institution_association, institution_association.c.institution_id == Trainee.institution_id)
        .group_by(institution_association.c.association_id)).all()
    counts = dict(rows)
    associations = db.session.scalars(sa.select(Association).order_by(Association.code)).all()
    result = [(association, counts.get(association.id, 0)) for association in associations]
    if counts.get(None):
        result.append((None, counts[None]))
    return result


def _median(values: list[float]) -> float | None:
    values = sorted(values)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def assistance_figures(period: Period) -> AssistanceFigures:
    """The technical-assistance requests submitted in the period, and the expert days abroad."""
    start = datetime.combine(period.start, datetime.min.time(), tzinfo=centre_zone())
    end = datetime.combine(period.end, datetime.max.time(), tzinfo=centre_zone())
    in_period = AssistanceRequest.submitted_at.between(start, end)
    rows = db.session.execute(
        sa.select(AssistanceRequest.kind, AssistanceRequest.status, Institution.country,
                  AssistanceRequest.institution_id, AssistanceRequest.submitted_at, AssistanceRequest.decided_at,
                  AssistanceRequest.delivered_at)
        .join(Institution, Institution.id == AssistanceRequest.institution_id).where(in_period)).all()
    kinds, statuses, countries, institutions = Counter(), Counter(), Counter(), Counter()
    decision, delivery = [], []
    for kind, status, country, institution_id, submitted, decided, delivered in rows:
        kinds[kind] += 1
        statuses[status] += 1
        countries[country] += 1
        institutions[institution_id] += 1
        if decided is not None:
            decision.append((decided - submitted).total_seconds() / 86400)
        if delivered is not None:
            delivery.append((delivered - submitted).total_seconds() / 86400)
    memberships = db.session.execute(sa.select(institution_association.c.institution_id,
                                               institution_association.c.association_id)
                                     .where(institution_association.c.institution_id.in_(institutions))).all()
    per_association, members = Counter(), set()
    for institution_id, association_id in memberships:
        per_association[association_id] += institutions[institution_id]
        members.add(institution_id)
    associations = db.session.scalars(sa.select(Association).order_by(Association.code)).all()
    by_association = [(a, per_association[a.id]) for a in associations if per_association[a.id]]
    outside = sum(count for institution_id, count in institutions.items() if institution_id not in members)
    if outside:
        by_association.append((None, outside))
    missions, days = db.session.execute(
        sa.select(sa.func.count(sa.distinct(TrainingSession.id)), sa.func.sum(Trainer.days))
        .select_from(TrainingSession).join(Trainer, Trainer.session_id == TrainingSession.id, isouter=True)
        .where(_counted_sessions(period), TrainingSession.kind == SessionKind.EXPERT_MISSION)).one()
    return AssistanceFigures(
        by_kind=[(kind, kinds[kind]) for kind in AssistanceKind],
        by_status=[(status, statuses[status]) for status in AssistanceStatus if statuses[status]],
        by_country=sorted(countries.items(), key=lambda row: (-row[1], country_name(row[0]))),
        by_association=by_association,
        days_to_decision=_median(decision), days_to_delivery=_median(delivery),
        missions=missions or 0, expert_days_abroad=Decimal(str(days or 0)),
        evaluation=assistance_satisfaction(period.start, period.end))


def by_gender(period: Period) -> list[tuple[Gender, int]]:
    counts = dict(db.session.execute(_participants(period, Trainee.gender, sa.func.count(Registration.id))
                                     .group_by(Trainee.gender)).all())
    return [(gender, counts.get(gender, 0)) for gender in Gender]


def per_year(last_year: int, years: int = YEARS_SHOWN) -> list[tuple[int, int, int]]:
    """(year, sessions, participants) of the `years` years up to `last_year`, oldest first."""
    first = last_year - years + 1
    span = Period(date(first, 1, 1), date(last_year, 12, 31))
    # Per session, then added up by year here: grouping registrations by the year of their
    # session in SQL would compute a year for each registration and sort them all.
    year_of = dict(db.session.execute(
        sa.select(TrainingSession.id, TrainingSession.start_on).where(_counted_sessions(span))).all())
    accepted = db.session.execute(_accepted(span, Registration.session_id, sa.func.count(Registration.id))
                                  .group_by(Registration.session_id)).all()
    sessions, participants = Counter(), Counter()
    for start_on in year_of.values():
        sessions[start_on.year] += 1
    for session_id, count in accepted:
        participants[year_of[session_id].year] += count
    return [(y, sessions[y], participants[y]) for y in range(first, last_year + 1)]


def session_rows(period: Period, attendance: dict[int, AttendanceFigures]) -> list[SessionRow]:
    """The counted sessions in date order, with their participants, countries and attendance."""
    sessions = db.session.scalars(sa.select(TrainingSession).where(_counted_sessions(period))
                                  .order_by(TrainingSession.start_on, TrainingSession.code)).all()
    counts = {session_id: (people, countries) for session_id, people, countries in db.session.execute(
        _participants(period, Registration.session_id, sa.func.count(Registration.id),
                      sa.func.count(sa.distinct(Trainee.nationality))).group_by(Registration.session_id))}
    empty = AttendanceFigures(slots=0, present=0, excused=0, counted=0)
    return [SessionRow(s, *counts.get(s.id, (0, 0)), attendance.get(s.id, empty)) for s in sessions]


def expert_rows(work: tuple[dict, dict]) -> list[ExpertRow]:
    """The experts mobilised, by family name, with what they did (one query for their names)."""
    taught, reviewed = work
    ids = taught.keys() | reviewed.keys()
    if not ids:
        return []
    experts = db.session.scalars(sa.select(Expert).where(Expert.id.in_(ids))
                                 .order_by(Expert.family_name, Expert.given_name, Expert.id)).all()
    return [ExpertRow(e, reviewed.get(e.id, 0), taught.get(e.id, (0, 0))[0], taught.get(e.id, (0, Decimal(0)))[1])
            for e in experts]


def activity_report(period: Period, now: datetime | None = None, language: str | None = None,
                    years: int = YEARS_SHOWN) -> Report:
    """Every figure of the dashboard and of the activity report, in a fixed number of queries."""
    now = now or utcnow()
    # When this period and the one before overlap or touch (a year, ten years), the attendance
    # of both comes from one pass over the marks rather than two over the overlap.
    previous = period.previous
    if (period.start - previous.end).days <= 1:
        both = _attendance(Period(previous.start, period.end), now)
    else:
        both = {**_attendance(previous, now), **_attendance(period, now)}
    attendance = _within(both, period)
    work = expert_work(period)
    countries = by_country(period, language)
    return Report(
        period=period,
        headline=headline(period, now, attendance=attendance, experts=work),
        previous=headline(previous, now, attendance=_within(both, previous)),
        sessions=session_rows(period, attendance),
        by_country=countries,
        by_region=by_region(countries),
        by_association=by_association(period),
        by_gender=by_gender(period),
        per_year=per_year(period.end.year, years),
        experts=expert_rows(work),
        assistance=assistance_figures(period),
    )
