"""Load test: a burst of public registrations to one session while coordinators decide them.

Run from the repository root (about a minute on a 2-core machine; needs root for the
throw-away PostgreSQL, whose server binaries come from Debian's `postgresql` package):

    .venv/bin/python benchmarks/load.py                      # N=300 visitors, K=20 clients, M=2 coordinators
    .venv/bin/python benchmarks/load.py -n 100 -k 10 -m 1 --capacity 20 --workers 2 --bulk
    .venv/bin/python benchmarks/load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/scratch

What it does, contacting nothing but 127.0.0.1:
1. starts a throw-away PostgreSQL (initdb through `runuser -u postgres`, a temporary data
   directory, a free port; stopped and removed at exit), unless --database-url names an
   existing, empty database; runs `flask --app wsgi db upgrade` against it;
2. then once per mail mode (--mail: "inline", then "outbox" by default), against a fresh session:
   creates, through the app's services, one open session of capacity C and a coordinator; starts
   gunicorn (gunicorn.conf.py, CENTRE_ENV=production, a generated SECRET_KEY, mail written to a
   temporary folder) on a free port — with the outbox, a jobs worker beside it
   (python -m centre.jobs.worker) that sends the mails; inline, each mail is delivered by the
   request that causes it once its transaction commits, as before the outbox — and waits for /healthz;
3. baseline: K concurrent clients GET /healthz a fixed number of times;
4. burst: K concurrent clients play N new visitors (GET the form, POST it with unique data, and
   follow the confirmation link of the e-mail written to the mail folder once it is there —
   meanwhile the client plays the next visitor) while M coordinators, each signed in once, read
   the queue of pending registrations and accept them (one POST each, or --bulk) and, once the
   session is full, put the confirmed rest on the waiting list; everything stops by itself at
   --deadline seconds;
5. prints, per mode, throughput and latency percentiles; the password hash time (median of 7
   hashes with the app's own hasher, measured in this process before gunicorn starts) and the
   burst's registrations/s against the floor `cores / hash time` (the rate if the cores did
   nothing but hash); the errors, and the counts read from the database; then the outbox's
   registrations/s against the inline mode's. The exit code is 1 on any error (5xx, connection
   error, unexpected status, a mail that never came), overbooking, or a registration lost or
   duplicated.

Gunicorn's JSON log is kept in the temporary folder only while the run lasts; pass --keep to
keep the folder (its path is printed).
"""
from __future__ import annotations

import argparse
import atexit
import collections
import email
import email.policy
import http.client
import http.cookies
import itertools
import math
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

# ---------------------------------------------------------------------------------------------
# Pure helpers (tests/test_load_benchmark.py imports these)


