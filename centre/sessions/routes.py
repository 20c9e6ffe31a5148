from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from centre.clock import today
from centre.forms import ConfirmForm
from centre.i18n import current_language
from centre.joining.services import notify_changes
from centre.models import SessionStatus, SlotPart
from centre.pagination import paginate, requested_page
from centre.permissions import get_expert, get_slot, get_trainer, get_training_session
from centre.sessions import bp
from centre.sessions import services
from centre.sessions.forms import (
    DuplicateForm,
    FilterForm,
    SessionForm,
    SlotForm,
    SlotHoursForm,
    TrainerForm,
    TransitionForm,
)
from centre.sessions.pages import render_detail
from centre.web import enum_or_404, perform


@bp.route("/")
def index():
    form = FilterForm(request.args)
    form.validate()
    page = paginate(services.sessions_query(**form.filters()), requested_page())
    return render_template("sessions/index.html", sessions=page.items, page=page, form=form)


@bp.route("/calendar")
def calendar():
    first = services.calendar_month(request.args.get("month", ""), today())
    previous = (first - date.resolution).replace(day=1)
    following = (first.replace(day=28) + 4 * date.resolution).replace(day=1)
    previous = previous if previous >= services.EARLIEST_DAY else None
    following = following if following <= services.LATEST_DAY else None
    return render_template("sessions/calendar.html", first=first, previous=previous, following=following,
                           weeks=services.month_calendar(first.year, first.month))


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = SessionForm()
    if form.validate_on_submit():
        done = perform(lambda: services.create_session(current_user, **form.session_fields()), errors=form.code.errors,
                       success=lambda created: ngettext("Session %(code)s is created with %(num)d slot.",
                                                        "Session %(code)s is created with %(num)d slots.",
                                                        len(created.slots), code=created.code))
        if done:
            return redirect(url_for("sessions.detail", session_id=done.result.id))
    return render_template("sessions/form.html", form=form, s=None), 400 if form.errors else 200


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
def edit(session_id):
    training_session = get_training_session(session_id)
    form = SessionForm()
    if request.method == "GET":
        form.load(training_session)
    elif form.validate_on_submit():
        def update_and_tell():
            changed = services.update_session(training_session, current_user, **form.session_fields())
            return changed, notify_changes(training_session, changed, current_user)

        if perform(update_and_tell, success=_session_saved):
            return redirect(url_for("sessions.detail", session_id=session_id))
    status = 400 if request.method == "POST" else 200
    return render_template("sessions/form.html", form=form, s=training_session), status


def _session_saved(result) -> str | None:
    changed, told = result
    if told:
        return ngettext("The session is saved; %(num)d trainee already convoked is told of the change.",
                        "The session is saved; %(num)d trainees already convoked are told of the change.", told)
    return _("The session is saved.") if changed else None


@bp.route("/<int:session_id>/duplicate", methods=["GET", "POST"])
def duplicate(session_id):
    source = get_training_session(session_id)
    form = DuplicateForm()
    if form.validate_on_submit():
        done = perform(lambda: services.duplicate_session(source, current_user, code=form.code.data.strip(),
                                                          start_on=form.start_on.data), errors=form.code.errors,
                       success=lambda copy: _("Session %(code)s is a copy of %(source)s, as a draft.",
                                              code=copy.code, source=source.code))
        if done:
            return redirect(url_for("sessions.detail", session_id=done.result.id))
    return render_template("sessions/duplicate.html", form=form, s=source), 400 if form.errors else 200


@bp.route("/<int:session_id>")
def detail(session_id):
    return render_detail(get_training_session(session_id))


@bp.route("/<int:session_id>/status/<target>", methods=["POST"])
def transition(session_id, target):
    training_session = get_training_session(session_id)
    target = enum_or_404(SessionStatus, target)
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    if not perform(lambda: services.change_status(training_session, target, current_user,
                                                  reason=form.reason.data or "",
                                                  override_reason=form.override_reason.data or ""),
                   success=_("The session is now: %(status)s.", status=target.label)):
        return render_detail(get_training_session(session_id), 409, transition_form=form)
    return redirect(url_for("sessions.detail", session_id=session_id))


