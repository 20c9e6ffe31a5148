"""Background work: jobs run by real worker processes (python -m centre.jobs.worker) on the
queue's two storages — a SQLite file always, Redis when the test command started one
(CENTRE_TEST_REDIS_URL) — against the test's own database."""
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from centre import create_app
from centre.extensions import db
from centre.jobs import services
from centre.jobs.worker import READY
from centre.jobs.schedules import SCHEDULES_BY_NAME, prune_records, run_schedule, schedule_states
from centre.models import AuditEntry, FailedLogin, Job, JobStatus, Role, ScheduleRun, VerificationHit
from centre.models.types import utcnow
from tests.conftest import post

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("CENTRE_TEST_REDIS_URL")
QUEUES = ["sqlite", *(["redis"] if REDIS_URL else [])]
#: Short beats so that a dead worker shows within seconds.
TIMINGS = {"JOB_HEARTBEAT_SECONDS": 0.2, "JOB_STALE_SECONDS": 1.5, "JOB_RETRY_DELAY_SECONDS": 0.2}


def _redis_url() -> str:
    """A Redis database per pytest-xdist worker (gw0 → 1, gw1 → 2, …), emptied for each test."""
    import redis

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw-1")
    number = (int(worker[2:]) + 1) % 15 + 1 if worker[2:].isdigit() else 0
    url = REDIS_URL.rstrip("/") + f"/{number}"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(params=QUEUES)
def queue_url(request, tmp_path):
    if request.param == "redis":
        return _redis_url()
    return f"sqlite:///{tmp_path / 'queue.sqlite3'}"


@pytest.fixture
def jobs_app(database_url, queue_url, tmp_path):
    """An app whose jobs go to a real queue (not immediate), as a worker process would see it."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, QUEUE_URL=queue_url, QUEUE_IMMEDIATE=False,
                     JOB_MODULES=("tests.job_kinds",), MAIL_FOLDER=str(tmp_path / "mail"), **TIMINGS)
    yield app
    close_app(app)


@pytest.fixture
def start_worker(jobs_app, tmp_path):
    """start_worker() -> a worker process (python -m centre.jobs.worker) on the app's database and queue.

    Real workers run on the SQLite/SQLite and PostgreSQL/Redis pairs only: each storage of the queue
    and each database is covered, and the mixed pairs added minutes of waiting on workers to a suite
    held to ten minutes (the tests without a worker process still run on all four)."""
    if jobs_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") != jobs_app.config["QUEUE_URL"].startswith("redis"):
        pytest.skip("real workers run on the SQLite/SQLite and PostgreSQL/Redis pairs")
    processes = []

    def start(threads=2, *args, **settings):
        env = {**os.environ, **settings, "CENTRE_ENV": "test", "TEST_DATABASE_URL": jobs_app.config["SQLALCHEMY_DATABASE_URI"],
               "CENTRE_QUEUE_URL": jobs_app.config["QUEUE_URL"], "CENTRE_QUEUE_IMMEDIATE": "0",
               "CENTRE_JOB_MODULES": "tests.job_kinds", "CENTRE_WORKER_THREADS": str(threads),
               "MAIL_FOLDER": str(tmp_path / "mail"), "PYTHONPATH": str(ROOT),
               **{f"CENTRE_{key}": str(value) for key, value in TIMINGS.items()}}
        log = open(tmp_path / f"worker-{len(processes)}.log", "wb")
        # A session of its own: the teardown kills the worker's whole group, forked processes included.
        process = subprocess.Popen([sys.executable, "-m", "centre.jobs.worker", *args], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        process.log_path = log.name
        log.close()
        processes.append(process)
        return process

    yield start
    for process in processes:
        try:  # a forked worker left running would take the next test's messages
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(10)


def close_app(app) -> None:
    """Close the app's database and queue connections (a leaked one fails a later test)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    storage = app.extensions["centre_queue"].storage
    if hasattr(storage, "pool"):
        storage.pool.disconnect()
    else:
        storage.close()


def enqueue(app, kind, **params) -> int:
    with app.app_context():
        job = services.enqueue(kind, None, **params)
        db.session.commit()
        return job.id


