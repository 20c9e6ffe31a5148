"""Every route, walked with every role, against a table declared here.

A route added without an entry in EXPECTED fails this test; so does a role that gets in
where the table says it must not (or is kept out where it should get in).
"""
import pytest
import sqlalchemy as sa

from centre.extensions import db
from centre.models import (
    Certificate,
    DocumentLanguage,
    FocalPoint,
    Job,
    MarkStatus,
    OutboxMail,
    Purpose,
    Role,
    SessionStatus,
    Visibility,
)
from tests.conftest import PASSWORD, post, signature_png

ROLES = ("anonymous", "trainee", "expert", "coordinator", "admin", "focal_point")
OK, LOGIN, FORBIDDEN, HIDDEN = "ok", "login", "forbidden", "hidden"

ANYONE = dict.fromkeys(ROLES, OK)
STAFF = {"anonymous": LOGIN, "trainee": FORBIDDEN, "expert": FORBIDDEN, "coordinator": OK, "admin": OK,
         "focal_point": FORBIDDEN}
SIGNED_IN = {**dict.fromkeys(ROLES, OK), "anonymous": LOGIN}
TRAINEE_ONLY = {**STAFF, "trainee": OK, "coordinator": FORBIDDEN, "admin": FORBIDDEN}
#: A focal point's own pages (their institution's).
FOCAL_POINT_ONLY = {**STAFF, "focal_point": OK, "coordinator": FORBIDDEN, "admin": FORBIDDEN}
#: A partner's records, by id: the sweep's focal point acts for another institution, so 404.
PARTNER_OF_FOCAL_POINT = {**STAFF, "focal_point": HIDDEN}
#: Trainee endpoints about one registration: the sweep's trainee is not its owner, so 404.
OWNER_OR_STAFF = {**STAFF, "trainee": HIDDEN}
EXPERT_ONLY = {"anonymous": LOGIN, "trainee": FORBIDDEN, "expert": OK, "coordinator": FORBIDDEN, "admin": FORBIDDEN,
               "focal_point": FORBIDDEN}
#: Expert endpoints about one review: the sweep's expert is not the one assigned, so 404.
OWN_REVIEW = {**EXPERT_ONLY, "expert": HIDDEN}
ADMIN_ONLY = {**STAFF, "coordinator": FORBIDDEN}

