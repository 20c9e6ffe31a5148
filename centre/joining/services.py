"""Joining instructions: a session's practical information, the convocation a trainee receives
when accepted (PDF and .ics), the reminders before the start, and the notices of a change.

Every mail goes through the outbox (centre/mail.py) and is recorded as a JoiningNotice. The
convocation is rendered by a job (`joining.convocation`), not in the request that accepts: a
coordinator accepting thirty trainees at once would wait for thirty PDFs. The reminders run in
the workers' daily schedule `joining.remind` (centre/jobs/schedules.py).
"""
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from centre import audit, mail
from centre.clock import today
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import FULL_DATE, centre_zone, format_date_range, format_day, format_time, localized
from centre.jobs.services import enqueue, job_kind
from centre.models import (
    PRACTICAL_FIELDS,
    JoiningNotice,
    NoticeKind,
    PracticalInfo,
    Registration,
    RegistrationStatus,
    SessionStatus,
    Trainee,
    TrainingSession,
    User,
)
from centre.models.types import utcnow
from centre.pdf import render_pdf, require_arabic_font
from centre.registrations.services import invitation_letter, trainee_language
from centre.sessions.services import calendar_feed
from centre.urls import absolute_url

LANGUAGES = ("fr", "ar", "en")
CONVOCATION_KIND = "joining.convocation"
#: Session fields whose change after the convocation is mailed to the trainees concerned.
CHANGE_FIELDS = ("start_on", "end_on", "venue_fr", "venue_ar", "venue_en")
#: Sessions that are still to come: reminders and change notices are for them only.
UPCOMING = (SessionStatus.APPROVED, SessionStatus.OPEN, SessionStatus.CLOSED, SessionStatus.IN_PROGRESS)
TEXT_MAX = 4000


def practical_info(training_session: TrainingSession) -> PracticalInfo | None:
    return db.session.scalar(sa.select(PracticalInfo).where(PracticalInfo.session_id == training_session.id))


def _previous_at_venue(training_session: TrainingSession) -> PracticalInfo | None:
    """The practical information of the latest other session held at the same venue."""
    venue = training_session.venue_fr.strip().lower()
    if not venue:
        return None
    return db.session.scalar(
        sa.select(PracticalInfo).join(TrainingSession)
        .where(TrainingSession.id != training_session.id, sa.func.lower(TrainingSession.venue_fr) == venue)
        .order_by(TrainingSession.start_on.desc(), TrainingSession.id.desc()).limit(1))


def practical_defaults(training_session: TrainingSession) -> dict[str, str]:
    """What a session's practical information starts from: each text of the previous session at the
    same venue, else the centre's setting (PRACTICAL_DEFAULTS in config.py)."""
    settings = current_app.config["PRACTICAL_DEFAULTS"]
    previous = _previous_at_venue(training_session)
    values = {}
    for field in PRACTICAL_FIELDS:
        for language in LANGUAGES:
            name = f"{field}_{language}"
            values[name] = (getattr(previous, name) if previous else "") or settings.get(field, {}).get(language, "")
    values["map_url"] = (previous.map_url if previous else "") or settings.get("map_url", "")
    values["reminder_days"] = previous.reminder_days if previous else current_app.config["JOINING_REMINDER_DAYS"]
    return values


def practical_values(training_session: TrainingSession) -> dict:
    """The session's practical information as saved, or its defaults when none is saved yet."""
    info = practical_info(training_session)
    if info is None:
        return practical_defaults(training_session)
    values = {f"{f}_{lang}": getattr(info, f"{f}_{lang}") for f in PRACTICAL_FIELDS for lang in LANGUAGES}
    values.update(map_url=info.map_url, reminder_days=info.reminder_days)
    return values


def check_map_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in url):
        raise DomainError(_l("The map link must be an address starting with https://."))
    return url


def save_practical_info(training_session: TrainingSession, actor: User | None, **values) -> tuple[PracticalInfo, int]:
    """Save the session's practical information; returns it and how many trainees were told of a
    new address (a change of address after convocations were sent is mailed, like a new venue)."""
    if training_session.status in (SessionStatus.COMPLETED, SessionStatus.CANCELLED):
        raise DomainError(_l("A completed or cancelled session can no longer be changed."))
    values["map_url"] = check_map_url(values.get("map_url", ""))
    days = values.get("reminder_days")
    if days is not None and not 2 <= days <= 60:
        raise DomainError(_l("The first reminder is sent between 2 and 60 days before the start."))
    for name, value in values.items():
        if isinstance(value, str) and len(value) > TEXT_MAX:
            raise DomainError(_l("A text has at most %(max)d characters."), max=TEXT_MAX)
    info = practical_info(training_session)
    created = info is None
    if created:
        info = PracticalInfo(training_session=training_session)
        db.session.add(info)
    changed = sorted(name for name, value in values.items() if getattr(info, name, None) != value)
    moved = [name for name in changed if name.startswith("address_") or name == "map_url"]
    for name in changed:
        setattr(info, name, values[name])
    info.updated_at = utcnow()
    db.session.flush()
    if created or changed:
        audit.record(training_session, "practical_info", actor=actor, fields=", ".join(changed))
    told = notify_changes(training_session, ["address"], actor) if moved and not created else 0
    return info, told


