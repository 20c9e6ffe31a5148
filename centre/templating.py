"""What every template can use: the page's language and direction, and formatting helpers."""
from babel.numbers import format_decimal
from flask_login import current_user

from centre import i18n
from centre.audit_text import action_label, describe
from centre.urls import absolute_url
from centre.models import Role, SessionStatus
from centre.pagination import page_url


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
        absolute_url=absolute_url,
        page_url=page_url,
        history_label=lambda action: action_label("training_session", action),
        describe_entry=describe,
        # "before → after" reads the other way round in a right-to-left page
        change_arrow=lambda: "←" if i18n.text_direction() == "rtl" else "→",
    )
    app.jinja_env.filters.update(
        day=i18n.format_day,
        time=i18n.format_time,
        datetime=i18n.format_datetime,
        time_value=lambda value: value.astimezone(i18n.centre_zone()).strftime("%H:%M"),  # <input type=time>
        format_decimal=lambda value, pattern=None: format_decimal(
            value, format=pattern, locale=i18n.FORMAT_LOCALES[i18n.current_language()]),
    )
