"""benchmarks/load.py's pure helpers, so that a typo shows before someone runs the benchmark
(the benchmark itself needs gunicorn and a PostgreSQL server and is not run here)."""
import importlib.util
import math
import sys
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "load.py"
spec = importlib.util.spec_from_file_location("centre_load_benchmark", PATH)
load = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = load  # dataclasses look the module up
spec.loader.exec_module(load)


def test_percentile_interpolates_between_ranks():
    values = [5, 1, 4, 2, 3]
    assert load.percentile(values, 0) == 1
    assert load.percentile(values, 50) == 3
    assert load.percentile(values, 100) == 5
    assert load.percentile(values, 90) == pytest.approx(4.6)
    assert load.percentile([7], 99) == 7
    assert math.isnan(load.percentile([], 50))


def test_summarize_gives_rate_and_milliseconds():
    summary = load.summarize([0.1, 0.2, 0.3, 0.4], elapsed=2.0)
    assert summary["count"] == 4
    assert summary["rps"] == 2.0
    assert summary["p50"] == pytest.approx(250)
    assert summary["max"] == pytest.approx(400)
    assert "req/s" in load.format_summary("phase", summary)


def counts(**overrides):
    values = {"registrations": 300, "trainees": 300, "duplicates": 0, "accepted": 30, "waitlisted": 270,
              "pending": 0, "rejected": 0, "cancelled": 0}
    values.update(overrides)
    return values


def test_check_final_accepts_a_clean_run():
    assert load.check_final(counts(), submitted=300, capacity=30) == []


@pytest.mark.parametrize("overrides, submitted, words", [
    ({"registrations": 299, "trainees": 299, "waitlisted": 269}, 300, "lost"),
    ({"registrations": 301, "trainees": 301, "waitlisted": 271}, 300, "unexpected"),
    ({"duplicates": 1}, 300, "more than one"),
    ({"accepted": 31, "waitlisted": 269}, 300, "overbooking"),
    ({"pending": 5}, 300, "add up"),
])
def test_check_final_names_each_problem(overrides, submitted, words):
    problems = load.check_final(counts(**overrides), submitted=submitted, capacity=30)
    assert any(words in problem for problem in problems), problems


def test_visitor_forms_are_unique_and_complete():
    forms = [load.visitor_form(n, "abc123", [4, 7], "tok") for n in range(300)]
    assert len({f["email"] for f in forms}) == 300
    assert len({f["passport_number"] for f in forms}) == 300
    for form in forms:
        assert form["password"] == form["password_again"] and len(form["password"]) >= 8
        assert form["institution_id"] in {"0", "4", "7"}
        assert form["institution_id"] != "0" or form["institution_other"]


def test_csrf_token_and_free_port():
    assert load.csrf_token('<input type="hidden" name="csrf_token" value="abc.def">') == "abc.def"
    assert load.csrf_token("<p>no form</p>") is None
    assert 0 < load.free_port() < 65536


def test_hash_floor_is_cores_over_hash_time_and_the_ratio_is_printed():
    assert load.hash_floor(2, 0.02) == pytest.approx(100)
    assert math.isnan(load.hash_floor(2, 0))
    line = load.format_hash_floor(80, 2, 0.02)
    assert "100.0 registrations/s" in line and "0.80× the floor" in line


def test_measure_hash_is_the_median_of_timed_hashes():
    calls = []
    assert load.measure_hash(calls.append, count=5) >= 0
    assert len(calls) == 6 and calls[0] == "warm-up password" and len(set(calls[1:])) == 5
