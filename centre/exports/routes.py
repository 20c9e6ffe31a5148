"""Downloads of registrations, attendance, certificates and partners as CSV or XLSX.

/exports/                                          the period form and the list of exports
/exports/registrations.<fmt>?from=…&to=…            registrations of the sessions starting in a period
/exports/certificates.<fmt>?from=…&to=…             certificates of the sessions starting in a period
/exports/partners.<fmt>                             the partner institutions
/exports/session/<id>/registrations.<fmt>           one session's registrations
/exports/session/<id>/attendance.<fmt>              one session's attendance grid
/exports/session/<id>/certificates.<fmt>            one session's certificates

<fmt> is csv or xlsx; ?language=fr|ar|en sets the language of headers and labels (by default,
the page's).
"""
from flask import Response, abort, current_app, make_response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from centre.clock import today
from centre.errors import error_page
from centre.exports import bp
from centre.exports import services, writers
from centre.exports.forms import PeriodForm
from centre.i18n import current_language
from centre.permissions import get_training_session
from centre.web import perform


def _refuse(code: int, text: str):
    abort(make_response(error_page(code, text)))


def _check_format(fmt: str) -> str:
    if fmt not in writers.MIMETYPES:
        _refuse(404, _("There is no export as “%(format)s”: choose CSV or XLSX.", format=fmt))
    return fmt


def _language() -> str:
    language = request.args.get("language") or current_language()
    if language not in current_app.config["LANGUAGES"]:
        _refuse(400, _("Exports are made in French, Arabic or English (language=fr, ar or en)."))
    return language


def _send(table: services.Table, fmt: str) -> Response:
    """The table as a download; the CSV is streamed as its rows are read."""
    if fmt == "csv":
        body = stream_with_context(writers.csv_chunks(table))
    else:
        body = writers.xlsx_bytes(table)
    return Response(body, mimetype=writers.MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{table.name}.{fmt}"'})


@bp.route("/")
def index():
    return render_template("exports/index.html", form=PeriodForm(request.args))


def _period_export(kind: str, fmt: str, make_table):
    _check_format(fmt)
    form = PeriodForm(request.args)
    if not form.validate():
        return render_template("exports/index.html", form=form), 400
    start, end, language = form.date_from.data, form.date_to.data, form.language.data
    # The house does not audit downloads (the certificates' ZIP is not), but these files take
    # trainees' personal data out of the application: who took which, and when, is kept.
    perform(lambda: services.record_export(kind, current_user._get_current_object(), format=fmt, language=language,
                                           start=start.isoformat(), end=end.isoformat()))
    return _send(make_table(start, end, language), fmt)


@bp.route("/registrations.<fmt>")
def registrations(fmt):
    return _period_export("registrations", fmt, services.period_registrations)


@bp.route("/certificates.<fmt>")
def certificates(fmt):
    return _period_export("certificates", fmt, services.period_certificates)


@bp.route("/partners.<fmt>")
def partners(fmt):
    """No personal data: not audited."""
    _check_format(fmt)
    return _send(services.partners(_language(), today()), fmt)


def _session_export(kind: str, session_id: int, fmt: str, make_table):
    training_session = get_training_session(session_id)
    _check_format(fmt)
    language = _language()
    # Personal data leaving the application: audited, although the house audits no other download.
    perform(lambda: services.record_export(kind, current_user._get_current_object(), training_session,
                                           format=fmt, language=language))
    return _send(make_table(training_session, language), fmt)


@bp.route("/session/<int:session_id>/registrations.<fmt>")
def session_registrations(session_id, fmt):
    return _session_export("registrations", session_id, fmt, services.session_registrations)


@bp.route("/session/<int:session_id>/attendance.<fmt>")
def session_attendance(session_id, fmt):
    return _session_export("attendance", session_id, fmt, services.session_attendance)


@bp.route("/session/<int:session_id>/certificates.<fmt>")
def session_certificates(session_id, fmt):
    return _session_export("certificates", session_id, fmt, services.session_certificates)
