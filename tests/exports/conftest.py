"""A centre with something to export: a completed session `2026-07` with accepted, pending and
certified trainees, marks, a replaced and a revoked certificate, another session in another
year, and partners with associations and agreements."""
import csv
import io
from datetime import date, datetime, timezone

import pytest

from centre.extensions import db
from centre.models import DocumentLanguage, Gender, MarkStatus, RegistrationStatus, SessionStatus

FORMULA_NAME = '=HYPERLINK("http://evil.example","Click")'
DECIDED_AT = datetime(2026, 6, 15, 14, 30, tzinfo=timezone.utc)


@pytest.fixture
def centre_data(app, create_session, create_registration, create_trainee, create_institution,
                create_association, mark_all):
    from centre.certificates.services import issue_certificate, replace_certificate, revoke_certificate
    from centre.institutions.services import add_agreement
    from centre.sessions.services import change_status

    with app.app_context():
        aom, aomf = create_association("AOM"), create_association("AOMF")
        partner = create_institution(name_fr="Médiateur du Royaume", name_ar="مؤسسة الوسيط",
                                     name_en="Mediator of the Kingdom", country="MA")
        partner.associations = [aomf, aom]
        add_agreement(partner, title="Convention-cadre", signed_on=date(2020, 1, 10), ends_on=date(2023, 1, 9))
        add_agreement(partner, title="Convention 2024", signed_on=date(2024, 5, 2), ends_on=date(2029, 5, 1))

        july = create_session(SessionStatus.IN_PROGRESS, code="2026-07", start_on=date(2026, 7, 6),
                              end_on=date(2026, 7, 10))
        first = create_registration(july, trainee=create_trainee(
            family_name=FORMULA_NAME, given_name="Aïcha", full_name_ar="عائشة بنت محمد", institution=partner),
            decided_at=DECIDED_AT)
        second = create_registration(july, trainee=create_trainee(family_name="Ba", given_name="Moussa",
                                                                   gender=Gender.MALE, nationality="ML"))
        third = create_registration(july, trainee=create_trainee(family_name="Cissé", given_name="Fatou"))
        create_registration(july, trainee=create_trainee(family_name="Zongo", institution=None,
                                                         institution_other="Cour des comptes"),
                            status=RegistrationStatus.PENDING)
        mark_all(first, present=10)
        mark_all(second, present=8, rest=MarkStatus.EXCUSED)
        mark_all(third, present=9)
        change_status(july, SessionStatus.COMPLETED)
        valid = issue_certificate(first, DocumentLanguage.FR, None)
        replaced = issue_certificate(second, DocumentLanguage.AR, None)
        replacement = replace_certificate(replaced, "Name misspelt", None)
        revoked = issue_certificate(third, DocumentLanguage.BILINGUAL, None)
        revoke_certificate(revoked, "Issued by mistake", None)

        later = create_session(SessionStatus.OPEN, code="2027-02", start_on=date(2027, 2, 1),
                               end_on=date(2027, 2, 5))
        create_registration(later, status=RegistrationStatus.PENDING)
        db.session.commit()
        return {"july": july.id, "later": later.id, "slots": len(july.slots),
                "numbers": {"valid": valid.number, "replaced": replaced.number,
                            "replacement": replacement.number, "revoked": revoked.number}}


@pytest.fixture
def staff(client, login_as):
    """The client signed in as a coordinator, pages in English."""
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    return client


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf"), "a UTF-8 BOM, for Excel"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def read_xlsx(response):
    """The workbook's only sheet, and its rows of values."""
    from openpyxl import load_workbook

    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    workbook = load_workbook(io.BytesIO(response.data))
    assert len(workbook.worksheets) == 1
    sheet = workbook.active
    return sheet, [[cell.value for cell in row] for row in sheet.iter_rows()]


def filename(response) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    return disposition.split("filename=", 1)[1].strip('"')