# What a convocation and the notices say --------------------------------------------------------


def slot_lines(training_session: TrainingSession, language: str) -> list[tuple[str, list[str]]]:
    """The session's half-days by day, as the programme prints them: (day, ["09:00–12:30 Morning", …])."""
    days: dict[date, list[str]] = {}
    for slot in training_session.slots:
        day = slot.starts_at.astimezone(centre_zone()).date()
        days.setdefault(day, []).append(
            # The hours isolated left to right: in an Arabic line "09:00–12:30" would read "12:30–09:00".
            f"\u2066{format_time(slot.starts_at, language)}–{format_time(slot.ends_at, language)}\u2069 {slot.part.label}")
    return [(format_day(day, "EEEE " + FULL_DATE, language), lines) for day, lines in days.items()]


def session_calendar(training_session: TrainingSession, language: str) -> bytes:
    """The session's .ics for a trainee: one event per half-day, at its venue."""
    return calendar_feed([training_session], slots=True, language=language,
                         url_for_session=lambda s: absolute_url("registrations.mine"))


def ics_name(training_session: TrainingSession) -> str:
    return f"{safe_code(training_session)}.ics"


def safe_code(training_session: TrainingSession) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in training_session.code)


def render_convocation(registration: Registration, language: str | None = None) -> bytes:
    """The convocation's PDF in the trainee's language (or the one given): their names in both
    scripts, the session, its programme and timetable, and the practical information."""
    require_arabic_font()
    language = language or trainee_language(registration.trainee)
    training_session = registration.training_session
    values = practical_values(training_session)
    with force_locale(language):
        practical = [(label, _pick(values, field, language)) for field, label in practical_labels()]
        return render_pdf(
            "pdf/convocation.html", r=registration, t=registration.trainee, s=training_session,
            language=language, dir="rtl" if language == "ar" else "ltr",
            title=localized(training_session, "title", language),
            programme=localized(training_session, "programme", language),
            venue=localized(training_session, "venue", language),
            dates=format_date_range(training_session.start_on, training_session.end_on, language),
            days=slot_lines(training_session, language), practical=[p for p in practical if p[1]],
            map_url=values["map_url"], institution_name=current_app.config["INSTITUTION_NAMES"][language],
            centre_name=current_app.config["CENTRE_NAMES"][language],
            visa_letter=registration.needs_visa_letter, today=today(),
        )


def _pick(values: dict, field: str, language: str) -> str:
    """A text in the language asked for, else French, else English (as `localized` does)."""
    for lang in (language, "fr", "en", "ar"):
        if values.get(f"{field}_{lang}"):
            return values[f"{field}_{lang}"]
    return ""


def practical_labels():
    return (("address", _("Venue address")), ("arrival", _("Arrival and transport")),
            ("accommodation", _("Accommodation")), ("timetable", _("Daily timetable")),
            ("conduct", _("Dress and conduct")), ("contacts", _("Contacts")), ("bring", _("What to bring")))


def convocation_name(registration: Registration) -> str:
    return f"convocation-{safe_code(registration.training_session)}-{registration.id}.pdf"


# Sending ---------------------------------------------------------------------------------------


def notices_of(registration: Registration) -> list[JoiningNotice]:
    return db.session.scalars(sa.select(JoiningNotice).where(JoiningNotice.registration_id == registration.id)
                              .order_by(JoiningNotice.sent_at, JoiningNotice.id)).all()


def queue_convocation(registration: Registration, actor: User | None) -> None:
    """After an acceptance (in its transaction): the convocation is rendered and mailed by a job."""
    if registration.status == RegistrationStatus.ACCEPTED and registration.trainee.anonymised_at is None:
        enqueue(CONVOCATION_KIND, actor, entity=registration)


@job_kind(CONVOCATION_KIND, _l("Sending a convocation"))
def _convocation_job(job, progress):
    registration = db.session.get(Registration, job.entity_id)
    if registration is None:
        return {"outcome": "gone"}
    notice = send_convocation(registration)
    progress(1, 1)
    return {"outcome": "sent" if notice else "not sent"}


def send_convocation(registration: Registration) -> JoiningNotice | None:
    """Mail the convocation (PDF, the session's .ics, and the signed visa letter when asked for) to
    the accepted trainee, once: None if it was already sent or the registration is no longer accepted."""
    if registration.status != RegistrationStatus.ACCEPTED or registration.trainee.anonymised_at is not None:
        return None
    if db.session.scalar(sa.select(JoiningNotice.id).where(
            JoiningNotice.registration_id == registration.id, JoiningNotice.kind == NoticeKind.CONVOCATION)):
        return None
    training_session = registration.training_session
    language = trainee_language(registration.trainee)
    files = [(convocation_name(registration), "application/pdf", render_convocation(registration, language)),
             (ics_name(training_session), "text/calendar", session_calendar(training_session, language))]
    letter_missing = False
    if registration.needs_visa_letter:
        try:
            letter = invitation_letter(registration)
            files.append((f"invitation-{safe_code(training_session)}-{registration.id}.pdf", "application/pdf",
                          letter.pdf))
        except DomainError:  # no passport number yet: the letter is downloaded later from the trainee's space
            letter_missing = True
    return _notice(registration, NoticeKind.CONVOCATION, "joining_convocation", language, files,
                   letter_missing=letter_missing)


