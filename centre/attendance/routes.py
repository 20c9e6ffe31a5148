from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from centre.attendance import bp
from centre.attendance import services
from centre.attendance.forms import GridForm
from centre.errors import DomainError
from centre.extensions import db
from centre.models import MarkStatus
from centre.permissions import get_training_session
from centre.registrations.services import accepted_registrations


@bp.route("/session/<int:session_id>", methods=["GET", "POST"])
def grid(session_id):
    training_session = get_training_session(session_id)
    form = GridForm()
    status = 200
    if request.method == "POST":
        marks = form.marks(request.form) if form.validate_on_submit() else None
        if marks is None:
            abort(400)
        try:
            changed = services.save_marks(training_session, marks, current_user)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            status = 409
        else:
            db.session.commit()
            flash(ngettext("%(num)d mark saved.", "%(num)d marks saved.", changed), "success")
            return redirect(url_for("attendance.grid", session_id=session_id))
    registrations = accepted_registrations(training_session)
    return render_template(
        "attendance/grid.html", s=training_session, form=form, registrations=registrations,
        marks=services.marks_of(training_session), statuses=list(MarkStatus),
        figures=services.session_figures(training_session, [r.id for r in registrations]),
        editable=training_session.status in services.MARKING_STATUSES,
    ), status
