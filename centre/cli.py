"""flask commands: create-user, seed-demo, seed-volume, backup, restore, jobs, signing."""
import functools
import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from centre.auth.services import create_user
from centre.backup import backup_database, restore_database
from centre.certificates.bulk import start_bulk_issue
from centre.certificates.delivery import export_session
from centre.clock import today as centre_today
from centre.errors import DomainError
from centre.evaluation.questionnaires import run_daily_on
from centre.evaluation.templates import load_default_templates
from centre.extensions import db
from centre.i18n import in_english
from centre.jobs.services import execute_job, reap, recent_jobs
from centre.models import DocumentLanguage, Job, JobStatus, Role, TrainingSession, User
from centre.models.types import utcnow
from centre.registrations.imports import import_trainees, max_bytes, read_table
from centre.registrations.personal_data import anonymise_older_than
from centre.reviews.services import remind_overdue
from centre.seed.demo import demo_logins, seed_demo
from centre.seed.volume import is_empty, seed_volume
from centre.signing import DEV_KEY_NAME, DEV_PASSPHRASE, make_dev_key
from centre.urls import links_need_public_address

PUBLIC_ADDRESS_MISSING = ("Set CENTRE_PUBLIC_BASE_URL to the site's public address (e.g. https://centre.example.ma): "
                          "the links in the mails this command sends would point at this machine.")


def sends_mail(command):
    """For a command that sends mail (or may): refuse to run while its links would point at this machine."""
    @functools.wraps(command)
    def checked(*args, **kwargs):
        if links_need_public_address():
            raise click.ClickException(PUBLIC_ADDRESS_MISSING)
        return command(*args, **kwargs)
    return checked


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "full_name", default="", help="Full name shown in the interface.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
@with_appcontext
@in_english
def create_user_command(email, role, full_name, password):
    """Create an account with the given role."""
    try:
        user = create_user(email, password, Role(role), full_name=full_name)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role.value}).")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Load only into a database that has no account yet.")
@with_appcontext
@in_english
def seed_demo_command(if_empty):
    """Load demo data: partner institutions, experts, sessions at every stage, trainees."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Demo accounts share a known password: not loaded in production.")
    if if_empty and db.session.scalar(sa.select(User.id).limit(1)) is not None:
        click.echo("The database already has accounts; demo data not loaded.")
        existing = set(db.session.scalars(
            sa.select(User.email).where(User.email.in_([login["email"] for login in demo_logins()]))
        ))
        _echo_logins([login for login in demo_logins() if login["email"] in existing])
        return
    try:
        created = seed_demo()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    counts = created["counts"]
    click.echo(
        f"Demo data loaded: {counts['institutions']} institutions, {counts['experts']} experts, "
        f"{counts['sessions']} sessions ({', '.join(created['sessions'].values())}), "
        f"{counts['trainees']} trainees, {counts['registrations']} registrations, "
        f"{counts['certificates']} certificates."
    )
    _echo_logins(created["logins"])
    click.echo("Every demo trainee signs in with the same password.")


@click.command("seed-volume")
@click.option("--years", type=click.IntRange(min=1), default=10, show_default=True,
              help="Years of activity, ending in the current year.")
@click.option("--sessions-per-year", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--trainees-per-session", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--no-certificates", is_flag=True, help="Skip the last year's certificates (PDFs, the slow part).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random generator.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Pretend today is this date (default: today in the centre's time zone).")
@click.option("--allow-non-empty", is_flag=True, help="Add to a database that already has sessions or trainees.")
@with_appcontext
@in_english
def seed_volume_command(years, sessions_per_year, trainees_per_session, no_certificates, seed, today,
                        allow_non_empty):
    """Fill the database with years of realistic activity, to measure the pages at scale."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Volume data is made up and shares the demo password: not loaded in production.")
    if not allow_non_empty and not is_empty():
        raise click.ClickException("The database already has sessions or trainees; "
                                   "use --allow-non-empty to add volume data to it anyway.")
    started = time.perf_counter()
    volume = seed_volume(years, sessions_per_year, trainees_per_session, seed=seed,
                         certificates=not no_certificates, today=today.date() if today else None,
                         progress=click.echo)
    counts = volume.counts
    click.echo(f"Volume data loaded in {time.perf_counter() - started:.0f} s: "
               f"{counts['training_session']} sessions, {counts['slot']} slots, {counts['trainee']} trainees, "
               f"{counts['registration']} registrations, {counts['attendance_mark']} attendance marks, "
               f"{counts['review']} reviews, {counts['audit_entry']} audit entries, "
               f"{counts['certificate']} certificates.")


def _echo_logins(logins):
    if not logins:
        return
    click.echo("Demo accounts (demo data only, not for production):")
    width = max(len(login["email"]) for login in logins)
    click.echo(f"  {'e-mail':<{width}}  {'role':<12}  password")
    for login in logins:
        click.echo(f"  {login['email']:<{width}}  {login['role']:<12}  {login['password']}")