def percentile(values, p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation between closest ranks; nan if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(latencies, elapsed: float) -> dict:
    """Count, requests per second and latency percentiles (in milliseconds) of one phase."""
    ms = [x * 1000 for x in latencies]
    return {
        "count": len(ms),
        "rps": len(ms) / elapsed if elapsed > 0 else math.nan,
        "p50": percentile(ms, 50),
        "p90": percentile(ms, 90),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else math.nan,
    }


def format_summary(name: str, summary: dict) -> str:
    return (f"{name:<22} {summary['count']:>6} req {summary['rps']:>8.1f} req/s   "
            f"p50 {summary['p50']:>7.1f}  p90 {summary['p90']:>7.1f}  p99 {summary['p99']:>7.1f}  "
            f"max {summary['max']:>7.1f} ms")


def check_final(counts: dict, *, submitted: int, capacity: int) -> list[str]:
    """What is wrong with the final counts: lost or duplicated registrations, overbooking.

    `counts`: registrations (rows for the session), trainees (of this run), accepted, waitlisted,
    pending, rejected, cancelled, duplicates (trainees holding more than one registration).
    `submitted`: registration forms the server acknowledged (a redirect after the POST).
    """
    problems = []
    if counts["registrations"] < submitted:
        problems.append(f"lost registrations: {submitted} acknowledged, {counts['registrations']} in the database")
    if counts["registrations"] > submitted:
        problems.append(f"unexpected registrations: {submitted} acknowledged, "
                        f"{counts['registrations']} in the database")
    if counts["duplicates"]:
        problems.append(f"{counts['duplicates']} trainees hold more than one registration")
    if counts["trainees"] != counts["registrations"]:
        problems.append(f"{counts['trainees']} trainee accounts for {counts['registrations']} registrations")
    if counts["accepted"] > capacity:
        problems.append(f"overbooking: {counts['accepted']} accepted for {capacity} places")
    by_status = sum(counts[s] for s in ("accepted", "waitlisted", "pending", "rejected", "cancelled"))
    if by_status != counts["registrations"]:
        problems.append(f"statuses add up to {by_status}, not {counts['registrations']}")
    return problems


def hash_floor(cores: int, hash_seconds: float) -> float:
    """Registrations/s if the cores did nothing but one password hash per registration."""
    return cores / hash_seconds if hash_seconds > 0 else math.nan


def format_hash_floor(registrations_per_s: float, cores: int, hash_seconds: float) -> str:
    floor = hash_floor(cores, hash_seconds)
    return (f"hash floor: {cores} cores / {hash_seconds * 1000:.1f} ms = {floor:.1f} registrations/s; "
            f"measured {registrations_per_s:.1f} registrations/s = {registrations_per_s / floor:.2f}× the floor "
            f"(target ≥ 0.8×)")


GIVEN = ["Amina", "Youssef", "Fatima", "Omar", "Salma", "Karim", "Leïla", "Mamadou", "Aïcha", "Jean-Luc",
         "Nadia", "Hassan", "Mariam", "Ibrahima", "Sofia", "Tarik", "Khadija", "Moussa", "Inès", "Rachid"]
FAMILY = ["Benali", "El Idrissi", "Diallo", "Haddad", "Traoré", "Mansouri", "Ben Salem", "Ndiaye",
          "O'Brien", "Chraibi", "Kouassi", "Al-Amin", "Bouzid", "Sow", "Fassi Fihri", "Cissé"]
ARABIC = ["أمينة بنعلي", "يوسف الإدريسي", "فاطمة حداد", "عمر المنصوري", "سلمى بن سالم", "كريم الشرايبي"]
COUNTRIES = ["MA", "TN", "SN", "FR", "EG", "CI", "ML", "BF", "DZ", "JO"]
POSITIONS = ["Chargée d'études", "Médiateur délégué", "Juriste", "Chef de service des plaintes",
             "Conseiller", "Analyste"]


def visitor_form(n: int, run: str, institution_ids: list[int], csrf_token: str) -> dict:
    """The registration form of visitor n: unique e-mail and passport, plausible everything else."""
    given, family = GIVEN[n % len(GIVEN)], FAMILY[(n // len(GIVEN)) % len(FAMILY)]
    country = COUNTRIES[n % len(COUNTRIES)]
    slug = re.sub(r"[^a-z]", "", given.lower().encode("ascii", "ignore").decode())
    form = {
        "csrf_token": csrf_token,
        "given_name": given,
        "family_name": family,
        "full_name_ar": ARABIC[n % len(ARABIC)] if n % 3 == 0 else "",
        "gender": "female" if n % 2 == 0 else "male",
        "nationality": country,
        "position": POSITIONS[n % len(POSITIONS)],
        "email": f"{slug}.{n}.{run}@load.example.org",
        "phone": f"+212 6{n:08d}",
        "passport_number": f"LD{run[:4].upper()}{n:06d}",
        "passport_expires_on": "2031-06-30",
        "certificate_language": "fr",
        "password": f"load-test-{run}-{n}",
        "password_again": f"load-test-{run}-{n}",
        "consent": "y",
        "arrival_on": "2031-03-01",
        "departure_on": "2031-03-08",
    }
    if institution_ids and n % 4:
        form["institution_id"] = str(institution_ids[n % len(institution_ids)])
    else:
        form["institution_id"] = "0"
        form["institution_other"] = f"Bureau régional des plaintes no {n % 17}"
    if n % 5 == 0:
        form["needs_visa_letter"] = "y"
    return form


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ACCEPT_RE = re.compile(r'action="/registrations/(\d+)/decide/accepted"')
PLACES_RE = re.compile(r"Places left: (\d+) of (\d+)")


def csrf_token(html: str) -> str | None:
    match = CSRF_RE.search(html)
    return match.group(1) if match else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# HTTP: one client = one visitor's (or coordinator's) cookies; a connection per request
# (gunicorn's sync workers close it after each answer). Cookies are kept by hand: production
# marks them Secure, which a cookie jar would not send over the plain HTTP of 127.0.0.1.


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []

    def record(self, kind: str, seconds: float):
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def error(self, message: str):
        with self.lock:
            self.errors.append(message)


class Client:
    def __init__(self, port: int, stats: Stats, timeout: float = 30):
        self.port, self.stats, self.timeout = port, stats, timeout
        self.cookies: dict[str, str] = {}

    def request(self, kind: str, method: str, path: str, form: dict | list | None = None,
                expect=(200,)) -> tuple[int | None, dict, str]:
        """One request; its latency goes under `kind`; an unexpected status or a failure is an error."""
        headers = {"Accept-Language": "en", "User-Agent": "centre-load/1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        start = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            self.stats.error(f"{method} {path.split('?')[0]}: {type(error).__name__}: {error}")
            return None, {}, ""
        finally:
            connection.close()
        elapsed = time.perf_counter() - start
        self.stats.record(kind, elapsed)
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.status not in expect:
            self.stats.error(f"{method} {path.split('?')[0]}: status {response.status}, expected {expect}")
        return response.status, dict(response.headers), text


# ---------------------------------------------------------------------------------------------
# The throw-away database, the setup step, the app server


class Cleanup:
    """Things to undo at exit, last first; run once whether by finally, atexit or a signal."""

    def __init__(self):
        self.actions = []
        self.done = False
        atexit.register(self.run)

    def add(self, action):
        self.actions.append(action)

    def run(self):
        if self.done:
            return
        self.done = True
        for action in reversed(self.actions):
            try:
                action()
            except Exception as error:  # noqa: BLE001 - cleaning up: say it and go on
                print(f"cleanup: {error}", file=sys.stderr)


def start_postgres(cleanup: Cleanup, workdir: Path) -> str:
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(x) for x in p.parent.name.split(".")])
    if not bins or not (bins[-1] / "initdb").exists():
        sys.exit("No PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql), "
                 "or pass --database-url.")
    pgbin = bins[-1]
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="centre-load-pg."))  # not under root's home: postgres enters it
    cleanup.add(lambda: shutil.rmtree(data, ignore_errors=True))
    shutil.chown(data, "postgres", "postgres")
    data.chmod(0o700)
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_postgres, str(pgbin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                    "-E", "UTF8", "--locale=C.UTF-8"], check=True, stdout=subprocess.DEVNULL)
    options = (f"-c listen_addresses={HOST} -p {port} -k {data} -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off -c max_connections=100")
    subprocess.run([*as_postgres, str(pgbin / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"),
                    "-w", "-t", "30", "-o", options, "start"], check=True, stdout=subprocess.DEVNULL)
    cleanup.add(lambda: subprocess.run([*as_postgres, str(pgbin / "pg_ctl"), "-D", str(data), "-m", "fast",
                                        "-w", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    subprocess.run([str(pgbin / "createdb"), "-h", HOST, "-p", str(port), "-U", "postgres", "centre"], check=True)
    return f"postgresql+psycopg://postgres@{HOST}:{port}/centre"


def app_environment(database_url: str, secret_key: str, port: int, mail_folder: Path, workers: int) -> dict:
    env = dict(os.environ)
    env.update({
        "CENTRE_ENV": "production",
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "CENTRE_PUBLIC_BASE_URL": f"http://{HOST}:{port}",
        # Every visitor of the burst comes from this one address: no throttle of the mail pages.
        "CENTRE_MAIL_REQUESTS_PER_ADDRESS": "0",
        "CENTRE_BIND": f"{HOST}:{port}",
        "WEB_CONCURRENCY": str(workers),
        "MAIL_SERVER": "",
        "MAIL_FOLDER": str(mail_folder),
        "CENTRE_INSTANCE_DIR": str(mail_folder.parent),
        "CENTRE_QUEUE_URL": f"sqlite:///{mail_folder.parent / 'queue.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def signing_key(workdir: Path) -> dict:
    """A throw-away signing key (production refuses to start without one), as `flask signing dev-key` makes."""
    sys.path.insert(0, str(ROOT))
    from centre.signing import DEV_PASSPHRASE, make_dev_key

    return {"CENTRE_SIGNING_KEY": str(make_dev_key(workdir / "signing.p12").key_path),
            "CENTRE_SIGNING_PASSPHRASE": DEV_PASSPHRASE}


def setup_data(env: dict, capacity: int, run: str) -> dict:
    """One open session and a coordinator, through the services; in this process, then let go."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        sys.path.insert(0, str(ROOT))
        from datetime import date, timedelta

        from centre import create_app
        from centre.auth import passwords
        from centre.auth.services import create_user
        from centre.extensions import db
        from centre.models import Expert, Institution, Recommendation, Role, SessionStatus
        from centre.reviews.services import record_review
        from centre.sessions.services import change_status, create_session

        app = create_app("production")
        with app.app_context():
            hash_seconds = measure_hash(passwords.hash_password)
            hasher = passwords.hasher()
            hash_parameters = (f"Argon2{hasher.type.name.lower()} m={hasher.memory_cost} KiB, t={hasher.time_cost}, "
                               f"p={hasher.parallelism}")
            password = secrets.token_urlsafe(16)
            coordinator = create_user(f"coordinator.{run}@load.example.org", password, Role.COORDINATOR,
                                      full_name="Load Coordinator")
            institutions = [
                Institution(name_fr="Médiateur administratif", name_ar="الموفق الإداري",
                            name_en="Administrative Mediator", country="TN"),
                Institution(name_fr="Médiateur de la République du Sénégal", name_ar="وسيط الجمهورية السنغالية",
                            name_en="Ombudsman of Senegal", country="SN"),
            ]
            experts = [Expert(given_name="Nadia", family_name="Alaoui", full_name_ar="نادية العلوي",
                              nationality="MA", speciality="Médiation"),
                       Expert(given_name="Claire", family_name="Martin", nationality="FR", speciality="Médiation")]
            db.session.add_all([*institutions, *experts])
            start = date.today() + timedelta(days=120)
            start += timedelta(days=(7 - start.weekday()) % 7)  # a Monday
            training_session = create_session(
                coordinator, code=f"LOAD-{run.upper()}", title_fr="Gestion des plaintes (charge)",
                title_ar="تدبير الشكايات", title_en="Complaint handling (load)",
                theme_fr="Le traitement des plaintes.", theme_ar="معالجة الشكايات.",
                venue_fr="Rabat", venue_ar="الرباط", venue_en="Rabat", start_on=start,
                end_on=start + timedelta(days=4), capacity=capacity, registration_deadline=None)
            db.session.flush()
            change_status(training_session, SessionStatus.IN_REVIEW, coordinator)
            for expert in experts:
                record_review(training_session, expert, coordinator, score_relevance=5, score_methodology=4,
                              score_audience=4, recommendation=Recommendation.APPROVE)
            change_status(training_session, SessionStatus.APPROVED, coordinator)
            change_status(training_session, SessionStatus.OPEN, coordinator)
            db.session.commit()
            result = {"session_id": training_session.id, "code": training_session.code,
                      "coordinator": coordinator.email, "password": password,
                      "institution_ids": [i.id for i in institutions],
                      "hash_seconds": hash_seconds, "hash_parameters": hash_parameters}
            db.session.remove()
            db.engine.dispose()
        return result
    finally:
        os.environ.clear()
        os.environ.update(saved)


def measure_hash(hash_password, count: int = 7) -> float:
    """The median time of `count` password hashes with the app's own hasher, in seconds (one
    warm-up first); measured on the idle machine, before gunicorn starts."""
    hash_password("warm-up password")
    times = []
    for n in range(count):
        start = time.perf_counter()
        hash_password(f"load-test-password-{n}")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def final_counts(env: dict, session_id: int, run: str) -> dict:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        import sqlalchemy as sa

        from centre import create_app
        from centre.extensions import db
        from centre.models import Registration, RegistrationStatus, Trainee

        app = create_app("production")
        with app.app_context():
            by_status = dict(db.session.execute(
                sa.select(Registration.status, sa.func.count()).where(Registration.session_id == session_id)
                .group_by(Registration.status)).all())
            per_trainee = (sa.select(Registration.trainee_id).where(Registration.session_id == session_id)
                           .group_by(Registration.trainee_id).having(sa.func.count() > 1).subquery())
            counts = {
                "registrations": sum(by_status.values()),
                "trainees": db.session.scalar(sa.select(sa.func.count(Trainee.id)).where(
                    Trainee.email.like(f"%.{run}@load.example.org"))),
                "duplicates": db.session.scalar(sa.select(sa.func.count()).select_from(per_trainee)),
                "confirmed": db.session.scalar(sa.select(sa.func.count(Trainee.id)).where(
                    Trainee.email.like(f"%.{run}@load.example.org"), Trainee.email_confirmed_at.is_not(None))),
            }
            for status in RegistrationStatus:
                counts[status.value] = by_status.get(status, 0)
            db.session.remove()
            db.engine.dispose()
        return counts
    finally:
        os.environ.clear()
        os.environ.update(saved)


def start_logged(command: list[str], env: dict, log_path: Path, cleanup: Cleanup, grace: float) -> subprocess.Popen:
    """A child process writing to log_path, terminated at cleanup (killed after `grace` seconds)."""
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)

    def stop():
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()

    cleanup.add(stop)
    return process


def start_gunicorn(env: dict, port: int, workdir: Path, cleanup: Cleanup) -> subprocess.Popen:
    process = start_logged([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"], env,
                           workdir / "gunicorn.log", cleanup, grace=15)
    stats = Stats()
    until = time.monotonic() + 60
    while time.monotonic() < until:
        if process.poll() is not None:
            sys.exit(f"gunicorn stopped (exit {process.returncode}); see {workdir / 'gunicorn.log'}")
        status, _, _ = Client(port, stats, timeout=5).request("boot", "GET", "/healthz", expect=(200, 503))
        if status == 200:
            return process
        time.sleep(0.2)
    sys.exit("gunicorn did not answer /healthz within 60 s")


def start_worker(env: dict, workdir: Path, cleanup: Cleanup) -> subprocess.Popen:
    """A jobs worker (python -m centre.jobs.worker) sending the outbox's mails, as in production."""
    process = start_logged([sys.executable, "-m", "centre.jobs.worker", "--no-schedules"], env,
                           workdir / "worker.log", cleanup, grace=30)
    until = time.monotonic() + 60
    while b"Signal handlers set" not in (workdir / "worker.log").read_bytes():
        if process.poll() is not None or time.monotonic() > until:
            sys.exit(f"the jobs worker did not start; see {workdir / 'worker.log'}")
        time.sleep(0.1)
    return process


# ---------------------------------------------------------------------------------------------
# The phases


def run_threads(count: int, target) -> float:
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def baseline(port: int, clients: int, total: int, deadline: float) -> tuple[Stats, float]:
    stats = Stats()
    tickets = itertools.count()

    def work(_):
        client = Client(port, stats)
        while next(tickets) < total and time.monotonic() < deadline:
            client.request("healthz", "GET", "/healthz")

    return stats, run_threads(clients, work)


@dataclass
class Burst:
    port: int
    setup: dict
    run: str
    mail_folder: Path
    visitors: int
    deadline: float
    coordinators: int = 1
    stats: Stats = field(default_factory=Stats)
    acknowledged: int = 0
    attempted: int = 0
    confirmed: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: (n, address, the visitor's client) awaiting their mail
    unconfirmed: collections.deque = field(default_factory=collections.deque)

    def __post_init__(self):
        self.tickets = itertools.count()

    def visitor(self, _):
        """Visitors one after another: the form, the POST; each confirms its address once the
        app's mail is there (at once when mail is sent in the request; through the outbox a worker
        sends it a moment later), meanwhile the next visitor registers. The last ones wait for
        their mail before the thread ends."""
        code = self.setup["code"]
        while time.monotonic() < self.deadline:
            n = next(self.tickets)
            if n >= self.visitors:
                break
            client = Client(self.port, self.stats)
            status, _, page = client.request("form GET", "GET", f"/catalogue/{code}/register")
            token = csrf_token(page) if status == 200 else None
            if not token:
                if status == 200:
                    self.stats.error("registration form without a CSRF token")
                continue
            form = visitor_form(n, self.run, self.setup["institution_ids"], token)
            with self.lock:
                self.attempted += 1
            status, headers, _ = client.request("registration POST", "POST", f"/catalogue/{code}/register",
                                                form=form, expect=(302,))
            if status != 302:
                continue
            with self.lock:
                self.acknowledged += 1
                self.unconfirmed.append((n, form["email"], client))
            self.confirm_next(wait=0)
        while self.confirm_next(wait=30):
            pass

    def confirm_next(self, wait: float) -> bool:
        """Confirm the oldest unconfirmed address if its mail is there (waiting up to `wait` s);
        returns False when there is nothing (more) to do now."""
        with self.lock:
            if not self.unconfirmed:
                return False
            n, address, client = self.unconfirmed.popleft()
        link = self.confirmation_link(address, wait)
        if link is None:
            if wait:
                self.stats.error(f"no confirmation e-mail for visitor {n} within {wait:.0f} s")
            else:
                with self.lock:
                    self.unconfirmed.appendleft((n, address, client))
            return False
        # In the visitor's own browser (its cookies): the password chosen when registering is kept.
        status, _, _ = client.request("confirm GET", "GET", link, expect=(302,))
        if status == 302:
            with self.lock:
                self.confirmed += 1
        return True

    def confirmation_link(self, address: str, wait: float) -> str | None:
        """The path of the link in the e-mail the app wrote for this address, if it is there."""
        pattern = f"*-{address.replace('@', '_at_')}.eml"
        until = time.monotonic() + wait
        while True:
            for path in self.mail_folder.glob(pattern):
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                match = re.search(rf"http://{re.escape(HOST)}:{self.port}(/registrations/confirm/[^\s]+)",
                                  message.get_content())
                if match:
                    return match.group(1)
            if time.monotonic() >= until:
                return None
            time.sleep(0.05)

    def coordinator(self, index: int, bulk: bool):
        client = Client(self.port, self.stats)
        status, _, page = client.request("login", "GET", "/login")
        token = csrf_token(page or "")
        status, _, _ = client.request("login", "POST", "/login", expect=(302,), form={
            "csrf_token": token or "", "email": self.setup["coordinator"], "password": self.setup["password"]})
        if status != 302:
            self.stats.error(f"coordinator {index} could not sign in")
            return
        session_id = self.setup["session_id"]
        queue = f"/registrations/session/{session_id}?status=pending"
        tried: set[int] = set()  # acceptance asked
        waitlisted: set[int] = set()  # waiting list asked
        idle_after_done = 0
        while time.monotonic() < self.deadline:
            status, _, page = client.request("queue GET", "GET", queue)
            if status != 200:
                time.sleep(0.2)
                continue
            token = csrf_token(page)
            places = PLACES_RE.search(page)
            left = int(places.group(1)) if places else 0
            on_page = [int(i) for i in ACCEPT_RE.findall(page)]
            # Once full, an id a refused acceptance left pending may still go onto the waiting list.
            ready = [i for i in on_page if i not in (waitlisted if left == 0 else tried)]
            if not ready:
                if self.done.is_set():
                    idle_after_done += 1
                    if idle_after_done >= 2:  # the burst is over and nothing is left to decide
                        return
                time.sleep(0.1)
                continue
            idle_after_done = 0
            if left == 0:
                # Full: the confirmed rest goes onto the waiting list, in one bulk decision.
                waitlisted.update(ready)
                client.request("decision POST", "POST", f"/registrations/session/{session_id}/decide",
                               expect=(302,), form={"csrf_token": token, "decision": "waitlisted",
                                                    "registration_ids": ready})
                continue
            # Accept as many as the page says there is room for; the other coordinator may race for them.
            chosen = ready[index::self.coordinators][:left] or ready[:left]
            tried.update(chosen)
            if bulk:
                client.request("decision POST", "POST", f"/registrations/session/{session_id}/decide",
                               expect=(302,), form={"csrf_token": token, "decision": "accepted",
                                                    "registration_ids": chosen})
            else:
                for registration_id in chosen:
                    if time.monotonic() >= self.deadline:
                        break
                    client.request("decision POST", "POST", f"/registrations/{registration_id}/decide/accepted",
                                   expect=(302,), form={"csrf_token": token})


#: How the app sends its mail in a phase: "inline" — each mail delivered by the request that causes
#: it, once its transaction commits (CENTRE_QUEUE_IMMEDIATE, as before the outbox); "outbox" — written
#: to the outbox in the request's transaction and sent by a jobs worker (production).
MAIL_MODES = ("inline", "outbox")


def run_phase(args, database_url: str, mode: str, workdir: Path) -> dict:
    """One burst against a fresh session, gunicorn (and a worker for the outbox) started for it."""
    phase_dir = workdir / mode
    phase_dir.mkdir()
    cleanup = Cleanup()
    try:
        run = secrets.token_hex(3)
        port = free_port()
        env = app_environment(database_url, secrets.token_hex(32), port, phase_dir / "mail", args.workers)
        env["CENTRE_QUEUE_IMMEDIATE"] = "1" if mode == "inline" else "0"
        env.update(signing_key(phase_dir))
        setup = setup_data(env, args.capacity, run)
        start_gunicorn(env, port, phase_dir, cleanup)
        if mode == "outbox":
            start_worker(env, phase_dir, cleanup)
        print(f"[{mode}] gunicorn: {args.workers} workers on {HOST}:{port}"
              f"{' and a jobs worker' if mode == 'outbox' else ''}; session {setup['code']} "
              f"(capacity {args.capacity}); {args.registrations} visitors from {args.clients} clients, "
              f"{args.coordinators} coordinators{' (bulk)' if args.bulk else ''}")

        base_stats, base_elapsed = baseline(port, args.clients, args.baseline_requests,
                                            time.monotonic() + args.deadline)
        base = summarize(base_stats.latencies.get("healthz", []), base_elapsed)

        burst = Burst(port, setup, run, phase_dir / "mail", args.registrations, time.monotonic() + args.deadline,
                      max(args.coordinators, 1))
        coordinators = [threading.Thread(target=burst.coordinator, args=(i, args.bulk), daemon=True)
                        for i in range(args.coordinators)]
        started = time.perf_counter()
        for thread in coordinators:
            thread.start()
        visitors_elapsed = run_threads(args.clients, burst.visitor)
        burst.done.set()
        for thread in coordinators:
            thread.join(max(burst.deadline - time.monotonic(), 0) + 35)
        total_elapsed = time.perf_counter() - started
        timed_out = time.monotonic() >= burst.deadline
        counts = final_counts(env, setup["session_id"], run)
    finally:
        cleanup.run()
    return {"mode": mode, "setup": setup, "base": base, "base_stats": base_stats, "burst": burst,
            "visitors_elapsed": visitors_elapsed, "total_elapsed": total_elapsed, "timed_out": timed_out,
            "counts": counts}


def report_phase(args, phase: dict) -> tuple[float, list[str]]:
    """Print one phase's figures; returns its registrations/s and what went wrong."""
    burst, base, setup, counts = phase["burst"], phase["base"], phase["setup"], phase["counts"]
    visitors_elapsed = phase["visitors_elapsed"]
    lat = burst.stats.latencies
    visitor_requests = sum(len(lat.get(k, [])) for k in ("form GET", "registration POST", "confirm GET"))
    visitor_rps = visitor_requests / visitors_elapsed
    registrations_per_s = burst.acknowledged / visitors_elapsed
    print(f"\n[{phase['mode']}] mail {'sent in the request' if phase['mode'] == 'inline' else 'through the outbox'}")
    print(format_summary("baseline /healthz", base))
    for kind in ("form GET", "registration POST", "confirm GET"):
        print(format_summary(kind, summarize(lat.get(kind, []), visitors_elapsed)))
    for kind in ("queue GET", "decision POST"):
        print(format_summary(kind, summarize(lat.get(kind, []), phase["total_elapsed"])))
    print(f"\nvisitors: {burst.acknowledged}/{args.registrations} registered, {burst.confirmed} confirmed, "
          f"in {visitors_elapsed:.1f} s: {registrations_per_s:.1f} registrations/s, "
          f"{visitor_rps:.1f} visitor requests/s")
    print(f"ratio to the baseline: registration POSTs {registrations_per_s / base['rps']:.3f}, "
          f"all visitor requests {visitor_rps / base['rps']:.3f} (baseline {base['rps']:.1f} req/s)")
    print(f"password hash: {setup['hash_seconds'] * 1000:.1f} ms median of 7 ({setup['hash_parameters']}), "
          f"in this process before the run")
    print(format_hash_floor(registrations_per_s, os.cpu_count() or 1, setup["hash_seconds"]))
    print(f"burst with decisions: {phase['total_elapsed']:.1f} s"
          f"{' (stopped at the deadline)' if phase['timed_out'] else ''}")
    errors = phase["base_stats"].errors + burst.stats.errors
    print(f"\nerrors: {len(errors)}")
    for message in sorted(set(errors))[:20]:
        print(f"  {errors.count(message)} × {message}")
    print(f"\ndatabase: {counts['registrations']} registrations for {burst.acknowledged} acknowledged "
          f"({burst.attempted} posted), {counts['trainees']} trainees ({counts['confirmed']} confirmed), "
          f"{counts['duplicates']} duplicated")
    print(f"          accepted {counts['accepted']} of {args.capacity} places, waitlisted {counts['waitlisted']}, "
          f"pending {counts['pending']}, rejected {counts['rejected']}, cancelled {counts['cancelled']}")
    problems = [f"{phase['mode']}: {e}" for e in sorted(set(errors))]
    problems += [f"{phase['mode']}: {p}" for p in check_final(counts, submitted=burst.acknowledged,
                                                               capacity=args.capacity)]
    if burst.acknowledged < args.registrations:
        problems.append(f"{phase['mode']}: only {burst.acknowledged} of {args.registrations} visitors registered")
    if counts["confirmed"] != burst.acknowledged:
        problems.append(f"{phase['mode']}: {counts['confirmed']} addresses confirmed for {burst.acknowledged} "
                        "registrations (a mail lost or late)")
    return registrations_per_s, problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--registrations", type=int, default=300, help="visitors who register (N)")
    parser.add_argument("-k", "--clients", type=int, default=20, help="concurrent visitor clients (K)")
    parser.add_argument("-m", "--coordinators", type=int, default=2, help="concurrent coordinators (M)")
    parser.add_argument("-c", "--capacity", type=int, default=30, help="places in the session (C)")
    parser.add_argument("--baseline-requests", type=int, default=1000, help="GET /healthz in the baseline")
    parser.add_argument("--workers", type=int, default=3, choices=range(1, 9), metavar="W",
                        help="gunicorn worker processes (2-4 on 2 cores)")
    parser.add_argument("--deadline", type=float, default=120, help="seconds after which a burst stops")
    parser.add_argument("--bulk", action="store_true", help="coordinators accept in bulk, not one POST each")
    parser.add_argument("--mail", choices=(*MAIL_MODES, "both"), default="both",
                        help="mail sent in the request (inline, as before the outbox), through the outbox and a "
                             "jobs worker, or both one after the other, compared (default)")
    parser.add_argument("--database-url", help="an existing, empty PostgreSQL database instead of a throw-away one")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (gunicorn log, mail)")
    args = parser.parse_args(argv)

    cleanup = Cleanup()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="centre-load."))
    if args.keep:
        print(f"temporary folder kept: {workdir}")
    else:
        cleanup.add(lambda: shutil.rmtree(workdir, ignore_errors=True))
    modes = MAIL_MODES if args.mail == "both" else (args.mail,)
    try:
        database_url = args.database_url or start_postgres(cleanup, workdir)
        env = app_environment(database_url, secrets.token_hex(32), free_port(), workdir / "mail", args.workers)
        env.update(signing_key(workdir))
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        phases = [run_phase(args, database_url, mode, workdir) for mode in modes]
    finally:
        cleanup.run()

    problems, rates = [], {}
    for phase in phases:
        rates[phase["mode"]], found = report_phase(args, phase)
        problems += found
    if len(rates) == 2:
        print(f"\noutbox against mail in the request: {rates['outbox']:.1f} against {rates['inline']:.1f} "
              f"registrations/s = {rates['outbox'] / rates['inline']:.2f}× (target: no slower, ≥ 1.0× within noise)")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    ok = not problems
    print("\nOK" if ok else "\nFAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
