"""Password hashes: Argon2id at OWASP's parameters, older hashes replaced at the next sign-in."""
import logging
from datetime import datetime, timezone

import argon2
import pytest
from werkzeug.security import generate_password_hash

from centre.auth import passwords
from config import Config
from centre.auth.services import authenticate, create_user as create_account
from centre.extensions import db
from centre.models import Role, User
from tests.conftest import PASSWORD, post

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
OWASP = "$argon2id$v=19$m=19456,t=2,p=1$"  # OWASP Password Storage Cheat Sheet, Argon2id minimum
ARGON2_KEYS = ("ARGON2_MEMORY_COST", "ARGON2_TIME_COST", "ARGON2_PARALLELISM")


@pytest.fixture
def app(app):
    """The app with the real hash parameters (the test configuration lowers them for speed)."""
    app.config.update({key: getattr(Config, key) for key in ARGON2_KEYS})
    return app


def sign_in(email, password=PASSWORD):
    return authenticate(email, password, ip="203.0.113.7", now=NOW)


@pytest.fixture
def hashes_computed(monkeypatch):
    """How many Argon2 verifications ran (each costs a full hash)."""
    calls = []
    verify = argon2.PasswordHasher.verify

    def counting(self, stored, password):
        calls.append(stored)
        return verify(self, stored, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    return calls


def test_hash_parameters_are_owasp_minimum_for_argon2id(app):
    assert tuple(getattr(Config, key) for key in ARGON2_KEYS) == (19 * 1024, 2, 1)
    with app.app_context():
        hasher = passwords.hasher()
        assert (hasher.type, hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (
            argon2.Type.ID, 19456, 2, 1)
        assert hasher.hash_len == 32 and hasher.salt_len == 16


def test_new_accounts_get_an_argon2id_hash(ctx):
    user = create_account("New@Example.org", "a long password", Role.TRAINEE)
    assert user.password_hash.startswith(OWASP)
    assert user.check_password("a long password") and not user.check_password("a long passwore")


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256"])
def test_an_old_werkzeug_hash_still_signs_in_and_is_replaced_by_argon2id(ctx, create_user, method, caplog):
    user = create_user(Role.TRAINEE)
    user.password_hash = generate_password_hash(PASSWORD, method=method)
    caplog.set_level(logging.DEBUG, logger="centre.auth.services")
    assert sign_in(user.email) is user
    assert user.password_hash.startswith(OWASP)
    assert user.check_password(PASSWORD)
    assert any("rehashed" in record.getMessage() and record.levelno == logging.DEBUG for record in caplog.records)


def test_a_wrong_password_against_an_old_hash_does_not_rehash(ctx, create_user):
    user = create_user(Role.TRAINEE)
    old = user.password_hash = generate_password_hash(PASSWORD, method="scrypt")
    assert sign_in(user.email, "not the password") is None
    assert user.password_hash == old


def test_an_argon2_hash_with_weaker_parameters_is_rehashed(ctx, create_user):
    user = create_user(Role.EXPERT)
    user.password_hash = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    assert passwords.needs_rehash(user.password_hash)
    assert sign_in(user.email) is user
    assert user.password_hash.startswith(OWASP)


def test_a_current_hash_is_kept_at_sign_in(ctx, create_user):
    user = create_user(Role.COORDINATOR)
    current = user.password_hash
    assert sign_in(user.email) is user
    assert user.password_hash == current


def test_the_rehash_is_saved_by_the_sign_in_page(app, client, create_user):
    with app.app_context():
        user = create_user(Role.TRAINEE)
        user.password_hash = generate_password_hash(PASSWORD, method="scrypt")
        email, user_id = user.email, user.id
        db.session.commit()
    response = post(client, "/login", {"email": email, "password": PASSWORD}, form_url="/login")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).password_hash.startswith(OWASP)


def test_a_sign_in_costs_one_hash_whether_or_not_the_account_exists(ctx, create_user, hashes_computed):
    """So that the time a refusal takes does not tell which e-mails have an account."""
    user = create_user(Role.TRAINEE)
    assert sign_in(user.email, "wrong password") is None
    assert sign_in("nobody@example.org", "wrong password") is None
    user.is_active = False
    assert sign_in(user.email) is None
    without = create_user(Role.EXPERT)
    without.password_hash = None  # an invited expert, or an anonymised trainee
    assert sign_in(without.email) is None
    assert len(hashes_computed) == 4


def test_no_password_matches_a_missing_or_broken_hash(ctx):
    assert not passwords.verify_password(None, "no account has this password")
    assert not passwords.verify_password("", "")
    assert not passwords.verify_password("$argon2id$broken", PASSWORD)
