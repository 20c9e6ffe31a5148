"""Administration pages.

/admin/users/                  the accounts (admins): filters, and a new account by invitation
/admin/users/<id>              one account: role, disable or enable, invitation again, history
/admin/audit/                  the audit log (staff): who, what, which record, when
"""
from datetime import datetime, time, timedelta

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from centre import audit
from centre.admin import bp
from centre.admin import services
from centre.admin.forms import AccountFilterForm, AccountForm, AuditFilterForm, InviteForm, RoleForm
from centre.audit_text import describe, labels_for
from centre.auth.services import INVITATION_MAX_AGE
from centre.forms import ConfirmForm
from centre.i18n import centre_zone
from centre.models import Role
from centre.pagination import paginate, requested_page
from centre.permissions import get_user
from centre.web import perform


@bp.route("/users/")
def users():
    form = AccountFilterForm(request.args)
    valid = form.validate()
    page = paginate(services.accounts_query(**(form.filters() if valid else {})), requested_page())
    return render_template("admin/users.html", form=form, page=page, state_of=services.account_state,
                           state_labels=services.ACCOUNT_STATE_LABELS), 200 if valid else 400


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    form = AccountForm()
    if form.validate_on_submit():
        done = perform(lambda: services.create_account(form.email.data, form.full_name.data, Role(form.role.data),
                                                        form.language.data, current_user._get_current_object()),
                       success=lambda user: _("The account of %(email)s is created; the invitation is on its way.",
                                              email=user.email),
                       errors=form.form_errors)
        if done:
            return redirect(url_for("admin.user", user_id=done.result.id))
    return render_template("admin/user_form.html", form=form, max_days=INVITATION_MAX_AGE.days), \
        400 if form.errors else 200


@bp.route("/users/<int:user_id>")
def user(user_id):
    return render_user(get_user(user_id))


def render_user(account, status=200, **forms):
    return render_template(
        "admin/user.html", account=account, state=services.account_state(account),
        state_labels=services.ACCOUNT_STATE_LABELS, staff_roles=services.STAFF_ROLES,
        role_form=forms.get("role_form") or RoleForm(role=account.role.value),
        invite_form=forms.get("invite_form") or InviteForm(language=account.locale or "fr"),
        history=audit.history(account), action_labels=labels_for("user"),
        max_days=INVITATION_MAX_AGE.days,
    ), status


def _write(user_id, form, action, success, form_name=None):
    """The account pages' one shape of POST: load, check the form, call the service, redirect.
    form_name: the form's name on the page, to show it again with its errors."""
    account = get_user(user_id)
    if not form.validate_on_submit():
        return render_user(account, 400, **({form_name: form} if form_name else {}))
    if not perform(lambda: action(account, form), success=success):
        return render_user(get_user(user_id), 409)
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def change_role(user_id):
    return _write(user_id, RoleForm(),
                  lambda account, form: services.change_role(account, Role(form.role.data), current_user),
                  lambda account: _("The role of %(email)s is now: %(role)s.", email=account.email,
                                    role=account.role.label),
                  form_name="role_form")


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
def disable(user_id):
    return _write(user_id, ConfirmForm(), lambda account, form: services.disable_account(account, current_user),
                  lambda account: _("The account of %(email)s is disabled: it can no longer sign in.",
                                    email=account.email))


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
def enable(user_id):
    return _write(user_id, ConfirmForm(), lambda account, form: services.enable_account(account, current_user),
                  lambda account: _("The account of %(email)s is enabled again.", email=account.email))


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
def invite(user_id):
    return _write(user_id, InviteForm(),
                  lambda account, form: services.invite_again(account, current_user, form.language.data),
                  lambda account: _("The invitation is sent to %(email)s.", email=account.email),
                  form_name="invite_form")


def _day_start(day):
    return datetime.combine(day, time.min, tzinfo=centre_zone())


#: The page of each kind of record an entry may link to, and the argument naming its number.
RECORD_PAGES = {
    "training_session": ("sessions.detail", "session_id"),
    "registration": ("registrations.detail", "registration_id"),
    "certificate": ("certificates.detail", "certificate_id"),
    "expert": ("experts.detail", "expert_id"),
    "institution": ("institutions.detail", "institution_id"),
    "user": ("admin.user", "user_id"),
    "assistance_request": ("assistance.detail", "request_id"),
    "questionnaire": ("evaluation.results", "questionnaire_id"),
    "questionnaire_template": ("evaluation.template", "template_id"),
}


def record_url(entry) -> str | None:
    page = RECORD_PAGES.get(entry.entity)
    if page is None or (entry.entity == "user" and current_user.role != Role.ADMIN):
        return None
    return url_for(page[0], **{page[1]: entry.entity_id})


@bp.route("/audit/")
def audit_log():
    form = AuditFilterForm(request.args)
    valid = form.validate()
    filters = {}
    if valid:
        filters = {
            "who": form.who.data or "", "action": form.action.data or "", "entity": form.record.data or "",
            "entity_id": form.record_id.data,
            "since": _day_start(form.date_from.data) if form.date_from.data else None,
            "until": _day_start(form.date_to.data + timedelta(days=1)) if form.date_to.data else None,
        }
    page = paginate(services.audit_query(**filters), requested_page())
    rows = [(entry, describe(entry), record_url(entry)) for entry in page.items]
    return render_template("admin/audit.html", form=form, page=page, rows=rows,
                           filtered=any(value not in (None, "") for value in filters.values())), \
        200 if valid else 400
