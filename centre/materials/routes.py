from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from centre.errors import DomainError
from centre.extensions import db
from centre.files import DOCUMENT_KINDS, check_upload, send_stored_file, upload_limit
from centre.forms import ConfirmForm
from centre.materials import bp, services
from centre.materials.forms import MaterialForm
from centre.models import Material, Visibility
from centre.permissions import get_training_session
from centre.web import end_read_transaction, perform


def _get_material(material_id: int) -> Material:
    """A material the user may see; any other answers 404, as if absent."""
    material = db.get_or_404(Material, material_id)
    if not services.may_see(material, current_user):
        abort(404)
    return material


@bp.route("/session/<int:session_id>", methods=["GET", "POST"])
@upload_limit(services.MAX_BYTES)
def index(session_id):
    """The session's materials for coordinators and its trainers: the list, and a form to add one."""
    training_session = get_training_session(session_id)
    if not services.may_upload(training_session, current_user):
        abort(404)
    form = MaterialForm()
    if form.validate_on_submit():
        # The file is read outside any transaction: on SQLite the request's first query took the write lock.
        end_read_transaction()
        upload = None
        try:
            upload = check_upload(form.file.data, DOCUMENT_KINDS, services.MAX_BYTES)
        except DomainError as error:
            form.file.errors.append(str(error))
        if upload is not None and perform(
                lambda: services.add_material(get_training_session(session_id), upload,
                                              Visibility(form.visibility.data), current_user, form.title.data or ""),
                errors=form.file.errors, success=lambda m: _("%(name)s is added.", name=m.title)):
            return redirect(url_for("materials.index", session_id=session_id))
    training_session = get_training_session(session_id)
    return render_template("materials/index.html", s=training_session, form=form, remove=ConfirmForm(),
                           download_name=services.download_name,
                           materials=services.materials_for(training_session, current_user),
                           max_mb=services.MAX_BYTES // (1024 * 1024)), 400 if form.errors else 200


@bp.route("/<int:material_id>/<file_name>")
def download(material_id, file_name):
    """The material under its title; the name in the address is for people and browsers, the id decides."""
    material = _get_material(material_id)
    return send_stored_file(material.file, name=services.download_name(material))


@bp.route("/session/<int:session_id>/materials.zip")
def archive(session_id):
    """Every material of the session the user may see, in one ZIP."""
    training_session = get_training_session(session_id)
    if services.reader_kind(training_session, current_user) is None:
        abort(404)
    try:
        data = services.archive(training_session, current_user)
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for("registrations.mine") if current_user.role == "trainee"
                        else url_for("materials.index", session_id=session_id))
    name = f"materials-{services.safe_file_name(training_session.code)}.zip"
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-cache"})


@bp.route("/<int:material_id>/remove", methods=["POST"])
def remove(material_id):
    material = _get_material(material_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session_id = material.session_id
    perform(lambda: services.remove_material(material, current_user),
            success=_("%(name)s is removed.", name=material.title))
    return redirect(url_for("materials.index", session_id=session_id))
