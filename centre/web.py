"""The one write path of the routes: the request's single commit point.

A writing route calls a service through `perform`: on success the request's work is
committed and the success message flashed; on a `DomainError` the work is rolled back and
the refusal shown, in a form's list of errors when one is given, else as a flashed message.
Nothing else in a route commits or rolls back, but `end_read_transaction` before slow reading.
"""
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, make_response, render_template
from flask_babel import ngettext

from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import format_time
from centre.models.types import utcnow


def enum_or_404(enum_cls, value):
    """The member of `enum_cls` an address names (a status, a decision), else 404."""
    try:
        return enum_cls(value)
    except ValueError:
        abort(404)


def end_read_transaction() -> None:
    """End the request's transaction before slow work that needs no database (reading an uploaded
    file): nothing is written yet, so it is rolled back; the next query opens a new one. On SQLite
    every transaction takes the write lock at its start, which other requests wait for."""
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("end_read_transaction() with changes pending: they would be lost")
    db.session.rollback()


@dataclass(frozen=True)
class Outcome:
    """What `perform` did: `ok` (truthy) with the service's `result`, or the `error` shown."""

    ok: bool
    result: Any = None
    error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.ok


def perform(action: Callable[[], Any], success: str | Callable[[Any], str] | None = None,
            errors: list | None = None, show_error: bool = True, category: str = "success") -> Outcome:
    """Run `action` (a service call) as the request's one write.

    success: the message flashed after the commit, or a function of the action's result
    that returns it (or None, to flash nothing). errors: the list that receives the refusal
    instead of a flash (a field's `errors` after validation, or the form's `form_errors`).
    show_error=False: the caller shows `outcome.error` itself.
    category: the success message's flash category ("info" when it must not confirm anything).
    """
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        if errors is not None:
            errors.append(str(error))
        elif show_error:
            flash(str(error), "error")
        return Outcome(False, error=error)
    db.session.commit()
    message = success(result) if callable(success) else success
    if message is not None:
        flash(str(message), category)
    return Outcome(True, result)


def throttled_answer(until, template: str, **context):
    """429 for a page closed until `until` (too many requests): what was counted is committed,
    the time it reopens is said in words and in Retry-After."""
    db.session.commit()  # the refused request counts, and its audit entry stays
    seconds = max(math.ceil((until - utcnow()).total_seconds()), 1)
    minutes = math.ceil(seconds / 60)
    flash(ngettext("Too many requests. Please try again in %(num)d minute, at %(time)s.",
                   "Too many requests. Please try again in %(num)d minutes, at %(time)s.",
                   minutes, time=format_time(until)), "error")
    response = make_response(render_template(template, **context), 429)
    response.headers["Retry-After"] = str(seconds)
    return response
