"""Locale selection, text direction, and formatting of dates, countries and bilingual data."""
import functools
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from flask import current_app, has_request_context, request
from flask_babel import force_locale, get_locale, gettext
from flask_login import current_user

#: Babel locale used to format dates for each interface or document language.
#: Arabic follows Moroccan usage: Western digits and Moroccan month names (ar_MA).
FORMAT_LOCALES = {"fr": "fr", "ar": "ar_MA", "en": "en"}
#: Each language named in itself, for the language switch.
LANGUAGE_NAMES = {"fr": "Français", "ar": "العربية", "en": "English"}
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ"}


def select_locale() -> str:
    """The user's choice (cookie, then account), else the browser, else French."""
    if not has_request_context():  # CLI and background work: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(current_app.config["LANGUAGE_COOKIE"])
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def in_english(command):
    """For a `flask` command (below @with_appcontext): what it prints, its own texts and the
    translated messages of the rules it calls, is in one language, English, whatever the default
    interface language. Mail it sends keeps each recipient's language (mail.send forces it)."""
    @functools.wraps(command)
    def english(*args, **kwargs):
        with force_locale("en"):
            return command(*args, **kwargs)
    return english


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def centre_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else current_app.config["BABEL_DEFAULT_LOCALE"]


def text_direction(language: str | None = None) -> str:
    return Locale.parse(language or current_language()).text_direction


def _babel_locale(language: str | None) -> str:
    language = language or current_language()
    return FORMAT_LOCALES.get(language, language)


def localized(obj, field: str, language: str | None = None) -> str:
    """Pick `<field>_<lang>` from bilingual data, falling back to French, then English."""
    for lang in (language or current_language(), "fr", "en", "ar"):
        value = getattr(obj, f"{field}_{lang}", "")
        if value:
            return value
    return ""


def format_day(value: date | datetime, fmt: str = "long", language: str | None = None) -> str:
    """A date in the given (or the page's) language; datetimes in the centre's time zone."""
    if isinstance(value, datetime):
        value = value.astimezone(centre_zone()).date()
    return babel_dates.format_date(value, fmt, locale=_babel_locale(language))


#: Day, month in full and year, in every language ("10 juillet 2026", "10 يوليوز 2026").
FULL_DATE = "d MMMM y"


def format_date_range(start: date, end: date, language: str | None = None) -> str:
    """A period as a document says it: "du 6 au 10 juillet 2026", "من 6 إلى 10 يوليوز 2026"."""
    locale = _babel_locale(language)
    last = babel_dates.format_date(end, FULL_DATE, locale=locale)
    if start == end:
        return last
    if (start.year, start.month) == (end.year, end.month):
        first = babel_dates.format_date(start, "d", locale=locale)
    elif start.year == end.year:
        first = babel_dates.format_date(start, "d MMMM", locale=locale)
    else:
        first = babel_dates.format_date(start, FULL_DATE, locale=locale)
    return gettext("from %(start)s to %(end)s", start=first, end=last)


def isolate(text: str, direction: str = "auto") -> str:
    """Wrap text typed by a person in Unicode isolates, so that inside text of the other
    direction it keeps its own order (U+2066 left-to-right, U+2068 first strong, U+2069 end)."""
    if not text:
        return text
    return ("\u2066" if direction == "ltr" else "\u2068") + text + "\u2069"


def format_time(value: datetime, language: str | None = None) -> str:
    return babel_dates.format_time(
        value.astimezone(centre_zone()), "short", locale=_babel_locale(language)
    )


def format_datetime(value: datetime, language: str | None = None) -> str:
    return babel_dates.format_datetime(
        value.astimezone(centre_zone()), "medium", locale=_babel_locale(language)
    )


def country_name(code: str, language: str | None = None) -> str:
    """A country's name in the given language (Babel's territories); the code if unknown."""
    language = language or current_language()
    if code == "XK":  # user-assigned code, not in Babel
        return {"ar": "كوسوفو"}.get(language, "Kosovo")
    return Locale.parse(_babel_locale(language)).territories.get(code, code)


def country_choices(language: str | None = None) -> tuple[tuple[str, str], ...]:
    """(code, name) of every country, sorted by name in the language. Kept per language: it took
    2 ms, and every registration builds the form twice (GET and POST)."""
    return _country_choices(language or current_language())


@functools.cache
def _country_choices(language: str) -> tuple[tuple[str, str], ...]:
    territories = Locale.parse(_babel_locale(language)).territories
    codes = {c for c in territories if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES}
    codes.add("XK")
    return tuple(sorted(((c, country_name(c, language)) for c in codes), key=lambda item: item[1]))


@functools.cache
def _country_codes() -> frozenset[str]:
    return frozenset(c for c, _ in country_choices("en"))


def is_country(code: str | None) -> bool:
    """Whether `code` is one of the countries offered by country_choices()."""
    return bool(code) and code in _country_codes()
