"""The pages in a real browser (Debian's Chromium, headless): none breaks the Content-Security-Policy.

The app is served on 127.0.0.1 by the test itself, on a free port, against the test database.
"""
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from centre.extensions import db
from tests.conftest import PASSWORD
from tests.test_access import world  # noqa: F401  (the fixture: an account per role, a certificate)

#: What a page may load does not depend on the database: these run on SQLite only.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Installed before any page script runs: collects the page's securitypolicyviolation events.
LISTEN_FOR_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' in ' + e.documentURI);
});
"""


@pytest.fixture
def live_server(app):
    """The app served by werkzeug in a thread on a free port of 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Watcher:
    """A browser page that records CSP violations from events and from the console."""

    def __init__(self, browser, base):
        self.base = base
        self.context = browser.new_context(base_url=base)
        self.context.add_init_script(LISTEN_FOR_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.console = []
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        self.violations = []

    def visit(self, path, expect_status=200):
        response = self.page.goto(path)
        assert response.status == expect_status, (path, response.status)
        self.collect()

    def collect(self):
        self.page.wait_for_load_state("load")
        # The events are queued as tasks: give them one turn of the event loop before reading.
        self.violations += self.page.evaluate("() => new Promise(r => setTimeout(() => r(window.__cspViolations), 50))")
        # The page's own stylesheet loaded and applied (a blocked one would leave the default look).
        assert self.page.evaluate("() => getComputedStyle(document.querySelector('.site-header')).display") == "flex"

    def csp_console_messages(self):
        return [m for m in self.console if "Content Security Policy" in m or "Content-Security-Policy" in m]

    def sign_in(self, email):
        self.page.goto("/login")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("form.form button[type=submit]")
        self.collect()


def test_no_page_breaks_the_content_security_policy(world, live_server, browser):  # noqa: F811
    values, codes = world["values"], world["codes"]
    session_id = values["session_id"]
    anonymous = Watcher(browser, live_server)
    for path in ("/", "/catalogue", f"/catalogue/{codes['public.session']}",
                 f"/catalogue/{codes['public.register']}/register", "/login", "/verify",
                 f"/verify/{codes['public.verify']}"):
        anonymous.visit(path)
    anonymous.visit("/no/such/page", expect_status=404)
    # The language switch is a form: posting it and following its redirect is allowed by form-action.
    with anonymous.page.expect_navigation():
        anonymous.page.click("form[action='/language/ar'] button")
    anonymous.collect()
    assert anonymous.page.get_attribute("html", "dir") == "rtl"
    anonymous.visit("/catalogue")

    coordinator = Watcher(browser, live_server)
    coordinator.sign_in(world["accounts"]["coordinator"])
    for path in ("/sessions/", "/sessions/new", f"/sessions/{session_id}",
                 f"/registrations/session/{session_id}", f"/attendance/session/{session_id}",
                 f"/certificates/session/{session_id}", "/exports/", "/reports/"):
        coordinator.visit(path)

    trainee = Watcher(browser, live_server)
    trainee.sign_in(world["accounts"]["trainee"])
    trainee.visit("/registrations/mine")
    expert = Watcher(browser, live_server)
    expert.sign_in(world["accounts"]["expert"])
    expert.visit("/dashboard")

    watchers = (anonymous, coordinator, trainee, expert)
    assert [v for w in watchers for v in w.violations] == []
    assert [m for w in watchers for m in w.csp_console_messages()] == []


def test_the_watcher_does_see_a_violation(app, live_server, browser):
    """The check above would fail if a page used inline style: shown here by adding one."""
    watcher = Watcher(browser, live_server)
    watcher.visit("/login")
    watcher.page.evaluate("""() => {
      const style = document.createElement('style');
      style.textContent = 'body { color: red; }';
      document.head.appendChild(style);
    }""")
    watcher.collect()
    assert any(v.startswith("style-src") for v in watcher.violations), watcher.violations
    assert watcher.csp_console_messages()


@pytest.fixture
def bulk_in_progress(app, create_session, create_registration, create_user, mark_all):
    """A coordinator and a completed session whose bulk issue is under way (one pending row):
    its page polls status.json as soon as it loads. Returns (coordinator's e-mail, page path)."""
    from centre.certificates.services import reserve_certificates
    from centre.models import DocumentLanguage, Role, SessionStatus
    from centre.sessions.services import change_status

    with app.app_context():
        training_session = create_session(SessionStatus.IN_PROGRESS)
        registration = create_registration(training_session)
        mark_all(registration, present=10)
        change_status(training_session, SessionStatus.COMPLETED)
        reserve_certificates([(registration, DocumentLanguage.FR)], None)
        email = create_user(Role.COORDINATOR).email
        db.session.commit()
        return email, f"/certificates/session/{training_session.id}/issue-all"


def _status_requests(watcher):
    seen = []
    watcher.page.on("request", lambda request: seen.append(request.url) if "status.json" in request.url else None)
    return seen


def test_bulk_progress_stops_and_says_so_when_the_answer_is_not_json(bulk_in_progress, live_server, browser):
    """status.json answering an HTML error page (or a sign-in page): the page stops polling and
    shows the translated message the page carries, instead of polling forever in silence."""
    email, path = bulk_in_progress
    watcher = Watcher(browser, live_server)
    watcher.sign_in(email)
    watcher.page.context.add_cookies([{"name": "centre_lang", "value": "fr", "url": live_server}])
    watcher.page.route("**/status.json", lambda route: route.fulfill(
        status=500, content_type="text/html", body="<!doctype html><title>Internal Server Error</title>"))
    seen = _status_requests(watcher)
    watcher.visit(path)
    alert = watcher.page.locator("#bulk-error")
    alert.wait_for(state="visible", timeout=10000)
    assert "Rechargez la page" in alert.inner_text()  # French: the page's own translation
    asked = len(seen)
    watcher.page.wait_for_timeout(4000)  # more than two polling intervals
    assert len(seen) == asked == 1
    assert watcher.violations == [] and watcher.csp_console_messages() == []


def test_bulk_progress_retries_a_network_error_then_goes_on(bulk_in_progress, live_server, browser):
    email, path = bulk_in_progress
    watcher = Watcher(browser, live_server)
    watcher.sign_in(email)
    failures = []

    def flaky(route):
        if len(failures) < 2:
            failures.append(route.request.url)
            return route.abort("connectionrefused")
        return route.continue_()

    watcher.page.route("**/status.json", flaky)
    seen = _status_requests(watcher)
    watcher.visit(path)
    for _ in range(40):  # 1.5 s, then 3 s, then 6 s after the second failure
        if len(seen) >= 3:
            break
        watcher.page.wait_for_timeout(500)
    assert len(failures) == 2 and len(seen) >= 3
    assert watcher.page.locator("#bulk-error").is_hidden()
