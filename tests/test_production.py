"""Running in production: the health check and the structured request log."""
import io
import json
import logging

import pytest

from centre import create_app
from centre.logs import JsonFormatter, request_logger


def test_health_check_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "queue": "ok"}


def test_health_check_answers_503_when_the_database_does_not(tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'no.sqlite3'}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


@pytest.fixture
def request_log():
    """The request log's lines, as the JSON objects written."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    request_logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        request_logger.removeHandler(handler)


def test_each_request_is_one_json_line_with_its_id_user_status_and_duration(client, login_as, request_log):
    user_id = login_as("coordinator")
    response = client.get("/sessions/", headers={"X-Request-ID": "lb-1234.abc"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "lb-1234.abc"
    entry = request_log()[-1]
    assert set(entry) >= {"time", "level", "request_id", "method", "path", "status", "duration_ms", "user_id"}
    assert entry["request_id"] == "lb-1234.abc"
    assert (entry["method"], entry["path"], entry["status"], entry["level"]) == ("GET", "/sessions/", 200, "INFO")
    assert entry["user_id"] == str(user_id)
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert entry["time"].endswith("+00:00")


def test_request_id_is_made_up_when_missing_or_not_an_id(client, request_log):
    first = client.get("/login")
    second = client.get("/no/such/page", headers={"X-Request-ID": 'x" injected=1'})
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert len(set(ids)) == 2 and all(len(i) == 32 and i.isalnum() for i in ids)
    entries = request_log()
    assert [e["request_id"] for e in entries] == ids
    assert entries[0]["user_id"] is None and entries[1]["status"] == 404
