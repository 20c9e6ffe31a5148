"""Languages: catalogues complete, the page's language and direction, dates in each locale."""
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from centre.i18n import format_date_range
from tests.conftest import post

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdif]")


def catalogue(language):
    with open(ROOT / f"translations/{language}/LC_MESSAGES/messages.po", "rb") as f:
        return read_po(f, locale=language)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The strings the code uses now, extracted as `make extract` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    run = subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                          "-k", "_l", "-k", "lazy_gettext", "-k", "_lp:1c,2", "-k", "lazy_pgettext:1c,2",
                          "--ignore-dirs", ".* __pycache__", "-o", str(pot), "."],
                         cwd=ROOT, check=True, capture_output=True, text=True)
    with open(pot, "rb") as f:
        catalogue = read_po(f)
    catalogue.files_read = set(re.findall(r"^extracting messages from (\S+)", run.stdout + run.stderr, re.M))
    return catalogue


def test_extraction_reads_every_template_and_module(extracted):
    """Babel skips folders named _* unless told otherwise: templates/_macros was never read."""
    sources = [p.relative_to(ROOT).as_posix() for pattern in ("templates/**/*.html", "templates/**/*.txt",
                                                               "centre/**/*.py") for p in ROOT.glob(pattern)]
    assert sources and not set(sources) - extracted.files_read, sorted(set(sources) - extracted.files_read)


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_catalogue_is_complete(language, extracted):
    messages = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalogue(language) if m.id}
    missing = [key for key in ((m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in extracted if m.id)
               if key not in messages]
    assert not missing, f"run `make update`: {missing[:5]}"
    for key, message in messages.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: no translation for {key}"
        assert not message.fuzzy, f"{language}: fuzzy {key}"
        expected = set(PLACEHOLDER.findall(message.id if isinstance(message.id, str) else message.id[1]))
        for text in strings:
            found = set(PLACEHOLDER.findall(text))
            # A plural form may leave the number out ("one slot"), never add a placeholder.
            assert found <= expected and (found == expected or isinstance(message.id, tuple)), (
                f"{language}: placeholders differ in {key}: {text!r}")


def test_arabic_has_six_plural_forms():
    assert catalogue("ar").num_plurals == 6


@pytest.mark.parametrize("language, direction, text", [
    ("fr", "ltr", "Sessions ouvertes"), ("ar", "rtl", "الدورات المفتوحة"), ("en", "ltr", "Open sessions"),
])
def test_page_language_and_direction(client, language, direction, text):
    client.set_cookie("centre_lang", language)
    html = client.get("/catalogue").get_data(as_text=True)
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert text in html


def test_french_is_the_default(client):
    assert '<html lang="fr" dir="ltr">' in client.get("/").get_data(as_text=True)


def test_browser_language_is_used_without_a_choice(client):
    html = client.get("/", headers={"Accept-Language": "ar-MA,ar;q=0.9,fr;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html


def test_language_choice_is_remembered_in_a_cookie_and_on_the_account(app, client, login_as):
    from centre.extensions import db
    from centre.models import User

    user_id = login_as("coordinator")
    response = post(client, "/language/ar", {"next": "/sessions/"})
    assert response.status_code == 302 and response.headers["Location"] == "/sessions/"
    assert "centre_lang=ar" in response.headers["Set-Cookie"]
    with app.app_context():
        assert db.session.get(User, user_id).locale == "ar"
    # Without the cookie (another browser), the account's choice still applies.
    client.delete_cookie("centre_lang")
    assert 'dir="rtl"' in client.get("/sessions/").get_data(as_text=True)


def test_language_switch_refuses_another_site_as_next(client):
    response = post(client, "/language/en", {"next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_unknown_language_is_not_found(client):
    assert post(client, "/language/xx").status_code == 404


@pytest.mark.parametrize("language, expected", [
    ("fr", "du 6 au 10 juillet 2026"),
    ("ar", "من 6 إلى 10 يوليوز 2026"),  # Moroccan month name, Western digits
    ("en", "from 6 to 10 July 2026"),
])
def test_date_ranges_in_each_language(app, language, expected):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(language):
        assert format_date_range(date(2026, 7, 6), date(2026, 7, 10), language) == expected


def test_person_typed_text_is_shown_with_dir_auto(app, client, create_session):
    from centre.extensions import db
    from centre.models import SessionStatus

    with app.app_context():
        create_session(SessionStatus.OPEN, code="2026-09", venue_fr="الرباط")
        db.session.commit()
    html = client.get("/catalogue/2026-09").get_data(as_text=True)
    assert '<dd><span dir="auto">الرباط</span></dd>' in html


#: A mark used as punctuation (followed by a space or the end) with no non-breaking space before it.
FRENCH_MARK_WITHOUT_NBSP = re.compile(r"(?<![\u00a0\u202f])[:;?!](?=\s|$)")


def test_the_french_catalogue_puts_a_non_breaking_space_before_high_punctuation():
    """French typography (issue 19): « Statut : » with a non-breaking space before : ; ? ! and
    inside « », so that the mark never starts a line. scripts/french_typography.py fixes the catalogue."""
    wrong = []
    for message in catalogue("fr"):
        if not message.id:
            continue
        for text in message.string if isinstance(message.string, tuple) else (message.string,):
            if text and (FRENCH_MARK_WITHOUT_NBSP.search(text) or "« " in text or " »" in text):
                wrong.append(text)
    assert not wrong, (f"{len(wrong)} French messages lack a non-breaking space (run "
                       f".venv/bin/python scripts/french_typography.py): {wrong[:5]}")


@pytest.mark.parametrize("language, expected", [
    ("fr", {"submitted": "Soumise", "planned": "Planifiée", "closed": "Clôturée",
            "questionnaire planned": "Prévu", "questionnaire closed": "Clos"}),
    ("ar", {"submitted": "مقدَّم", "questionnaire closed": "مغلق"}),
])
def test_states_agree_with_what_they_describe(app, language, expected):
    """A request (la demande, feminine in French) and a questionnaire (le questionnaire) share English
    state words; their labels are translated each in its own context."""
    from flask_babel import force_locale

    from centre.models import AssistanceStatus
    from centre.models.evaluation import QuestionnaireStatus

    labels = {"submitted": AssistanceStatus.SUBMITTED, "planned": AssistanceStatus.PLANNED,
              "closed": AssistanceStatus.CLOSED, "questionnaire planned": QuestionnaireStatus.PLANNED,
              "questionnaire closed": QuestionnaireStatus.CLOSED}
    with app.test_request_context(), force_locale(language):
        assert {key: str(labels[key].label) for key in expected} == expected
