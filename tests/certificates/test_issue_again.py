"""What may be issued again (issue 19): one rule, services.issue_refusals, for the page, the bulk
job and the CLI. Bulk and CLI issue gave a new certificate to a trainee whose certificate was
revoked, and a French one beside a bilingual one, reporting "0 already held"."""
import pytest

from centre.certificates.bulk import plan_bulk
from centre.certificates.services import issue_certificate, issue_refusals, revoke_certificate
from centre.errors import DomainError
from centre.extensions import db
from centre.models import DocumentLanguage as L
from centre.models import SessionStatus
from centre.registrations.services import accepted_registrations
from centre.sessions.services import change_status


@pytest.fixture
def two_trainees(ctx, create_session, create_registration, mark_all):
    """A completed session: one trainee holds a bilingual certificate, the other's French one was revoked."""
    training_session = create_session(SessionStatus.IN_PROGRESS)
    for _ in range(2):
        mark_all(create_registration(training_session), present=10)
    change_status(training_session, SessionStatus.COMPLETED)
    bilingual, revoked = accepted_registrations(training_session)
    issue_certificate(bilingual, L.BILINGUAL, None)
    revoke_certificate(issue_certificate(revoked, L.FR, None), "Fraude à l'émargement.", None)
    db.session.commit()
    return training_session, bilingual, revoked


def test_the_rule_refuses_a_covered_language_and_any_language_after_a_revocation(two_trainees):
    _, bilingual, revoked = two_trainees
    refusals = issue_refusals((r.id, language) for r in (bilingual, revoked) for language in L)
    assert {language for rid, language in refusals if rid == bilingual.id} == {L.FR, L.AR, L.BILINGUAL}
    assert all(refusals[bilingual.id, language].held for language in L)
    assert {language for rid, language in refusals if rid == revoked.id} == {L.FR, L.AR, L.BILINGUAL}
    assert not refusals[revoked.id, L.AR].held and "was revoked" in refusals[revoked.id, L.AR].reason
    with pytest.raises(DomainError, match="was revoked"):
        issue_certificate(revoked, L.AR, None)
    with pytest.raises(DomainError, match="already holds certificate .* \\(Bilingual"):
        issue_certificate(bilingual, L.FR, None)


def test_the_bulk_job_and_the_cli_issue_nothing_again_and_say_why(app, runner, two_trainees):
    training_session, bilingual, revoked = two_trainees
    plan = plan_bulk(training_session, L.FR)
    assert plan.todo == [] and plan.already == 1
    assert [(r.id, "was revoked" in why) for r, why in plan.refused] == [(revoked.id, True)]
    result = runner.invoke(args=["certificates", "issue", training_session.code, "--language", "fr", "--wait"])
    assert result.exit_code == 0, result.output
    assert "0 issued, 1 already held, 1 not eligible." in result.output
    assert f"{revoked.trainee.given_name} {revoked.trainee.family_name}" in result.output
    assert "was revoked" in result.output


def test_the_page_offers_no_language_to_either(app, client, login_as, two_trainees):
    training_session, bilingual, revoked = two_trainees
    session_id, prefixes = training_session.id, (f"r{bilingual.id}-language", f"r{revoked.id}-language")
    db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    page = client.get(f"/certificates/session/{session_id}").get_data(as_text=True)
    assert all(f'name="{prefix}"' not in page for prefix in prefixes)
    assert "Issued in every language." in page and "was revoked: no new certificate" in page
