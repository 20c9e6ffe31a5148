"""Demo data: real partner institutions, fictional people, sessions at every stage of the workflow.

The partners, staff accounts and named experts are common.py's, the trainees and sessions
demo.toml's; the people are fictional. Everything a rule governs goes through the services the
app uses, so the rules hold and the audit log tells the story; associations, institutions, experts and trainers have no service yet and are rows.
Session dates are relative to today, so the open session is always ahead and the completed ones
behind. Each session has its practical information; the open and the second completed session have
materials (short PDFs rendered here, added as uploads are); that completed session's first
half-days were signed on the trainees' phones and countersigned by the demo expert, at times
inside each half-day. The caller commits.
"""
import base64
import io
import random
import tomllib
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from centre import audit, clock
from centre.assistance.services import submit_request
from centre.attendance.services import eligibility, late_after, save_marks
from centre.attendance.signatures import countersign, sign
from centre.auth.services import create_user
from centre.certificates.services import issue_certificate
from centre.evaluation import questionnaires, templates
from centre.extensions import db
from centre.files import check_upload
from centre.joining.services import save_practical_info
from centre.materials.services import MAX_BYTES, add_material
from centre.models import (
    AssistanceKind,
    DocumentLanguage,
    Expert,
    FocalPoint,
    Gender,
    MarkStatus,
    Purpose,
    Recommendation,
    Registration,
    RegistrationStatus,
    Role,
    SessionStatus,
    Trainer,
    User,
    Visibility,
)
from centre.pdf import render_pdf
from centre.partners.services import add_contact
from centre.registrations.services import (
    accepted_registrations,
    cancel,
    create_trainee_account,
    decide,
    register,
)
from centre.reviews.services import assign_reviewer, record_review
from centre.seed.answers import answer_some
from centre.seed.catalogue import TOPICS
from centre.seed.common import (
    ARAB_COUNTRIES,
    ASSOCIATIONS,
    DEMO_PASSWORD,
    STAFF_ACCOUNTS,
    add_partners,
    email_address,
    named_experts,
)
from centre.sessions.services import change_status, create_session

DEMO_TRAINEE_EMAIL = "amira.bensalem@tn.example.org"

#: The expert who signs in with the expert demo account.
EXPERT_ACCOUNT = "alaoui"

#: The letters of demo.toml's attendance patterns.
_MARKS = {"P": MarkStatus.PRESENT, "L": MarkStatus.LATE, "E": MarkStatus.EXCUSED, "A": MarkStatus.ABSENT}


def _session_specs(specs: list[dict]) -> list[dict]:
    """The sessions as read, their statuses and recommendations as enums, their titles the
    catalogue's topics'."""
    for spec in specs:
        spec["status"] = SessionStatus(spec["status"])
        spec["title"] = TOPICS[spec.pop("topic")][0]
        spec["theme"] = (spec.pop("theme_fr"), spec.pop("theme_ar"), spec.pop("theme_en"))
        spec["reviews"] = [(r["expert"], Recommendation(r["recommendation"]), tuple(r["scores"]), r["comments"])
                           for r in spec.get("reviews", [])]
    return specs


_DATA = tomllib.loads(Path(__file__).with_name("demo.toml").read_text(encoding="utf-8"))
#: (given name, family name, name in Arabic script or "", gender, country, position, certificate
#:  language, passport number or None), as demo.toml lists them.
TRAINEES = [(given, family, name_ar, Gender(gender), country, position, DocumentLanguage(language), passport or None)
            for given, family, name_ar, gender, country, position, language, passport in _DATA["trainees"]]
#: The sessions, oldest first: demo.toml says what each field means.
SESSIONS = _session_specs(_DATA["sessions"])

#: Partner countries whose demo trainees ask for a visa letter (when their passport is on file).
VISA_LETTER_COUNTRIES = {"DJ", "EG", "MG", "SD"}


def demo_logins() -> list[dict]:
    """The demo accounts to print: e-mail, role, password."""
    logins = [{"email": email, "role": role.value, "password": DEMO_PASSWORD}
              for email, role, _ in STAFF_ACCOUNTS]
    logins.append({"email": DEMO_TRAINEE_EMAIL, "role": Role.TRAINEE.value, "password": DEMO_PASSWORD})
    logins.append({"email": DEMO_FOCAL_POINT[0], "role": Role.FOCAL_POINT.value, "password": DEMO_PASSWORD})
    return logins