@click.group("reviews")
def reviews_group():
    """The experts' preparation reviews."""


@reviews_group.command("remind")
@with_appcontext
@in_english
@sends_mail
def remind_command():
    """E-mail the experts whose review is overdue (at most once a day; the workers also do it daily)."""
    reminders = remind_overdue()
    db.session.commit()
    for review in reminders.reminded:
        click.echo(f"Reminded {review.expert.user.email} about session {review.training_session.code}.")
    for review in reminders.unreachable:
        click.echo(f"Could not remind {review.expert.name} about session {review.training_session.code}: "
                   "no account and no e-mail address (add one on the expert's page).", err=True)
    click.echo(f"{len(reminders.reminded)} reminder(s) sent, {len(reminders.unreachable)} expert(s) not reachable.")


@click.group("evaluation")
def evaluation_group():
    """The evaluation questionnaires."""


@evaluation_group.command("load-templates")
@with_appcontext
def load_templates_command():
    """Load the questionnaire templates shipped with the app (those whose code has no version yet)."""
    created = load_default_templates()
    db.session.commit()
    for template in created:
        click.echo(f"Loaded {template.code} v{template.version} ({len(template.questions)} questions).")
    click.echo(f"{len(created)} template(s) loaded.")


@evaluation_group.command("run")
@with_appcontext
def evaluation_run_command():
    """Send the questionnaires that are due, the reminders, and close those past their date (the workers do it daily)."""
    handled = run_daily_on(centre_today())
    db.session.commit()
    click.echo(f"{handled} questionnaire(s) and reminder(s) handled.")


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
@in_english
def backup_command(directory):
    """Write a backup of the whole database into DIRECTORY (SQLite file or pg_dump archive)."""
    try:
        path = backup_database(directory, utcnow())
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written: {path} ({path.stat().st_size} bytes).")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
@with_appcontext
@in_english
def restore_command(file, yes):
    """Replace the whole database with the backup FILE made by `backup`."""
    if not yes:
        click.confirm(f"Replace everything in {db.engine.url.render_as_string(hide_password=True)} "
                      f"with {file}?", abort=True)
    try:
        revision = restore_database(file)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored from {file}; the schema is at revision {revision} "
               "(run `flask db upgrade` if this code is newer).")


@click.group("registrations")
def registrations_group():
    """Trainees' registrations to sessions."""


@registrations_group.command("import")
@click.argument("session_code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-errors", is_flag=True, help="Import the good rows even if other rows have errors.")
@with_appcontext
@in_english
def import_command(session_code, path, skip_errors):
    """Register the trainees listed in a CSV or XLSX file (a partner institution's list)."""
    training_session = db.session.scalar(sa.select(TrainingSession).where(TrainingSession.code == session_code))
    if training_session is None:
        raise click.ClickException(f"No session has the code {session_code}.")
    with open(path, "rb") as stream:
        data = stream.read(max_bytes() + 1)
    try:
        report = import_trainees(training_session, read_table(Path(path).name, data), None,
                                 skip_errors=skip_errors)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    for line, reason in report.errors:
        click.echo(f"line {line}: {reason}", err=True)
    for line, email in report.already:
        click.echo(f"line {line}: {email} is already registered; left as it is.")
    if not report.written:
        db.session.rollback()
        raise click.ClickException(f"{len(report.errors)} row(s) with errors: nothing imported "
                                   "(fix them, or use --skip-errors).")
    db.session.commit()
    click.echo(f"{len(report.imported)} registration(s) imported, {len(report.already)} already there, "
               f"{len(report.errors)} row(s) skipped.")


@click.group("trainees")
def trainees_group():
    """Trainees' personal data."""


@trainees_group.command("anonymise")
@click.option("--years", type=click.IntRange(min=1), required=True,
              help="Anonymise trainees whose last session ended more than this many years ago.")
@with_appcontext
@in_english
def anonymise_command(years):
    """Erase names, e-mail, phone and passport of former trainees; the reports' counts stay."""
    count = anonymise_older_than(years)
    db.session.commit()
    click.echo(f"{count} trainee(s) anonymised.")


@click.group("certificates")
def certificates_group():
    """Certificates: issue a session's, export them."""


def _session_by_code(code):
    training_session = db.session.scalar(sa.select(TrainingSession).where(TrainingSession.code == code))
    if training_session is None:
        raise click.ClickException(f"No session has the code {code}.")
    return training_session


@certificates_group.command("issue")
@click.argument("session_code")
@click.option("--language", type=click.Choice(["fr", "ar", "bilingual"]), default=None,
              help="Every certificate in this language (default: each trainee's preference).")
@click.option("--email", is_flag=True, help="E-mail each new certificate to its trainee.")
@click.option("--wait", is_flag=True, help="Run the job here, in the foreground, and print its outcome "
                                           "(default: queue it for the workers).")