def _notice(registration: Registration, kind: NoticeKind, template: str, language: str, files=(),
            **context) -> JoiningNotice:
    trainee = registration.trainee
    training_session = registration.training_session
    with force_locale(language):
        title = localized(training_session, "title", language)
        venue = localized(training_session, "venue", language)
    outbox = mail.send(
        trainee.email, template, language, attachments=files, name=trainee.name_in(language), title=title,
        venue=venue, s=training_session, registration=registration,
        dates=format_date_range(training_session.start_on, training_session.end_on, language),
        convocation=absolute_url("joining.convocation", registration_id=registration.id),
        space=absolute_url("registrations.mine"), **context)
    notice = JoiningNotice(registration=registration, kind=kind, start_on=training_session.start_on, mail_id=outbox.id)
    db.session.add(notice)
    audit.record(registration, f"joining_{kind.value}", actor=None, mail=outbox.id)
    db.session.flush()
    return notice


def notify_changes(training_session: TrainingSession, changed: list[str], actor: User | None) -> int:
    """Tell every accepted trainee who already received the convocation that the session's dates or
    venue changed (with the new .ics); returns how many were told."""
    if not ({"address", *CHANGE_FIELDS} & set(changed)) or training_session.status not in UPCOMING:
        return 0
    registrations = db.session.scalars(
        sa.select(Registration).join(Trainee)
        .where(Registration.session_id == training_session.id, Registration.status == RegistrationStatus.ACCEPTED,
               Trainee.anonymised_at.is_(None),
               sa.exists().where(JoiningNotice.registration_id == Registration.id,
                                 JoiningNotice.kind == NoticeKind.CONVOCATION))
    ).all()
    dates_changed = bool({"start_on", "end_on"} & set(changed))
    venue_changed = not dates_changed or bool({"address", "venue_fr", "venue_ar", "venue_en"} & set(changed))
    values = practical_values(training_session)
    for registration in registrations:
        language = trainee_language(registration.trainee)
        _notice(registration, NoticeKind.CHANGE, "joining_changed", language,
                [(ics_name(training_session), "text/calendar", session_calendar(training_session, language))],
                dates_changed=dates_changed, venue_changed=venue_changed,
                address=_pick(values, "address", language), map_url=values["map_url"])
    if registrations:
        audit.record(training_session, "joining_change_notices", actor=actor, told=len(registrations),
                     fields=", ".join(sorted(changed)))
    return len(registrations)


def send_reminders(now: datetime | None = None) -> int:
    """The daily schedule: a reminder N days before the start (the session's setting, 7 by default)
    and one the day before, to each accepted trainee, once per start date. A day missed while no
    worker ran is caught up: the N-day reminder goes out on any day from N days before to two."""
    day = (now or utcnow()).astimezone(centre_zone()).date()
    default_days = current_app.config["JOINING_REMINDER_DAYS"]
    sessions = db.session.scalars(
        sa.select(TrainingSession).where(TrainingSession.status.in_(UPCOMING), TrainingSession.start_on > day,
                                         TrainingSession.start_on <= day + timedelta(days=60))).all()
    sent = 0
    for training_session in sessions:
        info = practical_info(training_session)
        lead = info.reminder_days if info else default_days
        days_left = (training_session.start_on - day).days
        if days_left == 1:
            kind = NoticeKind.EVE
        elif days_left <= lead:
            kind = NoticeKind.REMINDER
        else:
            continue
        done = sa.exists().where(JoiningNotice.registration_id == Registration.id, JoiningNotice.kind == kind,
                                 JoiningNotice.start_on == training_session.start_on)
        registrations = db.session.scalars(
            sa.select(Registration).join(Trainee)
            .where(Registration.session_id == training_session.id, Registration.status == RegistrationStatus.ACCEPTED,
                   Trainee.anonymised_at.is_(None), ~done)).all()
        values = practical_values(training_session) if registrations else {}
        for registration in registrations:
            language = trainee_language(registration.trainee)
            _notice(registration, kind, "joining_reminder", language, days_left=days_left,
                    first_day=format_day(training_session.start_on, "EEEE " + FULL_DATE, language),
                    first_slot=(format_time(training_session.slots[0].starts_at, language)
                                if training_session.slots else ""),
                    address=_pick(values, "address", language), contacts=_pick(values, "contacts", language),
                    bring=_pick(values, "bring", language), map_url=values["map_url"])
            sent += 1
    return sent