def job_row(app, job_id) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def wait_for(app, job_id, predicate, timeout=30.0, what="") -> Job:
    deadline = time.monotonic() + timeout
    while True:
        job = job_row(app, job_id)
        if predicate(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} never {what}: {job.status} {job.progress_done}/{job.progress_total}")
        time.sleep(0.05)


def steps_recorded(app, job_id) -> list[int]:
    with app.app_context():
        details = db.session.scalars(sa.select(AuditEntry.details).where(
            AuditEntry.entity == "job", AuditEntry.entity_id == job_id, AuditEntry.action == "test_step"))
        return sorted(d["step"] for d in details)


def test_job_runs_in_a_real_worker_and_ends_done_with_progress(jobs_app, start_worker):
    job_id = enqueue(jobs_app, "test.steps", steps=5, seconds=0.05)
    assert job_row(jobs_app, job_id).status == JobStatus.QUEUED
    worker = start_worker()
    job = wait_for(jobs_app, job_id, lambda j: j.is_finished, what="finished")
    assert (job.status, job.progress_done, job.progress_total, job.attempts) == (JobStatus.DONE, 5, 5, 1)
    assert job.result == {"steps": 5}
    assert job.started_at <= job.finished_at and job.last_error is None
    assert steps_recorded(jobs_app, job_id) == [0, 1, 2, 3, 4]
    assert worker.poll() is None


def test_process_workers_run_jobs_side_by_side(jobs_app, start_worker):
    """--worker-type process (for work that computes, like PDFs): each forked process gets
    database connections of its own."""
    job_ids = [enqueue(jobs_app, "test.steps", steps=3, seconds=0.1) for _ in range(3)]
    start_worker(2, "--worker-type", "process")
    for job_id in job_ids:
        job = wait_for(jobs_app, job_id, lambda j: j.is_finished, what="finished")
        assert (job.status, job.progress_done) == (JobStatus.DONE, 3)
        assert steps_recorded(jobs_app, job_id) == [0, 1, 2]


def test_worker_killed_mid_job_is_reaped_and_a_new_worker_finishes_it(jobs_app, start_worker, record_property):
    job_id = enqueue(jobs_app, "test.steps", steps=12, seconds=0.25)
    worker = start_worker()
    wait_for(jobs_app, job_id, lambda j: j.progress_done >= 3, what="reached step 3")
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    killed_at = time.monotonic()
    orphan = job_row(jobs_app, job_id)
    assert orphan.status == JobStatus.RUNNING and orphan.attempts == 1 and 3 <= orphan.progress_done < 12

    with jobs_app.app_context():  # the reaper leaves a job whose heartbeat is still fresh alone
        assert services.reap().requeued == []
        db.session.commit()
    time.sleep(TIMINGS["JOB_STALE_SECONDS"] + 0.3)
    with jobs_app.app_context():
        assert services.reap().requeued == [job_id]
        db.session.commit()
    requeued = job_row(jobs_app, job_id)
    assert requeued.status == JobStatus.QUEUED and "worker stopped during attempt 1 of 3" in requeued.last_error

    start_worker()
    job = wait_for(jobs_app, job_id, lambda j: j.is_finished, what="finished after the restart")
    recovered = time.monotonic() - killed_at
    assert (job.status, job.progress_done, job.attempts) == (JobStatus.DONE, 12, 2)
    # Idempotent: every step once, none repeated nor lost across the two runs.
    assert steps_recorded(jobs_app, job_id) == list(range(12))
    record_property("summary", f"jobs: worker SIGKILLed at step {orphan.progress_done}/12 "
                               f"({jobs_app.config['QUEUE_URL'].split(':')[0]} queue); done after "
                               f"{recovered:.1f} s in {job.attempts} attempts "
                               f"(stale after {TIMINGS['JOB_STALE_SECONDS']} s)")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sigterm_or_sigint_lets_the_running_job_finish(jobs_app, start_worker, signum):
    job_id = enqueue(jobs_app, "test.steps", steps=8, seconds=0.25)
    worker = start_worker(threads=1)
    wait_for(jobs_app, job_id, lambda j: j.progress_done >= 1, what="started")
    worker.send_signal(signum)
    assert worker.wait(30) == 0
    job = job_row(jobs_app, job_id)
    assert (job.status, job.progress_done, job.attempts) == (JobStatus.DONE, 8, 1)
    assert "Shutting down gracefully" in Path(worker.log_path).read_text()


