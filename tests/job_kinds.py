"""Job kinds for the tests of the background work, imported by the tests' apps and workers
(CENTRE_JOB_MODULES=tests.job_kinds)."""
import time

from flask_babel import lazy_gettext as _l

from centre.errors import DomainError
from centre.extensions import db
from centre.jobs.services import job_kind
from centre.models import AuditEntry


@job_kind("test.steps", _l("Test: steps"))
def run_steps(job, progress):
    """`steps` steps of `seconds` each, each leaving one audit entry; idempotent: a new run
    resumes after the last step committed (job.progress_done) and repeats none."""
    steps, seconds = job.params["steps"], job.params.get("seconds", 0)
    for step in range(job.progress_done, steps):
        time.sleep(seconds)
        db.session.add(AuditEntry(entity="job", entity_id=job.id, action="test_step", details={"step": step}))
        progress(step + 1, steps)
    return {"steps": steps}


@job_kind("test.fails", _l("Test: fails"), max_attempts=2)
def run_fails(job, progress):
    raise RuntimeError(f"boom in job {job.id}")


@job_kind("test.refused", _l("Test: refused"))
def run_refused(job, progress):
    raise DomainError(_l("The session was cancelled meanwhile."))


@job_kind("test.reads_at_end", _l("Test: reads after its last progress"))
def run_reads_at_end(job, progress):
    """Commits its progress, then reads its own row again (expired by that commit), which opens a
    transaction — on SQLite, with the write lock — that the job's end commits; meanwhile the
    heartbeat, beating every 0.2 s in the tests, waits for that lock."""
    progress(1, 1)
    params = dict(job.params)
    time.sleep(0.5)  # a beat falls inside the open transaction
    return {"params": params}
