"""Volume data: years of realistic activity, for measuring pages against a database the size of
production's after a decade.

Institutions, associations, the staff accounts and the named experts are common.py's; the rest is
generated from a seeded random generator, drawing on catalogue.py: about `sessions_per_year`
sessions a year ending in the current year, their slots, trainers and two submitted reviews (a
national and a foreign expert), and `trainees_per_session` accepted trainees each — named in Latin
and, for Arab countries, Arabic script; some come back in later years — with refused, waitlisted
and cancelled registrations besides, and attendance marks (mostly present). Sessions that ended
are completed (a few cancelled); the current year's later ones are at the stage their dates imply.

Everything but the certificates is written with Core bulk inserts (executemany), one transaction
a year, with the ids chosen here so that rows can refer to one another without a round trip. Each
table's rows come from a small writer below. The rules are the services' own, applied to rows in
memory: slots are sessions.services.slot_times, the statuses a session went through follow
sessions.services.MAIN_LINE, registrations are decided in time order through
registrations.services.Places (capacity and quota) and a withdrawal promotes the first on the
waiting list who fits (first_that_fits), marks are taken in attendance.services.MARKING_STATUSES
for the slots slot_has_ended counts; tests/test_seed_volume.py checks the result against the
services. The most recent year's certificates go through the certificates service
(issue_for_session: real PDFs, numbers, audit), session by session.

Each completed session has its end-of-session questionnaire (the shipped template, loaded through
evaluation.templates.load_default_templates), anonymous, sent to the trainees who attended (a slot
present or late, as evaluation.recipients.attended_trainees counts them), answered by about nine in
ten: about 24,000 answers a year at a hundred sessions of thirty. Its rows keep the services'
anonymity: responses with random ids and no invitation, in a random order, a country or partner
institution only when ANONYMITY_GROUP recipients share it, and invitations that only say they were used.

Audit entries: written for what the normal paths record per session (creation, status changes),
per registration (registered, decided, promoted, cancelled), per review (assigned, submitted) and
per questionnaire (sent, closed; not one event per anonymous answer).
Skipped, as too many rows for what they would tell: one entry per attendance mark (save_marks
writes one per mark), trainees' account creation and e-mail confirmation (volume trainees have no
account), and trainer assignments.
"""
import heapq
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import perf_counter

import sqlalchemy as sa

from centre import clock
from centre.attendance.services import MARKING_STATUSES, slot_has_ended
from centre.auth.services import create_user
from centre.certificates.bulk import issue_for_session
from centre.certificates.signatories import active_signatories, add_signatory
from centre.evaluation.answering import ANONYMITY_GROUP, LOGISTICS_ITEMS
from centre.evaluation.templates import latest_template, load_default_templates
from centre.extensions import db
from centre.i18n import centre_zone
from centre.models import (
    Agreement,
    AttendanceMark,
    AuditEntry,
    DocumentLanguage,
    Expert,
    Answer,
    Gender,
    Invitation,
    MarkStatus,
    Purpose,
    QuestionKind,
    Questionnaire,
    QuestionnaireStatus,
    QuestionTarget,
    RecipientKind,
    Recommendation,
    Registration,
    Review,
    Role,
    SessionKind,
    Slot,
    Trainee,
    Response,
    Trainer,
    TrainingSession,
    User,
)
from centre.models import RegistrationStatus as R
from centre.models import SessionStatus as S
from centre.registrations.services import FULL, QUOTA_REACHED, Places, first_that_fits
from centre.seed.catalogue import (
    COUNTRY_WEIGHTS,
    MISSION_VENUES,
    NON_PARTNERS,
    POSITIONS,
    QUOTA_REASON,
    REFUSAL_REASONS,
    SPECIALITIES,
    TOPICS,
    VARIANTS,
    VENUES,
)
from centre.seed.common import (
    DEMO_PASSWORD,
    STAFF_ACCOUNTS,
    add_partners,
    drawn_signature,
    email_address,
    named_experts,
    person_name,
)
from centre.sessions.services import MAIN_LINE, holidays_between, slot_times

