"""The dashboard page and the activity report PDF: wiring, languages, bad input and queries."""
import re
import subprocess
from datetime import date

import pytest
import sqlalchemy as sa

from centre.extensions import db
from centre.models import SessionStatus
from centre.reports.charts import LABEL, WIDTH, Bar, bar_percent, horizontal_bars, vertical_bars

YEAR = {"from": "2026-01-01", "to": "2026-12-31"}
CHARTS = 7  #: kinds, regions, countries, associations, genders, years, attendance per session


def pdf_text(data: bytes, *options: str) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *options, "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def loose(text: str) -> str:
    """Text without spaces: a long heading or label may wrap onto several lines."""
    return "".join(ch for ch in text if not ch.isspace())


def figure(html: str, key: str) -> str:
    match = re.search(rf'figure-{key}">.*?<dd class="figure-value">([^<]*)</dd>', html, re.S)
    assert match, key
    return match[1]


@pytest.mark.parametrize("language, direction", [("fr", "ltr"), ("ar", "rtl"), ("en", "ltr")])
def test_dashboard_shows_the_figures_and_charts_in_each_language(client, login_as, activity, language, direction):
    login_as("coordinator")
    client.set_cookie("centre_lang", language)
    response = client.get("/reports/", query_string=YEAR)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{language}" dir="{direction}">' in html
    # The hand count of conftest.py: 2 sessions, 6 participants, 4 countries, 3 certified, 77 %.
    assert [figure(html, key) for key in ("sessions", "participants", "countries", "institutions", "certified")] == \
        ["2", "6", "4", "3", "3"]
    assert figure(html, "attendance").replace("\xa0", " ").startswith("77.3" if language == "en" else "77,3")  # ar_MA writes a decimal comma too
    # Each chart: an image with a title, and a real table with a caption beside it.
    assert html.count('role="img"') == html.count('<table class="chart-table">') == CHARTS
    assert len(re.findall(r'<svg [^>]*aria-labelledby="(chart-\d+)"[^>]*>\s*<title id="\1">', html)) == CHARTS
    assert html.count("<caption>") >= CHARTS
    assert f'class="chart chart-{direction}"' in html
    # The Content-Security-Policy forbids inline styles and scripts.
    assert " style=" not in html and "<script" not in html
    assert "R-2026-A" in html and "R-2026-B" in html and "R-2025-A" not in html


def test_arabic_charts_are_mirrored(client, login_as, activity):
    login_as("admin")
    client.set_cookie("centre_lang", "ar")
    html = client.get("/reports/", query_string=YEAR).get_data(as_text=True)
    axis = WIDTH - LABEL  # the bars grow leftwards from an axis on the right, labels beyond it
    assert f'<line x1="{axis}"' in html and f'<line x1="{LABEL}"' not in html
    assert 'direction="rtl"' in html
    # The columns by year: oldest on the right, so the last label drawn is the first year.
    years = re.search(r'<title id="[^"]+">[^<]*</title>(.*?)</svg>', html.split('chart-years')[1], re.S)[1]
    labels = re.findall(r'class="label">(\d{4})<', years)
    assert labels == sorted(labels, reverse=True) and labels[0] == "2026"