@bp.route("/<int:session_id>/slots", methods=["GET", "POST"])
def slots(session_id):
    training_session = get_training_session(session_id)
    form = SlotForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            def add_and_tell():
                services.add_slot(training_session, current_user, day=form.day.data, part=SlotPart(form.part.data),
                                  starts=form.starts.data, ends=form.ends.data)
                return notify_changes(training_session, ["hours"], current_user)

            if perform(add_and_tell, success=lambda told: _slots_saved(_("The slot is added."), told),
                       errors=form.day.errors):
                return redirect(url_for("sessions.slots", session_id=session_id))
        status = 400
    return render_template("sessions/slots.html", s=training_session, form=form,
                           hours_form=SlotHoursForm(), editable=training_session.status not in services.FROZEN), status


@bp.route("/slots/<int:slot_id>", methods=["POST"])
def slot_change(slot_id):
    slot = get_slot(slot_id)
    form = SlotHoursForm(prefix=f"slot{slot.id}")
    if not form.validate_on_submit():
        flash(_("Give the start and end hours."), "error")
    else:
        def change_and_tell():
            services.change_slot(slot, current_user, starts=form.starts.data, ends=form.ends.data)
            return notify_changes(slot.training_session, ["hours"], current_user)

        perform(change_and_tell, success=lambda told: _slots_saved(_("The slot's hours are changed."), told))
    return redirect(url_for("sessions.slots", session_id=slot.session_id))


@bp.route("/slots/<int:slot_id>/remove", methods=["POST"])
def slot_remove(slot_id):
    slot = get_slot(slot_id)
    session_id = slot.session_id
    if not ConfirmForm().validate_on_submit():
        abort(400)
    training_session = slot.training_session

    def remove_and_tell():
        services.remove_slot(slot, current_user)
        return notify_changes(training_session, ["hours"], current_user)

    perform(remove_and_tell, success=lambda told: _slots_saved(_("The slot is removed."), told))
    return redirect(url_for("sessions.slots", session_id=session_id))


def _slots_saved(message: str, told: int) -> str:
    """The change's message, and how many trainees already convoked are mailed the new timetable."""
    if not told:
        return message
    return " ".join((message, ngettext("%(num)d trainee already convoked is told of the new hours.",
                                       "%(num)d trainees already convoked are told of the new hours.", told)))


@bp.route("/<int:session_id>/trainers", methods=["POST"])
def trainer_set(session_id):
    training_session = get_training_session(session_id)
    form = TrainerForm()
    if form.validate_on_submit():
        expert = get_expert(form.expert_id.data)
        if perform(lambda: services.set_trainer(training_session, expert, form.days.data, current_user),
                   success=_("%(name)s teaches this session.", name=expert.name), errors=form.days.errors):
            return redirect(url_for("sessions.detail", session_id=session_id))
    return render_detail(training_session, 400, trainer_form=form)


@bp.route("/<int:session_id>/trainers/<int:expert_id>/remove", methods=["POST"])
def trainer_remove(session_id, expert_id):
    training_session = get_training_session(session_id)
    trainer = get_trainer(session_id, expert_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    perform(lambda: services.remove_trainer(training_session, trainer, current_user))
    return redirect(url_for("sessions.detail", session_id=session_id))


@bp.route("/<int:session_id>.ics")
def ics(session_id):
    """One session, slot by slot, for a coordinator's calendar program."""
    training_session = get_training_session(session_id)
    feed = services.calendar_feed(
        [training_session], slots=True, language=current_language(),
        url_for_session=lambda s: url_for("sessions.detail", session_id=s.id, _external=True))
    return Response(feed, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{training_session.code}.ics"'})
