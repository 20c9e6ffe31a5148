"""Sign-in throttling: failures lock an account, or an address, for a while; `now` is given, nobody sleeps."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from centre.auth.services import SignInLocked, authenticate
from centre.extensions import db
from centre.models import AuditEntry, Role
from tests.conftest import PASSWORD

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
IP = "203.0.113.7"


def minutes(n):
    return T0 + timedelta(minutes=n)


def fail(email, at, ip=IP):
    return authenticate(email, "wrong password", ip=ip, now=at)


def test_five_failures_within_fifteen_minutes_lock_the_account_for_fifteen_minutes(ctx, create_user):
    email = create_user(Role.COORDINATOR).email
    for n in range(4):
        assert fail(email, minutes(n)) is None
    with pytest.raises(SignInLocked) as locked:
        fail(email, minutes(4))
    assert locked.value.until == minutes(19)
    # While locked even the right password is refused, and the refusal does not extend the lock.
    with pytest.raises(SignInLocked) as still:
        authenticate(email, PASSWORD, ip="198.51.100.1", now=minutes(18))
    assert still.value.until == minutes(19)
    user = authenticate(email, PASSWORD, ip=IP, now=minutes(19) + timedelta(seconds=1))
    assert user is not None and user.last_login_at == minutes(19) + timedelta(seconds=1)


def test_failures_spread_wider_than_the_window_do_not_lock(ctx, create_user):
    email = create_user(Role.TRAINEE).email
    for n in range(8):
        assert fail(email, minutes(4 * n)) is None  # never five within 15 minutes
    assert authenticate(email, PASSWORD, ip=IP, now=minutes(33)) is not None


def test_a_successful_sign_in_starts_the_count_again(ctx, create_user):
    email = create_user(Role.EXPERT).email
    for n in range(4):
        fail(email, minutes(n))
    assert authenticate(email, PASSWORD, ip=IP, now=minutes(5)) is not None
    for n in range(6, 10):
        assert fail(email, minutes(n)) is None
    with pytest.raises(SignInLocked):
        fail(email, minutes(10))


def test_an_unknown_email_locks_like_an_account_so_locks_reveal_no_account(ctx):
    for n in range(4):
        assert fail("Nobody@Example.org ", minutes(n)) is None
    with pytest.raises(SignInLocked) as locked:
        fail("nobody@example.org", minutes(4))
    assert locked.value.until == minutes(19)


def test_one_address_failing_on_many_accounts_is_throttled(ctx, create_user):
    email = create_user(Role.TRAINEE).email
    for n in range(19):
        assert fail(f"guess{n}@example.org", minutes(n * 0.5)) is None
    with pytest.raises(SignInLocked) as throttled:
        fail("guess19@example.org", minutes(9.5))
    assert throttled.value.until == minutes(15)  # the oldest of the twenty leaves the window
    with pytest.raises(SignInLocked):
        authenticate(email, PASSWORD, ip=IP, now=minutes(10))
    # Another address is not concerned, and the throttled one reopens.
    assert fail("someone-else@example.org", minutes(10), ip="198.51.100.1") is None
    assert authenticate(email, PASSWORD, ip=IP, now=minutes(15) + timedelta(seconds=1)) is not None


def test_failures_and_the_lock_go_to_the_audit_log(ctx, create_user):
    user = create_user(Role.ADMIN)
    for n in range(4):
        fail(user.email, minutes(n))
    with pytest.raises(SignInLocked):
        fail(user.email, minutes(4))
    fail("ghost@example.org", minutes(5))
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    about_user = [(e.entity, e.entity_id, e.action, e.to_state) for e in entries if e.entity == "user"]
    assert about_user == [("user", user.id, "login_failure", None)] * 5 + [("user", user.id, "login_lock", "locked")]
    assert entries[-2].details["until"] == minutes(19).isoformat() and entries[-2].details["ip"] == IP
    assert (entries[-1].entity, entries[-1].action, entries[-1].details["email"]) == (
        "failed_login", "login_failure", "ghost@example.org")
