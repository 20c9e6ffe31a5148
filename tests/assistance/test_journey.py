"""An expert-mission request walked in a real browser, in French and in Arabic (tests/test_journeys.py's
helpers): the partner's focal point submits it, the coordinator asks a question, accepts it, plans it
with two experts, records the report, the focal point evaluates the assistance (one rating per expert), and
the dashboard counts the experts' working days abroad and gives the partners' evaluation.
Screenshots of the request's page go with the journeys' (CENTRE_SCREENSHOTS)."""
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from centre.models import FocalPoint, Role
from tests.test_browser import browser, live_server  # noqa: F401  (fixtures)
from tests.test_journeys import Person

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def cast(app, create_user, create_expert, create_institution):
    from centre.extensions import db

    with app.app_context():
        coordinator = create_user(Role.COORDINATOR, email="salma.coordinator@example.org", full_name="Salma Bennani")
        institution = create_institution(name_fr="Médiateur de la République du Sénégal",
                                         name_ar="وسيط الجمهورية السنغالية", country="SN")
        focal = create_user(Role.FOCAL_POINT, email="fatou.ndiaye@mediateur.sn", full_name="Fatou Ndiaye")
        db.session.add(FocalPoint(user=focal, institution=institution))
        experts = [create_expert(given_name=given, family_name=family, speciality="Traitement des plaintes",
                                 languages="fr,ar").name
                   for given, family in (("Karim", "Alaoui"), ("Nadia", "Benjelloun"))]
        db.session.commit()
        return {"coordinator": coordinator.email, "focal": focal.email, "experts": experts}


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_an_expert_mission_from_request_to_report(app, live_server, browser, smtp_server, cast, lang):  # noqa: F811
    start = date.today() + timedelta(days=45)

    # The focal point submits the request from their institution's page.
    focal = Person(browser, live_server, app, "en", "desk")
    focal.page.goto("/login")
    focal.sign_in(cast["focal"])
    focal.switch_language(lang)
    page = focal.page
    focal.navigate(lambda: page.get_by_role("link", name=focal.t("New request")).first.click())
    page.get_by_label(focal.t("Expert mission to the partner")).check()
    page.get_by_label(focal.t("Subject"), exact=True).fill("Plateforme de plaintes en ligne")
    page.get_by_label(focal.t("Objectives"), exact=True).fill("Mettre en place le dépôt des plaintes en ligne.")
    page.get_by_label(focal.t("Departments or expertise wanted")).fill("Traitement des plaintes")
    page.get_by_label(focal.t("Preferred period: from")).fill(start.isoformat())
    page.get_by_label(focal.t("Preferred period: to")).fill((start + timedelta(days=10)).isoformat())
    page.get_by_label("العربية", exact=True).check()
    focal.navigate(lambda: page.get_by_role("button", name=focal.t("Submit the request")).click())
    expect(page.locator("main .flash").first).to_be_visible()
    request_url = page.url

    # The coordinator asks a question on the request's page; it goes under study.
    coordinator = Person(browser, live_server, app, "en", "desk")
    coordinator.page.goto("/login")
    coordinator.sign_in(cast["coordinator"])
    coordinator.switch_language(lang)
    staff = coordinator.page
    staff.goto(request_url)
    staff.get_by_label(coordinator.t("Message"), exact=True).fill("Combien d'agents traitent les plaintes ?")
    coordinator.navigate(lambda: staff.get_by_role("button", name=coordinator.t("Send the message")).click())
    coordinator.expect_flash("Your message is sent.")
    expect(staff.locator(".page-head .status")).to_have_text(coordinator.t("Under study"))

    # The focal point answers.
    page.reload()
    page.get_by_label(focal.t("Message"), exact=True).fill("Douze agents, au siège et dans deux antennes.")
    focal.navigate(lambda: page.get_by_role("button", name=focal.t("Send the message")).click())

    # The coordinator accepts and plans the mission with two experts.
    staff.reload()
    expect(staff.get_by_text("Douze agents")).to_be_visible()
    coordinator.navigate(lambda: staff.get_by_role("button", name=coordinator.t("Accept the request")).click())
    coordinator.navigate(lambda: staff.get_by_role("link", name=coordinator.t("Plan the session")).click())
    staff.get_by_label(coordinator.t("Destination or venue")).fill("Dakar")
    staff.get_by_label(coordinator.t("Last day (return)")).fill((start + timedelta(days=4)).isoformat())
    for name, days in zip(cast["experts"], ("5", "4.5")):
        staff.get_by_label(coordinator.t("Working days of %(name)s", name=name)).fill(days)
    coordinator.shot("assistance-plan")
    coordinator.navigate(lambda: staff.get_by_role("button", name=coordinator.t(
        "Create the session and plan the request")).click())
    expect(staff.locator(".page-head .status")).to_have_text(coordinator.t("Planned"))
    coordinator.navigate(lambda: staff.get_by_role("button", name=coordinator.t("Mark as delivered")).click())
    staff.get_by_label(coordinator.t("Report"), exact=True).fill("Plateforme installée ; douze agents formés.")
    coordinator.navigate(lambda: staff.get_by_role("button", name=coordinator.t("Record the report and close")).click())
    expect(staff.locator(".page-head .status")).to_have_text(coordinator.t("Closed"))

    # What the partner sees of it: the whole story on the request's page.
    page.reload()
    expect(page.get_by_text("Plateforme installée")).to_be_visible()
    focal.shot("assistance-request")

    # The focal point evaluates the assistance from there: every rating at 4 out of 5 (each expert's
    # asked of each), "would call on the centre again", and what to follow up.
    focal.navigate(lambda: page.get_by_role("link", name=focal.t("Evaluate the assistance")).click())
    ratings = page.locator("fieldset.question-rating")
    expect(ratings).to_have_count(5)  # objectives, relevance, each of the two experts, organisation
    if lang == "fr":
        for name in cast["experts"]:
            expect(ratings.locator("legend").filter(has_text=name)).to_have_count(1)
    for index in range(ratings.count()):
        ratings.nth(index).locator("input[value='4']").check()
    page.locator("fieldset.question-single input[value='0']").check()
    page.locator("fieldset.question-text textarea").first.fill("Former les agents des antennes régionales.")
    focal.shot("assistance-evaluation")
    focal.navigate(lambda: page.get_by_role("button", name=focal.t("Send my answers")).click())
    expect(page.locator("h1")).to_have_text(focal.t("Thank you"))
    page.goto(request_url)
    expect(page.locator(".evaluation-done")).to_have_text(focal.t("You have answered this evaluation. Thank you."))

    # The coordinator sees it answered, with the satisfaction and the results.
    staff.reload()
    expect(staff.locator(".evaluation-satisfaction")).to_have_text(coordinator.t("%(rate)s %%", rate=75))
    coordinator.shot("assistance-request-staff")
    coordinator.navigate(lambda: staff.get_by_role("link", name=coordinator.t("See the evaluation's results")).click())
    expect(staff.get_by_text("Former les agents des antennes régionales.")).to_be_visible()

    # The dashboard counts the experts' working days abroad.
    year = start.year
    staff.goto(f"/reports/?from={year}-01-01&to={year}-12-31")
    expect(staff.locator("dd.expert-days-abroad")).to_have_text("9,5")  # fr and ar_MA: a decimal comma
    expect(staff.locator("dd.assistance-evaluation")).to_have_text(coordinator.t(
        "%(percent)s %% satisfied (%(count)s answers)", percent=75, count=1))
    coordinator.shot("assistance-dashboard")
    assert focal.errors == coordinator.errors == [] and focal.violations == coordinator.violations == []