EXPECTED = {
    "static": ANYONE,
    "main.index": ANYONE,
    "main.set_language": ANYONE,
    "main.dashboard": SIGNED_IN,
    "main.healthz": ANYONE,
    "main.favicon": ANYONE,
    "auth.login": ANYONE,
    "auth.logout": ANYONE,
    "auth.logout_everywhere": SIGNED_IN,
    "auth.forgot_password": ANYONE,
    "auth.reset_password": ANYONE,
    #: The sweep's token is not a sign-in link: refused in words (410).
    "auth.sign_in_link": ANYONE,
    "auth.sign_in_with_link": ANYONE,
    #: The sweep's token is an expert's invitation, not an account's: refused in words (410).
    "auth.accept_invitation": ANYONE,
    "public.catalogue": ANYONE,
    "public.session": ANYONE,
    "public.register": ANYONE,
    "public.verify": ANYONE,
    "public.verify_pdf": ANYONE,
    "public.verify_form": ANYONE,
    "public.catalogue_ics": ANYONE,
    "credentials.did_document": ANYONE,
    "credentials.did_document_path": ANYONE,
    "credentials.jwks": ANYONE,
    "credentials.status_list": ANYONE,
    "credentials.credential_json": ANYONE,
    "credentials.credential_jwt": ANYONE,
    "public.session_ics": ANYONE,
    "sessions.index": STAFF,
    "sessions.calendar": STAFF,
    "sessions.create": STAFF,
    "sessions.edit": STAFF,
    "sessions.duplicate": STAFF,
    "sessions.detail": STAFF,
    "sessions.transition": STAFF,
    "sessions.slots": STAFF,
    "sessions.slot_change": STAFF,
    "sessions.slot_remove": STAFF,
    "sessions.trainer_set": STAFF,
    "sessions.trainer_remove": STAFF,
    "sessions.ics": STAFF,
    "reviews.record": STAFF,
    "reviews.assign": STAFF,
    "reviews.mine": EXPERT_ONLY,
    "reviews.submit": OWN_REVIEW,
    "reviews.conflict": OWN_REVIEW,
    "registrations.index": STAFF,
    "registrations.detail": STAFF,
    "registrations.correct": STAFF,
    "registrations.correct_mine": TRAINEE_ONLY,
    "registrations.decide": STAFF,
    "registrations.decide_many": STAFF,
    "registrations.import_list": STAFF,
    "registrations.regenerate_letter": STAFF,
    "registrations.mine": TRAINEE_ONLY,
    "registrations.my_data": TRAINEE_ONLY,
    "registrations.resend_confirmation": TRAINEE_ONLY,
    "registrations.cancel": OWNER_OR_STAFF,
    "registrations.letter": OWNER_OR_STAFF,
    #: The sweep's token is not a confirmation link: refused in words (410).
    "registrations.confirm_email": ANYONE,
    "attendance.grid": STAFF,
    "attendance.save_mark": STAFF,
    "attendance.everyone_present": STAFF,
    "attendance.eligibility": STAFF,
    "attendance.sign_in_sheet": STAFF,
    "attendance.check_in_screen": STAFF,
    #: The sweep's trainee is no participant and its code is not valid: refused in words (409).
    "attendance.check_in": {**STAFF, "trainee": OK, "coordinator": FORBIDDEN, "admin": FORBIDDEN},
    "joining.edit": STAFF,
    "joining.convocation": OWNER_OR_STAFF,
    "joining.calendar": OWNER_OR_STAFF,
    #: The sweep's expert teaches no session, its trainee is no participant: 404, as if absent.
    "materials.index": {**STAFF, "expert": HIDDEN},
    "materials.download": {**STAFF, "trainee": HIDDEN, "expert": HIDDEN, "focal_point": HIDDEN},
    "materials.archive": {**STAFF, "trainee": HIDDEN, "expert": HIDDEN, "focal_point": HIDDEN},
    "materials.remove": {**STAFF, "expert": HIDDEN},
    #: The sweep's trainee is no participant, its expert no trainer: refused in words (409).
    "attendance.sign": {**STAFF, "trainee": OK, "coordinator": FORBIDDEN, "admin": FORBIDDEN},
    "attendance.countersign": EXPERT_ONLY,
    "attendance.teaching": EXPERT_ONLY,
    "certificates.index": STAFF,
    "certificates.detail": STAFF,
    "certificates.issue": STAFF,
    "certificates.download": OWNER_OR_STAFF,
    "certificates.issue_all": STAFF,
    "certificates.status": STAFF,
    "certificates.archive": STAFF,
    "certificates.revoke": STAFF,
    "certificates.replace": STAFF,
    "certificates.email": STAFF,
    "certificates.signatories": ADMIN_ONLY,
    "certificates.withdraw_signatory": ADMIN_ONLY,
    "certificates.signature_image": ADMIN_ONLY,
    "institutions.index": STAFF,
    "institutions.create": STAFF,
    "institutions.detail": STAFF,
    "institutions.edit": STAFF,
    "institutions.add_agreement": STAFF,
    "institutions.edit_agreement": STAFF,
    "institutions.remove_agreement": STAFF,
    "institutions.agreement_document": STAFF,
    "partners.home": FOCAL_POINT_ONLY,
    "partners.nominate": FOCAL_POINT_ONLY,
    #: The sweep's focal point's institution has no certificate: refused in words, back to its page.
    "partners.certificates_archive": FOCAL_POINT_ONLY,
    # The world's focal point is another institution's: the certificate answers 404.
    "partners.certificate_download": {**FOCAL_POINT_ONLY, "focal_point": HIDDEN},
    "partners.invite": STAFF,
    "partners.invite_again": STAFF,
    "partners.accept_invitation": ANYONE,
    "partners.add_contact": PARTNER_OF_FOCAL_POINT,
    "partners.edit_contact": PARTNER_OF_FOCAL_POINT,
    "partners.remove_contact": PARTNER_OF_FOCAL_POINT,
    "assistance.index": {**STAFF, "focal_point": OK},
    "assistance.create": {**STAFF, "focal_point": OK},
    "assistance.detail": PARTNER_OF_FOCAL_POINT,
    "assistance.message": PARTNER_OF_FOCAL_POINT,
    "assistance.document": PARTNER_OF_FOCAL_POINT,
    "assistance.transition": STAFF,
    "assistance.plan": STAFF,
    "assistance.close": STAFF,
    "assistance.withdraw": {**FOCAL_POINT_ONLY, "focal_point": HIDDEN},
    "assistance.evaluate": {**FOCAL_POINT_ONLY, "focal_point": HIDDEN},
    "assistance.remove_document": PARTNER_OF_FOCAL_POINT,
    "experts.index": STAFF,
    "experts.create": STAFF,
    "experts.detail": STAFF,
    "experts.edit": STAFF,
    "experts.invite": STAFF,
    "experts.accept_invitation": ANYONE,
    #: Without ?from=&to= the period exports answer the form again (400): still "ok" for staff.
    "exports.index": STAFF,
    "exports.registrations": STAFF,
    "exports.certificates": STAFF,
    "exports.partners": STAFF,
    "exports.session_registrations": STAFF,
    "exports.session_attendance": STAFF,
    "exports.session_certificates": STAFF,
    "reports.index": STAFF,
    "reports.activity_pdf": STAFF,
    "jobs.index": STAFF,
    "jobs.cancel": ADMIN_ONLY,
    "jobs.mails": STAFF,
    "jobs.resend": STAFF,
    #: The sweep's admin posts empty forms to a coordinator's account: disabled, then enabled
    #: again; the role form without a role answers 400 and the invitation 409 (it has a password).
    "admin.users": ADMIN_ONLY,
    "admin.create_user": ADMIN_ONLY,
    "admin.user": ADMIN_ONLY,
    "admin.change_role": ADMIN_ONLY,
    "admin.disable": ADMIN_ONLY,
    "admin.enable": ADMIN_ONLY,
    "admin.invite": ADMIN_ONLY,
    "admin.audit_log": STAFF,
    "evaluation.answer": ANYONE,  # the sweep's link is a real invitation's
    "evaluation.thanks": ANYONE,
    "evaluation.session": STAFF,
    "evaluation.create": STAFF,
    "evaluation.send": STAFF,
    "evaluation.close": STAFF,
    "evaluation.results": STAFF,
    "evaluation.results_xlsx": STAFF,
    "evaluation.results_pdf": STAFF,
    #: The sweep's expert does not teach the session: 404.
    "evaluation.positioning": {**STAFF, "expert": HIDDEN},
    "evaluation.templates": STAFF,
    "evaluation.load_defaults": STAFF,
    "evaluation.template": STAFF,
    "evaluation.question_remove": STAFF,
    "evaluation.new_version": STAFF,
}


