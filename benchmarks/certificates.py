"""Bulk certificate issue against its floor, through the queue as a coordinator starts it.

Starts a real jobs worker (python -m centre.jobs.worker, its job rendering in --workers
processes) on a scratch database and queue, then times bulk issues of N bilingual certificates
from the moment the job is queued to the moment its row says done — everything included:
eligibility, numbers reserved under the row lock, QR codes, rendering, hashing, storage, audit,
the job's progress. For comparison it also times the same work called in this process
(issue_for_session, no queue), and the floor: WeasyPrint rendering the same N pages of HTML as
one single document in this one process.

    .venv/bin/python benchmarks/certificates.py [--n 200] [--workers 2] [--large 2000]

Runs against a scratch SQLite database (or DATABASE_URL if set), brought to head by the
migrations, and a scratch SQLite queue (or CENTRE_QUEUE_URL). Prints each time, certificates
per second and the ratio to the floor; --large N' also times one job of N' certificates
(0: skip it).
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def start_worker(scratch: str, url: str, queue_url: str, workers: int | None, rendering: int) -> subprocess.Popen:
    """A jobs worker on the scratch database and queue; returns once it listens and, with more than
    one rendering process, once they have started (as they do in the background when a worker starts)."""
    from centre.certificates.rendering import RENDERING_READY
    from centre.jobs.worker import READY

    env = {**os.environ, "CENTRE_ENV": "development", "DATABASE_URL": url, "CENTRE_QUEUE_URL": queue_url,
           "CENTRE_QUEUE_IMMEDIATE": "0", "CENTRE_PUBLIC_BASE_URL": "https://centre.example.ma",
           "MAIL_FOLDER": f"{scratch}/mail", "CENTRE_INSTANCE_DIR": scratch, "PYTHONPATH": str(ROOT)}
    if workers is not None:
        env["CENTRE_CERTIFICATE_WORKERS"] = str(workers)
    log_path = Path(scratch) / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "centre.jobs.worker", "--workers", "1", "--no-schedules"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    def started(log: str) -> bool:  # listening, and each rendering process has logged that it is ready
        return READY in log and (rendering <= 1 or log.count(RENDERING_READY) >= rendering)

    while not started(log_path.read_text(errors="replace")):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"The worker did not start:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.1)
    return worker


def through_the_queue(training_session, n: int) -> float:
    """Seconds from queueing the session's bulk issue to its job's row saying done."""
    from centre.certificates.bulk import start_bulk_issue
    from centre.extensions import db
    from centre.models import Job, JobStatus

    started = time.perf_counter()
    job = start_bulk_issue(training_session, None, False, None)
    db.session.commit()  # the job reaches the queue here
    job_id = job.id
    while True:
        job = db.session.get(Job, job_id)
        finished = job.is_finished
        db.session.rollback()  # ends the read (on SQLite every transaction takes the write lock)
        if finished:
            break
        time.sleep(0.02)
    job = db.session.get(Job, job_id)
    elapsed = time.perf_counter() - started
    if job.status != JobStatus.DONE or job.result["issued"] != n:
        raise SystemExit(f"Job {job_id} ended {job.status}: {job.last_error} {job.result}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="certificates to issue (default 200)")
    parser.add_argument("--workers", type=int, default=None, help="rendering processes (default: one a core)")
    parser.add_argument("--large", type=int, default=2000, help="certificates of one more, larger job (0: none)")
    args = parser.parse_args()

    import flask_migrate

    from centre import create_app
    from centre.certificates import bulk, printing, verification
    from centre.certificates.rendering import shutdown, workers
    from centre.extensions import db
    from centre.models import DocumentLanguage
    from centre.pdf import render_pdf
    from centre.seed.bulk import completed_session
    from centre.signing import DEV_PASSPHRASE, make_dev_key

    scratch = tempfile.mkdtemp(prefix="centre-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{scratch}/bench.sqlite3"
    # Every certificate is signed: a throw-away key, for this process and the worker it starts.
    os.environ["CENTRE_SIGNING_KEY"] = str(make_dev_key(Path(scratch) / "signing.p12").key_path)
    os.environ["CENTRE_SIGNING_PASSPHRASE"] = DEV_PASSPHRASE
    queue_url = os.environ.get("CENTRE_QUEUE_URL") or f"sqlite:///{scratch}/queue.sqlite3"
    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, DEBUG=False, CERTIFICATE_WORKERS=args.workers,
                     PUBLIC_BASE_URL="https://centre.example.ma", MAIL_FOLDER=f"{scratch}/mail",
                     QUEUE_URL=queue_url, QUEUE_IMMEDIATE=False)
    with app.app_context():
        flask_migrate.upgrade()
        stamp = str(int(time.time()))
        sessions = [completed_session(args.n, f"B{stamp}{i}") for i in range(3)]
        large = completed_session(args.large, f"B{stamp}L") if args.large else None
        print(f"N = {args.n} bilingual certificates, {workers()} rendering processes, {os.cpu_count()} cores, "
              f"database {db.engine.dialect.name}, queue {queue_url.split(':')[0]}")

        worker = start_worker(scratch, url, queue_url, args.workers, workers())
        try:
            queued_cold = through_the_queue(sessions[0], args.n)
            queued_warm = through_the_queue(sessions[1], args.n)
            queued_large = through_the_queue(large, args.large) if large else None
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(60)

        started = time.perf_counter()
        issued, _ = bulk.issue_for_session(sessions[2], DocumentLanguage.BILINGUAL, None)
        in_process = time.perf_counter() - started
        assert len(issued) == args.n

        # The floor: the same N pages, one document, one process, WeasyPrint warmed up first.
        with app.test_request_context():
            signatures = printing.signature_images({s["id"] for c in issued for s in c.printed["signatories"]})
            jobs = [printing.RenderJob(c.language.value, c.printed, c.verification_code,
                                       verification.verification_url(c.verification_code)) for c in issued]
            printing.render_job(jobs[0], signatures)
            pages = [printing.certificate_page(job, signatures) for job in jobs]
            started = time.perf_counter()
            document = render_pdf("pdf/document.html", pages=pages, title="floor")
            floor = time.perf_counter() - started
        assert document.startswith(b"%PDF")
    shutdown()

    def line(label, seconds, n=args.n):
        print(f"{label:<56} {seconds:7.2f} s  {n / seconds:6.1f} certificates/s  "
              f"{seconds / (floor * n / args.n):5.2f} x floor")

    line("queued job, first after the worker started", queued_cold)
    line("queued job, next (rendering processes running)", queued_warm)
    if queued_large is not None:
        line(f"queued job of N = {args.large} (floor scaled to N)", queued_large, args.large)
    line("in this process, no queue (rendering processes start)", in_process)
    line("floor: one N-page document, one process", floor)


if __name__ == "__main__":
    main()
