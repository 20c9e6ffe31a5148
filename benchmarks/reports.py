"""The dashboard on ten years of activity, against one year.

Seeds (with bulk inserts, not timed) completed sessions — by default 100 a year with 30
registrations each (25 accepted), 10 slots and a mark per accepted trainee and slot — first for
this year alone, then for the YEARS - 1 years before (in all about 1 000 sessions, 30 000
registrations and 250 000 marks). Times the reports service and the dashboard page, and counts
their queries:
1. this year's dashboard (the default page) with one year of data, then with YEARS years;
2. on YEARS years of data, a period of one year against a period of YEARS years.

    .venv/bin/python benchmarks/reports.py [--years 10] [--sessions 100] [--repeat 3]

Runs against a scratch SQLite database (or DATABASE_URL if set, which must be empty), brought
to head by the migrations. Prints the times, the ratio span / one year, and the query counts.
"""
import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COUNTRIES = ["MA", "SN", "TN", "DZ", "MR", "CI", "BF", "ML", "NE", "TD", "CM", "GA", "BJ", "TG", "GN", "CD",
             "EG", "JO", "LB", "PS", "QA", "FR", "BE", "ES", "PT", "IT", "GR", "RO", "CA", "HT", "BR", "TR"]
MARKS = ["present"] * 8 + ["late", "excused", "absent"]


def seed(first_year: int, last_year: int, per_year: int) -> None:
    """Completed sessions from first_year to last_year; partners, experts and trainees the first time."""
    import sqlalchemy as sa

    from centre.extensions import db
    from centre.models import (Association, AttendanceMark, Expert, Institution, Registration, Review, Slot,
                               Trainee, Trainer, TrainingSession, institution_association)

    rng = random.Random(first_year)
    now = datetime.now(timezone.utc)
    run = lambda table, rows: db.session.execute(sa.insert(table), rows) if rows else None  # noqa: E731
    last_id = lambda column: db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(column), 0)))  # noqa: E731
    session_id, slot_id, registration_id = last_id(TrainingSession.id), last_id(Slot.id), last_id(Registration.id)
    if session_id:
        return _sessions(run, rng, now, first_year, last_year, per_year, session_id, slot_id, registration_id)
    run(Association, [{"id": i, "code": code, "name_fr": code, "name_ar": "", "name_en": code}
                      for i, code in enumerate(("AOM", "AOMF", "ARAB"), 1)])
    run(Institution, [{"id": i, "name_fr": f"Institution {i}", "name_ar": "", "name_en": "", "country": COUNTRIES[i % len(COUNTRIES)],
                       "kind": "ombudsman"} for i in range(1, 61)])
    db.session.execute(sa.insert(institution_association), [
        {"institution_id": i, "association_id": a} for i in range(1, 61) for a in (1, 2, 3) if (i + a) % 2])
    run(Expert, [{"id": i, "given_name": "Expert", "family_name": f"N{i}", "full_name_ar": "", "nationality": rng.choice(COUNTRIES),
                  "speciality": ""} for i in range(1, 101)])
    run(Trainee, [{"id": i, "given_name": "T", "family_name": f"N{i}", "full_name_ar": "", "gender": rng.choice(("female", "male")),
                   "nationality": rng.choice(COUNTRIES), "institution_id": rng.randint(1, 60), "institution_other": "",
                   "position": "", "email": f"t{i}@example.org", "phone": "", "certificate_language": "fr",
                   "created_at": now} for i in range(1, 3001)])
    return _sessions(run, rng, now, first_year, last_year, per_year, 0, 0, 0)


