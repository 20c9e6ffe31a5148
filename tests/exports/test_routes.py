"""Every export, downloaded as CSV and as XLSX and read back: headers in each language, ISO dates,
localized labels, the formula guard, the sheet's direction, the file's name, access and queries."""
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from centre.extensions import db
from centre.models import AuditEntry
from tests.exports.conftest import DECIDED_AT, FORMULA_NAME, filename, read_csv, read_xlsx

ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def by_family_name(rows, header, family_name):
    column = header.index("Family name")
    return next(row for row in rows if row[column] == family_name)


# Registrations ---------------------------------------------------------------------------------


def test_session_registrations_csv_lists_every_status_with_labels_and_iso_datetimes(staff, centre_data):
    response = staff.get(f"/exports/session/{centre_data['july']}/registrations.csv")
    rows = read_csv(response)
    assert filename(response) == "registrations-2026-07.csv"
    header = rows[0]
    assert header == ["Session", "Status", "Family name", "Given name", "Name in Arabic script", "Gender",
                      "Nationality", "Institution", "E-mail", "Submitted at", "Decided at"]
    assert len(rows) == 1 + 4
    first = by_family_name(rows, header, "'" + FORMULA_NAME)  # never a formula in a spreadsheet
    assert first[:2] == ["2026-07", "Accepted"]
    assert first[3:8] == ["Aïcha", "عائشة بنت محمد", "Female", "Senegal", "Mediator of the Kingdom"]
    assert ISO_DATETIME.match(first[9])
    assert ISO_DATETIME.match(first[10]) and datetime.fromisoformat(first[10]) == DECIDED_AT
    pending = by_family_name(rows, header, "Zongo")
    assert pending[1] == "Pending" and pending[7] == "Cour des comptes" and pending[10] == ""
    assert by_family_name(rows, header, "Ba")[4:7] == ["أميناتا ديالو", "Male", "Mali"]


def test_registrations_headers_and_labels_follow_the_language_asked_or_the_page(staff, centre_data):
    url = f"/exports/session/{centre_data['july']}/registrations.csv"
    french = read_csv(staff.get(url + "?language=fr"))
    assert french[0][:8] == ["Session", "Statut", "Nom", "Prénom", "Nom en caractères arabes", "Sexe",
                             "Nationalité", "Institution"]
    assert "Acceptée" in {row[1] for row in french} or "Accepté" in {row[1] for row in french}
    arabic = read_csv(staff.get(url + "?language=ar"))
    assert arabic[0][:4] == ["الدورة", "الحالة", "الاسم العائلي", "الاسم الشخصي"]
    assert {row[1] for row in arabic[1:]} == {"مقبول", "في الانتظار"}
    assert "السنغال" in {row[6] for row in arabic[1:]}
    staff.set_cookie("centre_lang", "ar")  # no parameter: the page's language
    assert read_csv(staff.get(url))[0] == arabic[0]


