"""Every form of the app, posted with generated values (hypothesis): nothing answers 500, and
nothing stored before is changed or lost, except what the form may legitimately change.

Values mix plausible ones (so that some posts get past the form to the rules) with hostile
ones: empty, 10,000 characters, right-to-left marks, zero-width joiners, NUL, emoji, invalid
dates, negative or huge numbers, SQL and HTML fragments, header-splitting line breaks.
CENTRE_FUZZ_EXAMPLES sets the number of examples per form (default 20: with 26 forms, about as many
posts per database as 40 examples gave when the test covered 14 forms, so that the suite keeps to its
ten minutes; search longer before a release with CENTRE_FUZZ_EXAMPLES=500).
"""
import itertools
import os
from datetime import date, timedelta
from urllib.parse import quote, urlencode

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centre.extensions import db
from centre.models import FocalPoint, Job, MarkStatus, OutboxMail, Recommendation, RegistrationStatus, Role, SessionStatus
from tests.conftest import CSRF_RE, PASSWORD

EXAMPLES = int(os.environ.get("CENTRE_FUZZ_EXAMPLES", "20"))
FUZZ = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=10), database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: Written by the requests themselves, whatever they carry: not compared.
LOGS = {"audit_entry", "failed_login"}

HOSTILE = [
    "", " ", "\u200f", "\u200e\u202e", "\u200d", "a\u200db", "\ufeff", "\x00", "abc\x00def", "😀", "👩‍👩‍👧‍👦",
    "x" * 10_000, "ب" * 10_000, "' OR '1'='1", "1; DROP TABLE \"user\"; --", "<script>alert(1)</script>",
    "<b>bold</b>", "&amp;", "%00", "../../etc/passwd", "2026-02-30", "2026-13-01", "0000-00-00", "31/12/2026",
    "-1", "-5", "0", "1.5", "1e9", "NaN", "99999999999999999999", "2147483648", "\r\n", "\n", "\t",
    "/\r\nSet-Cookie: injected=1", "/\t/evil.example", "//evil.example", "/\\evil.example",
    "https://evil.example/", "null", "[]", "{}", "\x7f", "\x1b[31m",
    # pasted from a word processor: a page break, a line separator (issue 20)
    "Titre\x0cpage 2", "Ligne\u2028suivante", "Nom\x01",
]
#: Characters that have broken applications: controls, bidi and zero-width marks, quotes, markup.
TRICKY = list("\x00\x01\x0c\x1f\u2028\u2029\x85\r\n\t\x0b\x7f\u200e\u200f\u202e\u2066\u2069\u200d\u200b\ufeff😀<>&'\";/\\%.:-_ aZé1ب٣")
hostile = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.sampled_from(TRICKY), max_size=30),
    st.text(max_size=40),
)


#: Dates anywhere in Python's calendar, its very ends included, and malformed ones: a session at
#: 9999-12-30 or 0001-01-01 once answered 500 (issue 19).
EDGE_DATES = ["0001-01-01", "0001-01-02", "1999-12-31", "2100-01-01", "9999-12-30", "9999-12-31", "10000-01-01"]
any_date = st.one_of(st.dates().map(date.isoformat), st.sampled_from(EDGE_DATES), hostile)


def _span(start: date, days: int) -> dict:
    return {"start_on": start.isoformat(), "end_on": min(start + timedelta(days=min(days, (date.max - start).days)),
                                                         date.max).isoformat()}


#: A session's first and last day: anything, or a plausible length from any first day.
session_dates = st.one_of(st.just({}), st.fixed_dictionaries({"start_on": any_date, "end_on": any_date}),
                          st.builds(_span, st.one_of(st.dates(), st.sampled_from([date.fromisoformat(d) for d in
                                                                                  EDGE_DATES[:-1]])),
                                    st.one_of(st.integers(0, 30), st.integers(0, 5000))))


def _apply(baseline: dict, corrupted: dict) -> dict:
    data = dict(baseline)
    for name, text in corrupted.items():
        if text is None:
            data.pop(name, None)
        else:
            data[name] = text
    return data


