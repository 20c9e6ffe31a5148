"""The queue: one Huey instance per app, built from its configuration.

CENTRE_QUEUE_URL names the storage: `sqlite:///path` (the default, instance/queue.sqlite3, enough
for one machine) or `redis://host:port/db` (several app servers and workers sharing work).
The queue carries only job ids (and the schedules' ticks); the job's row in the app's
database is the truth. QUEUE_IMMEDIATE runs each job inline when it is sent (the tests).
"""
import importlib
import logging
import os
from pathlib import Path

from huey import RedisHuey, SqliteHuey
from sqlalchemy.engine import make_url

from centre.extensions import db
from centre.jobs.schedules import SCHEDULES, run_schedule
from centre.jobs.services import execute_job, register_session_hooks

logger = logging.getLogger(__name__)

RUN_JOB = "centre.run_job"


def build_queue(app):
    """The app's Huey instance with the job task and the schedules registered on it."""
    url = app.config["QUEUE_URL"]
    common = {"name": "centre", "results": False, "utc": True, "immediate": app.config["QUEUE_IMMEDIATE"]}
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Short timeouts: a Redis server that is down makes /healthz and enqueue fail fast.
        huey = RedisHuey(url=url, **common)
        huey.storage.pool.connection_kwargs.update(socket_connect_timeout=2, socket_timeout=5)
    elif url.startswith("sqlite:///"):
        path = Path(make_url(url).database)
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(filename=str(path), **common)
    else:
        raise RuntimeError(f"CENTRE_QUEUE_URL must start with sqlite:/// or redis://, not {url!r}")
    huey.flask_app = app
    huey.flask_app_pid = os.getpid()

    @huey.task(name=RUN_JOB)
    def run_job(job_id):
        with worker_app(huey).app_context():
            execute_job(job_id)

    huey.run_job = run_job
    register_schedules(huey)
    return huey


def register_schedules(huey) -> None:
    """One periodic Huey task per schedule, ticking every minute (the schedule decides if it is due)."""
    for schedule in SCHEDULES:
        def tick(schedule=schedule):
            with worker_app(huey).app_context():
                run_schedule(schedule)

        huey.periodic_task(lambda timestamp: True, name=f"schedule.{schedule.name}")(tick)


def worker_app(huey):
    """The app a task runs in: the one the queue was built for; after a fork (process
    workers) the inherited database connections are dropped, once per process."""
    app = huey.flask_app
    if huey.flask_app_pid != os.getpid():
        with app.app_context():
            db.engine.dispose(close=False)
        huey.flask_app_pid = os.getpid()
    return app


def queue_is_available(app) -> bool:
    """Whether the queue's storage answers (for /healthz): Redis pings, SQLite counts."""
    huey = app.extensions["centre_queue"]
    try:
        if isinstance(huey, RedisHuey) and not huey.immediate:
            huey.storage.conn.ping()
        else:
            huey.pending_count()
    except Exception:
        logger.warning("The queue does not answer", exc_info=True)
        return False
    return True


def init_queue(app) -> None:
    app.extensions["centre_queue"] = build_queue(app)
    register_session_hooks()
    for module in app.config["JOB_MODULES"]:
        importlib.import_module(module)
