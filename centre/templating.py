"""What every template can use: the page's language and direction, and formatting helpers."""
from flask_login import current_user

from centre import i18n
from centre.models import Role, SessionStatus


def register_template_helpers(app):
    @app.context_processor
    def page_language():
        lang = i18n.current_language()
        return {
            "lang": lang,
            "dir": i18n.text_direction(lang),
            "languages": i18n.LANGUAGE_NAMES,
            "Role": Role,
            "current_user": current_user,
        }

    app.jinja_env.globals.update(
        localized=i18n.localized,
        country_name=i18n.country_name,
        date_range=i18n.format_date_range,
        status_label=lambda value: SessionStatus(value).label,
    )
    app.jinja_env.filters.update(
        day=i18n.format_day,
        time=i18n.format_time,
        datetime=i18n.format_datetime,
    )