@with_appcontext
@in_english
def certificates_issue_command(session_code, language, email, wait):
    """Issue the certificates of every eligible trainee of a session (the same job as the page's)."""
    if current_app.config["ENV_NAME"] == "production" and not current_app.config["PUBLIC_BASE_URL"]:
        raise click.ClickException("Set CENTRE_PUBLIC_BASE_URL: the QR codes would point at this machine.")
    if email and links_need_public_address():
        raise click.ClickException(PUBLIC_ADDRESS_MISSING)
    training_session = _session_by_code(session_code)
    try:
        job = start_bulk_issue(training_session, DocumentLanguage(language) if language else None, email, None,
                               queue=not wait, locale="en")
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    if not wait:
        click.echo(f"Job #{job.id} queued: a worker issues the certificates. Follow it with `flask jobs list` "
                   "or on the session's page; --wait runs it here instead.")
        return
    job_id = job.id
    execute_job(job_id)
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    if job.status != JobStatus.DONE:
        raise click.ClickException(f"Job #{job_id} {job.status.value} after {job.progress_done} certificates "
                                   f"issued: {job.last_error or 'see `flask jobs list`'}")
    result = job.result
    for refused in result["refused"]:
        click.echo(f"not eligible: {refused['name']}: {refused['reason']}")
    summary = f"{result['issued']} issued, {result['already']} already held, {len(result['refused'])} not eligible"
    if "emailed" not in result:
        click.echo(f"{summary}.")
        return
    for mail in result["mail_refused"]:
        click.echo(f"not sent: {mail['number']} {mail['email']}: {mail['error']}")
    click.echo(f"{summary}, {result['emailed']} e-mailed, {len(result['mail_refused'])} not sent.")
    if result["mail_refused"]:
        raise click.ClickException(f"{len(result['mail_refused'])} certificates could not be e-mailed; send them "
                                   "again from the certificates page.")


@certificates_group.command("export")
@click.argument("session_code")
@click.argument("folder", type=click.Path(file_okay=False))
@with_appcontext
@in_english
def certificates_export_command(session_code, folder):
    """Write the stored PDFs of a session's valid certificates into FOLDER."""
    paths = export_session(_session_by_code(session_code), folder)
    click.echo(f"{len(paths)} certificates written to {folder}.")


@click.group("jobs")
def jobs_group():
    """Background work: the jobs' rows and the reaper."""


@jobs_group.command("reap")
@with_appcontext
@in_english
def jobs_reap_command():
    """Queue again the running jobs whose worker stopped (stale heartbeat); fail those out of attempts."""
    report = reap()
    db.session.commit()
    click.echo(f"{len(report.requeued)} queued again, {len(report.failed)} failed, "
               f"{len(report.resent)} sent to the queue again.")


@jobs_group.command("list")
@click.option("--status", type=click.Choice([s.value for s in JobStatus]), default=None)
@click.option("--kind", default=None, help="Only the jobs of this kind.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@with_appcontext
@in_english
def jobs_list_command(status, kind, limit):
    """The most recent jobs, newest first."""
    jobs = db.session.scalars(recent_jobs(kind=kind, status=JobStatus(status) if status else None).limit(limit))
    for job in jobs:
        total = f"/{job.progress_total}" if job.progress_total is not None else ""
        click.echo(f"#{job.id} {job.kind} {job.status.value} {job.progress_done}{total} "
                   f"attempt {job.attempts}/{job.max_attempts} created {job.created_at:%Y-%m-%d %H:%M:%S}Z"
                   + (f" error: {job.last_error}" if job.last_error else ""))


@click.group("signing")
def signing_group():
    """The key that signs certificates and invitation letters."""


@signing_group.command("dev-key")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Where to write the PKCS#12 file (default: CENTRE_SIGNING_KEY, else instance/dev-signing.p12).")
@click.option("--passphrase", default=None, help="Its passphrase (default: CENTRE_SIGNING_PASSPHRASE, else the "
              "development one).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@with_appcontext
@in_english
def signing_dev_key_command(out, passphrase, force):
    """Create a throw-away CA and signing certificate, for development and the demo (never production)."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("A development key signs nothing anyone should trust: not made in production.")
    path = Path(out or current_app.config.get("SIGNING_KEY") or Path(current_app.instance_path) / DEV_KEY_NAME)
    if path.exists() and not force:
        click.echo(f"{path} already exists; kept (--force replaces it).")
        return
    made = make_dev_key(path, passphrase or current_app.config.get("SIGNING_PASSPHRASE") or DEV_PASSPHRASE)
    click.echo(f"Signing key written to {made.key_path}; its CA certificate (trust it to see the signatures "
               f"as trusted) to {made.ca_path}.")


def register_commands(app):
    app.cli.add_command(create_user_command)
    app.cli.add_command(registrations_group)
    app.cli.add_command(trainees_group)
    app.cli.add_command(certificates_group)
    app.cli.add_command(reviews_group)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(seed_volume_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(jobs_group)
    app.cli.add_command(signing_group)
    app.cli.add_command(evaluation_group)
