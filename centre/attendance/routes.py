from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from centre.attendance import bp
from centre.attendance import services
from centre.attendance import signatures
from centre.attendance.forms import CheckInForm, GridForm, MarkForm, ReasonForm, SignatureForm
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import format_datetime, format_time
from centre.materials.services import sessions_taught
from centre.models import MarkStatus, Registration, SessionStatus
from centre.models.types import utcnow
from centre.permissions import get_slot, get_training_session
from centre.registrations.services import accepted_registrations
from centre.urls import absolute_url
from centre.web import perform


def session_rate_text(totals) -> str:
    return _("Session attendance rate: %(rate)s %% (slots attended: %(present)s; counted: %(counted)s; excused: %(excused)s).",
             rate=totals.percent, present=totals.present, counted=totals.counted, excused=totals.excused)


def _grid_page(training_session, form, status=200):
    registrations = accepted_registrations(training_session)
    figures = services.session_figures(training_session, [r.id for r in registrations])
    return render_template(
        "attendance/grid.html", s=training_session, form=form, registrations=registrations,
        marks=services.marks_of(training_session), statuses=list(MarkStatus), figures=figures,
        signed=signatures.session_signatures(training_session),
        session_rate=session_rate_text(services.total(figures.values())),
        editable=training_session.status in services.MARKING_STATUSES,
        correcting=training_session.status == SessionStatus.COMPLETED, recorded_text=recorded_text,
    ), status


@bp.route("/session/<int:session_id>", methods=["GET", "POST"])
def grid(session_id):
    """The grid; its form saves every cell at once when the page's script does not run."""
    training_session = get_training_session(session_id)
    form = GridForm()
    if request.method == "GET":
        return _grid_page(training_session, form)
    cells = form.cells(request.form) if form.validate_on_submit() else None
    if cells is None:
        abort(400)
    marks, notes = cells
    if not perform(lambda: services.save_marks(training_session, marks, current_user, notes=notes,
                                               reason=form.reason.data or ""), success=_marks_saved):
        return _grid_page(training_session, form, 409)
    return redirect(url_for("attendance.grid", session_id=session_id))


def _marks_saved(changed: int) -> str:
    return ngettext("%(num)d mark saved.", "%(num)d marks saved.", changed)


def mark_json(mark, figures) -> dict:
    return {
        "status": mark.status.value if mark else "",
        "note": mark.note if mark else "",
        "recorded": recorded_text(mark) if mark else "",
        "rate": f"{figures.percent} %",
        "excused": figures.excused,
    }


def recorded_text(mark) -> str:
    if mark.recorded_by is None:
        return _("Recorded on %(when)s", when=format_datetime(mark.recorded_at))
    who = mark.recorded_by.full_name or mark.recorded_by.email
    return _("Recorded by %(who)s, %(when)s", who=who, when=format_datetime(mark.recorded_at))


@bp.route("/session/<int:session_id>/mark", methods=["POST"])
def save_mark(session_id):
    """One cell, saved by the grid's script as soon as it changes; answers JSON."""
    training_session = get_training_session(session_id)
    form = MarkForm()
    if not form.validate_on_submit():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        return jsonify(error=str(errors[0]) if errors else _("The request could not be understood.")), 400
    key = form.registration_id.data, form.slot_id.data
    marks = {key: MarkStatus(form.status.data)} if form.status.data else {}
    done = perform(lambda: services.save_marks(training_session, marks, current_user,
                                               notes={key: form.note.data or ""}, reason=form.reason.data or ""),
                   show_error=False)
    if not done:
        return jsonify(error=str(done.error)), 409
    changed = done.result
    mark = services.marks_of(training_session, [key]).get(key)
    all_figures = services.session_figures(
        training_session, sorted(services.accepted_registration_ids(training_session)))
    return jsonify(saved=changed, message=_("Saved.") if changed else _("Nothing to change."),
                   session_rate=session_rate_text(services.total(all_figures.values())),
                   **mark_json(mark, all_figures[key[0]]))


@bp.route("/session/<int:session_id>/slot/<int:slot_id>/everyone-present", methods=["POST"])
def everyone_present(session_id, slot_id):
    training_session = get_training_session(session_id)
    slot = get_slot(slot_id, training_session)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    perform(lambda: services.mark_everyone_present(training_session, slot, current_user,
                                                   reason=form.reason.data or ""), success=_marks_saved)
    return redirect(url_for("attendance.grid", session_id=session_id))


@bp.route("/session/<int:session_id>/eligibility")
def eligibility(session_id):
    training_session = get_training_session(session_id)
    rows = services.eligibility_list(training_session)
    return render_template("attendance/eligibility.html", s=training_session, rows=rows,
                           totals=services.total(row.figures for row in rows))