def test_session_registrations_xlsx_has_bold_frozen_header_widths_and_text_only_cells(staff, centre_data):
    response = staff.get(f"/exports/session/{centre_data['july']}/registrations.xlsx")
    assert filename(response) == "registrations-2026-07.xlsx"
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet, rows = read_xlsx(response)
    assert rows[0][:3] == ["Session", "Status", "Family name"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["H"].width >= 30  # institution names are long
    assert not sheet.sheet_view.rightToLeft
    index = next(i for i, row in enumerate(rows) if row[2] == "'" + FORMULA_NAME)
    assert sheet.cell(row=index + 1, column=3).data_type == "s"
    assert ISO_DATETIME.match(rows[index][9])


def test_arabic_xlsx_reads_right_to_left(staff, centre_data):
    sheet, rows = read_xlsx(staff.get(f"/exports/session/{centre_data['july']}/registrations.xlsx?language=ar"))
    assert sheet.sheet_view.rightToLeft
    assert rows[0][1] == "الحالة"


def test_period_registrations_take_the_sessions_starting_in_it(staff, centre_data):
    response = staff.get("/exports/registrations.csv?from=2026-01-01&to=2026-12-31")
    rows = read_csv(response)
    assert filename(response) == "registrations-2026.csv"
    assert {row[0] for row in rows[1:]} == {"2026-07"} and len(rows) == 1 + 4
    both = read_csv(staff.get("/exports/registrations.csv?from=2026-07-06&to=2027-02-01"))
    assert [row[0] for row in both[1:]] == ["2026-07"] * 4 + ["2027-02"]  # by session, then name
    response = staff.get("/exports/registrations.xlsx?from=2027-02-01&to=2027-02-28&language=fr")
    assert filename(response) == "registrations-2027-02.xlsx"
    sheet, rows = read_xlsx(response)
    assert rows[0][1] == "Statut" and len(rows) == 2


# Attendance ------------------------------------------------------------------------------------


def test_session_attendance_has_a_column_per_slot_and_the_rate(staff, centre_data):
    response = staff.get(f"/exports/session/{centre_data['july']}/attendance.csv")
    rows = read_csv(response)
    assert filename(response) == "attendance-2026-07.csv"
    header = rows[0]
    assert header[:5] == ["Family name", "Given name", "Name in Arabic script", "2026-07-06 Morning",
                          "2026-07-06 Afternoon"]
    assert header[-5:] == ["Present or late", "Excused", "Absent", "Slots counted", "Attendance rate (percent)"]
    assert len(header) == 3 + centre_data["slots"] + 5
    assert len(rows) == 1 + 3  # accepted trainees only
    second = by_family_name(rows, header, "Ba")
    assert second[3:5] == ["Present", "Present"] and second[3 + 8:3 + 10] == ["Excused", "Excused"]
    assert second[-5:] == ["8", "2", "0", "10", "80"]
    assert by_family_name(rows, header, "Cissé")[-1] == "90"
    assert by_family_name(rows, header, "'" + FORMULA_NAME)[-1] == "100"


def test_session_attendance_xlsx_keeps_numbers_as_numbers(staff, centre_data):
    sheet, rows = read_xlsx(staff.get(f"/exports/session/{centre_data['july']}/attendance.xlsx?language=ar"))
    assert rows[0][0] == "الاسم العائلي" and rows[0][3] == "2026-07-06 صباحا"
    assert rows[0][-1] == "نسبة الحضور (%)"
    assert sheet.sheet_view.rightToLeft
    assert sorted(row[-1] for row in rows[1:]) == [80, 90, 100]


# Certificates ----------------------------------------------------------------------------------


def test_session_certificates_show_valid_replaced_and_revoked(staff, centre_data):
    response = staff.get(f"/exports/session/{centre_data['july']}/certificates.csv")
    rows = read_csv(response)
    assert filename(response) == "certificates-2026-07.csv"
    header = rows[0]
    assert header == ["Session", "Certificate number", "Family name", "Given name", "Name in Arabic script",
                      "Language", "Issued at", "Status", "Replaced by", "Revoked at"]
    numbers = centre_data["numbers"]
    by_number = {row[1]: row for row in rows[1:]}
    assert list(by_number) == sorted(by_number) and len(by_number) == 4
    assert by_number[numbers["valid"]][5:8][::2] == ["French", "Valid"]
    assert by_number[numbers["replaced"]][7:9] == ["Replaced", numbers["replacement"]]
    assert by_number[numbers["replacement"]][7] == "Valid"
    revoked = by_number[numbers["revoked"]]
    assert revoked[5] == "Bilingual (French and Arabic)" and revoked[7] == "Revoked" and ISO_DATETIME.match(revoked[9])
    assert all(ISO_DATETIME.match(row[6]) for row in rows[1:])


def test_certificates_in_french_and_arabic(staff, centre_data):
    french = read_csv(staff.get(f"/exports/session/{centre_data['july']}/certificates.csv?language=fr"))
    assert french[0][0] == "Session" and french[0][7] == "Statut"
    assert {row[7] for row in french[1:]} == {"Valide", "Remplacée", "Révoquée"}
    sheet, rows = read_xlsx(staff.get("/exports/certificates.xlsx?from=2026-07-01&to=2026-07-31&language=ar"))
    assert rows[0][7] == "الحالة" and {row[7] for row in rows[1:]} == {"صالحة", "مستبدلة", "ملغاة"}
    assert sheet.sheet_view.rightToLeft


def test_period_certificates_leave_out_other_periods(staff, centre_data):
    response = staff.get("/exports/certificates.csv?from=2027-01-01&to=2027-12-31")
    assert filename(response) == "certificates-2027.csv"
    assert len(read_csv(response)) == 1  # the header alone
    response = staff.get("/exports/certificates.csv?from=2026-07-06&to=2026-07-06")
    assert filename(response) == "certificates-2026-07-06_2026-07-06.csv"
    assert len(read_csv(response)) == 1 + 4


# Partners --------------------------------------------------------------------------------------


def test_partners_list_names_country_kind_associations_and_agreements(staff, centre_data):
    response = staff.get("/exports/partners.csv")
    rows = read_csv(response)
    assert re.fullmatch(r"partners-\d{4}-\d\d-\d\d\.csv", filename(response))
    assert rows[0] == ["Name in French", "Name in Arabic", "Name in English", "Country", "Kind", "Member of",
                       "Agreements", "Agreements in force", "Latest agreement signed on", "Latest agreement ends on"]
    kingdom = next(row for row in rows if row[0] == "Médiateur du Royaume")
    assert kingdom[1:] == ["مؤسسة الوسيط", "Mediator of the Kingdom", "Morocco", "Ombudsman", "AOM, AOMF",
                           "2", "1", "2024-05-02", "2029-05-01"]
    senegal = next(row for row in rows if row[2] == "Ombudsman of Senegal")
    assert senegal[6:] == ["0", "0", "", ""]


def test_partners_xlsx_has_real_dates_shown_iso(staff, centre_data):
    sheet, rows = read_xlsx(staff.get("/exports/partners.xlsx?language=ar"))
    assert rows[0][3] == "البلد" and sheet.sheet_view.rightToLeft
    index = next(i for i, row in enumerate(rows) if row[0] == "Médiateur du Royaume")
    assert rows[index][3] == "المغرب" and rows[index][6] == 2
    cell = sheet.cell(row=index + 1, column=10)
    assert cell.value.date() == date(2029, 5, 1) and cell.number_format == "yyyy-mm-dd"


# The formula guard -----------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_guard_covers_every_dangerous_first_character(staff, app, centre_data, start):
    from centre.models import Trainee

    with app.app_context():
        trainee = db.session.scalar(sa.select(Trainee).where(Trainee.family_name == "Ba"))
        trainee.family_name = start + "cmd|' /C calc'!A0"
        db.session.commit()
    url = f"/exports/session/{centre_data['july']}/registrations"
    rows = read_csv(staff.get(url + ".csv"))
    assert "'" + start + "cmd|' /C calc'!A0" in {row[2] for row in rows}
    sheet, rows = read_xlsx(staff.get(url + ".xlsx"))
    # openpyxl's own XML reader gives a carriage return back as a line feed; with lxml installed
    # (pyHanko needs it) it gives it back as it was written.
    guarded = "'" + start + "cmd|' /C calc'!A0"
    assert {guarded, guarded.replace("\r", "\n")} & {row[2] for row in rows}
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


# Bad input -------------------------------------------------------------------------------------


def test_unknown_format_is_refused_in_words(staff, centre_data):
    for url in (f"/exports/session/{centre_data['july']}/attendance.pdf", "/exports/partners.ods",
                "/exports/registrations.json?from=2026-01-01&to=2026-12-31"):
        response = staff.get(url)
        assert response.status_code == 404, url
        assert "choose CSV or XLSX" in response.get_data(as_text=True)


def test_unknown_language_is_refused_in_words(staff, centre_data):
    response = staff.get(f"/exports/session/{centre_data['july']}/registrations.csv?language=de")
    assert response.status_code == 400
    assert "French, Arabic or English" in response.get_data(as_text=True)
    response = staff.get("/exports/registrations.csv?from=2026-01-01&to=2026-12-31&language=xx")
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ("", "This field is required."),
    ("?from=2026-13-01&to=2026-12-31", "Not a valid date value."),
    ("?from=2026-01-01&to=yesterday", "Not a valid date value."),
    ("?from=2026-12-31&to=2026-01-01", "The end of the period cannot be before its start."),
    # The same bounds and words as the dashboard's period (one period form for both).
    ("?from=1990-01-01&to=2026-12-31", "Choose a date between 2000 and 2100."),
    ("?from=2026-01-01&to=9999-12-31", "Choose a date between 2000 and 2100."),
    ("?from=2001-01-01&to=2026-12-31", "A period spans twenty years at most."),
])
def test_bad_period_shows_the_form_again_with_the_reason(staff, centre_data, query, message):
    for kind in ("registrations", "certificates"):
        response = staff.get(f"/exports/{kind}.csv{query}")
        assert response.status_code == 400
        assert response.mimetype == "text/html"
        assert message in response.get_data(as_text=True)