#: The Senegalese partner's focal point (e-mail, name), with one request for an expert mission.
DEMO_FOCAL_POINT = ("point.focal@mediateur.sn", "Fatou Ndiaye")


def _focal_point_and_request(institution, today: date) -> User:
    """The partner's focal point and the expert-mission request they submitted."""
    user = create_user(DEMO_FOCAL_POINT[0], DEMO_PASSWORD, Role.FOCAL_POINT, full_name=DEMO_FOCAL_POINT[1])
    db.session.add(FocalPoint(user=user, institution=institution))
    start = _monday_on_or_after(today + timedelta(days=70))
    submit_request(institution, user, kind=AssistanceKind.EXPERT_MISSION.value,
                   subject="Plateforme de dépôt des plaintes en ligne",
                   objectives="Mettre en place le dépôt et le suivi des plaintes en ligne, et former les agents "
                              "qui les traitent.",
                   expertise_wanted="Traitement des plaintes, systèmes d'information", staff_count=12,
                   staff_profile="Juristes et agents d'accueil", preferred_from=start,
                   preferred_to=start + timedelta(days=11), languages=["fr"])
    return user


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=-day.weekday() % 7)


def seed_demo(today: date | None = None) -> dict:
    """Load the demo data into the session (not committed); returns counts and logins."""
    today = today or clock.today()
    users = {role: create_user(email, DEMO_PASSWORD, role, full_name=name)
             for email, role, name in STAFF_ACCOUNTS}
    coordinator = users[Role.COORDINATOR]
    institutions = add_partners()
    experts = {key: Expert(**fields, institution=institutions[fields["nationality"]])
               for key, fields in named_experts().items()}
    users[Role.FOCAL_POINT] = _focal_point_and_request(institutions["SN"], today)
    experts[EXPERT_ACCOUNT].user = users[Role.EXPERT]
    experts[EXPERT_ACCOUNT].email = users[Role.EXPERT].email
    db.session.add_all(experts.values())
    db.session.flush()

    trainees = {}
    for given, family, name_ar, gender, country, position, language, passport in TRAINEES:
        email = email_address(given, family, country)
        trainees[email] = create_trainee_account(
            DEMO_PASSWORD, email=email, given_name=given, family_name=family, full_name_ar=name_ar,
            gender=gender, nationality=country, institution=institutions[country], position=position,
            certificate_language=language, passport_number=passport,
            passport_expires_on=today + timedelta(days=3 * 365) if passport else None,
        )
        trainees[email].email_confirmed_at = clock.utcnow()  # demo addresses receive no mail

    counts = {"reviews": 0, "registrations": 0, "attendance_marks": 0, "signatures": 0, "certificates": 0,
              "materials": 0, "answers": 0}
    templates.load_default_templates(coordinator)
    for institution in institutions.values():  # the follow-up questionnaires' recipient there
        if institution.country in ARAB_COUNTRIES:  # written to in Arabic
            names = {"full_name": "مصلحة التكوين", "position": "المسؤول عن التكوين", "language": "ar"}
        else:
            names = {"full_name": "Service de la formation", "position": "Responsable de la formation", "language": "fr"}
        add_contact(institution, coordinator, **names, email=f"formation.{institution.country.lower()}@partners.example.org")
    sessions = []
    numbers_by_year: dict[int, int] = {}
    for spec in SESSIONS:
        start = _monday_on_or_after(today + timedelta(days=spec["offset"]))
        numbers_by_year[start.year] = numbers_by_year.get(start.year, 0) + 1
        training_session = create_session(
            coordinator,
            code=f"{start.year}-{numbers_by_year[start.year]:02d}",
            title_fr=spec["title"][0], title_ar=spec["title"][1], title_en=spec["title"][2],
            theme_fr=spec["theme"][0], theme_ar=spec["theme"][1], theme_en=spec["theme"][2],
            venue_fr="Rabat", venue_ar="الرباط", venue_en="Rabat", start_on=start, end_on=start + timedelta(days=spec["days"] - 1),
            capacity=spec["capacity"], institution_quota=spec.get("quota"),
            # register() compares the deadline with today, so past sessions have none.
            registration_deadline=None if start < today else start - timedelta(days=21),
            languages=spec["languages"], attendance_threshold=spec["threshold"],
        )
        training_session.trainers = [Trainer(expert=experts[key], days=days)
                                     for key, days in spec.get("trainers", [])]
        save_practical_info(training_session, coordinator, **_DATA["practical"])
        sessions.append(training_session)
        _advance(training_session, spec, experts, trainees, coordinator, counts)
        counts["materials"] += _add_materials(training_session, spec, {"coordinator": coordinator,
                                                                       "expert": users[Role.EXPERT]})
    db.session.flush()

    return {
        "counts": {
            "accounts": len(users) + len(trainees),
            "institutions": len(institutions),
            "associations": len(ASSOCIATIONS),
            "experts": len(experts),
            "sessions": len(sessions),
            "trainees": len(trainees),
            **counts,
        },
        "sessions": {s.code: s.status.value for s in sessions},
        "logins": demo_logins(),
    }