def test_staff_land_on_the_dashboard_and_find_it_in_the_navigation(client, login_as):
    login_as("coordinator")
    assert client.get("/dashboard").headers["Location"] == "/reports/"
    assert 'href="/reports/"' in client.get("/sessions/").get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ({"from": "2026-13-01"}, "Not a valid date value."),
    ({"from": "2026-05-01", "to": "2026-01-01"}, "The end of the period cannot be before its start."),
    ({"from": "1990-01-01", "to": "2026-01-01"}, "Choose a date between 2000 and 2100."),
    ({"from": "2001-01-01", "to": "2026-01-01"}, "A period spans twenty years at most."),
    ({"to": "not a date"}, "Not a valid date value."),
])
def test_a_bad_period_is_refused_with_a_message(client, login_as, query, message):
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    response = client.get("/reports/", query_string=query)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'class="figures"' not in html
    response = client.get("/reports/activity.pdf", query_string=query)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_the_period_filter_changes_the_figures(client, login_as, activity):
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    html = client.get("/reports/", query_string={"from": "2026-05-01", "to": "2026-12-31"}).get_data(as_text=True)
    # Only S2 (June): T3, T4, T6 — against nothing from May to December 2025.
    assert figure(html, "sessions") == "1" and figure(html, "participants") == "3"
    assert "R-2026-B" in html and "R-2026-A" not in html
    # A start alone runs to the end of its year.
    html = client.get("/reports/", query_string={"from": "2025-01-01"}).get_data(as_text=True)
    assert figure(html, "participants") == "2"


def test_a_long_period_lists_the_latest_sessions_on_the_page(client, login_as, activity, monkeypatch):
    from centre.reports import routes

    monkeypatch.setattr(routes, "DASHBOARD_SESSIONS", 1)
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    html = client.get("/reports/", query_string=YEAR).get_data(as_text=True)
    assert re.search(r"The 1 latest of the period(&#39;|')s 2 sessions; the activity report lists them all\.", html)
    table = html.split("Sessions of the period")[-1]
    assert "R-2026-B" in table and "R-2026-A" not in table.split("Experts mobilised")[0]


def test_a_report_language_other_than_french_or_arabic_is_refused(client, login_as):
    login_as("coordinator")
    assert client.get("/reports/activity.pdf", query_string={"language": "en"}).status_code == 400


@pytest.mark.parametrize("page_language", ["fr", "ar"])
def test_activity_report_in_french_and_in_arabic_whatever_the_page_language(client, login_as, activity,
                                                                          page_language):
    login_as("coordinator")
    client.set_cookie("centre_lang", page_language)
    dashboard = client.get("/reports/", query_string=YEAR).get_data(as_text=True)
    assert "/reports/activity.pdf?language=fr&amp;from=2026-01-01&amp;to=2026-12-31" in dashboard
    assert "/reports/activity.pdf?language=ar&amp;from=2026-01-01&amp;to=2026-12-31" in dashboard

    french = client.get("/reports/activity.pdf", query_string={**YEAR, "language": "fr"})
    assert french.status_code == 200 and french.mimetype == "application/pdf"
    assert french.data.startswith(b"%PDF")
    text = pdf_text(french.data)
    assert "Institution du Médiateur du Royaume" in text
    # The sessions table: code, title, dates and participants of each session held.
    assert "R-2026-A" in text and "R-2026-B" in text and "R-2025-A" not in text and "R-2026-X" not in text
    assert "Gestion des plaintes" in text and "تدبير الشكايات" not in text
    assert "2 au 3 mars 2026" in text
    assert "Sénégal" in text and "Maroc" in text  # the country chart's labels, in French
    # Each session's attendance rate is a column of its row (no longer a chart of one bar a session).
    assert "Taux de présence" in text
    # Under each session's title, dates and figures, a line of its code, theme and kind.
    layout = pdf_text(french.data, "-layout").splitlines()
    rows = [line.split() for line in layout if re.search(r"\d{4} +\d+ +\d+ +\d+(,\d)? %$", line)]
    assert len(rows) == 2 and all(row[-1] == "%" for row in rows), rows
    assert len([line for line in layout if re.match(r" *R-2026-[AB] · ", line)]) == 2

    arabic = client.get("/reports/activity.pdf", query_string={**YEAR, "language": "ar"})
    assert arabic.status_code == 200 and arabic.data.startswith(b"%PDF")
    text = pdf_text(arabic.data)
    assert loose("مؤسسة وسيط المملكة") in loose(text)
    assert "R-2026-A" in text and "R-2026-B" in text
    assert loose("تدبير الشكايات") in loose(text) and "Gestion des plaintes" not in text
    assert loose("السنغال") in loose(text) and loose("المغرب") in loose(text)  # the country chart's labels, as text
    assert "2026" in text and "Expert" in text  # the trainers' Latin names, isolated


