"""Whole stories in a real browser (Debian's Chromium, headless), through the real forms.

A coordinator plans a session, two experts (one national, one foreign) review it, the
coordinator approves and opens it; a visitor on a phone registers in Arabic, confirms their
address from the e-mail (a real SMTP server), follows the decision; the coordinator accepts,
takes attendance in the grid, completes the session and issues the certificates; the trainee
downloads the Arabic certificate and checks it on the verification page its PDF prints.

Each story runs with the staff's pages in French and in Arabic. Elements are found by role and
by label, in the run's language: the texts come from the same catalogues the pages use.

The run writes full-page screenshots of the pages it passes through to `screenshots/` (or to
the folder in CENTRE_SCREENSHOTS), named <language>-<desk|phone>-<page>.png.
"""
import os
import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext, ngettext, pgettext
from playwright.sync_api import expect

from centre.models import (DocumentLanguage, Gender, MarkStatus, Recommendation, RegistrationStatus, Role,
                           SessionStatus, SlotPart)
from tests.conftest import PASSWORD, post
from tests.test_browser import LISTEN_FOR_VIOLATIONS, browser, live_server  # noqa: F401  (fixtures)

#: One database is enough to walk the pages: SQLite only, as in tests/test_browser.py.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SCREENSHOTS = Path(os.environ.get("CENTRE_SCREENSHOTS") or Path(__file__).resolve().parent.parent / "screenshots")
DESK = {"viewport": {"width": 1280, "height": 800}}
#: A phone at 1 px per CSS pixel: sharper screenshots cost four times the pixels to encode.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}
CONFIRM_LINK = re.compile(r"https?://\S+/registrations/confirm/\S+")
VERIFY_BASE = re.compile(r"http://127\.0\.0\.1:\d+/verify/")
VERIFICATION_CODE = re.compile(r"\b[A-Z0-9]{4}(?:-[A-Z0-9]{4}){5}\b")
#: pdftotext marks the direction of each run of text with embeddings and overrides.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f]")


