from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from centre import audit
from centre.audit_text import labels_for
from centre.clock import today
from centre.files import check_upload, send_stored_file, upload_limit
from centre.forms import ConfirmForm
from centre.i18n import localized
from centre.institutions import bp
from centre.institutions import services
from centre.institutions.forms import AgreementForm, InstitutionFilterForm, InstitutionForm
from centre.pagination import requested_page
from centre.partners import services as partners
from centre.partners.forms import ContactForm, InviteFocalPointForm
from centre.permissions import get_agreement, get_institution
from centre.web import perform


@bp.route("/")
def index():
    form = InstitutionFilterForm(request.args)
    valid = form.validate()
    institutions = services.list_institutions(**form.filters()) if valid else []
    return render_template(
        "institutions/index.html", form=form, institutions=institutions,
        trainees=services.trainee_counts(institutions),
        in_force=services.agreements_in_force(institutions, today()),
        filtered=any(request.args.values()),
    ), 200 if valid else 400


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = InstitutionForm()
    if form.validate_on_submit():
        done = perform(lambda: services.create_institution(current_user, **form.institution_fields()),
                       success=lambda added: _("The partner %(name)s is added.", name=localized(added, "name")),
                       errors=form.form_errors)
        if done:
            return redirect(url_for("institutions.detail", institution_id=done.result.id))
    return render_template("institutions/form.html", form=form, institution=None), 400 if form.errors else 200


@bp.route("/<int:institution_id>")
def detail(institution_id):
    return render_detail(get_institution(institution_id))


def render_detail(institution, agreement_form=None, status=200):
    page, trainees = services.trainees_and_sessions(institution, requested_page())
    return render_template(
        "institutions/detail.html", institution=institution, today=today(),
        agreement_form=agreement_form or AgreementForm(formdata=None),
        trainees=trainees, trainees_page=page, history=audit.history(institution),
        action_labels=labels_for("institution"),
        focal_points=partners.focal_points_of(institution), focal_point_accounts=partners.ACCOUNT_LABELS,
        focal_point_form=InviteFocalPointForm(formdata=None), contact_form=ContactForm(formdata=None),
    ), status


@bp.route("/<int:institution_id>/edit", methods=["GET", "POST"])
def edit(institution_id):
    institution = get_institution(institution_id)
    form = InstitutionForm(institution=institution)
    if form.validate_on_submit():
        if perform(lambda: services.update_institution(institution, current_user, **form.institution_fields()),
                   success=lambda _result: _("The partner %(name)s is saved.", name=localized(institution, "name")),
                   errors=form.form_errors):
            return redirect(url_for("institutions.detail", institution_id=institution.id))
    return render_template("institutions/form.html", form=form, institution=institution), \
        400 if form.errors else 200


#: The signed agreement: a PDF or a scan.
AGREEMENT_KINDS = ("pdf", "png", "jpeg")
AGREEMENT_MAX_BYTES = 10 * 1024 * 1024


def _document(form):
    """The uploaded signed agreement, checked, or None when no file was chosen (DomainError if refused)."""
    file = form.document.data
    return check_upload(file, AGREEMENT_KINDS, AGREEMENT_MAX_BYTES) if file and file.filename else None


@bp.route("/<int:institution_id>/agreements", methods=["POST"])
@upload_limit(AGREEMENT_MAX_BYTES)
def add_agreement(institution_id):
    institution = get_institution(institution_id)
    form = AgreementForm()
    if form.validate_on_submit():
        if perform(lambda: services.add_agreement(institution, current_user, document=_document(form),
                                                  **form.agreement_fields()),
                   success=_("The agreement is added."), errors=form.form_errors):
            return redirect(url_for("institutions.detail", institution_id=institution.id, _anchor="agreements"))
    return render_detail(get_institution(institution_id), agreement_form=form, status=400)


@bp.route("/<int:institution_id>/agreements/<int:agreement_id>/edit", methods=["GET", "POST"])
@upload_limit(AGREEMENT_MAX_BYTES)
def edit_agreement(institution_id, agreement_id):
    agreement = get_agreement(institution_id, agreement_id)
    form = AgreementForm(obj=agreement)
    if form.validate_on_submit():
        if perform(lambda: services.update_agreement(agreement, current_user, document=_document(form),
                                                     **form.agreement_fields()),
                   success=_("The agreement is saved."), errors=form.form_errors):
            return redirect(url_for("institutions.detail", institution_id=institution_id, _anchor="agreements"))
    return render_template("institutions/agreement_form.html", form=form, agreement=agreement,
                           institution=agreement.institution), 400 if form.errors else 200


@bp.route("/<int:institution_id>/agreements/<int:agreement_id>/document")
def agreement_document(institution_id, agreement_id):
    agreement = get_agreement(institution_id, agreement_id)
    if agreement.document is None:
        abort(404)
    return send_stored_file(agreement.document)


@bp.route("/<int:institution_id>/agreements/<int:agreement_id>/remove", methods=["POST"])
def remove_agreement(institution_id, agreement_id):
    agreement = get_agreement(institution_id, agreement_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    perform(lambda: services.remove_agreement(agreement, current_user), success=_("The agreement is removed."))
    return redirect(url_for("institutions.detail", institution_id=institution_id, _anchor="agreements"))
