"""Accessibility of every page, in a real browser (Debian's Chromium, headless), in French and Arabic.

Every GET page each role can see is derived from the access table of tests/test_access.py, so a
new page is checked as soon as it is declared there. On each page, JavaScript in the page checks
what WCAG 2.2 asks that a script can see: labels, alternative texts, accessible names, language
and direction, one <h1>, a title per kind of page, unique ids, no positive tabindex, a skip link,
and the contrast of every text. French pages are seen at 1280 px, Arabic ones at 390 px (a phone),
where the page itself must not scroll sideways. The keyboard test tabs through forms and checks
the order and the focus indicator. Every failure is listed in one assertion message.
"""
from collections import defaultdict
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from tests.conftest import PASSWORD
from tests.test_access import EXPECTED, OK, ROLES, world  # noqa: F401  (world: an account per role, data)
from tests.test_browser import browser, live_server  # noqa: F401  (the fixtures, shared with a colleague)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: Each language with the viewport its pages are checked at (one pass per language keeps the run short).
PASSES = {"fr": {"width": 1280, "height": 900}, "ar": {"width": 390, "height": 844}}

AUDIT = r"""
([expectedLang, expectedDir, phone]) => {
  const problems = [];
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    else if (el.getAttribute('name')) s += `[name=${el.getAttribute('name')}]`;
    else if (typeof el.className === 'string' && el.className.trim()) s += '.' + el.className.trim().split(/\s+/).join('.');
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return text ? `${s} "${text}"` : s;
  };
  const textOfIds = (ids) => ids.trim().split(/\s+/).map((id) => document.getElementById(id))
    .filter(Boolean).map((e) => e.textContent.trim()).join(' ').trim();
  const ariaName = (el) => {
    const labelledby = el.getAttribute('aria-labelledby');
    if (labelledby && textOfIds(labelledby)) return textOfIds(labelledby);
    return (el.getAttribute('aria-label') || '').trim();
  };
  const nameOf = (el) => ariaName(el) || (el.textContent || '').trim()
    || [...el.querySelectorAll('img[alt]')].map((i) => i.alt.trim()).join('')
    || (el.getAttribute('title') || '').trim() || (el.tagName === 'INPUT' ? (el.value || '').trim() : '');

  // Language and direction.
  const html = document.documentElement;
  if (html.getAttribute('lang') !== expectedLang) problems.push(`<html lang="${html.getAttribute('lang')}">, expected "${expectedLang}"`);
  if (html.getAttribute('dir') !== expectedDir) problems.push(`<html dir="${html.getAttribute('dir')}">, expected "${expectedDir}"`);

  // Form controls: a label (a placeholder is not one).
  for (const c of document.querySelectorAll('input, select, textarea')) {
    if (c.tagName === 'INPUT' && ['hidden', 'submit', 'button', 'reset', 'image'].includes(c.type)) continue;
    const fromLabels = [...(c.labels || [])].map((l) => l.textContent.trim()).join(' ').trim();
    if (!fromLabels && !ariaName(c)) problems.push(`form control without a label: ${describe(c)}`);
  }
  // Images.
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push(`<img> without alt: ${img.getAttribute('src')}`);
  }
  for (const svg of document.querySelectorAll('svg')) {
    if (svg.closest('[aria-hidden="true"]')) continue;
    const holder = svg.parentElement && svg.parentElement.closest('[role="img"]');  // its children are presentational
    if (holder && ariaName(holder)) continue;
    const title = svg.querySelector(':scope > title');
    if (svg.getAttribute('role') !== 'img' || !(ariaName(svg) || (title && title.textContent.trim()))) {
      problems.push(`<svg> neither aria-hidden nor role="img" with a title: ${describe(svg)}`);
    }
  }
  // Buttons and links: an accessible name.
  for (const el of document.querySelectorAll('a[href], button, input[type=submit], input[type=button], input[type=reset], [role=button], [role=link]')) {
    if (!nameOf(el)) problems.push(`${el.tagName.toLowerCase()} without an accessible name: ${el.outerHTML.slice(0, 80)}`);
  }
  // A region made focusable (a table that scrolls) says what it is.
  for (const el of document.querySelectorAll('[tabindex="0"]:not(a, button, input, select, textarea, summary)')) {
    if (!el.getAttribute('role') || !ariaName(el)) problems.push(`focusable element without a role and a name: ${describe(el)}`);
  }
  // Headings and title.
  const h1s = document.querySelectorAll('h1');
  if (h1s.length !== 1) problems.push(`${h1s.length} <h1> elements, expected exactly one`);
  if (!document.title.trim()) problems.push('empty <title>');
  // Unique ids, no positive tabindex.
  const seen = new Map();
  for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
  for (const [id, count] of seen) if (count > 1) problems.push(`id "${id}" used ${count} times`);
  for (const el of document.querySelectorAll('[tabindex]')) {
    if (parseInt(el.getAttribute('tabindex'), 10) > 0) problems.push(`positive tabindex: ${describe(el)}`);
  }
  // A skip link: the first focusable element, pointing at <main>.
  const focusable = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
    .filter((el) => !el.disabled && el.type !== 'hidden' && el.getAttribute('tabindex') !== '-1');
  const first = focusable[0];
  const target = first && first.tagName === 'A' && first.getAttribute('href').startsWith('#')
    && document.getElementById(decodeURIComponent(first.getAttribute('href').slice(1)));
  if (!target || target.tagName !== 'MAIN') problems.push(`the first focusable element is not a skip link to <main>: ${first ? describe(first) : 'none'}`);

  // Contrast of every visible text against its effective background.
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3] + bottom[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    return [0, 1, 2].map((i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a).concat([a]);
  };
  const backgroundOf = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg && bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
    }
    let colour = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
    return colour;
  };
  const luminance = (rgb) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2]);
  };
  const hex = (rgb) => '#' + rgb.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const checked = new Set();
  const hasOwnText = (el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())
    || (['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) && el.type !== 'hidden');
  for (const el of document.body.querySelectorAll('*')) {
    if (!hasOwnText(el) || ['OPTION', 'SCRIPT', 'STYLE', 'svg'].includes(el.tagName)) continue;
    if (el.closest(':disabled, [aria-hidden="true"]')) continue;  // inactive controls are exempt
    const rect = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (rect.width <= 1 || rect.height <= 1 || style.visibility === 'hidden') continue;  // not shown (closed, visually hidden)
    const bg = backgroundOf(el);
    const fg = over(parse(style.color) || [0, 0, 0, 1], bg);
    const l1 = luminance(fg), l2 = luminance(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
    const key = `${describe(el).split(' ')[0]} ${hex(fg)}/${hex(bg)}`;
    if (ratio < needed && !checked.has(key)) {
      checked.add(key);
      problems.push(`contrast ${ratio.toFixed(2)}:1 < ${needed}:1 (${hex(fg)} on ${hex(bg)}): ${describe(el)}`);
    }
  }
  // On a phone the page does not scroll sideways (wide tables scroll in their own region or stack).
  if (phone && document.documentElement.scrollWidth > window.innerWidth + 1) {
    const wide = [...document.body.querySelectorAll('*')].filter((el) => {
      const r = el.getBoundingClientRect();
      return (r.right > window.innerWidth + 1 || r.left < -1) && !el.closest('.table-wrap');
    }).slice(0, 3).map(describe);
    problems.push(`the page is ${document.documentElement.scrollWidth}px wide on a ${window.innerWidth}px screen: ${wide.join(', ')}`);
  }
  return {problems, title: document.title};
}
"""