def _sessions(run, rng, now, first_year, last_year, per_year, session_id, slot_id, registration_id):
    from centre.extensions import db
    from centre.models import AttendanceMark, Registration, Review, Slot, Trainer, TrainingSession

    for year in range(first_year, last_year + 1):
        sessions, slots, trainers, reviews, registrations, marks = [], [], [], [], [], []
        for n in range(per_year):
            session_id += 1
            start = date(year, 1, 5) + timedelta(days=3 * n)
            sessions.append({"id": session_id, "code": f"B{session_id}", "title_fr": "Session", "title_ar": "", "title_en": "",
                             "theme_fr": "", "theme_ar": "", "theme_en": "", "programme_fr": "", "programme_ar": "",
                             "programme_en": "", "kind": rng.choice(("collective", "collective", "immersion", "expert_mission")),
                             "venue_fr": "Rabat", "venue_ar": "", "venue_en": "", "start_on": start,
                             "end_on": start + timedelta(days=4), "capacity": 30, "languages": "fr",
                             "attendance_threshold": 80, "excused_left_out": bool(n % 3 == 0), "status": "completed",
                             "created_at": now})
            session_slots = []
            for day in range(5):
                for part, hour in (("morning", 9), ("afternoon", 14)):
                    slot_id += 1
                    starts = datetime(start.year, start.month, start.day, hour, tzinfo=timezone.utc) + timedelta(days=day)
                    slots.append({"id": slot_id, "session_id": session_id, "part": part, "starts_at": starts,
                                  "ends_at": starts + timedelta(hours=3)})
                    session_slots.append(slot_id)
            experts = rng.sample(range(1, 101), 4)
            trainers += [{"session_id": session_id, "expert_id": e, "days": 2} for e in experts[:2]]
            reviews += [{"session_id": session_id, "expert_id": e, "assigned_at": now, "has_conflict": False,
                         "conflict_note": "", "comments": "", "recommendation": "approve", "submitted_at": now}
                        for e in experts[2:]]
            for i, trainee_id in enumerate(rng.sample(range(1, 3001), 30)):
                registration_id += 1
                accepted = i < 25
                registrations.append({"id": registration_id, "trainee_id": trainee_id, "session_id": session_id,
                                      "status": "accepted" if accepted else rng.choice(("rejected", "waitlisted", "cancelled")),
                                      "submitted_at": now, "decision_reason": "", "needs_visa_letter": False})
                if accepted:
                    marks += [{"registration_id": registration_id, "slot_id": s, "status": rng.choice(MARKS), "note": "",
                               "recorded_at": now} for s in session_slots]
        run(TrainingSession, sessions)
        run(Slot, slots)
        run(Trainer, trainers)
        run(Review, reviews)
        run(Registration, registrations)
        run(AttendanceMark, marks)
    db.session.commit()


def timed(action, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--sessions", type=int, default=100, help="sessions a year")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import flask_migrate
    from sqlalchemy import event

    from centre import create_app
    from centre.extensions import db
    from centre.models import Role, User
    from centre.reports import services

    folder = tempfile.mkdtemp(prefix="centre-reports-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False)
    last_year = date.today().year
    with app.app_context():
        flask_migrate.upgrade()
        user = User(email="bench@example.org", role=Role.COORDINATOR, full_name="Bench")
        user.set_password("bench-password")
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.org", "password": "bench-password"})
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def measure(label, period):
        with app.app_context():
            statements.clear()
            services.activity_report(period, language="fr")
            queries = len(statements)
            service = timed(lambda: (services.activity_report(period, language="fr"), db.session.rollback()), args.repeat)
        query = {"from": period.start.isoformat(), "to": period.end.isoformat()}
        statements.clear()
        assert client.get("/reports/", query_string=query).status_code == 200
        page_queries = len(statements)
        page = timed(lambda: client.get("/reports/", query_string=query), args.repeat)
        print(f"{label:<34} service {service * 1000:7.1f} ms ({queries} queries), "
              f"page {page * 1000:7.1f} ms ({page_queries} queries)")
        return service, page

    def seeded(first, last):
        with app.app_context():
            started = time.perf_counter()
            seed(first, last, args.sessions)
            print(f"seeded {first}–{last}, {args.sessions} sessions a year, in {time.perf_counter() - started:.1f} s")

    last_year = date.today().year
    this_year = services.Period(date(last_year, 1, 1), date(last_year, 12, 31))
    span = services.Period(date(last_year - args.years + 1, 1, 1), date(last_year, 12, 31))
    seeded(last_year, last_year)
    small = measure("this year, 1 year of data", this_year)
    seeded(last_year - args.years + 1, last_year - 1)
    large = measure(f"this year, {args.years} years of data", this_year)
    whole = measure(f"{args.years} years, {args.years} years of data", span)
    print(f"ratio {args.years} years of data / 1 year, this year's dashboard: "
          f"service {large[0] / small[0]:.2f}, page {large[1] / small[1]:.2f}")
    print(f"ratio a period of {args.years} years / 1 year, on {args.years} years of data: "
          f"service {whole[0] / large[0]:.2f}, page {whole[1] / large[1]:.2f}")


if __name__ == "__main__":
    main()