@pytest.fixture
def world(app, create_session, create_registration, create_user, create_trainee, mark_all,
          create_expert, create_institution):
    """An open session, a completed one with a certificate and a trainer, a partner with an
    agreement, an invited expert, and one account per role."""
    from datetime import date

    from centre.certificates.services import issue_certificate
    from centre.evaluation import answering, questionnaires, templates
    from centre.experts.services import invitation_token, invite_expert
    from centre.certificates.signatories import add_signatory
    from datetime import timedelta

    from centre.assistance.services import submit_request
    from centre.files import Upload
    from centre.institutions.services import add_agreement
    from centre.materials.services import add_material
    from centre.partners.services import add_contact, invite_focal_point
    from centre.partners.services import invitation_token as focal_invitation_token

    with app.app_context():
        open_session = create_session(SessionStatus.OPEN)
        done = create_session(SessionStatus.IN_PROGRESS)
        owner = create_trainee(user=create_user(Role.TRAINEE))
        registration = create_registration(done, trainee=owner)
        mark_all(registration, present=10, rest=MarkStatus.PRESENT)
        from centre.sessions.services import change_status, set_trainer

        expert = create_expert(email="invited.expert@example.org")
        set_trainer(done, expert, 2, None)
        templates.load_default_templates()
        questionnaires.create_questionnaire(done, templates.latest_template(Purpose.POSITIONING), None)
        change_status(done, SessionStatus.COMPLETED)  # sends the end-of-session questionnaire
        questionnaire = next(q for q in questionnaires.session_questionnaires(done)
                             if q.purpose == Purpose.END_OF_SESSION)
        certificate = issue_certificate(registration, DocumentLanguage.FR, None)
        institution = owner.institution
        agreement = add_agreement(institution, title="Convention", signed_on=date(2024, 5, 2),
                                  document=Upload("convention.pdf", "pdf", b"%PDF-1.4\n%%EOF\n"))
        invited = invite_expert(expert)
        assistance = submit_request(institution, None, kind="expert_mission", subject="Mission", objectives="Aider",
                                    preferred_from=date.today() + timedelta(days=30),
                                    preferred_to=date.today() + timedelta(days=35),
                                    documents=[Upload("besoins.pdf", "pdf", b"%PDF-1.4\n%%EOF\n")])
        contact = add_contact(institution, None, full_name="Secrétariat", email="sg@example.org")
        focal_point = invite_focal_point(institution, None, email="focal.invited@example.org", full_name="Focal")
        signatory = add_signatory("Directeur", "Directeur du centre", signature_png(), None)
        account = create_user(Role.COORDINATOR)
        material = add_material(done, Upload("programme.pdf", "pdf", b"%PDF-1.4 programme"), Visibility.TRAINEES,
                                create_user(Role.COORDINATOR))
        job = Job(kind="test.unregistered", params={})
        db.session.add(job)
        accounts = {}
        for role in ROLES[1:]:
            user = create_user(Role(role))
            if role == "trainee":
                create_trainee(user=user, email=user.email)
            if role == "focal_point":  # of another institution than the world's records
                db.session.add(FocalPoint(user=user, institution=create_institution(name_fr="Autre", country="TN")))
            accounts[role] = user.email
        db.session.commit()
        return {
            "accounts": accounts,
            "values": {
                "session_id": done.id, "registration_id": registration.id,
                "certificate_id": certificate.id, "decision": "accepted", "target": "cancelled",
                "filename": "css/app.css", "slot_id": done.slots[0].id, "review_id": done_review_id(done),
                "institution_id": institution.id, "agreement_id": agreement.id, "expert_id": expert.id,
                "token": invitation_token(invited), "fmt": "csv",
                "signatory_id": signatory.id, "contact_id": contact.id, "request_id": assistance.id,
                "document_id": assistance.documents[0].id, "focal_point_id": focal_point.id, "job_id": job.id,
                "user_id": account.id, "material_id": material.id, "file_name": "programme.pdf",
                "mail_id": outbox_mail_id(), "list_id": 0,
                "link": answering.token(questionnaire.invitations[0]), "questionnaire_id": questionnaire.id,
                "template_id": questionnaire.template_id, "question_id": questionnaire.template.questions[0].id,
            },
            #: Values of one endpoint only (each invitation link has its own kind of token).
            "overrides": {"partners.accept_invitation": {"token": focal_invitation_token(focal_point.user)},
                          "assistance.transition": {"target": "under_study"}},
            "codes": {"public.session": open_session.code, "public.register": open_session.code,
                      "public.session_ics": open_session.code,
                      "public.verify": certificate.verification_code, "main.set_language": "en",
                      "credentials.credential_json": certificate.verification_code,
                      "credentials.credential_jwt": certificate.verification_code,
                      "attendance.check_in": "0123456789abcdef"},
        }


