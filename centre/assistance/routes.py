from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from centre import audit
from centre.audit_text import labels_for
from centre.assistance import bp
from centre.assistance import services
from centre.assistance.forms import DeclineForm, MessageForm, ReportForm, RequestForm, WithdrawForm, plan_form
from centre.errors import DomainError, error_page
from centre.evaluation.answering import token
from centre.evaluation.figures import assistance_evaluation
from centre.files import check_upload, send_stored_file, upload_limit
from centre.forms import ConfirmForm
from centre.models import AssistanceStatus
from centre.permissions import get_assistance_document, get_assistance_request, get_institution, get_own_focal_point
from centre.sessions.services import conflicts
from centre.web import enum_or_404, perform

MAX_FILES = 3
MAX_BYTES = 10 * 1024 * 1024


def _uploads(form):
    """The form's files, each checked (DomainError for the first refused); none chosen is fine."""
    files = [f for f in (form.documents.data or []) if f and f.filename]
    if len(files) > MAX_FILES:
        raise DomainError(_l("Send at most %(count)s files at once."), count=MAX_FILES)
    return [check_upload(f, max_bytes=MAX_BYTES) for f in files]


@bp.route("/")
def index():
    institution = None if current_user.is_staff else get_own_focal_point().institution
    return render_template("assistance/index.html", requests=services.requests_of(institution),
                           institution=institution)


@bp.route("/new", methods=["GET", "POST"])
@upload_limit(MAX_FILES * MAX_BYTES)
def create():
    form = RequestForm(staff=current_user.is_staff)
    if form.validate_on_submit():
        def submit():
            if current_user.is_staff:
                if not form.institution_id.data:
                    raise DomainError(_l("Choose the partner institution."))
                institution = get_institution(form.institution_id.data)
            else:
                institution = get_own_focal_point().institution
            return services.submit_request(institution, current_user, documents=_uploads(form),
                                           **form.request_fields())

        done = perform(submit, success=lambda r: _("Your request %(reference)s is submitted.", reference=r.reference),
                       errors=form.form_errors)
        if done:
            return redirect(url_for("assistance.detail", request_id=done.result.id))
    return render_template("assistance/form.html", form=form), 400 if form.errors or form.form_errors else 200


def render_detail(assistance, status=200, **forms):
    return render_template(
        "assistance/detail.html", item=assistance, history=audit.history(assistance),
        action_labels=labels_for("assistance_request"), targets=services.TRANSITIONS[assistance.status],
        simple_targets=services.SIMPLE_TARGETS, Status=AssistanceStatus,
        message_form=forms.get("message_form") or MessageForm(formdata=None),
        decline_form=forms.get("decline_form") or DeclineForm(formdata=None),
        report_form=forms.get("report_form") or ReportForm(formdata=None),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(formdata=None),
        may_withdraw=assistance.status in services.UNDECIDED and services.is_focal_point_of(
            current_user, assistance.institution_id),
        removable={d.id for d in assistance.documents if services.may_remove_document(d, current_user)},
        confirm_form=ConfirmForm(),
        evaluation=assistance_evaluation(assistance.training_session, current_user),
    ), status


@bp.route("/<int:request_id>")
def detail(request_id):
    return render_detail(get_assistance_request(request_id))


@bp.route("/<int:request_id>/messages", methods=["POST"])
@upload_limit(MAX_FILES * MAX_BYTES)
def message(request_id):
    assistance = get_assistance_request(request_id)
    form = MessageForm()
    if form.validate_on_submit():
        if perform(lambda: services.add_message(assistance, current_user, form.body.data, _uploads(form)),
                   success=_("Your message is sent."), errors=form.form_errors):
            return redirect(url_for("assistance.detail", request_id=request_id, _anchor="messages"))
    return render_detail(get_assistance_request(request_id), status=400, message_form=form)


