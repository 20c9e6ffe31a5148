"""Structured logs: one JSON line per record, and one record per request with its request id."""
import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import g, request
from flask.logging import default_handler
from flask_login import current_user

#: The fields of a request record, in the order they are written.
REQUEST_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id", "remote_addr")
#: A request id taken from the X-Request-ID header must look like one (no spaces, quotes or newlines).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
REQUEST_ID_HEADER = "X-Request-ID"
request_logger = logging.getLogger("centre.request")


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, message, and the request fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(app) -> None:
    """Send the app's loggers (`centre`, `centre.request`) to stderr as JSON, once per process."""
    app.logger.removeHandler(default_handler)
    logger = logging.getLogger("centre")
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    logger.propagate = False  # not twice, when a tool (Alembic) gives the root logger a handler


def request_id() -> str:
    """This request's id: the caller's X-Request-ID if it looks like one, else a new one."""
    if "request_id" not in g:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    return g.request_id


def _start_request():
    g.started = time.perf_counter()
    request_id()


def _log_request(response):
    response.headers[REQUEST_ID_HEADER] = request_id()
    started = g.get("started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    level = logging.ERROR if response.status_code >= 500 else logging.INFO
    request_logger.log(level, "%s %s %s", request.method, request.path, response.status_code, extra={
        "request_id": request_id(),
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": duration_ms,
        "user_id": str(current_user.id) if current_user.is_authenticated else None,  # not get_id: its token
        "remote_addr": request.remote_addr,
    })
    return response


def register_request_logging(app) -> None:
    configure_logging(app)
    # First of all before_request functions, so that the time includes them and a request
    # refused early (CSRF, access) is logged with its id and duration too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_log_request)
