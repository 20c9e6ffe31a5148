"""A trainee on a phone, in Arabic, answers the end-of-session questionnaire from the link in the
e-mail the session's completion sent (a real SMTP server), in a real browser (tests/test_journeys.py)."""
import re

import pytest
from playwright.sync_api import expect

from centre.extensions import db
from tests.test_browser import browser, live_server  # noqa: F401  (fixtures)
from tests.test_journeys import Person

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
LINK = re.compile(r"https?://\S+/evaluation/q/\S+")


def test_a_trainee_answers_in_arabic_on_a_phone_from_the_mail(app, live_server, browser, smtp_server,  # noqa: F811
                                                              build_completed_session):
    app.config["PUBLIC_BASE_URL"] = live_server
    with app.app_context():
        build_completed_session()
        db.session.commit()  # the invitations leave the outbox for the SMTP server
    mails = [m for m in smtp_server.messages if m["Content-Language"] == "ar"]
    invitation = next(m for m in mails if "تقييم نهاية الدورة" in m.get_content())
    trainee = Person(browser, live_server, app, "ar", "phone")
    page = trainee.page
    trainee.navigate(lambda: page.goto(LINK.search(invitation.get_content())[0]))
    expect(page.get_by_role("heading", level=1)).to_have_text("تقييم نهاية الدورة")
    questions = page.locator("fieldset.question")
    for index in range(questions.count()):
        question = questions.nth(index)
        kind = question.get_attribute("class").split("question-")[1]
        if kind == "rating":
            question.get_by_role("radio").last.check()
        elif kind == "single":
            question.get_by_role("radio").first.check()
        elif kind == "multiple":
            question.get_by_role("checkbox").first.check()
        else:
            question.get_by_role("textbox").fill("تنظيم ممتاز")
    trainee.shot("questionnaire")
    trainee.navigate(lambda: page.get_by_role("button", name=trainee.t("Send my answers")).click())
    expect(page.get_by_role("heading", level=1)).to_have_text(trainee.t("Thank you"))
    # The same link again: already answered, said in words.
    trainee.navigate(lambda: page.goto(LINK.search(invitation.get_content())[0]))
    expect(page.get_by_text(trainee.t("This questionnaire has already been answered with this link. Thank you.")))\
        .to_be_visible()
    assert trainee.errors == [] and trainee.violations == []