def test_sigterm_stops_an_idle_worker_promptly(jobs_app, start_worker):
    worker = start_worker()
    deadline = time.monotonic() + 30
    while READY not in Path(worker.log_path).read_text():
        assert time.monotonic() < deadline and worker.poll() is None, Path(worker.log_path).read_text()
        time.sleep(0.05)
    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(10) == 0
    assert time.monotonic() - started < 5


def test_a_task_ending_inside_a_transaction_ends_at_once_not_after_the_heartbeats_lock_wait(jobs_app):
    """The heartbeat's last beat, blocked on SQLite's write lock that the task's own open
    transaction holds, used to hold the job's end for the whole busy timeout (30 s)."""
    job_id = enqueue(jobs_app, "test.reads_at_end", mark="x")
    with jobs_app.app_context():
        started = time.monotonic()
        assert services.execute_job(job_id) == JobStatus.DONE
        elapsed = time.monotonic() - started
    assert elapsed < 5, f"the job took {elapsed:.1f} s to end"
    assert job_row(jobs_app, job_id).result == {"params": {"mark": "x"}}


def test_failing_task_ends_failed_with_its_error_after_its_retries(jobs_app, start_worker):
    job_id = enqueue(jobs_app, "test.fails")
    start_worker()
    job = wait_for(jobs_app, job_id, lambda j: j.is_finished, what="failed")
    assert (job.status, job.attempts, job.max_attempts) == (JobStatus.FAILED, 2, 2)
    assert job.last_error == f"RuntimeError: boom in job {job_id}"


@pytest.fixture
def immediate_app(database_url, tmp_path):
    """The tests' default: jobs run inline when their transaction commits (QUEUE_IMMEDIATE)."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, JOB_MODULES=("tests.job_kinds",),
                     MAIL_FOLDER=str(tmp_path / "mail"))
    yield app
    close_app(app)


def test_immediate_mode_runs_the_job_when_its_transaction_commits(immediate_app, create_user):
    with immediate_app.app_context():
        actor = create_user(Role.ADMIN)
        job = services.enqueue("test.steps", actor, entity=actor, steps=3)
        assert job.status == JobStatus.QUEUED  # nothing runs before the commit
        db.session.commit()
        job = db.session.get(Job, job.id)
        assert (job.status, job.progress_done, job.actor_id, job.entity, job.entity_id) == (
            JobStatus.DONE, 3, actor.id, "user", actor.id)


def test_domain_error_in_a_task_fails_at_once_with_its_message(immediate_app):
    with immediate_app.app_context(), force_locale("en"):
        job_id = services.enqueue("test.refused", None).id
        db.session.commit()
        job = db.session.get(Job, job_id)
        assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
        assert job.last_error == "The session was cancelled meanwhile."


def test_a_rolled_back_job_never_reaches_the_queue(jobs_app):
    with jobs_app.app_context():
        huey = jobs_app.extensions["centre_queue"]
        services.enqueue("test.steps", None, steps=1)
        db.session.rollback()
        assert huey.pending_count() == 0
        assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0
        services.enqueue("test.steps", None, steps=1)
        db.session.commit()
        assert huey.pending_count() == 1


def test_a_job_enqueued_in_a_rolled_back_savepoint_is_forgotten_the_others_sent(jobs_app):
    with jobs_app.app_context():
        huey = jobs_app.extensions["centre_queue"]
        kept = services.enqueue("test.steps", None, steps=1)
        savepoint = db.session.begin_nested()
        services.enqueue("test.steps", None, steps=2)
        savepoint.rollback()
        with db.session.begin_nested():
            inner = services.enqueue("test.steps", None, steps=3)
        assert huey.pending_count() == 0  # a savepoint released is not a commit: nothing sent yet
        db.session.commit()
        assert sorted(db.session.scalars(sa.select(Job.id))) == sorted([kept.id, inner.id])
        assert huey.pending_count() == 2


def test_reaper_fails_a_job_out_of_attempts_and_resends_a_lost_one(jobs_app):
    with jobs_app.app_context():
        long_ago = utcnow() - timedelta(minutes=5)
        dead = Job(kind="test.steps", params={"steps": 1}, status=JobStatus.RUNNING, attempts=3, max_attempts=3,
                   heartbeat_at=long_ago)
        lost = Job(kind="test.steps", params={"steps": 1}, status=JobStatus.QUEUED, heartbeat_at=long_ago)
        alive = Job(kind="test.steps", params={"steps": 1}, status=JobStatus.RUNNING, attempts=1,
                    heartbeat_at=utcnow())
        db.session.add_all([dead, lost, alive])
        db.session.commit()
        report = services.reap()
        db.session.commit()
        assert (report.failed, report.resent, report.requeued) == ([dead.id], [lost.id], [])
        assert dead.status == JobStatus.FAILED and "given up" in dead.last_error
        assert alive.status == JobStatus.RUNNING
        assert jobs_app.extensions["centre_queue"].pending_count() == 1


@pytest.fixture
def make_app(database_url, tmp_path):
    """make_app(**config) -> an app on the test's database; its connections closed afterwards."""
    apps = []

    def make(**overrides):
        apps.append(create_app("test", SQLALCHEMY_DATABASE_URI=database_url, MAIL_FOLDER=str(tmp_path / "mail"),
                               JOB_MODULES=("tests.job_kinds",), **overrides))
        return apps[-1]

    yield make
    for app in apps:
        close_app(app)


