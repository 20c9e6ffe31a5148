import sqlalchemy as sa
from flask import abort, current_app, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from centre.extensions import db
from centre.jobs.queue import queue_is_available
from centre.main import bp
from centre.models import Role
from centre.permissions import safe_next_url
from centre.public.services import open_sessions
from centre.web import perform

ONE_YEAR = 365 * 24 * 3600
ONE_DAY = 24 * 3600


@bp.route("/")
def index():
    return render_template("main/index.html", sessions=open_sessions()[:6])


@bp.route("/favicon.ico")
def favicon():
    """The site's icon where browsers and feed readers ask for it, without a page naming it."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=ONE_DAY)


@bp.route("/language/<code>", methods=["POST"])
def set_language(code):
    """Remember the chosen language in a cookie, and on the account when signed in."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next_url(request.form.get("next"), url_for("main.index")))
    response.set_cookie(current_app.config["LANGUAGE_COOKIE"], code, max_age=ONE_YEAR, samesite="Lax",
                        httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure)
    if current_user.is_authenticated:
        def remember():
            current_user.locale = code

        perform(remember)
    return response


@bp.route("/dashboard")
def dashboard():
    if current_user.role == Role.TRAINEE:
        return redirect(url_for("registrations.mine"))
    if current_user.role == Role.FOCAL_POINT:
        return redirect(url_for("partners.home"))  # their institution's registrations, contacts and requests
    if current_user.is_staff:
        return redirect(url_for("reports.index"))  # the centre's figures, and the way to everything else
    return redirect(url_for("reviews.mine"))  # the expert's work is their reviews


@bp.route("/healthz")
def healthz():
    """For load balancers and monitoring: 200 when the database and the jobs' queue answer, else 503."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.exception("Health check: the database does not answer")
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    db.session.rollback()
    if not queue_is_available(current_app):
        return jsonify(status="unavailable", queue="unavailable"), 503
    return jsonify(status="ok", queue="ok")