def test_session_that_does_not_exist_is_not_found(staff, centre_data):
    assert staff.get("/exports/session/999999/registrations.csv").status_code == 404


def test_odd_session_code_gives_a_safe_file_name(app, staff, centre_data):
    from centre.models import TrainingSession

    with app.app_context():
        db.session.get(TrainingSession, centre_data["july"]).code = 'A/B:"C"* é'
        db.session.commit()
    for kind in ("registrations", "attendance", "certificates"):
        for fmt in ("csv", "xlsx"):
            response = staff.get(f"/exports/session/{centre_data['july']}/{kind}.{fmt}")
            assert response.status_code == 200
            assert filename(response) == f"{kind}-A_B__C____.{fmt}"


# Access and audit ------------------------------------------------------------------------------

EXPORT_URLS = ["/exports/", "/exports/registrations.csv?from=2026-01-01&to=2026-12-31",
               "/exports/certificates.xlsx?from=2026-01-01&to=2026-12-31", "/exports/partners.csv",
               "/exports/session/{id}/registrations.csv", "/exports/session/{id}/attendance.xlsx",
               "/exports/session/{id}/certificates.csv"]


@pytest.mark.parametrize("role", ["trainee", "expert"])
def test_trainees_and_experts_cannot_export(client, login_as, centre_data, role):
    login_as(role)
    for url in EXPORT_URLS:
        assert client.get(url.format(id=centre_data["july"])).status_code == 403, url


