from flask import Response, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from centre.forms import ConfirmForm
from centre.partners import bp
from centre.partners import services
from centre.partners.forms import AcceptInvitationForm, ContactForm, InviteFocalPointForm, NominationForm
from centre.permissions import (
    get_contact,
    get_focal_point,
    get_institution,
    get_own_focal_point,
    get_partner_institution,
    get_training_session,
)
from centre.web import perform


def render_home(focal_point, contact_form=None, status=200):
    institution = focal_point.institution
    registrations = services.institution_registrations(institution)
    return render_template(
        "partners/home.html", institution=institution, focal_point=focal_point, registrations=registrations,
        has_certificates=any(certificates for _r, _f, certificates in registrations),
        contact_form=contact_form or ContactForm(formdata=None),
    ), status


@bp.route("/")
def home():
    return render_home(get_own_focal_point())


@bp.route("/nominate", methods=["GET", "POST"])
def nominate():
    focal_point = get_own_focal_point()
    form = NominationForm()
    if form.validate_on_submit():
        training_session = get_training_session(form.session_id.data)
        if perform(lambda: services.nominate(focal_point, training_session, form.candidate_fields()),
                   success=lambda r: _("%(name)s is nominated for session %(code)s.", name=r.trainee.name,
                                       code=r.training_session.code),
                   errors=form.form_errors):
            return redirect(url_for("partners.home", _anchor="registrations"))
    return render_template("partners/nominate.html", form=form, institution=focal_point.institution,
                           sessions=services.open_sessions()), 400 if form.errors else 200


@bp.route("/certificates.zip")
def certificates_archive():
    focal_point = get_own_focal_point()
    done = perform(lambda: services.certificates_archive(focal_point.institution, current_user))
    if not done:
        return redirect(url_for("partners.home", _anchor="registrations"))
    return Response(done.result, mimetype="application/zip", headers={
        "Content-Disposition": 'attachment; filename="certificates.zip"'})


@bp.route("/certificates/<int:certificate_id>.pdf")
def certificate_download(certificate_id):
    """One certificate of the institution's trainees, as stored when issued."""
    certificate = services.institution_certificate(get_own_focal_point().institution, certificate_id)
    if certificate is None:
        abort(404)
    pdf, name, sha256 = certificate.pdf, certificate.filename, certificate.sha256
    perform(lambda: services.record_certificate_download(certificate, current_user))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-SHA256": sha256})


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    """Public: the signed link from the invitation e-mail, where the focal point chooses a password."""
    try:
        focal_point = services.read_invitation(token)
    except services.InvitationError as error:
        return render_template("experts/invitation_invalid.html", message=str(error)), error.status
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        done = perform(lambda: _sign_in(services.accept_invitation(token, form.password.data)), show_error=False,
                       success=lambda fp: _("Your account is ready. Welcome, %(name)s.", name=fp.user.full_name))
        if done:
            return redirect(url_for("partners.home"))
        if isinstance(done.error, services.InvitationError):
            return render_template("experts/invitation_invalid.html", message=str(done.error)), done.error.status
        form.password.errors.append(str(done.error))
    return render_template("partners/accept.html", form=form, focal_point=focal_point), 400 if form.errors else 200


def _sign_in(focal_point):
    login_user(focal_point.user)
    return focal_point


# Staff: invitations, from the partner's page


@bp.route("/institutions/<int:institution_id>/focal-points", methods=["POST"])
def invite(institution_id):
    institution = get_institution(institution_id)
    form = InviteFocalPointForm()
    if form.validate_on_submit():
        if perform(lambda: services.invite_focal_point(institution, current_user, **form.invitation_fields()),
                   success=lambda fp: _("The invitation is sent to %(email)s.", email=fp.user.email),
                   errors=form.form_errors):
            return redirect(url_for("institutions.detail", institution_id=institution_id, _anchor="focal-points"))
    return render_template("partners/invite_form.html", form=form, institution=institution), 400


@bp.route("/institutions/<int:institution_id>/focal-points/<int:focal_point_id>/invite", methods=["POST"])
def invite_again(institution_id, focal_point_id):
    focal_point = get_focal_point(institution_id, focal_point_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    perform(lambda: services.invite_again(focal_point, current_user),
            success=lambda fp: _("The invitation is sent to %(email)s.", email=fp.user.email))
    return redirect(url_for("institutions.detail", institution_id=institution_id, _anchor="focal-points"))


def _back_to_contacts(institution_id):
    if current_user.is_staff:
        return redirect(url_for("institutions.detail", institution_id=institution_id, _anchor="contacts"))
    return redirect(url_for("partners.home", _anchor="contacts"))


# Contacts: staff on the partner's page, focal points on their own


@bp.route("/institutions/<int:institution_id>/contacts", methods=["POST"])
def add_contact(institution_id):
    institution = get_partner_institution(institution_id)
    form = ContactForm()
    if form.validate_on_submit():
        if perform(lambda: services.add_contact(institution, current_user, **form.contact_fields()),
                   success=_("The contact is added."), errors=form.form_errors):
            return _back_to_contacts(institution_id)
    if current_user.is_staff:
        return render_template("partners/contact_form.html", form=form, contact=None,
                               institution=institution), 400
    return render_home(get_own_focal_point(), contact_form=form, status=400)


@bp.route("/institutions/<int:institution_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def edit_contact(institution_id, contact_id):
    contact = get_contact(institution_id, contact_id)
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        if perform(lambda: services.update_contact(contact, current_user, **form.contact_fields()),
                   success=_("The contact is saved."), errors=form.form_errors):
            return _back_to_contacts(institution_id)
    return render_template("partners/contact_form.html", form=form, contact=contact,
                           institution=contact.institution), 400 if form.errors else 200


@bp.route("/institutions/<int:institution_id>/contacts/<int:contact_id>/remove", methods=["POST"])
def remove_contact(institution_id, contact_id):
    contact = get_contact(institution_id, contact_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    perform(lambda: services.remove_contact(contact, current_user), success=_("The contact is removed."))
    return _back_to_contacts(institution_id)
