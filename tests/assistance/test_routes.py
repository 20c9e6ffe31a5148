"""Assistance requests' pages: the wiring, the refusals, and a request carried to its report."""
import io
from datetime import timedelta

import sqlalchemy as sa

from centre.clock import today
from centre.extensions import db
from centre.models import AssistanceRequest, AssistanceStatus, FocalPoint, Institution, Questionnaire, Role, Trainer
from tests.conftest import PASSWORD, post


def _sign_in(app, create_user, role, institution=None):
    with app.app_context():
        user = create_user(role)
        if institution is not None:
            db.session.add(FocalPoint(user=user, institution_id=institution))
        db.session.commit()
        email = user.email
    client = app.test_client()
    client.set_cookie("centre_lang", "en")
    assert post(client, "/login", {"email": email, "password": PASSWORD}, form_url="/login").status_code == 302
    return client


def test_a_request_goes_from_the_partner_to_the_report_through_the_pages(app, create_user, create_institution,
                                                                          create_expert):
    with app.app_context():
        ours, theirs = create_institution().id, create_institution(name_fr="Autre", country="TN").id
        expert_id = create_expert(speciality="Plaintes", languages="fr").id
        db.session.commit()
    focal = _sign_in(app, create_user, Role.FOCAL_POINT, ours)
    stranger = _sign_in(app, create_user, Role.FOCAL_POINT, theirs)
    coordinator = _sign_in(app, create_user, Role.COORDINATOR)
    with app.app_context():
        start = today() + timedelta(days=40)
    fields = {"kind": "expert_mission", "subject": "Plaintes en ligne", "objectives": "Une plateforme.",
              "preferred_from": start.isoformat(), "preferred_to": (start + timedelta(days=5)).isoformat(),
              "languages": "fr"}
    missing = post(focal, "/assistance/new", {**fields, "objectives": ""}, form_url="/assistance/new")
    assert missing.status_code == 400
    disguised = post(focal, "/assistance/new", {**fields, "documents": (io.BytesIO(b"MZ\x90 exe"), "besoins.pdf")},
                     form_url="/assistance/new", content_type="multipart/form-data")
    assert disguised.status_code == 400 and "accepted kinds" in disguised.get_data(as_text=True)
    response = post(focal, "/assistance/new", {**fields, "documents": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "besoins.pdf")},
                    form_url="/assistance/new", content_type="multipart/form-data")
    assert response.status_code == 302
    page = response.headers["Location"]
    with app.app_context():
        request_id = db.session.scalar(sa.select(AssistanceRequest.id))
        document_id = db.session.get(AssistanceRequest, request_id).documents[0].id
    assert stranger.get(page).status_code == 404
    assert stranger.get(f"/assistance/{request_id}/documents/{document_id}").status_code == 404
    assert post(stranger, f"/assistance/{request_id}/messages", {"body": "?"}, form_url="/assistance/").status_code == 404
    assert focal.get(f"/assistance/{request_id}/documents/{document_id}").data == b"%PDF-1.4\n%%EOF\n"
    assert post(focal, f"/assistance/{request_id}/status/accepted", form_url=page).status_code == 403
    assert post(coordinator, f"/assistance/{request_id}/messages", {"body": "Combien d'agents ?"},
                form_url=page).status_code == 302
    assert post(focal, f"/assistance/{request_id}/messages", {"body": "Douze."}, form_url=page).status_code == 302
    refused = post(coordinator, f"/assistance/{request_id}/status/delivered", form_url=page)
    assert refused.status_code == 409 and "cannot go from" in refused.get_data(as_text=True)
    assert post(coordinator, f"/assistance/{request_id}/status/accepted", form_url=page).status_code == 302
    plan_url = f"/assistance/{request_id}/plan"
    plan = {"code": "MIS-7", "start_on": start.isoformat(), "end_on": (start + timedelta(days=4)).isoformat(),
            "venue": "Dakar", f"days_{expert_id}": "4"}
    assert "Plaintes" in coordinator.get(plan_url).get_data(as_text=True)
    assert post(coordinator, plan_url, {**plan, "venue": ""}, form_url=plan_url).status_code == 400
    assert post(coordinator, plan_url, plan, form_url=plan_url).status_code == 302
    with app.app_context():
        session_id = db.session.get(AssistanceRequest, request_id).session_id
    assert f'href="/assistance/{request_id}"' in coordinator.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert post(coordinator, f"/assistance/{request_id}/status/delivered", form_url=page).status_code == 302
    assert post(coordinator, f"/assistance/{request_id}/close", {"report": ""}, form_url=page).status_code == 400
    assert post(coordinator, f"/assistance/{request_id}/close", {"report": "Fait."}, form_url=page).status_code == 302
    shown = focal.get(page).get_data(as_text=True)
    assert "Closed" in shown and "Fait." in shown and "Douze." in shown and "MIS-7" in shown
    with app.app_context():
        assistance = db.session.get(AssistanceRequest, request_id)
        assert assistance.status == AssistanceStatus.CLOSED
        assert [float(t.days) for t in db.session.scalars(sa.select(Trainer))] == [4.0]


