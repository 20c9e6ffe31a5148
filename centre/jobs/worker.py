"""`python -m centre.jobs.worker`: a worker process running the app's jobs and schedules.

SIGTERM (systemd, honcho, docker stop) and SIGINT (Ctrl-C) both shut down gracefully: the
running jobs finish, no new one starts; the same signal a second time interrupts them. Huey's
consumer takes SIGINT as graceful and SIGTERM as immediate unless told (graceful_signal="TERM"
swaps them), so SIGTERM is made the graceful one and SIGINT graceful too.
"""
import argparse
import logging
import signal

from huey.consumer import Consumer

from centre import create_app
from centre.certificates.rendering import warm_up
from centre.extensions import db
from centre.jobs.services import reap

READY = "Signal handlers set: SIGTERM and SIGINT shut down gracefully."


class GracefulConsumer(Consumer):
    """Huey's consumer with SIGINT graceful as well as SIGTERM (Huey interrupts on the other one)."""

    def _set_signal_handlers(self):
        self._signal_actions[signal.SIGINT] = (False, True)  # (restart, graceful)
        super()._set_signal_handlers()
        self._logger.info(READY)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m centre.jobs.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None,
                        help="Jobs run at once (default: CENTRE_WORKER_THREADS, 2).")
    parser.add_argument("--worker-type", choices=("thread", "process"), default="thread",
                        help="Threads (the default) or processes, for work that is mostly computation.")
    parser.add_argument("--no-schedules", action="store_true",
                        help="Leave the schedules to other workers (they share them safely anyway).")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    for name in ("huey", "centre.jobs"):
        logging.getLogger(name).setLevel(logging.INFO)
    app = create_app()
    huey = app.extensions["centre_queue"]
    if huey.immediate:
        raise SystemExit("CENTRE_QUEUE_IMMEDIATE is on: jobs run inline, there is nothing for a worker to do.")
    with app.app_context():  # a worker that starts takes over at once the jobs of one that died
        reap()
        db.session.commit()
        # The first bulk issue need not wait for its rendering processes to start: they start
        # now, in the background (threads share them; processes forked by Huey could not), and
        # each logs RENDERING_READY once it has.
        if options.worker_type == "thread":
            warm_up()
    consumer = GracefulConsumer(
        huey,
        workers=options.workers or app.config["WORKER_THREADS"],
        worker_type=options.worker_type,
        periodic=not options.no_schedules,
        graceful_signal="TERM",
        check_worker_health=True,
        max_delay=0.25,  # a new job waits at most a quarter of a second for an idle worker to look (SQLite
        # storage: a worker polls it with a one-row read; Redis wakes a waiting worker at once)
    )
    consumer.run()


if __name__ == "__main__":
    main()