def _assign(training_session, spec, experts, coordinator) -> None:
    """Experts asked to review, whose review is still awaited (they are e-mailed)."""
    for key, days_before in spec.get("assigned", []):
        assign_reviewer(training_session, experts[key], coordinator,
                        due_on=training_session.start_on - timedelta(days=days_before))


def _advance(training_session, spec, experts, trainees, coordinator, counts) -> None:
    """Take the session along its workflow to the planned status, doing each stage's work."""
    target = spec["status"]
    if target == SessionStatus.DRAFT:
        _assign(training_session, spec, experts, coordinator)
        return
    change_status(training_session, SessionStatus.IN_REVIEW, coordinator)
    _assign(training_session, spec, experts, coordinator)
    for key, recommendation, (relevance, methodology, audience), comments in spec["reviews"]:
        expert = experts[key]
        # The expert with an account records their own review; a coordinator the others'.
        record_review(training_session, expert, expert.user or coordinator,
                      score_relevance=relevance, score_methodology=methodology,
                      score_audience=audience, recommendation=recommendation, comments=comments)
        counts["reviews"] += 1
    if target == SessionStatus.IN_REVIEW:
        return
    change_status(training_session, SessionStatus.APPROVED, coordinator)
    change_status(training_session, SessionStatus.OPEN, coordinator)
    counts["registrations"] += _register_all(training_session, spec, trainees, coordinator)
    if target == SessionStatus.OPEN:
        return
    # Before arrival: the trainees say where they start from; the trainers read it.
    positioning = questionnaires.create_questionnaire(
        training_session, templates.latest_template(Purpose.POSITIONING), coordinator)
    counts["answers"] += answer_some(positioning, random.Random(f"{training_session.code}-positioning"), 0.7)
    change_status(training_session, SessionStatus.CLOSED, coordinator)
    change_status(training_session, SessionStatus.IN_PROGRESS, coordinator)
    counts["signatures"] += _sign_first_slots(training_session, spec, trainees)
    counts["attendance_marks"] += _mark_attendance(training_session, spec, trainees, coordinator)
    change_status(training_session, SessionStatus.COMPLETED, coordinator)
    counts["certificates"] += _issue_certificates(training_session, spec, trainees, coordinator)
    rng = random.Random(training_session.code)
    for questionnaire in questionnaires.session_questionnaires(training_session):
        if questionnaire.is_open:
            counts["answers"] += answer_some(questionnaire, rng)


def _register_all(training_session, spec, trainees, coordinator) -> int:
    """Register everyone while the session is open, then decide as planned; the trainees who
    attended were accepted."""
    outcomes = {**{email: "accepted" for email in spec.get("attendance", {})},
                **spec.get("registrations", {})}
    for email, outcome in outcomes.items():
        trainee = trainees[email]
        travels = trainee.nationality != "MA"
        travel = dict(arrival_on=training_session.start_on - timedelta(days=1) if travels else None,
                      departure_on=training_session.end_on + timedelta(days=1) if travels else None,
                      needs_visa_letter=(trainee.nationality in VISA_LETTER_COUNTRIES
                                         and trainee.passport_number is not None))
        if training_session.end_on < clock.today():
            # A session of the past: registration closed with its last day, so its registrations
            # are written as they were taken then.
            registration = Registration(training_session=training_session, trainee=trainee,
                                        status=RegistrationStatus.PENDING, **travel)
            db.session.add(registration)
            db.session.flush()
            audit.record(registration, "register", to_state=RegistrationStatus.PENDING, actor=trainee.user,
                         session=training_session.code)
        else:
            registration = register(training_session, trainee, **travel)
        status, _, reason = outcome.partition(":")
        if status == "cancelled":
            cancel(registration, trainee.user)
        elif status != "pending":
            decide(registration, RegistrationStatus(status), coordinator, reason)
    return len(outcomes)