def test_anonymous_visitors_are_sent_to_sign_in(client, centre_data):
    for url in EXPORT_URLS:
        response = client.get(url.format(id=centre_data["july"]))
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_admins_export_too(client, login_as, centre_data):
    login_as("admin")
    for url in EXPORT_URLS:
        assert client.get(url.format(id=centre_data["july"])).status_code == 200, url


def test_personal_data_exports_are_audited_and_partners_are_not(app, staff, centre_data):
    staff.get(f"/exports/session/{centre_data['july']}/attendance.xlsx?language=ar")
    staff.get("/exports/registrations.csv?from=2026-01-01&to=2026-12-31")
    staff.get("/exports/partners.csv")
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("export_%"))
                                     .order_by(AuditEntry.id)).all()
        assert [(e.entity, e.action) for e in entries] == [("training_session", "export_attendance"),
                                                           ("user", "export_registrations")]
        assert entries[0].entity_id == centre_data["july"]
        assert entries[0].details == {"format": "xlsx", "language": "ar"}
        assert entries[1].entity_id == entries[1].actor_id
        assert entries[1].details == {"format": "csv", "language": "en", "start": "2026-01-01", "end": "2026-12-31"}
    page = staff.get(f"/sessions/{centre_data['july']}").get_data(as_text=True)
    assert "Attendance exported" in page


# Links where users look for them ---------------------------------------------------------------


