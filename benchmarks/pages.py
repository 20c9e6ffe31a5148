"""Every coordinator page on one year of activity against ten years.

Builds two databases with `flask seed-volume` (1 and 10 years; SQLite files in a temporary
folder, or databases on a PostgreSQL server), then, signed in as a coordinator through Flask's
test client, GETs every page a coordinator may GET — found in the app's url_map and
centre/permissions.ACCESS, so pages added later are measured too — with its URL parameters
filled from the data: the most recent completed session and one in the middle of the history,
the host institution (the partner with the most trainees), the expert with the most reviews,
an accepted registration and a certificate of that session.

    .venv/bin/python benchmarks/pages.py                        # builds both, ~1 min without PDFs
    .venv/bin/python benchmarks/pages.py --no-certificates --keep /tmp/pages   # keep the files
    .venv/bin/python benchmarks/pages.py --reuse /tmp/pages     # measure again, no rebuild
    .venv/bin/python benchmarks/pages.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Each page is requested once to warm up, then R times (--runs, 7) alternating between the two
databases, so that a noisy machine weighs on both alike. Prints, per page, the SQL statements
of one request (before_cursor_execute) and the median and p90 times on each database, and the
ratio of the medians; then the /healthz baseline measured the same way. A page is flagged when
its statement count differs between the databases (queries that grow with rows) or when the
ratio of its medians exceeds --max-ratio (3), the issue's target. On a busy machine a few slow
runs can push one median up: run again with more --runs before believing a single flag. The
exit code is 1 if any page is flagged or answers with a 5xx.

With --downloads the sign-in sheet (also of the session with the most slots and trainees) and
this year's activity report are timed too, and summed up at the end against issue 13's target:
the median of their first (cold) renders — centre/pdf.py's reuse of a PDF emptied before each
request — flagged at 1 s, and beside it the median of the same download repeated (the activity
report's reuse at work).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load import percentile  # noqa: E402

#: Downloads that render a document at every request, not pages: left out unless --downloads.
SLOW_DOWNLOADS = {
    "attendance.sign_in_sheet": "a PDF sign-in sheet, rendered by WeasyPrint at every request",
}
#: The PDFs of issue 13's target (a first render under 1 s median), summed up at the end. Their timed
#: runs empty centre/pdf.py's RecentPdfs before each request, so that every one is a first (cold)
#: render; the same runs again without emptying it give the repeated download beside it. The sheet
#: is also measured on the session with the most slots and trainees ("largest").
DOCUMENTS = {"attendance.sign_in_sheet": "sign-in sheet", "reports.activity_pdf": "activity report (this year)"}
DOCUMENT_TARGET_MS = 1000
YEARS = (1, 10)
#: Arguments that an endpoint names like another but fills with something else.
ARGUMENT_SOURCES = {"public.verify": {"code": "verification_code"}}
#: Exports of a period are measured on this year (the default period of the dashboard too).
PERIOD_ENDPOINTS = {"exports.registrations", "exports.certificates"}
PERIOD_QUERY = f"?from={date.today().year}-01-01&to={date.today().year}-12-31"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def flask(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "CENTRE_ENV": "development", "FLASK_DEBUG": "0"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True)


def database_urls(args, folder: Path) -> dict[int, str]:
    if not args.database_url:
        return {years: f"sqlite:///{folder}/volume-{years}y.sqlite3" for years in YEARS}
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    server = make_url(args.database_url)
    urls = {years: server.set(database=f"centre_pages_{years}y").render_as_string(hide_password=False)
            for years in YEARS}
    if not args.reuse:
        engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for years in YEARS:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS centre_pages_{years}y WITH (FORCE)")
                connection.exec_driver_sql(f"CREATE DATABASE centre_pages_{years}y")
        engine.dispose()
    return urls


def build(url: str, years: int, args) -> float:
    started = time.perf_counter()
    flask(url, "db", "upgrade")
    seed = ["seed-volume", "--years", str(years), "--sessions-per-year", str(args.sessions_per_year),
            "--trainees-per-session", str(args.trainees_per_session), "--seed", str(args.seed)]
    flask(url, *seed, *(["--no-certificates"] if args.no_certificates else []))
    return time.perf_counter() - started


class Site:
    """One database: its app, a coordinator's test client, the ids to fill URLs with, a statement counter."""

    def __init__(self, url: str):
        import sqlalchemy as sa

        from centre import create_app
        from centre.seed.common import DEMO_PASSWORD, STAFF_ACCOUNTS
        from centre.extensions import db
        from centre.models import Role

        self.app = create_app("development", SQLALCHEMY_DATABASE_URI=url, DEBUG=False)
        self.app.logger.disabled = True
        import logging

        logging.getLogger("centre.request").disabled = True
        self.client = self.app.test_client()
        email = next(e for e, role, _ in STAFF_ACCOUNTS if role == Role.COORDINATOR)
        token = CSRF_RE.search(self.client.get("/login").get_data(as_text=True))[1]
        response = self.client.post("/login", data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, "the coordinator could not sign in"
        self.statements = 0
        with self.app.app_context():
            self.ids = find_ids()
            self.sizes = {label: session_size(ids["session_id"]) for label, ids in self.ids.items()}
            self.dialect = db.engine.dialect.name
            sa.event.listen(db.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN", "COMMIT", "ROLLBACK")):
            self.statements += 1

    def get(self, path: str) -> tuple[float, int, int]:
        """(seconds, statements, status) of one GET."""
        self.statements = 0
        started = time.perf_counter()
        response = self.client.get(path)
        response.get_data()
        return time.perf_counter() - started, self.statements, response.status_code


def find_ids() -> dict[str, dict]:
    """Ids to fill URLs with, under a label: {label: {argument: value}}."""
    import sqlalchemy as sa

    from centre.evaluation import answering
    from centre.extensions import db
    from centre.models import (Agreement, Certificate, Questionnaire, Registration, RegistrationStatus, Review,
                               SessionStatus, Slot, Trainee, TrainingSession)

    completed = db.session.scalars(
        sa.select(TrainingSession.id).where(TrainingSession.status == SessionStatus.COMPLETED)
        .order_by(TrainingSession.start_on)).all()
    institution_id = db.session.scalar(
        sa.select(Trainee.institution_id).where(Trainee.institution_id.is_not(None))
        .group_by(Trainee.institution_id).order_by(sa.func.count().desc()).limit(1))
    common = {
        "institution_id": institution_id,
        "agreement_id": db.session.scalar(sa.select(Agreement.id).where(Agreement.institution_id == institution_id)),
        "expert_id": db.session.scalar(sa.select(Review.expert_id).group_by(Review.expert_id)
                                       .order_by(sa.func.count().desc()).limit(1)),
    }
    # The catalogue's pages take the code of the next session (the latest of all if none is open).
    common["code"] = (db.session.scalar(sa.select(TrainingSession.code)
                                        .where(TrainingSession.status == SessionStatus.OPEN)
                                        .order_by(TrainingSession.start_on))
                      or db.session.scalar(sa.select(TrainingSession.code)
                                           .order_by(TrainingSession.start_on.desc())))
    largest = db.session.scalar(
        sa.select(TrainingSession.id).where(TrainingSession.status == SessionStatus.COMPLETED)
        .order_by(sa.select(sa.func.count()).where(Slot.session_id == TrainingSession.id).scalar_subquery().desc(),
                  sa.select(sa.func.count()).where(Registration.session_id == TrainingSession.id,
                                                   Registration.status == RegistrationStatus.ACCEPTED)
                  .scalar_subquery().desc(), TrainingSession.start_on.desc()).limit(1))
    labels = {}
    for label, session_id in (("recent", completed[-1]), ("middle", completed[len(completed) // 2]),
                              ("largest", largest)):
        ids = {**common, "session_id": session_id,
               "slot_id": db.session.scalar(sa.select(Slot.id).where(Slot.session_id == session_id)),
               "registration_id": db.session.scalar(sa.select(Registration.id).where(
                   Registration.session_id == session_id, Registration.status == RegistrationStatus.ACCEPTED))}
        certificate = db.session.execute(sa.select(Certificate.id, Certificate.verification_code).join(Registration)
                                         .where(Registration.session_id == session_id)).first()
        if certificate:
            ids["certificate_id"] = certificate.id
            ids["verification_code"] = certificate.verification_code
        questionnaire = db.session.scalar(sa.select(Questionnaire).where(Questionnaire.session_id == session_id))
        if questionnaire is not None:
            ids["questionnaire_id"] = questionnaire.id
            ids["template_id"] = questionnaire.template_id
            ids["question_id"] = questionnaire.template.questions[0].id
            ids["link"] = answering.token(questionnaire.invitations[0])
        labels[label] = {k: v for k, v in ids.items() if v is not None}
    return labels


def session_size(session_id: int) -> str:
    """"10 slots, 30 trainees": what a session's sign-in sheet holds."""
    import sqlalchemy as sa

    from centre.extensions import db
    from centre.models import Registration, RegistrationStatus, Slot

    slots = db.session.scalar(sa.select(sa.func.count()).select_from(Slot).where(Slot.session_id == session_id))
    trainees = db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
        Registration.session_id == session_id, Registration.status == RegistrationStatus.ACCEPTED))
    return f"{slots} slots, {trainees} trainees"


def coordinator_pages(app, downloads: bool):
    """(endpoint, rule) of every GET a coordinator may make, and (endpoint, why) of those left out."""
    from centre.models import Role
    from centre.permissions import ACCESS

    pages, left_out = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if Role.COORDINATOR not in ACCESS.get(rule.endpoint, ()):
            continue
        if rule.endpoint in SLOW_DOWNLOADS and not downloads:
            left_out.append((rule.rule, SLOW_DOWNLOADS[rule.endpoint]))
            continue
        pages.append(rule)
    return pages, left_out


def build_paths(rule, sites) -> list[tuple[str, list[str]]]:
    """(label, [path on each site]) for a rule: once per session when it takes one, once per format
    for an export; [] if not fillable. The period exports get this year as their period."""
    arguments = set(rule.arguments)
    labels = ["recent", "middle"] if "session_id" in arguments else ["recent"]
    if "session_id" in arguments and rule.endpoint in DOCUMENTS:
        labels.append("largest")
    formats = ["csv", "xlsx"] if "fmt" in arguments else [None]
    query = PERIOD_QUERY if rule.endpoint in PERIOD_ENDPOINTS else ""
    result = []
    for label in labels:
        for fmt in formats:
            paths = []
            for site in sites:
                sources = {name: ARGUMENT_SOURCES.get(rule.endpoint, {}).get(name, name) for name in arguments}
                ids = {**site.ids[label], **({"fmt": fmt} if fmt else {})}
                if not set(sources.values()) <= ids.keys():
                    return []
                with site.app.test_request_context():
                    paths.append(rule.build({name: ids[source] for name, source in sources.items()},
                                            append_unknown=False)[1] + query)
            name = rule.rule.replace("<fmt>", fmt) if fmt else rule.rule
            result.append((f"{name} [{label}]" if len(labels) > 1 else name, paths))
    return result


def measure(sites, paths, runs: int, before=None):
    """Statements and timings of one page on each site, runs interleaved between sites, and the
    times of the first request (the warm-up: templates compiled, caches filled). `before` is
    called before each timed request."""
    first = [site.get(path)[0] * 1000 for site, path in zip(sites, paths)]
    times = [[] for _ in sites]
    statements, statuses = [0] * len(sites), [0] * len(sites)
    for _ in range(runs):
        for i, (site, path) in enumerate(zip(sites, paths)):
            if before:
                before()
            seconds, statements[i], statuses[i] = site.get(path)
            times[i].append(seconds * 1000)
    return statements, statuses, times, first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed requests per page and database (default 7)")
    parser.add_argument("--sessions-per-year", type=int, default=100)
    parser.add_argument("--trainees-per-session", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-certificates", action="store_true", help="build without the PDFs (much faster)")
    parser.add_argument("--database-url", help="a PostgreSQL server (any database on it): the benchmark "
                        "creates centre_pages_1y and centre_pages_10y there, dropping them first")
    parser.add_argument("--keep", metavar="DIR", help="build the SQLite files in DIR and keep them")
    parser.add_argument("--reuse", metavar="DIR", nargs="?", const="", help="measure databases built "
                        "before (the SQLite files in DIR, or the PostgreSQL databases) instead of building")
    parser.add_argument("--downloads", action="store_true", help="also time " + ", ".join(SLOW_DOWNLOADS))
    parser.add_argument("--max-ratio", type=float, default=3.0)
    parser.add_argument("--only", help="measure only the pages whose rule contains this text")
    args = parser.parse_args()

    folder = Path(args.reuse or args.keep or tempfile.mkdtemp(prefix="centre-pages-"))
    folder.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("CENTRE_SIGNING_KEY"):  # certificates are signed: a throw-away key of the run's own
        from centre.signing import DEV_PASSPHRASE, make_dev_key

        key = folder / "signing.p12"
        os.environ["CENTRE_SIGNING_KEY"] = str(key if key.exists() else make_dev_key(key).key_path)
        os.environ["CENTRE_SIGNING_PASSPHRASE"] = DEV_PASSPHRASE
    if not os.environ.get("CENTRE_CREDENTIAL_ED25519_KEY"):  # credentials (and /did.json, /.well-known/jwks.json) too
        from centre.credentials.keys import write_keys

        ed25519, rsa = folder / "credential-ed25519.pem", folder / "credential-rsa.pem"
        if not (ed25519.exists() and rsa.exists()):
            write_keys(ed25519, rsa)
        os.environ["CENTRE_CREDENTIAL_ED25519_KEY"], os.environ["CENTRE_CREDENTIAL_RSA_KEY"] = str(ed25519), str(rsa)
    urls = database_urls(args, folder)
    if args.reuse is None:
        for years in YEARS:
            print(f"building {years} year(s) of activity …", flush=True)
            print(f"built {years} year(s) in {build(urls[years], years, args):.0f} s", flush=True)
    try:
        return report(args, urls)
    finally:
        if not (args.keep or args.reuse is not None or args.database_url):
            shutil.rmtree(folder, ignore_errors=True)


def report(args, urls) -> int:
    from centre.pdf import recent_pdfs

    sites = [Site(urls[years]) for years in YEARS]
    pages, left_out = coordinator_pages(sites[0].app, args.downloads)
    print(f"\n{len(pages)} coordinator GET routes; database {sites[0].dialect}; "
          f"{args.runs} runs each; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    header = (f"{'page':<58} {'q 1y':>5} {'q 10y':>5} {'med 1y':>8} {'med 10y':>8} {'p90 1y':>8} "
              f"{'p90 10y':>8} {'ratio':>6}  flags")
    print(header)
    print("-" * len(header))
    failed, skipped, documents = [], [], []
    for rule in pages:
        if args.only and args.only not in rule.rule:
            continue
        variants = build_paths(rule, sites)
        if not variants:
            skipped.append((rule.rule, "no value in the data for " + ", ".join(sorted(rule.arguments))))
            continue
        for label, paths in variants:
            document = rule.endpoint in DOCUMENTS
            statements, statuses, times, first = measure(sites, paths, args.runs,
                                                         before=recent_pdfs.clear if document else None)
            medians = [statistics.median(t) for t in times]
            if document:
                repeats = [statistics.median(t) for t in measure(sites, paths, args.runs)[2]]
                documents.append((rule.endpoint, label, medians, repeats))
            p90s = [percentile(t, 90) for t in times]
            ratio = medians[1] / medians[0] if medians[0] else float("inf")
            flags = []
            if statements[0] != statements[1]:
                flags.append("QUERIES")
            if ratio > args.max_ratio:
                flags.append("SLOW")
            if any(s >= 500 for s in statuses):
                flags.append(f"HTTP {max(statuses)}")
            elif any(s != 200 for s in statuses):
                flags.append(f"(http {'/'.join(map(str, statuses))})")
            if any(f.isupper() for f in flags):
                failed.append(label)
            print(f"{label:<58} {statements[0]:>5} {statements[1]:>5} {medians[0]:>8.1f} {medians[1]:>8.1f} "
                  f"{p90s[0]:>8.1f} {p90s[1]:>8.1f} {ratio:>6.2f}  {' '.join(flags)}", flush=True)
    statements, _, times, _ = measure(sites, ["/healthz", "/healthz"], args.runs)
    print(f"{'baseline /healthz':<58} {statements[0]:>5} {statements[1]:>5} {statistics.median(times[0]):>8.1f} "
          f"{statistics.median(times[1]):>8.1f} {percentile(times[0], 90):>8.1f} {percentile(times[1], 90):>8.1f}")
    if documents:
        print(f"\ndocuments (target: a first render under {DOCUMENT_TARGET_MS} ms, median){'':<20} {'cold 1y':>9} "
              f"{'cold 10y':>9} {'again 1y':>9} {'again 10y':>9}")
        for endpoint, label, cold, again in documents:
            what = DOCUMENTS[endpoint]
            if endpoint == "attendance.sign_in_sheet":
                which = label.rsplit("[", 1)[1].rstrip("]")
                what += f" [{which}] ({' / '.join(site.sizes[which] for site in sites)})"
            over = [f"{m:.0f} ms" for m in cold if m >= DOCUMENT_TARGET_MS]
            if over:
                failed.append(label)
            print(f"{what:<76} {cold[0]:>9.1f} {cold[1]:>9.1f} {again[0]:>9.1f} {again[1]:>9.1f}"
                  f"{'  OVER ' + ', '.join(over) if over else ''}")
    for rule, why in left_out:
        print(f"left out: {rule}: {why} (--downloads times it)")
    for rule, why in skipped:
        print(f"skipped: {rule}: {why}")
    if failed:
        print(f"\n{len(failed)} page(s) flagged: {', '.join(failed)}")
        return 1
    print("\nevery page within the targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
