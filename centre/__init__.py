"""Centre: the training centre's management application."""
import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, **overrides) -> Flask:
    from config import CONFIGS

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    config_name = config_name or os.environ.get("CENTRE_ENV", "development")
    app.config.from_object(CONFIGS[config_name]())
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_jobs(app)
    register_request_logging(app)
    register_security(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_cli(app)
    register_template_context(app)
    register_access_control(app)
    return app


def register_extensions(app):
    from centre import i18n
    from centre.database import configure_engine_events
    from centre.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        timezone_selector=i18n.select_timezone,
        default_translation_directories=str(ROOT / "translations"),
    )
    login_manager.init_app(app)
    with app.app_context():
        configure_engine_events(db.engine)

    from centre.auth.services import load_user

    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself


def register_jobs(app):
    from centre.jobs.queue import init_queue

    init_queue(app)


def register_request_logging(app):
    from centre.logs import register_request_logging as register

    register(app)


def register_security(app):
    from centre.security import register_security as register

    register(app)


def register_blueprints(app):
    # Each area's routes module adds its views to the blueprint it exports.
    from centre.admin.routes import bp as admin_bp
    from centre.assistance.routes import bp as assistance_bp
    from centre.attendance.routes import bp as attendance_bp
    from centre.auth.routes import bp as auth_bp
    from centre.certificates.routes import bp as certificates_bp
    from centre.credentials.routes import bp as credentials_bp
    from centre.evaluation.routes import bp as evaluation_bp
    from centre.experts.routes import bp as experts_bp
    from centre.exports.routes import bp as exports_bp
    from centre.institutions.routes import bp as institutions_bp
    from centre.jobs.routes import bp as jobs_bp
    from centre.joining.routes import bp as joining_bp
    from centre.main.routes import bp as main_bp
    from centre.partners.routes import bp as partners_bp
    from centre.materials.routes import bp as materials_bp
    from centre.public.routes import bp as public_bp
    from centre.registrations.routes import bp as registrations_bp
    from centre.reports.routes import bp as reports_bp
    from centre.reviews.routes import bp as reviews_bp
    from centre.sessions.routes import bp as sessions_bp

    for bp in (main_bp, auth_bp, public_bp, sessions_bp, reviews_bp, registrations_bp,
               attendance_bp, certificates_bp, credentials_bp, institutions_bp, experts_bp, exports_bp, reports_bp, jobs_bp,
               partners_bp, assistance_bp, admin_bp, joining_bp, materials_bp,
               evaluation_bp):
        app.register_blueprint(bp)


def register_error_handlers(app):
    from centre.errors import register_error_handlers as register

    register(app)


def register_cli(app):
    from centre.cli import register_commands

    register_commands(app)


def register_template_context(app):
    from centre.templating import register_template_helpers

    register_template_helpers(app)


def register_access_control(app):
    from centre.permissions import check_access, check_every_endpoint_declared

    check_every_endpoint_declared(app)
    app.before_request(check_access)
