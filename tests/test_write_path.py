"""The routes' one write path (centre/web.py): commit on success, roll back and show the refusal."""
import sqlalchemy as sa
from flask import get_flashed_messages
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Optional

from centre.errors import DomainError
from centre.extensions import db
from centre.models import Institution
from centre.web import perform


class DateForm(FlaskForm):
    day = DateField("Day", validators=[Optional()])


def _institutions(app) -> list[str]:
    with app.app_context():
        db.session.remove()
        return db.session.scalars(sa.select(Institution.name_fr)).all()


def _add(name):
    institution = Institution(name_fr=name, country="TN")
    db.session.add(institution)
    db.session.flush()
    return institution


def test_success_commits_once_and_flashes_the_message_of_the_result(app):
    with app.test_request_context("/", method="POST"):
        outcome = perform(lambda: _add("Médiateur de la République"),
                          success=lambda i: f"{i.name_fr} is added")
        assert outcome and outcome.result.name_fr == "Médiateur de la République" and outcome.error is None
        assert get_flashed_messages(with_categories=True) == [("success", "Médiateur de la République is added")]
    assert _institutions(app) == ["Médiateur de la République"]


def test_refusal_rolls_back_everything_the_request_wrote_and_flashes_the_reason(app):
    def refuse():
        _add("Written then refused")
        raise DomainError(_l("The session is full (%(n)s places)."), n=30)

    with app.test_request_context("/", method="POST"):
        outcome = perform(refuse, success="never shown")
        assert not outcome and outcome.result is None
        assert str(outcome.error) == "The session is full (30 places)."
        assert get_flashed_messages(with_categories=True) == [("error", "The session is full (30 places).")]
    assert _institutions(app) == []


def test_refusal_goes_next_to_the_field_when_its_errors_are_given(app):
    def refuse():
        raise DomainError(_l("Refused."))

    with app.test_request_context("/", method="POST"):
        form = DateForm(meta={"csrf": False})
        form.validate()
        assert not perform(refuse, errors=form.day.errors)
        assert form.day.errors == ["Refused."]
        assert get_flashed_messages() == []


def test_an_error_that_is_not_a_refusal_propagates_without_commit(app):
    def crash():
        _add("Half written")
        raise RuntimeError("bug")

    with app.test_request_context("/", method="POST"):
        try:
            perform(crash)
        except RuntimeError:
            db.session.rollback()
        else:
            raise AssertionError("the error was swallowed")
    assert _institutions(app) == []


def test_a_caller_that_answers_in_json_has_nothing_flashed(app):
    """show_error=False and no success message: the route says the outcome in its JSON answer,
    and no message waits for the next page (the certificates' bulk issue)."""
    with app.test_request_context("/", method="POST"):
        assert perform(lambda: _add("Ombudsman"), show_error=False)
        refused = perform(lambda: (_add("Défenseur"), _refuse())[0], show_error=False)
        assert not refused and isinstance(refused.error, DomainError)
        assert get_flashed_messages() == []
    assert _institutions(app) == ["Ombudsman"]


def _refuse():
    raise DomainError(_l("No."))