def test_healthz_says_the_queue_is_unavailable_while_other_pages_work(make_app):
    with socket.socket() as probe:  # a port where no Redis listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(QUEUE_URL=f"redis://127.0.0.1:{port}/0", QUEUE_IMMEDIATE=False)
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "queue": "unavailable"}
    assert client.get("/catalogue").status_code == 200
    with app.app_context():  # the user's action succeeds; the job waits, queued, for the reaper to send it
        job_id = services.enqueue("test.steps", None, steps=1).id
        db.session.commit()
        assert db.session.get(Job, job_id).status == JobStatus.QUEUED


@pytest.mark.skipif(not REDIS_URL, reason="no Redis server started (scripts/test.sh starts one)")
def test_healthz_is_ok_with_a_redis_queue(make_app):
    app = make_app(QUEUE_URL=_redis_url(), QUEUE_IMMEDIATE=False)
    assert app.test_client().get("/healthz").get_json() == {"status": "ok", "queue": "ok"}


def test_a_schedule_runs_once_per_due_moment_and_records_its_runs(app):
    reaper = SCHEDULES_BY_NAME["jobs.reap"]
    with app.app_context():
        now = utcnow().replace(second=10)
        assert run_schedule(reaper, now) is True
        assert run_schedule(reaper, now + timedelta(seconds=30)) is False  # another worker, same minute
        assert run_schedule(reaper, now + timedelta(minutes=1)) is True
        run = db.session.get(ScheduleRun, "jobs.reap")
        assert run.last_ok is True and run.last_count == 0
        assert run.next_run_at == reaper.last_due(now) + timedelta(minutes=2)


def test_the_daily_reminder_is_due_at_its_time_in_the_centres_zone(app):
    reminders = SCHEDULES_BY_NAME["reviews.remind"]
    with app.app_context():
        app.config.update(REVIEW_REMINDERS_AT="08:00", BABEL_DEFAULT_TIMEZONE="Africa/Casablanca")
        from datetime import datetime, timezone
        from zoneinfo import ZoneInfo

        zone = ZoneInfo("Africa/Casablanca")
        before = datetime(2026, 12, 2, 7, 59, tzinfo=zone)
        assert reminders.last_due(before) == datetime(2026, 12, 1, 8, 0, tzinfo=zone).astimezone(timezone.utc)
        assert reminders.next_due(before) == datetime(2026, 12, 2, 8, 0, tzinfo=zone).astimezone(timezone.utc)
        assert run_schedule(reminders, before) is True
        assert run_schedule(reminders, before + timedelta(minutes=1)) is True  # 08:00 came
        assert run_schedule(reminders, before + timedelta(hours=3)) is False
        states = {schedule.name: (run, next_at) for schedule, run, next_at in schedule_states(before)}
        assert states["reviews.remind"][0].last_ok is True
        assert states["records.prune"][0] is None