class Person:
    """One browser context (its own cookies) with the page a person works in."""

    def __init__(self, browser, base, app, lang, device, **options):
        self.app, self.lang, self.device = app, lang, device
        self.context = browser.new_context(base_url=base, **(DESK if device == "desk" else PHONE), **options)
        self.context.add_init_script(LISTEN_FOR_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(10000)
        self.errors = []
        self.violations = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def t(self, message, context=None, **values):
        """The text the pages show for this msgid in the person's current language."""
        with self.app.test_request_context(), force_locale(self.lang):
            return pgettext(context, message, **values) if context else gettext(message, **values)

    def tn(self, singular, plural, num, **values):
        with self.app.test_request_context(), force_locale(self.lang):
            return ngettext(singular, plural, num, **values)

    def label(self, lazy):
        """An enum's lazy label, in the person's language."""
        with self.app.test_request_context(), force_locale(self.lang):
            return str(lazy)

    def navigate(self, action):
        """Click something that loads a new page, and wait for it."""
        with self.page.expect_navigation():
            action()

    def sign_in(self, email):
        page = self.page
        if "/login" not in page.url:
            page.goto("/login")
        page.get_by_label(self.t("E-mail"), exact=True).fill(email)
        page.get_by_label(self.t("Password"), exact=True).fill(PASSWORD)
        self.navigate(lambda: page.get_by_role("button", name=self.t("Sign in")).click())

    def switch_language(self, lang):
        """The language switch in the header: a button named in its own language."""
        names = {"fr": "Français", "ar": "العربية"}
        switch = self.page.get_by_role("group", name=self.t("Language"))
        self.navigate(lambda: switch.get_by_role("button", name=names[lang]).click())
        self.lang = lang
        self.check_layout()

    def expect_flash(self, message, **values):
        self.expect_flash_text(self.t(message, **values))

    def expect_flash_text(self, text):
        expect(self.page.locator("main .flash").filter(has_text=text).first).to_be_visible()

    def check_layout(self):
        """<html lang dir> and the title follow the language; in Arabic the header starts on the right."""
        rtl = self.lang == "ar"
        width = self.page.viewport_size["width"]
        seen = self.page.evaluate("""() => {
            const box = selector => document.querySelector(selector).getBoundingClientRect().toJSON();
            const html = document.documentElement;
            return {lang: html.lang, dir: html.dir, title: document.title, scrollWidth: html.scrollWidth,
                    brand: box(".site-header .brand"), first: box(".main-nav a:first-child"),
                    last: box(".main-nav a:last-child")};
        }""")
        assert (seen["lang"], seen["dir"]) == (self.lang, "rtl" if rtl else "ltr")
        # "<what the page is> · <the site>", both in the page's language.
        page_name, _, site = seen["title"].rpartition(" · ")
        assert page_name and site == self.t("Training centre"), seen["title"]
        brand, first, last = seen["brand"], seen["first"], seen["last"]
        if rtl:
            assert brand["right"] > width - 40, brand
        else:
            assert brand["left"] < 40, brand
        if first["top"] == last["top"]:  # on one line (a phone may wrap them)
            assert (first["left"] > last["left"]) == rtl, (first, last)
        # Nothing makes the page wider than the screen: wide tables scroll in their own box.
        if seen["scrollWidth"] > width:
            wider = self.page.evaluate("""width => [...document.querySelectorAll("body *")]
                .filter(e => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > width; })
                .filter(e => !e.closest(".table-wrap") || e.matches(".table-wrap"))
                .map(e => e.tagName + "." + e.className + " " + JSON.stringify(e.getBoundingClientRect()))""",
                                       width)
            raise AssertionError(f"the page is {seen['scrollWidth']} px wide: {wider}")

    def shot_desk_and_phone(self, name):
        """The same page at a desk's width, then at a phone's (a coordinator on the move)."""
        self.shot(name)
        self.page.set_viewport_size(PHONE["viewport"])
        self.device = "phone"
        self.shot(name)
        self.page.set_viewport_size(DESK["viewport"])
        self.device = "desk"

    def expect_lined_up(self, locator):
        """Text typed in one script (a Latin name) starts on the page's side, even in the other
        direction's page: its dir="auto" must not pull it to the other edge of its box."""
        box, text = locator.evaluate("""element => {
            const range = document.createRange();
            range.selectNodeContents(element);
            const box = element.getBoundingClientRect(), text = range.getBoundingClientRect();
            return [[box.left, box.right], [text.left, text.right]];
        }""")
        if self.lang == "ar":
            assert box[1] - text[1] < 20, (box, text)
        else:
            assert text[0] - box[0] < 20, (box, text)

    def shot(self, name):
        """Save the page whole as <lang>-<device>-<name>.png, then check it."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{self.lang}-{self.device}-{name}.png", full_page=True)
        self.violations += self.page.evaluate("() => window.__cspViolations")
        self.check_layout()


def first_friday(after: date, holidays) -> date:
    """A Friday after `after` that is no holiday, nor the Saturday after it."""
    day = after + timedelta(days=(4 - after.weekday()) % 7)
    while day.strftime("%m-%d") in holidays or (day + timedelta(days=1)).strftime("%m-%d") in holidays:
        day += timedelta(days=7)
    return day


@pytest.fixture
def cast(app, create_user, create_expert, create_institution):
    """The accounts the story starts from: a coordinator, two experts with accounts, a partner."""
    from centre.extensions import db

    with app.app_context():
        coordinator = create_user(Role.COORDINATOR, email="salma.coordinator@example.org", full_name="Salma Bennani")
        experts = {}
        for national, given, family, arabic, country, email in (
            (True, "Karim", "Alaoui", "كريم العلوي", "MA", "karim.alaoui@example.org"),
            (False, "Claire", "Martin", "كلير مارتان", "FR", "claire.martin@example.org"),
        ):
            user = create_user(Role.EXPERT, email=email, full_name=f"{given} {family}")
            expert = create_expert(national=national, given_name=given, family_name=family, full_name_ar=arabic,
                                   nationality=country, email=email, user_id=user.id)
            experts[national] = (expert.id, email)
        institution = create_institution(name_fr="Médiateur de la République du Sénégal",
                                         name_ar="وسيط الجمهورية السنغالية", country="SN")
        db.session.commit()
        return {"coordinator": coordinator.email, "national": experts[True], "foreign": experts[False],
                "institution": institution.id}


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_session_from_planning_to_verified_certificate(app, live_server, browser, smtp_server, cast, lang):  # noqa: F811
    today = date.today()
    start = first_friday(today + timedelta(days=14), app.config["FIXED_HOLIDAYS"])
    saturday = start + timedelta(days=1)
    code = f"{start:%Y}-J{lang.upper()}"

    # The coordinator signs in and chooses the run's language with the switch in the header.
    coordinator = Person(browser, live_server, app, "en", "desk")
    page = coordinator.page
    coordinator.sign_in(cast["coordinator"])
    coordinator.switch_language(lang)
    t = coordinator.t

    # Plans the session: the form, filled field by field.
    coordinator.navigate(lambda: page.get_by_role("navigation", name=t("Main menu"))
                         .get_by_role("link", name=t("Sessions"), exact=True).click())
    coordinator.navigate(lambda: page.get_by_role("link", name=t("New session")).click())
    page.get_by_label(t("Code"), exact=True).fill(code)
    page.get_by_label(t("Title in French"), exact=True).fill("La médiation institutionnelle")
    page.get_by_label(t("Title in Arabic"), exact=True).fill("الوساطة المؤسساتية")
    page.get_by_label(t("Theme in French"), exact=True).fill("Recevoir et instruire une réclamation.")
    page.get_by_label(t("Theme in Arabic"), exact=True).fill("تلقي الشكاية ودراستها.")
    page.get_by_label(t("Venue in French"), exact=True).fill("Rabat, siège du centre")
    page.get_by_label(t("Venue in Arabic"), exact=True).fill("الرباط، مقر المركز")
    page.get_by_label(t("First day"), exact=True).fill(start.isoformat())
    page.get_by_label(t("Last day"), exact=True).fill(saturday.isoformat())
    page.get_by_label(t("Capacity"), exact=True).fill("12")
    page.get_by_label(t("Working languages"), exact=True).select_option(["fr", "ar"])
    coordinator.shot("session-new")
    coordinator.navigate(lambda: page.get_by_role("button", name=t("Create the session")).click())
    # Friday gives a morning and an afternoon; the Saturday is no working day.
    coordinator.expect_flash_text(coordinator.tn("Session %(code)s is created with %(num)d slot.",
                                                 "Session %(code)s is created with %(num)d slots.", 2, code=code))

    # Adds a Saturday morning slot.
    coordinator.navigate(lambda: page.get_by_role("navigation", name=t("Session"))
                         .get_by_role("link", name=t("Slots"), exact=True).click())
    add = page.locator("form", has=page.get_by_role("button", name=t("Add the slot")))
    add.get_by_label(t("Day"), exact=True).fill(saturday.isoformat())
    add.get_by_label(t("Part of the day"), exact=True).select_option(label=coordinator.label(SlotPart.MORNING.label))
    add.get_by_label(t("Starts at"), exact=True).fill("09:30")
    add.get_by_label(t("Ends at"), exact=True).fill("12:30")
    coordinator.navigate(lambda: add.get_by_role("button", name=t("Add the slot")).click())
    coordinator.expect_flash("The slot is added.")
    expect(page.locator("table tbody tr")).to_have_count(3)
    coordinator.shot("session-slots")

    # Assigns the two experts, then sends the session to their review.
    coordinator.navigate(lambda: page.get_by_role("heading", level=1).get_by_role("link", name=code).click())
    assign = page.locator("form", has=page.get_by_role("button", name=t("Assign"), exact=True))
    for key in ("national", "foreign"):
        assign.get_by_label(t("Expert"), exact=True).select_option(str(cast[key][0]))
        assign.get_by_label(t("Review due on"), exact=True).fill((today + timedelta(days=7)).isoformat())
        coordinator.navigate(lambda: assign.get_by_role("button", name=t("Assign"), exact=True).click())
        coordinator.expect_flash("%(name)s is assigned and told by e-mail.",
                                 name="Karim Alaoui" if key == "national" else "Claire Martin")
    coordinator.navigate(lambda: page.get_by_role("button", name=t("Send to the experts' review")).click())
    coordinator.shot("session-in-review")

    # Each expert follows the link of their e-mail, signs in, and submits their review.
    for key, recommendation in (("national", Recommendation.APPROVE),
                                ("foreign", Recommendation.APPROVE_WITH_CHANGES)):
        email = cast[key][1]
        message, = smtp_server.to(email)
        link = re.search(r"https?://\S+/reviews/\d+", message.get_content())[0]
        expert = Person(browser, live_server, app, lang, "desk")
        expert.context.add_cookies([{"name": "centre_lang", "value": lang, "url": live_server}])
        expert.page.goto(link)
        expert.sign_in(email)
        assert expert.page.url == link
        form = expert.page.locator("form", has=expert.page.get_by_role("button", name=expert.t("Submit my review")))
        form.get_by_label(expert.t("Relevance (1–5)"), exact=True).fill("5")
        form.get_by_label(expert.t("Methodology (1–5)"), exact=True).fill("4")
        form.get_by_label(expert.t("Fit for the audience (1–5)"), exact=True).fill("4")
        form.get_by_label(expert.t("Recommendation"), exact=True).select_option(
            label=expert.label(recommendation.label))
        form.get_by_label(expert.t("Comments"), exact=True).fill("Programme clair ; prévoir des cas pratiques.")
        if key == "national":
            expert.shot("review")
        expert.navigate(lambda: form.get_by_role("button", name=expert.t("Submit my review")).click())
        expert.expect_flash("Thank you: your review is submitted.")
        expect(expert.page.get_by_role("cell", name=code)).to_be_visible()
        if key == "national":
            expert.shot("my-reviews")
        assert expert.errors == [] and expert.violations == []
        expert.context.close()

    # The coordinator reads both reviews, approves, and opens registration.
    page.reload()
    expect(page.locator("table").filter(has_text="Claire Martin")).to_contain_text(
        coordinator.label(Recommendation.APPROVE_WITH_CHANGES.label))
    coordinator.navigate(lambda: page.get_by_role("button", name=t("Approve"), exact=True).click())
    coordinator.expect_flash("The session is now: %(status)s.", status=coordinator.label(SessionStatus.APPROVED.label))
    coordinator.navigate(lambda: page.get_by_role("button", name=t("Open registration")).click())
    coordinator.expect_flash("The session is now: %(status)s.", status=coordinator.label(SessionStatus.OPEN.label))
    coordinator.shot_desk_and_phone("session-open")

    # A visitor on a phone finds the session and registers in Arabic. In the French run their
    # browser asks for French and they switch to Arabic; in the Arabic run it asks for Arabic.
    visitor = Person(browser, live_server, app, lang, "phone", locale="fr-FR" if lang == "fr" else "ar-MA")
    phone = visitor.page
    phone.goto("/catalogue")
    visitor.shot("catalogue")
    if lang == "fr":
        visitor.switch_language("ar")
    vt = visitor.t
    visitor.navigate(lambda: phone.get_by_role("link", name="الوساطة المؤسساتية").click())
    visitor.shot("session")
    visitor.navigate(lambda: phone.get_by_role("link", name=vt("Register"), exact=True).tap())
    email = f"aminata.{lang}@example.sn"
    phone.get_by_label(vt("Given name (Latin script)"), exact=True).fill("Aminata")
    phone.get_by_label(vt("Family name (Latin script)"), exact=True).fill("Diallo")
    phone.get_by_label(vt("Full name in Arabic script (optional)"), exact=True).fill("أميناتا ديالو")
    phone.get_by_role("group", name=vt("Gender")).get_by_label(visitor.label(Gender.FEMALE.label), exact=True).check()
    phone.get_by_label(vt("Nationality"), exact=True).select_option("SN")
    phone.get_by_label(vt("Institution"), exact=True).select_option(str(cast["institution"]))
    phone.get_by_label(vt("Position"), exact=True).fill("Chargée d'études")
    phone.get_by_label(vt("E-mail"), exact=True).fill(email)
    phone.get_by_label(vt("Phone"), exact=True).fill("+221 77 000 00 00")
    phone.get_by_label(vt("Certificate language"), exact=True).select_option(
        label=visitor.label(DocumentLanguage.AR.label))
    phone.get_by_label(vt("Choose a password"), exact=True).fill(PASSWORD)
    phone.get_by_label(vt("Password again"), exact=True).fill(PASSWORD)
    phone.get_by_label(vt("I agree that the centre processes my personal data to handle this registration."),
                       exact=True).check()
    visitor.shot("register")
    visitor.navigate(lambda: phone.get_by_role("button", name=vt("Send my registration")).tap())
    # Not signed in yet: the address must be proved first (anyone may type someone else's).
    visitor.expect_flash("Thank you. A message is on its way to %(email)s: follow its link to confirm your "
                         "address; your registration is then complete.", email=email)
    visitor.shot("registration-received")

    # The confirmation e-mail, in Arabic, carries the link that proves the address.
    received, = smtp_server.to(email)
    assert received["Content-Language"] == "ar"
    visitor.navigate(lambda: phone.goto(CONFIRM_LINK.search(received.get_content())[0]))
    visitor.expect_flash("Your e-mail address is confirmed. The centre can now decide your registration.")
    expect(phone.get_by_role("heading", level=1)).to_have_text(vt("My space"))
    expect(phone.locator(".card .status")).to_have_text(visitor.label(RegistrationStatus.PENDING.label))
    visitor.shot("registration-confirmed")

    # The coordinator accepts the registration.
    coordinator.navigate(lambda: page.get_by_role("navigation", name=t("Session"))
                         .get_by_role("link", name=t("Registrations")).click())
    row = page.get_by_role("row").filter(has_text="Aminata Diallo")
    coordinator.navigate(lambda: row.get_by_role("button", name=t("Accept"), exact=True).click())
    coordinator.expect_flash("%(name)s: %(status)s.", name="Aminata Diallo",
                             status=coordinator.label(RegistrationStatus.ACCEPTED.label))
    coordinator.shot_desk_and_phone("registrations")

    # The trainee follows the decision: an e-mail, and the status on their page.
    decided = smtp_server.to(email)[-2]  # the decision, then the convocation
    assert decided["Content-Language"] == "ar" and "أميناتا ديالو" in decided.get_content()
    phone.reload()
    expect(phone.locator(".card .status")).to_have_text(visitor.label(RegistrationStatus.ACCEPTED.label))
    visitor.shot("registration-accepted")

    # The session runs: registration closes, the session starts, attendance is taken in the grid.
    coordinator.navigate(lambda: page.get_by_role("heading", level=1).get_by_role("link", name=code).click())
    coordinator.navigate(lambda: page.get_by_role("button", name=t("Close registration")).click())
    coordinator.navigate(lambda: page.get_by_role("button", name=t("Start the session")).click())
    coordinator.expect_flash("The session is now: %(status)s.",
                             status=coordinator.label(SessionStatus.IN_PROGRESS.label))
    coordinator.navigate(lambda: page.get_by_role("navigation", name=t("Session"))
                         .get_by_role("link", name=t("Attendance"), exact=True).click())
    cells = page.get_by_role("combobox", name=re.compile("Aminata Diallo"))
    expect(cells).to_have_count(3)
    grid_status = page.get_by_role("status").and_(page.locator("#grid-status"))
    for cell, mark in zip(cells.all()[:2], (MarkStatus.PRESENT, MarkStatus.LATE)):
        cell.select_option(label=coordinator.label(mark.label))
        expect(grid_status).to_have_text(t("Saved."))
    expect(page.locator("#session-rate")).to_contain_text("100")
    # The third slot with the column's "everyone present" button.
    coordinator.navigate(lambda: page.get_by_role("button", name=t("Everyone present")).nth(2).click())
    for cell, mark in zip(cells.all(), (MarkStatus.PRESENT, MarkStatus.LATE, MarkStatus.PRESENT)):
        expect(cell).to_have_value(mark.value)
    coordinator.shot_desk_and_phone("attendance-grid")

    # The session is completed and the certificates issued, each in its trainee's language.
    coordinator.navigate(lambda: page.get_by_role("link", name=code).click())
    coordinator.navigate(lambda: page.get_by_role("button", name=t("Mark as completed")).click())
    coordinator.expect_flash("The session is now: %(status)s.",
                             status=coordinator.label(SessionStatus.COMPLETED.label))
    coordinator.navigate(lambda: page.get_by_role("navigation", name=t("Session"))
                         .get_by_role("link", name=t("Certificates")).click())
    coordinator.navigate(lambda: page.get_by_role("link", name=t("Issue for every eligible trainee")).click())
    page.get_by_role("button", name=t("Issue the certificates")).click()
    expect(page.locator("#bulk-status")).to_contain_text(
        t("Issued: %(issued)s of %(eligible)s eligible trainees; being issued: %(pending)s.",
          issued=1, eligible=1, pending=0), timeout=30000)  # the first PDF of a process loads the fonts
    expect(page.locator("#bulk-progress")).to_have_attribute("value", "1")
    coordinator.shot("certificates-issue")
    coordinator.navigate(lambda: page.get_by_role("heading", level=1).get_by_role("link", name=code).click())
    number = page.locator("td .certificate-line .code").first.inner_text()
    expect(page.locator("td .certificate-line")).to_contain_text(coordinator.label(DocumentLanguage.AR.label))
    coordinator.expect_lined_up(page.get_by_role("cell", name="Aminata Diallo"))
    coordinator.shot_desk_and_phone("certificates")

    # The trainee downloads the certificate: a PDF in Arabic, printing its verification address.
    phone.reload()
    with phone.expect_download() as download:
        phone.get_by_role("link", name=re.compile(re.escape(number))).tap()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    text = BIDI_CONTROLS.sub("", text)
    assert "أميناتا ديالو" in text and number in text
    # The code is printed beside the QR code, and the address under it, wrapped at its dashes on a
    # narrow line — the signature's stamp, beside it, may come between its lines in the text.
    verify_url = VERIFY_BASE.search(text)[0] + VERIFICATION_CODE.search(text)[0]
    assert re.search("-.*?".join(map(re.escape, verify_url.split("-"))), "".join(text.split()), re.S)
    visitor.shot("registration-certificate")

    # Whoever holds it opens the printed address: the page says it is valid.
    visitor.navigate(lambda: phone.goto(verify_url))
    expect(phone.locator(".verdict")).to_have_text(vt("This certificate is valid."))
    expect(phone.locator(".facts").first).to_contain_text(number)
    visitor.expect_lined_up(phone.locator(".facts dd").filter(has_text=number))
    # What the Arabic certificate prints, and nothing else: the Arabic name, not the Latin one.
    expect(phone.locator(".facts").nth(1)).to_contain_text("أميناتا ديالو")
    expect(phone.locator(".facts").nth(1)).not_to_contain_text("Aminata")
    visitor.shot("verify")
    coordinator.page.goto(verify_url)
    expect(page.locator(".verdict")).to_have_text(t("This certificate is valid."))
    coordinator.shot("verify")

    for person in (coordinator, visitor):
        assert person.errors == [] and person.violations == []
        person.context.close()


def _draw_signature(person, canvas):
    """A signature drawn with the pointer across the canvas, as a finger would."""
    box = canvas.bounding_box()
    mouse = person.page.mouse
    mouse.move(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.6)
    mouse.down()
    for step in range(1, 13):
        mouse.move(box["x"] + box["width"] * (0.15 + step * 0.06),
                   box["y"] + box["height"] * (0.6 - 0.3 * ((step % 4) in (1, 2))), steps=3)
    mouse.up()


def test_a_trainee_on_a_phone_in_arabic_from_convocation_to_countersigned_sheet(
        app, live_server, browser, smtp_server, create_session, create_trainee, create_user, create_expert):  # noqa: F811
    """Issue 18: the accepted trainee opens the convocation from the e-mail, downloads a material,
    signs the morning half-day; the trainer countersigns from their phone; the sheet shows both."""
    from datetime import datetime, timezone

    import sqlalchemy as sa

    from centre.clock import today
    from centre.extensions import db
    from centre.files import Upload
    from centre.i18n import format_time
    from centre.joining.services import queue_convocation
    from centre.materials.services import add_material
    from centre.models import Registration, Visibility
    from centre.registrations.services import decide, notify_decision
    from centre.sessions.services import set_trainer

    app.config["PUBLIC_BASE_URL"] = live_server  # the links the mails carry lead to this server
    with app.app_context():
        training_session = create_session(SessionStatus.IN_PROGRESS, start_on=today(), end_on=today(),
                                          title_ar="تدبير الشكايات")
        morning = training_session.slots[0]
        morning.starts_at = datetime.now(timezone.utc) - timedelta(minutes=5)
        morning.ends_at = morning.starts_at + timedelta(hours=3)
        user = create_user(Role.TRAINEE, email="karim.haddad@example.lb")
        user.locale = "ar"
        trainee = create_trainee(user=user, email=user.email, given_name="Karim", family_name="Haddad",
                                 full_name_ar="كريم حداد", nationality="LB")
        trainer_user = create_user(Role.EXPERT, email="nadia.trainer@example.org")
        set_trainer(training_session, create_expert(user=trainer_user, given_name="Nadia", family_name="Berrada"),
                    1, None)
        coordinator = create_user(Role.COORDINATOR)
        add_material(training_session, Upload("دليل المشارك.pdf", "pdf", b"%PDF-1.4\n% guide\n%%EOF\n"),
                     Visibility.TRAINEES, coordinator)
        registration = Registration(training_session=training_session, trainee=trainee)
        db.session.add(registration)
        db.session.flush()
        decide(registration, RegistrationStatus.ACCEPTED, coordinator)  # as the queue's Accept does
        notify_decision(registration)
        queue_convocation(registration, coordinator)
        ids = {"session": training_session.id, "slot": morning.id, "coordinator": coordinator.email}
        db.session.commit()

    # The convocation e-mail arrives, in Arabic, with the PDF, the calendar file and a link.
    convocation_mail = smtp_server.to("karim.haddad@example.lb")[-1]
    assert convocation_mail["Content-Language"] == "ar"
    attached = {part.get_filename(): part.get_content() for part in convocation_mail.iter_attachments()}
    assert any(name.endswith(".ics") for name in attached)
    body = convocation_mail.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/joining/\d+/convocation\.pdf", body)[0]

    # On the phone, in Arabic: the link asks to sign in, then the convocation opens.
    trainee_phone = Person(browser, live_server, app, "ar", "phone", locale="ar-MA")
    trainee_phone.context.add_cookies([{"name": "centre_lang", "value": "ar", "url": live_server}])
    phone = trainee_phone.page
    phone.goto(link)
    trainee_phone.sign_in("karim.haddad@example.lb")
    pdf = trainee_phone.context.request.get(link)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = BIDI_CONTROLS.sub("", subprocess.run(["pdftotext", "-", "-"], input=pdf.body(), capture_output=True,
                                                check=True).stdout.decode())
    assert "كريم حداد" in text and "Karim" in text and trainee_phone.t("Practical information") in text

    # Their space: the next step, the material, the half-day to sign.
    phone.goto("/registrations/mine")
    expect(phone.get_by_role("heading", level=1)).to_have_text(trainee_phone.t("My space"))
    expect(phone.locator(".next-step")).to_contain_text(
        trainee_phone.t("The session is under way: sign each half-day on this page."))
    trainee_phone.shot("trainee-space")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="دليل المشارك").tap()
    assert download.value.suggested_filename == "دليل المشارك.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    trainee_phone.navigate(lambda: phone.get_by_role("link", name=trainee_phone.t("Sign for this half-day")).tap())
    _draw_signature(trainee_phone, phone.locator("canvas.signature-pad"))
    trainee_phone.shot("sign-in-signature")
    trainee_phone.navigate(lambda: phone.get_by_role("button", name=trainee_phone.t("Send my signature")).tap())
    expect(phone.locator("main .flash").first).to_contain_text(trainee_phone.label(MarkStatus.PRESENT.label))
    expect(phone.locator(".sign-now")).to_contain_text(trainee_phone.t("Signed"))

    # The trainer, on their phone, reads the list and countersigns it.
    trainer_phone = Person(browser, live_server, app, "ar", "phone", locale="ar-MA")
    trainer_phone.context.add_cookies([{"name": "centre_lang", "value": "ar", "url": live_server}])
    trainer_phone.sign_in("nadia.trainer@example.org")
    tp = trainer_phone.page
    trainer_phone.navigate(lambda: tp.get_by_role("link", name=trainer_phone.t("My teaching")).tap())
    trainer_phone.navigate(lambda: tp.get_by_role("link", name=trainer_phone.t("Countersign"), exact=True).tap())
    expect(tp.locator(".signature-list li")).to_have_count(1)
    expect(tp.locator(".signature-list")).to_contain_text("كريم حداد")
    _draw_signature(trainer_phone, tp.locator("canvas.signature-pad"))
    trainer_phone.shot("countersign")
    trainer_phone.navigate(lambda: tp.get_by_role("button", name=trainer_phone.t("Countersign"), exact=True).tap())
    expect(tp.locator("main .flash").first).to_contain_text(
        trainer_phone.tn("Countersigned: %(num)d signature.", "Countersigned: %(num)d signatures.", 1))

    # The sign-in sheet of the morning prints both signatures with their times.
    office = app.test_client()
    post(office, "/login", {"email": ids["coordinator"], "password": PASSWORD}, form_url="/login")
    sheet = office.get(f"/attendance/session/{ids['session']}/sign-in-sheet.pdf?slot={ids['slot']}")
    assert sheet.status_code == 200
    sheet_path = SCREENSHOTS / "signed-sheet.pdf"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sheet_path.write_bytes(sheet.data)
    images = subprocess.run(["pdfimages", "-list", sheet_path], capture_output=True, text=True, check=True).stdout
    assert len(images.splitlines()[2:]) == 2  # the trainee's signature and the trainer's
    sheet_text = subprocess.run(["pdftotext", "-layout", sheet_path, "-"], capture_output=True, text=True,
                                check=True).stdout
    assert "HADDAD Karim" in sheet_text and "Nadia Berrada" in sheet_text
    with app.app_context():
        from centre.models import AttendanceSignature, SlotCountersignature

        signed_at = db.session.scalar(sa.select(AttendanceSignature.signed_at))
        assert db.session.scalar(sa.select(SlotCountersignature.signature_ids)) == [1]
    with app.test_request_context():
        assert format_time(signed_at, "fr") in sheet_text

    for person in (trainee_phone, trainer_phone):
        assert person.errors == [] and person.violations == []
        person.context.close()