#: The tables written in bulk, whose ids are chosen here.
BULK_TABLES = (TrainingSession, Slot, Review, Trainee, Registration, AttendanceMark, AuditEntry, Expert, Questionnaire,
               Invitation)
#: Share of the trainees who attended that answer the end-of-session questionnaire.
ANSWERING = 0.9


@dataclass
class Volume:
    """What seed_volume wrote, for the CLI to print and the tests to check."""

    counts: Counter = field(default_factory=Counter)
    certificate_sessions: list[int] = field(default_factory=list)  #: sessions whose certificates were issued


class _Ids:
    """Ids given here, after the largest in each table, so rows can refer to one another at once."""

    def __init__(self, tables):
        self.next = {t.__tablename__: (db.session.scalar(sa.select(sa.func.max(t.id))) or 0) + 1 for t in tables}

    def __call__(self, table) -> int:
        value = self.next[table.__tablename__]
        self.next[table.__tablename__] = value + 1
        return value


@dataclass
class _Planned:
    """A session being written: what its rows refer to."""

    id: int
    code: str
    start: date
    end: date
    status: S
    quota: int | None
    slots: list[dict] = field(default_factory=list)

    @property
    def reached(self) -> list[S]:
        """The statuses it went through after draft (a cancelled one was cancelled once open)."""
        last = S.OPEN if self.status == S.CANCELLED else self.status
        return list(MAIN_LINE[1:MAIN_LINE.index(last) + 1])


def is_empty() -> bool:
    """No session and no trainee yet (accounts, partners and experts may already be there)."""
    return (db.session.scalar(sa.select(TrainingSession.id).limit(1)) is None
            and db.session.scalar(sa.select(Trainee.id).limit(1)) is None)


def seed_volume(years: int = 10, sessions_per_year: int = 100, trainees_per_session: int = 30, *,
                seed: int = 0, certificates: bool = True, today: date | None = None,
                progress: Callable[[str], None] = print) -> Volume:
    """Write `years` years of activity ending in `today`'s year; commits each year as it goes."""
    today = today or clock.today()
    rng = random.Random(seed)
    writer = _Writer(rng, today, trainees_per_session, progress)
    for year in range(today.year - years + 1, today.year + 1):
        writer.year(year, sessions_per_year)
        db.session.commit()
    writer.fix_sequences()
    db.session.commit()
    if certificates:
        writer.issue_certificates(today.year)
    return writer.volume


