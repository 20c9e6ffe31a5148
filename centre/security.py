"""Web security: response headers, the client's address behind a proxy, and input no database takes."""
from flask import current_app, request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from centre.errors import error_page

#: The largest id a route accepts: PostgreSQL's integer, and beyond what SQLite's driver converts.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` in routes: a non-negative integer no larger than an INTEGER column holds,
    so that an absurd id is a 404 and never reaches the database driver. ASCII digits only:
    Werkzeug's `\\d+` also matches other scripts' digits (int("٣") is 3), so that
    /registrations/٣/cancel reached registration 3."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def security_headers(response):
    """after_request: the headers every answer carries (a view may set its own beforehand)."""
    config = current_app.config
    headers = {
        "Content-Security-Policy": config["CONTENT_SECURITY_POLICY"],
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": config["PERMISSIONS_POLICY"],
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if config.get("STRICT_TRANSPORT_SECURITY"):
        headers["Strict-Transport-Security"] = config["STRICT_TRANSPORT_SECURITY"]
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response


def _texts_sent():
    """Every name and value of the query and the form, and the parts of the address."""
    yield from (value for value in (request.view_args or {}).values() if isinstance(value, str))
    sent = [request.args] + ([request.form] if request.method in ("POST", "PUT", "PATCH") else [])
    for multidict in sent:
        for name, values in multidict.lists():
            yield name
            yield from values


def refuse_nul_characters():
    """before_request: a NUL character is never meaningful in a form, an address or a query,
    and PostgreSQL refuses it in text; say so with a 400 instead of failing later."""
    if any("\x00" in text for text in _texts_sent()):
        return error_page(400, _("What you sent contains a NUL character (U+0000), which is not "
                                 "allowed. Please remove it and try again."))
    return None


#: What typed or pasted text may hold once received: a line or paragraph separator (U+2028, U+2029,
#: NEL) is a line break, a form feed or vertical tab (a word processor's page break) a space; the
#: other control characters (C0 but tab, LF and CR; DEL; C1) mean nothing in a form and break what
#: is built from it (XML 1.0 in XLSX files, e-mail headers), so they go.
_CLEAN = {0x2028: "\n", 0x2029: "\n", 0x85: "\n", 0x0B: " ", 0x0C: " ",
          **{c: None for c in (*range(0x01, 0x09), 0x0E, 0x0F, *range(0x10, 0x20), *range(0x7F, 0xA0))
             if c not in (0x85,)}}


def clean_text(text: str) -> str:
    """`text` without the control characters no field means (see _CLEAN); NUL is refused apart."""
    return text.translate(_CLEAN)


def clean_form_text():
    """before_request: every value of a form sent is cleaned (clean_text) before any view reads it."""
    if request.method in ("POST", "PUT", "PATCH") and request.form:
        request.form = ImmutableMultiDict([(name, clean_text(value)) for name, values in request.form.lists()
                                           for value in values])
    return None


def register_security(app):
    app.url_map.converters["int"] = IdConverter
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Behind a reverse proxy: the client's address and scheme come from its X-Forwarded-* headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.before_request(refuse_nul_characters)
    app.before_request(clean_form_text)
    app.after_request(security_headers)