def outbox_mail_id() -> int:
    return db.session.scalar(sa.select(OutboxMail.id).limit(1))


def done_review_id(training_session) -> int:
    from centre.models import Review

    return db.session.scalar(sa.select(Review.id).where(Review.session_id == training_session.id).limit(1))


def outcome(response) -> str:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 404:
        return HIDDEN
    if response.status_code == 302 and "/login" in response.headers["Location"]:
        return LOGIN
    return OK


def test_every_endpoint_is_declared(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(EXPECTED), "declare each new route in EXPECTED (and in centre.permissions.ACCESS)"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(app, world, role):
    seen = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        values = {arg: world["codes"].get(rule.endpoint) if arg == "code" else world["values"][arg]
                  for arg in rule.arguments}
        values.update(world["overrides"].get(rule.endpoint, {}))
        with app.test_request_context():
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
        client = app.test_client()
        if role != "anonymous":
            response = post(client, "/login", {"email": world["accounts"][role], "password": PASSWORD},
                            form_url="/login")
            assert response.status_code == 302
        if "GET" in rule.methods:
            response = client.get(url)
        else:
            response = post(client, url)
        seen[rule.endpoint] = outcome(response)
        response.close()
    expected = {endpoint: table[role] for endpoint, table in EXPECTED.items()}
    assert seen == expected


def test_trainee_downloads_own_certificate_but_not_anothers(app, world, client):
    with app.app_context():
        certificate = db.session.scalar(sa.select(Certificate))
        owner_email = certificate.registration.trainee.user.email
    post(client, "/login", {"email": owner_email, "password": PASSWORD}, form_url="/login")
    assert client.get(f"/certificates/{certificate.id}.pdf").status_code == 200
    other = app.test_client()
    post(other, "/login", {"email": world["accounts"]["trainee"], "password": PASSWORD}, form_url="/login")
    assert other.get(f"/certificates/{certificate.id}.pdf").status_code == 404