class _Writer:
    def __init__(self, rng, today, trainees_per_session, progress):
        self.rng, self.today, self.size, self.progress = rng, today, trainees_per_session, progress
        self.zone = centre_zone()
        self.now = clock.utcnow()
        self.volume = Volume()
        self.coordinator = self._staff()
        self.institutions = {country: i.id for country, i in add_partners(self._agreements).items()}
        load_default_templates(self.coordinator)  # before the ids: it writes audit entries
        db.session.flush()
        self.evaluation = latest_template(Purpose.END_OF_SESSION)
        self.ids = _Ids(BULK_TABLES)
        self.experts = self._experts()
        self.trainees: list[dict] = []  #: every trainee written, for returning ones
        self.trainee_by_id: dict[int, dict] = {}
        self.emails: set[str] = set(db.session.scalars(sa.select(Trainee.email)))
        self.codes: set[str] = set(db.session.scalars(sa.select(TrainingSession.code)))

    # Reference data, through the ORM: few rows -------------------------------------------------

    def _staff(self) -> User:
        users = {u.email: u for u in db.session.scalars(sa.select(User))}
        created = {}
        for email, role, name in STAFF_ACCOUNTS:
            created[role] = users.get(email) or create_user(email, DEMO_PASSWORD, role, full_name=name)
        db.session.flush()
        return created[Role.COORDINATOR]

    def _agreements(self) -> list[Agreement]:
        signed_on = date(self.today.year - self.rng.randrange(1, 12), self.rng.randrange(1, 13), 15)
        ends_on = signed_on.replace(year=signed_on.year + 5) if self.rng.random() < 0.5 else None
        return [Agreement(title="Convention de coopération et de partenariat", signed_on=signed_on, ends_on=ends_on)]

    def _experts(self) -> list[tuple[int, str]]:
        """(id, nationality) of every expert: the named ones and about thirty more."""
        emails = set(db.session.scalars(sa.select(Expert.email)))
        rows = []

        def add(**fields):
            fields["email"] = email_address(fields["given_name"], fields["family_name"], fields["nationality"], emails)
            rows.append({"id": self.ids(Expert), "institution_id": self.institutions.get(fields["nationality"]),
                         **fields})

        for fields in named_experts().values():
            if fields["email"] not in emails:
                add(**fields)
        for n in range(32):
            nationality = "MA" if n % 2 == 0 else self.rng.choice([c for c in COUNTRY_WEIGHTS if c != "MA"])
            given, family, name_ar = person_name(self.rng, nationality, Gender.FEMALE if n % 3 else Gender.MALE)
            add(given_name=given, family_name=family, full_name_ar=name_ar, nationality=nationality,
                speciality=self.rng.choice(SPECIALITIES))
        _insert(Expert, rows)
        return db.session.execute(sa.select(Expert.id, Expert.nationality).order_by(Expert.id)).all()

    # One year ---------------------------------------------------------------------------------

    def year(self, year: int, count: int) -> None:
        self.rows = {t: [] for t in (TrainingSession, Slot, Trainer, Review, Trainee, Registration, AttendanceMark,
                                     AuditEntry, Questionnaire, Invitation, Response, Answer)}
        self.holidays = holidays_between(date(year, 1, 1), date(year + 1, 1, 31))
        for n in range(count):
            # Spread over weeks 2 to 50 (two a week at a hundred a year): in late November the last
            # ones are still open for registration.
            monday = date.fromisocalendar(year, 2 + n * 49 // count, 1)
            self._session(year, n + 1, monday + timedelta(days=self.rng.choice([0, 0, 0, 1, 2])))
        for table, table_rows in self.rows.items():
            _insert(table, table_rows)
            self.volume.counts[table.__tablename__] += len(table_rows)
        self.progress(f"{year}: {len(self.rows[TrainingSession])} sessions, "
                      f"{len(self.rows[Registration])} registrations, "
                      f"{len(self.rows[AttendanceMark])} attendance marks, {len(self.rows[Trainee])} new trainees, "
                      f"{len(self.rows[Answer])} questionnaire answers")

    def _session(self, year: int, number: int, start: date) -> None:
        """One session and everything that hangs from it, each table by its writer."""
        planned = self._session_row(year, number, start)
        planned.slots = self._slot_rows(planned)
        self._trainer_rows(planned)
        self._review_rows(planned, submitted=2 if S.APPROVED in planned.reached else len(planned.reached))
        self._status_audit(planned)
        if S.OPEN in planned.reached:
            accepted = self._decisions(planned, self._registration_rows(planned))
            if planned.status in MARKING_STATUSES:
                attended = self._mark_rows(planned, accepted)
                if planned.status == S.COMPLETED and self.evaluation is not None:
                    self._questionnaire_rows(planned, attended)

    def _at(self, day: date, hour: int = 10) -> datetime:
        return datetime.combine(day, time(hour, self.rng.randrange(60)), self.zone)

    def _audit(self, table, entity_id, action, at, *, from_state=None, to_state=None, actor=True, **details):
        self.rows[AuditEntry].append({
            "id": self.ids(AuditEntry), "at": min(at, self.now), "actor_id": self.coordinator.id if actor else None,
            "entity": table.__tablename__, "entity_id": entity_id, "action": action,
            "from_state": from_state, "to_state": to_state, "details": details,
        })

    def _status(self, start: date, end: date) -> S:
        """The stage a session's dates put it at, seen from today."""
        days = (start - self.today).days
        if end < self.today:
            return S.CANCELLED if self.rng.random() < 0.03 else S.COMPLETED
        if start <= self.today:
            return S.IN_PROGRESS
        for limit, status in ((10, S.CLOSED), (120, S.OPEN), (160, S.APPROVED), (220, S.IN_REVIEW)):
            if days <= limit:
                return status
        return S.DRAFT

    # The writers, a table each ------------------------------------------------------------------

    def _session_row(self, year: int, number: int, start: date) -> _Planned:
        rng = self.rng
        kind = rng.choices(list(SessionKind), weights=[75, 15, 10])[0]
        days = rng.choice([2, 3, 3, 4, 5, 5])
        end = start + timedelta(days=days - 1)
        while end.weekday() >= 5:
            end += timedelta(days=1)
        status = self._status(start, end)
        title, theme = rng.choice(TOPICS)
        variant = rng.choice(VARIANTS)
        venue = MISSION_VENUES[rng.choice(sorted(MISSION_VENUES))] if kind == SessionKind.EXPERT_MISSION \
            else rng.choice(VENUES)
        code = f"{year}-{number:02d}"
        while code in self.codes:
            code += "b"
        self.codes.add(code)
        created_at = self._at(start - timedelta(days=rng.randrange(180, 260)))
        planned = _Planned(self.ids(TrainingSession), code, start, end, status,
                           max(2, self.size // 4) if rng.random() < 0.2 else None)
        self.rows[TrainingSession].append({
            "id": planned.id, "code": code, "kind": kind, "status": status,
            "title_fr": title[0] + variant[0], "title_ar": title[1] + variant[1], "title_en": title[2] + variant[2],
            "theme_fr": theme[0], "theme_ar": theme[1], "theme_en": theme[2],
            "programme_fr": "\n".join(f"Jour {d + 1} : {theme[0]}" for d in range(days)),
            "programme_ar": "\n".join(f"اليوم {d + 1}: {theme[1]}" for d in range(days)),
            "programme_en": "\n".join(f"Day {d + 1}: {theme[2]}" for d in range(days)),
            "venue_fr": venue[0], "venue_ar": venue[1], "venue_en": venue[2],
            "start_on": start, "end_on": end, "capacity": self.size, "institution_quota": planned.quota,
            "registration_deadline": start - timedelta(days=7),
            "languages": rng.choice(["fr,ar", "fr,ar", "ar,fr", "fr", "fr,ar,en"]),
            "attendance_threshold": rng.choice([80, 80, 80, 75, 70]),
            "excused_left_out": rng.random() < 0.1, "created_at": created_at,
        })
        self._audit(TrainingSession, planned.id, "create", created_at, to_state="draft", code=code)
        return planned

    def _status_audit(self, planned: _Planned) -> None:
        """The session's way along the workflow, a status change at a time."""
        start = planned.start
        when = {S.IN_REVIEW: start - timedelta(days=150), S.APPROVED: start - timedelta(days=100),
                S.OPEN: start - timedelta(days=90), S.CLOSED: start - timedelta(days=7),
                S.IN_PROGRESS: start, S.COMPLETED: planned.end + timedelta(days=1)}
        previous = S.DRAFT
        for target in planned.reached:
            self._audit(TrainingSession, planned.id, "status", self._at(when[target], 9),
                        from_state=previous.value, to_state=target.value)
            previous = target
        if planned.status == S.CANCELLED:
            self._audit(TrainingSession, planned.id, "status", self._at(start - timedelta(days=30), 9),
                        from_state=previous.value, to_state=planned.status.value,
                        reason="Report à une date ultérieure.")

    def _slot_rows(self, planned: _Planned) -> list[dict]:
        slots = [{"id": self.ids(Slot), "session_id": planned.id, "part": part, "starts_at": starts_at,
                  "ends_at": ends_at}
                 for part, starts_at, ends_at in slot_times(planned.start, planned.end, self.holidays)]
        self.rows[Slot] += slots
        return slots

    def _pick_experts(self, count):
        national = [e for e in self.experts if e[1] == "MA"]
        foreign = [e for e in self.experts if e[1] != "MA"]
        picked = [self.rng.choice(national), self.rng.choice(foreign)]
        while len(picked) < count:
            candidate = self.rng.choice(self.experts)
            if candidate not in picked:
                picked.append(candidate)
        return picked

    def _trainer_rows(self, planned: _Planned) -> None:
        days = (planned.end - planned.start).days + 1
        for expert_id, _ in self._pick_experts(self.rng.choice([1, 2, 2, 3])):
            self.rows[Trainer].append({"session_id": planned.id, "expert_id": expert_id,
                                       "days": self.rng.choice([days, max(1, days - 1), days / 2])})

    def _review_rows(self, planned: _Planned, submitted: int) -> None:
        rng = self.rng
        for index, (expert_id, _) in enumerate(self._pick_experts(2)):
            review_id = self.ids(Review)
            assigned_at = self._at(planned.start - timedelta(days=rng.randrange(150, 170)))
            row = {"id": review_id, "session_id": planned.id, "expert_id": expert_id, "assigned_at": assigned_at,
                   "due_on": planned.start - timedelta(days=110), "assigned_by_id": self.coordinator.id,
                   "has_conflict": False, "conflict_note": "", "comments": "", "score_relevance": None,
                   "score_methodology": None, "score_audience": None, "recommendation": None,
                   "submitted_at": None, "recorded_by_id": None}
            self._audit(Review, review_id, "assign", assigned_at, to_state="assigned", session=planned.code)
            if index < submitted:
                recommendation = rng.choice([Recommendation.APPROVE] * 3 + [Recommendation.APPROVE_WITH_CHANGES] * 2)
                submitted_at = assigned_at + timedelta(days=rng.randrange(5, 35))
                row.update(score_relevance=rng.randint(3, 5), score_methodology=rng.randint(3, 5),
                           score_audience=rng.randint(3, 5), recommendation=recommendation,
                           submitted_at=submitted_at, recorded_by_id=self.coordinator.id,
                           comments=rng.choice(["Programme équilibré.", "Thème utile aux partenaires.",
                                                "Prévoir davantage d'études de cas.", ""]))
                self._audit(Review, review_id, "submit", submitted_at, from_state="assigned",
                            to_state=recommendation.value, session=planned.code)
            self.rows[Review].append(row)

    def _trainee_row(self, submitted_at: datetime) -> dict:
        """A new trainee from a partner country (a few from countries without a partner yet)."""
        rng = self.rng
        if rng.random() < 0.03:
            country, other = rng.choice(NON_PARTNERS)
            institution_id = None
        else:
            country = rng.choices(list(COUNTRY_WEIGHTS), weights=list(COUNTRY_WEIGHTS.values()))[0]
            institution_id, other = self.institutions[country], ""
        gender = rng.choice(list(Gender))
        given, family, name_ar = person_name(rng, country, gender)
        language = (rng.choice([DocumentLanguage.AR, DocumentLanguage.BILINGUAL]) if name_ar
                    else rng.choice([DocumentLanguage.FR] * 4 + [DocumentLanguage.BILINGUAL]))
        trainee_id = self.ids(Trainee)
        row = {"id": trainee_id, "user_id": None, "given_name": given, "family_name": family,
               "full_name_ar": name_ar, "gender": gender, "nationality": country,
               "institution_id": institution_id, "institution_other": other,
               "position": rng.choice(POSITIONS), "email": email_address(given, family, country, self.emails),
               "phone": f"+{rng.randrange(20, 400)} {rng.randrange(10**7, 10**8)}",
               "passport_number": f"P{trainee_id:08d}" if country != "MA" and rng.random() < 0.6 else None,
               "passport_expires_on": None, "certificate_language": language,
               "created_at": submitted_at - timedelta(minutes=5), "email_confirmed_at": submitted_at,
               "anonymised_at": None}
        if row["passport_number"]:
            row["passport_expires_on"] = submitted_at.date() + timedelta(days=rng.randrange(400, 3000))
        self.rows[Trainee].append(row)
        self.trainees.append(row)
        self.trainee_by_id[trainee_id] = row
        return row

    def _candidates(self, planned: _Planned) -> list[tuple[dict, datetime]]:
        """Who registers, and when, in the order they did; about a fifth come back from earlier sessions."""
        rng = self.rng
        wanted = (self.size + rng.randrange(self.size // 5 + 1) + 1 if planned.status != S.OPEN
                  else rng.randrange(self.size // 2 + 1))
        chosen, candidates = set(), []
        while len(candidates) < wanted:
            submitted_at = self._at(planned.start - timedelta(days=rng.randrange(30, 80)), rng.randrange(8, 20))
            if submitted_at >= self.now:  # an open session's registrations came in before today
                submitted_at = self.now - timedelta(hours=rng.randrange(1, 500))
            if self.trainees and rng.random() < 0.2:
                trainee = rng.choice(self.trainees)
                if trainee["id"] in chosen or trainee["created_at"] >= submitted_at:
                    continue
            else:
                trainee = self._trainee_row(submitted_at)
            chosen.add(trainee["id"])
            candidates.append((trainee, submitted_at))
        return sorted(candidates, key=lambda c: c[1])

    def _registration_rows(self, planned: _Planned) -> list[tuple[dict, dict]]:
        """(registration, trainee) of each candidate, pending as registered."""
        written = []
        for trainee, submitted_at in self._candidates(planned):
            travels = trainee["nationality"] != "MA"
            row = {"id": self.ids(Registration), "trainee_id": trainee["id"], "session_id": planned.id,
                   "status": R.PENDING, "submitted_at": submitted_at, "decided_at": None,
                   "decided_by_id": None, "decision_reason": "", "waitlist_position": None, "cancelled_at": None,
                   "arrival_on": planned.start - timedelta(days=1) if travels else None,
                   "departure_on": planned.end + timedelta(days=1) if travels else None,
                   "needs_visa_letter": bool(travels and trainee["passport_number"] and self.rng.random() < 0.5)}
            self._audit(Registration, row["id"], "register", submitted_at, to_state="pending", actor=False,
                        session=planned.code)
            self.rows[Registration].append(row)
            written.append((row, trainee))
        return written

    def _decisions(self, planned: _Planned, registrations: list[tuple[dict, dict]]) -> list[dict]:
        """Decide the registrations in the order a coordinator did, within the services' capacity
        and quota rule; a withdrawal promotes the first on the waiting list who fits. Returns the
        accepted registrations, in the order they registered."""
        rng = self.rng
        places, waiting, events = Places(self.size, planned.quota), [], []
        institution = {row["id"]: trainee["institution_id"] for row, trainee in registrations}
        for row, _ in registrations:
            decided_at = row["submitted_at"] + timedelta(days=rng.randrange(1, 10), hours=rng.randrange(6))
            roll = rng.random()
            if not ((planned.status == S.OPEN and roll < 0.4) or decided_at >= self.now):
                heapq.heappush(events, (decided_at, row["id"], roll, row))
        while events:
            at, _, roll, row = heapq.heappop(events)
            if row["status"] == R.ACCEPTED:  # a withdrawal
                self._withdraw(row, at, places, waiting, institution)
                continue
            refusal = places.refusal(institution[row["id"]])
            if roll < 0.07:
                self._decide(row, R.REJECTED, at, rng.choice(REFUSAL_REASONS))
            elif refusal is QUOTA_REACHED:
                self._decide(row, R.REJECTED, at, QUOTA_REASON)
            elif refusal is FULL:
                self._decide(row, R.WAITLISTED, at)
                row["waitlist_position"] = max((w["waitlist_position"] for w in waiting), default=0) + 1
                waiting.append(row)
            else:
                self._decide(row, R.ACCEPTED, at)
                places.take(institution[row["id"]])
                withdraws_at = at + timedelta(days=3)
                if planned.status != S.OPEN and withdraws_at < self.now and rng.random() < 0.04:
                    heapq.heappush(events, (withdraws_at, row["id"], roll, row))
        return [row for row, _ in registrations if row["status"] == R.ACCEPTED]

    def _decide(self, row: dict, outcome: R, at: datetime, reason: str = "") -> None:
        row.update(status=outcome, decided_at=at, decided_by_id=self.coordinator.id, decision_reason=reason)
        self._audit(Registration, row["id"], "decide", at, from_state="pending", to_state=outcome.value,
                    reason=reason or None)

    def _withdraw(self, row: dict, at: datetime, places: Places, waiting: list[dict], institution: dict) -> None:
        """The trainee cancels an accepted registration: as registrations.services.cancel, the first
        on the waiting list who fits takes the place."""
        row.update(status=R.CANCELLED, cancelled_at=at)
        self._audit(Registration, row["id"], "cancel", at, from_state="accepted", to_state="cancelled", actor=False)
        places.release(institution[row["id"]])
        promoted = first_that_fits(((w, institution[w["id"]]) for w in waiting), places)
        if promoted is not None:
            waiting.remove(promoted)
            places.take(institution[promoted["id"]])
            promoted.update(status=R.ACCEPTED, decided_at=at, decided_by_id=None, waitlist_position=None)
            self._audit(Registration, promoted["id"], "promote", at, from_state="waitlisted", to_state="accepted",
                        actor=False)

    def _mark_rows(self, planned: _Planned, accepted: list[dict]) -> list[dict]:
        """The marks of the slots held; returns the registrations present or late on one at least."""
        rng, P, L, E, A = self.rng, MarkStatus.PRESENT, MarkStatus.LATE, MarkStatus.EXCUSED, MarkStatus.ABSENT
        held = [s for s in planned.slots if slot_has_ended(planned.status, s["ends_at"], self.now)]
        attended = []
        for registration in accepted:
            profile = rng.random()
            weights = [96, 2, 1, 1] if profile < 0.85 else [85, 7, 5, 3] if profile < 0.95 else [55, 5, 15, 25]
            marks = rng.choices([P, L, E, A], weights=weights, k=len(held))
            for slot, mark in zip(held, marks):
                self.rows[AttendanceMark].append({
                    "id": self.ids(AttendanceMark), "registration_id": registration["id"], "slot_id": slot["id"],
                    "status": mark, "note": "", "recorded_by_id": self.coordinator.id,
                    "recorded_at": min(slot["ends_at"], self.now)})
            if P in marks or L in marks:
                attended.append(registration)
        return attended

    def _questionnaire_rows(self, planned: _Planned, attended: list[dict]) -> None:
        """The end-of-session questionnaire, sent the day after the last day, answered by about
        ANSWERING of those who attended (see the module's docstring)."""
        rng, template = self.rng, self.evaluation
        questionnaire_id = self.ids(Questionnaire)
        sent_on = planned.end + timedelta(days=1)
        closes_on = sent_on + timedelta(days=21)
        status = QuestionnaireStatus.CLOSED if closes_on <= self.today else QuestionnaireStatus.OPEN
        trainers = sorted(r["expert_id"] for r in self.rows[Trainer] if r["session_id"] == planned.id)
        recipients = [self.trainee_by_id[r["trainee_id"]] for r in attended]
        countries = Counter(t["nationality"] for t in recipients)
        institutions = Counter(t["institution_id"] for t in recipients)
        responses = []
        for trainee in recipients:
            used = rng.random() < ANSWERING
            self.rows[Invitation].append({
                "id": self.ids(Invitation), "questionnaire_id": questionnaire_id, "nonce": f"{rng.getrandbits(128):032x}",
                "kind": RecipientKind.TRAINEE, "trainee_id": trainee["id"], "expert_id": None,
                "institution_id": trainee["institution_id"], "email": trainee["email"], "language": "fr",
                "reminders_sent": 0 if used else 2, "is_used": used})
            if used:
                responses.append({
                    "id": f"{rng.getrandbits(128):032x}", "questionnaire_id": questionnaire_id, "invitation_id": None,
                    "is_submitted": True, "submitted_at": None,
                    "country": trainee["nationality"] if countries[trainee["nationality"]] >= ANONYMITY_GROUP else None,
                    "institution_id": trainee["institution_id"]
                    if trainee["institution_id"] and institutions[trainee["institution_id"]] >= ANONYMITY_GROUP else None})
        rng.shuffle(responses)  # as the service leaves them: in no order
        self.rows[Response] += responses
        for response in responses:
            for question in template.questions:
                targets = ([f"trainer:{expert_id}" for expert_id in trainers] if question.target == QuestionTarget.TRAINER
                           else [f"logistics:{key}" for key in LOGISTICS_ITEMS] if question.target == QuestionTarget.LOGISTICS
                           else [""])
                for target in targets:
                    row = {"response_id": response["id"], "question_id": question.id, "target_key": target,
                           "rating": None, "choices": None, "text": None}
                    if question.kind == QuestionKind.RATING:
                        row["rating"] = max(1, question.scale_max - rng.choice((0, 0, 0, 1, 1, 2, 3)))
                    elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                        row["choices"] = [rng.choice((0, 0, 0, 1, 2)) % len(question.choices)]
                    elif question.is_required or rng.random() < 0.3:
                        row["text"] = rng.choice(("Très utile pour notre service.", "Plus de cas pratiques.",
                                                  "مفيدة جدًا لعملنا.", "Excellente organisation."))
                    else:
                        continue
                    self.rows[Answer].append(row)
        self.rows[Questionnaire].append({
            "id": questionnaire_id, "session_id": planned.id, "template_id": template.id,
            "purpose": Purpose.END_OF_SESSION, "is_anonymous": True, "status": status, "send_on": None,
            "open_days": 21, "remind_after_days": 7, "remind_again_after_days": 14, "sent_on": sent_on,
            "closes_on": closes_on, "responses_count": len(responses), "created_at": self._at(planned.end, 17)})
        self._audit(Questionnaire, questionnaire_id, "send", self._at(sent_on, 9), from_state="planned",
                    to_state="open", actor=False, invitations=str(len(recipients)))
        if status == QuestionnaireStatus.CLOSED:
            self._audit(Questionnaire, questionnaire_id, "close", self._at(closes_on, 9), from_state="open",
                        to_state="closed", actor=False)

    # After the bulk inserts -------------------------------------------------------------------

    def fix_sequences(self) -> None:
        """PostgreSQL's id sequences do not see ids given explicitly: move them past the largest."""
        if db.engine.dialect.name != "postgresql":
            return
        for table in BULK_TABLES:
            name = table.__tablename__
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{name}\"), false)"))

    def issue_certificates(self, year: int) -> None:
        """The year's completed sessions' certificates, through the service (real PDFs), session by session."""
        if not active_signatories():
            _add_signatory(self.coordinator)
            db.session.commit()
        sessions = db.session.scalars(
            sa.select(TrainingSession).where(TrainingSession.status == S.COMPLETED,
                                             TrainingSession.start_on >= date(year, 1, 1))
            .order_by(TrainingSession.start_on, TrainingSession.id)).all()
        started, total = perf_counter(), 0
        for index, training_session in enumerate(sessions, 1):
            issued, plan = issue_for_session(training_session, None, self.coordinator)
            total += len(issued)
            self.volume.certificate_sessions.append(training_session.id)
            elapsed = perf_counter() - started
            self.progress(f"certificates: session {training_session.code} ({index}/{len(sessions)}): "
                          f"{len(issued)} issued, {len(plan.refused)} below the threshold; "
                          f"{total} in {elapsed:.0f} s ({total / elapsed:.1f}/s)")
        self.volume.counts["certificate"] = total


def _insert(table, rows: list[dict], batch: int = 5000) -> None:
    """Core executemany, in batches (the ORM's unit of work is far too slow for this)."""
    statement = sa.insert(table.__table__)
    for i in range(0, len(rows), batch):
        db.session.execute(statement, rows[i:i + batch])


def _add_signatory(actor) -> None:
    add_signatory("Rachid Amrani", "Directeur du centre", drawn_signature(), actor,
                  name_ar="رشيد العمراني", title_ar="مدير المركز")


__all__ = ["Volume", "is_empty", "seed_volume"]
