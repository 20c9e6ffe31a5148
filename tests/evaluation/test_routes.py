"""Evaluation questionnaires: the pages' wiring, the answering page's refusals, the downloads."""
import io
import re
import subprocess

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from centre.evaluation import answering, questionnaires, templates
from centre.extensions import db
from centre.models import Answer, AuditEntry, Purpose, Questionnaire, QuestionKind, Response
from tests.conftest import CSRF_RE


@pytest.fixture
def sent(app, build_completed_session):
    """The completed session's id and, per purpose, the questionnaire's id and its personal links."""
    with app.app_context():
        training_session = build_completed_session()
        found = {"session": training_session.id}
        for q in questionnaires.session_questionnaires(training_session):
            found[q.purpose] = (q.id, [answering.token(i) for i in q.invitations])
            found[(q.purpose, "fields")] = [(item.field, item.question.kind, item.question.scale_max)
                                            for item in answering.items(q, "en")]
        db.session.commit()
    return found


def _complete(fields, **overrides):
    data = {field: {QuestionKind.RATING: str(top), QuestionKind.TEXT: "Très utile"}.get(kind, "0")
            for field, kind, top in fields}
    data.update(overrides)
    return data


def _answer(client, link, data, action="submit"):
    page = client.get(f"/evaluation/q/{link}")
    token = CSRF_RE.search(page.get_data(as_text=True))[1]
    return client.post(f"/evaluation/q/{link}", data={"csrf_token": token, "action": action, **data})


def _rows(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_answering_page_in_the_recipients_language_on_a_phone_then_link_spent(client, app, sent):
    _id, links = sent[Purpose.END_OF_SESSION]
    fields = sent[(Purpose.END_OF_SESSION, "fields")]
    page = client.get(f"/evaluation/q/{links[1]}")  # the trainee who reads Arabic
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="ar" dir="rtl">' in html
    assert "تقييم نهاية الدورة" in html and 'name="action" value="save"' not in html  # anonymous: sent in one go
    response = _answer(client, links[1], _complete(fields))
    assert response.status_code == 302 and response.location.endswith("/evaluation/thanks?language=ar")
    again = client.get(f"/evaluation/q/{links[1]}")  # in the recipient's language too
    assert again.status_code == 409 and "سبقت الإجابة عن هذا الاستبيان" in again.get_data(as_text=True)
    assert _rows(app, Response) == 1


@pytest.mark.parametrize("case", ["scale", "choice", "huge", "missing"])
def test_bad_answers_are_refused_with_a_message_and_nothing_stored(client, app, sent, case):
    _id, links = sent[Purpose.END_OF_SESSION]
    fields = sent[(Purpose.END_OF_SESSION, "fields")]
    rating = next(f for f, kind, _top in fields if kind == QuestionKind.RATING)
    choice = next(f for f, kind, _top in fields if kind == QuestionKind.SINGLE)
    text = next(f for f, kind, _top in fields if kind == QuestionKind.TEXT)
    client.set_cookie("centre_lang", "en")
    overrides, message = {
        "scale": ({rating: "9"}, "A rating must be between 1 and 5."),
        "choice": ({choice: "7"}, "Choose among the choices offered."),
        "huge": ({text: "x" * 100_000}, "at most 2000 characters"),
        "missing": ({rating: ""}, "Answer every required question"),
    }[case]
    response = _answer(client, links[0], _complete(fields, **overrides))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _rows(app, Response) == 0 and _rows(app, Answer) == 0


def test_forged_and_closed_links_are_refused(client, app, sent):
    questionnaire_id, links = sent[Purpose.END_OF_SESSION]
    client.set_cookie("centre_lang", "en")
    forged = client.get(f"/evaluation/q/{links[0][:-2]}zz")
    assert forged.status_code == 404 and "This link is not valid" in forged.get_data(as_text=True)
    with app.app_context():
        questionnaires.close_questionnaire(db.session.get(Questionnaire, questionnaire_id), None)
        db.session.commit()
    closed = client.get(f"/evaluation/q/{links[0]}")
    assert closed.status_code == 410 and "closed" in closed.get_data(as_text=True)


def test_named_answers_are_saved_and_resumed(client, app, sent):
    _id, links = sent[Purpose.TRAINERS_REPORT]
    fields = sent[(Purpose.TRAINERS_REPORT, "fields")]
    rating = fields[0][0]
    saved = _answer(client, links[0], {rating: "3"}, action="save")
    assert saved.status_code == 302
    resumed = client.get(f"/evaluation/q/{links[0]}").get_data(as_text=True)
    assert re.search(rf'name="{rating}" value="3" checked', resumed)


def test_results_page_xlsx_audited_for_named_and_arabic_pdf(client, app, login_as, sent):
    questionnaire_id, links = sent[Purpose.TRAINERS_REPORT]
    _answer(client, links[0], _complete(sent[(Purpose.TRAINERS_REPORT, "fields")], **{
        sent[(Purpose.TRAINERS_REPORT, "fields")][2][0]: "Groupe très engagé"}))
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    page = client.get(f"/evaluation/questionnaire/{questionnaire_id}").get_data(as_text=True)
    assert "1 out of 1 invited (100 %)" in page and "<svg" in page and "Groupe très engagé" in page
    workbook = client.get(f"/evaluation/questionnaire/{questionnaire_id}/results.xlsx")
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    assert [cell.value for cell in sheet[2]][1:3] == ["trainer@example.org", 5]
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "export_answers")) is not None
    pdf = client.get(f"/evaluation/questionnaire/{questionnaire_id}/results.pdf?language=ar")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf.data, capture_output=True,
                          check=True).stdout.decode()
    assert "تقرير المكونين حول المجموعة" in text and "Groupe très engagé" in text
    assert client.get(f"/evaluation/questionnaire/{questionnaire_id}/results.pdf?language=de").status_code == 400


def test_session_page_refuses_a_second_questionnaire_of_a_kind(client, app, login_as, sent):
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    page = client.get(f"/evaluation/session/{sent['session']}")
    assert page.status_code == 200
    token = CSRF_RE.search(page.get_data(as_text=True))[1]
    with app.app_context():
        template_id = templates.latest_template(Purpose.END_OF_SESSION).id
    again = client.post(f"/evaluation/session/{sent['session']}/create", data={
        "csrf_token": token, "template_id": template_id, "open_days": 21, "remind_after_days": 7,
        "remind_again_after_days": 14})
    assert again.status_code == 400 and "already has a questionnaire of this kind" in again.get_data(as_text=True)