def test_dashboard_queries_do_not_grow_with_rows(app, client, login_as, count_queries, create_session,
                                                 create_registration, mark_all):
    from centre.sessions.services import change_status

    login_as("coordinator")

    def add(sessions, people):
        with app.app_context():
            for _ in range(sessions):
                s = create_session(SessionStatus.IN_PROGRESS, start_on=date(2026, 3, 2), end_on=date(2026, 3, 3))
                for _ in range(people):
                    mark_all(create_registration(s), 2)
                change_status(s, SessionStatus.COMPLETED)
            db.session.commit()

    add(1, 2)
    few = count_queries(lambda: client.get("/reports/", query_string=YEAR))
    add(4, 5)
    many = count_queries(lambda: client.get("/reports/", query_string=YEAR))
    assert many == few


def test_charts_escape_their_text_and_mirror_in_right_to_left():
    bars = [Bar("<b>AOM & co</b>", 3, "3"), Bar("ARAB", 1, "1")]
    ltr = str(horizontal_bars(bars, 'Title "x" <y>'))
    assert "<b>" not in ltr and "&lt;b&gt;AOM &amp; co&lt;/b&gt;" in ltr
    assert "<title id=" in ltr and "Title &#34;x&#34; &lt;y&gt;" in ltr
    rtl = str(horizontal_bars(bars, "t", "rtl"))
    first = re.search(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', rtl)
    assert float(first[1]) + float(first[2]) == pytest.approx(WIDTH - LABEL)  # the bar ends on the right axis
    assert re.search(r'<rect x="([\d.]+)"', ltr)[1] == str(LABEL)  # and starts on the left one
    assert bar_percent(Bar("a", 1, "1"), 2) == "50.00"  # a box whose start follows the direction
    assert bar_percent(Bar("a", -1, "-1"), 2) == "0.00" and bar_percent(Bar("a", 3, "3"), 0) == "100.00"
    columns = str(vertical_bars([Bar("2025", 1, "1"), Bar("2026", 2, "2")], "t", "rtl"))
    assert columns.index(">2026<") < columns.index(">2025<")  # the first year drawn on the right, last


@pytest.mark.parametrize("value", ["", " ", "\u200f", "abc\x00def", "😀", "x" * 10_000, "2026-02-30", "0000-00-00",
                                   "31/12/2026", "-1", "99999999999999999999", "<script>alert(1)</script>",
                                   "' OR '1'='1", "9999-12-31", "0001-01-01"])
def test_hostile_periods_never_answer_500(client, login_as, value):
    login_as("coordinator")
    for name in ("from", "to"):
        response = client.get("/reports/", query_string={name: value})
        assert response.status_code in (200, 400), (name, value)
        if response.status_code == 400:
            response = client.get("/reports/activity.pdf", query_string={name: value})
            assert response.status_code == 400, (name, value)
    response = client.get("/reports/activity.pdf", query_string={"language": value, "from": "x"})
    assert response.status_code == 400


def test_changes_read_left_to_right_and_a_word_keeps_its_side_in_arabic(client, login_as, activity):
    """"-34 (-1 %)" is one left-to-right run in every language; in "+0,4 نقطة" only the signed number
    is, so that the word stays to its left on an Arabic page rather than jumping before the number."""
    login_as("coordinator")
    client.set_cookie("centre_lang", "ar")
    html = client.get("/reports/", query_string=YEAR).get_data(as_text=True)
    participants = re.search(r'figure-participants">.*?<dd class="figure-change">\s*(.*?)\s*<span', html, re.S)[1]
    assert re.fullmatch(r'<bdi dir="ltr">\+?\d+( \(\+?\d+ %\))?</bdi>', participants), participants
    attendance = re.search(r'figure-attendance">.*?<dd class="figure-change">\s*(.*?)\s*<span', html, re.S)[1]
    assert re.fullmatch(r'<bdi dir="ltr">[+-]?[\d,]+</bdi> نقطة', attendance), attendance


def test_activity_report_downloaded_again_is_reused_until_its_figures_change(app, client, login_as, activity,
                                                                            monkeypatch):
    """Its HTML is the same from one request to the next (the charts' ids count from 1 in each
    report), so the PDF rendered last serves it; a session renamed renders it anew."""
    import weasyprint

    from centre.models import TrainingSession
    from centre.pdf import recent_pdfs

    app.config["PDF_REUSE_BYTES"] = 16 * 1024 * 1024
    recent_pdfs.clear()
    renders = []
    write_pdf = weasyprint.HTML.write_pdf
    monkeypatch.setattr(weasyprint.HTML, "write_pdf", lambda *a, **k: renders.append(1) or write_pdf(*a, **k))
    login_as("coordinator")
    query = {**YEAR, "language": "ar"}
    first = client.get("/reports/activity.pdf", query_string=query).data
    assert client.get("/reports/activity.pdf", query_string=query).data == first and len(renders) == 1
    with app.app_context():
        training_session = db.session.scalar(sa.select(TrainingSession).where(TrainingSession.code == "R-2026-A"))
        training_session.title_ar = "عنوان جديد"
        db.session.commit()
    assert client.get("/reports/activity.pdf", query_string=query).data != first and len(renders) == 2


def test_activity_report_gives_the_satisfaction_of_each_trainer_and_year_in_their_rows(app, client, login_as,
                                                                                       activity):
    """The end-of-session satisfaction with a trainer is a column of the experts table, that of a year
    a column of the sessions per year; countries below the anonymity group show none."""
    from werkzeug.datastructures import MultiDict

    from centre.evaluation import answering, questionnaires
    from centre.models import Expert, Purpose, QuestionKind, TrainingSession

    with app.app_context():
        s1 = db.session.get(TrainingSession, activity["sessions"]["R-2026-A"])
        [end] = [q for q in questionnaires.session_questionnaires(s1) if q.purpose == Purpose.END_OF_SESSION]
        for invitation in end.invitations:  # T1, T2 (SN) and T3 (MA): every scale at its top
            form = MultiDict({item.field: {QuestionKind.RATING: str(item.question.scale_max),
                                           QuestionKind.TEXT: "Bien"}.get(item.question.kind, "0")
                              for item in answering.items(end, "fr")})
            answering.answer(invitation, answering.parse_answers(end, form, "fr", complete=True), submit=True)
        db.session.commit()
        trainers = [f"{e.given_name} {e.family_name.upper()}"
                    for e in (db.session.get(Expert, activity["experts"][key]) for key in "AB")]
        reviewers = [f"{e.given_name} {e.family_name.upper()}" for e in db.session.scalars(sa.select(Expert))
                     if e.id not in activity["experts"].values()]
    login_as("coordinator")
    text = pdf_text(client.get("/reports/activity.pdf", query_string={**YEAR, "language": "fr"}).data, "-layout")
    lines = text.splitlines()
    for name in trainers:  # both taught S1
        [row] = [line for line in lines if name in line]
        assert row.rstrip().endswith("100 % (3)"), row
    reviewed = [line for line in lines if any(name in line for name in reviewers)]
    assert reviewed and all(line.rstrip().endswith("–") for line in reviewed), reviewed
    [year] = [line for line in lines if line.split()[:3] == ["2026", "2", "6"]]  # sessions, participants
    assert year.rstrip().endswith("100 % (3)"), year
    assert "Satisfaction par formateur" not in text and "Satisfaction par pays" not in text
    assert "Satisfaction par thème de session" in text