def test_pages_link_to_their_exports(staff, centre_data):
    july = centre_data["july"]
    for page, export in [(f"/registrations/session/{july}", f"/exports/session/{july}/registrations"),
                         (f"/attendance/session/{july}", f"/exports/session/{july}/attendance"),
                         (f"/certificates/session/{july}", f"/exports/session/{july}/certificates"),
                         ("/partners/", "/exports/partners")]:
        html = staff.get(page).get_data(as_text=True)
        assert f'href="{export}.csv"' in html and f'href="{export}.xlsx"' in html, page
    html = staff.get("/exports/").get_data(as_text=True)
    assert 'formaction="/exports/registrations.xlsx"' in html and 'formaction="/exports/certificates.csv"' in html
    assert 'name="from"' in html and 'name="to"' in html and 'href="/exports/"' in html


def test_exports_page_in_french_and_arabic(client, login_as):
    login_as("coordinator")
    html = client.get("/exports/").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html
    client.set_cookie("centre_lang", "ar")
    html = client.get("/exports/").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert '<option selected value="ar">' in html


# Queries ---------------------------------------------------------------------------------------


@pytest.fixture
def populate(app, create_session, create_registration, create_institution, mark_all):
    """A completed session with `n` accepted, marked, certified trainees and `n` pending ones,
    and `n` partners."""
    from centre.certificates.services import issue_certificate
    from centre.models import DocumentLanguage, MarkStatus, RegistrationStatus, SessionStatus
    from centre.sessions.services import change_status

    def populate(n):
        with app.app_context():
            done = create_session(SessionStatus.IN_PROGRESS)
            accepted = [create_registration(done) for _ in range(n)]
            for registration in accepted:
                mark_all(registration, present=10, rest=MarkStatus.PRESENT)
                create_registration(done, status=RegistrationStatus.PENDING)
                create_institution(name_fr=f"Partenaire {registration.id}")
            change_status(done, SessionStatus.COMPLETED)
            for registration in accepted:
                issue_certificate(registration, DocumentLanguage.FR, None)
            db.session.commit()
            return done.id

    return populate


QUERY_URLS = ["/exports/session/{id}/registrations.{fmt}", "/exports/session/{id}/attendance.{fmt}",
              "/exports/session/{id}/certificates.{fmt}", "/exports/registrations.{fmt}?from=2026-01-01&to=2026-12-31",
              "/exports/certificates.{fmt}?from=2026-01-01&to=2026-12-31", "/exports/partners.{fmt}"]


@pytest.mark.parametrize("url", QUERY_URLS)
def test_export_queries_do_not_grow_with_rows(staff, populate, count_queries, url):
    small = populate(2)
    few = {fmt: count_queries(lambda fmt=fmt: staff.get(url.format(id=small, fmt=fmt)).get_data())
           for fmt in ("csv", "xlsx")}
    large = populate(6)
    many = {fmt: count_queries(lambda fmt=fmt: staff.get(url.format(id=large, fmt=fmt)).get_data())
            for fmt in ("csv", "xlsx")}
    assert many == few, f"{url}: {few} queries with 2 rows, {many} with 6"


# Hostile query strings -------------------------------------------------------------------------


def test_no_query_string_makes_an_export_answer_500(app, staff, create_session):
    from urllib.parse import urlencode

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.test_bad_input import HOSTILE

    with app.app_context():
        session_id = create_session().id
        db.session.commit()
    value = st.one_of(st.sampled_from(HOSTILE + ["0001-01-01", "9999-12-31"]), st.text(max_size=20),
                      st.dates().map(date.isoformat))

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.sampled_from(["/exports/registrations", "/exports/certificates", "/exports/partners",
                            f"/exports/session/{session_id}/attendance", "/exports/"]),
           st.sampled_from([".csv", ".xlsx", ""]), st.dictionaries(st.sampled_from(["from", "to", "language"]), value))
    def export(path, extension, query):
        download = not path.endswith("/") and extension
        url = path + (extension if download else "") + "?" + urlencode(query)
        response = staff.get(url)
        assert response.status_code in (200, 400, 404), (url, response.status_code)
        if response.status_code == 200 and download:
            assert "\r" not in response.headers["Content-Disposition"]
        response.close()

    export()