@bp.route("/session/<int:session_id>/sign-in-sheet.pdf")
def sign_in_sheet(session_id):
    """The whole session's sheet, or one slot's with ?slot=<id>."""
    training_session = get_training_session(session_id)
    slot_id = request.args.get("slot", type=int)
    if "slot" in request.args and slot_id is None:
        abort(404)
    slot = get_slot(slot_id, training_session) if slot_id is not None else None
    try:
        pdf = services.sign_in_sheet(training_session, slot)
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for("attendance.grid", session_id=session_id))
    name = services.file_name(training_session, f"sign-in-{slot.id}" if slot else "sign-in", "pdf")
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.route("/session/<int:session_id>/check-in")
def check_in_screen(session_id):
    """The room screen: this minute's QR code for the slot under way; the page refreshes itself."""
    training_session = get_training_session(session_id)
    now = utcnow()
    slot = services.current_slot(training_session, now)
    url = qr = None
    if slot is not None and training_session.status == SessionStatus.IN_PROGRESS:
        url = absolute_url("attendance.check_in", slot_id=slot.id, code=services.checkin_code(slot, now))
        qr = services.qr_svg(url)
    return render_template(
        "attendance/check_in_screen.html", s=training_session, slot=slot, url=url, qr=qr,
        next_slot=services.next_slot(training_session, now),
        late_after=services.late_after(slot) if slot else None,
        refresh=61 - now.second,  # just after the code changes
    )


@bp.route("/check-in/<int:slot_id>/<code>", methods=["GET", "POST"])
def check_in(slot_id, code):
    """A trainee scanned the room's QR code: confirm, and be marked present (or late)."""
    slot = get_slot(slot_id)
    form = CheckInForm()
    if form.validate_on_submit():
        done = perform(lambda: services.check_in(slot, code, current_user), show_error=False,
                       success=lambda mark: _("You are checked in: %(status)s.", status=mark.status.label))
        if done:
            return redirect(url_for("registrations.mine"))
        error = done.error
    elif request.method == "POST":
        abort(400)
    else:
        try:  # only reads: is this trainee expected in this slot, with this code?
            services.checkin_registration(slot, code, current_user)
            error = None
        except DomainError as refused:
            error = refused
    if error is not None:
        return render_template("attendance/check_in.html", slot=slot, form=None, error=str(error)), 409
    return render_template("attendance/check_in.html", slot=slot, form=form, error=None)


# Signed sign-in ------------------------------------------------------------------------------


def _refused(template: str, error, status: int | None = None, **context):
    return render_template(template, error=str(error), form=None, **context), \
        status or getattr(error, "status", 409)


@bp.route("/sign/<int:slot_id>", methods=["GET", "POST"])
def sign(slot_id):
    """A trainee signs the half-day under way on their phone (the canvas of static/js/signature.js)."""
    slot = get_slot(slot_id)
    form = SignatureForm()
    own = signatures.own_registration(slot, current_user)
    context = {"slot": slot, "s": slot.training_session}
    if request.method == "POST":
        if not form.validate_on_submit():
            return _refused("attendance/sign.html", _("The signature could not be read. Sign again."), 400, **context)
        registration = db.get_or_404(Registration, form.registration_id.data) if form.registration_id.data else own
        done = perform(lambda: signatures.sign(slot, registration, current_user, form.signature.data,
                                               request.remote_addr), show_error=False,
                       success=lambda signature: _("Signed at %(time)s: %(status)s.",
                                                   time=format_time(signature.signed_at),
                                                   status=signature.mark_status.label))
        if done:
            return redirect(url_for("registrations.mine"))
        return _refused("attendance/sign.html", done.error, **context)
    try:  # only reads: may this trainee sign now?
        signatures.check_can_sign(slot, own, current_user, utcnow())
    except DomainError as refused:
        return _refused("attendance/sign.html", refused, **context)
    form.registration_id.data = own.id
    return render_template("attendance/sign.html", form=form, error=None, registration=own, **context)


@bp.route("/countersign/<int:slot_id>", methods=["GET", "POST"])
def countersign(slot_id):
    """The session's trainer reads who signed the half-day and countersigns the list from their phone."""
    slot = get_slot(slot_id)
    form = SignatureForm()
    context = {"slot": slot, "s": slot.training_session, "signed": signatures.slot_signatures(slot),
               "data_url": signatures.data_url}
    if request.method == "POST":
        if not form.validate_on_submit():
            return _refused("attendance/countersign.html", _("The signature could not be read. Sign again."), 400,
                            **context)
        done = perform(lambda: signatures.countersign(slot, current_user, form.signature.data, request.remote_addr),
                       show_error=False,
                       success=lambda c: ngettext("Countersigned: %(num)d signature.",
                                                  "Countersigned: %(num)d signatures.", len(c.signature_ids)))
        if done:
            return redirect(url_for("attendance.teaching"))
        return _refused("attendance/countersign.html", done.error, **context)
    try:
        signatures.check_can_countersign(slot, current_user, utcnow())
    except DomainError as refused:
        return _refused("attendance/countersign.html", refused, **context)
    return render_template("attendance/countersign.html", form=form, error=None, **context)


@bp.route("/teaching")
def teaching():
    """A trainer's half-days whose sign-in they may countersign now."""
    return render_template("attendance/teaching.html", slots=signatures.slots_to_countersign(current_user),
                           sessions=sessions_taught(current_user))
