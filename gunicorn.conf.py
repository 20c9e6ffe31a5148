"""gunicorn's settings (read from this folder): `make serve`, or `gunicorn wsgi:app`.

Workers and address come from the environment; gunicorn's own messages are JSON lines like
the app's request log, and gunicorn writes no access log of its own (the app logs each request).
"""
import os

wsgi_app = "wsgi:app"
bind = os.environ.get("CENTRE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# A certificate is rendered in the request that issues it: give it time on a busy machine.
timeout = int(os.environ.get("CENTRE_WORKER_TIMEOUT", "60"))
accesslog = None
# No control socket in the service account's home: several instances may run on one host.
control_socket_disable = True
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "centre.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": "WARNING", "handlers": []},
    "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
}