def mutated(baseline: dict, extra_names=()):
    """A valid form with up to four fields made hostile or left out (so each post gets as far
    as the field that refuses it), or an unknown field added."""
    names = sorted(baseline) + list(extra_names)
    return st.builds(_apply, st.just(baseline),
                     st.dictionaries(st.sampled_from(names), st.one_of(hostile, st.none()), max_size=4))


def segment(valid, *others):
    """A part of the address: mostly the valid one, so the form behind it is reached."""
    return st.one_of(st.just(valid), st.just(valid), st.sampled_from([valid, *others]), hostile)


#: Addresses that have made redirects go elsewhere or split the response's headers.
REDIRECTS = ["//evil.example", "/\\evil.example", "/\t/evil.example", "/\r\nSet-Cookie: injected=1", "/\n",
             "/%0d%0aX: 1", "https://evil.example/", "javascript:alert(1)", "/\x00", "/é?q=ب", "/ /evil.example"]


def next_url(*plausible):
    """A `next=` address: plausible, a known trap, or a path with anything after its slash."""
    return st.one_of(st.sampled_from(plausible), st.sampled_from(REDIRECTS),
                     hostile.map(lambda text: "/" + text), hostile, st.none())


def path(segment) -> str:
    return quote(segment, safe="")


@pytest.fixture
def world(app, create_session, create_registration, create_user, create_trainee, create_expert, mark_all):
    from centre.certificates.delivery import email_certificate
    from centre.certificates.services import issue_certificate
    from centre.jobs.services import record_job
    from centre.models import Certificate, DocumentLanguage, JobStatus, MailStatus
    from centre.evaluation import answering, questionnaires, templates
    from centre.sessions.services import change_status

    with app.app_context():
        coordinator = create_user(Role.COORDINATOR)
        open_session = create_session(SessionStatus.OPEN, code="2026-07")
        pending = create_registration(open_session, status=RegistrationStatus.PENDING)
        create_registration(open_session, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
        in_review = create_session(SessionStatus.IN_REVIEW)
        draft = create_session(SessionStatus.DRAFT)
        experts = [create_expert(national=True), create_expert(national=False)]
        running = create_session(SessionStatus.IN_PROGRESS)
        attending = [create_registration(running) for _ in range(2)]
        mark_all(attending[0], present=3)
        done = create_session(SessionStatus.IN_PROGRESS)
        eligible = [create_registration(done, trainee=create_trainee(user=create_user(Role.TRAINEE)))
                    for _ in range(2)]
        for registration in eligible:
            mark_all(registration, present=10, rest=MarkStatus.PRESENT)
        change_status(done, SessionStatus.COMPLETED)  # sends the end-of-session questionnaire
        end_of_session = next(q for q in questionnaires.session_questionnaires(done) if q.purpose == "end_of_session")
        answer_link = answering.token(end_of_session.invitations[0])
        answer_fields = {item.field: {"rating": "4", "text": "Bien"}.get(item.question.kind.value, "0")
                         for item in answering.items(end_of_session, "fr")}
        template = templates.new_version(templates.latest_template(end_of_session.purpose), coordinator)
        issue_certificate(eligible[1], DocumentLanguage.FR, coordinator)
        admin = create_user(Role.ADMIN)
        focal = create_user(Role.FOCAL_POINT)
        db.session.add(FocalPoint(user=focal, institution=pending.trainee.institution))
        # Background work: a mail that failed (as after its last retry) and a job still queued.
        failed_mail = email_certificate(db.session.scalars(sa.select(Certificate)).one(), coordinator)
        waiting_job = record_job("mail.send", None, mail_id=failed_mail.id)  # recorded, never sent
        db.session.commit()
        db.session.execute(sa.update(OutboxMail).where(OutboxMail.id == failed_mail.id)
                           .values(status=MailStatus.FAILED, last_error="550 test"))
        db.session.execute(sa.update(Job).where(Job.id == waiting_job.id).values(status=JobStatus.QUEUED))
        db.session.commit()
        return {
            "admin": admin.email, "focal_point": focal.email, "coordinator_id": coordinator.id, "completed": done.id,
            "failed_mail": failed_mail.id, "queued_job": waiting_job.id,
            "coordinator": coordinator.email, "open_code": open_session.code, "open_id": open_session.id,
            "pending": pending.id, "draft": draft.id, "review_session": in_review.id, "experts": [e.id for e in experts],
            "grid_session": running.id, "cells": [f"mark-{r.id}-{s.id}" for r in attending for s in running.slots],
            "foreign_cells": [f"mark-{eligible[0].id}-{s.id}" for s in done.slots[:2]],
            "eligible": eligible[0].id, "issued": eligible[1].id, "other_registrations": [r.id for r in attending],
            "answer_link": answer_link, "answer_fields": answer_fields, "template": template.id,
            "end_of_session": end_of_session.id,
        }


def snapshot(engine) -> dict[str, dict]:
    """Every row of every table but the logs, by primary key."""
    metadata = db.metadata
    with engine.connect() as connection:
        result = {}
        for table in metadata.sorted_tables:
            if table.name in LOGS:
                continue
            keys = list(table.primary_key.columns)
            result[table.name] = {tuple(row._mapping[k.name] for k in keys): row._asdict()
                                  for row in connection.execute(sa.select(table))}
        return result


def changes(before, after, may_change) -> list[str]:
    """Rows lost, and columns changed that the form may not change (new rows are fine)."""
    problems = []
    for table, rows in before.items():
        for key, row in rows.items():
            if key not in after[table]:
                problems.append(f"{table} {key} lost")
                continue
            changed = {c for c in row if row[c] != after[table][key][c]}
            allowed_columns, row_filter = may_change.get(table, (set(), None))
            if changed - allowed_columns or (changed and row_filter and not row_filter(row)):
                problems.append(f"{table} {key} changed: {sorted(changed)}")
    return problems


def test_no_form_answers_500_or_loses_what_was_stored(app, world, record_property):
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    tried = {}

    def client_for(role):
        client = app.test_client()
        if role in ("coordinator", "admin", "focal_point"):
            token = CSRF_RE.search(client.get("/login").get_data(as_text=True))[1]
            response = client.post("/login", data={"csrf_token": token, "email": world[role],
                                                   "password": PASSWORD})
            assert response.status_code == 302
        return client

    coordinator, admin, focal = client_for("coordinator"), client_for("admin"), client_for("focal_point")

    def check(name, client, url, data, may_change=None, **kwargs):
        tried[name] = tried.get(name, 0) + 1
        token = CSRF_RE.search(client.get("/login").get_data(as_text=True))[1]
        before = snapshot(engine)
        response = client.post(url, data={"csrf_token": token, **data}, **kwargs)
        assert response.status_code < 500, (name, url, data, response.get_data(as_text=True)[:300])
        if response.status_code >= 400:
            assert response.status_code in (400, 403, 404, 405, 409, 410, 413, 429), (name, response.status_code)
        problems = changes(before, snapshot(engine), may_change or {})
        assert not problems, (name, url, data, response.status_code, problems)
        if response.status_code == 302 and response.headers["Location"].startswith("/sessions/"):
            # What was saved must show: a session dated 0001-01-01 was saved, then its page answered 500.
            shown = client.get(response.headers["Location"])
            assert shown.status_code < 500, (name, url, data, response.headers["Location"])
            shown.close()
        response.close()

    ips = [f"198.51.100.{n}" for n in range(1, 20)]
    codes = itertools.count(1)

    @FUZZ
    @given(mutated({"email": world["coordinator"], "password": PASSWORD, "remember": "y"}),
           next_url("/sessions/", "/dashboard"), st.sampled_from(ips))
    def login(data, next_value, ip):
        url = "/login" + ("?" + urlencode({"next": next_value}) if next_value is not None else "")
        check("login", app.test_client(), url, data, {"user": ({"last_login_at"}, None)},
              environ_base={"REMOTE_ADDR": ip})

    @FUZZ
    @given(mutated({"code": "2026-99", "kind": "collective", "title_fr": "Médiation", "title_ar": "الوساطة",
                    "title_en": "Mediation", "theme_fr": "Thème", "theme_ar": "", "theme_en": "",
                    "venue_fr": "Rabat", "venue_ar": "الرباط", "venue_en": "Rabat", "start_on": "2026-09-07",
                    "end_on": "2026-09-11", "capacity": "20", "institution_quota": "2",
                    "registration_deadline": "2026-08-31", "languages": "fr", "attendance_threshold": "80",
                    "excused_left_out": "y"}),
           session_dates, st.one_of(st.none(), any_date))
    def session_create(data, dates, deadline):
        # A code of its own each time (replays too), so that the dates decide (a taken code is refused first).
        code = f"F-{next(codes)}" if data.get("code") == "2026-99" else data.get("code")
        data = {**data, **dates, "code": code, **({"registration_deadline": deadline} if deadline else {})}
        check("session creation", coordinator, "/sessions/new", {k: v for k, v in data.items() if v is not None})

    @FUZZ
    @given(mutated({"code": "2027-01", "start_on": "2027-01-04"}), any_date,
           segment(str(world["completed"]), str(world["draft"]), "0"))
    def session_clone(data, start_on, session_id):
        data = {**data, "start_on": start_on if "start_on" in data else None,
                "code": f"C-{next(codes)}" if data.get("code") == "2027-01" else data.get("code")}
        check("session clone", coordinator, f"/sessions/{path(session_id)}/duplicate",
              {k: v for k, v in data.items() if v is not None})

    @FUZZ
    @given(st.one_of(st.dates().map(lambda d: d.strftime("%Y-%m")), st.integers().map(lambda n: f"{n}-12"), hostile))
    def calendar(month):
        tried["calendar month"] = tried.get("calendar month", 0) + 1
        response = coordinator.get("/sessions/calendar?" + urlencode({"month": month}))
        assert response.status_code in (200, 400), (month, response.status_code)

    @FUZZ
    @given(mutated({"expert_id": str(world["experts"][0]), "score_relevance": "4", "score_methodology": "3",
                    "score_audience": "5", "recommendation": Recommendation.APPROVE.value, "comments": "Bien."}),
           segment(str(world["review_session"]), str(world["grid_session"]), "0"))
    def review_record(data, session_id):
        check("review record", coordinator, f"/reviews/session/{path(session_id)}/record", data)

    @FUZZ
    @given(mutated({"given_name": "Awa", "family_name": "Ndiaye", "full_name_ar": "عوا نجاي", "gender": "female",
                    "nationality": "SN", "institution_id": "0", "institution_other": "Médiateur du Faso",
                    "position": "Juriste", "email": "awa.ndiaye@example.sn", "phone": "+221 33 000 00 00",
                    "passport_number": "A1234567", "passport_expires_on": "2030-01-01",
                    "certificate_language": "fr", "password": "long-password", "password_again": "long-password",
                    "consent": "y", "arrival_on": "2026-03-01", "departure_on": "2026-03-07",
                    "needs_visa_letter": "y"}),
           segment(world["open_code"]))
    def register(data, code):
        check("registration", app.test_client(), f"/catalogue/{path(code)}/register", data)

    open_sessions = (world["open_id"],)

    @FUZZ
    @given(mutated({"reason": "Complet."}),
           segment(RegistrationStatus.WAITLISTED.value, *(s.value for s in RegistrationStatus)),
           segment(str(world["pending"]), "999999", "0"))
    def decide(data, decision, registration_id):
        check("decision", coordinator, f"/registrations/{path(registration_id)}/decide/{path(decision)}", data,
              {"registration": ({"status", "decided_at", "decided_by_id", "decision_reason", "waitlist_position"},
                                lambda row: row["session_id"] in open_sessions)})

    @FUZZ
    @given(mutated({"reason": "Report demandé.", "override_reason": ""}),
           segment(SessionStatus.IN_REVIEW.value, *(s.value for s in SessionStatus)),
           segment(str(world["draft"]), str(world["review_session"])))
    def transition(data, target, session_id):
        check("session status", coordinator, f"/sessions/{path(session_id)}/status/{path(target)}", data,
              # Either session may legitimately move (e.g. cancelled with a valid reason).
              {"training_session": ({"status"}, lambda row: row["id"] in (world["draft"], world["review_session"]))})

    @FUZZ
    @given(mutated({"reason": ""}), segment(str(world["pending"]), str(world["eligible"]), "0"))
    def cancel(data, registration_id):
        check("cancellation", coordinator, f"/registrations/{path(registration_id)}/cancel", data,
              {"registration": ({"status", "cancelled_at", "waitlist_position", "decided_at", "decided_by_id"},
                                lambda row: row["session_id"] in open_sessions)})

    @FUZZ
    @given(segment("fr", "ar", "en", "de"), segment(str(world["eligible"]), str(world["pending"]), "0"))
    def letter_language(language, registration_id):
        check("letter regeneration", coordinator, f"/registrations/{path(registration_id)}/letter/regenerate",
              {f"letter{registration_id}-language": language})

    grid_registrations = set(world["other_registrations"])
    cells = world["cells"]

    @FUZZ
    @given(mutated({cell: MarkStatus.PRESENT.value for cell in cells[:3]},
                   extra_names=[*cells[3:5], *world["foreign_cells"], "mark-99999999999999999999-1",
                                "mark--1-2", "mark-1", "mark-0-0", "mark-\x00-1"]),
           st.sampled_from([s.value for s in MarkStatus]))
    def attendance(data, status):
        data = {name: status if text == MarkStatus.PRESENT.value else text for name, text in data.items()}
        check("attendance grid", coordinator, f"/attendance/session/{world['grid_session']}", data,
              {"attendance_mark": ({"status", "recorded_at", "recorded_by_id"},
                                   lambda row: row["registration_id"] in grid_registrations)})

    @FUZZ
    @given(segment("bilingual", "fr", "ar"), segment(str(world["eligible"]), str(world["issued"]), "0"),
           st.booleans())
    def issue(language, registration_id, right_prefix):
        field = f"r{registration_id}-language" if right_prefix else "language"
        check("certificate issue", coordinator, f"/certificates/registration/{path(registration_id)}/issue",
              {field: language}, {"certificate_sequence": ({"last_value"}, None)})

    @FUZZ
    @given(segment("en", "fr", "ar"), next_url("/catalogue", "/sessions/"))
    def language(code, next_value):
        data = {} if next_value is None else {"next": next_value}
        check("language switch", coordinator, f"/language/{path(code)}", data, {"user": ({"locale"}, None)})

    @FUZZ
    @given(segment("", "fr", "ar", "bilingual"), segment("y", "", "n"),
           segment(str(world["completed"]), str(world["grid_session"]), "0"))
    def bulk_issue(language, email, session_id):
        check("bulk issue", coordinator, f"/certificates/session/{path(session_id)}/issue-all",
              {"language": language, "email": email}, {"certificate_sequence": ({"last_value"}, None)},
              headers={"Accept": "application/json"})

    everything = {c.name for c in Job.__table__.columns}

    @FUZZ
    @given(segment(str(world["queued_job"]), "0", "99999999999999999999"), st.sampled_from([admin, coordinator]))
    def job_cancel(job_id, client):
        check("job cancellation", client, f"/admin/jobs/{path(job_id)}/cancel", {},
              {"job": ({"status", "finished_at"}, None)})

    @FUZZ
    @given(segment(str(world["failed_mail"]), "0", "-1"), next_url("failed", "sent"))
    def mail_resend(mail_id, status):
        url = f"/admin/jobs/mails/{path(mail_id)}/resend" + ("" if status is None else "?" + urlencode({"status": status}))
        check("mail resend", coordinator, url, {}, {"outbox_mail": ({c.name for c in OutboxMail.__table__.columns},
                                                                    None), "job": (everything, None)})

    @FUZZ
    @given(mutated({"kind": "mail.send", "status": "failed", "date_from": "2026-01-01", "date_to": "2026-12-31",
                    "page": "1"}), st.sampled_from(["/admin/jobs/", "/admin/jobs/mails/"]))
    def job_filters(query, page):
        tried["job filters"] = tried.get("job filters", 0) + 1
        response = coordinator.get(page + "?" + urlencode(query))
        assert response.status_code in (200, 400, 404), (page, query, response.status_code)

    @FUZZ
    @given(mutated({"session_id": str(world["open_id"]), "given_name": "Awa", "family_name": "Sarr",
                    "full_name_ar": "عوا سار", "gender": "female", "nationality": "SN", "position": "Juriste",
                    "email": "awa.sarr@example.sn", "phone": "+221 33 000 00 00", "passport_number": "A1234567"}))
    def nominate(data):
        check("nomination", focal, "/partner/nominate", data)

    soon = date.today() + timedelta(days=30)

    @FUZZ
    @given(mutated({"kind": "expert_mission", "subject": "Plaintes", "objectives": "Une plateforme.",
                    "expertise_wanted": "Plaintes", "staff_count": "12", "staff_profile": "Juristes",
                    "preferred_from": soon.isoformat(), "preferred_to": (soon + timedelta(days=5)).isoformat(),
                    "languages": "fr"}))
    def assistance_request(data):
        check("assistance request", focal, "/assistance/new", data)

    @FUZZ
    @given(mutated({"given_name": "Aminata", "family_name": "Diallo", "full_name_ar": "أميناتا ديالو",
                    "passport_number": "A 1234567", "institution_id": "0", "institution_other": "Médiateur"}),
           segment(str(world["pending"]), str(world["issued"]), "0", "999999"))
    def correction(data, registration_id):
        check("trainee correction", coordinator, f"/registrations/{path(registration_id)}/correct", data,
              {"trainee": ({"given_name", "family_name", "full_name_ar", "passport_number", "institution_id",
                            "institution_other"}, None), "user": ({"full_name"}, None)})

    @FUZZ
    @given(mutated({"full_name": "Salma Idrissi", "email": "salma@centre.example", "role": "coordinator",
                    "language": "ar"}))
    def account_create(data):
        check("account creation", admin, "/admin/users/new", data)

    @FUZZ
    @given(mutated({"who": "coord", "action": "decide", "record": "registration", "record_id": "1",
                    "from": "2026-01-01", "to": "2026-12-31", "page": "2"}))
    def audit_filters(query):
        tried["audit log filters"] = tried.get("audit log filters", 0) + 1
        response = admin.get("/admin/audit/?" + urlencode(query))
        assert response.status_code in (200, 400), (query, response.status_code)

    @FUZZ
    @given(mutated({"q": "coord", "role": "coordinator", "state": "active", "page": "1"}))
    def account_filters(query):
        tried["account filters"] = tried.get("account filters", 0) + 1
        response = admin.get("/admin/users/?" + urlencode(query))
        assert response.status_code in (200, 400), (query, response.status_code)

    # Last: it may give the coordinator the administrator's role (the admin keeps theirs).
    @FUZZ
    @given(mutated({"role": "admin"}), segment(str(world["coordinator_id"]), "0", "-1"))
    def account_role(data, user_id):
        check("account role", admin, f"/admin/users/{path(user_id)}/role", data, {"user": ({"role"}, None)})


    link = world["answer_link"]

    @FUZZ
    @given(mutated({**world["answer_fields"], "action": "submit"}),
           segment(link, link[:-1] + "0", "1.00000000000000000000000000000000", link.replace(".", "")))
    def questionnaire_answer(data, token):
        # Answered once for good (then refused as used): a response and its answers are new rows;
        # its invitation is marked used and the questionnaire counts it.
        check("questionnaire answer", app.test_client(), f"/evaluation/q/{path(token)}", data,
              {"questionnaire_invitation": ({"is_used"}, None), "questionnaire": ({"responses_count"}, None)})

    @FUZZ
    @given(mutated({"kind": "single", "target": "general", "text_fr": "Question", "text_ar": "سؤال",
                    "text_en": "Question", "is_required": "y", "scale_max": "5",
                    "choices": "Oui | نعم | Yes\nNon | لا | No"}),
           segment(str(world["template"]), "0", "999999"))
    def question_add(data, template_id):
        check("question", coordinator, f"/evaluation/templates/{path(template_id)}", data)

    try:
        for prop in (nominate, assistance_request, login, session_create, session_clone, calendar, review_record,
                     register, decide, transition, cancel, letter_language, attendance, issue, language, bulk_issue,
                     job_cancel, mail_resend, job_filters, correction, account_create, audit_filters, account_filters,
                     questionnaire_answer, question_add, account_role):
            prop()
    finally:
        engine.dispose()
        record_property("summary", f"bad input [{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}]: "
                                f"{sum(tried.values())} generated posts ("
                                + ", ".join(f"{name} {n}" for name, n in tried.items()) + ")")