def _attended(training_session, spec, trainees):
    """(registration, attendance pattern) of each accepted registration of the session."""
    patterns = {trainees[email].id: pattern for email, pattern in spec["attendance"].items()}
    return [(r, patterns[r.trainee_id]) for r in accepted_registrations(training_session)]


def _mark_attendance(training_session, spec, trainees, coordinator) -> int:
    """Every slot marked for every accepted trainee, as their pattern says."""
    marks = {}
    for registration, pattern in _attended(training_session, spec, trainees):
        for slot, letter in zip(training_session.slots, pattern, strict=True):
            marks[(registration.id, slot.id)] = _MARKS[letter]
    return save_marks(training_session, marks, coordinator)


def _issue_certificates(training_session, spec, trainees, coordinator) -> int:
    """A certificate in each trainee's language for everyone whose attendance reaches the threshold."""
    issued = 0
    for registration, _ in _attended(training_session, spec, trainees):
        if eligibility(registration)[0]:
            issue_certificate(registration, registration.trainee.certificate_language, coordinator)
            issued += 1
    return issued


#: The demo's phones: an address of the range kept for documentation (RFC 5737).
DEMO_DEVICE_ADDRESS = "192.0.2.24"


def _drawing(name: str) -> str:
    """A signature-like scribble, the same for the same name, as the sign-in page's canvas posts it."""
    shuffle = random.Random(name)
    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    pen = ImageDraw.Draw(image)
    x, points = 12, []
    while x < 330:
        points.append((x, shuffle.randint(30, 90)))
        x += shuffle.randint(14, 34)
    pen.line(points, fill="navy", width=4, joint="curve")
    pen.line([(points[0][0], 100), (points[-1][0] + 10, 96)], fill="navy", width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _sign_first_slots(training_session, spec, trainees) -> int:
    """The first half-days signed on the trainees' phones while under way, as their attendance pattern
    says (present: soon after the start; late: past the late mark), then countersigned by the trainer
    who has an account an hour after each ends."""
    count = spec.get("signed", {}).get("slots", 0)
    if not count:
        return 0
    trainer = next((t.expert.user for t in training_session.trainers if t.expert.user), None)
    signed = 0
    for position, slot in enumerate(training_session.slots[:count]):
        for registration, pattern in _attended(training_session, spec, trainees):
            letter = pattern[position]
            if letter not in ("P", "L"):
                continue
            when = late_after(slot) + timedelta(minutes=7) if letter == "L" else slot.starts_at + timedelta(minutes=4)
            sign(slot, registration, registration.trainee.user, _drawing(registration.trainee.family_name),
                 DEMO_DEVICE_ADDRESS, now=when)
            signed += 1
        if trainer is not None:
            countersign(slot, trainer, _drawing(trainer.full_name), DEMO_DEVICE_ADDRESS,
                        now=slot.ends_at + timedelta(hours=1))
    return signed


def _add_materials(training_session, spec, uploaders: dict[str, User]) -> int:
    """The session's materials as demo.toml lists them: a short PDF each, rendered now and added as an
    upload would be (its type checked by content)."""
    for material in spec.get("materials", []):
        language = material["language"]
        pdf = render_pdf("pdf/demo_material.html", language=language, title=material["title"],
                         paragraphs=material["paragraphs"], code=training_session.code,
                         session_title=getattr(training_session, f"title_{language}"),
                         institution_name=current_app.config["INSTITUTION_NAMES"][language],
                         centre_name=current_app.config["CENTRE_NAMES"][language])
        upload = check_upload(FileStorage(io.BytesIO(pdf), filename=f"{material['title']}.pdf"), max_bytes=MAX_BYTES)
        add_material(training_session, upload, Visibility(material["visibility"]), uploaders[material["by"]],
                     title=material["title"])
    return len(spec.get("materials", []))
