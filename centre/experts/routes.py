from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from centre import audit
from centre.audit_text import labels_for
from centre.experts import bp
from centre.experts import services
from centre.experts.forms import AcceptInvitationForm, ExpertFilterForm, ExpertForm, InviteForm
from centre.permissions import get_expert
from centre.web import perform


@bp.route("/")
def index():
    form = ExpertFilterForm(request.args)
    valid = form.validate()
    experts = services.list_experts(**form.filters()) if valid else []
    return render_template("experts/index.html", form=form, experts=experts,
                           account_labels=services.ACCOUNT_LABELS,
                           filtered=any(request.args.values())), 200 if valid else 400


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = ExpertForm()
    if form.validate_on_submit():
        done = perform(lambda: services.create_expert(current_user, **form.expert_fields()),
                       success=lambda expert: _("The expert %(name)s is added.", name=expert.name),
                       errors=form.form_errors)
        if done:
            return redirect(url_for("experts.detail", expert_id=done.result.id))
    return render_template("experts/form.html", form=form, expert=None), 400 if form.errors else 200


@bp.route("/<int:expert_id>")
def detail(expert_id):
    return render_detail(get_expert(expert_id))


def render_detail(expert, invite_form=None, status=200):
    return render_template("experts/detail.html", expert=expert, invite_form=invite_form or InviteForm(),
                           history=audit.history(expert), action_labels=labels_for("expert"),
                           account_labels=services.ACCOUNT_LABELS,
                           max_days=services.INVITATION_MAX_AGE.days), status


@bp.route("/<int:expert_id>/edit", methods=["GET", "POST"])
def edit(expert_id):
    expert = get_expert(expert_id)
    form = ExpertForm(obj=expert)
    if form.validate_on_submit():
        if perform(lambda: services.update_expert(expert, current_user, **form.expert_fields()),
                   success=lambda _result: _("The expert %(name)s is saved.", name=expert.name),
                   errors=form.form_errors):
            return redirect(url_for("experts.detail", expert_id=expert.id))
    return render_template("experts/form.html", form=form, expert=expert), 400 if form.errors else 200


@bp.route("/<int:expert_id>/invite", methods=["POST"])
def invite(expert_id):
    expert = get_expert(expert_id)
    form = InviteForm()
    if not form.validate_on_submit():
        return render_detail(expert, invite_form=form, status=400)
    if not perform(lambda: services.invite_expert(expert, current_user, language=form.language.data),
                   success=lambda user: _("The invitation is sent to %(email)s.", email=user.email)):
        return render_detail(get_expert(expert_id), invite_form=form, status=409)
    return redirect(url_for("experts.detail", expert_id=expert_id))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    """Public: the signed link from the invitation e-mail, where the expert chooses a password."""
    try:
        expert = services.read_invitation(token)
    except services.InvitationError as error:
        return render_template("experts/invitation_invalid.html", message=str(error)), error.status
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        done = perform(lambda: _sign_in(services.accept_invitation(token, form.password.data)), show_error=False,
                       success=lambda expert: _("Your account is ready. Welcome, %(name)s.", name=expert.name))
        if done:
            return redirect(url_for("main.dashboard"))
        if isinstance(done.error, services.InvitationError):
            return render_template("experts/invitation_invalid.html", message=str(done.error)), done.error.status
        form.password.errors.append(str(done.error))
    return render_template("experts/accept.html", form=form, expert=expert), 400 if form.errors else 200


def _sign_in(expert):
    login_user(expert.user)
    return expert
