"""The pages in a real browser (Debian's Chromium, headless): none breaks the Content-Security-Policy.

The app is served on 127.0.0.1 by the test itself, on a free port, against the test database.
"""
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

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
