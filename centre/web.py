"""The one write path of the routes: the request's single commit point.

A writing route calls a service through `perform`: on success the request's work is
committed and the success message flashed; on a `DomainError` the work is rolled back and
the refusal shown, next to a form field when one is given, else as a flashed message.
Nothing else in a route commits or rolls back.
"""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash

from centre.errors import DomainError
from centre.extensions import db


@dataclass(frozen=True)
class Outcome:
    """What `perform` did: `ok` (truthy) with the service's `result`, or the `error` shown."""

    ok: bool
    result: Any = None
    error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.ok


def perform(action: Callable[[], Any], success: str | Callable[[Any], str] | None = None,
            field=None, show: bool = True) -> Outcome:
    """Run `action` (a service call) as the request's one write.

    success: the message flashed after the commit, or a function of the action's result
    that returns it. field: a form field whose errors receive the refusal instead of a flash.
    show: False when the route answers in JSON and says the outcome itself (nothing is flashed).
    """
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        if field is not None:
            field.errors.append(str(error))
        elif show:
            flash(str(error), "error")
        return Outcome(False, error=error)
    db.session.commit()
    if success is not None and show:
        flash(str(success(result) if callable(success) else success), "success")
    return Outcome(True, result)