def test_the_focal_point_removes_a_document_then_withdraws_the_request_from_its_page(app, create_user,
                                                                                    create_institution):
    with app.app_context():
        ours = create_institution().id
        db.session.commit()
    focal = _sign_in(app, create_user, Role.FOCAL_POINT, ours)
    coordinator = _sign_in(app, create_user, Role.COORDINATOR)
    with app.app_context():
        start = today() + timedelta(days=40)
    fields = {"kind": "immersion", "subject": "Accueil des requérants", "objectives": "Observer l'accueil.",
              "preferred_from": start.isoformat(), "preferred_to": (start + timedelta(days=5)).isoformat(),
              "languages": "fr", "documents": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "besoins.pdf")}
    page = post(focal, "/assistance/new", fields, form_url="/assistance/new",
                content_type="multipart/form-data").headers["Location"]
    with app.app_context():
        request_id = db.session.scalar(sa.select(AssistanceRequest.id))
        document_id = db.session.get(AssistanceRequest, request_id).documents[0].id
    html = focal.get(page).get_data(as_text=True)
    assert f"/assistance/{request_id}/documents/{document_id}/remove" in html and "Withdraw the request" in html
    coordinator_html = coordinator.get(page).get_data(as_text=True)
    assert "/remove" not in coordinator_html and "Withdraw the request" not in coordinator_html
    assert post(coordinator, f"/assistance/{request_id}/withdraw", form_url=page).status_code == 403
    assert post(focal, f"/assistance/{request_id}/documents/{document_id}/remove", form_url=page).status_code == 302
    html = focal.get(page).get_data(as_text=True)
    assert "besoins.pdf is removed" in html and f"/documents/{document_id}" not in html
    answer = post(focal, f"/assistance/{request_id}/withdraw", {"reason": "Reporté en 2027."}, form_url=page,
                  follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert "Your request is withdrawn" in html
    assert "Reporté en 2027." in html
    assert "Send the message" not in html and "Withdraw the request" not in html
    again = post(focal, f"/assistance/{request_id}/withdraw", form_url=page)
    assert again.status_code == 409 and "can no longer be withdrawn" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AssistanceRequest, request_id).status == AssistanceStatus.WITHDRAWN


def test_the_focal_point_evaluates_the_delivered_assistance_from_its_page_once(app, create_user, create_institution,
                                                                              create_expert):
    from centre.assistance import services
    from centre.evaluation import answering, figures, questionnaires

    with app.app_context():
        ours, theirs = create_institution().id, create_institution(name_fr="Autre", country="TN").id
        db.session.commit()
    focal = _sign_in(app, create_user, Role.FOCAL_POINT, ours)
    colleague = _sign_in(app, create_user, Role.FOCAL_POINT, ours)
    stranger = _sign_in(app, create_user, Role.FOCAL_POINT, theirs)
    coordinator = _sign_in(app, create_user, Role.COORDINATOR)
    with app.app_context():
        start = today() + timedelta(days=40)
        request = services.submit_request(
            db.session.get(Institution, ours), None, kind="expert_mission", subject="Plaintes en ligne",
            objectives="Une plateforme.", preferred_from=start, preferred_to=start + timedelta(days=5))
        services.change_status(request, AssistanceStatus.ACCEPTED, None)
        services.plan_request(request, None, code="MIS-9", start_on=start, end_on=start + timedelta(days=2),
                              venue="Dakar", experts=[(create_expert(family_name="Alaoui"), 2)])
        services.change_status(request, AssistanceStatus.DELIVERED, None)
        db.session.commit()
        request_id, questionnaire_id = request.id, figures.assistance_evaluation(request.training_session) \
            .questionnaire.id
    page, evaluate = f"/assistance/{request_id}", f"/assistance/{request_id}/evaluation"
    assert "Evaluate the assistance" in focal.get(page).get_data(as_text=True)
    assert stranger.get(evaluate).status_code == 404  # another institution's request
    assert coordinator.get(evaluate).status_code == 403
    link = focal.get(evaluate).headers["Location"]
    form = focal.get(link).get_data(as_text=True)
    assert "Competence and availability of the expert or tutor — <bdi dir=\"auto\">Expert Alaoui" in form
    with app.app_context():
        questionnaire = db.session.get(Questionnaire, questionnaire_id)
        answers = {item.field: ("5" if item.question.kind.value == "rating" else "0"
                                if item.question.kind.value == "single" else "Un second atelier.")
                   for item in answering.items(questionnaire, "en")}
    assert post(focal, link, {**answers, "action": "submit"}, form_url=link).status_code == 302
    again = focal.get(evaluate, follow_redirects=True)
    assert again.status_code == 409 and "already been answered" in again.get_data(as_text=True)
    assert "You have answered this evaluation" in focal.get(page).get_data(as_text=True)
    shown = coordinator.get(page).get_data(as_text=True)
    assert "1 of 2" in shown and f"/evaluation/questionnaire/{questionnaire_id}" in shown and "100 %" in shown
    results = coordinator.get(f"/evaluation/questionnaire/{questionnaire_id}").get_data(as_text=True)
    assert "Un second atelier." in results
    with app.app_context():
        questionnaires.close_questionnaire(db.session.get(Questionnaire, questionnaire_id), None)
        db.session.commit()
    closed = colleague.get(evaluate, follow_redirects=True)
    assert closed.status_code == 410 and "closed" in closed.get_data(as_text=True)
