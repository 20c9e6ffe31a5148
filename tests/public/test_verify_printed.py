"""The verification page shows exactly what the certificate prints (issue 19): it listed the Latin
name that an Arabic certificate does not print, and the title in the reader's language."""
from datetime import date

from centre.certificates.printing import printed_fields, printed_sides
from centre.certificates.services import issue_certificate
from centre.extensions import db
from centre.models import DocumentLanguage, SessionStatus
from centre.sessions.services import change_status


def test_each_side_lists_the_name_in_its_script_and_nothing_else(ctx, create_registration):
    registration = create_registration(trainee=None)
    registration.trainee.given_name, registration.trainee.family_name = "Amira", "Ben Salem"
    registration.trainee.full_name_ar = "أميرة بن سالم"
    printed = printed_fields(registration, "CIFEM-2026-0001", date(2026, 3, 9))
    arabic, = printed_sides(printed, DocumentLanguage.AR)
    assert (arabic["name"], arabic["title"], arabic["venue"]) == ("أميرة بن سالم", "تدبير الشكايات", "الرباط")
    french, = printed_sides(printed, DocumentLanguage.FR)
    assert (french["name"], french["title"]) == ("Amira Ben Salem", "Gestion des plaintes")
    assert [side["name"] for side in printed_sides(printed, DocumentLanguage.BILINGUAL)] == [
        "Amira Ben Salem", "أميرة بن سالم"]
    registration.trainee.full_name_ar = ""  # no Arabic name: the Arabic side prints the Latin one
    assert printed_sides(printed_fields(registration, "N", date(2026, 3, 9)), DocumentLanguage.AR)[0]["name"] == (
        "Amira Ben Salem")


def test_the_page_of_an_arabic_certificate_does_not_show_the_latin_name(app, client, create_session,
                                                                         create_registration, mark_all):
    with app.app_context():
        training_session = create_session(SessionStatus.IN_PROGRESS)
        registration = create_registration(training_session)
        registration.trainee.given_name, registration.trainee.full_name_ar = "Zeinabou", "زينب ديالو"
        mark_all(registration, present=10)
        change_status(training_session, SessionStatus.COMPLETED)
        code = issue_certificate(registration, DocumentLanguage.AR, None).verification_code
        db.session.commit()
    client.set_cookie("centre_lang", "fr")
    page = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "زينب ديالو" in page and "تدبير الشكايات" in page
    assert "Zeinabou" not in page and "Gestion des plaintes" not in page