def test_pruning_deletes_only_records_the_rules_no_longer_read(app):
    with app.app_context():
        now = utcnow()
        window = app.config["LOGIN_FAILURE_WINDOW_MINUTES"] + app.config["LOGIN_LOCK_MINUTES"]
        db.session.add_all([
            FailedLogin(email="old@example.org", at=now - timedelta(minutes=window + 1)),
            FailedLogin(email="recent@example.org", at=now - timedelta(minutes=window - 1)),
            VerificationHit(client="1.2.3.4", at=now - timedelta(seconds=app.config["VERIFY_RATE_WINDOW_SECONDS"] + 1)),
            VerificationHit(client="1.2.3.4", at=now),
        ])
        db.session.commit()
        assert prune_records(now) == 2
        db.session.commit()
        assert db.session.scalars(sa.select(FailedLogin.email)).all() == ["recent@example.org"]
        assert db.session.scalar(sa.select(sa.func.count(VerificationHit.id))) == 1


@pytest.fixture
def some_jobs(app):
    with app.app_context():
        failed = Job(kind="test.fails", params={}, status=JobStatus.FAILED, attempts=2, max_attempts=2,
                     last_error="RuntimeError: boom")
        running = Job(kind="test.steps", params={"steps": 4}, status=JobStatus.RUNNING, attempts=1,
                      progress_done=1, progress_total=4, heartbeat_at=utcnow())
        db.session.add_all([failed, running])
        db.session.commit()
        return {"failed": failed.id, "running": running.id}


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_jobs_page_lists_jobs_and_schedules_in_each_language(app, client, login_as, some_jobs, language):
    login_as(Role.COORDINATOR)
    client.set_cookie(app.config["LANGUAGE_COOKIE"], language)
    html = client.get("/admin/jobs/").get_data(as_text=True)
    assert f'lang="{language}"' in html and ('dir="rtl"' in html) == (language == "ar")
    assert "RuntimeError: boom" in html and '<progress max="4" value="1">' in html
    assert "/cancel" not in html  # coordinators read; admins cancel
    filtered = client.get("/admin/jobs/?status=failed").get_data(as_text=True)
    assert f"#{some_jobs['failed']} " in filtered and f"#{some_jobs['running']} " not in filtered


def test_admin_cancels_a_running_job_and_its_run_stops(app, client, login_as, some_jobs):
    login_as(Role.ADMIN)
    assert f"/admin/jobs/{some_jobs['running']}/cancel" in client.get("/admin/jobs/").get_data(as_text=True)
    response = post(client, f"/admin/jobs/{some_jobs['running']}/cancel", form_url="/admin/jobs/")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Job, some_jobs["running"]).status == JobStatus.CANCELLED
        with pytest.raises(services.JobSuperseded):
            services.Progress(some_jobs["running"], 1)(2)
    response = post(client, f"/admin/jobs/{some_jobs['failed']}/cancel", form_url="/admin/jobs/",
                    follow_redirects=True)
    assert response.status_code == 200


def test_cli_lists_and_reaps_jobs(app, runner, some_jobs):
    result = runner.invoke(args=["jobs", "list", "--status", "failed"])
    assert result.exit_code == 0 and f"#{some_jobs['failed']} test.fails failed" in result.output
    assert f"#{some_jobs['running']} " not in result.output
    result = runner.invoke(args=["jobs", "reap"])
    assert result.exit_code == 0 and "0 queued again, 0 failed" in result.output


def test_jobs_page_reads_a_fixed_number_of_statements_whatever_the_jobs(app, client, login_as, count_queries):
    admin_id = login_as(Role.ADMIN)

    def add_jobs(count):
        with app.app_context():
            db.session.add_all(Job(kind="test.steps", params={}, actor_id=admin_id, status=JobStatus.DONE)
                               for _ in range(count))
            db.session.commit()

    add_jobs(2)
    few = count_queries(lambda: client.get("/admin/jobs/"))
    add_jobs(40)
    many = count_queries(lambda: client.get("/admin/jobs/"))
    assert many == few
