"""The admins' view of background work.

/admin/jobs/                   recent jobs (filters: kind, status, period) and the schedules
/admin/jobs/<id>/cancel        POST: cancel a job that has not ended (admins)
/admin/jobs/mails/             the e-mail outbox (filter: status, the failed ones first)
/admin/jobs/mails/<id>/resend  POST: queue a failed mail again
"""
from datetime import datetime, time, timedelta

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from centre.forms import ConfirmForm
from centre.i18n import centre_zone
from centre.jobs import bp
from centre.jobs.forms import JobFilterForm, MailFilterForm
from centre.jobs.schedules import schedule_states
from centre.jobs.services import KINDS, cancel_job, recent_jobs
from centre.mail import outbox_mails, resend_mail
from centre.models import JobStatus, MailStatus
from centre.pagination import paginate, requested_page
from centre.permissions import get_job, get_outbox_mail
from centre.web import perform


def _day_start(day):
    return datetime.combine(day, time.min, tzinfo=centre_zone())


@bp.route("/")
def index():
    kinds = sorted((kind.name, kind.label) for kind in KINDS.values())
    form = JobFilterForm(request.args, kinds=kinds)
    filters = {}
    if form.validate():
        filters = {
            "kind": form.kind.data or None,
            "status": JobStatus(form.status.data) if form.status.data else None,
            "since": _day_start(form.date_from.data) if form.date_from.data else None,
            "until": _day_start(form.date_to.data + timedelta(days=1)) if form.date_to.data else None,
        }
    page = paginate(recent_jobs(**filters), requested_page())
    return render_template("jobs/index.html", form=form, page=page, filtered=any(filters.values()),
                           kinds=KINDS, schedules=schedule_states())


@bp.route("/<int:job_id>/cancel", methods=["POST"])
def cancel(job_id):
    job = get_job(job_id)
    if ConfirmForm().validate_on_submit():
        perform(lambda: cancel_job(job), _("Job %(number)d cancelled.", number=job.id))
    return redirect(url_for("jobs.index"))


@bp.route("/mails/")
def mails():
    form = MailFilterForm(request.args)
    status = MailStatus(form.status.data) if form.validate() and form.status.data else None
    page = paginate(outbox_mails(status=status), requested_page())
    return render_template("jobs/mails.html", form=form, page=page, status=status)


@bp.route("/mails/<int:mail_id>/resend", methods=["POST"])
def resend(mail_id):
    mail = get_outbox_mail(mail_id)
    if ConfirmForm().validate_on_submit():
        perform(lambda: resend_mail(mail, current_user),
                _("The mail to %(email)s is queued again.", email=mail.recipient))
    return redirect(url_for("jobs.mails", status=request.args.get("status", MailStatus.FAILED.value)))