@bp.route("/<int:request_id>/status/<target>", methods=["POST"])
def transition(request_id, target):
    assistance = get_assistance_request(request_id)
    target = enum_or_404(AssistanceStatus, target)
    form = DeclineForm() if target == AssistanceStatus.DECLINED else ConfirmForm()
    if not form.validate_on_submit():
        return render_detail(assistance, status=400, **({"decline_form": form} if target == AssistanceStatus.DECLINED
                                                        else {}))
    reason = form.reason.data if target == AssistanceStatus.DECLINED else ""
    if not perform(lambda: services.change_status(assistance, target, current_user, reason),
                   success=lambda r: _("The request is now: %(status)s.", status=r.status.label)):
        return render_detail(get_assistance_request(request_id), status=409)
    return redirect(url_for("assistance.detail", request_id=request_id))


@bp.route("/<int:request_id>/plan", methods=["GET", "POST"])
def plan(request_id):
    assistance = get_assistance_request(request_id)
    if assistance.status != AssistanceStatus.ACCEPTED:
        return redirect(url_for("assistance.detail", request_id=request_id))
    form_data = request.form if request.method == "POST" else None
    candidates = services.matching_experts(assistance)
    experts = {c.expert.id: c.expert for c in candidates}
    form = plan_form([c.expert for c in candidates], formdata=form_data,
                     data={"code": assistance.reference[:20], "start_on": assistance.preferred_from,
                           "end_on": assistance.preferred_to})
    if request.method == "POST" and form.validate_on_submit():
        done = perform(lambda: services.plan_request(
            assistance, current_user, code=form.code.data, start_on=form.start_on.data, end_on=form.end_on.data,
            venue=form.venue.data,
            experts=form.chosen(experts), programme=form.programme.data, host_departments=form.host_departments.data),
            success=lambda s: _("The request is planned: session %(code)s.", code=s.code), errors=form.form_errors)
        if done:
            for warning in conflicts(done.result):  # as for any session: said, not refused
                flash(warning, "warning")
            return redirect(url_for("assistance.detail", request_id=request_id))
    if form.start_on.data and form.end_on.data and form.start_on.data <= form.end_on.data:
        candidates = services.matching_experts(assistance, form.start_on.data, form.end_on.data)
    fields = dict(form.expert_fields)
    return render_template("assistance/plan.html", item=assistance, form=form, candidates=candidates,
                           fields=fields), 400 if form.errors or form.form_errors else 200


@bp.route("/<int:request_id>/close", methods=["POST"])
@upload_limit(MAX_FILES * MAX_BYTES)
def close(request_id):
    assistance = get_assistance_request(request_id)
    form = ReportForm()
    if form.validate_on_submit():
        if perform(lambda: services.close_request(assistance, current_user, form.report.data, _uploads(form)),
                   success=_("The report is recorded and the request closed."), errors=form.form_errors):
            return redirect(url_for("assistance.detail", request_id=request_id))
    return render_detail(get_assistance_request(request_id), status=400, report_form=form)


@bp.route("/<int:request_id>/evaluation")
def evaluate(request_id):
    """The focal point's way, from the request's page, to the partner's evaluation of it: their own
    personal link, whose page refuses a second answer (409) or a closed questionnaire (410)."""
    assistance = get_assistance_request(request_id)  # another institution's request: 404
    found = assistance_evaluation(assistance.training_session, current_user)
    if found is None or found.mine is None:
        return error_page(404, _("No evaluation of this request is waiting for you."))
    return redirect(url_for("evaluation.answer", link=token(found.mine)))


@bp.route("/<int:request_id>/documents/<int:document_id>")
def document(request_id, document_id):
    return send_stored_file(get_assistance_document(request_id, document_id).file)


@bp.route("/<int:request_id>/withdraw", methods=["POST"])
def withdraw(request_id):
    assistance = get_assistance_request(request_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return render_detail(assistance, status=400, withdraw_form=form)
    if not perform(lambda: services.withdraw_request(assistance, current_user, form.reason.data or ""),
                   success=_("Your request is withdrawn; the centre is told.")):
        return render_detail(get_assistance_request(request_id), status=409, withdraw_form=form)
    return redirect(url_for("assistance.detail", request_id=request_id))


@bp.route("/<int:request_id>/documents/<int:document_id>/remove", methods=["POST"])
def remove_document(request_id, document_id):
    document = get_assistance_document(request_id, document_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    perform(lambda: services.remove_document(document, current_user),
            success=_("The document %(name)s is removed.", name=document.file.name))
    return redirect(url_for("assistance.detail", request_id=request_id, _anchor="documents"))