#: Downloads of uploaded files, named by their row rather than by an extension.
STORED_FILES = {"institutions.agreement_document", "assistance.document"}


def get_pages(app, world, role):  # noqa: F811
    """(endpoint, URL) of every GET route the access table opens to this role, with the world's values;
    files (a last segment with an extension: PDF, ICS, ZIP, JSON, exports; STORED_FILES) are not pages."""
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        if "GET" not in rule.methods or rule.endpoint == "static" or EXPECTED[rule.endpoint][role] != OK:
            continue
        if "." in rule.rule.rsplit("/", 1)[-1] or rule.endpoint in STORED_FILES:
            continue
        values = {arg: world["codes"].get(rule.endpoint) if arg == "code" else world["values"][arg]
                  for arg in rule.arguments}
        values.update(world["overrides"].get(rule.endpoint, {}))
        with app.test_request_context():
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
        if "." in url.rsplit("/", 1)[-1]:  # the built address: a material's ends with its file's name
            continue
        pages.append((rule.endpoint, url))
    return pages


def endpoint_of(app, url):
    try:
        return app.url_map.bind("localhost").match(urlsplit(url).path)[0]
    except HTTPException:
        return None


def signed_in_context(browser, base, role, email, **options):  # noqa: F811
    context = browser.new_context(base_url=base, **options)
    page = context.new_page()
    page.set_default_timeout(15000)
    if role != "anonymous":
        page.goto("/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert "/login" not in page.url, f"{role} could not sign in"
    return context, page


def set_language(context, base, lang):
    context.add_cookies([{"name": "centre_lang", "value": lang, "url": base}])


@pytest.fixture
def more_pages(app, world, create_session, create_registration, create_trainee, create_expert, mark_all):  # noqa: F811
    """Staff pages in states the world does not show: a session in review (three of its forms ask for
    an expert), a decision queue with pending, waitlisted and unconfirmed registrations, certificates
    to issue to eligible trainees, editable slots, and a month of the calendar with sessions in it."""
    from centre.extensions import db
    from centre.models import MarkStatus, RegistrationStatus, SessionStatus
    from centre.reviews.services import assign_reviewer
    from centre.sessions.services import change_status

    with app.app_context():
        in_review = create_session(SessionStatus.IN_REVIEW)
        assign_reviewer(in_review, create_expert(national=True), None, due_on=None)
        open_session = create_session(SessionStatus.OPEN)
        create_registration(open_session, status=RegistrationStatus.PENDING)
        create_registration(open_session, status=RegistrationStatus.PENDING,
                            trainee=create_trainee(email_confirmed_at=None))
        create_registration(open_session, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
        done = create_session(SessionStatus.IN_PROGRESS)
        for _ in range(2):
            mark_all(create_registration(done), present=10, rest=MarkStatus.PRESENT)
        change_status(done, SessionStatus.COMPLETED)
        db.session.commit()
        return [f"/sessions/{in_review.id}", f"/sessions/{in_review.id}/slots",
                f"/registrations/session/{open_session.id}", f"/certificates/session/{done.id}",
                f"/sessions/calendar?month={done.start_on:%Y-%m}"]


def audit(page, lang, phone=None):
    return page.evaluate(AUDIT, [lang, "rtl" if lang == "ar" else "ltr", lang == "ar" if phone is None else phone])


def test_every_page_is_accessible_in_french_and_arabic(app, world, more_pages, live_server, browser):  # noqa: F811
    """Each page is checked once anonymously, and pages closed to anonymous visitors once signed in,
    by the first role (in the order of ROLES) that may see them: a page differs between signed-in
    roles only by the menu, and every role's menu is seen on its own pages. About 90 pages."""
    failures = defaultdict(list)  # problem -> where it was seen
    titles = defaultdict(set)  # (lang, title) -> endpoints
    checked = {lang: set() for lang in PASSES}  # endpoints (signed in) and final URLs
    visited = 0
    for role in ROLES:
        context, page = signed_in_context(browser, live_server, role, world["accounts"].get(role))
        pages = [(endpoint, url) for endpoint, url in get_pages(app, world, role)
                 if role == "anonymous" or EXPECTED[endpoint]["anonymous"] != OK]
        if role == "coordinator":
            pages += [(f"more:{url}", url) for url in more_pages]
        for lang, viewport in PASSES.items():
            set_language(context, live_server, lang)
            page.set_viewport_size(viewport)
            seen = checked[lang]
            for endpoint, url in pages:
                if endpoint in seen:
                    continue
                seen.add(endpoint)
                response = page.goto(url)
                if page.url in seen or "text/html" not in response.headers.get("content-type", ""):
                    continue  # a redirect to a page already checked, or not a page (an image)
                seen.add(page.url)
                visited += 1
                result = audit(page, lang)
                titles[(lang, result["title"])].add(endpoint_of(app, page.url) or endpoint)
                for problem in result["problems"]:
                    failures[problem].append(f"{urlsplit(page.url).path} ({role}, {lang})")
        context.close()
    for (lang, title), endpoints in titles.items():
        if len(endpoints) > 1:
            failures[f"one title for pages of different kinds: {title!r}"].append(f"{sorted(endpoints)} ({lang})")
    assert visited > 40, visited
    assert not failures, f"{len(failures)} accessibility problems on {visited} pages:\n" + "\n".join(
        f"- {problem}\n    on {', '.join(where[:4])}{' …' if len(where) > 4 else ''} ({len(where)} pages)"
        for problem, where in sorted(failures.items()))


def test_the_audit_does_see_problems(app, live_server, browser):  # noqa: F811
    """The checks above would fail on a page with these faults: shown here by adding them to one."""
    context = browser.new_context(base_url=live_server, viewport=PASSES["ar"])
    page = context.new_page()
    page.goto("/login")
    page.evaluate("""() => {
      const main = document.querySelector('main');
      main.insertAdjacentHTML('beforeend', '<h1>Again</h1><input name="nolabel" placeholder="Name">'
        + '<img src="/static/none.png"><a href="/x"></a><span id="content" tabindex="2">x</span>'
        + '<svg><circle r="2"></circle></svg><p class="faint">Faint text</p><div class="wide">wide</div>');
      main.querySelector('.faint').classList.add('hint');
      for (const [selector, property, value] of [['.faint', 'color', '#aaaaaa'], ['.wide', 'width', '2000px']]) {
        document.querySelector(selector).style.setProperty(property, value);
      }
      document.querySelector('.skip-link').remove();
    }""")
    problems = "\n".join(audit(page, "fr", phone=True)["problems"])
    context.close()
    for expected in ('expected "fr"', "2 <h1>", "form control without a label: input[name=nolabel]",
                     "<img> without alt", "a without an accessible name", 'id "content" used 2 times',
                     "positive tabindex", "<svg> neither", "contrast 2.", "not a skip link", "px wide on a 390px"):
        assert expected in problems, (expected, problems)


#: Run in the page after each Tab: what has the focus, where, and how it looks focused.
FOCUSED = r"""
() => {
  const el = document.activeElement;
  window.__stops = window.__stops || [];
  window.__stops.push(el);
  const style = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  return {index: window.__stops.length - 1, tag: el.tagName.toLowerCase(),
          name: el.getAttribute('name') || el.getAttribute('href') || (el.textContent || '').trim().slice(0, 30),
          key: el.outerHTML.slice(0, 120),
          top: r.top + window.scrollY, bottom: r.bottom + window.scrollY, left: r.left, right: r.right,
          width: r.width, look: [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow].join(' | ')};
}
"""
#: The focusable elements in DOM order, as a keyboard should reach them (one stop per radio group).
EXPECTED_ORDER = r"""
() => {
  const groups = new Set();
  return [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')].filter((el) => {
    if (el.disabled || el.type === 'hidden' || el.getAttribute('tabindex') === '-1') return false;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0 && !el.matches('.skip-link')) return false;
    if (el.type === 'radio') { if (groups.has(el.name)) return false; groups.add(el.name); }
    return true;
  }).map((el) => el.outerHTML.slice(0, 120));
}
"""
UNFOCUSED_LOOKS = r"""
() => { document.activeElement.blur(); return window.__stops.map((el) => {
  const style = getComputedStyle(el);
  return [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow].join(' | ');
}); }
"""


def tab_through(page):
    """Press Tab until the focus leaves the page or comes back; the stops, in order."""
    stops = []
    expected = page.evaluate(EXPECTED_ORDER)
    for _ in range(4 * len(expected) + 2):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop["tag"] == "body" or (stops and stop["key"] == stops[0]["key"]):
            break
        if stops and stop["key"] == stops[-1]["key"]:  # the day, month, year and picker of a date field
            continue
        stops.append(stop)
    return stops, expected


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_keyboard_reaches_everything_in_order_with_a_visible_focus(app, world, live_server, browser, lang):  # noqa: F811
    failures = []
    codes = world["codes"]
    context = browser.new_context(base_url=live_server, viewport=PASSES["fr"])
    set_language(context, live_server, lang)
    page = context.new_page()
    for path in ("/login", f"/catalogue/{codes['public.register']}/register"):
        page.goto(path)
        stops, expected = tab_through(page)
        where = f"{path} ({lang})"
        if [s["key"] for s in stops] != expected:
            got = [s["key"] for s in stops]
            first = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
            failures.append(f"{where}: Tab order differs from the document order at stop {first}: "
                            f"got {got[first:first + 2]}, expected {expected[first:first + 2]}")
        if not stops or "skip-link" not in stops[0]["key"] or stops[0]["width"] <= 1:
            failures.append(f"{where}: the first Tab does not show the skip link: {stops[:1]}")
        # Visual order: each stop is below the previous one, or on the same line further in the reading direction.
        for previous, stop in zip(stops, stops[1:]):
            if stop["top"] >= previous["bottom"] - 2:
                continue
            same_line = stop["top"] < previous["bottom"] and stop["bottom"] > previous["top"]
            forward = stop["left"] >= previous["left"] - 1 if lang == "fr" else stop["right"] <= previous["right"] + 1
            if not (same_line and forward):
                failures.append(f"{where}: focus moves against the reading order from {previous['name']!r} to {stop['name']!r}")
        unfocused = page.evaluate(UNFOCUSED_LOOKS)
        for stop in stops:
            if stop["look"] == unfocused[stop["index"]]:
                failures.append(f"{where}: no visible focus indicator on {stop['key'][:80]}")
        # The skip link moves the focus to the main content.
        page.goto(path)
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        if page.evaluate("() => document.activeElement.tagName") != "MAIN":
            failures.append(f"{where}: following the skip link does not focus <main>")
    context.close()
    assert not failures, "\n".join(failures)
