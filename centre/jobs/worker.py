"""`python -m centre.jobs.worker`: a worker process running the app's jobs and schedules.

SIGTERM (systemd, honcho, docker stop) and SIGINT (Ctrl-C) both shut down gracefully: the
running jobs finish, no new one starts; a second signal interrupts them. Huey's consumer
takes SIGINT as graceful and SIGTERM as immediate unless told, so it is told.
"""
import argparse
import logging
import signal

from centre import create_app


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
    consumer = huey.create_consumer(
        workers=options.workers or app.config["WORKER_THREADS"],
        worker_type=options.worker_type,
        periodic=not options.no_schedules,
        graceful_signal="TERM",
        check_worker_health=True,
        max_delay=1.0,  # a new job waits at most a second for an idle worker to look
    )
    # Huey takes the other signal (here SIGINT) as "interrupt now"; Ctrl-C should be graceful too.
    signal.signal(signal.SIGINT, lambda signum, frame: signal.raise_signal(signal.SIGTERM))
    consumer.run()


if __name__ == "__main__":
    main()
